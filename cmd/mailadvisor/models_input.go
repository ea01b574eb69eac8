package main

import (
	"bytes"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/carbon"
	"github.com/mailadvisor/mailadvisor/costmodel"
)

// modelOptions choose and tune the cost and CO2 models.
type modelOptions struct {
	years        int
	carbonModel  string
	costParams   string
	carbonParams string
}

// Which models a command uses, for addFlags: a command registers only
// the flags of the models it runs.
const (
	costModel = 1 << iota
	carbonModels
	bothModels = costModel | carbonModels
)

// addFlags registers the flags of the models in which.
func (o *modelOptions) addFlags(cmd *cobra.Command, which int) {
	o.years, o.carbonModel = costmodel.DefaultYears, carbon.PerMessage
	if which&costModel != 0 {
		addIntRangeFlag(cmd, &o.years, "years", costmodel.DefaultYears, 1, 100, "", "horizon of the total cost of ownership, in years (env MAILADVISOR_YEARS)")
		cmd.Flags().StringVar(&o.costParams, "cost-params", "", "cost parameters file, see 'mailadvisor cost --print-defaults' (env MAILADVISOR_COST_PARAMS)")
	}
	if which&carbonModels != 0 {
		addChoiceFlag(cmd, &o.carbonModel, "carbon-model", "", "model", carbon.PerMessage, fixed(carbon.Models...),
			"CO2 model the advice uses: "+strings.Join(carbon.Models, ", ")+" (env MAILADVISOR_CARBON_MODEL)")
		cmd.Flags().StringVar(&o.carbonParams, "carbon-params", "", "CO2 parameters file, see 'mailadvisor carbon --print-defaults' (env MAILADVISOR_CARBON_PARAMS)")
	}
}

// load reads the models: the defaults, with the parameter files on top.
func (o *modelOptions) load(inputs *inputSet) (advisor.Models, error) {
	years, model := o.years, o.carbonModel
	if years < 1 || years > 100 {
		return advisor.Models{}, usagef("years: invalid value \"%d\": want a whole number from 1 to 100", years)
	}
	if !slices.Contains(carbon.Models, model) {
		return advisor.Models{}, usagef("carbon-model: invalid value %q: want one of %s", model, strings.Join(carbon.Models, ", "))
	}
	m := advisor.Models{Years: years, CarbonModel: model}
	var err error
	if m.Cost, err = loadParamsFile(inputs, o.costParams, costmodel.LoadParams); err != nil {
		return m, err
	}
	if m.Carbon, err = loadParamsFile(inputs, o.carbonParams, carbon.LoadParams); err != nil {
		return m, err
	}
	return m, nil
}

// loadParamsFile loads model parameters: the defaults when path is empty,
// else path's keys on top of them. Any error is the input's fault.
func loadParamsFile[P any](inputs *inputSet, path string, load func(r io.Reader, source string) (P, error)) (P, error) {
	if path == "" {
		return load(nil, "")
	}
	data, err := inputs.read("parameters file", path, nil)
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
