package advisor

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// Expressions beyond the built-in rules that the closures cover, to hold
// every operator, builtin and corner (integers, NaN, infinities, division
// by zero) to the VM's results.
var closureCases = []struct {
	code string
	want resultKind
}{
	{"users > 1 and not offline_access or has_budget", boolResult},
	{"!(devices_per_user >= 2) || users <= -1", boolResult},
	{"connectivity != 'good' && region == \"FR\"", boolResult},
	{"offline_access == shared_mailboxes", boolResult},
	{"users == 50 && 2.5 < mobile_share", boolResult},
	{"true && central_backup", boolResult},
	{"users / 0 > 1", boolResult},
	{"-users / 0 < 0 and mobile_share / 0 != mobile_share / 0", boolResult},
	{"min(users, 45, mobile_share) + max(1.5, retention_years)", numberResult},
	{"max(1, users) * retention_years - min(3, 2.5)", numberResult},
	{"users > 9007199254740992", boolResult},
	{"abs(-users) + floor(mobile_share * 7.3) - ceil(server_quota_gb / 3)", numberResult},
	{"round(users * -0.5) / (retention_years - 1)", numberResult},
	{"min(45, users)", numberResult},
	{"max(users / 0, 3)", numberResult},
	{"+users - -2", numberResult},
	{"min(2, 3) * users", numberResult},
	{"users", anyResult},
	{"connectivity", anyResult},
	{"has_budget", anyResult},
	{"users * 2.5 / 3", anyResult},
}

// Expressions the closures do not cover: they must run on the VM, and
// give its results.
var vmOnlyCases = []struct {
	code string
	want resultKind
}{
	{"connectivity in ['slow', 'intermittent']", boolResult},
	{"len(connectivity) > 4", boolResult},
	{"int(users) % 2 == 0", boolResult},
	{"users ** 2 > 100", boolResult},
	{"connectivity < 'h'", boolResult},
	{"min(9223372036854775807, 9223372036854775807) * 2 < users", boolResult}, // int64 overflow, as in Go
	{"users < 9007199254740993", boolResult},                                  // beyond 2^53: not exact as a float64
	{"min(users, 45) * 2 > 80", boolResult},                                   // may be int * int
	{"users > 1 ? 10 : 5", numberResult},
	{"upper(connectivity)", anyResult},
}

// TestBuiltinRulesRunAsClosures keeps the built-in rules on the fast path:
// a new rule that falls back to the VM slows every scenario down.
func TestBuiltinRulesRunAsClosures(t *testing.T) {
	rs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.rules {
		if !r.when.hasClosure() {
			t.Errorf("%s: condition %q runs on the VM", r.ID, r.When)
		}
		if r.points != nil && !r.points.hasClosure() {
			t.Errorf("%s: points %q run on the VM", r.ID, r.Points)
		}
		for _, ph := range r.reason.values {
			if !ph.value.hasClosure() {
				t.Errorf("%s: a placeholder of %q runs on the VM", r.ID, r.Reason)
			}
		}
	}
}

// TestClosuresMatchVM evaluates every built-in expression and the cases
// above both ways, on the presets and on random facts.
func TestClosuresMatchVM(t *testing.T) {
	programs := builtinPrograms(t)
	for _, c := range closureCases {
		p, err := compileExpr(c.code, c.want)
		if err != nil {
			t.Fatalf("%s: %v", c.code, err)
		}
		if !p.hasClosure() {
			t.Errorf("%s: runs on the VM, want a closure", c.code)
		}
		programs[c.code] = p
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i, f := range sampleFacts(t, rng, 300) {
		ev := &evaluator{facts: f}
		for code, p := range programs {
			closure, vm := evalBoth(t, ev, p)
			if !sameValue(closure, vm) {
				t.Fatalf("facts #%d: %s: closure %v (%T), VM %v (%T)\nfacts: %v", i, code, closure, closure, vm, vm, f.asMap())
			}
		}
	}
}

func TestVMFallback(t *testing.T) {
	ev := newEvaluator()
	s := DefaultScenario()
	s.Connectivity = "slow"
	ev.facts.fill(&s)
	want := map[string]any{
		"connectivity in ['slow', 'intermittent']": true,
		"len(connectivity) > 4":                    false,
		"int(users) % 2 == 0":                      true,
		"users ** 2 > 100":                         true,
		"connectivity < 'h'":                       false,
		"min(9223372036854775807, 9223372036854775807) * 2 < users": true,
		"users < 9007199254740993":                                  true,
		"min(users, 45) * 2 > 80":                                   true,
		"users > 1 ? 10 : 5":                                        10.0,
		"upper(connectivity)":                                       "SLOW",
	}
	for _, c := range vmOnlyCases {
		p, err := compileExpr(c.code, c.want)
		if err != nil {
			t.Fatalf("%s: %v", c.code, err)
		}
		if p.hasClosure() {
			t.Errorf("%s: has a closure, want the VM", c.code)
		}
		got, _ := evalBoth(t, ev, p)
		if got != want[c.code] {
			t.Errorf("%s = %v, want %v", c.code, got, want[c.code])
		}
	}
}

// FuzzClosuresMatchVM compiles arbitrary expressions and, whenever the
// closures cover one, checks them against the VM on the fuzzed facts.
func FuzzClosuresMatchVM(f *testing.F) {
	for _, c := range closureCases {
		f.Add(c.code, 50.0, 2.0, 0.3, true, "slow")
	}
	f.Add("min(users, devices_per_user) / mobile_share", 0.0, -1.0, math.NaN(), false, "")
	f.Fuzz(func(t *testing.T, code string, users, devices, share float64, offline bool, connectivity string) {
		ev := newEvaluator()
		ev.facts.number[factUsers] = users
		ev.facts.number[factDevicesPerUser] = devices
		ev.facts.number[factMobileShare] = share
		ev.facts.flag[factOfflineAccess] = offline
		ev.facts.text[factConnectivity] = connectivity
		ev.facts.envStale = true
		for _, want := range []resultKind{anyResult, boolResult, numberResult} {
			p, err := compileExpr(code, want)
			if err != nil || !p.hasClosure() {
				continue
			}
			closure, vm := evalBoth(t, ev, p)
			if !sameValue(closure, vm) {
				t.Fatalf("%s: closure %v (%T), VM %v (%T)", code, closure, closure, vm, vm)
			}
		}
	})
}

// builtinPrograms returns every expression of the built-in rules.
func builtinPrograms(t *testing.T) map[string]*program {
	rs, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*program{}
	for _, r := range rs.rules {
		out[r.ID+" when"] = r.when
		if r.points != nil {
			out[r.ID+" points"] = r.points
		}
		for i, ph := range r.reason.values {
			out[r.ID+" placeholder "+string(rune('1'+i))] = ph.value
		}
	}
	return out
}

// sampleFacts returns the presets' facts and n random ones, numbers drawn
// from corners (0, -0, negatives, NaN, infinities) and ordinary values.
func sampleFacts(t *testing.T, rng *rand.Rand, n int) []facts {
	presets, err := Presets()
	if err != nil {
		t.Fatal(err)
	}
	a := builtinAdvisor(t)
	var out []facts
	for _, p := range presets {
		ev := newEvaluator()
		if err := a.load(ev, &p.Scenario); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.facts)
	}
	numbers := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 2, 3, 45, 50, 1e9, math.NaN(), math.Inf(1), math.Inf(-1)}
	texts := []string{"", "good", "slow", "intermittent", "pop3", "imap", "FR", "self", "hosted"}
	for range n {
		var f facts
		for i := range f.number {
			f.number[i] = numbers[rng.IntN(len(numbers))]
			if rng.IntN(3) == 0 {
				f.number[i] = rng.NormFloat64() * 100
			}
		}
		for i := range f.text {
			f.text[i] = texts[rng.IntN(len(texts))]
		}
		for i := range f.flag {
			f.flag[i] = rng.IntN(2) == 0
		}
		f.envStale = true
		out = append(out, f)
	}
	return out
}

// evalBoth returns p's value from its closure (nil when it has none) and
// from the VM (for a fact's name alone, from the map the VM reads).
func evalBoth(t testing.TB, ev *evaluator, p *program) (closure, vm any) {
	if p.code == nil {
		vm = ev.facts.vmEnv()[p.fact]
	} else {
		var err error
		if vm, err = ev.runVM(p); err != nil {
			t.Fatalf("VM: %v", err)
		}
	}
	if v, ok := vm.(int); ok {
		vm = float64(v) // the closures compute in float64; expr gives min(1, 2) as int
	}
	switch {
	case p.number != nil:
		closure = p.number(&ev.facts)
	case p.flag != nil:
		closure = p.flag(&ev.facts)
	case p.text != nil:
		closure = p.text(&ev.facts)
	default:
		return vm, vm
	}
	return closure, vm
}

// sameValue is == that also holds for two NaNs, and tells 0 from -0.
func sameValue(a, b any) bool {
	x, okX := a.(float64)
	y, okY := b.(float64)
	if okX && okY {
		return math.Float64bits(x) == math.Float64bits(y) || (math.IsNaN(x) && math.IsNaN(y))
	}
	return reflect.DeepEqual(a, b)
}
