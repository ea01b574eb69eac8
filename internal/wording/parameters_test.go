package wording

import (
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// Every parameter of the cost and CO2 files has words and a unit, in both
// languages: derived from the files' own range tables.
func TestEveryParameterHasWords(t *testing.T) {
	m, err := advisor.DefaultModels()
	if err != nil {
		t.Fatal(err)
	}
	fr := l10n.New(l10n.French)
	en := l10n.New(l10n.English)
	n := 0
	for model, keys := range map[string][]string{advisor.ModelCost: keysOf(m.Cost.Ranges), advisor.ModelCarbon: keysOf(m.Carbon.Ranges)} {
		for _, k := range keys {
			n++
			ref := advisor.ParameterRef{Model: model, Key: k}
			if _, _, ok := words(ref); !ok {
				t.Errorf("%s %s: no words", model, k)
				continue
			}
			for _, lp := range []*l10n.Printer{en, fr} {
				if got := Parameter(lp, ref); got == k || got == "" {
					t.Errorf("%s: %s %s named %q", lp.Lang(), model, k, got)
				}
				if v := Value(lp, ref, 0.125); !strings.ContainsAny(v, "123456789") {
					t.Errorf("%s: %s %s: value %q", lp.Lang(), model, k, v)
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("%d parameters, want the two files' 50 or more", n)
	}
	for _, key := range fr.Missing() {
		t.Errorf("no French for %q", key)
	}
	// A key a user's file adds is named by its key.
	if got := Parameter(en, advisor.ParameterRef{Model: advisor.ModelCarbon, Key: "mine"}); got != "mine" {
		t.Errorf("unknown key named %q", got)
	}
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Each form of the sentence, in both languages.
func TestUncertaintySentence(t *testing.T) {
	price := advisor.ParameterRef{Model: advisor.ModelCost, Key: "imap_hosted.price_per_user_month"}
	share := advisor.ParameterRef{Model: advisor.ModelCost, Key: "imap_self.one_off.contingency_share"}
	cases := []struct {
		u      advisor.Uncertainty
		en, fr string
	}{
		{advisor.Uncertainty{Draws: 10000, Answer: "imap-hosted", AnswerShare: 1},
			"IMAP hosted by a provider is the answer in every one of 10,000 plausible cases (cost and CO2 parameters drawn within their ranges).",
			"IMAP hébergé par un prestataire est la réponse dans chacun des 10\u00a0000 cas plausibles (paramètres de coût et de CO2 tirés dans leurs fourchettes)."},
		{advisor.Uncertainty{Draws: 10000, Answer: "imap-hosted", AnswerShare: 0.9258, LosesWhen: &advisor.Condition{ParameterRef: price, Above: true, Threshold: 5.929}},
			"IMAP hosted by a provider is the answer in 93% of 10,000 plausible cases; it loses mainly when the price per mailbox (hosted IMAP) is above €5.93 a month.",
			"IMAP hébergé par un prestataire est la réponse dans 93\u00a0% des 10\u00a0000 cas plausibles ; elle perd surtout quand « prix par boîte (IMAP hébergé) » dépasse 5,93\u00a0€ par mois."},
		{advisor.Uncertainty{Draws: 2000, Answer: "pop3-self", AnswerShare: 0.9996, LosesWhen: &advisor.Condition{ParameterRef: share, Threshold: 0.0625}},
			"POP3 on your own server is the answer in more than 99% of 2,000 plausible cases; it loses mainly when the contingency for changing needs (self-hosted IMAP) is below 6.3%.",
			"POP3 sur votre propre serveur est la réponse dans plus de 99\u00a0% des 2\u00a0000 cas plausibles ; elle perd surtout quand « réserve pour l'évolution des besoins (IMAP auto-hébergé) » passe sous 6,3\u00a0%."},
		{advisor.Uncertainty{Draws: 500, Answer: advisor.AnswerNone, AnswerShare: 0.6},
			"No option meets every constraint in 60% of 500 plausible cases; no single parameter explains most of the others.",
			"Aucune option ne respecte toutes les contraintes dans 60\u00a0% des 500 cas plausibles ; aucun paramètre à lui seul n'explique la plupart des autres."}, //nolint:misspell // French
	}
	fr := l10n.New(l10n.French)
	for _, c := range cases {
		if got := Uncertainty(l10n.New(l10n.English), &c.u); got != c.en {
			t.Errorf("en:\n got %q\nwant %q", got, c.en)
		}
		if got := Uncertainty(fr, &c.u); got != c.fr {
			t.Errorf("fr:\n got %q\nwant %q", got, c.fr)
		}
	}
	for _, key := range fr.Missing() {
		t.Errorf("no French for %q", key)
	}
	if got := Share(l10n.New(l10n.English), 0.003); got != "less than 1%" {
		t.Errorf("a small share: %q", got)
	}
}
