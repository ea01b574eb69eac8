package lint

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// androidReject is what Thunderbird for Android's autoconfig parser
// (feature/autodiscovery/autoconfig, RealAutoconfigParser.kt) does with
// the file, element by element in document order: it stops at the first
// error and drops the whole file. It returns the element that stops it
// (nil when the file is accepted) and the parser's own error message.
//
// What it reads: the first emailProvider's id (a host name), its domain
// elements (one valid is required), every incomingServer of type imap
// and every outgoingServer of type smtp in full (any other type is
// skipped whole, so a POP3 entry never matters), and oAuth2. In a server
// it needs hostname, port, username, a usable authentication (OAuth2,
// password-cleartext or password-encrypted; others are skipped) and a
// socketType of exactly SSL or STARTTLS; an element that holds elements
// where text is expected is an error too.
func androidReject(root *node) (*node, string) {
	var provider *node
	for _, c := range root.children {
		if c.name == "emailProvider" {
			provider = c // the last one wins, each one is parsed
			if at, msg := androidProvider(c); at != nil {
				return at, msg
			}
		}
	}
	if provider == nil {
		return root, "Missing 'emailProvider' element"
	}
	return nil, ""
}

// androidEmail is the address the placeholders stand for when the app
// checks a host name: any will do, as only the result's form matters.
const androidLocal, androidDomain = "alice", "example.com"

func androidProvider(p *node) (*node, string) {
	id, ok := p.attrs["id"]
	if !ok {
		return p, "Missing 'emailProvider.id' attribute"
	}
	if !androidHostname(id) {
		return p, "Invalid 'emailProvider.id' attribute"
	}
	domainFound, incoming, outgoing := false, false, false
	for _, c := range p.children {
		switch c.name {
		case "domain":
			if len(c.children) > 0 {
				return c.children[0], "Expected text, but got START_TAG"
			}
			if androidHostname(androidVariables(c.text)) {
				domainFound = true
			}
		case "incomingServer":
			if c.attrs["type"] != "imap" {
				continue // "Unsupported 'incomingServer[type]' value": skipped
			}
			if at, msg := androidServer(c); at != nil {
				return at, msg
			}
			incoming = true
		case "outgoingServer":
			if c.attrs["type"] != "smtp" {
				continue
			}
			if at, msg := androidServer(c); at != nil {
				return at, msg
			}
			outgoing = true
		case "oAuth2":
			if at, msg := androidOAuth(c); at != nil {
				return at, msg
			}
		}
	}
	switch {
	case !domainFound:
		return p, "Valid 'domain' element required"
	case !incoming:
		return p, "Missing 'incomingServer' element"
	case !outgoing:
		return p, "Missing 'outgoingServer' element"
	}
	return nil, ""
}

// androidServer reads one IMAP or SMTP server as the app does.
func androidServer(s *node) (*node, string) {
	var hostname, port, username, socketType bool
	auth := false
	for _, c := range s.children {
		switch c.name {
		case "hostname", "port", "username", "authentication", "socketType":
		default:
			continue
		}
		if len(c.children) > 0 {
			return c.children[0], "Expected text, but got START_TAG"
		}
		switch c.name {
		case "hostname":
			if !androidHostname(androidVariables(c.text)) {
				return c, "Invalid 'hostname' value: '" + c.text + "'"
			}
			hostname = true
		case "port":
			n, err := strconv.Atoi(c.text) // Kotlin's toIntOrNull: no spaces, a sign allowed
			if err != nil || n < 0 || n > 65535 {
				return c, "Invalid 'port' value: '" + c.text + "'"
			}
			port = true
		case "username":
			username = true
		case "authentication":
			switch c.text {
			case "OAuth2", "password-cleartext", "password-encrypted":
				auth = true
			}
		case "socketType":
			if c.text != "SSL" && c.text != "STARTTLS" {
				return c, "Unknown 'socketType' value: '" + c.text + "'"
			}
			socketType = true
		}
	}
	switch {
	case !hostname:
		return s, "Missing 'hostname' element"
	case !port:
		return s, "Missing 'port' element"
	case !username:
		return s, "Missing 'username' element"
	case !auth:
		return s, "No usable 'authentication' element found"
	case !socketType:
		return s, "Missing 'socketType' element"
	}
	return nil, ""
}

func androidOAuth(o *node) (*node, string) {
	var authURL, tokenURL bool
	for _, c := range o.children {
		switch c.name {
		case "scope", "authURL", "tokenURL":
		default:
			continue
		}
		if len(c.children) > 0 {
			return c.children[0], "Expected text, but got START_TAG"
		}
		if c.name == "scope" {
			continue
		}
		if u, err := url.Parse(c.text); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, "Invalid URL: '" + c.text + "'"
		}
		if c.name == "authURL" {
			authURL = true
		} else {
			tokenURL = true
		}
	}
	switch {
	case !authURL:
		return o, "Missing 'authURL' element"
	case !tokenURL:
		return o, "Missing 'tokenURL' element"
	}
	return nil, ""
}

// androidVariables replaces the placeholders as the app does before it
// checks a host name.
func androidVariables(s string) string {
	return strings.NewReplacer("%EMAILDOMAIN%", androidDomain, "%EMAILLOCALPART%", androidLocal,
		"%EMAILADDRESS%", androidLocal+"@"+androidDomain).Replace(s)
}

// androidHostname is HostNameUtils' test: a host name of ASCII labels, or
// an IP address (an IPv6 one may be in brackets).
func androidHostname(h string) bool {
	if ip := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"); net.ParseIP(ip) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if !textcheck.ValidLabel(label) {
			return false
		}
	}
	return true
}
