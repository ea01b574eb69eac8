package serve

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/profiles"
)

// Content types the clients expect.
const (
	typeXML          = "text/xml; charset=utf-8"
	typeMobileconfig = "application/x-apple-aspen-config"
	typeJSON         = "application/json; charset=utf-8"
)

// notServed is the answer for a domain this server does not describe: a
// 404 with a short text, never a 204 (which some clients take as "empty
// settings").
func notServed(w *recorder) {
	plain(w, http.StatusNotFound, "no mail settings for this domain here")
}

// lookup returns the served domain of an address (or of a bare domain
// name), recording it for the log and the metrics, and the site it is
// from for the rest of the request: a Reload meanwhile must not mix one
// site's description with the other's forms.
func (s *Server) lookup(w *recorder, domain string) (*profiles.Domain, bool) {
	w.site = s.site.Load()
	d, ok := w.site.domains[domain]
	if ok {
		w.domain = domain
	}
	return d, ok
}

// served is lookup for the endpoints that answer a domain not served
// with notServed: nil then.
func (s *Server) served(w *recorder, domain string) *profiles.Domain {
	d, ok := s.lookup(w, domain)
	if !ok {
		notServed(w)
		return nil
	}
	return d
}

// address parses an address from a query parameter or a request body.
func address(field, value string) (*profiles.Address, error) {
	if value == "" {
		return nil, &profiles.FieldError{Field: field, Value: "", Allowed: "an e-mail address, such as alice@example.com"}
	}
	a, err := profiles.ParseAddress(field, value)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// plan is the profile plan for addr at d, as `mailadvisor profile` makes
// it with the same domain file and options.
func (s *Server) plan(d *profiles.Domain, addr *profiles.Address, name string, opts profiles.Options) (*profiles.Plan, error) {
	p, err := profiles.NewPlan(d, addr, opts)
	if err != nil {
		return nil, err
	}
	p.UserName = name
	return p, nil
}

// once refuses a parameter given twice: which one would the client mean?
func once(q url.Values, names ...string) error {
	for _, n := range names {
		if len(q[n]) > 1 {
			return &profiles.FieldError{Field: n, Value: strings.Join(q[n], ", "), Allowed: "one value (the parameter is given " + strconv.Itoa(len(q[n])) + " times)"}
		}
	}
	return nil
}

// badRequest answers 400 with the error, which names the field.
func badRequest(w *recorder, err error) {
	plain(w, http.StatusBadRequest, err.Error())
}

// write answers a rendered profile.
func write(w *recorder, contentType string, data []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(data))}
	h["Cache-Control"] = noStore // personal: an address is inside
	_, _ = w.Write(data)
}

var noStore = []string{"no-store"}

// buffers recycles the rendering buffers: a profile is a few kilobytes,
// written to the connection's own buffer before the handler returns.
var buffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4096)) }}

// renderFailed answers 500: the domain was validated when it was loaded,
// so rendering cannot fail but through a bug.
func renderFailed(w *recorder, err error) {
	plain(w, http.StatusInternalServerError, "could not render the settings: "+err.Error())
}

// autoconfig answers Thunderbird: GET /mail/config-v1.1.xml?emailaddress=
// (and the /.well-known/autoconfig/ form). Without an address, the domain
// is taken from the host name (autoconfig.example.com), and the file is
// the domain's, with placeholders.
func (s *Server) autoconfig(w *recorder, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	var addr *profiles.Address
	domain := ""
	if err := once(r.URL.Query(), "emailaddress"); err != nil {
		badRequest(w, err)
		return
	}
	if v := r.URL.Query().Get("emailaddress"); v != "" {
		a, err := address("emailaddress", v)
		if err != nil {
			badRequest(w, err)
			return
		}
		addr, domain = a, a.Domain
	} else {
		domain = strings.TrimPrefix(requestHost(r), "autoconfig.")
	}
	d := s.served(w, domain)
	if d == nil {
		return
	}
	if addr != nil {
		s.writeProfile(w, typeXML, "autoconfig", d, addr, "", s.cfg.Options)
		return
	}
	p, err := s.plan(d, nil, "", s.cfg.Options)
	if err != nil {
		badRequest(w, err)
		return
	}
	var b bytes.Buffer
	if err := profiles.WriteAutoconfig(&b, p); err != nil {
		renderFailed(w, err)
		return
	}
	write(w, typeXML, b.Bytes())
}

// writeProfile answers the profile of format for addr, through the
// site's prerendered forms (profiles.Forms: the encoders' reflection would
// be most of a request's time).
func (s *Server) writeProfile(w *recorder, contentType, format string, d *profiles.Domain, addr *profiles.Address, name string, opts profiles.Options) {
	st := w.site // the site d is from
	p, err := s.plan(d, addr, name, opts)
	if err != nil {
		badRequest(w, err)
		return
	}
	b := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(b)
	b.Reset()
	err = st.forms.Render(b, format, p, opts)
	data := b.Bytes()
	if err == nil && format == "mobileconfig" && st.signer != nil {
		data, err = st.signer.Sign(data)
	}
	var field *profiles.FieldError
	switch {
	case errors.As(err, &field) && format == "autodiscover":
		// A login Thunderbird would change (profiles.LoginError): the
		// schema's error, which Outlook reads, as for a bad request.
		poxError(w, 600, "Invalid Request", field.Error())
		return
	case errors.As(err, &field):
		badRequest(w, err)
		return
	case err != nil:
		renderFailed(w, err)
		return
	}
	if format == "mobileconfig" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+d.Domains[0]+`.mobileconfig"`)
	}
	write(w, contentType, data)
}

// errSchema is a request for a response schema other than Outlook's
// (mobilesync, ActiveSync): error 601 in the response.
var errSchema = errors.New("only " + "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a" + " is served (IMAP, POP3 and SMTP; no Exchange ActiveSync here)")

// poxError answers the error response the autodiscover schema defines
// (MS-OXDSCLI: Response/Error with ErrorCode and Message; Exchange
// answers it with 200), which Outlook reads, instead of a page it does
// not: 600 Invalid Request, 601 Requested schema not available. What the
// request held is not echoed.
func poxError(w *recorder, code int, message, debug string) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">` + "\n")
	fmt.Fprintf(&b, "  <Response>\n    <Error Time=\"%s\" Id=\"0\">\n      <ErrorCode>%d</ErrorCode>\n      <Message>", time.Now().UTC().Format("15:04:05.0000000"), code)
	_ = xml.EscapeText(&b, []byte(message))
	b.WriteString("</Message>\n      <DebugData>")
	_ = xml.EscapeText(&b, []byte(debug))
	b.WriteString("</DebugData>\n    </Error>\n  </Response>\n</Autodiscover>\n")
	write(w, typeXML, b.Bytes())
}

// The POX request (MS-OXDSCLI 2.2.3): Outlook's schema only; mobilesync
// (ActiveSync) asks for a server this tool does not describe.
const outlookRequestSchema = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

type autodiscoverRequest struct {
	XMLName xml.Name `xml:"Autodiscover"`
	Request struct {
		EMailAddress             string `xml:"EMailAddress"`
		AcceptableResponseSchema string `xml:"AcceptableResponseSchema"`
	} `xml:"Request"`
}

// parseAutodiscover reads a POX request body. The request as Outlook
// writes it is read by canonicalPOX; any other form by encoding/xml.
func parseAutodiscover(body io.Reader) (*profiles.Address, error) {
	data, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("autodiscover request: %w", err)
	}
	var req autodiscoverRequest
	if email, schema, ok := canonicalPOX(data); ok {
		req.Request.EMailAddress, req.Request.AcceptableResponseSchema = email, schema
	} else if err := xml.Unmarshal(data, &req); err != nil {
		return nil, fmt.Errorf("autodiscover request: not the POX request XML: %w", err)
	}
	if schema := strings.TrimSpace(req.Request.AcceptableResponseSchema); schema != "" && schema != outlookRequestSchema {
		return nil, errSchema
	}
	return address("EMailAddress", strings.TrimSpace(req.Request.EMailAddress))
}

// The request Outlook sends (MS-OXDSCLI 4.1), in its parts.
const (
	poxProlog     = `<?xml version="1.0" encoding="utf-8"?>`
	poxRoot       = `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">`
	poxRequestTag = `<Request>`
	poxEnd        = `</Request>`
	poxRootEnd    = `</Autodiscover>`
)

// canonicalPOX reads the request in the shape Outlook writes it (the
// prolog, the root with its namespace, Request, the address and the
// schema in either order, white space between), with text that XML
// reads as written; ok is false for anything else, which encoding/xml
// then reads. Decoding XML costs more than the rest of the answer; this
// shape is almost every request. FuzzAutodiscoverBody checks that what it
// accepts, encoding/xml reads the same.
func canonicalPOX(b []byte) (email, schema string, ok bool) {
	rest := skipSpace(b)
	rest, _ = cutPrefix(rest, poxProlog)
	var okRoot, okReq bool
	if rest, okRoot = cutPrefix(skipSpace(rest), poxRoot); !okRoot {
		return "", "", false
	}
	if rest, okReq = cutPrefix(skipSpace(rest), poxRequestTag); !okReq {
		return "", "", false
	}
	seen := 0
	for range 2 {
		rest = skipSpace(rest)
		var text string
		var okField bool
		if rest, text, okField = element(rest, "EMailAddress"); okField {
			email, seen = text, seen|1
		} else if rest, text, okField = element(rest, "AcceptableResponseSchema"); okField {
			schema, seen = text, seen|2
		} else {
			return "", "", false
		}
	}
	if seen != 3 {
		return "", "", false
	}
	rest, okReq = cutPrefix(skipSpace(rest), poxEnd)
	rest, okRoot = cutPrefix(skipSpace(rest), poxRootEnd)
	if !okReq || !okRoot || len(skipSpace(rest)) != 0 {
		return "", "", false
	}
	return email, schema, true
}

// element reads <name>text</name> where the text is plain: valid UTF-8,
// no markup, no reference, no carriage return (which XML rewrites) and no
// character XML forbids.
func element(b []byte, name string) (rest []byte, text string, ok bool) {
	rest, ok = cutPrefix(b, "<"+name+">")
	if !ok {
		return b, "", false
	}
	end := bytes.IndexByte(rest, '<')
	if end < 0 || !utf8.Valid(rest[:end]) {
		return b, "", false
	}
	for _, c := range rest[:end] {
		if c == '&' || c == '>' || c == '\r' || (c < 0x20 && c != '\t' && c != '\n') {
			return b, "", false
		}
	}
	text = string(rest[:end])
	if rest, ok = cutPrefix(rest[end:], "</"+name+">"); !ok {
		return b, "", false
	}
	return rest, text, true
}

// cutPrefix is bytes.CutPrefix for a string prefix.
func cutPrefix(b []byte, prefix string) ([]byte, bool) { return bytes.CutPrefix(b, []byte(prefix)) }

// skipSpace drops XML white space.
func skipSpace(b []byte) []byte { return bytes.TrimLeft(b, " \t\n\r") }

// autodiscoverXML answers Outlook: POST /autodiscover/autodiscover.xml.
func (s *Server) autodiscoverXML(w *recorder, r *http.Request) {
	if !allowMethods(w, r, http.MethodPost) {
		return
	}
	addr, err := parseAutodiscover(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		plain(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", s.cfg.MaxBodyBytes))
		return
	}
	switch {
	case errors.Is(err, errSchema):
		poxError(w, 601, "Requested schema not available", err.Error())
		return
	case err != nil:
		var fe *profiles.FieldError
		debug := "the request is not Outlook's POX request"
		if errors.As(err, &fe) {
			debug = fe.Field + ": want " + fe.Allowed
		}
		poxError(w, 600, "Invalid Request", debug)
		return
	}
	d := s.served(w, addr.Domain)
	if d == nil {
		return
	}
	s.writeProfile(w, typeXML, "autodiscover", d, addr, "", s.cfg.Options)
}

// autodiscoverJSON answers the JSON flow Outlook (Microsoft 365 apps,
// Outlook 2016 and later, the new Outlook) tries first:
// GET /autodiscover/autodiscover.json/v1.0/{address}?Protocol=AutodiscoverV1
// (or ?Email=address&Protocol=...). The answer is where the POX
// autodiscover is; Outlook then posts its XML request there. ActiveSync,
// EWS, REST and the other Exchange protocols are refused as Exchange
// refuses an unknown one (400, InvalidProtocol): no Exchange here.
func (s *Server) autodiscoverJSON(w *recorder, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	q := r.URL.Query()
	raw := q.Get("Email")
	if i := strings.Index(strings.ToLower(r.URL.Path), "/autodiscover.json/v1.0/"); i >= 0 {
		raw = r.URL.Path[i+len("/autodiscover.json/v1.0/"):]
	}
	protocol := q.Get("Protocol")
	if !strings.EqualFold(protocol, "AutodiscoverV1") {
		jsonError(w, http.StatusBadRequest, "InvalidProtocol",
			fmt.Sprintf("The given protocol value '%s' is invalid. Supported values are 'AutodiscoverV1'", cutText(protocol, 64)))
		return
	}
	addr, err := address("address", raw)
	if err != nil {
		jsonError(w, http.StatusBadRequest, "InvalidUser", err.Error())
		return
	}
	if _, ok := s.lookup(w, addr.Domain); !ok {
		jsonError(w, http.StatusNotFound, "DomainNotServed", "no mail settings for this domain here")
		return
	}
	base, ok := s.baseURL(w, r, true)
	if !ok {
		jsonError(w, http.StatusMisdirectedRequest, "MisdirectedRequest",
			"this server answers for the names of the domains it serves: ask autodiscover.DOMAIN")
		return
	}
	body, _ := json.Marshal(struct {
		Protocol string `json:"Protocol"`
		URL      string `json:"Url"`
	}{"AutodiscoverV1", base + "/autodiscover/autodiscover.xml"})
	write(w, typeJSON, append(body, '\n'))
}

func jsonError(w *recorder, status int, code, msg string) {
	body, _ := json.Marshal(struct {
		ErrorCode    string `json:"ErrorCode"`
		ErrorMessage string `json:"ErrorMessage"`
	}{code, msg})
	h := w.Header()
	h.Set("Content-Type", typeJSON)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// mobileconfig answers an Apple profile: GET /mobileconfig?emailaddress=&name=.
// It is signed when the server has a signing key; it never holds a
// password (the device asks for it).
func (s *Server) mobileconfig(w *recorder, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
		return
	}
	// A form's POST (the peers' pages post theirs) reads as the query.
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		if err := r.ParseForm(); err != nil {
			plain(w, http.StatusBadRequest, "malformed form: "+err.Error())
			return
		}
		q = r.Form
	}
	if err := once(q, "emailaddress", "name", "protocol"); err != nil {
		badRequest(w, err)
		return
	}
	addr, err := address("emailaddress", q.Get("emailaddress"))
	if err != nil {
		badRequest(w, err)
		return
	}
	name := strings.TrimSpace(q.Get("name"))
	if err := checkName(name); err != nil {
		badRequest(w, err)
		return
	}
	d := s.served(w, addr.Domain)
	if d == nil {
		return
	}
	opts := s.cfg.Options
	if proto := q.Get("protocol"); proto != "" {
		opts.Preferred = proto
	}
	s.writeProfile(w, typeMobileconfig, "mobileconfig", d, addr, name, opts)
}

// mtaSTS answers the MTA-STS policy (RFC 8461) of the domain named by the
// host (mta-sts.example.com): its MX is the domain's SMTP host, as
// `mailadvisor server` sets it up.
func (s *Server) mtaSTS(w *recorder, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	d := s.served(w, strings.TrimPrefix(requestHost(r), "mta-sts."))
	if d == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version: STSv1\r\nmode: %s\r\n", s.cfg.MTASTSMode)
	if s.cfg.MTASTSMode != MTASTSNone {
		fmt.Fprintf(&b, "mx: %s\r\n", d.Hosts.SMTP)
	}
	fmt.Fprintf(&b, "max_age: %d\r\n", s.cfg.MTASTSMaxAge)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "max-age=300")
	_, _ = w.Write([]byte(b.String()))
}

// pacc answers the PACC document (draft-ietf-mailmaint-pacc) of the
// domain named by the host (ua-auto-config.example.com): byte for byte
// what 'mailadvisor profile pacc' writes for the same domain file, whose
// digest its TXT record pins. It holds no address: cached like the
// MTA-STS policy.
func (s *Server) pacc(w *recorder, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	d := s.served(w, strings.TrimPrefix(requestHost(r), strings.TrimSuffix(profiles.PACCHostPrefix, ".")+"."))
	if d == nil {
		return
	}
	p, err := s.plan(d, nil, "", s.cfg.Options)
	if err != nil {
		badRequest(w, err)
		return
	}
	body, _, err := profiles.PACC(p)
	if err != nil {
		// Nothing PACC can carry (no implicit-TLS port): as for a domain
		// not served, clients go on to other methods.
		plain(w, http.StatusNotFound, "no PACC document for this domain: "+err.Error())
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h.Set("Cache-Control", "max-age=300")
	_, _ = w.Write(body)
}

// allowMethods answers 405 with Allow for any other method.
func allowMethods(w *recorder, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	plain(w, http.StatusMethodNotAllowed, "method not allowed: use "+strings.Join(methods, " or "))
	return false
}

// requestHost is the request's host name, lower case, without the port.
func requestHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// baseURL is the scheme and host for links: Config.PublicURL, else the
// request's host when it is a name the server answers for (see
// site.servedHost), over HTTPS when the request came so (directly, or
// through a trusted proxy) or forceHTTPS (Outlook fetches autodiscover
// over HTTPS only). ok is false for any other Host: no link is made of it.
func (s *Server) baseURL(w *recorder, r *http.Request, forceHTTPS bool) (base string, ok bool) {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL, true
	}
	if !s.site.Load().servedHost(requestHost(r)) {
		return "", false
	}
	scheme := "http"
	if w.https || forceHTTPS {
		scheme = "https"
	}
	return scheme + "://" + r.Host, true
}

// checkName checks the person's name as 'profile --name' does.
func checkName(name string) error {
	if name == "" {
		return nil
	}
	return textcheck.Text("name", name, 200)
}

func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
