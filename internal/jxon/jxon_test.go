package jxon

import (
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/integration"
)

// cases are logins that Thunderbird changes and ones it keeps, with what
// it reads.
var cases = map[string]string{
	"0042": "42", "42": "42", "1e3": "1000", "1E3": "1000", "TRUE": "true", "True": "true", "true": "true",
	"false": "false", "0x10": "0", "0X1f": "0", "0b11": "0", "0o17": "0", "-0": "0", "+5": "5", "1.50": "1.5",
	".5": "0.5", "5.": "5", " 42": "42", "42 ": "42", "007": "7", "00": "0", "1e21": "1e+21", "1e-7": "1e-7",
	"0.000001": "0.000001", "123456789012345678901": "123456789012345680000", "12345678901234567890": "12345678901234567000",
	"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity", "inf": "inf", "1_000": "1_000", "alice": "alice",
	"1e": "1e", "0x": "0x", "0xg": "0xg", "+": "+", "-": "-", ".": ".", "e5": "e5", "1.2.3": "1.2.3", "": "null", "  ": "null",
	"1e400": "1e400", "-1e400": "-1e400", "0.1e1": "1", "1e+2": "100", "1e-2": "0.01", "\u00a012": "12",
}

func TestText(t *testing.T) {
	for in, want := range cases {
		got, changed := Text(in)
		if got != want || changed != (want != in) {
			t.Errorf("Text(%q) = %q, %v; want %q", in, got, changed, want)
		}
	}
}

// The JavaScript engine is the judge: Node.js runs JXON's own test of a
// value and String() on the cases and on random strings of the
// characters numbers are made of, and Text must agree on every one.
func TestTextAgreesWithJavaScript(t *testing.T) {
	node := integration.RequireProgram(t, "node")
	inputs := make([]string, 0, len(cases)+3000)
	for in := range cases {
		inputs = append(inputs, in)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789.eE+-xXoObB InfinityNaNtrueTRUEfalse_\t"
	for range 3000 {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	data, err := json.Marshal(inputs)
	if err != nil {
		t.Fatal(err)
	}
	const script = `
const inputs = JSON.parse(require("fs").readFileSync(0, "utf8"));
function parseValue(v) { // JXON.sys.mjs
  if (/^\s*$/.test(v)) return null;
  if (/^(?:true|false)$/i.test(v)) return v.toLowerCase() == "true";
  if (isFinite(v)) return parseFloat(v);
  return v;
}
process.stdout.write(JSON.stringify(inputs.map(v => String(parseValue(v)))));
`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader(string(data))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, in := range inputs {
		if got, _ := Text(in); got != want[i] {
			bad++
			if bad <= 20 {
				t.Errorf("Text(%q) = %q; JavaScript reads %q", in, got, want[i])
			}
		}
	}
	t.Logf("%d values, %d disagree", len(inputs), bad)
}

func FuzzText(f *testing.F) {
	for in := range cases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, changed := Text(s)
		if changed != (got != s) {
			t.Errorf("Text(%q) = %q, changed %v", s, got, changed)
		}
		if again, _ := Text(got); got != "null" && again != got && !strings.EqualFold(got, "true") {
			t.Errorf("Text(%q) = %q, which reads again as %q", s, got, again)
		}
	})
}
