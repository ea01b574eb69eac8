package report

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/wording"
)

// chromium runs Debian's chromium headless on a local file, as a person
// printing the report from the browser would, within a deadline.
func chromium(t *testing.T, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--user-data-dir=" + t.TempDir()}
	out, err := exec.CommandContext(ctx, bin, append(base, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// The HTML report opens in headless Chromium and prints to PDF: the PDF
// has every section, in the report's language, and the three charts (their
// text, drawn as part of the SVG, is in the PDF), on A4 pages. The PDFs
// and full-page screenshots are kept as artifacts.
func TestReportPrintsToPDF(t *testing.T) {
	bin := integration.RequireProgram(t, "chromium")
	pdftotext := integration.RequireProgram(t, "pdftotext")
	pdfinfo := integration.RequireProgram(t, "pdfinfo")
	pdftoppm := integration.RequireProgram(t, "pdftoppm")
	artifacts := integration.ArtifactDir(t)
	dir := t.TempDir()
	for _, lang := range l10n.Langs {
		in := testInput(t, lang, "Dupont & Fils", scenarios["a budget near the price"])
		d, err := New(in)
		if err != nil {
			t.Fatal(err)
		}
		page := filepath.Join(dir, "report."+string(lang)+".html")
		f, err := os.Create(page)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.WriteHTML(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		pdf := filepath.Join(artifacts, "report."+string(lang)+".pdf")
		chromium(t, bin, "--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+page)
		shot := filepath.Join(artifacts, "report."+string(lang)+".png")
		chromium(t, bin, "--hide-scrollbars", "--window-size=1000,7000", "--screenshot="+shot, "file://"+page)
		if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
			t.Errorf("%s: screenshot %s missing or blank (%v)", lang, shot, err)
		}
		t.Logf("%s: %s and %s", lang, pdf, shot)

		text, err := exec.Command(pdftotext, "-enc", "UTF-8", pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		// Line breaks and no-break spaces aside, as a reader sees it.
		words := strings.Join(strings.Fields(strings.ReplaceAll(string(text), "\u00a0", " ")), " ")
		has := func(what, s string) {
			if !strings.Contains(words, strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")) {
				t.Errorf("%s: the PDF lacks %s %q", lang, what, s)
			}
		}
		has("the title", d.Title)
		has("the client", "Dupont & Fils")
		has("the uncertainty sentence", wording.Uncertainty(l10n.New(lang), in.Result.Uncertainty))
		for _, s := range d.Sections {
			has("the section", s.Title)
		}
		// The charts' own text: each string more times in the PDF than in
		// the page's text outside the charts (the CO2 axis label once per
		// model's panel).
		lp := l10n.New(lang)
		html, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		outside := strings.Join(strings.Fields(html2text(svgRE.ReplaceAllString(string(html), ""))), " ")
		for _, c := range []struct {
			chart, text string
			times       int
		}{
			{"scores", lp.T("Score (points)"), 1},
			{"cost", lp.T("Cumulative cost (%s)", "EUR"), 1},
			{"co2", lp.T("kg CO2e per year"), 3},
			{"tornado", lp.T("IMAP option minus POP3 option, %s a year", "EUR"), 1},
		} {
			if got, want := strings.Count(words, c.text), strings.Count(outside, c.text)+c.times; got < want {
				t.Errorf("%s: %q %d times in the PDF, want %d: the %s chart is missing", lang, c.text, got, want, c.chart)
			}
		}
		for _, c := range d.Charts {
			has("the caption", c.Title)
		}

		info, err := exec.Command(pdfinfo, pdf).Output()
		if err != nil {
			t.Fatalf("pdfinfo: %v", err)
		}
		m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
		if m == nil {
			t.Fatalf("pdfinfo: no page count in %s", info)
		}
		if pages, _ := strconv.Atoi(string(m[1])); pages < 4 {
			t.Errorf("%s: %d pages, want the whole report (4 or more)", lang, pages)
		}
		if !strings.Contains(string(info), "(A4)") {
			t.Errorf("%s: not A4 (@page size): %s", lang, info)
		}
		// Every sheet but the last is filled: a forced break or a block
		// that cannot be split leaves none mostly blank.
		prefix := filepath.Join(dir, "page."+string(lang))
		if out, err := exec.Command(pdftoppm, "-r", "30", "-png", pdf, prefix).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		sheets, _ := filepath.Glob(prefix + "-*.png") // sorted: pdftoppm pads the numbers
		if len(sheets) == 0 {
			t.Fatalf("pdftoppm wrote no page of %s", pdf)
		}
		for i, sheet := range sheets[:max(len(sheets)-1, 0)] {
			if ink := inkedShare(t, sheet); ink < 0.6 {
				t.Errorf("%s: page %d of %d is printed down to %.0f%% of its height only: mostly blank", lang, i+1, len(sheets), 100*ink)
			}
		}
	}
}

// inkedShare is how far down a page image anything is printed, as a share
// of its height.
func inkedShare(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := im.Bounds()
	for y := b.Max.Y - 1; y >= b.Min.Y; y-- {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := im.At(x, y).RGBA(); r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				return float64(y-b.Min.Y+1) / float64(b.Dy())
			}
		}
	}
	return 0
}

var (
	svgRE  = regexp.MustCompile(`(?s)<svg.*?</svg>`)
	tagRE  = regexp.MustCompile(`(?s)<[^>]*>`)
	htmlNo = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#39;", "'", "&#34;", `"`, "\u00a0", " ")
)

// html2text is the text of an HTML page, roughly: tags dropped, the
// common entities decoded.
func html2text(s string) string { return htmlNo.Replace(tagRE.ReplaceAllString(s, " ")) }
