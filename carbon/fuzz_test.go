package carbon

import (
	"strings"
	"testing"
)

// FuzzLoadParams: any parameters file is refused, or loads parameters
// that every model can use.
func FuzzLoadParams(f *testing.F) {
	f.Add(string(DefaultsYAML()))
	f.Add("per_message: {standard_g: -4}\n")
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := LoadParams(strings.NewReader(doc), "fuzz.yaml")
		if err != nil {
			return
		}
		for _, m := range Models {
			if _, _, err := p.Yearly(Input{Users: 50, DevicesPerUser: 2, MessagesPerDay: 40, AttachmentShare: 0.1, RetentionYears: 5, Region: "FR"}, m); err != nil {
				t.Fatalf("model %s: %v\n%s", m, err, doc)
			}
		}
	})
}
