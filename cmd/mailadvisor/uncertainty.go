package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/wording"
)

// uncertaintyOptions are --uncertainty and its draws.
type uncertaintyOptions struct {
	on    bool
	draws int
	seed  uint64
}

func (o *uncertaintyOptions) addFlags(cmd *cobra.Command, help string) {
	cmd.Flags().BoolVar(&o.on, "uncertainty", false, help)
	addIntRangeFlag(cmd, &o.draws, "draws", advisor.DefaultDraws, 1, advisor.MaxDraws, "",
		"parameter sets the uncertainty draws (implies --uncertainty)")
	cmd.Flags().Uint64Var(&o.seed, "seed", advisor.DefaultSeed, "seed of the draws: the same seed gives the same figures (implies --uncertainty)")
}

// options are the advisor's options for the flags of cmd: nil unless
// --uncertainty, --draws or --seed was given.
func (o *uncertaintyOptions) options(cmd *cobra.Command) *advisor.UncertaintyOptions {
	if !o.on && !cmd.Flags().Changed("draws") && !cmd.Flags().Changed("seed") {
		return nil
	}
	return &advisor.UncertaintyOptions{Draws: o.draws, Seed: o.seed}
}

// uncertaintySections say how the answer holds over plausible parameters:
// the sentence, each option's chance and bands, and the tornado.
func uncertaintySections(u *advisor.Uncertainty, lp *l10n.Printer) []section {
	share := map[string]float64{}
	for _, o := range u.Outcomes {
		share[o.Answer] = o.Share
	}
	head := section{
		Title: lp.T("Uncertainty: %s plausible parameter sets (seed %s)", lp.Number(float64(u.Draws), 0), strconv.FormatUint(u.Seed, 10)),
		Lines: []string{wording.Uncertainty(lp, u)},
		Header: []string{lp.T("Option"), lp.T("Recommended in"), lp.T("Per year (P10–P90)"), lp.T("Per year, central"),
			lp.T("CO2 a year (P10–P90)")},
	}
	for _, o := range u.Options {
		head.Rows = append(head.Rows, []string{o.Option, wording.Share(lp, share[o.Option]),
			lp.Amount(o.CostEUR.P10, "EUR") + "–" + lp.Amount(o.CostEUR.P90, "EUR"), lp.Amount(o.CostEUR.Central, "EUR"),
			lp.T("%s–%s kg", lp.Number(o.CO2Kg.P10, 0), lp.Number(o.CO2Kg.P90, 0))})
	}
	if s, ok := share[advisor.AnswerNone]; ok {
		head.Rows = append(head.Rows, []string{advisor.AnswerNone, wording.Share(lp, s), "", "", ""})
	}
	out := []section{head}
	if len(u.Tornado) > 0 {
		t := section{
			Title: lp.T("What moves the cost gap most (IMAP option minus POP3 option, %s a year now)", lp.Amount(u.Gap.Central, "EUR")),
			Header: []string{lp.T("Parameter"), lp.T("Low"), lp.T("Now"), lp.T("High"), lp.T("Gap at low"), lp.T("Gap at high"),
				lp.T("Source"), lp.T("Date")},
		}
		for _, sw := range u.Tornado {
			t.Rows = append(t.Rows, []string{wording.Parameter(lp, sw.ParameterRef), wording.Value(lp, sw.ParameterRef, sw.Low),
				wording.Value(lp, sw.ParameterRef, sw.Central), wording.Value(lp, sw.ParameterRef, sw.High),
				lp.Amount(sw.GapAtLow, "EUR"), lp.Amount(sw.GapAtHigh, "EUR"), sw.Source, sw.Date})
		}
		out = append(out, t)
	}
	return out
}
