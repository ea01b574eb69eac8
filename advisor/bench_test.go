package advisor

import "testing"

// BenchmarkAdvise scores one scenario: every rule with its reason, the
// vetoes, warnings and endpoints; no sensitivity search, no estimates.
// It cycles through the presets, so that no two calls in a row score the
// same scenario.
func BenchmarkAdvise(b *testing.B) {
	a := builtinAdvisor(b)
	presets, err := Presets()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := a.Advise(presets[i%len(presets)].Scenario, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scenarios/s")
}

// BenchmarkAdviseWithEstimates adds the cost and CO2 sections with their
// breakdowns, as every `advise` and batch row does.
func BenchmarkAdviseWithEstimates(b *testing.B) {
	a := builtinAdvisor(b)
	s := DefaultScenario()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Advise(s, Options{Estimates: true}); err != nil {
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
				if _, err := a.Advise(s, Options{BreakEven: true}); err != nil {
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
