package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// testDate is the reports' date in tests (and goldens).
var testDate = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// testInput is the input of the report of the default scenario changed
// by change (nil: unchanged), in lang.
func testInput(t testing.TB, lang l10n.Lang, client string, change func(*advisor.Scenario)) Input {
	t.Helper()
	a, err := advisor.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s := advisor.DefaultScenario()
	prov := advisor.Provenance{}
	if change != nil {
		change(&s)
		prov["users"] = advisor.SourceFlag
	}
	assumed := advisor.FitDefaults(&s, prov)
	res, err := a.Advise(s, advisor.Options{BreakEven: true, Estimates: true, Assumptions: assumed, Lang: lang,
		Uncertainty: &advisor.UncertaintyOptions{Draws: 2000, Seed: advisor.DefaultSeed}})
	if err != nil {
		t.Fatal(err)
	}
	return Input{Result: res, Rules: a.Rules(), Client: client, Date: testDate, Version: "v1.2.3", Lang: lang}
}

// newTestDoc builds the report of testInput.
func newTestDoc(t testing.TB, lang l10n.Lang, client string, change func(*advisor.Scenario)) *Document {
	t.Helper()
	d, err := New(testInput(t, lang, client, change))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// scenarios reach every path of the report: team and one person, POP3,
// vetoes and no feasible option, self-hosting.
var scenarios = map[string]func(*advisor.Scenario){
	"default": func(*advisor.Scenario) {},
	"one person": func(s *advisor.Scenario) {
		s.Users, s.DevicesPerUser, s.MobileShare = 1, 1, 0
	},
	"pop3": func(s *advisor.Scenario) {
		s.DevicesPerUser, s.OfflineAccess, s.EndpointBackups, s.Connectivity = 1, true, true, advisor.ConnectivityIntermittent
		s.SharedMailboxes, s.CentralBackup, s.MobileShare, s.Hosting = false, false, 0, advisor.HostingSelf
	},
	"nothing fits": func(s *advisor.Scenario) {
		b := 10.0
		s.LocalStorageOnly, s.BudgetEURPerYear = true, &b
	},
	"a budget near the price": func(s *advisor.Scenario) {
		b := 2500.0
		s.Users, s.DevicesPerUser, s.BudgetEURPerYear = 35, 2.5, &b
	},
}

// Every text of the report has its French.
func TestReportFrenchIsComplete(t *testing.T) {
	for name, change := range scenarios {
		d := newTestDoc(t, l10n.French, "Dupont", change)
		var b bytes.Buffer
		if err := d.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		for _, key := range d.Missing() {
			t.Errorf("%s: no French for %q", name, key)
		}
	}
	for key := range fieldLabels {
		if !l10n.New(l10n.French).Has(fieldLabels[key]) {
			t.Errorf("field %s: no French for its label %q", key, fieldLabels[key])
		}
	}
}

// The report has every part the issue lists, in both languages, and the
// three charts.
func TestReportSections(t *testing.T) {
	want := []string{"summary", "scenario", "recommendation", "cost", "co2", "uncertainty", "changes", "security", "next-steps", "sources"}
	for _, lang := range l10n.Langs {
		d := newTestDoc(t, lang, "", nil)
		var ids []string
		for _, s := range d.Sections {
			ids = append(ids, s.ID)
			if s.Title == "" || len(s.Blocks) == 0 {
				t.Errorf("%s: section %s is empty", lang, s.ID)
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: sections %q, want %q", lang, ids, want)
		}
		if len(d.Charts) != 4 {
			t.Errorf("%s: %d charts, want 4 (scores, cost, co2, tornado)", lang, len(d.Charts))
		}
	}
}

func TestSummaryInWords(t *testing.T) {
	d := newTestDoc(t, l10n.English, "", nil)
	summary := d.Sections[0].Blocks[0].Text
	for _, want := range []string{"We recommend IMAP hosted by a provider: about €2,640 a year, €12,434 over 3 years",
		"Confidence: strong.", "The main reasons: shared mailboxes and team folders (assumed: shared mailboxes or folders); central backup is required (assumed: central backup required)."} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary %q lacks %q", summary, want)
		}
	}
	// The uncertainty in one sentence, in both languages.
	for lang, want := range map[l10n.Lang]string{
		l10n.English: "IMAP hosted by a provider is the answer in 91% of 2,000 plausible cases; it loses mainly when the price per mailbox (hosted IMAP) is above €5.93 a month.",
		l10n.French:  "IMAP hébergé par un prestataire est la réponse dans 91\u00a0% des 2\u00a0000 cas plausibles ; elle perd surtout quand « prix par boîte (IMAP hébergé) » dépasse 5,93\u00a0€ par mois.",
	} {
		near := newTestDoc(t, lang, "", scenarios["a budget near the price"])
		if got := near.Sections[0].Blocks[0].Text; !strings.HasSuffix(got, want) {
			t.Errorf("%s: summary %q, want it to end in %q", lang, got, want)
		}
	}
	if got := d.Sections[0].Blocks[1].Text; got != "The answer would change if “Yearly mail budget” fell to €2,639 or less (then POP3) or “Policy: no mail on remote servers” changed to yes (then POP3)." {
		t.Errorf("what would change it: %q", got)
	}
	// Reasons resting on what the client said come before assumed ones.
	in := testInput(t, l10n.English, "", nil)
	s := advisor.DefaultScenario()
	assumed := advisor.FitDefaults(&s, advisor.Provenance{"central_backup": advisor.SourceFlag})
	a, err := advisor.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if in.Result, err = a.Advise(s, advisor.Options{BreakEven: true, Estimates: true, Assumptions: assumed}); err != nil {
		t.Fatal(err)
	}
	given, err := New(in)
	if err != nil {
		t.Fatal(err)
	}
	if s := given.Sections[0].Blocks[0].Text; !strings.Contains(s, "The main reasons: central backup is required; shared mailboxes and team folders (assumed: shared mailboxes or folders).") {
		t.Errorf("a given input's reason first: %q", s)
	}
	fr := newTestDoc(t, l10n.French, "", nil)
	if s := fr.Sections[0].Blocks[0].Text; !strings.Contains(s, "2\u00a0640\u00a0€ par an") {
		t.Errorf("French summary: %q", s)
	}
}
