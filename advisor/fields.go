package advisor

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// Kind is the type of a scenario field.
type Kind int

// The kinds of scenario field.
const (
	KindInt Kind = iota
	KindFloat
	KindBool
	KindEnum
)

// Field describes one scenario input: its file name, what it means, what it
// accepts, and how to read and write it. Flags, environment variables, CSV
// columns, validation and break-even search are all driven by [Fields].
type Field struct {
	Name     string   // snake_case name used in files, CSV headers and rules
	Help     string   // one line for --help and docs
	Kind     Kind     // int, float, bool or enum
	Min, Max float64  // allowed range (numeric kinds)
	Values   []string // allowed values (enum kind)
	Optional bool     // may be left unset (numeric pointers)
	LogScale bool     // break-even search samples the range geometrically
	// Step is the numeric input's precision, as people give it (1 user,
	// 0.1 device, 1 EUR, 0.01 of a share): break-even values are on its
	// grid, the first and last values that give the answer stated.
	Step float64

	get    func(*Scenario) (float64, bool) // numeric value and whether it is set
	set    func(*Scenario, float64)
	getStr func(*Scenario) string
	setStr func(*Scenario, string)
	getB   func(*Scenario) bool
	setB   func(*Scenario, bool)
	unset  func(*Scenario) // optional fields only
}

// FlagName is the kebab-case name of the field, as a command-line flag.
func (f Field) FlagName() string { return strings.ReplaceAll(f.Name, "_", "-") }

// EnvName is the environment variable that sets the field.
func (f Field) EnvName() string { return "MAILADVISOR_" + strings.ToUpper(f.Name) }

// Numeric reports whether the field holds a number.
func (f Field) Numeric() bool { return f.Kind == KindInt || f.Kind == KindFloat }

// Allowed describes the accepted values in words, for help and errors.
func (f Field) Allowed() string {
	switch f.Kind {
	case KindBool:
		return "true or false"
	case KindEnum:
		return "one of " + strings.Join(f.Values, ", ")
	case KindInt:
		return fmt.Sprintf("a whole number from %s to %s", formatNumber(f.Min), formatNumber(f.Max))
	default:
		return fmt.Sprintf("a number from %s to %s", formatNumber(f.Min), formatNumber(f.Max))
	}
}

// Number returns the field's numeric value and whether it is set.
func (f Field) Number(s *Scenario) (float64, bool) { return f.get(s) }

// SetNumber sets a numeric field without validation.
func (f Field) SetNumber(s *Scenario, v float64) { f.set(s, v) }

// Value returns the field's value formatted as text ("" when unset).
func (f Field) Value(s *Scenario) string {
	switch f.Kind {
	case KindBool:
		return strconv.FormatBool(f.getB(s))
	case KindEnum:
		return f.getStr(s)
	default:
		v, ok := f.get(s)
		if !ok {
			return ""
		}
		return formatNumber(v)
	}
}

// Set parses text (from a flag, an environment variable or a CSV cell) and
// stores it in the scenario. It checks the syntax and the allowed range or
// set, and returns a [*FieldError] naming the field and what it accepts.
func (f Field) Set(s *Scenario, text string) error {
	text = strings.TrimSpace(text)
	bad := func() error { return &FieldError{Field: f.Name, Value: text, Allowed: f.Allowed()} }
	switch f.Kind {
	case KindBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return bad()
		}
		f.setB(s, b)
		return nil
	case KindEnum:
		for _, v := range f.Values {
			if strings.EqualFold(v, text) {
				f.setStr(s, v)
				return nil
			}
		}
		return bad()
	}
	v, ok := textcheck.ParseNumber(text)
	if !ok {
		return bad()
	}
	if f.Kind == KindInt && v != math.Trunc(v) {
		return bad()
	}
	if v < f.Min || v > f.Max {
		return bad()
	}
	f.set(s, v)
	return nil
}

// check validates the field's current value in s.
func (f *Field) check(s *Scenario) *FieldError {
	switch f.Kind {
	case KindBool:
		return nil
	case KindEnum:
		v := f.getStr(s)
		for _, allowed := range f.Values {
			if v == allowed {
				return nil
			}
		}
		return &FieldError{Field: f.Name, Value: v, Allowed: f.Allowed()}
	}
	v, ok := f.get(s)
	if !ok {
		return nil
	}
	if math.IsNaN(v) || v < f.Min || v > f.Max || (f.Kind == KindInt && v != math.Trunc(v)) {
		return &FieldError{Field: f.Name, Value: formatNumber(v), Allowed: f.Allowed()}
	}
	return nil
}

// FieldByName returns the field called name (snake_case or kebab-case).
func FieldByName(name string) (Field, bool) {
	name = strings.ReplaceAll(strings.TrimSpace(name), "-", "_")
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// FieldNames lists every scenario field name, in declaration order.
func FieldNames() []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}

// Fields returns the description of every scenario input, in a stable order.
func Fields() []Field { return fields }

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// step sets the numeric field's precision (Field.Step).
func step(st float64, f Field) Field {
	f.Step = st
	return f
}

func numberField(name, help string, kind Kind, lo, hi float64, logScale bool, p func(*Scenario) *float64) Field {
	return Field{
		Name: name, Help: help, Kind: kind, Min: lo, Max: hi, LogScale: logScale,
		get: func(s *Scenario) (float64, bool) { return *p(s), true },
		set: func(s *Scenario, v float64) { *p(s) = v },
	}
}

func optionalField(name, help string, lo, hi float64, p func(*Scenario) **float64) Field {
	return Field{
		Name: name, Help: help, Kind: KindFloat, Min: lo, Max: hi, Optional: true, LogScale: true,
		get: func(s *Scenario) (float64, bool) {
			if *p(s) == nil {
				return 0, false
			}
			return **p(s), true
		},
		set:   func(s *Scenario, v float64) { *p(s) = &v },
		unset: func(s *Scenario) { *p(s) = nil },
	}
}

func boolField(name, help string, p func(*Scenario) *bool) Field {
	return Field{
		Name: name, Help: help, Kind: KindBool,
		getB: func(s *Scenario) bool { return *p(s) },
		setB: func(s *Scenario, v bool) { *p(s) = v },
	}
}

func enumField(name, help string, values []string, p func(*Scenario) *string) Field {
	return Field{
		Name: name, Help: help, Kind: KindEnum, Values: values,
		getStr: func(s *Scenario) string { return *p(s) },
		setStr: func(s *Scenario, v string) { *p(s) = v },
	}
}

var fields = []Field{
	{
		Name: "users", Help: "number of mailboxes (people)", Kind: KindInt, Min: 1, Max: 1_000_000, LogScale: true, Step: 1,
		get: func(s *Scenario) (float64, bool) { return float64(s.Users), true },
		set: func(s *Scenario, v float64) { s.Users = int(math.Round(v)) },
	},
	step(0.1, numberField("devices_per_user", "average devices that read each mailbox", KindFloat, 1, 20, false,
		func(s *Scenario) *float64 { return &s.DevicesPerUser })),
	step(0.01, numberField("mobile_share", "share of users who read mail away from the office (0..1)", KindFloat, 0, 1, false,
		func(s *Scenario) *float64 { return &s.MobileShare })),
	enumField("connectivity", "quality of the users' connection to the mail server",
		[]string{ConnectivityGood, ConnectivitySlow, ConnectivityIntermittent},
		func(s *Scenario) *string { return &s.Connectivity }),
	step(0.01, optionalField("bandwidth_mbps", "site bandwidth shared by the users, in Mbit/s (optional)", 0.01, 100_000,
		func(s *Scenario) **float64 { return &s.BandwidthMbps })),
	step(1, numberField("messages_per_day", "messages each user handles per day (sent and received)", KindFloat, 0, 10_000, true,
		func(s *Scenario) *float64 { return &s.MessagesPerDay })),
	step(0.01, numberField("attachment_share", "share of messages with a large attachment (0..1)", KindFloat, 0, 1, false,
		func(s *Scenario) *float64 { return &s.AttachmentShare })),
	step(0.1, numberField("mailbox_growth_gb_per_year", "how much each mailbox grows per year, in GB", KindFloat, 0, 1_000, true,
		func(s *Scenario) *float64 { return &s.MailboxGrowthGBPerYear })),
	step(0.1, numberField("retention_years", "how long mail is kept, in years", KindFloat, 0, 100, false,
		func(s *Scenario) *float64 { return &s.RetentionYears })),
	step(0.01, numberField("server_quota_gb", "server storage available per user, in GB", KindFloat, 0.01, 100_000, true,
		func(s *Scenario) *float64 { return &s.ServerQuotaGB })),
	step(1, optionalField("budget_eur_per_year", "yearly mail budget for the organisation, in EUR (optional)", 0, 1e9,
		func(s *Scenario) **float64 { return &s.BudgetEURPerYear })),
	enumField("hosting", "who runs the mail server: self, hosted (a provider), or any (weigh both)", []string{HostingAny, HostingSelf, HostingHosted},
		func(s *Scenario) *string { return &s.Hosting }),
	enumField("region", "where the servers draw their electricity", []string{"FR", "EU", "WORLD"},
		func(s *Scenario) *string { return &s.Region }),
	boolField("offline_access", "users must read their mail without a connection",
		func(s *Scenario) *bool { return &s.OfflineAccess }),
	boolField("shared_mailboxes", "teams share mailboxes or folders",
		func(s *Scenario) *bool { return &s.SharedMailboxes }),
	boolField("central_backup", "mail must be backed up centrally",
		func(s *Scenario) *bool { return &s.CentralBackup }),
	boolField("local_storage_only", "policy: no mail may stay on remote servers",
		func(s *Scenario) *bool { return &s.LocalStorageOnly }),
	boolField("privacy_policy", "a privacy policy limits who may hold the mail and the passwords (no third party without a contract)",
		func(s *Scenario) *bool { return &s.PrivacyPolicy }),
	boolField("endpoint_backups", "users' computers and phones are backed up regularly",
		func(s *Scenario) *bool { return &s.EndpointBackups }),
	step(0.01, numberField("environment_priority", "how much CO2 should weigh in the choice (0..1)", KindFloat, 0, 1, false,
		func(s *Scenario) *float64 { return &s.EnvironmentPriority })),
}
