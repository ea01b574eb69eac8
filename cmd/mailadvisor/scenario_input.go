package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
)

// fieldFlag is a scenario field as a flag: it checks the value when the
// flag is parsed and keeps the text to apply in precedence order later.
type fieldFlag struct {
	field advisor.Field
	text  string
	given bool // on the command line
}

func (f *fieldFlag) String() string { return f.text }

func (f *fieldFlag) Set(text string) error {
	var scratch advisor.Scenario
	if err := f.field.Set(&scratch, text); err != nil {
		return fmt.Errorf("want %s", f.field.Allowed())
	}
	f.text, f.given = text, true
	return nil
}

func (f *fieldFlag) Type() string {
	switch f.field.Kind {
	case advisor.KindInt:
		return "int"
	case advisor.KindFloat:
		return "number"
	case advisor.KindBool:
		return "bool"
	default:
		return "string"
	}
}

// scenarioInput gathers where a scenario comes from: a preset, a file and
// one flag per field.
type scenarioInput struct {
	preset string
	file   string
	flags  []*fieldFlag
}

// addFlags registers -f and one flag per scenario field on cmd.
func (in *scenarioInput) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&in.file, "file", "f", "", "scenario file, YAML or JSON ('-' for stdin)")
	addPresetFlag(cmd, &in.preset, "start from a named scenario")
	for _, field := range advisor.Fields() {
		ff := &fieldFlag{field: field}
		in.flags = append(in.flags, ff)
		help := fmt.Sprintf("%s: %s (env %s)", field.Help, field.Allowed(), field.EnvName())
		fl := cmd.Flags().VarPF(ff, field.FlagName(), "", help)
		if field.Kind == advisor.KindBool {
			fl.NoOptDefVal = "true"
		}
	}
	for _, field := range advisor.Fields() {
		if field.Kind == advisor.KindEnum {
			values := field.Values
			_ = cmd.RegisterFlagCompletionFunc(field.FlagName(), cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
	}
}

// load builds the scenario: built-in default, then the preset, the file,
// MAILADVISOR_* variables and flags, each overriding the one before.
func (in *scenarioInput) load(std streams) (advisor.Scenario, advisor.Provenance, error) {
	s, prov, err := baseScenario(in.preset, in.file, std)
	if err != nil {
		return s, prov, err
	}
	for _, ff := range in.flags {
		if text := os.Getenv(ff.field.EnvName()); text != "" {
			if err := ff.field.Set(&s, text); err != nil {
				return s, prov, usagef("environment variable %s: %v", ff.field.EnvName(), err)
			}
			prov[ff.field.Name] = advisor.SourceEnv
		}
	}
	for _, ff := range in.flags {
		if ff.given {
			if err := ff.field.Set(&s, ff.text); err != nil {
				return s, prov, usagef("--%s: %v", ff.field.FlagName(), err)
			}
			prov[ff.field.Name] = advisor.SourceFlag
		}
	}
	return s, prov, s.Validate()
}

// loadFitted is load, with the fields nobody gave fitted to the
// scenario's size (advisor.FitDefaults), and the list of assumptions.
func (in *scenarioInput) loadFitted(std streams) (advisor.Scenario, []advisor.Assumption, error) {
	s, prov, err := in.load(std)
	if err != nil {
		return s, nil, err
	}
	assumed := advisor.FitDefaults(&s, prov)
	return s, assumed, s.Validate()
}

// addPresetFlag declares --preset, with the same help on every command.
func addPresetFlag(cmd *cobra.Command, target *string, what string) {
	addChoiceFlag(cmd, target, "preset", "", "name", "", presetNames, what+", see 'mailadvisor presets' (env MAILADVISOR_PRESET)")
}

// baseScenario is the default scenario, or the preset, with the scenario
// file (may be "", "-" for stdin) on top, and where each field came from.
func baseScenario(preset, file string, std streams) (advisor.Scenario, advisor.Provenance, error) {
	s, prov := advisor.DefaultScenario(), advisor.Provenance{}
	if preset != "" {
		p, err := advisor.PresetNamed(preset)
		if err != nil {
			return s, prov, withHint(err, "run 'mailadvisor presets' to list them")
		}
		s = p.Scenario
		for _, f := range p.Fields() {
			prov[f] = advisor.SourcePreset
		}
	}
	if file != "" {
		keys, err := decodeScenarioFile(file, std, &s)
		if err != nil {
			return s, prov, err
		}
		for _, f := range keys {
			prov[f] = advisor.SourceFile
		}
	}
	return s, prov, nil
}

func decodeScenarioFile(path string, std streams, s *advisor.Scenario) ([]string, error) {
	data, err := std.inputs.read("scenario file", path, std.in)
	if err != nil {
		return nil, err
	}
	source := path
	if path == "-" {
		source = "stdin"
	}
	return advisor.DecodeScenarioFields(bytes.NewReader(data), source, s)
}

// maxInputBytes bounds every whole-file input (scenario, rules, domain,
// parameters, config, PEM): the real ones take a few kilobytes, and
// /dev/zero or a wrong file must not fill the memory.
const maxInputBytes = 4 << 20
