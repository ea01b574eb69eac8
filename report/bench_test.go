package report

import (
	"io"
	"testing"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// The peer: the advice the report needs (scores, estimates, break-even),
// which `report` computes before it builds the document.
func BenchmarkAdviceForReport(b *testing.B) {
	a, err := advisor.Builtin()
	if err != nil {
		b.Fatal(err)
	}
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
	in := testInput(b, l10n.French, "Dupont", nil)
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
	in := testInput(b, l10n.French, "Dupont", nil)
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
