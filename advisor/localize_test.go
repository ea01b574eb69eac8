package advisor

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

var placeholderRE = regexp.MustCompile(`\{[^}]*\}`)

// Every built-in rule reads in French too, with only placeholders the
// English reason has (a French reason may leave an English word value
// such as {connectivity} out).
func TestBuiltinRulesHaveFrench(t *testing.T) {
	rs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules() {
		fr, ok := r.Translations["fr"]
		if !ok {
			t.Errorf("rule %s: no French (translations: fr:)", r.ID)
			continue
		}
		en := placeholderRE.FindAllString(r.Reason, -1)
		for _, ph := range placeholderRE.FindAllString(fr.Reason, -1) {
			if !slices.Contains(en, ph) {
				t.Errorf("rule %s: French placeholder %s is not in the English reason %q", r.ID, ph, r.Reason)
			}
		}
	}
}

func TestAdviseInFrench(t *testing.T) {
	a, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultScenario()
	s.MobileShare = 0.35
	budget := 100.0
	s.BudgetEURPerYear = &budget
	en, err := a.Advise(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fr, err := a.Advise(s, Options{Lang: l10n.French})
	if err != nil {
		t.Fatal(err)
	}
	if len(en.Contributions) != len(fr.Contributions) || len(en.Vetoes) != len(fr.Vetoes) || len(en.Warnings) != len(fr.Warnings) {
		t.Fatalf("the language changed the result: %d/%d contributions, %d/%d vetoes", len(en.Contributions), len(fr.Contributions), len(en.Vetoes), len(fr.Vetoes))
	}
	for i, c := range fr.Contributions {
		if c.Reason != en.Contributions[i].Reason {
			t.Errorf("%s: the English reason changed with the language: %q", c.Rule, c.Reason)
		}
		if en.Contributions[i].Text != c.Reason {
			t.Errorf("%s: English Text %q, want the reason", c.Rule, en.Contributions[i].Text)
		}
		if c.Text == c.Reason {
			t.Errorf("%s: French Text is the English %q", c.Rule, c.Text)
		}
	}
	var mobile string
	for _, c := range fr.Contributions {
		if c.Rule == "mobile-users" {
			mobile = c.Text
		}
	}
	if !strings.HasPrefix(mobile, "35\u00a0% des personnes") {
		t.Errorf("mobile-users in French: %q", mobile)
	}
	for i, o := range fr.Options {
		if len(o.RuledOutText) != len(o.RuledOutBy) {
			t.Errorf("%s: %d French reasons for %d English ones", o.Option, len(o.RuledOutText), len(o.RuledOutBy))
		}
		for _, r := range o.RuledOutText {
			if !strings.Contains(r, "budget") || !strings.Contains(r, "2\u00a0640\u00a0€") && !strings.Contains(r, "2\u00a0000\u00a0€") {
				t.Errorf("%s: French ruled-out %q: want the budget in euros written the French way", o.Option, r)
			}
		}
		if !slices.Equal(en.Options[i].RuledOutText, en.Options[i].RuledOutBy) {
			t.Errorf("%s: English RuledOutText %q", o.Option, en.Options[i].RuledOutText)
		}
	}
}

// A French reason's numbers get a decimal comma; English keeps the point.
func TestReasonDecimalComma(t *testing.T) {
	rs, err := ParseRules(strings.NewReader(`rules:
  - id: r
    title: t
    when: "true"
    favours: imap
    points: "1"
    reason: "{users / 8} per team"
    translations:
      fr: {title: t, reason: "{users / 8} par équipe"}
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	models, err := DefaultModels()
	if err != nil {
		t.Fatal(err)
	}
	a := New(rs, models)
	s := DefaultScenario()
	s.Users = 12345
	for lang, want := range map[l10n.Lang]string{l10n.English: "1,543.13 per team", l10n.French: "1\u00a0543,13 par équipe"} {
		res, err := a.Advise(s, Options{Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Contributions[0].Text; got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}

func TestTranslationErrors(t *testing.T) {
	for _, tc := range []struct{ tr, want string }{
		{`de: {title: t, reason: r}`, `"de" is not a language code`},
		{`en: {title: t, reason: r}`, `"en" is not a language code`},
		{`fr: {title: t}`, "want both a title and a reason"},
		{`fr: {title: t, reason: "{nope"}`, "translations.fr.reason"},
	} {
		_, err := ParseRules(strings.NewReader(`rules:
  - id: r
    title: t
    when: "true"
    favours: imap
    points: "1"
    reason: r
    translations:
      `+tc.tr+"\n"), "test")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.tr, err, tc.want)
		}
	}
}
