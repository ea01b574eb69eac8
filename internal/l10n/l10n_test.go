package l10n

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Lang{"en": English, "fr": French, "FR": French, "fr_FR.UTF-8": French,
		"fr-CA": French, "en_GB@euro": English, " fr ": French} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "de", "C", "POSIX", "french"} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), "want one of en, fr") {
			t.Errorf("Parse(%q): error %v, want one naming en, fr", in, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want Lang
	}{
		{nil, English},
		{map[string]string{"LANG": "fr_FR.UTF-8"}, French},
		{map[string]string{"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, English},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_BE.UTF-8"}, French},
		{map[string]string{"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, English},
		{map[string]string{"LC_ALL": "fr_CH.UTF-8", "LC_MESSAGES": "en_US"}, French},
		{map[string]string{"LANG": "de_DE.UTF-8"}, English},
	} {
		if got := FromEnv(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestNumbers(t *testing.T) {
	en, fr := New(English), New(French)
	for _, tc := range []struct{ got, want string }{
		{en.Amount(2000, "EUR"), "€2,000"},
		{fr.Amount(2000, "EUR"), "2\u00a0000\u00a0€"},
		{en.Amount(1234.5, "CHF"), "CHF\u00a01,235"},
		{fr.Amount(1234.5, "CHF"), "1\u00a0235\u00a0CHF"},
		{en.AmountDecimals(4.4, "EUR", 2), "€4.40"},
		{fr.AmountDecimals(4.4, "EUR", 2), "4,40\u00a0€"},
		{en.Number(1135.2, 2), "1,135.20"},
		{fr.Number(4.4, 1), "4,4"},
		{fr.Number(-0.0001, 1), "0,0"},
		{en.Percent(0.3), "30%"},
		{fr.Percent(0.3), "30\u00a0%"},
		{en.Date(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)), "30 November 2026"},
		{fr.Date(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)), "30 novembre 2026"},
		{fr.Date(time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)), "1er août 2026"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// Every message has its French, with the same formatting verbs: the
// catalogue cannot drop or add an argument.
func TestEveryMessageInBothLanguages(t *testing.T) {
	if len(keys()) == 0 {
		t.Fatal("empty catalogue")
	}
	for k := range reportFrench() {
		if _, dup := french()[k]; dup {
			t.Errorf("%q is in both catalogues", k)
		}
	}
	for _, key := range keys() {
		fr, _ := Translation(key)
		if strings.TrimSpace(fr) == "" {
			t.Errorf("%q: empty French", key)
			continue
		}
		ek, fk := verbRE.FindAllString(key, -1), verbRE.FindAllString(fr, -1)
		slices.Sort(ek)
		slices.Sort(fk)
		if !slices.Equal(ek, fk) {
			t.Errorf("%q: verbs %q, French %q has %q", key, ek, fr, fk)
		}
	}
}

func TestMissingIsRecorded(t *testing.T) {
	p := New(French)
	if got := p.T("Score: IMAP %s, POP3 %s", "107", "1"); got != "Score : IMAP 107, POP3 1" {
		t.Errorf("T: %q", got)
	}
	if got := p.T("not in the catalogue %s", "x"); got != "not in the catalogue x" {
		t.Errorf("fallback: %q", got)
	}
	if got := p.Missing(); !slices.Equal(got, []string{"not in the catalogue %s"}) {
		t.Errorf("Missing: %q", got)
	}
	if New(English).T("anything") != "anything" || len(New(English).Missing()) != 0 {
		t.Error("English is the key itself")
	}
}

// The serve page's catalogue: every key in both languages.
func TestPageMessagesInBothLanguages(t *testing.T) {
	for _, tables := range []map[Lang]map[string]string{pageMessages(), pageRuleWords()} {
		for key := range tables[English] {
			if tables[French][key] == "" {
				t.Errorf("%q: no French", key)
			}
		}
		for key := range tables[French] {
			if tables[English][key] == "" {
				t.Errorf("%q: no English", key)
			}
		}
	}
	if PageText(French, "title") == PageText(English, "title") || PageText("de", "title") != PageText(English, "title") {
		t.Error("PageText: want French for fr, English for any other language")
	}
}

// keys lists the catalogue's keys, sorted (for tests).
func keys() []string {
	out := make([]string, 0, len(french())+len(reportFrench()))
	for _, m := range catalogues() {
		for k := range m {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
