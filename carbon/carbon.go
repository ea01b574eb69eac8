// Package carbon estimates the yearly CO2 of reading mail over POP3 and
// over IMAP with three published methods side by side, because they
// disagree by two to three orders of magnitude:
//
//   - per-message (the default): the source article's 4 g per standard
//     email and 50 g with a large attachment, with IMAP's extra impact
//     growing through documented shares with the synchronised devices and
//     the years mail is kept on the server;
//   - seed-literal: the article's rule taken literally (IMAP impact times
//     devices times retention years), which no measurement supports;
//   - bytes: energy per GB transferred and stored (Sustainable Web Design
//     model v4) times the region's grid intensity.
//
// Parameters are a commented YAML file (defaults.yaml, embedded) that
// users override with their own. The package imports nothing else of
// mailadvisor.
package carbon

import (
	"bytes"
	_ "embed"
	"io"
	"sort"

	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

//go:embed defaults.yaml
var defaultsYAML []byte

// Model names.
const (
	PerMessage  = "per-message"
	SeedLiteral = "seed-literal"
	Bytes       = "bytes"
)

// Models lists the model names, the default first.
var Models = []string{PerMessage, SeedLiteral, Bytes}

// Params are the CO2 models' parameters; see defaults.yaml.
type Params struct {
	WorkingDaysPerYear float64            `yaml:"working_days_per_year" json:"working_days_per_year"`
	Replicas           float64            `yaml:"replicas" json:"replicas"`
	PerMessage         PerMessageParams   `yaml:"per_message" json:"per_message"`
	Bytes              BytesParams        `yaml:"bytes" json:"bytes"`
	GridGPerKWh        map[string]float64 `yaml:"grid_g_per_kwh" json:"grid_g_per_kwh"`

	// Ranges are how far each figure may plausibly be from its value,
	// by dotted key; see defaults.yaml.
	Ranges map[string]yamlparams.Range `yaml:"ranges" json:"ranges"`

	sources map[string]string
}

// PerMessageParams are the per-message model's parameters.
type PerMessageParams struct {
	StandardG           float64 `yaml:"standard_g" json:"standard_g"`
	AttachmentG         float64 `yaml:"attachment_g" json:"attachment_g"`
	SyncShare           float64 `yaml:"sync_share" json:"sync_share"`
	StorageSharePerYear float64 `yaml:"storage_share_per_year" json:"storage_share_per_year"`
	ReferenceReplicas   float64 `yaml:"reference_replicas" json:"reference_replicas"`
}

// BytesParams are the bytes model's parameters.
type BytesParams struct {
	TextMessageMB                float64 `yaml:"text_message_mb" json:"text_message_mb"`
	AttachmentMessageMB          float64 `yaml:"attachment_message_mb" json:"attachment_message_mb"`
	DataCentreKWhPerGB           float64 `yaml:"data_centre_kwh_per_gb" json:"data_centre_kwh_per_gb"`
	NetworkKWhPerGB              float64 `yaml:"network_kwh_per_gb" json:"network_kwh_per_gb"`
	DeviceKWhPerGB               float64 `yaml:"device_kwh_per_gb" json:"device_kwh_per_gb"`
	DataCentreEmbodiedKWhPerGB   float64 `yaml:"data_centre_embodied_kwh_per_gb" json:"data_centre_embodied_kwh_per_gb"`
	NetworkEmbodiedKWhPerGB      float64 `yaml:"network_embodied_kwh_per_gb" json:"network_embodied_kwh_per_gb"`
	DeviceEmbodiedKWhPerGB       float64 `yaml:"device_embodied_kwh_per_gb" json:"device_embodied_kwh_per_gb"`
	EmbodiedGridGPerKWh          float64 `yaml:"embodied_grid_g_per_kwh" json:"embodied_grid_g_per_kwh"`
	StorageKWhPerGBYear          float64 `yaml:"storage_kwh_per_gb_year" json:"storage_kwh_per_gb_year"`
	PUE                          float64 `yaml:"pue" json:"pue"`
	StorageEmbodiedGPerGBYear    float64 `yaml:"storage_embodied_g_per_gb_year" json:"storage_embodied_g_per_gb_year"`
	BackgroundSyncWhPerDeviceDay float64 `yaml:"background_sync_wh_per_device_day" json:"background_sync_wh_per_device_day"`
}

// DefaultsYAML returns the commented defaults file, for --print-defaults.
func DefaultsYAML() []byte { return bytes.Clone(defaultsYAML) }

// DefaultParams returns the built-in parameters.
func DefaultParams() (Params, error) { return LoadParams(nil, "") }

// LoadParams returns the defaults with the keys of r (a YAML file, may be
// nil) applied on top, strictly decoded and validated.
func LoadParams(r io.Reader, source string) (Params, error) {
	p, sources, err := yamlparams.Load(defaultsYAML, "built-in CO2 parameters", r, source, (*Params).checks, (*Params).rangeTable)
	if err != nil {
		return p, err
	}
	p.sources = sources
	return p, nil
}

// Bounds lists every numeric parameter by dotted key, with its value and
// what it allows.
func (p Params) Bounds() []yamlparams.Bound { return p.checks() }

func (p *Params) rangeTable() *map[string]yamlparams.Range { return &p.Ranges }

// Source returns where the value of a dotted key comes from.
func (p Params) Source(key string) string { return p.sources[key] }

func (p *Params) checks() []yamlparams.Bound {
	m, b := p.PerMessage, p.Bytes
	out := []yamlparams.Bound{
		yamlparams.Between("working_days_per_year", p.WorkingDaysPerYear, 0, 366),
		yamlparams.Between("replicas", p.Replicas, 1, 100),
		yamlparams.AtLeast("per_message.standard_g", m.StandardG, 0),
		yamlparams.AtLeast("per_message.attachment_g", m.AttachmentG, 0),
		yamlparams.Between("per_message.sync_share", m.SyncShare, 0, 1),
		yamlparams.Between("per_message.storage_share_per_year", m.StorageSharePerYear, 0, 1),
		yamlparams.Between("per_message.reference_replicas", m.ReferenceReplicas, 1, 100),
		yamlparams.AtLeast("bytes.text_message_mb", b.TextMessageMB, 0),
		yamlparams.AtLeast("bytes.attachment_message_mb", b.AttachmentMessageMB, 0),
		yamlparams.AtLeast("bytes.data_centre_kwh_per_gb", b.DataCentreKWhPerGB, 0),
		yamlparams.AtLeast("bytes.network_kwh_per_gb", b.NetworkKWhPerGB, 0),
		yamlparams.AtLeast("bytes.device_kwh_per_gb", b.DeviceKWhPerGB, 0),
		yamlparams.AtLeast("bytes.data_centre_embodied_kwh_per_gb", b.DataCentreEmbodiedKWhPerGB, 0),
		yamlparams.AtLeast("bytes.network_embodied_kwh_per_gb", b.NetworkEmbodiedKWhPerGB, 0),
		yamlparams.AtLeast("bytes.device_embodied_kwh_per_gb", b.DeviceEmbodiedKWhPerGB, 0),
		yamlparams.AtLeast("bytes.embodied_grid_g_per_kwh", b.EmbodiedGridGPerKWh, 0),
		yamlparams.AtLeast("bytes.storage_kwh_per_gb_year", b.StorageKWhPerGBYear, 0),
		yamlparams.Between("bytes.pue", b.PUE, 1, 10),
		yamlparams.AtLeast("bytes.storage_embodied_g_per_gb_year", b.StorageEmbodiedGPerGBYear, 0),
		yamlparams.AtLeast("bytes.background_sync_wh_per_device_day", b.BackgroundSyncWhPerDeviceDay, 0),
	}
	regions := make([]string, 0, len(p.GridGPerKWh))
	for r := range p.GridGPerKWh {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, r := range regions {
		out = append(out, yamlparams.AtLeast("grid_g_per_kwh."+r, p.GridGPerKWh[r], 0))
	}
	return out
}

// Validate checks every parameter: finite and not negative, shares at
// most 1, replicas at least 1, a PUE of at least 1.
func (p Params) Validate() error {
	return yamlparams.Validate(p.checks())
}
