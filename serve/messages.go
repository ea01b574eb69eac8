package serve

import (
	"net/http"
	"sync"

	"golang.org/x/text/language"

	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// The page's languages; English is the fallback.
var (
	pageLanguages = []language.Tag{language.English, language.French}
	langMatcher   = sync.OnceValue(func() language.Matcher { return language.NewMatcher(pageLanguages) })
)

// pageLang picks the page's language: ?lang= (or the form's), else the
// browser's Accept-Language.
func pageLang(r *http.Request) string {
	if l := r.FormValue("lang"); l == "en" || l == "fr" {
		return l
	}
	tag, _ := language.MatchStrings(langMatcher(), r.Header.Get("Accept-Language"))
	if base, _ := tag.Base(); base.String() == "fr" {
		return "fr"
	}
	return "en"
}

// msg is the page's text for key (the catalogue is internal/l10n's
// page.go and page_fr.go).
func msg(lang, key string) string { return l10n.PageText(l10n.Lang(lang), key) }

// reasonWords is the page's plain words for a rule that fired.
func reasonWords(lang, rule string, devices int) (string, bool) {
	return l10n.PageReason(l10n.Lang(lang), rule, devices)
}
