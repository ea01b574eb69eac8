package costmodel

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

func article() Input {
	return Input{Users: 50, DevicesPerUser: 2, ServerQuotaGB: 10, MailboxGrowthGBPerYear: 2, RetentionYears: 5, Years: 3}
}

func mustDefaults(t testing.TB) Params {
	t.Helper()
	p, err := DefaultParams()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsReproduceTheArticle(t *testing.T) {
	e, err := mustDefaults(t).Estimate(article())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{POP3Self: 2000, IMAPSelf: 8000} {
		o, ok := e.Option(name)
		if !ok || o.Yearly != want {
			t.Errorf("%s yearly = %v, want exactly %v", name, o.Yearly, want)
		}
	}
	if e.Currency != "EUR" || e.Years != 3 || len(e.Options) != len(Options) {
		t.Errorf("estimate %+v", e)
	}
}

// With a provider, both protocols cost the same mailbox by default: the
// POP3 option is not a server to run.
func TestHostedPOP3CostsTheMailbox(t *testing.T) {
	e, err := mustDefaults(t).Estimate(Input{Users: 1, DevicesPerUser: 1, ServerQuotaGB: 1, Years: 3})
	if err != nil {
		t.Fatal(err)
	}
	pop, _ := e.Option(POP3Hosted)
	imap, _ := e.Option(IMAPHosted)
	self, _ := e.Option(POP3Self)
	if pop.Yearly != imap.Yearly || pop.Yearly != 4.4*12 || self.Yearly <= pop.Yearly {
		t.Errorf("one user: pop3-hosted %v, imap-hosted %v, pop3-self %v", pop.Yearly, imap.Yearly, self.Yearly)
	}
	for i, name := range Options {
		if e.Options[i].Option != name {
			t.Errorf("option %d is %s, want %s", i, e.Options[i].Option, name)
		}
	}
}

func TestBreakdownAddsUp(t *testing.T) {
	e, _ := mustDefaults(t).Estimate(article())
	for _, o := range e.Options {
		var yearly, oneOff float64
		for _, l := range o.Breakdown {
			if l.Source == "" || l.Formula == "" || l.Inputs == "" {
				t.Errorf("%s: line %+v lacks a formula, inputs or source", o.Option, l)
			}
			if l.Kind == Yearly {
				yearly += l.Amount
			} else {
				oneOff += l.Amount
			}
		}
		if round2(yearly) != o.Yearly || round2(oneOff) != o.OneOff || round2(o.Yearly*3+o.OneOff) != o.TCO {
			t.Errorf("%s: lines sum to %v + %v, option says %v + %v (TCO %v)", o.Option, yearly, oneOff, o.Yearly, o.OneOff, o.TCO)
		}
	}
}

// Hand-checked scenarios: the arithmetic is written out so that a change
// of the model shows up here.
func TestHandChecked(t *testing.T) {
	p := mustDefaults(t)
	tests := []struct {
		name string
		in   Input
		want map[string][2]float64 // option -> yearly, one-off
	}{
		{"10 users, 1 device, 3 years kept, quota 5 GB", Input{Users: 10, DevicesPerUser: 1, ServerQuotaGB: 5, MailboxGrowthGBPerYear: 1, RetentionYears: 3, Years: 3},
			map[string][2]float64{
				// 1200 + 15*10 + 0.5*10*2*1 = 1360; one-off 0.5*40*10 + 10*10 + 500 + 0.1*1360 = 200+100+500+136
				POP3Self: {1360, 936},
				// 4800 + 40*10 + 0.5*10*max(5,3)*3 + 9*10*0 = 5275; one-off 1.5*40*10 + 25*10 + 1500 + 527.5
				IMAPSelf: {5275, 2877.5},
				// 4.4*12*10 = 528; one-off 600 + 250 + 0 + 52.8
				IMAPHosted: {528, 902.8},
			}},
		{"200 users, 3 devices, growth outgrows the quota, backed-up endpoints", Input{Users: 200, DevicesPerUser: 3, ServerQuotaGB: 10, MailboxGrowthGBPerYear: 3, RetentionYears: 7, EndpointBackups: true, Years: 5},
			map[string][2]float64{
				// 1200 + 3000 + 0.5*200*2 + 10*200 = 6400
				POP3Self: {6400, 0.5*40*200 + 10*200 + 500 + 640},
				// 4800 + 8000 + 0.5*200*21*3 + 9*200*2 = 4800+8000+6300+3600 = 22700
				IMAPSelf:   {22700, 1.5*40*200 + 25*200 + 1500 + 2270},
				IMAPHosted: {4.4 * 12 * 200, 1.5*40*200 + 25*200 + 0 + 0.1*4.4*12*200},
			}},
	}
	for _, tc := range tests {
		e, err := p.Estimate(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range tc.want {
			o, _ := e.Option(name)
			if o.Yearly != round2(want[0]) || o.OneOff != round2(want[1]) {
				t.Errorf("%s: %s = %v/year + %v one-off, want %v + %v", tc.name, name, o.Yearly, o.OneOff, want[0], want[1])
			}
			if tco := round2(want[0]*float64(tc.in.Years) + want[1]); o.TCO != tco {
				t.Errorf("%s: %s TCO %v, want %v", tc.name, name, o.TCO, tco)
			}
		}
		y := p.YearlyCosts(tc.in)
		for name, got := range map[string]float64{POP3Self: y.POP3Self, IMAPSelf: y.IMAPSelf, IMAPHosted: y.IMAPHosted} {
			if round2(got) != round2(tc.want[name][0]) {
				t.Errorf("%s: YearlyCosts %s = %v, want %v", tc.name, name, got, tc.want[name][0])
			}
		}
	}
}

func TestCostNeverDecreasesAsTheScenarioGrows(t *testing.T) {
	p := mustDefaults(t)
	grow := map[string]func(*Input, float64){
		"users":     func(in *Input, k float64) { in.Users = int(k * 10) },
		"devices":   func(in *Input, k float64) { in.DevicesPerUser = 1 + k/4 },
		"retention": func(in *Input, k float64) { in.RetentionYears = k },
		"quota":     func(in *Input, k float64) { in.ServerQuotaGB = k },
	}
	for name, set := range grow {
		prev := map[string]float64{}
		for k := 1.0; k <= 40; k++ {
			in := article()
			set(&in, k)
			e, err := p.Estimate(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range e.Options {
				if o.Yearly < prev[o.Option] || o.TCO < prev[o.Option+"tco"] {
					t.Errorf("%s=%v: %s cost fell from %v to %v", name, k, o.Option, prev[o.Option], o.Yearly)
				}
				prev[o.Option], prev[o.Option+"tco"] = o.Yearly, o.TCO
			}
		}
	}
}

func TestLoadParamsOverrides(t *testing.T) {
	p, err := LoadParams(strings.NewReader("imap_hosted:\n  price_per_user_month: 6\ncurrency: CHF\n"), "mine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.IMAPHosted.PricePerUserMonth != 6 || p.Currency != "CHF" || p.IMAPSelf.FixedPerYear != 4800 {
		t.Errorf("params %+v", p)
	}
	if got := p.Source("imap_hosted.price_per_user_month"); got != "set in mine.yaml" {
		t.Errorf("source of an overridden key = %q", got)
	}
	if got := p.Source("imap_self.fixed_per_year"); !strings.Contains(got, "Mithi") {
		t.Errorf("source of a default key = %q", got)
	}
}

func TestLoadParamsErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"pop3_self:\n  fixed_per_yer: 3\n", `mine.yaml: line 2: unknown key "fixed_per_yer"`},
		{"imap_self:\n  storage_per_gb_year: -1\n", "imap_self.storage_per_gb_year: invalid value -1: want a number >= 0"},
		{"pop3_self:\n  one_off:\n    contingency_share: 1.5\n", "pop3_self.one_off.contingency_share: invalid value 1.5: want a number from 0 to 1"},
		{"imap_self:\n  replicas: 0\n", "imap_self.replicas: invalid value 0: want a number from 1 to 100"},
		{"imap_hosted:\n  price_per_user_month: cheap\n", "mine.yaml: line 2: cannot unmarshal"},
		{"currency: ''\n", "currency: may not be empty"},
	}
	for _, tc := range tests {
		_, err := LoadParams(strings.NewReader(tc.doc), "mine.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func TestDefaultsFileDocumentsEveryParameter(t *testing.T) {
	p := mustDefaults(t)
	for _, c := range p.checks() {
		if strings.HasSuffix(c.Key, "endpoint_backup_per_user_per_year") && strings.HasPrefix(c.Key, "imap") ||
			strings.HasSuffix(c.Key, "transient_quota_gb") && strings.HasPrefix(c.Key, "imap") {
			continue // POP3-only parameters
		}
		if p.Source(c.Key) == "" {
			t.Errorf("%s has no source comment in defaults.yaml", c.Key)
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
