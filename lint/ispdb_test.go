package lint

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/corpus"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// androidOracle is Thunderbird for Android's parser
// (RealAutoconfigParser.kt) transcribed as it is written, over the
// stream of XML events rather than a tree: a judge for lint's rule that
// shares none of its code. It returns the line of the element it stops
// at, or 0 when it accepts the file.
type androidOracle struct {
	dec  *xml.Decoder
	data []byte
	tok  xml.Token
	at   int // the line of the last start tag read
}

type oracleError struct{ line int }

func (e *oracleError) Error() string { return "rejected at line " + strconv.Itoa(e.line) }

func androidVerdict(data []byte) (line int) {
	o := &androidOracle{dec: xml.NewDecoder(bytes.NewReader(data)), data: data}
	defer func() {
		if r := recover(); r != nil {
			var oe *oracleError
			if e, ok := r.(error); ok && errors.As(e, &oe) {
				line = oe.line
				return
			}
			panic(r)
		}
	}()
	found := false
	for o.next() {
		if se, ok := o.tok.(xml.StartElement); ok {
			if se.Name.Local == "clientConfig" {
				o.clientConfig()
				found = true
			} else {
				o.skip()
			}
		}
	}
	if !found {
		o.fail(1)
	}
	return 0
}

func (o *androidOracle) fail(line int) { panic(&oracleError{line}) }

func (o *androidOracle) next() bool {
	off := o.dec.InputOffset()
	tok, err := o.dec.Token()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		o.fail(-1)
	}
	o.tok = xml.CopyToken(tok)
	if _, ok := tok.(xml.StartElement); ok {
		o.at = bytes.Count(o.data[:off], []byte("\n")) + 1
	}
	return true
}

func (o *androidOracle) skip() {
	depth := 1
	for depth > 0 && o.next() {
		switch o.tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// within runs f on every start tag inside the element just started, at
// any depth, as the app's readElement does when its block has no else:
// an element f does not read is not skipped, what it holds goes on
// through the loop. f either reads the element through its end (and
// returns true) or leaves it (false).
func (o *androidOracle) within(f func(se xml.StartElement, line int) bool) {
	depth := 0
	for o.next() {
		switch t := o.tok.(type) {
		case xml.StartElement:
			if !f(t, o.at) {
				depth++
			}
		case xml.EndElement:
			if depth == 0 {
				return
			}
			depth--
		}
	}
	o.fail(-1)
}

// text reads the element's text; an element inside is an error.
func (o *androidOracle) text() string {
	text := ""
	for o.next() {
		switch t := o.tok.(type) {
		case xml.CharData:
			text = string(t)
		case xml.StartElement:
			o.fail(o.at)
		case xml.EndElement:
			return text
		}
	}
	o.fail(-1)
	return ""
}

func (o *androidOracle) clientConfig() {
	provider := false
	o.readChildren(func(name string, attrs map[string]string) {
		if name == "emailProvider" {
			o.emailProvider(attrs)
			provider = true
		} else {
			o.skip()
		}
	})
	if !provider {
		o.fail(o.at)
	}
}

// readChildren calls f for each child element of the element just
// started (f reads or skips it).
func (o *androidOracle) readChildren(f func(name string, attrs map[string]string)) {
	for o.next() {
		switch t := o.tok.(type) {
		case xml.StartElement:
			attrs := map[string]string{}
			for _, a := range t.Attr {
				attrs[a.Name.Local] = a.Value
			}
			f(t.Name.Local, attrs)
		case xml.EndElement:
			return
		}
	}
	o.fail(-1)
}

func (o *androidOracle) emailProvider(attrs map[string]string) {
	line := o.at
	id, ok := attrs["id"]
	if !ok || !oracleHost(id) {
		o.fail(line)
	}
	domain, incoming, outgoing := false, false, false
	o.readChildren(func(name string, attrs map[string]string) {
		switch name {
		case "domain":
			if oracleHost(oracleVars(o.text())) {
				domain = true
			}
		case "incomingServer":
			incoming = o.server(attrs["type"] == "imap") || incoming
		case "outgoingServer":
			outgoing = o.server(attrs["type"] == "smtp") || outgoing
		case "oAuth2":
			o.oauth()
		default:
			o.skip()
		}
	})
	if !domain || !incoming || !outgoing {
		o.fail(line)
	}
}

// server reads one server when supported (skips it otherwise) and
// reports whether it was read.
func (o *androidOracle) server(supported bool) bool {
	if !supported {
		o.skip()
		return false
	}
	line := o.at
	var host, port, user, sock, auth bool
	o.within(func(se xml.StartElement, at int) bool {
		switch se.Name.Local {
		case "hostname":
			if !oracleHost(oracleVars(o.text())) {
				o.fail(at)
			}
			host = true
		case "port":
			n, err := strconv.ParseInt(o.text(), 10, 32)
			if err != nil || n < 0 || n > 65535 {
				o.fail(at)
			}
			port = true
		case "username":
			o.text()
			user = true
		case "authentication":
			switch o.text() {
			case "OAuth2", "password-cleartext", "password-encrypted":
				auth = true
			}
		case "socketType":
			if v := o.text(); v != "SSL" && v != "STARTTLS" {
				o.fail(at)
			}
			sock = true
		default:
			return false
		}
		return true
	})
	if !host || !port || !user || !auth || !sock {
		o.fail(line)
	}
	return true
}

var urlRE = regexp.MustCompile(`^https?://[^/\s?#]+`)

func (o *androidOracle) oauth() {
	line := o.at
	var authURL, tokenURL bool
	o.within(func(se xml.StartElement, at int) bool {
		switch se.Name.Local {
		case "scope":
			o.text()
		case "authURL", "tokenURL":
			if !urlRE.MatchString(o.text()) {
				o.fail(at)
			}
			if se.Name.Local == "authURL" {
				authURL = true
			} else {
				tokenURL = true
			}
		default:
			return false
		}
		return true
	})
	if !authURL || !tokenURL {
		o.fail(line)
	}
}

func oracleVars(s string) string {
	s = strings.ReplaceAll(s, "%EMAILDOMAIN%", "example.com")
	s = strings.ReplaceAll(s, "%EMAILLOCALPART%", "alice")
	return strings.ReplaceAll(s, "%EMAILADDRESS%", "alice@example.com")
}

func oracleHost(h string) bool {
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if !textcheck.ValidLabel(l) {
			return false
		}
	}
	return true
}

// variants are single changes of a real file that the issue found lint
// wrong on: each turns the first element matching a pattern into
// something else.
var variants = []struct {
	name        string
	from, to    *regexp.Regexp
	replacement string
}{
	{"pop3 plain", regexp.MustCompile(`(?s)(<incomingServer type="pop3">.*?<socketType>)[^<]*`), nil, "${1}plain"},
	{"imap plain", regexp.MustCompile(`(?s)(<incomingServer type="imap">.*?<socketType>)[^<]*`), nil, "${1}plain"},
	{"smtp plain", regexp.MustCompile(`(?s)(<outgoingServer type="smtp">.*?<socketType>)[^<]*`), nil, "${1}plain"},
	{"smtp auth none", regexp.MustCompile(`(?s)(<outgoingServer type="smtp">.*?<authentication>)[^<]*(</authentication>)`), nil, "${1}none${2}"},
	{"imap GSSAPI", regexp.MustCompile(`(?s)(<incomingServer type="imap">.*?<authentication>)[^<]*(</authentication>)`), nil, "${1}GSSAPI${2}"},
	{"pop3 GSSAPI", regexp.MustCompile(`(?s)(<incomingServer type="pop3">.*?<authentication>)[^<]*(</authentication>)`), nil, "${1}GSSAPI${2}"},
	{"imap port with a space", regexp.MustCompile(`(?s)(<incomingServer type="imap">.*?<port>)([0-9]+)`), nil, "${1}${2} "},
	{"pop3 port with a space", regexp.MustCompile(`(?s)(<incomingServer type="pop3">.*?<port>)([0-9]+)`), nil, "${1}${2} "},
	{"imap without username", regexp.MustCompile(`(?s)(<incomingServer type="imap">.*?)<username>[^<]*</username>`), nil, "${1}"},
	{"pop3 without username", regexp.MustCompile(`(?s)(<incomingServer type="pop3">.*?)<username>[^<]*</username>`), nil, "${1}"},
	{"imap becomes pop3", regexp.MustCompile(`<incomingServer type="imap">`), nil, `<incomingServer type="pop3">`},
	{"smtp hostname with a placeholder address", regexp.MustCompile(`(?s)(<outgoingServer type="smtp">.*?<hostname>)[^<]*`), nil, "${1}%EMAILADDRESS%"},
}

// Over Thunderbird's ISP database (163 files nobody here wrote) and
// single changes of each, lint's Android rule agrees with the parser's
// transcription on every file, and points at the element where the parser
// stops; no file gets autoconfig-malformed, which the ISP database's
// files, all read by Thunderbird, never are.
func TestLintAgreesWithThunderbirdForAndroidOnTheISPDatabase(t *testing.T) {
	dir := corpus.ISPDB(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) < 100 {
		t.Fatalf("%d files in %s: %v", len(files), dir, err)
	}
	var checked, rejected, varied int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs := map[string][]byte{"": data}
		for _, v := range variants {
			if loc := v.from.FindIndex(data); loc != nil {
				changed := append(bytes.Clone(data[:loc[0]]), v.from.ReplaceAll(data[loc[0]:loc[1]], []byte(v.replacement))...)
				inputs[v.name] = append(changed, data[loc[1]:]...)
				varied++
			}
		}
		for variant, in := range inputs {
			name := filepath.Base(f)
			if variant != "" {
				name += " (" + variant + ")"
			}
			_, findings, err := Lint(name, in)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			checked++
			want := androidVerdict(in)
			got := 0
			for _, fd := range findings {
				if fd.Rule == "autoconfig-android-reject" {
					got = fd.Line
				}
				if variant == "" && fd.Rule == "autoconfig-malformed" {
					t.Errorf("%s:%d: autoconfig-malformed on a file Thunderbird reads: %s", name, fd.Line, fd.Message)
				}
				if variant == "" && fd.Rule == "autoconfig-port-socket" {
					t.Errorf("%s:%d: %s", name, fd.Line, fd.Message)
				}
			}
			if want != 0 {
				rejected++
			}
			if got != want {
				t.Errorf("%s: lint says Android stops at line %d, its parser at line %d (0: accepts)", name, got, want)
			}
		}
	}
	t.Logf("%d files, %d with a change, %d checked; Thunderbird for Android rejects %d", len(files), varied, checked, rejected)
}
