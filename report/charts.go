package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mailadvisor/mailadvisor/internal/l10n"
)

// Chart is one figure of the report, as a standalone SVG document.
type Chart struct {
	Name  string // file name stem: scores, cost, co2
	Title string // the figure's caption, also its alternative text
	SVG   []byte
}

// The charts' colours: IMAP blue, POP3 orange (distinguishable with the
// common colour-vision deficiencies), options by protocol and shade.
var (
	imapColor    = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	pop3Color    = color.RGBA{R: 0xd9, G: 0x7a, B: 0x00, A: 0xff}
	optionColors = map[string]color.Color{
		"pop3-self":   pop3Color,
		"pop3-hosted": color.RGBA{R: 0xf2, G: 0xb3, B: 0x5c, A: 0xff},
		"imap-self":   imapColor,
		"imap-hosted": color.RGBA{R: 0x6f, G: 0xa3, B: 0xd9, A: 0xff},
	}
	sans = font.Font{Typeface: "Liberation", Variant: "Sans"}
)

// newPlot returns a plot with the report's sans-serif font throughout.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans
	p.Title.TextStyle.Font.Size = vg.Points(12)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Tick.Label.Font = sans
		a.Tick.Label.Font.Size = vg.Points(9)
	}
	p.Legend.TextStyle.Font = sans
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	return p
}

// svgOf renders plots side by side (one row) as one SVG document.
func svgOf(w, h vg.Length, plots ...*plot.Plot) ([]byte, error) {
	return svgOfPadded(w, h, 0, plots...)
}

// svgOfPadded leaves left free on the left: room for tick labels that a
// reader's fallback font draws wider than the metrics gonum/plot measures
// them with.
func svgOfPadded(w, h, left vg.Length, plots ...*plot.Plot) ([]byte, error) {
	c := vgsvg.New(w, h)
	dc := draw.Crop(draw.New(c), left, 0, 0, 0)
	if len(plots) == 1 {
		plots[0].Draw(dc)
	} else {
		tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4}
		row := [][]*plot.Plot{plots}
		canvases := plot.Align(row, tiles, dc)
		for i, p := range plots {
			p.Draw(canvases[0][i])
		}
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return cleanSVG(buf.Bytes()), nil
}

var (
	svgProlog = regexp.MustCompile(`(?s)^.*?(<svg[\s>])`)
	svgNoise  = regexp.MustCompile(`\s*<!--.*?-->`)
)

// cleanSVG drops what comes before <svg (the XML declaration and
// DOCTYPE, which must not appear inside HTML) and comments.
func cleanSVG(b []byte) []byte {
	b = svgProlog.ReplaceAll(b, []byte("$1"))
	return svgNoise.ReplaceAll(b, nil)
}

// barLabels labels bars with their values.
func barLabels(lp *l10n.Printer, values plotter.Values, decimals int) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = lp.Number(v, decimals)
	}
	return out
}

// scoresChart: the points each protocol collected.
func scoresChart(lp *l10n.Printer, imap, pop3 float64) (*plot.Plot, error) {
	p := newPlot(lp.T("Score (points)"))
	// One bar per protocol, each in its colour.
	imapBar, err := plotter.NewBarChart(plotter.Values{imap}, vg.Points(40))
	if err != nil {
		return nil, err
	}
	imapBar.Color, imapBar.LineStyle.Width = imapColor, 0
	pop3Bar, err := plotter.NewBarChart(plotter.Values{pop3}, vg.Points(40))
	if err != nil {
		return nil, err
	}
	pop3Bar.Color, pop3Bar.LineStyle.Width = pop3Color, 0
	pop3Bar.XMin = 1
	p.Add(imapBar, pop3Bar)
	p.NominalX("IMAP", "POP3")
	p.Y.Min = 0
	p.Y.Max = math.Max(1, math.Max(imap, pop3)*1.15)
	p.Y.Tick.Marker = localTicks{lp}
	for i, b := range []*plotter.BarChart{imapBar, pop3Bar} {
		labels, err := plotter.NewLabels(plotter.XYLabels{
			XYs:    plotter.XYs{{X: float64(i), Y: b.Values[0]}},
			Labels: barLabels(lp, b.Values, 0),
		})
		if err != nil {
			return nil, err
		}
		labels.Offset = vg.Point{X: -vg.Points(6), Y: vg.Points(3)}
		for j := range labels.TextStyle {
			labels.TextStyle[j].Font = sans
			labels.TextStyle[j].Font.Size = vg.Points(9)
		}
		p.Add(labels)
	}
	return p, nil
}

// localTicks label about five round values (steps of 1, 2, 2.5 or 5
// times a power of ten) with the language's numbers, with a minor tick
// between each: gonum's default labels only 0 and 25,000 on a cost axis
// that goes to 27,000.
type localTicks struct{ lp *l10n.Printer }

func (t localTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	step := niceStep((hi - lo) / 5)
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if r := step * math.Pow10(decimals); math.Abs(r-math.Round(r)) > 1e-9 {
		decimals++ // 2.5 x 10^k
	}
	decimals = min(decimals, 6)
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > hi+step*1e-9 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: t.lp.Number(v, decimals)})
		if minor := v + step/2; minor <= hi {
			ticks = append(ticks, plot.Tick{Value: minor})
		}
	}
	if minor := first - step/2; minor >= lo {
		ticks = append(ticks, plot.Tick{Value: minor})
	}
	return ticks
}

// niceStep is the round step (1, 2, 2.5 or 5 times a power of ten) at
// least raw.
func niceStep(raw float64) float64 {
	p := math.Pow10(int(math.Floor(math.Log10(raw))))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// series is one option's cumulative cost over the years, and, when the
// uncertainty was drawn, the band of its yearly cost's P10 to P90 (the
// one-off costs at their central value).
type series struct {
	option, label string
	points        plotter.XYs
	band          [2]plotter.XYs // low and high edges; nil without one
}

// costChart: each option's cumulative cost, year 0 (the one-off costs)
// to the horizon.
func costChart(lp *l10n.Printer, currency string, all []series) (*plot.Plot, error) {
	p := newPlot(lp.T("Cumulative cost (%s)", currency))
	p.X.Label.Text = lp.T("Years")
	p.Y.Min = 0
	top := 0.0
	for _, s := range all {
		for _, pt := range s.points {
			top = math.Max(top, pt.Y)
		}
	}
	p.Y.Max = math.Max(1, top*1.1)
	p.Y.Tick.Marker = localTicks{lp}
	p.X.Tick.Marker = localTicks{lp}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Centimeter // clear of the axis' labels
	for _, s := range all {
		if s.band[0] == nil {
			continue
		}
		for _, e := range s.band[1] {
			top = math.Max(top, e.Y)
		}
		p.Y.Max = math.Max(1, top*1.1)
		edge := append(slices.Clone(s.band[0]), reversed(s.band[1])...)
		poly, err := plotter.NewPolygon(edge)
		if err != nil {
			return nil, err
		}
		r, g, b, _ := colorOf(s.option).RGBA()
		poly.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x30}
		poly.Width = 0
		p.Add(poly)
	}
	for i, s := range all {
		line, pts, err := plotter.NewLinePoints(s.points)
		if err != nil {
			return nil, err
		}
		c := colorOf(s.option)
		line.Color, pts.Color = c, c
		line.Width = vg.Points(2)
		if i%2 == 1 {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		pts.Shape = draw.CircleGlyph{}
		p.Add(line, pts)
		p.Legend.Add(s.label, line, pts)
	}
	return p, nil
}

// colorOf is an option's colour.
func colorOf(option string) color.Color {
	if c := optionColors[option]; c != nil {
		return c
	}
	return color.Gray{Y: 0x60}
}

func reversed(xys plotter.XYs) plotter.XYs {
	out := slices.Clone(xys)
	slices.Reverse(out)
	return out
}

// swing is one bar of the tornado: the cost gap with one parameter at its
// low and at its high end.
type swing struct {
	label     string
	low, high float64
}

// tornadoChart: for each parameter, from the top, a bar from the gap now
// to the gap with the parameter at its low end, and one to the gap at its
// high end.
func tornadoChart(lp *l10n.Printer, currency string, now float64, swings []swing) (*plot.Plot, error) {
	p := newPlot(lp.T("IMAP option minus POP3 option, %s a year", currency))
	lo, hi := now, now
	for _, s := range swings {
		lo, hi = math.Min(lo, math.Min(s.low, s.high)), math.Max(hi, math.Max(s.low, s.high))
	}
	pad := math.Max((hi-lo)*0.05, 1)
	p.X.Min, p.X.Max = lo-pad, hi+pad
	p.X.Tick.Marker = localTicks{lp}
	lowColor, highColor := color.RGBA{R: 0x8c, G: 0x8c, B: 0x8c, A: 0xff}, color.RGBA{R: 0x2b, G: 0x2b, B: 0x2b, A: 0xff}
	labels := make([]string, len(swings))
	var lowBox, highBox *plotter.Polygon
	for i, s := range swings {
		y := float64(len(swings) - 1 - i) // the largest at the top
		// On two lines, the option under the parameter: long labels
		// would push the bars off the figure.
		labels[len(swings)-1-i] = strings.Replace(s.label, " (", "\n(", 1)
		for j, end := range []float64{s.low, s.high} {
			if end == now {
				continue
			}
			poly, err := plotter.NewPolygon(plotter.XYs{{X: now, Y: y - 0.35}, {X: end, Y: y - 0.35}, {X: end, Y: y + 0.35}, {X: now, Y: y + 0.35}})
			if err != nil {
				return nil, err
			}
			poly.Width = 0
			poly.Color = lowColor
			if j == 0 {
				lowBox = poly
			} else {
				poly.Color, highBox = highColor, poly
			}
			p.Add(poly)
		}
	}
	mid, err := plotter.NewLine(plotter.XYs{{X: now, Y: -0.6}, {X: now, Y: float64(len(swings)) - 0.4}})
	if err != nil {
		return nil, err
	}
	mid.Color, mid.Width = color.Black, vg.Points(1)
	p.Add(mid)
	p.NominalY(labels...)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	_, _ = lowBox, highBox // the caption says which is which: a legend would cover the top bar
	return p, nil
}

// co2Model is one model's yearly kg for the organisation.
type co2Model struct {
	name       string
	pop3, imap float64
}

// co2Chart: one panel per model, each with its own scale, since the
// models disagree by orders of magnitude.
func co2Chart(lp *l10n.Printer, models []co2Model) ([]*plot.Plot, error) {
	var out []*plot.Plot
	for _, m := range models {
		p := newPlot(m.name)
		p.Y.Label.Text = lp.T("kg CO2e per year")
		p.Y.Min = 0
		p.Y.Max = math.Max(m.pop3, m.imap) * 1.2
		if p.Y.Max == 0 {
			p.Y.Max = 1
		}
		p.Y.Tick.Marker = localTicks{lp}
		for i, v := range []float64{m.pop3, m.imap} {
			b, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(30))
			if err != nil {
				return nil, err
			}
			b.LineStyle.Width = 0
			b.Color = pop3Color
			if i == 1 {
				b.Color = imapColor
			}
			b.XMin = float64(i)
			p.Add(b)
		}
		p.NominalX("POP3", "IMAP")
		out = append(out, p)
	}
	return out, nil
}

// check that the charts are an SVG document (used by tests too).
func isSVG(b []byte) error {
	if !bytes.HasPrefix(b, []byte("<svg")) {
		return fmt.Errorf("chart does not start with <svg: %.40q", b)
	}
	return nil
}
