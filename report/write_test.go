package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/mdtext/gfmtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The HTML is one self-contained file: no script, nothing fetched (no
// src, no link, no url() or @import in the CSS), the charts inline.
func TestHTMLSelfContained(t *testing.T) {
	d := newTestDoc(t, l10n.French, `Dupont & Fils <script>alert(1)</script>`, nil)
	var b bytes.Buffer
	if err := d.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var svgs, figures int
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "link", "img", "iframe", "object", "embed":
				t.Errorf("<%s> in a self-contained report", n.Data)
			case "svg":
				svgs++
			case "figure":
				figures++
			}
			for _, a := range n.Attr {
				if a.Key == "src" || (a.Key == "href" && !strings.HasPrefix(a.Val, "#")) || strings.HasPrefix(a.Key, "on") {
					t.Errorf("<%s %s=%q>: an external resource or a script", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if svgs != len(d.Charts) || figures != len(d.Charts) || len(d.Charts) != 4 {
		t.Errorf("%d inline SVG charts in %d figures, want 4, one per chart", svgs, figures)
	}
	// The SVG namespaces are names, never fetched.
	names := strings.NewReplacer("http://www.w3.org/2000/svg", "", "http://www.w3.org/1999/xlink", "")
	for _, bad := range []string{"url(", "@import", "http://", "https://", "<script>alert"} {
		if strings.Contains(names.Replace(page), bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	if !strings.Contains(page, `<html lang="fr">`) || !strings.Contains(page, "Dupont &amp; Fils &lt;script&gt;") {
		t.Error("want lang=fr and the client's name escaped")
	}
}

// textOf is the text of n and its descendants.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// Rendered by a CommonMark + GFM renderer (goldmark), the Markdown shows
// every paragraph, list item, formula and table cell exactly as written:
// no emphasis from the * and _ of formulas, no broken tables.
func TestMarkdownShowsAsWritten(t *testing.T) {
	for _, lang := range l10n.Langs {
		d := newTestDoc(t, lang, "A*B_C | <D>", nil)
		links := map[string]string{"scores": "r-scores.svg", "cost": "r cost.svg", "co2": "r-co2.svg", "tornado": "r-tornado.svg"}
		var md strings.Builder
		if err := d.WriteMarkdown(&md, links); err != nil {
			t.Fatal(err)
		}
		rendered := gfmtest.Render(t, md.String())
		if strings.Contains(rendered, "<em>") || strings.Contains(rendered, "<del>") {
			t.Errorf("%s: emphasis in the rendered Markdown", lang)
		}
		root, err := html.Parse(strings.NewReader(rendered))
		if err != nil {
			t.Fatal(err)
		}
		var texts, cells, codes []string
		var imgs []string
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "p", "li", "h1", "h2":
					texts = append(texts, textOf(n))
				case "td", "th":
					cells = append(cells, textOf(n))
				case "code":
					codes = append(codes, textOf(n))
				case "img":
					for _, a := range n.Attr {
						if a.Key == "src" {
							imgs = append(imgs, a.Val)
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(root)
		want := func(list []string, s, what string) {
			if !slices.Contains(list, s) {
				t.Errorf("%s: %s %q not rendered as written", lang, what, s)
			}
		}
		want(texts, d.Title, "title")
		want(texts, "A*B_C | <D>", "client")
		for _, s := range d.Sections {
			want(texts, s.Title, "heading")
			for _, b := range s.Blocks {
				switch b.Kind {
				case kindParagraph:
					want(texts, b.Text, "paragraph")
				case kindList:
					for _, it := range b.Items {
						want(texts, it, "list item")
					}
				case kindFormulas:
					for _, f := range b.Formulas {
						want(codes, f[1], "formula")
						want(texts, f[0]+d.Colon+f[1], "formula line")
					}
				case kindTable:
					for _, h := range b.Header {
						want(cells, h, "header cell")
					}
					for _, r := range b.Rows {
						for i, c := range r {
							want(cells, c, "cell")
							if slices.Contains(b.Code, i) && c != "" {
								want(codes, c, "formula cell")
							}
						}
					}
				}
			}
		}
		if !slices.Equal(imgs, []string{"r-scores.svg", "r%20cost.svg", "r-co2.svg", "r-tornado.svg"}) {
			t.Errorf("%s: chart links %q", lang, imgs)
		}
	}
}

// The report in both languages, byte for byte (go test ./report -update
// after an intended change; review the diff).
func TestGolden(t *testing.T) {
	for _, lang := range l10n.Langs {
		d := newTestDoc(t, lang, "Dupont & Fils", nil)
		var h, md bytes.Buffer
		if err := d.WriteHTML(&h); err != nil {
			t.Fatal(err)
		}
		links := map[string]string{}
		for _, c := range d.Charts {
			links[c.Name] = "report-" + c.Name + ".svg"
		}
		if err := d.WriteMarkdown(&md, links); err != nil {
			t.Fatal(err)
		}
		golden(t, "report."+string(lang)+".html", h.Bytes())
		golden(t, "report."+string(lang)+".md", md.Bytes())
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./report -run TestGolden -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		diff := 0
		for diff < len(got) && diff < len(want) && got[diff] == want[diff] {
			diff++
		}
		t.Errorf("%s differs from the golden file at byte %d: got %.80q, want %.80q (go test ./report -run TestGolden -update after an intended change)",
			name, diff, got[diff:], want[min(diff, len(want)):])
	}
}
