package carbon

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

func mustDefaults(t testing.TB) Params {
	t.Helper()
	p, err := DefaultParams()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// One message a day for one user over one working day's year, with one
// device and one year of retention: exactly the article's 4 g and 50 g.
func TestPerMessageReproducesTheArticle(t *testing.T) {
	p := mustDefaults(t)
	for share, want := range map[float64]float64{0: 4, 1: 50} {
		in := Input{Users: 1, DevicesPerUser: 1, MessagesPerDay: 1, AttachmentShare: share, RetentionYears: 1, Region: "FR"}
		_, imap, err := p.Yearly(in, PerMessage)
		if err != nil {
			t.Fatal(err)
		}
		perMessage := imap * 1000 / p.WorkingDaysPerYear
		if !near(perMessage, want, 1e-9) {
			t.Errorf("attachment share %v: %v g per message, want exactly %v", share, perMessage, want)
		}
	}
}

// Hand-checked values from ../shared/reference/carbon-cost.md section 6.
func TestHandChecked(t *testing.T) {
	p := mustDefaults(t)
	base := Input{Users: 1, DevicesPerUser: 1, MessagesPerDay: 40, AttachmentShare: 0.1, RetentionYears: 1, Region: "FR"}
	// E_msg = 0.9*4 + 0.1*50 = 8.6 g; 40*220*8.6 = 75.68 kg per user-year.
	tests := []struct {
		name         string
		change       func(*Input)
		model        string
		pop3, imap   float64 // kg per user-year
		tolPop, tolI float64
	}{
		{"per-message, 1 device, 1 year", func(*Input) {}, PerMessage, 75.68 * (1 - 0.035), 75.68, 1e-6, 1e-6},
		{"per-message, 2 devices", func(in *Input) { in.DevicesPerUser = 2 }, PerMessage, 75.68 * 0.965, 75.68 * 1.25, 1e-6, 1e-6},
		// M_IMAP = 1 + 0.25*2 + 0.035*(5-1) = 1.64 -> 124.1 kg (reference: 124.1)
		{"per-message, 3 devices, 5 years", func(in *Input) { in.DevicesPerUser, in.RetentionYears = 3, 5 }, PerMessage, 75.68 * 0.965, 75.68 * 1.64, 1e-6, 1e-6},
		// Seed-literal: x devices x retention -> x15 = 1,135 kg (reference: 1,135)
		{"seed-literal, 3 devices, 5 years", func(in *Input) { in.DevicesPerUser, in.RetentionYears = 3, 5 }, SeedLiteral, 75.68, 75.68 * 15, 1e-6, 1e-6},
		// POP3 with 14 days on the server: M = 1 + 0.035*(14/365 - 1)
		{"per-message, POP3 14 days", func(in *Input) { in.POP3ServerDays = 14 }, PerMessage, 75.68 * (1 + 0.035*(14.0/365-1)), 75.68, 1e-6, 1e-6},
	}
	for _, tc := range tests {
		in := base
		tc.change(&in)
		pop3, imap, err := p.Yearly(in, tc.model)
		if err != nil {
			t.Fatal(err)
		}
		if !near(pop3, tc.pop3, tc.tolPop) || !near(imap, tc.imap, tc.tolI) {
			t.Errorf("%s: POP3 %.4f IMAP %.4f kg, want %.4f and %.4f", tc.name, pop3, imap, tc.pop3, tc.imap)
		}
	}
}

// The bytes model against the reference's worked example (V = 1.54 GB,
// IMAP with 3 devices, 5 years, 3 replicas, CCF HDD storage), in g per
// user-year: FR 44 g/kWh POP 94, IMAP transfer 256 + storage 16;
// World 473: POP 222, IMAP transfer 567 + storage 80.
func TestBytesWorkedExample(t *testing.T) {
	p := mustDefaults(t)
	p.GridGPerKWh["FR44"] = 44
	p.GridGPerKWh["W"] = 473
	in := Input{Users: 1, DevicesPerUser: 3, MessagesPerDay: 40, AttachmentShare: 0.1, RetentionYears: 5}
	if v := p.volumeGB(in); !near(v, 1.54, 0.001) {
		t.Fatalf("volume %v GB, want 1.54", v)
	}
	for region, want := range map[string][2]float64{"FR44": {94, 256 + 16}, "W": {222, 567 + 80}} {
		in.Region = region
		pop3, imap := p.bytesGrams(in)
		if !near(pop3, want[0], 1) || !near(imap, want[1], 2) {
			t.Errorf("%s: POP3 %.1f g, IMAP %.1f g; want %v and %v", region, pop3, imap, want[0], want[1])
		}
	}
}

func TestCO2NeverDecreasesAsTheScenarioGrows(t *testing.T) {
	p := mustDefaults(t)
	grow := map[string]func(*Input, float64){
		"users":     func(in *Input, k float64) { in.Users = int(k) },
		"devices":   func(in *Input, k float64) { in.DevicesPerUser = 1 + k/4 },
		"retention": func(in *Input, k float64) { in.RetentionYears = k },
		"days":      func(in *Input, k float64) { in.POP3ServerDays = k },
	}
	for _, model := range Models {
		for name, set := range grow {
			var prevPOP, prevIMAP float64
			for k := 1.0; k <= 40; k++ {
				in := Input{Users: 10, DevicesPerUser: 2, MessagesPerDay: 40, AttachmentShare: 0.1, RetentionYears: 3, Region: "EU"}
				set(&in, k)
				pop3, imap, err := p.Yearly(in, model)
				if err != nil {
					t.Fatal(err)
				}
				if pop3 < prevPOP || imap < prevIMAP {
					t.Errorf("%s, %s=%v: CO2 fell (POP3 %v->%v, IMAP %v->%v)", model, name, k, prevPOP, pop3, prevIMAP, imap)
				}
				prevPOP, prevIMAP = pop3, imap
			}
		}
	}
}

func TestPOP3DoesNotDependOnDevices(t *testing.T) {
	p := mustDefaults(t)
	for _, model := range Models {
		in := Input{Users: 10, DevicesPerUser: 1, MessagesPerDay: 40, AttachmentShare: 0.1, RetentionYears: 3, Region: "WORLD"}
		one, _, _ := p.Yearly(in, model)
		in.DevicesPerUser = 7
		seven, _, _ := p.Yearly(in, model)
		if one != seven {
			t.Errorf("%s: POP3 %v kg with 1 device, %v with 7", model, one, seven)
		}
	}
}

func TestEstimateMarksTheModelInUse(t *testing.T) {
	p := mustDefaults(t)
	in := Input{Users: 50, DevicesPerUser: 2, MessagesPerDay: 40, AttachmentShare: 0.1, RetentionYears: 5, Region: "FR"}
	e, err := p.Estimate(in, PerMessage)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Models) != 3 || e.Used != PerMessage || e.Note == "" {
		t.Fatalf("estimate %+v", e)
	}
	for _, m := range e.Models {
		if m.Default != (m.Model == PerMessage) {
			t.Errorf("%s default = %v", m.Model, m.Default)
		}
		if (m.Warning != "") != (m.Model == SeedLiteral) {
			t.Errorf("%s warning %q", m.Model, m.Warning)
		}
		if !near(m.IMAPKgPerYear, m.IMAPKgPerUserYear*50, 0.05) {
			t.Errorf("%s: organisation %v kg is not 50 x %v", m.Model, m.IMAPKgPerYear, m.IMAPKgPerUserYear)
		}
		for _, prm := range m.Parameters {
			if prm.Source == "" {
				t.Errorf("%s: parameter %s has no source", m.Model, prm.Name)
			}
		}
	}
	if _, err := p.Estimate(in, "guess"); err == nil {
		t.Error("unknown model accepted")
	}
	in.Region = "MARS"
	if _, err := p.Estimate(in, PerMessage); err == nil {
		t.Error("unknown region accepted")
	}
}

func TestLoadParams(t *testing.T) {
	p, err := LoadParams(strings.NewReader("grid_g_per_kwh:\n  FR: 33\nper_message:\n  attachment_g: 35\n"), "mine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.GridGPerKWh["FR"] != 33 || p.GridGPerKWh["EU"] != 213 || p.PerMessage.AttachmentG != 35 || p.PerMessage.StandardG != 4 {
		t.Errorf("params %+v", p)
	}
	if p.Source("grid_g_per_kwh.FR") != "set in mine.yaml" || !strings.Contains(p.Source("grid_g_per_kwh.EU"), "Ember") {
		t.Errorf("sources: FR %q, EU %q", p.Source("grid_g_per_kwh.FR"), p.Source("grid_g_per_kwh.EU"))
	}
	for doc, want := range map[string]string{
		"per_message:\n  sync_share: 1.2\n": "per_message.sync_share: invalid value 1.2: want a number from 0 to 1",
		"bytes:\n  pue: 0.5\n":              "bytes.pue: invalid value 0.5",
		"per_message:\n  standard_g: -4\n":  "per_message.standard_g: invalid value -4: want a number >= 0",
		"grid_g_per_kwh:\n  DE: -1\n":       "grid_g_per_kwh.DE: invalid value -1",
		"per_mesage:\n  standard_g: 4\n":    `mine.yaml: line 1: unknown key "per_mesage"`,
	} {
		if _, err := LoadParams(strings.NewReader(doc), "mine.yaml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", doc, err, want)
		}
	}
}

// The defaults file has no key that Params lacks (decoded strictly).
func TestDefaultsDecodeStrictly(t *testing.T) {
	var p Params
	if err := yamlparams.Decode(bytes.NewReader(defaultsYAML), "defaults.yaml", &p); err != nil {
		t.Fatal(err)
	}
}
