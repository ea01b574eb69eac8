package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// --fields, for each key a JSON row has (read from advisor.Result, not
// listed here): the rows hold line and that key, with the value the full
// row has; every key at once is the full row, byte for byte; a bad row
// keeps its error.
func TestBatchFields(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(in, []byte("users,devices_per_user,budget_eur_per_year\n10,2,\n50,3,1800\nx,1,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := func(args ...string) []map[string]json.RawMessage {
		t.Helper()
		out, stderr, code := runCLI(t, append([]string{"advise", "--no-config", "--batch", in, "-o", "json"}, args...)...)
		if code != exitRejected {
			t.Fatalf("%v: exit %d, want %d (one bad row)\n%s", args, code, exitRejected, stderr)
		}
		var got []map[string]json.RawMessage
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%v: %v: %s", args, err, line)
			}
			got = append(got, m)
		}
		return got
	}
	full := rows()
	fullOut, _, _ := runCLI(t, "advise", "--no-config", "--batch", in, "-o", "json")
	for _, name := range batchFieldNames() {
		got := rows("--fields", name)
		if len(got) != len(full) {
			t.Fatalf("--fields %s: %d rows, want %d", name, len(got), len(full))
		}
		for i, row := range got {
			for key, v := range row {
				if key != "line" && key != "error" && key != name {
					t.Errorf("--fields %s, row %d: key %s was not asked for", name, i, key)
				}
				if !bytes.Equal(v, full[i][key]) {
					t.Errorf("--fields %s, row %d: %s = %s, the full row has %s", name, i, key, v, full[i][key])
				}
			}
			if _, ok := full[i][name]; ok != (row[name] != nil) {
				t.Errorf("--fields %s, row %d: present %v, in the full row %v", name, i, row[name] != nil, ok)
			}
		}
		if _, ok := got[2]["error"]; !ok {
			t.Errorf("--fields %s: the bad row lost its error", name)
		}
	}
	allOut, _, _ := runCLI(t, "advise", "--no-config", "--batch", in, "-o", "json", "--fields", strings.Join(batchFieldNames(), ","))
	if allOut != fullOut {
		t.Errorf("--fields with every key differs from the full rows:\n%s\nwant:\n%s", allOut, fullOut)
	}
	for _, args := range [][]string{
		{"advise", "--no-config", "--fields", "scores"},
		{"advise", "--no-config", "--batch", in, "-o", "csv", "--fields", "scores"},
		{"advise", "--no-config", "--batch", in, "--fields", "scores,bogus"},
	} {
		if _, stderr, code := runCLI(t, args...); code != exitUsage || !strings.Contains(stderr, "--fields") {
			t.Errorf("%v: exit %d, want %d naming --fields\n%s", args, code, exitUsage, stderr)
		}
	}
	if !slices.Contains(batchFieldNames(), "recommendation") || !slices.Contains(batchFieldNames(), "cost") {
		t.Errorf("the row's keys: %v", batchFieldNames())
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := "The keys are those of a whole row: " + strings.Join(batchFieldNames(), ", ") + " ("
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("README does not list the keys --fields takes: want %q", want)
	}
}

// BenchmarkAdviseBatchJSON: 2,000 rows scored to JSON Lines, whole rows
// against --fields recommendation,scores; reports bytes per row.
//
//	go test ./cmd/mailadvisor -run XXX -bench AdviseBatchJSON -count 3
func BenchmarkAdviseBatchJSON(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("users,devices_per_user,retention_years\n")
	for i := range 2000 {
		csv.WriteString(strings.Join([]string{itoa(1 + i%400), itoa(1 + i%4), itoa(1 + i%10)}, ",") + "\n")
	}
	in := filepath.Join(b.TempDir(), "rows.csv")
	if err := os.WriteFile(in, []byte(csv.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, fields string }{{"whole", ""}, {"fields", "recommendation,scores"}} {
		b.Run(c.name, func(b *testing.B) {
			args := []string{"advise", "--no-config", "--batch", in, "-o", "json"}
			if c.fields != "" {
				args = append(args, "--fields", c.fields)
			}
			var n int
			for b.Loop() {
				var out, errOut bytes.Buffer
				if code := run(args, streams{in: strings.NewReader(""), out: &out, err: &errOut}); code != 0 {
					b.Fatalf("exit %d: %s", code, errOut.String())
				}
				n = out.Len()
			}
			b.ReportMetric(float64(n)/2000, "bytes/row")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/2000, "µs/row")
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// The CSV output says how to run the answer (option) and whose row it is
// (client), in columns added last.
func TestBatchCSVOptionAndClient(t *testing.T) {
	in := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(in, []byte("client,users,hosting\nAcme SARL,35,self\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, "advise", "--no-config", "--batch", in, "-o", "csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasSuffix(lines[0], ",error,option,client") || !strings.HasSuffix(lines[1], ",imap-self,Acme SARL") {
		t.Errorf("exit %d:\n%s\n%s", code, out, stderr)
	}
}
