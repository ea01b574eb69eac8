package advisor

import (
	"strconv"
	"strings"
	"testing"
)

func readAll(t *testing.T, input, format string) ([]Row, error) {
	t.Helper()
	var rows []Row
	err := ReadScenarios(strings.NewReader(input), format, DefaultScenario(), nil, func(r Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

func TestReadScenariosCSV(t *testing.T) {
	input := "users,devices_per_user,connectivity,offline_access\n" +
		"10,1,slow,true\n" +
		"0,1,slow,true\n" + // users out of range
		"20,,,\n" + // empty cells keep the base
		"30,2\n" + // too few values
		"40,2,fast,false\n" + // bad enum
		"\"50,1\n" // a quote that never closes
	rows, err := readAll(t, input, FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	wantErr := []string{"", `line 3: users: invalid value "0"`, "", "line 5: 2 values for 4 columns", `line 6: connectivity: invalid value "fast"`, "line 7: "}
	for i, r := range rows {
		if r.Line != i+2 {
			t.Errorf("row %d: line %d, want %d", i, r.Line, i+2)
		}
		switch {
		case wantErr[i] == "" && r.Err != nil:
			t.Errorf("row %d: unexpected error %v", i, r.Err)
		case wantErr[i] != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), wantErr[i])):
			t.Errorf("row %d: error %v, want %q", i, r.Err, wantErr[i])
		}
	}
	if s := rows[0].Scenario; s.Users != 10 || s.Connectivity != "slow" || !s.OfflineAccess || s.RetentionYears != 5 {
		t.Errorf("row 1 scenario %+v", s)
	}
	if s := rows[2].Scenario; s.Users != 20 || s.DevicesPerUser != 2 || s.Connectivity != "good" {
		t.Errorf("row 3 scenario %+v, want base values for empty cells", s)
	}
}

func TestReadScenariosCSVBadHeader(t *testing.T) {
	_, err := readAll(t, "users,colour\n1,red\n", FormatCSV)
	if err == nil || !strings.Contains(err.Error(), `unknown column "colour"`) {
		t.Fatalf("error = %v, want unknown column", err)
	}
	if _, err := readAll(t, "", FormatCSV); err == nil {
		t.Fatal("empty CSV accepted")
	}
}

func TestReadScenariosJSONL(t *testing.T) {
	input := `{"users": 5, "offline_access": true}` + "\n\n" +
		`{"users": "x"}` + "\n" +
		`[1]` + "\n" +
		`{"colour": 1}` + "\n" +
		`{"devices_per_user": 3}` + "\n"
	rows, err := readAll(t, input, FormatJSONL)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line int
		err  string
	}{{1, ""}, {3, `line 3: users: invalid value "x"`}, {4, "line 4: want a JSON object"},
		{5, `line 5: unknown field "colour"`}, {6, ""}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r.Line != w.line || (w.err == "") != (r.Err == nil) || (r.Err != nil && !strings.Contains(r.Err.Error(), w.err)) {
			t.Errorf("row %d: line %d err %v, want line %d err %q", i, r.Line, r.Err, w.line, w.err)
		}
	}
	if rows[4].Scenario.DevicesPerUser != 3 || rows[4].Scenario.Users != 50 {
		t.Errorf("last row scenario %+v", rows[4].Scenario)
	}
}

func TestReadScenariosUnknownFormat(t *testing.T) {
	if _, err := readAll(t, "", "xml"); err == nil {
		t.Fatal("xml format accepted")
	}
}

// A CSV from a French spreadsheet (';' between columns, a decimal comma)
// reads 2,5 as 2.5 in every numeric column, and leaves text alone; with
// ',' between columns a quoted "2,5" is still refused, naming the value.
func TestReadScenariosCSVDecimalComma(t *testing.T) {
	var header, row []string
	for _, f := range Fields() {
		if f.Numeric() && f.Name != "users" {
			header = append(header, f.Name)
			row = append(row, strings.Replace(strconv.FormatFloat(f.Min+f.Step*5, 'f', -1, 64), ".", ",", 1))
		}
	}
	input := "users;region;" + strings.Join(header, ";") + "\n12;EU;" + strings.Join(row, ";") + "\n"
	rows, err := readAll(t, input, FormatCSV)
	if err != nil || len(rows) != 1 || rows[0].Err != nil {
		t.Fatalf("%v %+v", err, rows)
	}
	for i, name := range header {
		f, _ := FieldByName(name)
		want, _ := strconv.ParseFloat(strings.Replace(row[i], ",", ".", 1), 64)
		if got, _ := f.get(&rows[0].Scenario); got != want {
			t.Errorf("%s: %v, want %v from %q", name, got, want, row[i])
		}
	}
	rows, _ = readAll(t, "users,devices_per_user\n12,\"2,5\"\n", FormatCSV)
	if len(rows) != 1 || rows[0].Err == nil || !strings.Contains(rows[0].Err.Error(), `"2,5"`) {
		t.Errorf("a decimal comma in a comma-separated file: %+v", rows)
	}
}

// A client column, as a scenario file's client key: a label on the row,
// never a field the rules read, checked as text.
func TestReadScenariosCSVClient(t *testing.T) {
	rows, err := readAll(t, "client,users\nAcme SARL,12\n\"bad\u202eclient\",3\n", FormatCSV)
	if err != nil || len(rows) != 2 {
		t.Fatalf("%v %+v", err, rows)
	}
	if rows[0].Err != nil || rows[0].Scenario.Client != "Acme SARL" || rows[0].Scenario.Users != 12 {
		t.Errorf("row 1: %+v", rows[0])
	}
	if rows[1].Err == nil || !strings.Contains(rows[1].Err.Error(), "client") {
		t.Errorf("a bidi override in the client: %v", rows[1].Err)
	}
}
