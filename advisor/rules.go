package advisor

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/mailadvisor/mailadvisor/costmodel"
	"github.com/mailadvisor/mailadvisor/internal/l10n"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

//go:embed rules.yaml
var builtinRulesYAML []byte

// BuiltinRulesSource names the embedded rule file in errors and listings.
const BuiltinRulesSource = "built-in rules"

// The kinds of rule.
const (
	KindPoints  = "points"  // adds points to the protocol it favours
	KindVeto    = "veto"    // rules a protocol out
	KindWarning = "warning" // warns about the recommended set-up
)

// Rule is one rule as written in a rules file, with where it came from.
type Rule struct {
	ID        string `yaml:"id" json:"id"`
	Title     string `yaml:"title" json:"title"`
	Rationale string `yaml:"rationale" json:"rationale"`
	Kind      string `yaml:"kind,omitempty" json:"kind"`
	When      string `yaml:"when" json:"when"`
	Favours   string `yaml:"favours,omitempty" json:"favours,omitempty"`
	Points    string `yaml:"points,omitempty" json:"points,omitempty"`
	Vetoes    string `yaml:"vetoes,omitempty" json:"vetoes,omitempty"`
	Reason    string `yaml:"reason" json:"reason"`
	// RestsOn names the inputs the reason rests on, when not every input
	// its condition reads: central backup rests on central_backup, not on
	// the guard that no local-storage policy forbids it. Empty: all of
	// them. A reason resting on an input nobody gave is marked assumed.
	RestsOn []string `yaml:"rests_on,omitempty" json:"rests_on,omitempty"`
	// Translations are the title and reason in other languages, by
	// language code (fr); a language missing here shows the English.
	Translations map[string]RuleText `yaml:"translations,omitempty" json:"translations,omitempty"`
	Source       string              `yaml:"-" json:"source"`
}

// RuleText is a rule's title and reason in one language; the reason has
// the same {placeholders} as the English one.
type RuleText struct {
	Title  string `yaml:"title" json:"title"`
	Reason string `yaml:"reason" json:"reason"`
}

// RulesFile is the form of a rules file: what ParseRules reads and what
// `rules -o yaml` prints.
type RulesFile struct {
	Rules []Rule `yaml:"rules"`
}

// compiledRule is a rule with its expressions compiled once.
type compiledRule struct {
	Rule
	when   *program
	points *program // nil for vetoes, warnings and constant points
	fixed  float64  // the points when the expression is a plain number
	reason reasonTemplate
	// reasons holds the translated reasons, by language.
	reasons map[l10n.Lang]reasonTemplate
	// inputs are the scenario fields its condition and points read.
	inputs []string
}

// factInputs are the facts made from one scenario field, by the field.
var factInputs = map[string]string{"has_budget": "budget_eur_per_year", "has_bandwidth": "bandwidth_mbps"}

// inputsOf adds to seen the scenario fields p reads.
func inputsOf(p *program, seen map[string]bool) {
	if p == nil {
		return
	}
	add := func(name string) {
		if f, ok := factInputs[name]; ok {
			name = f
		}
		if _, ok := FieldByName(name); ok {
			seen[name] = true
		}
	}
	if p.code == nil {
		add(p.fact)
		return
	}
	node := p.code.Node()
	ast.Walk(&node, identVisitor(add))
}

type identVisitor func(string)

func (v identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v(id.Value)
	}
}

// RuleSet is an ordered set of compiled rules, ready to score scenarios.
// It is safe for concurrent use.
type RuleSet struct {
	rules []*compiledRule
}

// BuiltinRules compiles the embedded rules.yaml.
func BuiltinRules() (*RuleSet, error) {
	return ParseRules(bytes.NewReader(builtinRulesYAML), BuiltinRulesSource)
}

// ParseRules reads a rules document (YAML, strict: unknown keys are errors)
// and compiles every expression in it. Errors name the source, the rule id
// and the expression at fault.
func ParseRules(r io.Reader, source string) (*RuleSet, error) {
	var doc RulesFile
	if err := yamlparams.Strict(r, &doc); errors.Is(err, io.EOF) {
		return nil, &DecodeError{Source: source, Err: errors.New("empty rules file: want a top-level 'rules:' list")}
	} else if err != nil {
		return nil, &DecodeError{Source: source, Err: err}
	}
	if len(doc.Rules) == 0 {
		return nil, &DecodeError{Source: source, Err: errors.New("no rules: want a top-level 'rules:' list with at least one rule")}
	}
	ids := make([]string, len(doc.Rules))
	seen := map[string]bool{}
	for i, r := range doc.Rules {
		ids[i] = r.ID
		if r.ID == "" {
			ids[i] = "#" + strconv.Itoa(i+1)
		}
		if seen[r.ID] {
			return nil, &RuleError{Source: source, RuleID: ids[i], Err: errors.New("duplicate rule id")}
		}
		seen[r.ID] = true
	}
	rs := &RuleSet{rules: make([]*compiledRule, len(doc.Rules))}
	for i, r := range doc.Rules {
		r.Source = source
		c, err := compileRule(r)
		if err != nil {
			return nil, &RuleError{Source: source, RuleID: ids[i], Err: err}
		}
		rs.rules[i] = c
	}
	return rs, nil
}

// With returns a rule set holding the rules of rs followed by those of
// extra; an extra rule whose id is already in rs replaces it in place.
func (rs *RuleSet) With(extra *RuleSet) *RuleSet {
	out := &RuleSet{rules: append([]*compiledRule(nil), rs.rules...)}
	for _, r := range extra.rules {
		replaced := false
		for i, have := range out.rules {
			if have.ID == r.ID {
				out.rules[i], replaced = r, true
				break
			}
		}
		if !replaced {
			out.rules = append(out.rules, r)
		}
	}
	return out
}

// Rules lists the rules in force, in evaluation order.
func (rs *RuleSet) Rules() []Rule {
	out := make([]Rule, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.Rule
	}
	return out
}

func compileRule(r Rule) (*compiledRule, error) {
	if r.ID == "" {
		return nil, errors.New("missing id")
	}
	if strings.TrimSpace(r.Title) == "" {
		return nil, errors.New("missing title")
	}
	if strings.TrimSpace(r.When) == "" {
		return nil, errors.New("missing 'when' condition")
	}
	if strings.TrimSpace(r.Reason) == "" {
		return nil, errors.New("missing reason")
	}
	// The texts reach terminals, reports and JSON: no control or invisible
	// format characters (an escape sequence, a bidi override).
	for _, t := range []struct{ field, value string }{{"id", r.ID}, {"title", r.Title}, {"rationale", r.Rationale}, {"reason", r.Reason}} {
		if err := textcheck.Text(t.field, t.value, 2000); err != nil {
			return nil, err
		}
	}
	if r.Kind == "" {
		r.Kind = KindPoints
	}
	c := &compiledRule{Rule: r}
	var err error
	if c.when, err = compileExpr(r.When, boolResult); err != nil {
		return nil, fmt.Errorf("when %s: %w", textcheck.Quote(r.When), err)
	}
	if err := c.compileKind(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	inputsOf(c.when, seen)
	inputsOf(c.points, seen)
	if len(r.RestsOn) > 0 {
		rests := map[string]bool{}
		for _, name := range r.RestsOn {
			if !seen[name] {
				return nil, fmt.Errorf("rests_on: %s is not an input its condition or points read (%s)", textcheck.Quote(name), strings.Join(slices.Sorted(maps.Keys(seen)), ", "))
			}
			rests[name] = true
		}
		seen = rests
	}
	for _, f := range fields { // in the fields' order
		if seen[f.Name] {
			c.inputs = append(c.inputs, f.Name)
		}
	}
	compiled := map[string]*program{}
	if c.reason, err = parseReason(r.Reason, compiled); err != nil {
		return nil, fmt.Errorf("reason %s: %w", textcheck.Quote(r.Reason), err)
	}
	if err := c.compileTranslations(compiled); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *compiledRule) compileKind() error {
	switch c.Kind {
	case KindPoints:
		if err := checkProtocol("favours", c.Favours); err != nil {
			return err
		}
		if c.Vetoes != "" {
			return errors.New("'vetoes' is only for kind: veto")
		}
		if strings.TrimSpace(c.Points) == "" {
			return errors.New("missing 'points' expression")
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(c.Points), 64); err == nil {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Errorf("points %s: want a finite number >= 0", textcheck.Quote(c.Points))
			}
			c.fixed = v // most rules give a fixed number: no need to run a program
			return nil
		}
		p, err := compileExpr(c.Points, numberResult)
		if err != nil {
			return fmt.Errorf("points %s: %w", textcheck.Quote(c.Points), err)
		}
		c.points = p
	case KindVeto:
		if err := checkProtocol("vetoes", c.Vetoes); err != nil {
			return err
		}
		if c.Favours != "" || c.Points != "" {
			return errors.New("a veto has 'vetoes', not 'favours' or 'points'")
		}
	case KindWarning:
		if c.Favours != "" || c.Points != "" || c.Vetoes != "" {
			return errors.New("a warning has only 'when' and 'reason'")
		}
	default:
		return fmt.Errorf("kind %s: want one of %s, %s, %s", textcheck.Quote(c.Kind), KindPoints, KindVeto, KindWarning)
	}
	return nil
}

func checkProtocol(key, value string) error {
	if value != IMAP && value != POP3 {
		return fmt.Errorf("%s %s: want %s or %s", key, textcheck.Quote(value), IMAP, POP3)
	}
	return nil
}

// program is a compiled expression: expr's program and, when closures.go
// covers the expression, a Go closure of its result type that runs
// instead of the VM (at most one of number, flag and text is set).
type program struct {
	code   *vm.Program // nil when the expression is only a fact's name
	fact   string      // that name
	number numberFunc
	flag   flagFunc
	text   textFunc
}

// resultKind is what an expression must produce.
type resultKind int

const (
	anyResult resultKind = iota
	boolResult
	numberResult
)

func compileExpr(code string, want resultKind) (*program, error) {
	if p, ok := factProgram(strings.TrimSpace(code), want); ok {
		return p, nil // a fact's name alone: no need to compile
	}
	opts := []expr.Option{expr.Env(factsTypes)}
	switch want {
	case boolResult:
		opts = append(opts, expr.AsBool())
	case numberResult:
		opts = append(opts, expr.AsFloat64())
	}
	p, err := expr.Compile(code, opts...)
	if err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	prog := &program{code: p}
	prog.compileClosure(p.Node(), want)
	return prog, nil
}

// compileClosure sets the closure for the checked tree n, if closures.go
// covers it.
func (p *program) compileClosure(n ast.Node, want resultKind) {
	if want != boolResult {
		if num, ok := closureNumber(n); ok {
			p.number = num.fn
			return
		}
	}
	if want != numberResult {
		p.flag, _ = closureFlag(n)
	}
	if want == anyResult && p.flag == nil {
		p.text, _ = closureText(n)
	}
}

// factProgram returns the program reading the fact called name, if there
// is one giving the result wanted.
func factProgram(name string, want resultKind) (*program, bool) {
	p := &program{fact: name}
	p.compileClosure(&ast.IdentifierNode{Value: name}, want)
	return p, p.hasClosure()
}

// hasClosure reports whether p runs as a closure, without the VM.
func (p *program) hasClosure() bool { return p.number != nil || p.flag != nil || p.text != nil }

// oneLine folds expr's multi-line error (with its caret diagram) into one.
func oneLine(msg string) string {
	first, _, _ := strings.Cut(msg, "\n")
	return first
}

// evaluator runs compiled programs against one scenario's facts. It is
// not safe for concurrent use: an Advisor pools them.
type evaluator struct {
	vm    vm.VM
	facts facts
	costs costmodel.YearlyByOption // every option's, for the scenario loaded
	mf    modelFacts               // the models' facts, for the scenario loaded
	// One scoring's fired rules, without pointers (no write barriers),
	// and their English reasons rendered one after the other, made into
	// one string at the end (score); texts holds the reason and text of
	// each firing in another language.
	reasons []byte
	firings []firing
	texts   []string
}

// firing is a rule that fired in a scoring: its index, its points, and
// where its English reason is in evaluator.reasons.
type firing struct {
	rule       int
	pts        float64
	start, end int
}

func newEvaluator() *evaluator { return &evaluator{} }

// runVM runs p on expr's VM.
func (ev *evaluator) runVM(p *program) (any, error) {
	out, err := ev.vm.Run(p.code, ev.facts.vmEnv())
	if err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	return out, nil
}

// evalBool runs a compiled condition.
func (ev *evaluator) evalBool(p *program) (bool, error) {
	if p.flag != nil {
		return p.flag(&ev.facts), nil
	}
	out, err := ev.runVM(p)
	b, _ := out.(bool)
	return b, err
}

// evalNumber runs a compiled numeric expression.
func (ev *evaluator) evalNumber(p *program) (float64, error) {
	if p.number != nil {
		return p.number(&ev.facts), nil
	}
	out, err := ev.runVM(p)
	v, _ := out.(float64)
	return v, err
}

// points returns the points rule r gives: its fixed number, or the result
// of its expression, checked.
func (ev *evaluator) points(r *compiledRule) (float64, error) {
	if r.points == nil {
		return r.fixed, nil
	}
	v, err := ev.evalNumber(r.points)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("points evaluated to %v: want a finite number >= 0", v)
	}
	return math.Round(v*100) / 100, nil
}

// compileTranslations checks and compiles the translated titles and
// reasons.
func (c *compiledRule) compileTranslations(compiled map[string]*program) error {
	for code, t := range c.Translations {
		lang, err := l10n.Parse(code)
		if err != nil || string(lang) != code || lang == l10n.English {
			return fmt.Errorf("translations: %s is not a language code mailadvisor writes: want %s", textcheck.Quote(code), l10n.French)
		}
		if strings.TrimSpace(t.Title) == "" || strings.TrimSpace(t.Reason) == "" {
			return fmt.Errorf("translations.%s: want both a title and a reason", code)
		}
		for _, f := range []struct{ field, value string }{{"title", t.Title}, {"reason", t.Reason}} {
			if err := textcheck.Text("translations."+code+"."+f.field, f.value, 2000); err != nil {
				return err
			}
		}
		tmpl, err := parseReason(t.Reason, compiled)
		if err != nil {
			return fmt.Errorf("translations.%s.reason %s: %w", code, textcheck.Quote(t.Reason), err)
		}
		if c.reasons == nil {
			c.reasons = map[l10n.Lang]reasonTemplate{}
		}
		c.reasons[lang] = tmpl
	}
	return nil
}
