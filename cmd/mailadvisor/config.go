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
)

// configKeys are the settings a config file may hold; each one is also a
// flag and a MAILADVISOR_* environment variable.
var configKeys = []string{"output", "preset", "rules", "extra-rules", "years", "carbon-model", "cost-params", "carbon-params"}

// newConfig returns a viper instance for cmd (one per command, never the
// global one) with the settings' precedence: flag, MAILADVISOR_* env,
// config file, default. Only flags named in keys are bound.
func newConfig(cmd *cobra.Command, global *globalOptions, keys ...string) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("MAILADVISOR")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	for _, key := range keys {
		if f := cmd.Flags().Lookup(key); f != nil {
			if err := v.BindPFlag(key, f); err != nil {
				return nil, err
			}
		}
	}
	path, err := configPath(cmd.Flags(), global)
	if err != nil || path == "" {
		return v, err
	}
	data, err := readInput("config file", path, nil)
	if err != nil {
		return nil, err
	}
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, usagef("config file %s: %v", path, err)
	}
	return v, checkConfigKeys(v, path)
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
		return usagef("config file %s: unknown setting %q (known settings: %s)",
			path, unknown[0], strings.Join(configKeys, ", "))
	}
	return nil
}
