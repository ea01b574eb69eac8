// Package lint checks mail files someone already has: client
// configuration (Thunderbird autoconfig, Apple .mobileconfig, Outlook
// autodiscover responses) and server configuration (dovecot.conf, Postfix
// main.cf and master.cf, DNS zone files, fail2ban jails, PACC documents). It recognises a file by its
// content and reports findings with the line, the rule, a severity, what
// is wrong and the fix.
//
// The rules are data (rules.yaml: id, kind of file, severity, summary,
// why, fix); each has a check function of the same id. The package never
// prints: it returns findings and writes them to the io.Writer it is
// given.
package lint

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Severity of a finding.
type Severity int

// The severities, from the least to the most severe.
const (
	Info Severity = iota
	Warning
	Error
)

var severityNames = []string{"info", "warning", "error"}

func (s Severity) String() string { return severityNames[s] }

// MarshalText writes the severity's name (JSON and YAML).
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity reads error, warning or info.
func ParseSeverity(name string) (Severity, error) {
	if i := slices.Index(severityNames, name); i >= 0 {
		return Severity(i), nil
	}
	return 0, fmt.Errorf("%q is not a severity: want one of error, warning, info", name)
}

// Kinds of file.
const (
	KindAutoconfig    = "autoconfig"
	KindMobileconfig  = "mobileconfig"
	KindAutodiscover  = "autodiscover"
	KindDovecot       = "dovecot"
	KindPostfixMain   = "postfix-main"
	KindPostfixMaster = "postfix-master"
	KindZone          = "zone"
	KindFail2ban      = "fail2ban"
	KindPACC          = "pacc"
)

// Kinds lists every kind of file lint reads.
var Kinds = []string{KindAutoconfig, KindMobileconfig, KindAutodiscover, KindDovecot, KindPostfixMain, KindPostfixMaster, KindZone, KindFail2ban, KindPACC}

// Rule is one check, as rules.yaml describes it.
type Rule struct {
	ID       string   `yaml:"id" json:"id"`
	Kind     string   `yaml:"kind" json:"kind"`
	Severity Severity `yaml:"severity" json:"severity"`
	Summary  string   `yaml:"summary" json:"summary"`
	Why      string   `yaml:"why" json:"why"`
	Fix      string   `yaml:"fix" json:"fix"`
}

// Finding is one problem in one file.
type Finding struct {
	File     string   `json:"file"`
	Line     int      `json:"line"` // 0: the whole file
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"` // what is wrong, here
	Fix      string   `json:"fix"`
	// Change, against a baseline (Diff): "new" for a finding the
	// baseline lacks, "fixed" for one of the baseline's that is gone.
	Change string `json:"change,omitempty"`
}

// Diff compares findings with a baseline's (an earlier run of the same
// files): it returns now with the findings the baseline lacks marked new,
// and the baseline's findings that are gone, marked fixed. Findings are
// the same when their file, rule and message are (not their line: a line
// added above moves them).
func Diff(baseline, now []Finding) (marked, fixed []Finding) {
	key := func(f Finding) string { return f.File + "\x00" + f.Rule + "\x00" + f.Message }
	left := map[string]int{}
	for _, f := range baseline {
		left[key(f)]++
	}
	marked = make([]Finding, len(now))
	for i, f := range now {
		f.Change = ""
		if left[key(f)] > 0 {
			left[key(f)]--
		} else {
			f.Change = "new"
		}
		marked[i] = f
	}
	seen := map[string]int{}
	for _, f := range now {
		seen[key(f)]++
	}
	for _, f := range baseline {
		if seen[key(f)] > 0 {
			seen[key(f)]--
			continue
		}
		f.Change = "fixed"
		fixed = append(fixed, f)
	}
	return marked, fixed
}

//go:embed rules.yaml
var rulesYAML []byte

// Rules returns every rule, in the order of rules.yaml.
var Rules = sync.OnceValue(func() []Rule {
	var doc struct {
		Rules []Rule `yaml:"rules"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(rulesYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		panic("lint: rules.yaml: " + err.Error()) // embedded, checked by the tests
	}
	return doc.Rules
})

// RuleByID returns the rule with that id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// ErrUnknownKind is returned for a file lint does not recognise.
var ErrUnknownKind = errors.New("not a file mailadvisor lint reads: want Thunderbird autoconfig, an Apple .mobileconfig, an autodiscover response, dovecot.conf, Postfix main.cf or master.cf, a DNS zone file, a fail2ban jail file, or a PACC document")

// report collects one file's findings.
type report struct {
	file     string
	findings []Finding
	parent   *report // for an included file: the given file's report, which holds the findings
}

// in is the report for findings in the included file rel ("" for the
// file given), which share this one's list.
func (r *report) in(rel string) *report {
	if rel == "" {
		return r
	}
	return &report{file: path.Join(path.Dir(r.file), rel), parent: r}
}

// addIn records a finding in the included file rel ("" for the file
// given).
func (r *report) addIn(rel, id string, line int, format string, args ...any) {
	r.in(rel).add(id, line, format, args...)
}

// add records a finding of rule id at line; format and args say what is
// wrong there.
func (r *report) add(id string, line int, format string, args ...any) {
	rule, ok := RuleByID(id)
	if !ok {
		panic("lint: no rule " + id) // a check names a rule rules.yaml lacks: the tests catch it
	}
	f := Finding{File: r.file, Line: line, Rule: id, Severity: rule.Severity,
		Message: fmt.Sprintf(format, args...), Fix: rule.Fix}
	for r.parent != nil {
		r = r.parent
	}
	r.findings = append(r.findings, f)
}

// Options are what Lint may read beside the file.
type Options struct {
	// Dir is the directory of the file, where the files it includes are
	// read (Dovecot's !include and !include_try, relative to it); nil
	// reads none.
	Dir fs.FS
	// DirPath is Dir's path, to follow an absolute include inside it.
	DirPath string
	// PACCRecords are the TXT records of _ua-auto-config.<domain> a PACC
	// document is checked against (v=UAAC1; a=sha256; d=...).
	PACCRecords []string
}

// Lint recognises the file by its content and checks it; name is only
// used in the findings. It returns the kind it read the file as, and an
// error (ErrUnknownKind) when it cannot tell.
func Lint(name string, data []byte) (string, []Finding, error) {
	return LintWith(name, data, Options{})
}

// LintWith is Lint that follows the file's includes within opts.Dir; a
// finding in an included file names it (its path beside name).
func LintWith(name string, data []byte, opts Options) (string, []Finding, error) {
	kind := Detect(data)
	if kind == "" {
		return "", nil, ErrUnknownKind
	}
	r := &report{file: name}
	switch kind {
	case KindAutoconfig:
		checkAutoconfig(r, data)
	case KindMobileconfig:
		checkMobileconfig(r, data)
	case KindAutodiscover:
		checkAutodiscover(r, data)
	case KindDovecot:
		checkDovecot(r, data, opts)
	case KindPostfixMain:
		checkPostfixMain(r, data)
	case KindPostfixMaster:
		checkPostfixMaster(r, data)
	case KindZone:
		checkZone(r, data)
	case KindFail2ban:
		checkFail2ban(r, data)
	case KindPACC:
		checkPACC(r, data, opts)
	}
	// The file given first, then each included file, each by line.
	sort.SliceStable(r.findings, func(i, j int) bool {
		a, b := r.findings[i], r.findings[j]
		if (a.File == name) != (b.File == name) {
			return a.File == name
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return kind, r.findings, nil
}

// Detect tells the kind of a file from its content ("" when it cannot).
func Detect(data []byte) string {
	head := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte("bplist00")):
		return KindMobileconfig
	case len(head) > 2 && head[0] == 0x30 && head[1]&0x80 != 0: // DER: a signed profile
		return KindMobileconfig
	case bytes.HasPrefix(head, []byte("{")):
		if isPACC(head) {
			return KindPACC
		}
		return ""
	case bytes.HasPrefix(head, []byte("<")):
		root := xmlRoot(head)
		switch {
		case root == "clientConfig":
			return KindAutoconfig
		case strings.EqualFold(root, "Autodiscover"):
			return KindAutodiscover
		case root == "plist":
			return KindMobileconfig
		}
		return ""
	}
	if isJailFile(head) {
		return KindFail2ban
	}
	// A text file: the first kind any line shows, in this order.
	var zone, master, dovecot, main bool
	for line := range strings.Lines(string(head)) {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		zone = zone || f[0] == "$ORIGIN" || zoneLine(f)
		master = master || len(f) >= 8 && slices.Contains([]string{"inet", "unix", "fifo", "pass", "unix-dgram"}, f[1])
		key, _, isSetting := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		dovecot = dovecot || isSetting && slices.Contains(dovecotKeys, key) || strings.HasPrefix(f[0], "!include") ||
			strings.HasSuffix(strings.TrimSpace(line), "{") && slices.Contains([]string{"passdb", "userdb", "service", "protocol"}, f[0])
		main = main || isSetting && (slices.Contains(postfixKeys, key) ||
			strings.HasPrefix(key, "smtpd_") || strings.HasPrefix(key, "smtp_") || strings.HasPrefix(key, "virtual_"))
	}
	switch {
	case zone:
		return KindZone
	case master:
		return KindPostfixMaster
	case dovecot:
		return KindDovecot
	case main:
		return KindPostfixMain
	}
	return ""
}

// Settings that only Dovecot or only Postfix main.cf has.
var (
	dovecotKeys = []string{"protocols", "dovecot_config_version", "mail_location", "mail_driver", "disable_plaintext_auth",
		"auth_allow_cleartext", "ssl_cert", "ssl_server_cert_file", "first_valid_uid"}
	postfixKeys = []string{"myhostname", "mydomain", "mydestination", "mynetworks", "relayhost", "inet_interfaces", "compatibility_level"}
)

// zoneLine reports whether fields are a resource record of type SOA, MX
// or NS: NAME [TTL] [IN] TYPE.
func zoneLine(f []string) bool {
	for i := 1; i < len(f) && i <= 3; i++ {
		switch f[i] {
		case "SOA", "MX", "NS":
			return true
		case "IN":
		default:
			if _, err := strconv.Atoi(f[i]); err != nil {
				return false
			}
		}
	}
	return false
}

// Count is how many findings are at or above each severity.
func Count(findings []Finding, atLeast Severity) int {
	n := 0
	for _, f := range findings {
		if f.Severity >= atLeast {
			n++
		}
	}
	return n
}
