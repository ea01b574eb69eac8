package lint

import (
	"fmt"
	"io"
	"io/fs"
	"iter"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/lazyregexp"
)

// numberedLines yields each line of data, without its line break, with
// its number from 1.
func numberedLines(data []byte) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		n := 0
		for line := range strings.Lines(string(data)) {
			n++
			if !yield(n, strings.TrimRight(line, "\r\n")) {
				return
			}
		}
	}
}

// setting is one key = value of a configuration file, with its line and,
// for Dovecot, the section it is in ("" at the top level) and the file it
// is in ("" for the file given).
type setting struct {
	key, value string
	line       int
	section    string
	file       string
}

// maxIncludeDepth and maxIncluded bound Dovecot's !include: Debian's
// stock configuration goes two deep and reads about twenty files.
const (
	maxIncludeDepth = 8
	maxIncluded     = 500
	maxIncludedSize = 1 << 20
)

// dovecotReader reads dovecot.conf's settings, following { } sections and
// the files it includes (!include, !include_try) within the directory of
// the file given; what it cannot follow is an info finding.
type dovecotReader struct {
	r     *report
	opts  Options
	out   []setting
	stack []string
	read  map[string]bool // included files read, against loops
}

// file reads data, the file at rel (relative to the given file's
// directory, "" for the given file), whose directory is dir.
func (d *dovecotReader) file(data []byte, rel, dir string, depth int) {
	for n, raw := range numberedLines(data) {
		line := strings.TrimSpace(raw)
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "":
		case strings.HasPrefix(line, "!include"):
			d.include(line, rel, dir, n, depth)
		case strings.HasSuffix(line, "{"):
			d.stack = append(d.stack, strings.TrimSpace(strings.TrimSuffix(line, "{")))
		case line == "}":
			if len(d.stack) > 0 {
				d.stack = d.stack[:len(d.stack)-1]
			}
		default:
			if k, v, ok := strings.Cut(line, "="); ok {
				d.out = append(d.out, setting{key: strings.TrimSpace(k), value: strings.TrimSpace(v), line: n,
					section: strings.Join(d.stack, " / "), file: rel})
			}
		}
	}
}

// include follows one !include or !include_try line.
func (d *dovecotReader) include(line, rel, dir string, n, depth int) {
	verb, pattern, _ := strings.Cut(line, " ")
	if verb != "!include" && verb != "!include_try" {
		return
	}
	pattern = strings.Trim(strings.TrimSpace(pattern), `"`)
	note := func(format string, args ...any) {
		d.r.addIn(rel, "dovecot-include", n, "%s %s: "+format, append([]any{verb, pattern}, args...)...)
	}
	if d.opts.Dir == nil {
		note("not read (give the file by its path to follow it)")
		return
	}
	var full string
	if !path.IsAbs(pattern) {
		full = path.Join(dir, pattern)
	} else if inside, ok := strings.CutPrefix(pattern, strings.TrimSuffix(d.opts.DirPath, "/")+"/"); ok && d.opts.DirPath != "" {
		full = inside
	} else {
		note("outside the directory of the file given: not read")
		return
	}
	full = path.Clean(full)
	if full == ".." || strings.HasPrefix(full, "../") || !fs.ValidPath(full) {
		note("outside the directory of the file given: not read")
		return
	}
	matches, err := fs.Glob(d.opts.Dir, full)
	if err != nil || len(matches) == 0 {
		if verb == "!include" {
			note("matches no file")
		}
		return
	}
	if depth >= maxIncludeDepth {
		note("included over %d deep: not read", maxIncludeDepth)
		return
	}
	for _, m := range matches {
		if d.read[m] {
			continue // read once: an include loop, or two patterns for one file
		}
		if len(d.read) >= maxIncluded {
			note("over %d files included: the rest is not read", maxIncluded)
			return
		}
		d.read[m] = true
		data, err := readBounded(d.opts.Dir, m, maxIncludedSize)
		switch {
		case err != nil && strings.Contains(err.Error(), "escapes"): // os.Root's refusal of a link out
			note("%s: a link out of the directory of the file given: not read", m)
			continue
		case err != nil:
			note("%s: %v", m, err)
			continue
		}
		d.file(data, m, path.Dir(m), depth+1)
	}
}

// readBounded reads a file of fsys, refusing one over limit bytes.
func readBounded(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		return nil, fmt.Errorf("over %d MiB", limit>>20)
	}
	return data, err
}

// Weak OpenSSL cipher names: enabled in a list unless preceded by ! or -.
var weakCipherRE = lazyregexp.New(`(?i)(^|[:, ])\+?(aNULL|eNULL|NULL|EXPORT|EXP|RC4|DES|3DES|MD5|LOW|ADH|AECDH)([:, ]|$)`)

func checkDovecot(r *report, data []byte, opts Options) {
	d := &dovecotReader{r: r, opts: opts, read: map[string]bool{path.Base(filepath.ToSlash(r.file)): true}} // the file given, not read again
	d.file(data, "", ".", 0)
	for _, s := range d.out {
		r := r.in(s.file)
		v := strings.ToLower(s.value)
		switch s.key {
		case "disable_plaintext_auth":
			if v == "no" {
				r.add("dovecot-cleartext-auth", s.line, "disable_plaintext_auth = no: passwords accepted over cleartext connections")
			}
		case "auth_allow_cleartext":
			if v == "yes" {
				r.add("dovecot-cleartext-auth", s.line, "auth_allow_cleartext = yes: passwords accepted over cleartext connections")
			}
		case "ssl":
			if v == "no" {
				r.add("dovecot-ssl-off", s.line, "ssl = no: IMAP and POP3 only in cleartext")
			}
		case "ssl_min_protocol":
			if weakTLS(s.value) {
				r.add("dovecot-tls-version", s.line, "ssl_min_protocol = %s accepts TLS below 1.2", s.value)
			}
		case "ssl_protocols": // Dovecot 2.2: a list with ! exclusions
			if postfixWeakProtocols(s.value) {
				r.add("dovecot-tls-version", s.line, "ssl_protocols = %s accepts TLS below 1.2", s.value)
			}
		case "ssl_cipher_list":
			if m := weakCipherRE().FindStringSubmatch(s.value); m != nil {
				r.add("dovecot-weak-ciphers", s.line, "ssl_cipher_list enables %s", m[2])
			}
		}
	}
}

// weakTLS reports whether a minimum protocol name is below TLS 1.2.
func weakTLS(v string) bool {
	switch strings.TrimSpace(v) {
	case "SSLv3", "TLSv1", "TLSv1.0", "TLSv1.1", "ANY":
		return true
	}
	return false
}

// postfixSettings reads main.cf's settings, joining continuation lines
// (those starting with whitespace) to the one before; a later setting of a
// key wins, as in Postfix.
func postfixSettings(data []byte) map[string]setting {
	out := map[string]setting{}
	var cur *setting
	flush := func() {
		if cur != nil {
			out[cur.key] = *cur
			cur = nil
		}
	}
	for n, raw := range numberedLines(data) {
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if cur != nil {
				cur.value += " " + trimmed
			}
			continue
		}
		flush()
		if k, v, ok := strings.Cut(raw, "="); ok {
			cur = &setting{key: strings.TrimSpace(k), value: strings.TrimSpace(v), line: n}
		}
	}
	flush()
	return out
}

// words splits a Postfix list (commas and spaces).
func words(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// permitsBeforeReject reports whether a restriction list lets mail through
// to any destination: an unconditional permit before
// reject_unauth_destination, or no reject_unauth_destination (nor a plain
// reject) at all.
func permitsBeforeReject(list []string) (string, bool) {
	for _, w := range list {
		switch w {
		case "reject_unauth_destination", "defer_unauth_destination", "reject":
			return "", false
		case "permit":
			return "permit before reject_unauth_destination", true
		}
	}
	return "no reject_unauth_destination", true
}

var zeroNetRE = regexp.MustCompile(`(^|[\s,])(0\.0\.0\.0/0|::/0|\[::\]/0)([\s,]|$)`)

func checkPostfixMain(r *report, data []byte) {
	s := postfixSettings(data)
	get := func(k string) (setting, bool) { v, ok := s[k]; return v, ok }
	relay, hasRelay := get("smtpd_relay_restrictions")
	rcpt, hasRcpt := get("smtpd_recipient_restrictions")
	switch {
	case hasRelay:
		if why, open := permitsBeforeReject(words(relay.value)); open {
			r.add("postfix-open-relay", relay.line, "smtpd_relay_restrictions: %s", why)
		}
	case hasRcpt:
		if why, open := permitsBeforeReject(words(rcpt.value)); open {
			r.add("postfix-open-relay", rcpt.line, "smtpd_recipient_restrictions (no smtpd_relay_restrictions): %s", why)
		}
	}
	if nets, ok := get("mynetworks"); ok && zeroNetRE.MatchString(nets.value) {
		r.add("postfix-open-relay", nets.line, "mynetworks holds the whole Internet: %s", nets.value)
	}
	for _, k := range []string{"smtpd_tls_protocols", "smtpd_tls_mandatory_protocols"} {
		if v, ok := get(k); ok && postfixWeakProtocols(v.value) {
			r.add("postfix-tls-version", v.line, "%s = %s accepts TLS below 1.2", k, v.value)
		}
	}
	if v, ok := get("smtpd_tls_mandatory_ciphers"); ok && (v.value == "export" || v.value == "low") {
		r.add("postfix-weak-ciphers", v.line, "smtpd_tls_mandatory_ciphers = %s", v.value)
	}
	if v, ok := get("smtpd_tls_ciphers"); ok && (v.value == "export" || v.value == "low") {
		r.add("postfix-weak-ciphers", v.line, "smtpd_tls_ciphers = %s", v.value)
	}
	if v, ok := get("smtpd_tls_exclude_ciphers"); ok {
		ex := strings.ToLower(strings.Join(words(v.value), " "))
		if !strings.Contains(ex, "anull") {
			r.add("postfix-weak-ciphers", v.line, "smtpd_tls_exclude_ciphers does not exclude aNULL (anonymous ciphers)")
		}
	}
	if sasl, ok := get("smtpd_sasl_auth_enable"); ok && sasl.value == "yes" {
		if only, ok := get("smtpd_tls_auth_only"); !ok || only.value != "yes" {
			line := sasl.line
			if ok {
				line = only.line
			}
			r.add("postfix-auth-without-tls", line, "smtpd_sasl_auth_enable = yes without smtpd_tls_auth_only = yes")
		}
	}
	// The restriction itself often sits in master.cf's submission
	// services; the map that binds senders to logins is main.cf's.
	if maps, ok := get("smtpd_sender_login_maps"); !ok || maps.value == "" {
		r.add("postfix-sender-login", 0, "no smtpd_sender_login_maps: reject_sender_login_mismatch has nothing to check senders against")
	}
	if v, ok := get("local_recipient_maps"); ok && v.value == "" {
		if _, virt := get("virtual_mailbox_maps"); !virt {
			r.add("postfix-recipients", v.line, "local_recipient_maps is empty: any recipient is accepted, then bounced")
		}
	}
	milters, ok1 := get("smtpd_milters")
	_, ok2 := get("non_smtpd_milters")
	if !ok1 && !ok2 || ok1 && milters.value == "" {
		r.add("postfix-no-dkim", 0, "no smtpd_milters or non_smtpd_milters: nothing signs outgoing mail")
	}
}

// postfixWeakProtocols reads a Postfix protocol list: ">=TLSv1.2", or
// exclusions ("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1"), or inclusions.
func postfixWeakProtocols(v string) bool {
	list := words(v)
	for _, w := range list {
		if strings.HasPrefix(w, ">=") {
			return weakTLS(strings.TrimPrefix(w, ">="))
		}
	}
	excluded := map[string]bool{}
	included := false
	for _, w := range list {
		if strings.HasPrefix(w, "!") {
			excluded[w[1:]] = true
		} else {
			included = true
			if w == "SSLv3" || w == "TLSv1" || w == "TLSv1.1" {
				return true
			}
		}
	}
	if included {
		return false
	}
	return !excluded["TLSv1"] || !excluded["TLSv1.1"]
}

// masterService is one master.cf service with its -o overrides.
type masterService struct {
	name, typ string
	line      int
	options   map[string]string
}

func masterServices(data []byte) []masterService {
	var out []masterService
	for n, raw := range numberedLines(data) {
		t := strings.TrimSpace(raw)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if len(out) == 0 {
				continue
			}
			f := strings.Fields(t)
			for i := 0; i < len(f); i++ {
				if f[i] == "-o" && i+1 < len(f) {
					k, v, _ := strings.Cut(f[i+1], "=")
					out[len(out)-1].options[k] = v
					i++
				} else if strings.HasPrefix(f[i], "-o") && len(f[i]) > 2 {
					k, v, _ := strings.Cut(f[i][2:], "=")
					out[len(out)-1].options[k] = v
				}
			}
			continue
		}
		f := strings.Fields(t)
		if len(f) >= 2 {
			out = append(out, masterService{name: f[0], typ: f[1], line: n, options: map[string]string{}})
		}
	}
	return out
}

func checkPostfixMaster(r *report, data []byte) {
	for _, s := range masterServices(data) {
		if s.typ != "inet" {
			continue
		}
		name := s.name
		if i := strings.LastIndex(name, ":"); i >= 0 {
			name = name[i+1:]
		}
		switch name {
		case "submission", "587":
			if s.options["smtpd_tls_security_level"] != "encrypt" {
				r.add("master-submission-tls", s.line, "%s: no -o smtpd_tls_security_level=encrypt", s.name)
			}
		case "submissions", "smtps", "465":
			if s.options["smtpd_tls_wrappermode"] != "yes" {
				r.add("master-submission-tls", s.line, "%s: no -o smtpd_tls_wrappermode=yes", s.name)
			}
		}
	}
}
