package batch

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"

	"github.com/mailadvisor/mailadvisor/profiles"
)

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
func newPrerendered(format string, d *profiles.Domain, opts profiles.Options, withDisplayName bool) (*prerendered, error) {
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	token := "mailadvisorprobe" + hex.EncodeToString(nonce)
	probe := profiles.Address{Full: token + "addr@" + d.Domains[0], LocalPart: token + "addr", Domain: d.Domains[0]}
	p, err := profiles.NewPlan(d, &probe, opts)
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
		err = profiles.WriteAutoconfig(&out, p)
	case formatMobileconfig:
		err = profiles.WriteMobileconfig(&out, p)
	case formatAutodiscover:
		err = profiles.WriteAutodiscover(&out, p)
	default:
		return nil, fmt.Errorf("no prerendered form of format %q", format)
	}
	if err != nil {
		return nil, err
	}
	// The account name is the address itself for an ASCII domain: one
	// token then, rendered as the name (which equals it).
	tokens := map[string]slot{probe.Full: slotAddress, p.AccountName(): slotAccountName, p.Username: slotUsername,
		profiles.ProfileUUID(probe.Full, "Configuration"): slotTopUUID, profiles.ProfileUUID(probe.Full, "com.apple.mail.managed"): slotMailUUID}
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
func (s *prerendered) render(w *bytes.Buffer, p *profiles.Plan) error {
	displayName := p.UserName
	if p.Address == nil {
		return fmt.Errorf("%s %w", s.format, profiles.ErrNoAddress)
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
				login = profiles.AutoconfigLogin(p)
			}
			err = xml.EscapeText(w, []byte(login))
		case slotDisplayName:
			err = xml.EscapeText(w, []byte(displayName))
		case slotTopUUID:
			if topUUID == "" {
				topUUID = profiles.ProfileUUID(account, "Configuration")
			}
			w.WriteString(topUUID)
		case slotMailUUID:
			if mailUUID == "" {
				mailUUID = profiles.ProfileUUID(account, "com.apple.mail.managed")
			}
			w.WriteString(mailUUID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
