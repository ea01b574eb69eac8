package wording

import (
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// A score reads the same wherever it is shown: its own decimals, at most
// two, in each language's way.
func TestPointsOneWay(t *testing.T) {
	en, fr := l10n.New(l10n.English), l10n.New(l10n.French)
	for v, want := range map[float64][2]string{
		114.5: {"114.5", "114,5"}, 113.5: {"113.5", "113,5"}, 106: {"106", "106"}, 22.5: {"22.5", "22,5"},
		2.25: {"2.25", "2,25"}, 1.0 / 3: {"0.33", "0,33"}, 1234.5: {"1,234.5", "1\u00a0234,5"}, 0.004: {"0", "0"},
	} {
		if got := Points(en, v); got != want[0] {
			t.Errorf("Points(%v) in English = %q, want %q", v, got, want[0])
		}
		if got := Points(fr, v); got != want[1] {
			t.Errorf("Points(%v) in French = %q, want %q", v, got, want[1])
		}
	}
}
