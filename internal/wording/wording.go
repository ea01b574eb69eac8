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

// Points writes a score or an input's value: no decimals for a whole
// number, else two.
func Points(lp *l10n.Printer, v float64) string {
	if v == math.Trunc(v) {
		return lp.Number(v, 0)
	}
	return lp.Number(v, 2)
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
