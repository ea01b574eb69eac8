package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/advisor"
)

// adviseRun runs `advise -o json` with args, as a user would, and returns
// the result.
func adviseRun(t *testing.T, args ...string) *advisor.Result {
	t.Helper()
	out, stderr, code := runCLI(t, append([]string{"advise", "--no-config", "-o", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("advise %v: exit %d\n%s", args, code, stderr)
	}
	var res advisor.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("advise %v: %v", args, err)
	}
	return &res
}

// answerOf is what a break-even entry calls the answer: the protocol, or
// none when no option meets every constraint.
func answerOf(res *advisor.Result) string {
	if res.Recommendation.Confidence == advisor.ConfidenceNone {
		return advisor.AnswerNone
	}
	return res.Recommendation.Protocol
}

// The four statements a consultant found false at the boundaries.
func TestAdviceBoundaries(t *testing.T) {
	// A budget equal to the price shown is not "over" it.
	res := adviseRun(t, "--users", "35", "--devices-per-user", "2.5", "--budget-eur-per-year", "1848")
	if res.Recommendation.Protocol != advisor.IMAP || len(res.Vetoes) != 0 {
		t.Errorf("a budget of 1848 for IMAP at 1848: %s, vetoes %+v", res.Recommendation.Summary, res.Vetoes)
	}
	// 48 EUR over the budget: the budget decided, the confidence says how
	// close, and the what-if table says which budget allows IMAP.
	res = adviseRun(t, "--users", "35", "--devices-per-user", "2.5", "--budget-eur-per-year", "1800")
	rec := res.Recommendation
	if rec.Protocol != advisor.POP3 || rec.Confidence != advisor.ConfidenceClose || len(rec.DecidedBy) == 0 ||
		rec.BudgetGapEUR == nil || *rec.BudgetGapEUR != 48 || !strings.Contains(rec.Summary, "48 EUR a year over the budget") {
		t.Errorf("48 EUR over the budget: %+v", rec)
	}
	found := false
	for _, b := range res.BreakEven {
		found = found || b.Input == "budget_eur_per_year" && b.At != nil && *b.At == 1848 && b.FlipsTo == advisor.IMAP && b.Direction == "at_or_above"
	}
	if !found {
		t.Errorf("no break-even says a budget of 1848 gives IMAP: %+v", res.BreakEven)
	}
	table, _, _ := runCLI(t, "advise", "--no-config", "--users", "35", "--devices-per-user", "2.5", "--budget-eur-per-year", "1800")
	if !strings.Contains(table, "Decided by the budget, not the scores") || !strings.Contains(table, "a budget of €1,848 a year allows it") {
		t.Errorf("the table does not say the budget decided:\n%s", table)
	}
	// A break-even holds from its first value to its last.
	res = adviseRun(t, "--users", "50", "--hosting", "self", "--budget-eur-per-year", "9000")
	for _, b := range res.BreakEven {
		if b.Input != "budget_eur_per_year" || b.At == nil {
			continue
		}
		checkEntry(t, nil, []string{"--users", "50", "--hosting", "self"}, b)
	}
	// What-ifs re-derive what a run with that input derives: one person's
	// hosted mailbox is not kept for 57.
	base := []string{"--users", "1", "--devices-per-user", "3", "--connectivity", "slow", "--retention-years", "1", "--budget-eur-per-year", "3000"}
	res = adviseRun(t, base...)
	for _, b := range res.BreakEven {
		if b.Input == "users" && b.At != nil {
			checkEntry(t, nil, base, b)
		}
	}
}

// checkEntry applies a break-even entry through the command, as a user
// would type it: at gives flips_to and the grid value before it does not;
// until gives it and the value after it does not. base are the flags of
// the run; the entry's input replaces its flag.
func checkEntry(t *testing.T, r *rand.Rand, base []string, b advisor.BreakEven) {
	t.Helper()
	f, _ := advisor.FieldByName(b.Input)
	with := func(v float64) string {
		args := withFlag(base, "--"+f.FlagName(), strconv.FormatFloat(v, 'f', -1, 64))
		return answerOf(adviseRun(t, args...))
	}
	dir := -1.0
	if b.Direction == "at_or_above" {
		dir = 1
	}
	grid := func(v, steps float64) float64 {
		x, _ := strconv.ParseFloat(strconv.FormatFloat(v+steps*f.Step, 'f', 6, 64), 64)
		return x
	}
	if got := with(*b.At); got != b.FlipsTo {
		t.Errorf("%v: --%s %v gives %s, the break-even says %s", base, f.FlagName(), *b.At, got, b.FlipsTo)
	}
	if before := grid(*b.At, -dir); before >= f.Min && before <= f.Max {
		if got := with(before); got == b.FlipsTo {
			t.Errorf("%v: --%s %v already gives %s, the break-even says from %v", base, f.FlagName(), before, got, *b.At)
		}
	}
	if b.Until != nil {
		if got := with(*b.Until); got != b.FlipsTo {
			t.Errorf("%v: --%s %v (until) gives %s, the break-even says %s", base, f.FlagName(), *b.Until, got, b.FlipsTo)
		}
		if after := grid(*b.Until, dir); after >= f.Min && after <= f.Max {
			if got := with(after); got == b.FlipsTo {
				t.Errorf("%v: --%s %v, past until %v, still gives %s", base, f.FlagName(), after, *b.Until, got)
			}
		}
	}
}

// withFlag is args with --name=value (the form yes/no flags need),
// replacing the flag when present.
func withFlag(args []string, name, value string) []string {
	out := make([]string, 0, len(args)+1)
	for i := 0; i < len(args); i++ {
		if args[i] == name && i+1 < len(args) {
			i++
			continue
		}
		if strings.HasPrefix(args[i], name+"=") {
			continue
		}
		out = append(out, args[i])
	}
	return append(out, name+"="+value)
}

// Generated scenarios, given as a user gives them (a few flags, the rest
// the defaults fitted to the size): every break-even and what-if the
// command prints holds when typed back into the command.
func TestBreakEvensHoldThroughTheCommand(t *testing.T) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("MAILADVISOR_PROPERTY_N")); err == nil {
		n = v
	}
	if testing.Short() {
		n = 8
	}
	r := rand.New(rand.NewPCG(7, 11))
	numeric := []string{}
	for _, f := range advisor.Fields() {
		if f.Numeric() {
			numeric = append(numeric, f.Name)
		}
	}
	for i := 0; i < n; i++ {
		var args []string
		users := []int{1, 2, 3, 4, 12, 35, 50, 57, 120, 400}[r.IntN(10)]
		args = append(args, "--users", strconv.Itoa(users))
		for _, name := range numeric {
			f, _ := advisor.FieldByName(name)
			if name == "users" || r.IntN(3) != 0 {
				continue
			}
			lo, hi := f.Min, min(f.Max, f.Min+10)
			if name == "budget_eur_per_year" {
				lo, hi = 200, 20000
			}
			v := lo + r.Float64()*(hi-lo)
			args = append(args, "--"+f.FlagName(), strconv.FormatFloat(float64(int(v/f.Step))*f.Step, 'f', 2, 64))
		}
		if r.IntN(3) == 0 {
			args = append(args, "--hosting", []string{"self", "hosted", "any"}[r.IntN(3)])
		}
		res := adviseRun(t, args...)
		for _, b := range res.BreakEven {
			if b.At != nil {
				checkEntry(t, r, args, b)
			}
		}
		for _, w := range res.WhatIf {
			f, _ := advisor.FieldByName(w.Input)
			if got := answerOf(adviseRun(t, withFlag(args, "--"+f.FlagName(), w.Value)...)); got != w.FlipsTo {
				t.Errorf("%v: what-if --%s %s gives %s, the table says %s", args, f.FlagName(), w.Value, got, w.FlipsTo)
			}
		}
		if t.Failed() {
			t.Fatalf("scenario %d: %s", i, fmt.Sprint(args))
		}
	}
}
