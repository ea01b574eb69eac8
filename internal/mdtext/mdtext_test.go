package mdtext

import (
	"html"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/mdtext/gfmtest"
)

var (
	tdRe  = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	liRe  = regexp.MustCompile(`(?s)<li>(.*?)</li>`)
	tagRe = regexp.MustCompile(`<[^>]+>`)
)

func plainText(fragment string) string {
	return html.UnescapeString(tagRe.ReplaceAllString(fragment, ""))
}

// Any text in a cell, a code cell or a list line renders as written in a
// CommonMark+GFM renderer (goldmark): no emphasis, link, entity or cell
// break can come out of it.
func TestMarkdownEscapingRendersAsWritten(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	alphabet := []rune("ab01 *_`[]()<>|~&#!\\-+=.:;/'\"é€")
	for range 3000 {
		var b strings.Builder
		for range 1 + r.IntN(16) {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		s := strings.TrimSpace(b.String())
		if s == "" {
			continue
		}
		cells := []string{Text(s), CodeCell(s)}
		md := "| a | b |\n|---|---|\n| " + cells[0] + " | " + cells[1] + " |\n\n- " + Text(s) + "\n"
		out := gfmtest.Render(t, md)
		tds := tdRe.FindAllStringSubmatch(out, -1)
		lis := liRe.FindAllStringSubmatch(out, -1)
		if len(tds) != 2 || len(lis) != 1 {
			t.Fatalf("%q: %d cells, %d items:\n%s\n%s", s, len(tds), len(lis), md, out)
		}
		code := strings.TrimSuffix(strings.TrimPrefix(tds[1][1], "<code>"), "</code>")
		for what, got := range map[string]string{"text cell": plainText(tds[0][1]), "code cell": html.UnescapeString(code), "line": plainText(lis[0][1])} {
			if got != s {
				t.Fatalf("%s %q renders as %q:\n%s\n%s", what, s, got, md, out)
			}
		}
		if !strings.HasPrefix(tds[1][1], "<code>") {
			t.Fatalf("code cell %q is not code: %s", s, tds[1][1])
		}
	}
}
