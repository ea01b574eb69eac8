package main

import (
	"bytes"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/carbon"
	"github.com/mailadvisor/mailadvisor/costmodel"
)

// modelKeys are the settings that choose the cost and CO2 models.
var modelKeys = []string{"years", "carbon-model", "cost-params", "carbon-params"}

// addModelFlags registers the flags that choose and tune the cost and CO2
// models.
func addModelFlags(cmd *cobra.Command) {
	cmd.Flags().Int("years", costmodel.DefaultYears, "horizon of the total cost of ownership, in years (env MAILADVISOR_YEARS)")
	cmd.Flags().String("carbon-model", carbon.PerMessage, "CO2 model the advice uses: "+strings.Join(carbon.Models, ", ")+" (env MAILADVISOR_CARBON_MODEL)")
	cmd.Flags().String("cost-params", "", "cost parameters file, see 'mailadvisor cost --print-defaults' (env MAILADVISOR_COST_PARAMS)")
	cmd.Flags().String("carbon-params", "", "CO2 parameters file, see 'mailadvisor carbon --print-defaults' (env MAILADVISOR_CARBON_PARAMS)")
	_ = cmd.RegisterFlagCompletionFunc("carbon-model", cobra.FixedCompletions(carbon.Models, cobra.ShellCompDirectiveNoFileComp))
}

// loadModels reads the model settings: the defaults, with the parameter
// files given on top.
func loadModels(v *viper.Viper) (advisor.Models, error) {
	years := v.GetInt("years")
	if years < 1 || years > 100 {
		return advisor.Models{}, usagef("years: invalid value %q: want a whole number from 1 to 100", v.GetString("years"))
	}
	model := v.GetString("carbon-model")
	if !slices.Contains(carbon.Models, model) {
		return advisor.Models{}, usagef("carbon-model: invalid value %q: want one of %s", model, strings.Join(carbon.Models, ", "))
	}
	m := advisor.Models{Years: years, CarbonModel: model}
	var err error
	if m.Cost, err = loadParamsFile(v.GetString("cost-params"), costmodel.LoadParams); err != nil {
		return m, err
	}
	if m.Carbon, err = loadParamsFile(v.GetString("carbon-params"), carbon.LoadParams); err != nil {
		return m, err
	}
	return m, nil
}

// loadParamsFile loads model parameters: the defaults when path is empty,
// else path's keys on top of them. Any error is the input's fault.
func loadParamsFile[P any](path string, load func(r io.Reader, source string) (P, error)) (P, error) {
	if path == "" {
		return load(nil, "")
	}
	data, err := readInput("parameters file", path, nil)
	if err != nil {
		var zero P
		return zero, err
	}
	p, err := load(bytes.NewReader(data), path)
	if err != nil {
		return p, withHint(&usageError{err: err}, "start from the defaults: --print-defaults > FILE")
	}
	return p, nil
}
