package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// configKeys are the settings a config file may hold; each one is also a
// flag and a MAILADVISOR_* environment variable.
var configKeys = []string{"output", "preset", "rules", "extra-rules", "years", "carbon-model", "cost-params", "carbon-params", "lang", "domain-source"}

// applySettings is the one step that gives every command its settings:
// each setting that is a flag of the command and was not given on the
// command line takes the value of its MAILADVISOR_* environment variable,
// else of the config file. Commands then read only their flags. A setting
// is not applied when the command line gave a flag it excludes (--protocol
// wins over a preset from the environment). It runs before cobra checks
// required and exclusive flags.
func applySettings(cmd *cobra.Command, global *globalOptions, inputs *inputSet) error {
	file, path, err := readConfigFile(inputs, cmd.Flags(), global)
	if err != nil {
		return err
	}
	for _, key := range configKeys {
		f := cmd.Flags().Lookup(key)
		if f == nil || f.Changed || excludedByCommandLine(cmd.Flags(), f) {
			continue
		}
		env := "MAILADVISOR_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
		value, from := os.Getenv(env), "environment variable "+env
		if value == "" {
			if file == nil || !file.IsSet(key) {
				continue
			}
			value, from = file.GetString(key), "config file "+path
		}
		// The value's own check first, for its words (the flag set's
		// would name the flag, which was not given), then the flag set,
		// which marks it changed.
		if err := f.Value.Set(value); err != nil {
			return usagef("%s: %s: invalid value %q: %v", from, key, value, err)
		}
		if err := cmd.Flags().Set(key, value); err != nil {
			return usagef("%s: %s: invalid value %q: %v", from, key, value, err)
		}
		setOrigin(f, from)
	}
	return nil
}

// excludedByCommandLine tells whether a flag given on the command line
// excludes f (cobra's mutually exclusive groups).
func excludedByCommandLine(flags *pflag.FlagSet, f *pflag.Flag) bool {
	for _, group := range f.Annotations["cobra_annotation_mutually_exclusive"] {
		for _, name := range strings.Fields(group) {
			if other := flags.Lookup(name); name != f.Name && other != nil && other.Changed {
				return true
			}
		}
	}
	return false
}

// readConfigFile reads the config file, if there is one (see configPath):
// viper holds only the tool's own settings, strictly checked.
func readConfigFile(inputs *inputSet, flags *pflag.FlagSet, global *globalOptions) (*viper.Viper, string, error) {
	path, err := configPath(flags, global)
	if err != nil || path == "" {
		return nil, "", err
	}
	data, err := inputs.read("config file", path, nil)
	if err != nil {
		return nil, "", err
	}
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, "", usagef("config file %s: %v", path, err)
	}
	return v, path, checkConfigKeys(v, path)
}

// configPath is --config, else $MAILADVISOR_CONFIG, else the user's
// config.yaml when it exists. A file named explicitly must exist.
func configPath(flags *pflag.FlagSet, global *globalOptions) (string, error) {
	if global.noConfig {
		return "", nil
	}
	explicit := global.configFile
	if explicit == "" {
		explicit = os.Getenv("MAILADVISOR_CONFIG")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", withHint(usagef("config file %s: %v", explicit, errors.Unwrap(err)),
				"pass an existing file to --config, or --no-config")
		}
		return explicit, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", nil
	}
	path := filepath.Join(dir, "mailadvisor", "config.yaml")
	if _, err := os.Stat(path); err != nil {
		return "", nil
	}
	return path, nil
}

func checkConfigKeys(v *viper.Viper, path string) error {
	known := map[string]bool{}
	for _, k := range configKeys {
		known[k] = true
	}
	var unknown []string
	for _, k := range v.AllKeys() {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return usagef("config file %s: unknown setting %s (known settings: %s)",
			textcheck.Visible(path), textcheck.QuoteKey(unknown[0]), strings.Join(configKeys, ", "))
	}
	return nil
}
