package advisor

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeScenario(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		check   func(Scenario) bool
		wantErr string
	}{
		{name: "yaml overrides some fields", doc: "users: 120\ndevices_per_user: 2.5\nconnectivity: slow\n",
			check: func(s Scenario) bool {
				return s.Users == 120 && s.DevicesPerUser == 2.5 && s.Connectivity == "slow" && s.RetentionYears == 5
			}},
		{name: "json", doc: `{"users": 7, "offline_access": true, "bandwidth_mbps": 3.5}`,
			check: func(s Scenario) bool { return s.Users == 7 && s.OfflineAccess && *s.BandwidthMbps == 3.5 }},
		{name: "null clears an optional field", doc: "budget_eur_per_year: null\n",
			check: func(s Scenario) bool { return s.BudgetEURPerYear == nil }},
		{name: "empty document changes nothing", doc: "",
			check: func(s Scenario) bool { return reflect.DeepEqual(s, DefaultScenario()) }},
		{name: "enum is case-insensitive", doc: "region: eu\n",
			check: func(s Scenario) bool { return s.Region == "EU" }},
		{name: "unknown key names key and line", doc: "users: 3\ndevice_per_user: 2\n",
			wantErr: `test.yaml: line 2: unknown field "device_per_user"`},
		{name: "kebab-case key is not a file key", doc: "devices-per-user: 2\n",
			wantErr: `unknown field "devices-per-user"`},
		{name: "out of range names field, value and range", doc: "users: 0\n",
			wantErr: `line 1: users: invalid value "0": want a whole number from 1 to 1000000`},
		{name: "fractional users", doc: "users: 2.5\n", wantErr: `users: invalid value "2.5"`},
		{name: "share over 1", doc: "\n\nmobile_share: 1.5\n", wantErr: `line 3: mobile_share: invalid value "1.5": want a number from 0 to 1`},
		{name: "bad enum", doc: "connectivity: fast\n", wantErr: `connectivity: invalid value "fast": want one of good, slow, intermittent`},
		{name: "bad bool", doc: "offline_access: maybe\n", wantErr: `offline_access: invalid value "maybe": want true or false`},
		{name: "not a number", doc: "users: many\n", wantErr: `users: invalid value "many"`},
		{name: "nan", doc: "retention_years: .nan\n", wantErr: `retention_years: invalid value ".nan"`},
		{name: "null on a required field", doc: "users: null\n", wantErr: `line 1: users: may not be empty`},
		{name: "list value", doc: "users: [1, 2]\n", wantErr: `line 1: users: want a single value`},
		{name: "duplicate key", doc: "users: 1\nusers: 2\n", wantErr: `line 2: field "users" is set twice (first on line 1)`},
		{name: "not a mapping", doc: "- users: 1\n", wantErr: `line 1: a scenario must be a mapping`},
		{name: "syntax error", doc: "users: [\n", wantErr: `test.yaml: `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultScenario()
			err := DecodeScenario(strings.NewReader(tc.doc), "test.yaml", &s)
			if tc.wantErr != "" {
				var de *DecodeError
				if err == nil || !errors.As(err, &de) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want a DecodeError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(s) {
				t.Errorf("decoded scenario %+v does not match", s)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Scenario)
		fields []string
	}{
		{"default is valid", func(*Scenario) {}, nil},
		{"users too many", func(s *Scenario) { s.Users = 1_000_001 }, []string{"users"}},
		{"devices below 1", func(s *Scenario) { s.DevicesPerUser = 0.5 }, []string{"devices_per_user"}},
		{"devices above 20", func(s *Scenario) { s.DevicesPerUser = 21 }, []string{"devices_per_user"}},
		{"negative bandwidth", func(s *Scenario) { s.BandwidthMbps = ptr(-1) }, []string{"bandwidth_mbps"}},
		{"negative budget", func(s *Scenario) { s.BudgetEURPerYear = ptr(-5) }, []string{"budget_eur_per_year"}},
		{"empty enum", func(s *Scenario) { s.Hosting = "" }, []string{"hosting"}},
		{"two problems", func(s *Scenario) { s.AttachmentShare, s.EnvironmentPriority = 2, -1 },
			[]string{"attachment_share", "environment_priority"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultScenario()
			tc.change(&s)
			err := s.Validate()
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error = %v, want a ValidationError", err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.Field)
				if p.Allowed == "" {
					t.Errorf("problem %+v does not say what is allowed", p)
				}
			}
			if !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("invalid fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestFieldSetFromText(t *testing.T) {
	s := DefaultScenario()
	for name, text := range map[string]string{
		"users": "12", "devices-per-user": "1.5", "offline_access": "true", "connectivity": "Intermittent",
		"bandwidth_mbps": "8", "budget_eur_per_year": "3000",
	} {
		f, ok := FieldByName(name)
		if !ok {
			t.Fatalf("no field %s", name)
		}
		if err := f.Set(&s, text); err != nil {
			t.Fatalf("%s=%s: %v", name, text, err)
		}
	}
	if s.Users != 12 || s.DevicesPerUser != 1.5 || !s.OfflineAccess || s.Connectivity != "intermittent" ||
		*s.BandwidthMbps != 8 || *s.BudgetEURPerYear != 3000 {
		t.Errorf("fields not set: %+v", s)
	}
	f, _ := FieldByName("users")
	if err := f.Set(&s, "1e9"); err == nil {
		t.Error("users=1e9 accepted")
	}
}

func TestEveryFieldIsDescribedOnce(t *testing.T) {
	names := map[string]bool{}
	for _, f := range Fields() {
		if names[f.Name] {
			t.Errorf("field %s listed twice", f.Name)
		}
		names[f.Name] = true
		if f.Help == "" {
			t.Errorf("field %s has no help", f.Name)
		}
	}
	// Every field but the client's name (a label no rule sees) is an
	// input of the advice.
	typ := reflect.TypeOf(Scenario{})
	inputs := 0
	for i := 0; i < typ.NumField(); i++ {
		tag := strings.Split(typ.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == ClientField {
			continue
		}
		inputs++
		if !names[tag] {
			t.Errorf("Scenario.%s (%s) has no entry in Fields()", typ.Field(i).Name, tag)
		}
	}
	if inputs != len(names) {
		t.Errorf("Scenario has %d input fields, Fields() %d", inputs, len(names))
	}
}

func TestPresets(t *testing.T) {
	presets, err := Presets()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"sme-office": IMAP, "road-warriors": IMAP, "shared-team": IMAP,
		"low-bandwidth-site": POP3, "privacy-local": POP3, "single-device-home": POP3,
	}
	a := builtinAdvisor(t)
	for _, p := range presets {
		if p.Description == "" {
			t.Errorf("preset %s has no description", p.Name)
		}
		res, err := a.Advise(p.Scenario, Options{})
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if got := res.Recommendation.Protocol; got != want[p.Name] {
			t.Errorf("preset %s: recommendation %s, want %s", p.Name, got, want[p.Name])
		}
		delete(want, p.Name)
	}
	if len(want) > 0 {
		t.Errorf("missing presets: %v", want)
	}
	sme, err := PresetScenario(DefaultPreset)
	if err != nil || !reflect.DeepEqual(sme, DefaultScenario()) {
		t.Errorf("preset %s = %+v, %v; want DefaultScenario()", DefaultPreset, sme, err)
	}
	if _, err := PresetScenario("nope"); err == nil || !strings.Contains(err.Error(), "sme-office") {
		t.Errorf("unknown preset error = %v, want the list of names", err)
	}
}

func TestDecodeClient(t *testing.T) {
	s := DefaultScenario()
	if err := DecodeScenario(strings.NewReader("client: \" Dupont & Fils \"\nusers: 12\n"), "c.yaml", &s); err != nil {
		t.Fatal(err)
	}
	if s.Client != "Dupont & Fils" || s.Users != 12 {
		t.Errorf("client %q, users %d", s.Client, s.Users)
	}
	for doc, want := range map[string]string{
		"client: [a, b]\n":        "line 1: client: want the client's name as text",
		"client:\n":               "line 1: client: want the client's name as text",
		"client: \"a\\u202eb\"\n": "invisible format characters",
	} {
		err := DecodeScenario(strings.NewReader(doc), "c.yaml", &s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}
