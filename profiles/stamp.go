package profiles

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
)

// Stamp renders one format for many accounts of the same domain and
// options without running the XML or plist encoder for each: it renders
// the file once for a probe account whose values are unique tokens, cuts
// it at those tokens, and fills each account's values into the cuts,
// escaped as the encoders escape them (xml.EscapeText). Its output is byte
// for byte that of the direct writer (tested, and fuzzed); it exists
// because the encoders' reflection is most of a batch's time.
type Stamp struct {
	format string
	parts  [][]byte // literal text; len(parts) == len(slots)+1
	slots  []slot
	size   int // bytes of literal text
}

type slot int

const (
	slotAddress slot = iota
	slotUsername
	slotDisplayName
	slotTopUUID
	slotMailUUID
)

// Formats that can be stamped.
const (
	StampAutoconfig   = "autoconfig"
	StampMobileconfig = "mobileconfig"
	StampAutodiscover = "autodiscover"
)

// NewStamp prepares format for accounts of d planned with opts; for
// autodiscover, withDisplayName says whether accounts have a display name.
func NewStamp(format string, d *Domain, opts Options, withDisplayName bool) (*Stamp, error) {
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	token := "mailadvisorstamp" + hex.EncodeToString(nonce)
	probe := Address{Full: token + "addr@" + d.Domains[0], LocalPart: token + "addr", Domain: d.Domains[0]}
	p, err := NewPlan(d, &probe, opts)
	if err != nil {
		return nil, err
	}
	p.Username = token + "user"
	name := ""
	if withDisplayName {
		name = token + "name"
	}
	var out bytes.Buffer
	switch format {
	case StampAutoconfig:
		err = WriteAutoconfig(&out, p)
	case StampMobileconfig:
		err = WriteMobileconfig(&out, p)
	case StampAutodiscover:
		err = WriteAutodiscover(&out, p, name)
	default:
		return nil, fmt.Errorf("stamp: no stamp for format %q", format)
	}
	if err != nil {
		return nil, err
	}
	tokens := map[string]slot{probe.Full: slotAddress, p.Username: slotUsername,
		ProfileUUID(probe.Full, "Configuration"): slotTopUUID, ProfileUUID(probe.Full, "com.apple.mail.managed"): slotMailUUID}
	if name != "" {
		tokens[name] = slotDisplayName
	}
	return cut(format, out.Bytes(), tokens)
}

// cut splits doc at every occurrence of the tokens.
func cut(format string, doc []byte, tokens map[string]slot) (*Stamp, error) {
	s := &Stamp{format: format}
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

// Render writes the format for the plan's account. The plan must come
// from the same domain and options as the stamp; displayName is used only
// by autodiscover stamps made with a display name.
func (s *Stamp) Render(w *bytes.Buffer, p *Plan, displayName string) error {
	if err := p.requireAddress(s.format + " stamp"); err != nil {
		return err
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
		case slotUsername:
			err = xml.EscapeText(w, []byte(p.Username))
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
