package lint

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/jxon"
	"github.com/mailadvisor/mailadvisor/internal/lazyregexp"
	"github.com/mailadvisor/mailadvisor/internal/mailports"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// The placeholders the clients replace (draft §Placeholders; Thunderbird
// also %REALNAME% in display names).
var knownPlaceholders = []string{"%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%", "%REALNAME%"}

var (
	// placeholderish finds what looks like a placeholder, closed or not:
	// %EMAILADDRESS%, %emailaddress%, %EMAILADDRESS (no closing %).
	placeholderish = lazyregexp.New(`%[A-Za-z_]+%?`)
	// placeholderLabel is a host-name label Thunderbird replaces.
	placeholderLabel = lazyregexp.New(`^%[A-Z0-9]+%$`)
)

// The elements Thunderbird or Thunderbird for Android read in a server,
// and in emailProvider (documentation and the rest are informational and
// allowed by the format).
var (
	serverElements   = []string{"hostname", "port", "socketType", "username", "authentication", "password", "pop3", "addThisServer", "useGlobalPreferredServer", "restriction", "oAuth2"}
	providerElements = []string{"domain", "displayName", "displayShortName", "incomingServer", "outgoingServer", "documentation", "enable", "instruction", "inputField", "identity"}
	rootElements     = []string{"emailProvider", "webMail", "oAuth2", "clientConfigUpdate", "enable", "calendar", "addressbook", "fileShare", "chatServer", "videoConference", "setupServer"}
)

// server is one incomingServer or outgoingServer as read.
type server struct {
	n        *node
	outgoing bool
	typ      string
}

func (s server) value(name string) (string, int, bool) {
	c := s.n.child(name)
	if c == nil {
		return "", s.n.line, false
	}
	return c.text, c.line, true
}

func checkAutoconfig(r *report, data []byte) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		r.add("autoconfig-bom", 1, "the file starts with a UTF-8 byte-order mark")
		data = data[3:]
	}
	root, err := parseXML(data)
	if err != nil {
		r.add("autoconfig-malformed", xmlLine(err), "not well-formed XML: %v", err)
		return
	}
	for _, c := range root.children {
		if !slices.Contains(rootElements, c.name) {
			r.add("autoconfig-ignored-element", c.line, "<%s> in <clientConfig> is not read by the clients", c.name)
		}
	}
	provider := root.child("emailProvider")
	if provider == nil {
		r.add("autoconfig-malformed", root.line, "no <emailProvider> element")
		return
	}
	if id := provider.attrs["id"]; id == "" {
		r.add("autoconfig-malformed", provider.line, "<emailProvider> has no id attribute (both clients require a host name there)")
	} else if !validHost(id) {
		r.add("autoconfig-hostname", provider.line, "emailProvider id %q is not a host name", id)
	}
	domains := provider.all("domain")
	if len(domains) == 0 {
		r.add("autoconfig-malformed", provider.line, "no <domain> element (both clients require one)")
	}
	for _, d := range domains {
		checkValue(r, d.text, d.line, "domain")
	}
	for _, c := range provider.children {
		if !slices.Contains(providerElements, c.name) {
			r.add("autoconfig-ignored-element", c.line, "<%s> in <emailProvider> is not read by the clients", c.name)
		}
	}
	var servers []server
	for _, c := range provider.children {
		switch c.name {
		case "incomingServer":
			servers = append(servers, server{n: c, typ: c.attrs["type"]})
		case "outgoingServer":
			servers = append(servers, server{n: c, outgoing: true, typ: c.attrs["type"]})
		}
	}
	var incoming, outgoing int
	seen := map[string]int{}
	for _, s := range servers {
		if s.outgoing {
			outgoing++
		} else {
			incoming++
		}
		if !s.outgoing && slices.Contains(otherIncoming, s.typ) {
			checkOtherServer(r, s)
			continue
		}
		checkServer(r, s)
		host, _, _ := s.value("hostname")
		port, _, _ := s.value("port")
		sock, _, _ := s.value("socketType")
		key := fmt.Sprintf("%v|%s|%s|%s|%s", s.outgoing, s.typ, strings.ToLower(strings.TrimSpace(host)), strings.TrimSpace(port), strings.TrimSpace(sock))
		if first, dup := seen[key]; dup {
			r.add("autoconfig-duplicate-server", s.n.line, "the same %s server as on line %d", s.typ, first)
		} else {
			seen[key] = s.n.line
		}
	}
	if incoming == 0 || outgoing == 0 {
		r.add("autoconfig-malformed", provider.line, "no usable %s (Thunderbird needs at least one incoming and one outgoing server)",
			map[bool]string{true: "<incomingServer>", false: "<outgoingServer>"}[incoming == 0])
	}
	if at, msg := androidReject(root); at != nil {
		r.add("autoconfig-android-reject", at.line, "Thunderbird for Android stops at this element and rejects the whole file (its parser: %q)", msg)
	}
}

// otherIncoming are the incoming types of other protocols, which
// Thunderbird reads by a URL or hands to an add-on (Exchange Web
// Services, OWA, Microsoft Graph, ActiveSync, JMAP, news): their entries
// are not mail servers to check, and Thunderbird for Android skips them.
var otherIncoming = []string{"exchange", "ews", "owa", "graph", "activeSync", "activesync", "eas", "jmap", "nntp"}

// checkOtherServer checks an entry of another protocol: only what makes
// it unsafe wherever it is read.
func checkOtherServer(r *report, s server) {
	for _, c := range s.n.children {
		if c.name == "password" {
			r.add("autoconfig-password", c.line, "a <password> element: the file is public")
		}
	}
}

// checkServer checks one server element.
func checkServer(r *report, s server) {
	what := "incomingServer"
	if s.outgoing {
		what = "outgoingServer"
	}
	switch {
	case s.outgoing && s.typ != "smtp":
		r.add("autoconfig-malformed", s.n.line, "<outgoingServer type=%q>: the only outgoing type is smtp", s.typ)
	case !s.outgoing && s.typ != "imap" && s.typ != "pop3":
		r.add("autoconfig-malformed", s.n.line, "<incomingServer type=%q>: want imap or pop3", s.typ)
	}
	for _, c := range s.n.children {
		if !slices.Contains(serverElements, c.name) {
			r.add("autoconfig-ignored-element", c.line, "<%s> in <%s> is not read by the clients", c.name, what)
		}
		if c.name == "password" {
			r.add("autoconfig-password", c.line, "a <password> element: the file is public")
		}
	}
	host, hline, ok := s.value("hostname")
	if !ok {
		r.add("autoconfig-malformed", s.n.line, "<%s> has no <hostname>", what)
	} else {
		checkValue(r, host, hline, "hostname")
		if h := strings.TrimSpace(host); h != "" && !validHost(h) {
			r.add("autoconfig-hostname", hline, "%q is not a host name", h)
		}
	}
	portText, pline, ok := s.value("port")
	port := -1
	if !ok {
		r.add("autoconfig-malformed", s.n.line, "<%s> has no <port>", what)
	} else {
		checkValue(r, portText, pline, "port")
		p, err := strconv.Atoi(strings.TrimSpace(portText))
		if err != nil || p < 1 || p > 65535 {
			r.add("autoconfig-malformed", pline, "port %q is not a number from 1 to 65535", portText)
		} else {
			port = p
		}
	}
	sockText, sline, ok := s.value("socketType")
	sock := strings.TrimSpace(sockText)
	if !ok {
		r.add("autoconfig-malformed", s.n.line, "<%s> has no <socketType>", what)
	} else {
		checkValue(r, sockText, sline, "socketType")
		switch sock {
		case "SSL", "STARTTLS":
		case "plain":
			r.add("autoconfig-plain", sline, "%s %s on port %d in cleartext", what, s.typ, port)
		default:
			r.add("autoconfig-malformed", sline, "socketType %q: want SSL, STARTTLS (or plain), exactly", sockText)
		}
	}
	if port > 0 && (sock == "SSL" || sock == "STARTTLS") {
		checkPortSocket(r, s, port, sock, pline)
	}
	user, uline, ok := s.value("username")
	if !ok {
		if !s.outgoing {
			r.add("autoconfig-malformed", s.n.line, "<incomingServer> has no <username>")
		}
	} else {
		checkValue(r, user, uline, "username")
		if reads, changed := jxon.Text(user); changed && strings.TrimSpace(user) != "" {
			r.add("autoconfig-numeric-login", uline, "login %q: Thunderbird reads %q (it turns text that looks like a number or a boolean into one)", user, reads)
		}
	}
	var auths []string
	for _, a := range s.n.all("authentication") {
		checkValue(r, a.text, a.line, "authentication")
		auths = append(auths, strings.TrimSpace(a.text))
		if strings.TrimSpace(a.text) == "password-cleartext" && sock == "plain" {
			r.add("autoconfig-cleartext-password", a.line, "password-cleartext over a cleartext connection (port %d)", port)
		}
	}
	if s.outgoing && len(auths) > 0 && !slices.ContainsFunc(auths, func(a string) bool {
		return a != "none" && a != "client-IP-address" && a != "smtp-after-pop"
	}) {
		r.add("autoconfig-smtp-no-auth", s.n.line, "outgoing server %s takes no authentication (%s)", strings.TrimSpace(host), strings.Join(auths, ", "))
	}
	if !s.outgoing && len(auths) == 0 {
		r.add("autoconfig-malformed", s.n.line, "<incomingServer> has no <authentication>")
	}
}

// checkPortSocket flags a socketType that does not fit a well-known port,
// and a protocol on another protocol's port.
func checkPortSocket(r *report, s server, port int, sock string, line int) {
	implicit := []int{mailports.IMAPS, mailports.POP3S, mailports.Submissions}
	upgrade := []int{mailports.IMAP, mailports.POP3, mailports.Submission, mailports.SMTP}
	switch {
	case (sock == "SSL" && slices.Contains(upgrade, port) || sock == "STARTTLS" && slices.Contains(implicit, port)) && documented(s.n, port):
		r.add("autoconfig-port-socket-documented", line, "socketType %s on port %d, which the file's comment says the server really does", sock, port)
	case sock == "SSL" && slices.Contains(upgrade, port):
		r.add("autoconfig-port-socket", line, "socketType SSL (implicit TLS) on port %d, which speaks cleartext first (STARTTLS)", port)
	case sock == "STARTTLS" && slices.Contains(implicit, port):
		r.add("autoconfig-port-socket", line, "socketType STARTTLS on port %d, which starts with TLS (use SSL)", port)
	}
	var own []int
	switch s.typ {
	case "imap":
		own = []int{mailports.IMAP, mailports.IMAPS}
	case "pop3":
		own = []int{mailports.POP3, mailports.POP3S}
	case "smtp":
		if port == mailports.SMTP {
			r.add("autoconfig-foreign-port", line, "smtp on port 25, the port between servers: many networks block it for clients (submission is 465, or 587)")
			return
		}
		own = []int{mailports.Submission, mailports.Submissions}
	default:
		return
	}
	all := []int{mailports.IMAP, mailports.IMAPS, mailports.POP3, mailports.POP3S, mailports.SMTP, mailports.Submission, mailports.Submissions}
	if slices.Contains(all, port) && !slices.Contains(own, port) {
		r.add("autoconfig-foreign-port", line, "%s on port %d, another protocol's port", s.typ, port)
	}
}

// documented reports whether a comment in the server element names the
// port with its unusual socketType: the provider says it on purpose (the
// ISP database's Charter entry: "Yes, they have SSL ... on port 587").
func documented(n *node, port int) bool {
	for _, c := range n.comments {
		if strings.Contains(c, strconv.Itoa(port)) && (strings.Contains(c, "SSL") || strings.Contains(c, "STARTTLS") || strings.Contains(c, "TLS")) {
			return true
		}
	}
	return false
}

// checkValue flags surrounding whitespace and unknown placeholders.
func checkValue(r *report, v string, line int, what string) {
	if hasOuterSpace(v) && strings.TrimSpace(v) != "" {
		r.add("autoconfig-whitespace", line, "%s %q has spaces or line breaks around it", what, v)
	}
	for _, p := range placeholderish().FindAllString(v, -1) {
		if !slices.Contains(knownPlaceholders, p) {
			r.add("autoconfig-placeholder", line, "%s: %s is not a placeholder the clients replace", what, p)
		}
	}
}

// validHost reports whether h is an ASCII host name (placeholders allowed
// as labels), as Thunderbird's sanitizer accepts.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if !textcheck.ValidLabel(label) && !placeholderLabel().MatchString(label) {
			return false
		}
	}
	return true
}
