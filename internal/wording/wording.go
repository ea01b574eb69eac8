// Package wording says the advisor's values in words, in the language of
// an l10n.Printer: the names of the options, the confidence, scores, the
// answer of a flip, the CO2 models. The command's tables and the report
// share it, so that both say the same thing the same way.
package wording

import (
	"math"
	"strings"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/costmodel"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// Option names a way to run mail (pop3-self...) in words.
func Option(lp *l10n.Printer, option string) string {
	switch option {
	case costmodel.POP3Self:
		return lp.T("POP3 on your own server")
	case costmodel.IMAPSelf:
		return lp.T("IMAP on your own server")
	case costmodel.POP3Hosted:
		return lp.T("POP3 hosted by a provider")
	case costmodel.IMAPHosted:
		return lp.T("IMAP hosted by a provider")
	}
	return option
}

// Confidence says how sure the advice is.
func Confidence(lp *l10n.Printer, c string) string {
	switch c {
	case advisor.ConfidenceStrong:
		return lp.T("strong")
	case advisor.ConfidenceModerate:
		return lp.T("moderate")
	case advisor.ConfidenceClose:
		return lp.T("close call")
	}
	return lp.T("none")
}

// Points writes a score or an input's value the same way everywhere: as
// few decimals as it has, at most two (114.5, 2.25, 106), so that one
// score never reads 114.50 in one place and 115 in another.
func Points(lp *l10n.Printer, v float64) string {
	r := math.Round(v*100) / 100
	switch {
	case r == math.Trunc(r):
		return lp.Number(r, 0)
	case r*10 == math.Round(r*10):
		return lp.Number(r, 1)
	}
	return lp.Number(r, 2)
}

// Answer is what a flip changes the answer to: the protocol, or that no
// option would meet every constraint.
func Answer(lp *l10n.Printer, a string) string {
	if a == advisor.AnswerNone {
		return lp.T("no option fits")
	}
	return strings.ToUpper(a)
}

// ModelDescription is a CO2 model's description (carbon.Result's) in the
// language; the bytes model's names its region.
func ModelDescription(lp *l10n.Printer, desc string) string {
	const bytesPrefix, bytesSuffix = "energy per GB transferred and stored (Sustainable Web Design model v4) on the ", " grid"
	if region, ok := strings.CutPrefix(desc, bytesPrefix); ok && strings.HasSuffix(region, bytesSuffix) {
		return lp.T(bytesPrefix+"%s"+bytesSuffix, strings.TrimSuffix(region, bytesSuffix))
	}
	return lp.T(desc)
}

// Security names an endpoint's encryption as mail apps label it.
func Security(sec string) string {
	if sec == advisor.SecuritySTARTTLS {
		return "STARTTLS"
	}
	return "SSL/TLS"
}

// Decided says, when a constraint decided against the scores, what
// decided and what would lift it ("" otherwise): the protocol that scored
// more, the vetoes that rule it out and, for a budget, by how much it is
// over and the budget that would allow it.
func Decided(lp *l10n.Printer, res *advisor.Result) string {
	rec := res.Recommendation
	if len(rec.DecidedBy) == 0 {
		return ""
	}
	other, score, own := advisor.IMAP, res.Scores.IMAP, res.Scores.POP3
	if rec.Protocol == advisor.IMAP {
		other, score, own = advisor.POP3, res.Scores.POP3, res.Scores.IMAP
	}
	if rec.BudgetGapEUR != nil && res.Scenario.BudgetEURPerYear != nil {
		return lp.T("Decided by the budget, not the scores: %s scores more (%s points against %s), but its cheapest option costs %s a year more than the budget; a budget of %s a year allows it.",
			strings.ToUpper(other), Points(lp, score), Points(lp, own), lp.AmountDecimals(*rec.BudgetGapEUR, "EUR", cents(*rec.BudgetGapEUR)),
			lp.AmountDecimals(*res.Scenario.BudgetEURPerYear+*rec.BudgetGapEUR, "EUR", cents(*res.Scenario.BudgetEURPerYear+*rec.BudgetGapEUR)))
	}
	return lp.T("Decided by a constraint, not the scores: %s scores more (%s points against %s), but %s rules it out.",
		strings.ToUpper(other), Points(lp, score), Points(lp, own), strings.Join(rec.DecidedBy, ", "))
}

// cents is the decimals an amount needs: 2 when it has cents, else 0.
func cents(v float64) int {
	if math.Round(v*100) == math.Round(v)*100 {
		return 0
	}
	return 2
}
