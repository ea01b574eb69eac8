package serve

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/profiles"
)

var (
	//go:embed assets/page.html
	pageHTML string
	//go:embed assets/page.css
	pageCSS string
)

// The page's Content-Security-Policy: nothing from elsewhere, no script,
// the one inline style by its hash, forms posted only here. It and the
// templates are made on the first page, not when any command starts.
var pageCSP = sync.OnceValue(func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
})

// pageTemplates are parsed once per language: "t" looks a message up.
var pageTemplates = sync.OnceValue(func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, tag := range pageLanguages {
		lang := tag.String()
		out[lang] = template.Must(template.New("page").Funcs(template.FuncMap{
			"t":      func(key string) string { return msg(lang, key) },
			"breaks": breakable,
		}).Parse(pageHTML))
	}
	return out
})

// breakable is a host name or an address, escaped, that a narrow screen
// may break only after a dot or before the @ (<wbr>), never inside a
// label: imap.ovh.net, not imap.ov / h.net.
func breakable(s string) template.HTML {
	var b strings.Builder
	for i, r := range s {
		if r == '@' && i > 0 {
			b.WriteString("<wbr>")
		}
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == '.' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String()) //nolint:gosec // escaped above, rune by rune
}

// The page's choices.
var (
	deviceChoices = []int{1, 2, 3, 4, 5, 6}
	connChoices   = []string{advisor.ConnectivityGood, advisor.ConnectivitySlow, advisor.ConnectivityIntermittent}
)

type pageData struct {
	Lang          string
	Style         template.CSS
	Error         string
	Email, Name   string
	Devices       int
	Offline       bool
	Connectivity  string
	DeviceChoices []int
	ConnChoices   []string
	Result        *pageResult
}

type pageResult struct {
	Protocol, ProtocolName string
	NotOffered             string
	Reasons                []string
	Account                string
	Tables                 []pageTable
	LeaveDays              int
	AppleURL               string
	ThunderbirdURL         string
	QR                     template.HTML
}

type pageTable struct {
	Caption string
	Rows    []pageRow
}

type pageRow struct {
	Protocol, Server string
	Port             int
	Security         string
	Username         string
}

// page answers GET / with the form, and POST / with the advice, the
// settings, the downloads and the QR code. The address travels in the
// POST body, not in the URL, so that access logs and browser history do
// not collect it.
func (s *Server) page(w *recorder, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead, http.MethodPost) {
		return
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			plain(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", s.cfg.MaxBodyBytes))
			return
		}
		plain(w, http.StatusBadRequest, "malformed form: "+err.Error())
		return
	}
	lang := pageLang(r)
	status := http.StatusOK
	var page []byte
	if r.Method == http.MethodPost {
		data := emptyPage(lang)
		status = s.answer(w, r, data)
		var b bytes.Buffer
		if err := pageTemplates()[lang].Execute(&b, data); err != nil {
			plain(w, http.StatusInternalServerError, "could not render the page: "+err.Error())
			return
		}
		page = b.Bytes()
	} else {
		pages, err := formPages()
		if err != nil {
			plain(w, http.StatusInternalServerError, "could not render the page: "+err.Error())
			return
		}
		page = pages[lang]
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP())
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", lang)
	h.Set("Vary", "Accept-Language")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(status)
	_, _ = w.Write(page)
}

// emptyPage is the form before any answer, in lang.
func emptyPage(lang string) *pageData {
	return &pageData{Lang: lang, Style: template.CSS(pageCSS), Devices: 1, Connectivity: advisor.ConnectivityGood,
		DeviceChoices: deviceChoices, ConnChoices: connChoices}
}

// formPages are the form (GET /) in each language, rendered once: it
// holds nothing of the request but its language.
var formPages = sync.OnceValues(func() (map[string][]byte, error) {
	out := map[string][]byte{}
	for lang, t := range pageTemplates() {
		var b bytes.Buffer
		if err := t.Execute(&b, emptyPage(lang)); err != nil {
			return nil, err
		}
		out[lang] = b.Bytes()
	}
	return out, nil
})

// answer fills the result from the form, or the error; it returns the
// status: 400 for a bad field, 404 for a domain not served.
func (s *Server) answer(w *recorder, r *http.Request, data *pageData) int {
	lang := data.Lang
	data.Email = strings.TrimSpace(r.PostFormValue("email"))
	data.Name = strings.TrimSpace(r.PostFormValue("name"))
	data.Offline = r.PostFormValue("offline") == "on"
	if v := r.PostFormValue("devices"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > deviceChoices[len(deviceChoices)-1] {
			data.Error = msg(lang, "bad.devices")
			return http.StatusBadRequest
		}
		data.Devices = n
	}
	if v := r.PostFormValue("connectivity"); v != "" {
		ok := false
		for _, c := range connChoices {
			ok = ok || v == c
		}
		if !ok {
			data.Error = msg(lang, "bad.connectivity")
			return http.StatusBadRequest
		}
		data.Connectivity = v
	}
	// The errors in the page's words: the command line's, in English and
	// for admins, mean little to the person filling the form.
	addr, err := address("email", data.Email)
	if err != nil {
		data.Error = fmt.Sprintf(msg(lang, "bad.email"), data.Email)
		return http.StatusBadRequest
	}
	if err := checkName(data.Name); err != nil {
		data.Error = msg(lang, "bad.name")
		return http.StatusBadRequest
	}
	d, ok := s.site.Load().domains[addr.Domain]
	if !ok {
		data.Error = fmt.Sprintf(msg(lang, "unknown.domain"), addr.Domain)
		return http.StatusNotFound
	}
	advice, err := s.advise(data)
	if err != nil {
		s.internalError(r, "advice", err)
		data.Error = msg(lang, "internal.error")
		return http.StatusInternalServerError
	}
	res := &pageResult{Protocol: advice.Recommendation.Protocol}
	opts := s.cfg.Options
	opts.Preferred = res.Protocol
	if days := advice.Recommendation.LeaveOnServerDays; days != nil {
		opts.LeaveOnServerDays = days
	}
	if !d.Offers(res.Protocol) {
		other := profiles.IMAP
		if res.Protocol == profiles.IMAP {
			other = profiles.POP3
		}
		res.NotOffered = fmt.Sprintf(msg(lang, "not.offered"), strings.ToUpper(res.Protocol), strings.ToUpper(other))
		opts.Preferred = other
	}
	res.ProtocolName = strings.ToUpper(res.Protocol)
	for _, c := range advice.Contributions {
		if c.Favours != res.Protocol {
			continue
		}
		if words, ok := reasonWords(lang, c.Rule, data.Devices); ok {
			res.Reasons = append(res.Reasons, words)
		} else {
			res.Reasons = append(res.Reasons, c.Reason) // English: a rule the page does not know
		}
	}
	p, err := s.plan(d, addr, data.Name, opts)
	if err != nil {
		data.Error = err.Error()
		return http.StatusBadRequest
	}
	sheet := profiles.NewSheet(p)
	res.Account = sheet.Account
	res.Tables = []pageTable{
		{Caption: msg(lang, "incoming"), Rows: rows(lang, sheet.Incoming)},
		{Caption: msg(lang, "outgoing"), Rows: rows(lang, sheet.Outgoing)},
	}
	if sheet.LeaveOnServerDays != nil && opts.Preferred == profiles.POP3 {
		res.LeaveDays = *sheet.LeaveOnServerDays
	}
	q := url.Values{"emailaddress": {addr.Full}, "protocol": {opts.Preferred}}
	if data.Name != "" {
		q.Set("name", data.Name)
	}
	res.AppleURL = "/mobileconfig?" + q.Encode()
	res.ThunderbirdURL = "/mail/config-v1.1.xml?" + url.Values{"emailaddress": {addr.Full}}.Encode()
	// The QR code holds a whole link: made only for a host the server
	// answers for (the other links are relative).
	if base, ok := s.baseURL(w, r, false); ok {
		qr, err := qrSVG(base+res.AppleURL, msg(lang, "qr.label"))
		if err != nil {
			s.internalError(r, "qr", err)
			data.Error = msg(lang, "internal.error")
			return http.StatusInternalServerError
		}
		res.QR = qr
	}
	data.Result = res
	return http.StatusOK
}

// advise scores the person's answers: one person (the advisor fits the
// other defaults to that size: no shared mailboxes, a provider's
// mailbox), their devices, offline needs and connection.
func (s *Server) advise(data *pageData) (*advisor.Result, error) {
	sc := advisor.DefaultScenario()
	sc.Users = 1
	sc.DevicesPerUser = float64(data.Devices)
	sc.OfflineAccess = data.Offline
	sc.Connectivity = data.Connectivity
	sc.MobileShare = 0 // not asked: no reason about it
	given := advisor.Provenance{"users": advisor.SourceFlag, "devices_per_user": advisor.SourceFlag,
		"offline_access": advisor.SourceFlag, "connectivity": advisor.SourceFlag, "mobile_share": advisor.SourceFlag}
	advisor.FitDefaults(&sc, given)
	return s.cfg.Advisor.Advise(sc, advisor.Options{})
}

func rows(lang string, in []profiles.SheetRow) []pageRow {
	out := make([]pageRow, 0, len(in))
	for _, r := range in {
		out = append(out, pageRow{Protocol: strings.ToUpper(r.Protocol), Server: r.Server, Port: r.Port,
			Security: msg(lang, "sec."+r.Security), Username: r.Username})
	}
	return out
}

// internalError logs what the page hides from its reader: the person sees
// "something went wrong on our side", the operator the cause.
func (s *Server) internalError(r *http.Request, step string, err error) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "page",
			slog.String("step", step), slog.String("error", err.Error()))
	}
}
