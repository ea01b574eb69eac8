package profiles

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"sync"
)

// Forms renders autoconfig, autodiscover and mobileconfig files for many
// accounts fast, for batches and for the HTTP server: one prerendered form
// per domain, format and options, kept in a bounded cache. Safe for
// concurrent use; the zero value is ready.
type Forms struct {
	mu    sync.Mutex
	forms map[formKey]*prerendered
}

// maxForms bounds the forms kept (many domains): past it, the cache starts
// over.
const maxForms = 4096

type formKey struct {
	domain            string
	format, preferred string
	days              int // -1: not set
	starttls          bool
	displayName       bool
}

// Render writes format (autoconfig, autodiscover or mobileconfig, unsigned)
// for the plan's account to w, byte for byte what WriteAutoconfig,
// WriteAutodiscover and WriteMobileconfig write; p must have been planned
// with opts.
func (c *Forms) Render(w *bytes.Buffer, format string, p *Plan, opts Options) error {
	key := formKey{domain: p.Domain.Domains[0], format: format, preferred: opts.Preferred, days: -1,
		starttls: opts.AllowSTARTTLS, displayName: p.UserName != "" && format != formatAutoconfig}
	if opts.LeaveOnServerDays != nil {
		key.days = *opts.LeaveOnServerDays
	}
	c.mu.Lock()
	s, ok := c.forms[key]
	if !ok {
		var err error
		if s, err = newPrerendered(format, p.Domain, opts, key.displayName); err != nil {
			c.mu.Unlock()
			return err
		}
		if c.forms == nil || len(c.forms) >= maxForms {
			c.forms = map[formKey]*prerendered{}
		}
		c.forms[key] = s
	}
	c.mu.Unlock()
	return s.render(w, p)
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
}

type slot int

const (
	slotAddress     slot = iota
	slotAccountName      // the address as people read it (Unicode domain)
	slotUsername
	slotDisplayName
	slotTopUUID
	slotMailUUID
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
		ProfileUUID(probe.Full, "Configuration"): slotTopUUID, ProfileUUID(probe.Full, "com.apple.mail.managed"): slotMailUUID}
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

// render writes the format for the plan's account. The plan must come
// from the same domain and options, and have a UserName exactly when the
// form was made with one.
func (s *prerendered) render(w *bytes.Buffer, p *Plan) error {
	displayName := p.UserName
	if p.Address == nil {
		return fmt.Errorf("%s %w", s.format, ErrNoAddress)
	}
	account := p.Account()
	w.Grow(s.size + 2*len(account) + len(displayName))
	var topUUID, mailUUID string // each appears several times: compute once
	for i, part := range s.parts {
		w.Write(part)
		if i == len(s.slots) {
			break
		}
		var err error
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
		}
		if err != nil {
			return err
		}
	}
	return nil
}
