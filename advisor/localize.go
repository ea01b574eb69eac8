package advisor

import (
	"fmt"
	"math"

	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// translator writes a result's Text fields in the language asked for. Its
// printer is nil for English: the Text fields then share the English
// strings, and scoring allocates nothing more.
type translator struct {
	lang l10n.Lang
	p    *l10n.Printer
}

// english is the translator of every English result: shared, since it
// holds no state.
var english = &translator{lang: l10n.English}

func newTranslator(lang l10n.Lang) *translator {
	if lang == "" || lang == l10n.English {
		return english
	}
	return &translator{lang: lang, p: l10n.New(lang)}
}

// reason is a rule's reason in the language, en being the English one: the
// rule's translation when it has one, else en.
func (tr *translator) reason(r *compiledRule, ev *evaluator, en string) (string, error) {
	if tr.p == nil {
		return en, nil
	}
	t, ok := r.reasons[tr.lang]
	if !ok {
		return en, nil
	}
	return t.renderComma(ev, tr.lang == l10n.French)
}

// t translates a constant English text.
func (tr *translator) t(en string) string {
	if tr.p == nil {
		return en
	}
	return tr.p.T(en)
}

// eur writes an amount in euros in the language.
func (tr *translator) eur(v float64) string {
	if tr.p == nil {
		return grouped(v) + " EUR"
	}
	return tr.p.Amount(v, "EUR")
}

// money is money(v) with its currency, in the language: cents only when
// there are any.
func (tr *translator) money(v float64) string {
	if tr.p == nil {
		return money(v) + " EUR"
	}
	if math.Round(v*100) == math.Round(v)*100 {
		return tr.p.Amount(v, "EUR")
	}
	return tr.p.AmountDecimals(v, "EUR", 2)
}

// leaveOnServer is LeaveOnServer's reason, why, in the language.
func (tr *translator) leaveOnServer(s *Scenario, why string) string {
	if tr.p == nil {
		return why
	}
	days, base := wantedDaysOnServer(s)
	if fit, limited := quotaDays(s); limited && fit < days {
		return tr.p.T("%s, but the %s GB quota only holds %s days of mail at %s GB a year",
			tr.p.T(base), tr.num(s.ServerQuotaGB), fmt.Sprint(fit), tr.num(s.MailboxGrowthGBPerYear))
	}
	return tr.p.T(base)
}

// num writes a number as the reasons do, in the language (French: a
// decimal comma and grouped thousands, as appendFrench writes them).
func (tr *translator) num(v float64) string {
	s := formatNumber(v)
	if tr.lang == l10n.French {
		return string(appendFrench(nil, []byte(s)))
	}
	return s
}
