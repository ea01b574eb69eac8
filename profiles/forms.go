package profiles

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Forms renders autoconfig, autodiscover and mobileconfig files for many
// accounts fast, for batches and for the HTTP server: one prerendered form
// per domain, format and options. Forms that differ only in the domain's
// names (a hosting fleet: the same servers, a name per customer) share
// one shape, so that a domain costs the cache an entry of about a hundred
// bytes, not a form of kilobytes. The cache is bounded (Limit entries):
// past it, one entry is dropped for each new one, never the whole cache.
// Safe for concurrent use; the zero value is ready.
type Forms struct {
	// Limit is the most entries kept (and shapes); 0 is DefaultFormLimit.
	// A server sizes it from the domains it serves (FormLimitFor).
	Limit int

	mu     sync.RWMutex
	forms  map[formKey]*prerendered // shapes, shared
	shapes map[string]*prerendered  // by their text: one per shape
}

// DefaultFormLimit is the entries a Forms keeps when Limit is 0.
const DefaultFormLimit = 4096

// FormLimitFor is a Limit for a server of n domain names: each name's
// three formats, with and without a display name, for either protocol,
// and room to spare.
func FormLimitFor(n int) int { return max(DefaultFormLimit, 16*n) }

type formKey struct {
	domain            string
	format, preferred string
	days              int // -1: not set
	starttls          bool
	displayName       bool
	autoconfig        string // the autoconfig version
}

// Render writes format (autoconfig, autodiscover or mobileconfig, unsigned)
// for the plan's account to w, byte for byte what WriteAutoconfig,
// WriteAutodiscover and WriteMobileconfig write; p must have been planned
// with opts.
func (c *Forms) Render(w *bytes.Buffer, format string, p *Plan, opts Options) error {
	f, err := c.form(format, p, opts)
	if err != nil {
		return err
	}
	return f.render(w, p, nil)
}

// form is the prerendered form for the plan's account, made on first use.
func (c *Forms) form(format string, p *Plan, opts Options) (*prerendered, error) {
	if err := LoginError(p, format); err != nil {
		return nil, err
	}
	key := formKey{domain: p.Domain.Domains[0], format: format, preferred: opts.Preferred, days: -1,
		starttls: opts.AllowSTARTTLS, displayName: p.UserName != "" && format != formatAutoconfig, autoconfig: p.AutoconfigVersion}
	if opts.LeaveOnServerDays != nil {
		key.days = *opts.LeaveOnServerDays
	}
	c.mu.RLock()
	f, ok := c.forms[key]
	c.mu.RUnlock()
	if !ok {
		s, err := newPrerendered(format, p.Domain, opts, key.displayName)
		if err != nil {
			return nil, err
		}
		s.cutNames(domainNames(p.Domain))
		f = c.store(key, s)
	}
	return f, nil
}

// RenderDeflated is Render that also writes to z the file as a raw
// deflate stream (RFC 1951, what a zip entry holds), without compressing
// it again for each account: the text between the account's values is
// the same for every account of the domain, so it is deflated once per
// domain and form, each piece ending on a byte boundary, and the
// account's values go between the pieces as stored blocks. It costs a
// few copies where a compressor would build its Huffman codes for every
// file. It reports false, with z untouched, when the form already keeps
// its pieces for many other domains: the caller compresses the file.
// p.Domain must not change once used.
func (c *Forms) RenderDeflated(w, z *bytes.Buffer, format string, p *Plan, opts Options) (bool, error) {
	f, err := c.form(format, p, opts)
	if err != nil {
		return false, err
	}
	var stack [32]int
	values := stack[:0]
	start := w.Len()
	if err := f.render(w, p, &values); err != nil {
		return false, err
	}
	return f.deflate(z, w.Bytes()[start:], values, p.Domain)
}

// maxDeflatedDomains bounds the domains a form keeps deflated pieces for.
const maxDeflatedDomains = 64

// deflate writes doc, rendered from s for an account of d, as one
// deflate stream; values are where the account's values are in doc
// (render's start and end pairs).
func (s *prerendered) deflate(z *bytes.Buffer, doc []byte, values []int, d *Domain) (bool, error) {
	s.deflateMu.RLock()
	pieces, ok := s.deflated[d]
	s.deflateMu.RUnlock()
	if !ok {
		s.deflateMu.Lock()
		if pieces, ok = s.deflated[d]; !ok {
			if len(s.deflated) >= maxDeflatedDomains {
				s.deflateMu.Unlock()
				return false, nil
			}
			var err error
			if pieces, err = deflatePieces(doc, values); err != nil {
				s.deflateMu.Unlock()
				return false, err
			}
			if s.deflated == nil {
				s.deflated = map[*Domain][][]byte{}
			}
			s.deflated[d] = pieces
		}
		s.deflateMu.Unlock()
	}
	// pieces[0], value, pieces[1], value, ...: a piece ends with the
	// header of an empty stored block (a sync flush less its length), so
	// the value's length follows it directly.
	for k := 0; k < len(values); k += 2 {
		z.Write(pieces[k/2])
		for value := doc[values[k]:values[k+1]]; ; {
			n := min(len(value), 0xffff)
			var h [4]byte
			binary.LittleEndian.PutUint16(h[0:], uint16(n))
			binary.LittleEndian.PutUint16(h[2:], ^uint16(n))
			z.Write(h[:])
			z.Write(value[:n])
			if value = value[n:]; len(value) == 0 {
				break
			}
			z.WriteByte(0) // the next stored block's header
		}
	}
	z.Write(pieces[len(values)/2])
	return true, nil
}

// deflatePieces deflates the text around the account's values in doc:
// every piece but the last ends with a sync flush less its last four
// bytes (LEN and NLEN of the empty stored block it is), the last with
// the final block.
func deflatePieces(doc []byte, values []int) ([][]byte, error) {
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	var pieces [][]byte
	for k := 0; k <= len(values); k += 2 {
		from, to := 0, len(doc)
		if k > 0 {
			from = values[k-1]
		}
		last := k == len(values)
		if !last {
			to = values[k]
		}
		b.Reset()
		fw.Reset(&b)
		if _, err := fw.Write(doc[from:to]); err != nil {
			return nil, err
		}
		if last {
			if err := fw.Close(); err != nil {
				return nil, err
			}
			pieces = append(pieces, bytes.Clone(b.Bytes()))
			break
		}
		if err := fw.Flush(); err != nil {
			return nil, err
		}
		out := b.Bytes()
		if len(out) < 4 || !bytes.Equal(out[len(out)-4:], []byte{0, 0, 0xff, 0xff}) {
			return nil, errors.New("deflate: a sync flush without its empty stored block")
		}
		pieces = append(pieces, bytes.Clone(out[:len(out)-4]))
	}
	return pieces, nil
}

// store keeps f under key, or an identical shape kept before, and returns
// the one kept.
func (c *Forms) store(key formKey, f *prerendered) *prerendered {
	limit := c.Limit
	if limit <= 0 {
		limit = DefaultFormLimit
	}
	text := f.text()
	c.mu.Lock()
	defer c.mu.Unlock()
	if kept, ok := c.forms[key]; ok { // made meanwhile by another request
		return kept
	}
	if c.forms == nil {
		c.forms, c.shapes = map[formKey]*prerendered{}, map[string]*prerendered{}
	}
	if shared, ok := c.shapes[text]; ok {
		f = shared
	} else {
		dropOne(c.shapes, limit)
		c.shapes[text] = f
	}
	dropOne(c.forms, limit)
	c.forms[key] = f
	return f
}

// dropOne deletes one entry of m when it holds limit or more: the first
// that ranging gives, which Go picks at random.
func dropOne[K comparable, V any](m map[K]V, limit int) {
	if len(m) < limit {
		return
	}
	for k := range m {
		delete(m, k)
		return
	}
}

// domainNames are the strings of d that a form holds and that differ from
// one domain of a fleet to the next, as the files hold them, in the order
// of their slots (writeName): its display names, its first name reversed
// (Apple's identifiers), its names.
func domainNames(d *Domain) []string {
	var names []string
	for _, s := range []string{d.DisplayName, d.ShortName} {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		names = append(names, b.String())
	}
	names = append(names, reverseDNS(d.Domains[0]))
	return append(names, d.Domains...)
}

// escapeString is xml.EscapeText for a string, without copying one that
// needs no escaping (printable ASCII but for the five XML escapes).
func escapeString(w *bytes.Buffer, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\'' || c == '&' || c == '<' || c == '>' {
			return xml.EscapeText(w, []byte(s))
		}
	}
	w.WriteString(s)
	return nil
}

// writeName writes d's name of slot sl (slotName+i: domainNames(d)[i])
// without making it.
func writeName(w *bytes.Buffer, d *Domain, sl slot) error {
	switch i := int(sl - slotName); i {
	case 0:
		return escapeString(w, d.DisplayName)
	case 1:
		return escapeString(w, d.ShortName)
	case 2:
		name := d.Domains[0]
		for end := len(name); end > 0; {
			start := strings.LastIndexByte(name[:end], '.') + 1
			w.WriteString(name[start:end])
			if start > 0 {
				w.WriteByte('.')
			}
			end = start - 1
		}
		return nil
	default:
		w.WriteString(d.Domains[i-3])
		return nil
	}
}

// prerendered renders one format for many accounts of the same domain
// and options without running the XML or plist encoder for each: it
// renders the file once for a probe account whose values are unique
// tokens, cuts it at those tokens, and fills each account's values into
// the cuts, escaped as the encoders escape them (xml.EscapeText). Its
// output is byte for byte that of the profiles package's writer (tested,
// and fuzzed); it exists because the encoders' reflection is most of a
// batch's time.
type prerendered struct {
	format string
	parts  [][]byte // literal text; len(parts) == len(slots)+1
	slots  []slot
	size   int // bytes of literal text

	// The text around the account's values, deflated, by domain: for
	// archives (RenderDeflated).
	deflateMu sync.RWMutex
	deflated  map[*Domain][][]byte
}

type slot int

const (
	slotAddress     slot = iota
	slotAccountName      // the address as people read it (Unicode domain)
	slotUsername
	slotDisplayName
	slotTopUUID
	slotMailUUID
	slotCalDAVUUID
	slotCardDAVUUID
	slotName // slotName+i: the domain's domainNames[i]
)

// Formats that can be prerendered.
const (
	formatAutoconfig   = "autoconfig"
	formatMobileconfig = "mobileconfig"
	formatAutodiscover = "autodiscover"
)

// newPrerendered prepares format for accounts of d planned with opts; for
// autodiscover and mobileconfig, withDisplayName says whether accounts have
// the person's name (Plan.UserName).
func newPrerendered(format string, d *Domain, opts Options, withDisplayName bool) (*prerendered, error) {
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	token := "mailadvisorprobe" + hex.EncodeToString(nonce)
	probe := Address{Full: token + "addr@" + d.Domains[0], LocalPart: token + "addr", Domain: d.Domains[0]}
	p, err := NewPlan(d, &probe, opts)
	if err != nil {
		return nil, err
	}
	p.Username = token + "user"
	name := ""
	if withDisplayName {
		name = token + "name"
		p.UserName = name
	}
	var out bytes.Buffer
	switch format {
	case formatAutoconfig:
		err = WriteAutoconfig(&out, p)
	case formatMobileconfig:
		err = WriteMobileconfig(&out, p)
	case formatAutodiscover:
		err = WriteAutodiscover(&out, p)
	default:
		return nil, fmt.Errorf("no prerendered form of format %q", format)
	}
	if err != nil {
		return nil, err
	}
	// The account name is the address itself for an ASCII domain: one
	// token then, rendered as the name (which equals it).
	tokens := map[string]slot{probe.Full: slotAddress, p.AccountName(): slotAccountName, p.Username: slotUsername,
		ProfileUUID(probe.Full, "Configuration"): slotTopUUID, ProfileUUID(probe.Full, "com.apple.mail.managed"): slotMailUUID,
		ProfileUUID(probe.Full, calDAVPayloadType): slotCalDAVUUID, ProfileUUID(probe.Full, cardDAVPayloadType): slotCardDAVUUID}
	if name != "" {
		tokens[name] = slotDisplayName
	}
	return cut(format, out.Bytes(), tokens)
}

// cut splits doc at every occurrence of the tokens.
func cut(format string, doc []byte, tokens map[string]slot) (*prerendered, error) {
	s := &prerendered{format: format}
	rest := doc
	for {
		at, which, length := -1, slot(0), 0
		for tok, sl := range tokens {
			if i := bytes.Index(rest, []byte(tok)); i >= 0 && (at < 0 || i < at) {
				at, which, length = i, sl, len(tok)
			}
		}
		if at < 0 {
			s.parts = append(s.parts, bytes.Clone(rest))
			for _, part := range s.parts {
				s.size += len(part)
			}
			return s, nil
		}
		s.parts = append(s.parts, bytes.Clone(rest[:at]))
		s.slots = append(s.slots, which)
		rest = rest[at+length:]
	}
}

// cutNames cuts s's literal text further at each occurrence of the
// domain's names (domainNames; the longest where two start at one place).
// The text is unchanged: render writes the same names back. Empty names
// are never cut at.
func (s *prerendered) cutNames(names []string) {
	var parts [][]byte
	var slots []slot
	for i, part := range s.parts {
		for {
			at, which := -1, -1
			for k, n := range names {
				if n == "" {
					continue
				}
				if j := bytes.Index(part, []byte(n)); j >= 0 && (at < 0 || j < at || j == at && len(n) > len(names[which])) {
					at, which = j, k
				}
			}
			if at < 0 {
				break
			}
			parts = append(parts, part[:at:at])
			slots = append(slots, slotName+slot(which))
			part = part[at+len(names[which]):]
		}
		parts = append(parts, part)
		if i < len(s.slots) {
			slots = append(slots, s.slots[i])
		}
	}
	s.parts, s.slots = parts, slots
	s.size = 0
	for _, part := range parts {
		s.size += len(part)
	}
}

// text is the shape as one string: its literal parts and its slots. Two
// forms with the same text render the same bytes for the same account
// and names.
func (s *prerendered) text() string {
	var b strings.Builder
	b.WriteString(s.format)
	for i, part := range s.parts {
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(len(part)))
		b.WriteByte(':')
		b.Write(part)
		if i < len(s.slots) {
			b.WriteByte(0)
			b.WriteString(strconv.Itoa(int(s.slots[i])))
		}
	}
	return b.String()
}

// render writes the format for the plan's account and domain. The plan
// must come from a domain of the same shape and options, and have a
// UserName exactly when the form was made with one.
//
// With values, it appends where each of the account's values (not the
// domain's names) starts and ends, as offsets from where it started
// writing to w.
func (s *prerendered) render(w *bytes.Buffer, p *Plan, values *[]int) error {
	displayName := p.UserName
	if p.Address == nil {
		return fmt.Errorf("%s %w", s.format, ErrNoAddress)
	}
	account := p.Account()
	w.Grow(s.size + 2*len(account) + len(displayName))
	start := w.Len()
	var topUUID, mailUUID string // each appears several times: compute once
	for i, part := range s.parts {
		w.Write(part)
		if i == len(s.slots) {
			break
		}
		var err error
		valueStart := w.Len() - start
		switch s.slots[i] {
		case slotAddress:
			err = xml.EscapeText(w, []byte(account))
		case slotAccountName:
			err = xml.EscapeText(w, []byte(p.AccountName()))
		case slotUsername:
			login := p.Username
			if s.format == formatAutoconfig {
				login = AutoconfigLogin(p)
			}
			err = xml.EscapeText(w, []byte(login))
		case slotDisplayName:
			err = xml.EscapeText(w, []byte(displayName))
		case slotTopUUID:
			if topUUID == "" {
				topUUID = ProfileUUID(account, "Configuration")
			}
			w.WriteString(topUUID)
		case slotMailUUID:
			if mailUUID == "" {
				mailUUID = ProfileUUID(account, "com.apple.mail.managed")
			}
			w.WriteString(mailUUID)
		case slotCalDAVUUID:
			w.WriteString(ProfileUUID(account, calDAVPayloadType))
		case slotCardDAVUUID:
			w.WriteString(ProfileUUID(account, cardDAVPayloadType))
		default:
			err = writeName(w, p.Domain, s.slots[i])
		}
		if err != nil {
			return err
		}
		if values != nil && s.slots[i] < slotName {
			*values = append(*values, valueStart, w.Len()-start)
		}
	}
	return nil
}
