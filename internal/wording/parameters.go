package wording

import (
	"math"
	"strings"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// Units of the parameters, as Value writes them.
const (
	unitEURMonth    = "EUR a month"
	unitEURYear     = "EUR a year"
	unitEUR         = "EUR"
	unitEURPerHour  = "EUR an hour"
	unitShare       = "share"
	unitPlain       = ""
	unitGB          = "GB"
	unitHours       = "hours"
	unitDays        = "days a year"
	unitGrams       = "g"
	unitMB          = "MB"
	unitKWhPerGB    = "kWh/GB"
	unitKWhPerGBYr  = "kWh/GB-year"
	unitGPerKWh     = "g CO2e/kWh"
	unitGPerGBYear  = "g CO2e/GB-year"
	unitWhPerDevDay = "Wh/device-day"
)

type parameterWords struct{ label, unit string }

// costParameter and carbonParameter name the parameters of the cost and
// CO2 files by the last part of their key, with the option they belong to
// (the first part) said apart; TestEveryParameterHasWords derives from the
// files.
var costParameter = map[string]parameterWords{
	"fixed_per_year":                    {"fixed platform cost", unitEURYear},
	"per_mailbox_per_year":              {"cost per mailbox", unitEURYear},
	"storage_per_gb_year":               {"storage cost per GB", unitEURYear},
	"transient_quota_gb":                {"mail held until downloaded", unitGB},
	"replicas":                          {"copies of stored mail", unitPlain},
	"per_extra_device_per_year":         {"cost per extra device", unitEURYear},
	"endpoint_backup_per_user_per_year": {"endpoint backup per user", unitEURYear},
	"price_per_user_month":              {"price per mailbox", unitEURMonth},
	"one_off.training_hours_per_user":   {"training time per person", unitHours},
	"one_off.hourly_cost":               {"hourly cost of staff time", unitEURPerHour},
	"one_off.migration_per_mailbox":     {"migration per mailbox", unitEUR},
	"one_off.backup_setup":              {"backup set-up", unitEUR},
	"one_off.contingency_share":         {"contingency for changing needs", unitShare},
}

var costOption = map[string]string{
	"pop3_self": "self-hosted POP3", "imap_self": "self-hosted IMAP",
	"pop3_hosted": "hosted POP3", "imap_hosted": "hosted IMAP",
}

var carbonParameter = map[string]parameterWords{
	"working_days_per_year":                   {"days a year mail is handled", unitDays},
	"replicas":                                {"copies of stored mail", unitPlain},
	"per_message.standard_g":                  {"CO2 of a standard email", unitGrams},
	"per_message.attachment_g":                {"CO2 of an email with a large attachment", unitGrams},
	"per_message.sync_share":                  {"share of a message's CO2 repeated per synchronised device", unitShare},
	"per_message.storage_share_per_year":      {"share of a message's CO2 per year of storage", unitShare},
	"per_message.reference_replicas":          {"copies behind the per-message figures", unitPlain},
	"bytes.text_message_mb":                   {"size of a text email", unitMB},
	"bytes.attachment_message_mb":             {"size of an email with an attachment", unitMB},
	"bytes.data_centre_kwh_per_gb":            {"data-centre energy per GB", unitKWhPerGB},
	"bytes.network_kwh_per_gb":                {"network energy per GB", unitKWhPerGB},
	"bytes.device_kwh_per_gb":                 {"device energy per GB", unitKWhPerGB},
	"bytes.data_centre_embodied_kwh_per_gb":   {"data-centre embodied energy per GB", unitKWhPerGB},
	"bytes.network_embodied_kwh_per_gb":       {"network embodied energy per GB", unitKWhPerGB},
	"bytes.device_embodied_kwh_per_gb":        {"device embodied energy per GB", unitKWhPerGB},
	"bytes.embodied_grid_g_per_kwh":           {"grid intensity of embodied energy", unitGPerKWh},
	"bytes.storage_kwh_per_gb_year":           {"storage energy per GB-year", unitKWhPerGBYr},
	"bytes.pue":                               {"data-centre PUE", unitPlain},
	"bytes.storage_embodied_g_per_gb_year":    {"embodied CO2 of storage per GB-year", unitGPerGBYear},
	"bytes.background_sync_wh_per_device_day": {"background sync energy per device", unitWhPerDevDay},
	"grid_g_per_kwh":                          {"grid intensity in %s", unitGPerKWh},
}

// words finds a parameter's label and unit; ok is false for one the
// tables do not know (a key of a user's file).
func words(ref advisor.ParameterRef) (label string, w parameterWords, ok bool) {
	if ref.Model == advisor.ModelCost {
		option, rest, _ := strings.Cut(ref.Key, ".")
		w, ok = costParameter[rest]
		return costOption[option], w, ok && costOption[option] != ""
	}
	if region, ok := strings.CutPrefix(ref.Key, "grid_g_per_kwh."); ok {
		return region, carbonParameter["grid_g_per_kwh"], true
	}
	w, ok = carbonParameter[ref.Key]
	return "", w, ok
}

// Parameter names a cost or CO2 parameter in words: "price per mailbox
// (hosted IMAP)"; its key when the tables do not know it.
func Parameter(lp *l10n.Printer, ref advisor.ParameterRef) string {
	option, w, ok := words(ref)
	switch {
	case !ok:
		return ref.Key
	case ref.Model == advisor.ModelCost:
		return lp.T("%s (%s)", lp.T(w.label), lp.T(option))
	case strings.Contains(w.label, "%s"):
		return lp.T(w.label, option)
	}
	return lp.T(w.label)
}

// Value writes a parameter's value with its unit: €4.40 a month, 10%,
// 1.5 hours.
func Value(lp *l10n.Printer, ref advisor.ParameterRef, v float64) string {
	_, w, _ := words(ref)
	switch w.unit {
	case unitEURMonth, unitEURYear, unitEUR, unitEURPerHour:
		decimals := 0
		if math.Abs(v) < 100 && math.Round(v) != v {
			decimals = 2
		}
		amount := lp.AmountDecimals(v, "EUR", decimals)
		if w.unit == unitEUR {
			return amount
		}
		return amount + " " + lp.T(strings.TrimPrefix(w.unit, "EUR "))
	case unitShare:
		return percentOne(lp, v)
	case unitPlain:
		return significant(lp, v)
	}
	return significant(lp, v) + "\u00a0" + lp.T(w.unit)
}

// percentOne writes a share as a percentage with at most one decimal.
func percentOne(lp *l10n.Printer, v float64) string {
	pct := v * 100
	n := lp.Number(pct, 0)
	if math.Round(pct) != math.Round(pct*10)/10 {
		n = lp.Number(pct, 1)
	}
	if lp.Lang() == l10n.French {
		return n + "\u00a0%"
	}
	return n + "%"
}

// significant writes v with three significant digits at most, trimmed.
func significant(lp *l10n.Printer, v float64) string {
	if v == 0 {
		return lp.Number(0, 0)
	}
	decimals := max(0, 2-int(math.Floor(math.Log10(math.Abs(v)))))
	decimals = min(decimals, 6)
	r := math.Pow10(decimals)
	v = math.Round(v*r) / r
	for decimals > 0 && math.Round(v*math.Pow10(decimals-1)) == v*math.Pow10(decimals-1) {
		decimals--
	}
	return lp.Number(v, decimals)
}

// Share writes the share of draws that give an answer as a whole
// percentage that never rounds a part to all or nothing: more than 99%,
// less than 1%.
func Share(lp *l10n.Printer, share float64) string {
	switch {
	case share < 1 && share >= 0.995:
		return lp.T("more than %s", lp.Percent(0.99))
	case share > 0 && share < 0.005:
		return lp.T("less than %s", lp.Percent(0.01))
	}
	return lp.Percent(share)
}

// Uncertainty is the one sentence that says how the answer holds over
// plausible parameters: how often it comes out, and the condition under
// which it mainly loses.
func Uncertainty(lp *l10n.Printer, u *advisor.Uncertainty) string {
	cases := lp.Number(float64(u.Draws), 0)
	answer := lp.T("no option fits")
	if u.Answer != advisor.AnswerNone {
		answer = Option(lp, u.Answer)
	}
	if u.AnswerShare == 1 {
		return lp.T("%s is the answer in every one of %s plausible cases (cost and CO2 parameters drawn within their ranges).", answer, cases)
	}
	head := lp.T("%s is the answer in %s of %s plausible cases", answer, Share(lp, u.AnswerShare), cases)
	if u.Answer == advisor.AnswerNone {
		head = lp.T("No option meets every constraint in %s of %s plausible cases", Share(lp, u.AnswerShare), cases)
	}
	c := u.LosesWhen
	if c == nil {
		return lp.T("%s; no single parameter explains most of the others.", head)
	}
	if c.Above {
		return lp.T("%s; it loses mainly when the %s is above %s.", head, Parameter(lp, c.ParameterRef), Value(lp, c.ParameterRef, c.Threshold))
	}
	return lp.T("%s; it loses mainly when the %s is below %s.", head, Parameter(lp, c.ParameterRef), Value(lp, c.ParameterRef, c.Threshold))
}
