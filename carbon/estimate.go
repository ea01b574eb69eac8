package carbon

import (
	"fmt"
	"math"
)

// Input is what the CO2 depends on, taken from the user's scenario.
type Input struct {
	Users           int
	DevicesPerUser  float64 // devices synchronised over IMAP
	MessagesPerDay  float64 // per user
	AttachmentShare float64 // 0..1
	RetentionYears  float64 // years mail stays on an IMAP server
	POP3ServerDays  float64 // days a POP3 server keeps a copy after download
	Region          string  // a key of Params.GridGPerKWh
}

// Parameter is one input of a model's formula, with its source.
type Parameter struct {
	Name   string  `json:"name" yaml:"name"`
	Value  float64 `json:"value" yaml:"value"`
	Unit   string  `json:"unit" yaml:"unit"`
	Source string  `json:"source,omitempty" yaml:"source,omitempty"`
}

// Result is one model's estimate.
type Result struct {
	Model             string      `json:"model" yaml:"model"`
	Default           bool        `json:"default" yaml:"default"` // the model the recommendation uses
	Description       string      `json:"description" yaml:"description"`
	POP3KgPerUserYear float64     `json:"pop3_kg_per_user_year" yaml:"pop3_kg_per_user_year"`
	IMAPKgPerUserYear float64     `json:"imap_kg_per_user_year" yaml:"imap_kg_per_user_year"`
	POP3KgPerYear     float64     `json:"pop3_kg_per_year" yaml:"pop3_kg_per_year"` // the organisation
	IMAPKgPerYear     float64     `json:"imap_kg_per_year" yaml:"imap_kg_per_year"`
	Formula           string      `json:"formula" yaml:"formula"`
	Parameters        []Parameter `json:"parameters" yaml:"parameters"`
	Warning           string      `json:"warning,omitempty" yaml:"warning,omitempty"`
}

// Estimate is every model's result, the one in use marked Default.
type Estimate struct {
	Used   string   `json:"used" yaml:"used"`
	Note   string   `json:"note" yaml:"note"`
	Models []Result `json:"models" yaml:"models"`
}

// MethodGapNote says why several models are shown.
const MethodGapNote = "published methods disagree by two to three orders of magnitude: " +
	"per-message figures count devices and people's time, bytes figures only energy per GB; compare options within one model"

// Estimate computes every model for in, marking used (a name from
// Models) as the default. It returns an error for an unknown model or
// region, or an input out of range.
func (p Params) Estimate(in Input, used string) (*Estimate, error) {
	if err := p.check(in, used); err != nil {
		return nil, err
	}
	e := &Estimate{Used: used, Note: MethodGapNote}
	for _, name := range Models {
		r := p.model(name, in)
		r.Default = name == used
		if name == SeedLiteral {
			r.Warning = "the article's rule taken literally; no measurement supports it"
		}
		e.Models = append(e.Models, r)
	}
	return e, nil
}

// Yearly returns the organisation's kg CO2e per year of POP3 and IMAP in
// one model, without the explanations: the fast path for scoring.
func (p *Params) Yearly(in Input, model string) (pop3Kg, imapKg float64, err error) {
	if err := p.check(in, model); err != nil {
		return 0, 0, err
	}
	pop3, imap := p.gramsPerUser(model, in)
	n := float64(in.Users)
	return pop3 * n / 1000, imap * n / 1000, nil
}

func (p *Params) check(in Input, model string) error {
	known := false
	for _, m := range Models {
		known = known || m == model
	}
	if !known {
		return fmt.Errorf("carbon model: invalid value %q: want one of %v", model, Models)
	}
	if _, ok := p.GridGPerKWh[in.Region]; !ok {
		return fmt.Errorf("region: no grid intensity for %q in the CO2 parameters", in.Region)
	}
	if in.Users < 1 || in.DevicesPerUser < 1 || in.MessagesPerDay < 0 || in.AttachmentShare < 0 ||
		in.AttachmentShare > 1 || in.RetentionYears < 0 || in.POP3ServerDays < 0 {
		return fmt.Errorf("CO2 input out of range: %+v", in)
	}
	return nil
}

// gramsPerUser returns g CO2e per user and year for POP3 and IMAP.
func (p *Params) gramsPerUser(model string, in Input) (pop3, imap float64) {
	switch model {
	case SeedLiteral:
		base := p.messagesPerYear(in) * p.perMessageG(in)
		return base, base * in.DevicesPerUser * math.Max(1, in.RetentionYears)
	case Bytes:
		return p.bytesGrams(in)
	default:
		base := p.messagesPerYear(in) * p.perMessageG(in)
		return base * p.pop3Multiplier(in), base * p.imapMultiplier(in)
	}
}

func (p *Params) messagesPerYear(in Input) float64 { return in.MessagesPerDay * p.WorkingDaysPerYear }

// perMessageG is the average g CO2e of one message: the standard and the
// attachment figures weighted by the share of attachments.
func (p *Params) perMessageG(in Input) float64 {
	m := p.PerMessage
	return (1-in.AttachmentShare)*m.StandardG + in.AttachmentShare*m.AttachmentG
}

func (p *Params) imapMultiplier(in Input) float64 {
	m := p.PerMessage
	return 1 + m.SyncShare*(in.DevicesPerUser-1) + m.StorageSharePerYear*(in.RetentionYears*p.Replicas/m.ReferenceReplicas-1)
}

func (p *Params) pop3Multiplier(in Input) float64 {
	m := p.PerMessage
	return 1 + m.StorageSharePerYear*(in.POP3ServerDays/365*p.Replicas/m.ReferenceReplicas-1)
}

// volumeGB is the mail one user handles in a year.
func (p *Params) volumeGB(in Input) float64 {
	b := p.Bytes
	return p.messagesPerYear(in) * ((1-in.AttachmentShare)*b.TextMessageMB + in.AttachmentShare*b.AttachmentMessageMB) / 1000
}

func (p *Params) bytesGrams(in Input) (pop3, imap float64) {
	b, grid := p.Bytes, p.GridGPerKWh[in.Region]
	v := p.volumeGB(in)
	perDevice := v * ((b.NetworkKWhPerGB+b.DeviceKWhPerGB)*grid + (b.NetworkEmbodiedKWhPerGB+b.DeviceEmbodiedKWhPerGB)*b.EmbodiedGridGPerKWh)
	dataCentre := v * (b.DataCentreKWhPerGB*grid + b.DataCentreEmbodiedKWhPerGB*b.EmbodiedGridGPerKWh)
	storage := func(years float64) float64 {
		return v * years * p.Replicas * (b.StorageKWhPerGBYear*b.PUE*grid + b.StorageEmbodiedGPerGBYear)
	}
	background := b.BackgroundSyncWhPerDeviceDay * in.DevicesPerUser * 365 * grid / 1000
	pop3 = perDevice + dataCentre + storage(in.POP3ServerDays/365)
	imap = perDevice*in.DevicesPerUser + dataCentre + storage(in.RetentionYears) + background
	return pop3, imap
}

func (p Params) model(name string, in Input) Result {
	pop3, imap := p.gramsPerUser(name, in)
	n := float64(in.Users)
	r := Result{
		Model:             name,
		POP3KgPerUserYear: round3(pop3 / 1000), IMAPKgPerUserYear: round3(imap / 1000),
		POP3KgPerYear: round3(pop3 * n / 1000), IMAPKgPerYear: round3(imap * n / 1000),
	}
	common := []Parameter{
		p.param("messages per day", in.MessagesPerDay, "per user", ""),
		p.param("working days", p.WorkingDaysPerYear, "days/year", "working_days_per_year"),
		p.param("attachment share", in.AttachmentShare, "of messages", ""),
		p.param("devices", in.DevicesPerUser, "per user (IMAP)", ""),
		p.param("retention", in.RetentionYears, "years on the IMAP server", ""),
		{Name: "POP3 days on server", Value: in.POP3ServerDays, Unit: "days", Source: "the advice's leave-on-server days for POP3"},
	}
	switch name {
	case SeedLiteral:
		r.Description = "the article's rule literally: IMAP impact = POP3 impact x devices x retention years"
		r.Formula = "POP3 = m*J*E; IMAP = POP3 * devices * max(1, retention); E = (1-a)*standard + a*attachment"
		r.Parameters = append(common, p.perMessageParams()...)
	case Bytes:
		r.Description = "energy per GB transferred and stored (Sustainable Web Design model v4) on the " + in.Region + " grid"
		r.Formula = "POP3 = T(1) + S(days/365); IMAP = T(devices) + S(retention) + background; T, S per GB (see defaults)"
		r.Parameters = append(common,
			p.param("grid intensity "+in.Region, p.GridGPerKWh[in.Region], "g CO2e/kWh", "grid_g_per_kwh."+in.Region),
			derived("volume", round3(p.volumeGB(in)), "GB per user-year"),
			p.param("embodied grid intensity", p.Bytes.EmbodiedGridGPerKWh, "g CO2e/kWh", "bytes.embodied_grid_g_per_kwh"),
			p.param("storage", p.Bytes.StorageKWhPerGBYear, "kWh/GB-year per replica", "bytes.storage_kwh_per_gb_year"),
			p.param("replicas", p.Replicas, "copies", "replicas"),
		)
	default:
		r.Description = "the article's 4 g / 50 g per message, IMAP scaled by synchronised devices and years on the server"
		r.Formula = "m*J*E*M; E = (1-a)*standard + a*attachment; M_IMAP = 1 + sync*(D-1) + store*(R*rho/rho_ref - 1); M_POP3 = 1 + store*(days/365*rho/rho_ref - 1)"
		r.Parameters = append(common, p.perMessageParams()...)
		r.Parameters = append(r.Parameters,
			derived("M_IMAP", round3(p.imapMultiplier(in)), "x"),
			derived("M_POP3", round3(p.pop3Multiplier(in)), "x"))
	}
	return r
}

func (p Params) perMessageParams() []Parameter {
	m := p.PerMessage
	return []Parameter{
		p.param("standard email", m.StandardG, "g CO2e", "per_message.standard_g"),
		p.param("email with attachment", m.AttachmentG, "g CO2e", "per_message.attachment_g"),
		p.param("sync share", m.SyncShare, "per extra device", "per_message.sync_share"),
		p.param("storage share", m.StorageSharePerYear, "per year on the server", "per_message.storage_share_per_year"),
		p.param("replicas", p.Replicas, "copies", "replicas"),
	}
}

// param describes a value; key names its defaults entry ("" for inputs
// from the scenario).
func (p Params) param(name string, value float64, unit, key string) Parameter {
	src := "scenario"
	if key != "" {
		src = p.Source(key)
	}
	return Parameter{Name: name, Value: value, Unit: unit, Source: src}
}

// derived describes a value computed from the parameters above it.
func derived(name string, value float64, unit string) Parameter {
	return Parameter{Name: name, Value: value, Unit: unit, Source: "computed from the values above"}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
