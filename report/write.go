package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/mailadvisor/mailadvisor/internal/mdtext"
)

//go:embed report.html.tmpl
var htmlSource string

//go:embed report.css
var css string

// htmlTemplate is parsed on first use, not at every command's start-up.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"has": slices.Contains[[]int, int],
		// svg marks a chart as safe HTML: gonum/plot draws it from numbers
		// and from text it escapes (XML).
		"svg": func(b []byte) template.HTML { return template.HTML(b) },
		// css is the embedded stylesheet.
		"css": func() template.CSS { return template.CSS(css) },
	}).Parse(htmlSource))
})

// WriteHTML writes the report as one self-contained HTML file: inline CSS
// and SVG, no script, no external resource; printable to PDF from a
// browser.
func (d *Document) WriteHTML(w io.Writer) error {
	return htmlTemplate().Execute(w, d)
}

// WriteMarkdown writes the report as Markdown (CommonMark with GFM
// tables): formulas in code spans, every other text escaped so that a
// renderer shows it as written. links maps a chart's name to the file it
// is linked as (beside the Markdown file); a chart without a link is left
// out.
func (d *Document) WriteMarkdown(w io.Writer, links map[string]string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdtext.Text(d.Title))
	if d.Client != "" {
		fmt.Fprintf(&b, "**%s**\n\n", mdtext.Text(d.Client))
	}
	fmt.Fprintf(&b, "%s\n", mdtext.Text(d.Subtitle))
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "\n## %s\n", mdtext.Text(s.Title))
		for _, bl := range s.Blocks {
			switch bl.Kind {
			case kindParagraph:
				fmt.Fprintf(&b, "\n%s\n", mdtext.Text(bl.Text))
			case kindList:
				b.WriteString("\n")
				for _, it := range bl.Items {
					fmt.Fprintf(&b, "- %s\n", mdtext.Text(it))
				}
			case kindFormulas:
				b.WriteString("\n")
				for _, f := range bl.Formulas {
					fmt.Fprintf(&b, "- %s%s%s\n", mdtext.Text(f[0]), d.Colon, mdtext.Code(f[1]))
				}
			case kindTable:
				b.WriteString("\n")
				markdownTable(&b, bl)
			case kindChart:
				if link, ok := links[bl.Chart.Name]; ok && bl.Chart != nil {
					fmt.Fprintf(&b, "\n![%s](%s)\n", mdtext.Text(bl.Chart.Title), url.PathEscape(link))
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownTable writes a GFM table; numeric columns align right.
func markdownTable(b *strings.Builder, t Block) {
	row := func(cells []string, header bool) {
		b.WriteString("|")
		for i, c := range cells {
			cell := mdtext.Text(c)
			if !header && slices.Contains(t.Code, i) && c != "" {
				cell = mdtext.CodeCell(c)
			}
			fmt.Fprintf(b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	row(t.Header, true)
	b.WriteString("|")
	for i := range t.Header {
		if slices.Contains(t.Numeric, i) {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r, false)
	}
}
