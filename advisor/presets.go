package advisor

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed presets.yaml
var presetsYAML []byte

// DefaultPreset is the name of the preset that [DefaultScenario] returns.
const DefaultPreset = "sme-office"

// Preset is a named scenario shipped with the tool.
type Preset struct {
	Name        string   `json:"name" yaml:"name"`
	Description string   `json:"description" yaml:"description"`
	Scenario    Scenario `json:"scenario" yaml:"scenario"`
	fields      []string // the fields the preset sets
}

// Fields are the names of the fields the preset sets; the others keep
// the built-in default.
func (p Preset) Fields() []string { return p.fields }

type presetDoc struct {
	Description string    `yaml:"description"`
	Scenario    yaml.Node `yaml:"scenario"`
}

// Presets returns every built-in preset, sorted by name, each one applied
// on top of [DefaultScenario] and validated.
func Presets() ([]Preset, error) {
	var docs map[string]presetDoc
	if err := yaml.Unmarshal(presetsYAML, &docs); err != nil {
		return nil, fmt.Errorf("built-in presets: %w", err)
	}
	presets := make([]Preset, 0, len(docs))
	for name, doc := range docs {
		s := DefaultScenario()
		if err := applyNode(&doc.Scenario, &s); err != nil {
			return nil, fmt.Errorf("built-in preset %s: %w", name, err)
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("built-in preset %s: %w", name, err)
		}
		var keys []string
		for i := 0; i+1 < len(doc.Scenario.Content); i += 2 {
			keys = append(keys, doc.Scenario.Content[i].Value)
		}
		presets = append(presets, Preset{Name: name, Description: doc.Description, Scenario: s, fields: keys})
	}
	sort.Slice(presets, func(i, j int) bool { return presets[i].Name < presets[j].Name })
	return presets, nil
}

// PresetScenario returns the scenario of the preset called name, or a
// [*FieldError] listing the preset names when there is none.
func PresetScenario(name string) (Scenario, error) {
	p, err := PresetNamed(name)
	return p.Scenario, err
}

// PresetNamed returns the preset called name, or a [*FieldError] listing
// the preset names when there is none.
func PresetNamed(name string) (Preset, error) {
	presets, err := Presets()
	if err != nil {
		return Preset{}, err
	}
	names := make([]string, len(presets))
	for i, p := range presets {
		if p.Name == name {
			return p, nil
		}
		names[i] = p.Name
	}
	return Preset{}, &FieldError{Field: "preset", Value: name, Allowed: "one of " + strings.Join(names, ", ")}
}
