package lint

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// PACC documents (draft-ietf-mailmaint-pacc-03): what a client reads at
// https://ua-auto-config.<domain>/.well-known/user-agent-configuration.json,
// used only when the SHA-256 of its exact bytes is in the TXT record at
// _ua-auto-config.<domain>.

// isPACC reports whether data is a JSON object with a "protocols" member.
func isPACC(head []byte) bool {
	if len(head) == 0 || head[0] != '{' {
		return false
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(head, &doc) != nil {
		return bytes.Contains(head[:min(len(head), 4096)], []byte(`"protocols"`))
	}
	_, ok := doc["protocols"]
	return ok
}

// paccDoc is what lint reads of a PACC document.
type paccDoc struct {
	Protocols map[string]struct {
		Host string `json:"host"`
		URL  string `json:"url"`
	} `json:"protocols"`
	Info struct {
		Provider struct {
			Name      *string `json:"name"`
			ShortName *string `json:"shortName"`
		} `json:"provider"`
	} `json:"info"`
}

// paccHostProtocols carry a host (their port implied); paccURLProtocols a URL.
var (
	paccHostProtocols = []string{"imap", "pop3", "submit"}
	paccURLProtocols  = []string{"jmap", "caldav", "carddav", "webdav"}
)

func checkPACC(r *report, data []byte, opts Options) {
	var doc paccDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		r.add("pacc-malformed", 0, "not JSON a client can read: %v", err)
		return
	}
	if len(doc.Protocols) == 0 {
		r.add("pacc-malformed", 0, "no protocol: a client finds nothing to set up")
	}
	for name, p := range doc.Protocols {
		switch {
		case slices.Contains(paccHostProtocols, name):
			if _, err := textcheck.Hostname("protocols."+name+".host", p.Host); err != nil {
				r.add("pacc-malformed", 0, "protocols.%s.host %q is not a host name", name, p.Host)
			}
		case slices.Contains(paccURLProtocols, name):
			if !strings.HasPrefix(p.URL, "https://") {
				r.add("pacc-malformed", 0, "protocols.%s.url %q is not an https URL", name, p.URL)
			}
		default:
			r.add("pacc-malformed", 0, "protocols.%s is no protocol PACC defines (imap, pop3, submit, jmap, caldav, carddav): clients skip it", name)
		}
	}
	switch name := doc.Info.Provider.Name; {
	case name == nil || *name == "":
		r.add("pacc-provider", 0, "info.provider.name is missing: clients show the provider's name")
	case utf8.RuneCountInString(*name) > 60:
		r.add("pacc-provider", 0, "info.provider.name has %d characters, more than 60", utf8.RuneCountInString(*name))
	}
	if s := doc.Info.Provider.ShortName; s != nil && utf8.RuneCountInString(*s) > 20 {
		r.add("pacc-provider", 0, "info.provider.shortName has %d characters, more than 20", utf8.RuneCountInString(*s))
	}
	if len(opts.PACCRecords) == 0 {
		r.add("pacc-digest-unchecked", 0, "no TXT record was given, so the digest clients check was not: give the record of _ua-auto-config.<domain> (--pacc-record)")
		return
	}
	if err := profiles.VerifyPACC(data, opts.PACCRecords); err != nil {
		r.add("pacc-digest", 0, "%v: clients refuse the document", err)
	}
}
