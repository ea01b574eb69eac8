package profiles

import (
	"bytes"
	"testing"
)

// BenchmarkGenerate measures one account's files in each format.
func BenchmarkGenerate(b *testing.B) {
	p := examplePlan(b, "alice@example.com", Options{})
	for _, g := range generators {
		b.Run(g.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := g.write(&buf, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("plan", func(b *testing.B) {
		d := exampleDomain(b)
		b.ReportAllocs()
		for b.Loop() {
			a, _ := ParseAddress("email", "alice@example.com")
			if _, err := NewPlan(d, &a, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
