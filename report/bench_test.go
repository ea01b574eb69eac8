package report

import (
	"io"
	"testing"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// benchInput is the advice a report is made of (the default scenario,
// with estimates and break-even), computed once.
func benchInput(b *testing.B, lang l10n.Lang) Input {
	b.Helper()
	rs, err := advisor.BuiltinRules()
	if err != nil {
		b.Fatal(err)
	}
	models, err := advisor.DefaultModels()
	if err != nil {
		b.Fatal(err)
	}
	s := advisor.DefaultScenario()
	assumed := advisor.FitDefaults(&s, advisor.Provenance{})
	res, err := advisor.New(rs, models).Advise(s, advisor.Options{BreakEven: true, Estimates: true, Assumptions: assumed, Lang: lang})
	if err != nil {
		b.Fatal(err)
	}
	return Input{Result: res, Rules: rs.Rules(), Client: "Dupont", Date: testDate, Version: "v1", Lang: lang}
}

// The peer: the advice the report needs (scores, estimates, break-even),
// which `report` computes before it builds the document.
func BenchmarkAdviceForReport(b *testing.B) {
	rs, err := advisor.BuiltinRules()
	if err != nil {
		b.Fatal(err)
	}
	models, err := advisor.DefaultModels()
	if err != nil {
		b.Fatal(err)
	}
	a := advisor.New(rs, models)
	s := advisor.DefaultScenario()
	assumed := advisor.FitDefaults(&s, advisor.Provenance{})
	for b.Loop() {
		if _, err := a.Advise(s, advisor.Options{BreakEven: true, Estimates: true, Assumptions: assumed, Lang: l10n.French}); err != nil {
			b.Fatal(err)
		}
	}
}

// The document and its three charts, written as HTML.
func BenchmarkReportHTML(b *testing.B) {
	in := benchInput(b, l10n.French)
	for b.Loop() {
		d, err := New(in)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.WriteHTML(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReportMarkdown(b *testing.B) {
	in := benchInput(b, l10n.French)
	links := map[string]string{"scores": "s.svg", "cost": "c.svg", "co2": "k.svg"}
	for b.Loop() {
		d, err := New(in)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.WriteMarkdown(io.Discard, links); err != nil {
			b.Fatal(err)
		}
	}
}
