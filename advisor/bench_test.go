package advisor

import "testing"

// BenchmarkAdvise scores one scenario with reasons, without the
// sensitivity search: the per-scenario cost of `advise` and of a batch row.
func BenchmarkAdvise(b *testing.B) {
	a := builtinAdvisor(b)
	s := DefaultScenario()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Advise(s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scenarios/s")
}

// BenchmarkAdviseWithBreakEven adds the break-even search over every
// numeric input and the what-if flips, as `advise` does by default.
func BenchmarkAdviseWithBreakEven(b *testing.B) {
	a := builtinAdvisor(b)
	for _, preset := range []string{"sme-office", "low-bandwidth-site"} {
		s := mustPreset(preset)
		b.Run(preset, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Advise(s, Options{Sensitivity: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBuiltinRules compiles the embedded rules: a start-up cost of
// every command that scores.
func BenchmarkBuiltinRules(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuiltinRules(); err != nil {
			b.Fatal(err)
		}
	}
}
