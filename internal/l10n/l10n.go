// Package l10n is the command's French and English: the language to use
// (from a flag or the locale environment), the message catalogue (English
// text is the key, messages_fr.go holds its French), and numbers, amounts
// and dates written the way each language writes them (2,000 and 4.4 in
// English; 2 000 and 4,4 in French, through golang.org/x/text).
//
// JSON, YAML and CSV stay English and language-neutral: only text for
// people goes through a Printer.
package l10n

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Lang is a language the command writes.
type Lang string

// The languages.
const (
	English Lang = "en"
	French  Lang = "fr"
)

// Langs lists the languages, English (the fallback) first.
var Langs = []Lang{English, French}

// LangNames is Langs as text, for flag help and errors.
func LangNames() string { return "en, fr" }

// Parse reads a language as a user or a locale names it: en, fr, fr-CA,
// fr_FR.UTF-8, en_GB@euro. It fails on a language the command does not
// write, and on C or POSIX (which mean "no language": see FromEnv).
func Parse(s string) (Lang, error) {
	base := strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(base, "_-.@"); i >= 0 {
		base = base[:i]
	}
	for _, l := range Langs {
		if base == string(l) {
			return l, nil
		}
	}
	return "", fmt.Errorf("%q is not a language mailadvisor writes: want one of %s", s, LangNames())
}

// FromEnv picks the language from the locale environment as POSIX orders
// it: LC_ALL, then LC_MESSAGES, then LANG, the first one set deciding.
// C, POSIX or a language the command does not write give English.
func FromEnv(getenv func(string) string) Lang {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		if l, err := Parse(v); err == nil {
			return l
		}
		return English
	}
	return English
}

// Printer writes text for people in one language. It is safe for
// concurrent use.
type Printer struct {
	lang Lang
	// nums formats numbers; made on first use (JSON output needs none).
	nums func() *message.Printer

	mu      sync.Mutex
	missing map[string]bool
}

// New returns a Printer for l (English for an unknown language).
func New(l Lang) *Printer {
	tag := language.English
	if l == French {
		tag = language.French
	} else {
		l = English
	}
	return &Printer{lang: l, nums: sync.OnceValue(func() *message.Printer { return message.NewPrinter(tag) })}
}

// Lang is the printer's language.
func (p *Printer) Lang() Lang { return p.lang }

// T translates the English format key and formats args into it as
// fmt.Sprintf does. Arguments should be text: format numbers with Number
// or Amount first. A key with no translation is written in English and
// recorded (see Missing).
func (p *Printer) T(key string, args ...any) string {
	format := key
	if p.lang == French {
		if fr, ok := Translation(key); ok {
			format = fr
		} else {
			p.mu.Lock()
			if p.missing == nil {
				p.missing = map[string]bool{}
			}
			p.missing[key] = true
			p.mu.Unlock()
		}
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// Has reports whether key has a translation in the printer's language
// (English always has).
func (p *Printer) Has(key string) bool {
	if p.lang == English {
		return true
	}
	_, ok := Translation(key)
	return ok
}

// Missing lists the keys T was asked for and had no translation of.
func (p *Printer) Missing() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.missing))
	for k := range p.missing {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Number writes v with exactly the given decimals and the language's
// grouping: 1,135.20 in English, 1 135,20 in French.
func (p *Printer) Number(v float64, decimals int) string {
	// Round half away from zero first, as the rest of the tool does
	// (x/text rounds half to even), and never write -0.
	scale := math.Pow10(decimals)
	v = math.Round(v*scale) / scale
	if v == 0 {
		v = 0
	}
	return p.nums().Sprint(number.Decimal(v, number.MinFractionDigits(decimals), number.MaxFractionDigits(decimals)))
}

// Amount writes a sum of money in whole units of currency (an ISO code;
// EUR shows as €): €2,000 in English, 2 000 € in French.
func (p *Printer) Amount(v float64, currency string) string {
	return p.AmountDecimals(v, currency, 0)
}

// AmountDecimals writes a sum of money with the given decimals: €4.40,
// 4,40 €.
func (p *Printer) AmountDecimals(v float64, currency string, decimals int) string {
	n := p.Number(v, decimals)
	sym := currency
	if currency == "EUR" {
		sym = "€"
	}
	if p.lang == French {
		return n + "\u00a0" + sym
	}
	if sym == "€" {
		return sym + n
	}
	return sym + "\u00a0" + n
}

// Percent writes share (0.3 for 30 %) as a whole percentage.
func (p *Printer) Percent(share float64) string {
	n := p.Number(share*100, 0)
	if p.lang == French {
		return n + "\u00a0%"
	}
	return n + "%"
}

var monthsFR = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// Date writes a day: 30 November 2026, 30 novembre 2026 (1er in French
// for the first of the month).
func (p *Printer) Date(t time.Time) string {
	if p.lang == French {
		day := fmt.Sprint(t.Day())
		if t.Day() == 1 {
			day = "1er"
		}
		return day + " " + monthsFR[t.Month()-1] + " " + fmt.Sprint(t.Year())
	}
	return t.Format("2 January 2006")
}

// catalogues are the French of the commands' output and of the report;
// a key is in one only (TestEveryMessageInBothLanguages).
var catalogues = sync.OnceValue(func() []map[string]string { return []map[string]string{french(), reportFrench()} })

// Translation is key's French, and whether the catalogue has it.
func Translation(key string) (string, bool) {
	for _, m := range catalogues() {
		if s, ok := m[key]; ok {
			return s, ok
		}
	}
	return "", false
}
