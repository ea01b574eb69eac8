// Package costmodel estimates what each mail option costs a company per
// year and over a horizon: self-hosted POP3, self-hosted IMAP and hosted
// IMAP, with every line of the bill shown with its formula, its inputs and
// where its default comes from.
//
// The parameters are a commented YAML file (defaults.yaml, embedded) whose
// defaults reproduce the source article: 50 users cost 2,000 EUR/year with
// POP3 and 8,000 EUR/year with IMAP. Users override any of them with their
// own file. The package imports nothing else of mailadvisor.
package costmodel

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"

	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

//go:embed defaults.yaml
var defaultsYAML []byte

// Option names, as they appear in estimates.
const (
	POP3Self   = "pop3-self"
	IMAPSelf   = "imap-self"
	IMAPHosted = "imap-hosted"
	POP3Hosted = "pop3-hosted"
)

// Options lists the option names in the order estimates give them.
var Options = []string{POP3Self, IMAPSelf, POP3Hosted, IMAPHosted}

// DefaultYears is the default horizon of the total cost of ownership.
const DefaultYears = 3

// Params are the cost model's parameters; see defaults.yaml.
type Params struct {
	Currency   string       `yaml:"currency" json:"currency"`
	POP3Self   SelfHosted   `yaml:"pop3_self" json:"pop3_self"`
	IMAPSelf   SelfHosted   `yaml:"imap_self" json:"imap_self"`
	IMAPHosted HostedParams `yaml:"imap_hosted" json:"imap_hosted"`
	POP3Hosted HostedParams `yaml:"pop3_hosted" json:"pop3_hosted"`

	// Ranges are how far each figure may plausibly be from its value,
	// by dotted key; see defaults.yaml.
	Ranges map[string]yamlparams.Range `yaml:"ranges" json:"ranges"`

	sources map[string]string // dotted key -> where the default comes from
}

// SelfHosted are the parameters of an option the company runs itself.
type SelfHosted struct {
	FixedPerYear                 float64      `yaml:"fixed_per_year" json:"fixed_per_year"`
	PerMailboxPerYear            float64      `yaml:"per_mailbox_per_year" json:"per_mailbox_per_year"`
	StoragePerGBYear             float64      `yaml:"storage_per_gb_year" json:"storage_per_gb_year"`
	TransientQuotaGB             float64      `yaml:"transient_quota_gb,omitempty" json:"transient_quota_gb,omitempty"`
	Replicas                     float64      `yaml:"replicas" json:"replicas"`
	PerExtraDevicePerYear        float64      `yaml:"per_extra_device_per_year" json:"per_extra_device_per_year"`
	EndpointBackupPerUserPerYear float64      `yaml:"endpoint_backup_per_user_per_year,omitempty" json:"endpoint_backup_per_user_per_year,omitempty"`
	OneOff                       OneOffParams `yaml:"one_off" json:"one_off"`
}

// HostedParams are the parameters of a mailbox bought from a provider.
type HostedParams struct {
	PricePerUserMonth float64      `yaml:"price_per_user_month" json:"price_per_user_month"`
	OneOff            OneOffParams `yaml:"one_off" json:"one_off"`
}

// OneOffParams are the hidden costs the article lists, paid once.
type OneOffParams struct {
	TrainingHoursPerUser float64 `yaml:"training_hours_per_user" json:"training_hours_per_user"`
	HourlyCost           float64 `yaml:"hourly_cost" json:"hourly_cost"`
	MigrationPerMailbox  float64 `yaml:"migration_per_mailbox" json:"migration_per_mailbox"`
	BackupSetup          float64 `yaml:"backup_setup" json:"backup_setup"`
	ContingencyShare     float64 `yaml:"contingency_share" json:"contingency_share"`
}

// DefaultsYAML returns the commented defaults file, for --print-defaults.
func DefaultsYAML() []byte { return bytes.Clone(defaultsYAML) }

// DefaultParams returns the built-in parameters.
func DefaultParams() (Params, error) { return LoadParams(nil, "") }

// LoadParams returns the defaults with the keys of r (a YAML file, may be
// nil) applied on top, strictly decoded and validated. Errors name the
// source, the key and what it accepts.
func LoadParams(r io.Reader, source string) (Params, error) {
	p, sources, err := yamlparams.Load(defaultsYAML, "built-in cost parameters", r, source, (*Params).checks, (*Params).rangeTable)
	if err != nil {
		return p, err
	}
	p.sources = sources
	if p.Currency == "" {
		if r == nil {
			source = "built-in cost parameters"
		}
		return p, fmt.Errorf("%s: currency: may not be empty", source)
	}
	return p, nil
}

// Bounds lists every numeric parameter by dotted key, with its value and
// what it allows.
func (p Params) Bounds() []yamlparams.Bound { return p.checks() }

func (p *Params) rangeTable() *map[string]yamlparams.Range { return &p.Ranges }

// Source returns where the value of a dotted key comes from.
func (p Params) Source(key string) string { return p.sources[key] }

func (p *Params) checks() []yamlparams.Bound {
	out := []yamlparams.Bound{}
	for _, o := range []struct {
		name string
		s    SelfHosted
	}{{"pop3_self", p.POP3Self}, {"imap_self", p.IMAPSelf}} {
		out = append(out,
			yamlparams.AtLeast(o.name+".fixed_per_year", o.s.FixedPerYear, 0),
			yamlparams.AtLeast(o.name+".per_mailbox_per_year", o.s.PerMailboxPerYear, 0),
			yamlparams.AtLeast(o.name+".storage_per_gb_year", o.s.StoragePerGBYear, 0),
			yamlparams.AtLeast(o.name+".transient_quota_gb", o.s.TransientQuotaGB, 0),
			yamlparams.Between(o.name+".replicas", o.s.Replicas, 1, 100),
			yamlparams.AtLeast(o.name+".per_extra_device_per_year", o.s.PerExtraDevicePerYear, 0),
			yamlparams.AtLeast(o.name+".endpoint_backup_per_user_per_year", o.s.EndpointBackupPerUserPerYear, 0),
		)
		out = append(out, o.s.OneOff.checks(o.name)...)
	}
	out = append(out, yamlparams.AtLeast("imap_hosted.price_per_user_month", p.IMAPHosted.PricePerUserMonth, 0))
	out = append(out, p.IMAPHosted.OneOff.checks("imap_hosted")...)
	out = append(out, yamlparams.AtLeast("pop3_hosted.price_per_user_month", p.POP3Hosted.PricePerUserMonth, 0))
	return append(out, p.POP3Hosted.OneOff.checks("pop3_hosted")...)
}

func (o OneOffParams) checks(prefix string) []yamlparams.Bound {
	return []yamlparams.Bound{
		yamlparams.Between(prefix+".one_off.training_hours_per_user", o.TrainingHoursPerUser, 0, 1000),
		yamlparams.AtLeast(prefix+".one_off.hourly_cost", o.HourlyCost, 0),
		yamlparams.AtLeast(prefix+".one_off.migration_per_mailbox", o.MigrationPerMailbox, 0),
		yamlparams.AtLeast(prefix+".one_off.backup_setup", o.BackupSetup, 0),
		yamlparams.Between(prefix+".one_off.contingency_share", o.ContingencyShare, 0, 1),
	}
}

// Validate checks every parameter: prices and quantities are finite and
// not negative, shares are at most 1, replicas at least 1.
func (p Params) Validate() error {
	if err := yamlparams.Validate(p.checks()); err != nil {
		return err
	}
	if p.Currency == "" {
		return fmt.Errorf("currency: may not be empty")
	}
	return nil
}
