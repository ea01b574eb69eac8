// Package report turns an advice (an advisor.Result with its cost and CO2
// estimates) into a deliverable a consultant hands to a client: a title,
// an executive summary in plain words, the scenario with what was given and
// what was assumed, the recommendation and its reasons, cost and CO2 with
// their charts, method and caveats, what would change the answer, the
// security checklist, next steps and sources; in English or French.
//
// The content is built once as sections of blocks, and written as one
// self-contained HTML file (inline CSS and SVG) or as Markdown (charts as
// SVG files beside it). The package never prints: it writes to the
// io.Writer it is given.
package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/mailadvisor/mailadvisor/advisor"
	"github.com/mailadvisor/mailadvisor/costmodel"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/wording"
)

// Input is what a report is made of.
type Input struct {
	// Result is the advice, with Options.Estimates (cost and CO2) and
	// Options.Assumptions; with Options.BreakEven for what would change
	// the answer. Its Text fields should be in Lang.
	Result *advisor.Result
	// Rules are the rules in force, for their titles.
	Rules []advisor.Rule
	// Client names whom the report is for (may be empty).
	Client  string
	Date    time.Time
	Version string // the tool's version, on the title page
	Lang    l10n.Lang
}

// Block kinds.
const (
	kindParagraph = "p"
	kindList      = "ul"
	kindTable     = "table"
	kindChart     = "chart"
	kindFormulas  = "formulas"
)

// Block is one piece of a section: a paragraph, a list, a table, a chart
// or formulas.
type Block struct {
	Kind  string
	Text  string   // a paragraph
	Items []string // a list
	// A table: Numeric columns align right; Code columns are formulas.
	Header  []string
	Rows    [][]string
	Numeric []int
	Code    []int
	Chart   *Chart // a chart
	// Formulas: a label and the formula, shown as code.
	Formulas [][2]string
}

// Section is one titled part of the report; ID anchors it (and lets tests
// find it).
type Section struct {
	ID     string
	Title  string
	Blocks []Block
}

// Document is a report ready to write.
type Document struct {
	Lang     l10n.Lang
	Title    string
	Client   string
	Date     string
	Version  string
	Subtitle string // "Prepared with mailadvisor VERSION on DATE"
	Sections []Section
	Charts   []Chart
	// Colon introduces a formula: ": " in English, " : " in French.
	Colon string
	lp    *l10n.Printer
}

// Missing lists the texts that had no translation (for tests).
func (d *Document) Missing() []string { return d.lp.Missing() }

// New builds the report's content and charts.
func New(in Input) (*Document, error) {
	res := in.Result
	if res == nil || res.Cost == nil || res.Carbon == nil {
		return nil, errors.New("report: the advice has no cost or CO2 estimates (advisor.Options.Estimates)")
	}
	lp := l10n.New(in.Lang)
	b := &builder{in: in, res: res, lp: lp, titles: map[string]string{}}
	for _, r := range in.Rules {
		title := r.Title
		if t, ok := r.Translations[string(lp.Lang())]; ok {
			title = t.Title
		}
		b.titles[r.ID] = title
	}
	d := &Document{
		Lang:    lp.Lang(),
		Title:   lp.T("Choosing the mail protocol: IMAP or POP3"),
		Client:  in.Client,
		Date:    lp.Date(in.Date),
		Version: in.Version,
		Colon:   lp.T(": "),
		lp:      lp,
	}
	d.Subtitle = lp.T("Prepared with mailadvisor %s on %s", in.Version, d.Date)
	b.flipList = b.flips()
	charts, err := b.charts()
	if err != nil {
		return nil, fmt.Errorf("report: charts: %w", err)
	}
	d.Charts = charts
	d.Sections = []Section{
		b.summary(),
		b.scenario(),
		b.recommendation(),
		b.cost(),
		b.co2(),
	}
	if res.Uncertainty != nil {
		d.Sections = append(d.Sections, b.uncertainty())
	}
	d.Sections = append(d.Sections,
		b.changes(),
		b.security(),
		b.nextSteps(),
		b.sources(),
	)
	return d, nil
}

type builder struct {
	in     Input
	res    *advisor.Result
	lp     *l10n.Printer
	titles map[string]string
	byName map[string]*Chart
	// changes are the flips in words, made once for the summary and the
	// section that lists them.
	flipList []flip
}

func (b *builder) chart(name string) Block {
	return Block{Kind: kindChart, Chart: b.byName[name]}
}

// charts draws the three figures.
func (b *builder) charts() ([]Chart, error) {
	lp, res := b.lp, b.res
	b.byName = map[string]*Chart{}
	var out []Chart

	scores, err := scoresChart(lp, res.Scores.IMAP, res.Scores.POP3)
	if err != nil {
		return nil, err
	}
	svg, err := svgOf(10*vg.Centimeter, 7*vg.Centimeter, scores)
	if err != nil {
		return nil, err
	}
	out = append(out, Chart{Name: "scores", Title: lp.T("Score of each protocol, in points"), SVG: svg})

	e := res.Cost
	var all []series
	spreads := map[string]advisor.Spread{}
	if u := res.Uncertainty; u != nil {
		for _, sp := range u.Options {
			spreads[sp.Option] = sp
		}
	}
	for _, o := range e.Options {
		s := series{option: o.Option, label: wording.Option(lp, o.Option)}
		sp, banded := spreads[o.Option]
		for y := 0; y <= e.Years; y++ {
			s.points = append(s.points, plotter.XY{X: float64(y), Y: o.OneOff + o.Yearly*float64(y)})
			if banded {
				s.band[0] = append(s.band[0], plotter.XY{X: float64(y), Y: o.OneOff + sp.CostEUR.P10*float64(y)})
				s.band[1] = append(s.band[1], plotter.XY{X: float64(y), Y: o.OneOff + sp.CostEUR.P90*float64(y)})
			}
		}
		all = append(all, s)
	}
	cost, err := costChart(lp, e.Currency, all)
	if err != nil {
		return nil, err
	}
	if svg, err = svgOf(16*vg.Centimeter, 9*vg.Centimeter, cost); err != nil {
		return nil, err
	}
	costTitle := lp.T("Cumulative cost of each option over %s years, one-off costs in year 0", strconv.Itoa(e.Years))
	if len(spreads) > 0 {
		costTitle = lp.T("Cumulative cost of each option over %s years, one-off costs in year 0; the bands are the 10th to 90th percentiles of the yearly cost over plausible parameters", strconv.Itoa(e.Years))
	}
	out = append(out, Chart{Name: "cost", Title: costTitle, SVG: svg})

	var models []co2Model
	for _, m := range res.Carbon.Models {
		models = append(models, co2Model{name: m.Model, pop3: m.POP3KgPerYear, imap: m.IMAPKgPerYear})
	}
	panels, err := co2Chart(lp, models)
	if err != nil {
		return nil, err
	}
	if svg, err = svgOf(16*vg.Centimeter, 7*vg.Centimeter, panels...); err != nil {
		return nil, err
	}
	out = append(out, Chart{Name: "co2", Title: lp.T("CO2 per year for the organisation, by model (each with its own scale)"), SVG: svg})
	if u := res.Uncertainty; u != nil && len(u.Tornado) > 0 {
		var swings []swing
		for _, sw := range u.Tornado {
			swings = append(swings, swing{label: wording.Parameter(lp, sw.ParameterRef), low: sw.GapAtLow, high: sw.GapAtHigh})
		}
		t, err := tornadoChart(lp, e.Currency, u.Gap.Central, swings)
		if err != nil {
			return nil, err
		}
		if svg, err = svgOfPadded(17*vg.Centimeter, vg.Length(3+0.9*float64(len(swings)))*vg.Centimeter, 1.5*vg.Centimeter, t); err != nil {
			return nil, err
		}
		out = append(out, Chart{Name: "tornado", Title: lp.T("What moves the cost gap most: each parameter alone from its low end (light bar) to its high end (dark bar), the others at their values (the line)"), SVG: svg})
	}
	for i := range out {
		if err := isSVG(out[i].SVG); err != nil {
			return nil, err
		}
		b.byName[out[i].Name] = &out[i]
	}
	return out, nil
}

func (b *builder) money(v float64) string { return b.lp.Amount(v, b.res.Cost.Currency) }

func (b *builder) option(name string) (costmodel.Option, bool) {
	return b.res.Cost.Option(name)
}

// summary is the executive summary: what to choose, run how, for how
// much, and what would change it.
func (b *builder) summary() Section {
	lp, res := b.lp, b.res
	rec := res.Recommendation
	o, _ := b.option(rec.Option)
	years := strconv.Itoa(res.Cost.Years)
	var text string
	if rec.Confidence == advisor.ConfidenceNone {
		text = lp.T("No option meets every constraint of this scenario. The least bad, by the scores, is %s (%s): about %s a year, %s over %s years with the one-off costs; it breaks what the vetoes below say, so a constraint has to give.",
			strings.ToUpper(rec.Protocol), wording.Option(lp, rec.Option), b.money(o.Yearly), b.money(o.TCO), years)
	} else {
		text = lp.T("We recommend %s: about %s a year, %s over %s years including the one-off costs of the change (training, migration, backup set-up and a reserve for changing needs).",
			wording.Option(lp, rec.Option), b.money(o.Yearly), b.money(o.TCO), years)
		text += " " + lp.T("Confidence: %s.", wording.Confidence(lp, rec.Confidence))
		if d := wording.Decided(lp, res); d != "" {
			text += " " + d
		}
	}
	if reasons := b.topReasons(2); len(reasons) > 0 {
		text += " " + lp.T("The main reasons: %s.", strings.Join(reasons, lp.T("; ")))
	}
	if u := res.Uncertainty; u != nil {
		text += " " + wording.Uncertainty(lp, u)
	}
	paras := []Block{{Kind: kindParagraph, Text: text}}
	if f := b.flipList; len(f) > 0 {
		// The first change of each of two inputs.
		var words []string
		seen := map[string]bool{}
		for _, c := range f {
			if !seen[c.input] && len(words) < 2 {
				seen[c.input] = true
				words = append(words, c.words)
			}
		}
		paras = append(paras, Block{Kind: kindParagraph, Text: lp.T("The answer would change if %s.", strings.Join(words, lp.T(" or ")))})
	} else {
		paras = append(paras, Block{Kind: kindParagraph, Text: lp.T("No single change of an input, within its allowed range, would change the answer.")})
	}
	return Section{ID: "summary", Title: lp.T("Executive summary"), Blocks: paras}
}

// topReasons are the titles of the rules that gave the recommended
// protocol the most points, in lower case to fit in a sentence.
func (b *builder) topReasons(n int) []string {
	cs := slices.Clone(b.res.Contributions)
	// What the client said comes first: a reason resting on an input
	// nobody gave (a default) only after the ones resting on theirs, and
	// marked as assumed.
	slices.SortStableFunc(cs, func(x, y advisor.Contribution) int {
		switch {
		case len(x.Assumed) == 0 && len(y.Assumed) > 0:
			return -1
		case len(x.Assumed) > 0 && len(y.Assumed) == 0:
			return 1
		case x.Points > y.Points:
			return -1
		case x.Points < y.Points:
			return 1
		}
		return 0
	})
	var out []string
	for _, c := range cs {
		if c.Favours != b.res.Recommendation.Protocol || len(out) == n {
			continue
		}
		title := b.titles[c.Rule]
		if title == "" {
			title = c.Text
		}
		title = lowerFirst(title)
		if len(c.Assumed) > 0 {
			// The rule's first input names what is assumed (its guards,
			// such as no local-storage policy, are in the JSON).
			title += " " + b.lp.T("(assumed: %s)", lowerFirst(fieldLabel(b.lp, c.Assumed[0])))
		}
		out = append(out, title)
	}
	return out
}

// lowerFirst lowers the first letter, unless the word is an acronym
// (IMAP, CO2).
func lowerFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	if len(word) > 1 && word == strings.ToUpper(word) { // an acronym, not "A team"
		return s
	}
	r := []rune(s)
	r[0] = []rune(strings.ToLower(string(r[0])))[0]
	return string(r)
}

// fieldLabels name the inputs for a client; shares are shown as
// percentages and the budget as money.
var fieldLabels = map[string]string{
	"users":                      "Mailboxes (people)",
	"devices_per_user":           "Devices per person",
	"mobile_share":               "People who read mail away from the office",
	"connectivity":               "Connection to the mail server",
	"bandwidth_mbps":             "Site bandwidth (Mbit/s)",
	"messages_per_day":           "Messages per person per day",
	"attachment_share":           "Messages with a large attachment",
	"mailbox_growth_gb_per_year": "Mailbox growth (GB a year)",
	"retention_years":            "Mail kept (years)",
	"server_quota_gb":            "Server storage per person (GB)",
	"budget_eur_per_year":        "Yearly mail budget",
	"hosting":                    "Who runs the server",
	"region":                     "Electricity of the servers (region)",
	"offline_access":             "Mail readable offline",
	"shared_mailboxes":           "Shared mailboxes or folders",
	"central_backup":             "Central backup required",
	"local_storage_only":         "Policy: no mail on remote servers",
	"privacy_policy":             "Privacy policy on who holds the mail",
	"endpoint_backups":           "Computers and phones backed up",
	"environment_priority":       "Weight of CO2 in the choice (0 to 1)",
}

// fieldLabel names an input in words.
func fieldLabel(lp *l10n.Printer, name string) string {
	if l, ok := fieldLabels[name]; ok {
		return lp.T(l)
	}
	return name
}

// value writes an input's value for people: numbers the language's way,
// shares as percentages, the budget as money, yes/no, words for the
// named values.
func (b *builder) value(field, v string) string {
	lp := b.lp
	if v == "" {
		return lp.T("not given")
	}
	f, _ := advisor.FieldByName(field)
	switch f.Kind {
	case advisor.KindBool:
		if v == "true" {
			return lp.T("yes")
		}
		return lp.T("no")
	case advisor.KindEnum:
		if field == "region" {
			return v
		}
		return lp.T(v)
	}
	n, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil:
		return v
	case field == "budget_eur_per_year":
		return lp.Amount(n, "EUR")
	case field == "mobile_share" || field == "attachment_share":
		return lp.Percent(n)
	case n == math.Trunc(n):
		return lp.Number(n, 0)
	}
	return lp.Number(n, 2)
}

// scenario lists every input: its value, and whether it was given or
// assumed.
func (b *builder) scenario() Section {
	lp := b.lp
	t := Block{Kind: kindTable, Header: []string{lp.T("Input"), lp.T("Value"), lp.T("Given or assumed")}}
	given := 0
	for _, a := range b.res.Assumptions {
		var src string
		switch a.Source {
		case advisor.SourceDefault:
			src = lp.T("assumed (default)")
		case advisor.SourceDerived:
			src = lp.T("assumed: %s", lp.T(a.Reason))
		case advisor.SourcePreset:
			src = lp.T("assumed: from the preset")
		default:
			src = lp.T("given")
			given++
		}
		t.Rows = append(t.Rows, []string{fieldLabel(lp, a.Field), b.value(a.Field, a.Value), src})
	}
	intro := lp.T("The advice rests on these inputs. %s of %s were given; the others are assumptions to check with the client (the defaults describe the source article's 50-person company).",
		strconv.Itoa(given), strconv.Itoa(len(b.res.Assumptions)))
	return Section{ID: "scenario", Title: lp.T("Scenario and assumptions"),
		Blocks: []Block{{Kind: kindParagraph, Text: intro}, t}}
}

// recommendation: the answer, its reasons (with the scores' chart), the
// vetoes and the warnings.
func (b *builder) recommendation() Section {
	lp, res := b.lp, b.res
	rec := res.Recommendation
	o, _ := b.option(rec.Option)
	blocks := []Block{{Kind: kindParagraph, Text: lp.T("Recommended: %s (%s), at about %s a year. Score: IMAP %s points, POP3 %s; confidence: %s.",
		wording.Option(lp, rec.Option), rec.Option, b.money(o.Yearly),
		wording.Points(lp, res.Scores.IMAP), wording.Points(lp, res.Scores.POP3), wording.Confidence(lp, rec.Confidence))}}
	if rec.LeaveOnServerDays != nil {
		blocks = append(blocks, Block{Kind: kindParagraph, Text: lp.T("Leave mail on the server for %s days after download: %s.",
			strconv.Itoa(*rec.LeaveOnServerDays), rec.LeaveOnServerText)})
	}
	blocks = append(blocks, b.chart("scores"))
	t := Block{Kind: kindTable, Header: []string{lp.T("Criterion"), lp.T("Favours"), lp.T("Points"), lp.T("Why")}, Numeric: []int{2}}
	for _, c := range res.Contributions {
		title := b.titles[c.Rule]
		if title == "" {
			title = c.Rule
		}
		t.Rows = append(t.Rows, []string{title, strings.ToUpper(c.Favours), wording.Points(lp, c.Points), c.Text})
	}
	if len(t.Rows) > 0 {
		blocks = append(blocks, t)
	}
	if len(res.Vetoes) > 0 {
		var items []string
		for _, v := range res.Vetoes {
			items = append(items, lp.T("%s rules out %s: %s", b.titleOf(v.Rule), strings.ToUpper(v.Protocol), v.Text))
		}
		blocks = append(blocks, Block{Kind: kindParagraph, Text: lp.T("Hard constraints:")}, Block{Kind: kindList, Items: items})
	}
	if len(res.Warnings) > 0 {
		var items []string
		for _, w := range res.Warnings {
			items = append(items, w.Text)
		}
		blocks = append(blocks, Block{Kind: kindParagraph, Text: lp.T("Points to watch:")}, Block{Kind: kindList, Items: items})
	}
	opts := Block{Kind: kindTable, Header: []string{lp.T("Option"), lp.T("Per year"), lp.T("Meets the constraints"), lp.T("Ruled out by")}, Numeric: []int{1}}
	for _, o := range res.Options {
		ok := lp.T("yes")
		if !o.Feasible {
			ok = lp.T("no")
		}
		opts.Rows = append(opts.Rows, []string{wording.Option(lp, o.Option), b.money(o.YearlyEUR), ok, strings.Join(o.RuledOutText, "; ")})
	}
	blocks = append(blocks, opts)
	return Section{ID: "recommendation", Title: lp.T("Recommendation and reasons"), Blocks: blocks}
}

func (b *builder) titleOf(rule string) string {
	if t := b.titles[rule]; t != "" {
		return t
	}
	return rule
}

// cost: every option per year and over the horizon, the chart, the
// breakdown of the recommended option and the hidden costs.
func (b *builder) cost() Section {
	lp, e := b.lp, b.res.Cost
	years := strconv.Itoa(e.Years)
	t := Block{Kind: kindTable, Header: []string{lp.T("Option"), lp.T("Per year"), lp.T("One-off"), lp.T("Total, %s years", years), lp.T("Per user and month")},
		Numeric: []int{1, 2, 3, 4}}
	for _, o := range e.Options {
		t.Rows = append(t.Rows, []string{wording.Option(lp, o.Option), b.money(o.Yearly), b.money(o.OneOff), b.money(o.TCO),
			lp.AmountDecimals(o.PerUserMonth, e.Currency, 2)})
	}
	blocks := []Block{
		{Kind: kindParagraph, Text: lp.T("Estimated cost of each way to run mail, from a transparent model whose defaults reproduce the source article (for 50 users: about %s a year with POP3 on your own server, %s with IMAP). Every parameter can be changed (mailadvisor cost --print-defaults).",
			lp.Amount(2000, "EUR"), lp.Amount(8000, "EUR"))},
		t,
		b.chart("cost"),
	}
	rec := b.res.Recommendation.Option
	if o, ok := b.option(rec); ok {
		bd := Block{Kind: kindTable, Header: []string{lp.T("Item"), lp.T("Kind"), lp.T("Formula"), lp.T("Amount")}, Numeric: []int{3}, Code: []int{2}}
		hidden := map[string]float64{}
		for _, l := range o.Breakdown {
			kind := lp.T("yearly")
			if l.Kind == costmodel.OneOff {
				kind = lp.T("one-off")
				hidden[l.Item] = l.Amount
			}
			bd.Rows = append(bd.Rows, []string{lp.T(l.Item), kind, l.Formula, b.money(l.Amount)})
		}
		blocks = append(blocks,
			Block{Kind: kindParagraph, Text: lp.T("Breakdown for %s:", wording.Option(lp, rec))}, bd,
			Block{Kind: kindParagraph, Text: lp.T("Hidden costs the source article warns about, for %s: training %s, migration %s, backup set-up %s, and a reserve for changing needs %s.",
				wording.Option(lp, rec), b.money(hidden["training"]), b.money(hidden["migration"]), b.money(hidden["backup set-up"]), b.money(hidden["changing needs"]))},
			Block{Kind: kindFormulas, Formulas: [][2]string{
				{lp.T("Yearly cost of a self-hosted option"), "C = F + u*N + c_GB*N*q*rho + c_dev*N*(D-1)"},
				{lp.T("Hosted option"), "C = price*12*N"},
				{lp.T("Total over Y years"), lp.T("TCO = C*Y + one-off")},
			}},
		)
	}
	return Section{ID: "cost", Title: lp.T("Cost"), Blocks: blocks}
}

// co2: each model's estimate, the chart, the methods and the caveats.
func (b *builder) co2() Section {
	lp, e := b.lp, b.res.Carbon
	t := Block{Kind: kindTable, Header: []string{lp.T("Model"), lp.T("POP3, kg CO2e/year"), lp.T("IMAP, kg CO2e/year"), lp.T("Used for the advice")}, Numeric: []int{1, 2}}
	var formulas [][2]string
	var methods []string
	for _, m := range e.Models {
		used := ""
		if m.Default {
			used = lp.T("yes")
		}
		t.Rows = append(t.Rows, []string{m.Model, lp.Number(m.POP3KgPerYear, 1), lp.Number(m.IMAPKgPerYear, 1), used})
		formulas = append(formulas, [2]string{m.Model, m.Formula})
		methods = append(methods, m.Model+lp.T(": ")+wording.ModelDescription(lp, m.Description))
	}
	blocks := []Block{
		{Kind: kindParagraph, Text: lp.T("Yearly CO2 of reading this organisation's mail, under three published methods side by side.")},
		t,
		b.chart("co2"),
		{Kind: kindParagraph, Text: lp.T("Methods:")},
		{Kind: kindList, Items: methods},
		{Kind: kindFormulas, Formulas: formulas},
		{Kind: kindParagraph, Text: lp.T("Caveat: %s.", lp.T(e.Note))},
		{Kind: kindParagraph, Text: lp.T("The per-message figures (about 4 g for a standard email, 50 g with a large attachment) are those of the source article; they go back to Mike Berners-Lee's 2010 estimates, which count the devices and people's time, and later work (ADEME, the Sustainable Web Design model) gives far lower figures per byte. ADEME's current Impact CO2 model puts a typical email at about 1.9 g (a short text) to 2.9 g (1 MB kept ten years), of which 1.7 g is the manufacture of the devices that write and read it: the device dominates, so the protocol changes the total little. The seed-literal model takes the article's rule (IMAP multiplies the impact by the devices and the years kept) literally; no measurement supports it. Compare options within one model, not across models.")},
	}
	return Section{ID: "co2", Title: lp.T("CO2"), Blocks: blocks}
}

// uncertainty: how the answer holds when every cost and CO2 parameter is
// drawn within its range, with the spread of each option and the tornado.
func (b *builder) uncertainty() Section {
	lp, u := b.lp, b.res.Uncertainty
	share := map[string]float64{}
	for _, o := range u.Outcomes {
		share[o.Answer] = o.Share
	}
	t := Block{Kind: kindTable, Header: []string{lp.T("Option"), lp.T("Recommended in"), lp.T("Per year, central"),
		lp.T("Per year, P10–P90"), lp.T("CO2 a year, P10–P90")}, Numeric: []int{1, 2}}
	for _, o := range u.Options {
		t.Rows = append(t.Rows, []string{wording.Option(lp, o.Option), wording.Share(lp, share[o.Option]), b.money(o.CostEUR.Central),
			b.money(o.CostEUR.P10) + " – " + b.money(o.CostEUR.P90),
			lp.T("%s – %s kg", lp.Number(o.CO2Kg.P10, 0), lp.Number(o.CO2Kg.P90, 0))})
	}
	if s, ok := share[advisor.AnswerNone]; ok {
		t.Rows = append(t.Rows, []string{lp.T("no option fits"), wording.Share(lp, s), "", "", ""})
	}
	blocks := []Block{
		{Kind: kindParagraph, Text: wording.Uncertainty(lp, u)},
		{Kind: kindParagraph, Text: lp.T("Every cost and CO2 figure above is one value of a parameter that is a dated market price or an estimate. Each has a low and a high end, with its source and date, in the parameter files (mailadvisor cost --print-defaults, mailadvisor carbon --print-defaults). We drew %s sets of parameters, each parameter between its ends and most often near its value (a triangular distribution; seed %s, so the figures can be reproduced), and gave each set to the same rules.",
			lp.Number(float64(u.Draws), 0), strconv.FormatUint(u.Seed, 10))},
		t,
	}
	if len(u.Tornado) > 0 {
		blocks = append(blocks,
			Block{Kind: kindParagraph, Text: lp.T("The parameters that move the cost gap between the IMAP and the POP3 option most (now %s a year), each taken alone from its low to its high end:", b.money(u.Gap.Central))},
			b.chart("tornado"))
		sw := Block{Kind: kindTable, Header: []string{lp.T("Parameter"), lp.T("Low"), lp.T("Now"), lp.T("High"), lp.T("Source")}}
		for _, s := range u.Tornado {
			src := s.Source
			if s.Date != "" {
				src = lp.T("%s (%s)", src, s.Date)
			}
			sw.Rows = append(sw.Rows, []string{wording.Parameter(lp, s.ParameterRef), wording.Value(lp, s.ParameterRef, s.Low),
				wording.Value(lp, s.ParameterRef, s.Central), wording.Value(lp, s.ParameterRef, s.High), src})
		}
		blocks = append(blocks, sw)
	}
	return Section{ID: "uncertainty", Title: lp.T("How sure is this?"), Blocks: blocks}
}

// flip is one change of one input that changes the answer.
type flip struct {
	input, now, change, to string
	words                  string // the change in a sentence
}

func (b *builder) flips() []flip {
	lp := b.lp
	var out []flip
	for _, be := range b.res.BreakEven {
		if be.At == nil {
			continue
		}
		now := lp.T("not given")
		if be.Current != nil {
			now = b.value(be.Input, strconv.FormatFloat(*be.Current, 'f', -1, 64))
		}
		at := b.value(be.Input, strconv.FormatFloat(*be.At, 'f', -1, 64))
		change, words := lp.T("%s or more", at), lp.T("“%s” rose to %s or more (then %s)", fieldLabel(lp, be.Input), at, wording.Answer(lp, be.FlipsTo))
		if be.Direction == "at_or_below" {
			change, words = lp.T("%s or less", at), lp.T("“%s” fell to %s or less (then %s)", fieldLabel(lp, be.Input), at, wording.Answer(lp, be.FlipsTo))
		}
		if be.Until != nil {
			change += lp.T(", until %s", b.value(be.Input, strconv.FormatFloat(*be.Until, 'f', -1, 64)))
		}
		out = append(out, flip{fieldLabel(lp, be.Input), now, change, wording.Answer(lp, be.FlipsTo), words})
	}
	for _, w := range b.res.WhatIf {
		v := b.value(w.Input, w.Value)
		out = append(out, flip{fieldLabel(lp, w.Input), b.current(w.Input), lp.T("set to %s", v), wording.Answer(lp, w.FlipsTo),
			lp.T("“%s” changed to %s (then %s)", fieldLabel(lp, w.Input), v, wording.Answer(lp, w.FlipsTo))})
	}
	return out
}

// current is an input's value now, for people.
func (b *builder) current(field string) string {
	for _, a := range b.res.Assumptions {
		if a.Field == field {
			return b.value(field, a.Value)
		}
	}
	return ""
}

// changes: every single change of an input that changes the answer.
func (b *builder) changes() Section {
	lp := b.lp
	f := b.flipList
	if len(f) == 0 {
		return Section{ID: "changes", Title: lp.T("What would change the answer"), Blocks: []Block{
			{Kind: kindParagraph, Text: lp.T("No single change of an input, within its allowed range, would change the answer.")}}}
	}
	t := Block{Kind: kindTable, Header: []string{lp.T("Input"), lp.T("Now"), lp.T("Change"), lp.T("Answer then")}}
	for _, c := range f {
		t.Rows = append(t.Rows, []string{c.input, c.now, c.change, c.to})
	}
	return Section{ID: "changes", Title: lp.T("What would change the answer"), Blocks: []Block{
		{Kind: kindParagraph, Text: lp.T("Each line changes one input, everything else held; the others cannot change the answer within their allowed range.")}, t}}
}

// security: the encrypted endpoints and the DNS and TLS checklist.
func (b *builder) security() Section {
	lp := b.lp
	t := Block{Kind: kindTable, Header: []string{lp.T("Service"), lp.T("Port"), lp.T("Security"), lp.T("Note")}, Numeric: []int{1}}
	for _, e := range b.res.Endpoints {
		t.Rows = append(t.Rows, []string{e.Service, strconv.Itoa(e.Port), wording.Security(e.Security), lp.T(e.Note)})
	}
	items := []string{
		lp.T("Encrypted connections only: the ports above (RFC 8314); no login on the cleartext ports 110 and 143, and port 25 only between servers."),
		lp.T("A certificate from a public authority (Let's Encrypt, for instance) for the mail server's name, renewed automatically; TLS 1.2 or later."),
		lp.T("SPF: a TXT record on the domain listing the servers allowed to send its mail, ending in -all (RFC 7208)."),
		lp.T("DKIM: every outgoing message signed, the public key published under selector._domainkey (RFC 6376)."),
		lp.T("DMARC: a TXT record at _dmarc, starting with p=none and reports, then p=quarantine or p=reject once reports are clean (RFC 7489)."),
		lp.T("MTA-STS and TLS-RPT: other servers must use TLS to deliver here, and report failures (RFC 8461, RFC 8460)."),
		lp.T("Automatic set-up: autoconfig, autodiscover and SRV records (RFC 6186), so that mail apps find these settings on their own."),
	}
	if b.res.Recommendation.Option == costmodel.IMAPHosted || b.res.Recommendation.Option == costmodel.POP3Hosted {
		items = append(items, lp.T("With a provider: check that it offers each point above on your domain, where it stores the mail, and for how long it keeps backups."))
	}
	return Section{ID: "security", Title: lp.T("Secure endpoints and checklist"), Blocks: []Block{
		{Kind: kindParagraph, Text: lp.T("The settings mail apps should use:")}, t,
		{Kind: kindParagraph, Text: lp.T("What a deployment needs:")}, {Kind: kindList, Items: items}}}
}

// nextSteps: migration, communication, the apps, the server.
func (b *builder) nextSteps() Section {
	lp := b.lp
	items := []string{
		lp.T("Migration: copy the existing mailboxes to the new service (imapsync, for instance), test a few mailboxes first, then pick a cut-over date out of busy periods."),
		lp.T("Communication: tell users what changes, when, and whom to ask; give them a one-page guide and a date for the change."),
		lp.T("Setting up the apps: mailadvisor profile and mailadvisor batch write the profiles for Thunderbird, Apple devices and Outlook; mailadvisor serve publishes them with a page for users."),
	}
	if strings.HasSuffix(b.res.Recommendation.Option, "-self") {
		items = append(items, lp.T("The server: mailadvisor server all writes the Dovecot, Postfix and DNS configuration for a fresh Debian server, with a set-up script."))
	}
	items = append(items, lp.T("Review in a year, or sooner if one of the inputs that would change the answer moves."))
	return Section{ID: "next-steps", Title: lp.T("Next steps"), Blocks: []Block{{Kind: kindList, Items: items}}}
}

// sources: where the defaults and the rules come from.
func (b *builder) sources() Section {
	lp := b.lp
	items := []string{
		lp.T("Source article (in French): \"IMAP, POP et SMTP : comment choisir le protocole adapté à l'envoi et à la réception d'e-mails\"; its figures are the defaults (ports, 4 g and 50 g per email, 2,000 and 8,000 EUR a year for 50 users)."),
		"RFC 8314, Cleartext Considered Obsolete: Use of TLS for Email Submission and Access (2018).",
		"RFC 6186, Use of SRV Records for Locating Email Submission/Access Services (2011).",
		"RFC 7208 (SPF), RFC 6376 (DKIM), RFC 7489 (DMARC), RFC 8461 (MTA-STS), RFC 8460 (TLS-RPT).",
		lp.T("CO2: Mike Berners-Lee, How Bad Are Bananas? (2010, 2020); ADEME/BioIS email study (2011) and Base Empreinte (2025); Green Web Foundation CO2.js, Sustainable Web Design model v4; Cloud Carbon Footprint."),
		lp.T("Cost: Microsoft Exchange Online Plan 1 list price (April 2023); Mithi's TCO walkthrough; the other parameters are assumptions, each marked in mailadvisor cost --print-defaults."),
	}
	return Section{ID: "sources", Title: lp.T("Sources"), Blocks: []Block{{Kind: kindList, Items: items}}}
}
