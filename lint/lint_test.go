package lint

import (
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/corpus")

func TestRulesFile(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if !slices.Contains(Kinds, r.Kind) {
			t.Errorf("rule %s: kind %q is not one of %q", r.ID, r.Kind, Kinds)
		}
		if r.Summary == "" || r.Why == "" || r.Fix == "" {
			t.Errorf("rule %s: want a summary, a why and a fix", r.ID)
		}
	}
}

// Every rule has a file that triggers it and one that does not
// (testdata/rules/ID.txtar: bad.EXT and good.EXT; good.EXT.base64 for a
// binary file; NAME.record, the PACC records NAME is checked against), and
// every case file names a rule.
func TestEveryRuleHasCases(t *testing.T) {
	files, err := filepath.Glob("testdata/rules/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range files {
		have[strings.TrimSuffix(filepath.Base(f), ".txtar")] = true
	}
	for _, r := range Rules() {
		if !have[r.ID] {
			t.Errorf("rule %s has no testdata/rules/%s.txtar", r.ID, r.ID)
		}
	}
	for id := range have {
		if _, ok := RuleByID(id); !ok {
			t.Errorf("testdata/rules/%s.txtar names no rule", id)
		}
	}
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".txtar")
		rule, _ := RuleByID(id)
		ar, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var bad, good bool
		// NAME.record holds the TXT records the PACC document NAME is
		// checked against (Options.PACCRecords), one a line.
		records := map[string][]string{}
		for _, file := range ar.Files {
			if target, ok := strings.CutSuffix(file.Name, ".record"); ok {
				records[target] = strings.Split(strings.TrimSpace(string(file.Data)), "\n")
			}
		}
		for _, file := range ar.Files {
			data := file.Data
			name := file.Name
			if strings.HasSuffix(name, ".record") {
				continue
			}
			opts := Options{PACCRecords: records[name]}
			if strings.HasSuffix(name, ".base64") {
				if data, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(data), "\n", "")); err != nil {
					t.Fatalf("%s: %s: %v", f, name, err)
				}
				name = strings.TrimSuffix(name, ".base64")
			}
			kind, findings, err := LintWith(name, data, opts)
			if err != nil {
				t.Errorf("%s: %s: %v", id, name, err)
				continue
			}
			if kind != rule.Kind {
				t.Errorf("%s: %s read as %s, want %s", id, name, kind, rule.Kind)
			}
			found := slices.ContainsFunc(findings, func(fd Finding) bool { return fd.Rule == id })
			switch {
			case strings.HasPrefix(name, "bad."):
				bad = true
				if !found {
					t.Errorf("%s: %s does not trigger it; findings: %v", id, name, findings)
				}
			case strings.HasPrefix(name, "good."):
				good = true
				if found {
					t.Errorf("%s: %s triggers it: %v", id, name, findings)
				}
			}
		}
		if !bad || !good {
			t.Errorf("%s: want both a bad and a good file", id)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct{ text, kind string }{
		{"hello", ""},
		{"<html></html>", ""},
		{"{\"a\": 1}", ""},
		{"\ufeff<?xml version=\"1.0\"?><clientConfig/>", KindAutoconfig},
		{"myhostname = mail.example.com\n", KindPostfixMain},
		{"smtp      inet  n       -       y       -       -       smtpd\n", KindPostfixMaster},
		{"protocols = imap\n", KindDovecot},
		{"$ORIGIN example.com.\n@ IN MX 10 mail\n", KindZone},
	} {
		if got := Detect([]byte(tc.text)); got != tc.kind {
			t.Errorf("Detect(%q) = %q, want %q", tc.text, got, tc.kind)
		}
	}
	if _, _, err := Lint("x", []byte("hello")); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown file: %v", err)
	}
}

// A corpus of real-world-shaped files (hand-written autoconfig, an old
// iPhone profile, a legacy Dovecot and Postfix, a zone with two SPF
// records...), checked against golden outputs (go test ./lint -update
// after an intended change).
func TestCorpusGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, findings, err := Lint(filepath.Base(f), data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(findings) == 0 {
			t.Errorf("%s: no findings: the corpus holds files with problems", f)
		}
		var b strings.Builder
		if err := WriteText(&b, findings); err != nil {
			t.Fatal(err)
		}
		golden := f + ".golden"
		if *update {
			if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test ./lint -update writes it)", err)
		}
		if b.String() != string(want) {
			t.Errorf("%s: output differs from %s:\n%s", f, golden, b.String())
		}
	}
}
