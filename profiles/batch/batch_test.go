package batch

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"howett.net/plist"

	"github.com/mailadvisor/mailadvisor/internal/integration"
	"github.com/mailadvisor/mailadvisor/profiles"
)

func readAllRows(t *testing.T, input, format string) []Row {
	t.Helper()
	r, err := NewReader(strings.NewReader(input), format)
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func TestReaders(t *testing.T) {
	csvRows := readAllRows(t, "email,display_name,protocol,leave_on_server_days\na@example.com,A,imap,\nb@example.com,,pop3,7\nc@example.com,,,x\n\"bad,1\n", CSV)
	if len(csvRows) != 4 || csvRows[0].Email != "a@example.com" || csvRows[0].DisplayName != "A" || csvRows[1].Protocol != "pop3" ||
		*csvRows[1].LeaveOnServerDays != 7 || csvRows[2].Err == nil || csvRows[2].Line != 4 || csvRows[3].Err == nil {
		t.Errorf("csv rows %+v", csvRows)
	}
	jsonRows := readAllRows(t, "{\"email\":\"a@example.com\"}\n\n{\"email\":\"b@example.com\",\"colour\":1}\n[1]\n", JSONL)
	if len(jsonRows) != 3 || jsonRows[0].Err != nil || jsonRows[1].Line != 3 || jsonRows[1].Err == nil || jsonRows[2].Err == nil {
		t.Errorf("jsonl rows %+v", jsonRows)
	}
	yamlRows := readAllRows(t, "- email: a@example.com\n  protocol: POP3\n- email: b@example.com\n  colour: red\n", YAML)
	if len(yamlRows) != 2 || yamlRows[0].Protocol != "pop3" || yamlRows[1].Line != 3 || yamlRows[1].Err == nil ||
		!strings.Contains(yamlRows[1].Err.Error(), `unknown key "colour"`) {
		t.Errorf("yaml rows %+v", yamlRows)
	}
	for input, want := range map[string]string{"": "empty input", "name\nx\n": `unknown column "name"`, "display_name\nx\n": "no email column"} {
		if _, err := NewReader(strings.NewReader(input), CSV); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", input, err, want)
		}
	}
	if _, err := NewReader(strings.NewReader("a: 1\n"), YAML); err == nil {
		t.Error("a YAML mapping accepted as a list")
	}
}

func testConfig(t testing.TB, formats ...string) Config {
	d := &profiles.Domain{Domains: []string{"example.com"}, DisplayName: "Example & Co"}
	if err := d.Normalize(); err != nil {
		t.Fatal(err)
	}
	return Config{Domain: d, Formats: formats, Workers: 4}
}

func run(t *testing.T, cfg Config, input string, sink Sink) (Summary, []Result) {
	t.Helper()
	in, err := NewReader(strings.NewReader(input), CSV)
	if err != nil {
		t.Fatal(err)
	}
	var results []Result
	sum, err := Run(context.Background(), cfg, in, sink, func(r Result) error { results = append(results, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return sum, results
}

func TestBadRowsNeverLoseGoodOnes(t *testing.T) {
	input := "email,protocol,display_name\n" +
		"alice@example.com,imap,Alice\n" +
		"not-an-address,,\n" +
		"bob@example.com,smtp,\n" +
		"ALICE@example.com,,\n" +
		"carol@example.com,pop3,\"Carol\nSmith\"\n" +
		"dave@example.com,pop3,\n"
	dir := t.TempDir()
	sum, results := run(t, testConfig(t, Formats...), input, mustDirSink(t, dir, false))
	if sum.Read != 6 || sum.Written != 2 || sum.Rejected != 4 {
		t.Errorf("summary %+v", sum)
	}
	want := []struct {
		line   int
		status string
		err    string
	}{
		{2, StatusWritten, ""}, {3, StatusRejected, `email: invalid value "not-an-address"`},
		{4, StatusRejected, `protocol: invalid value "smtp"`}, {5, StatusRejected, "duplicate address"},
		{6, StatusRejected, "display_name: invalid value"}, {8, StatusWritten, ""},
	}
	for i, w := range want {
		r := results[i]
		if r.Line != w.line || r.Status != w.status || !strings.Contains(r.Error, w.err) {
			t.Errorf("result %d = %+v, want line %d %s %q", i, r, w.line, w.status, w.err)
		}
	}
	for _, f := range []string{"alice@example.com/config-v1.1.xml", "alice@example.com/alice@example.com.mobileconfig",
		"alice@example.com/autodiscover.xml", "alice@example.com/settings.md", "dave@example.com/config-v1.1.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "dave@example.com/config-v1.1.xml"))
	if !bytes.Contains(data, []byte(`<incomingServer type="pop3">`)) || bytes.Index(data, []byte("pop3")) > bytes.Index(data, []byte("imap")) {
		t.Errorf("dave's POP3 is not first:\n%s", data)
	}
	ad, _ := os.ReadFile(filepath.Join(dir, "alice@example.com/autodiscover.xml"))
	if !bytes.Contains(ad, []byte("<DisplayName>Alice</DisplayName>")) {
		t.Errorf("alice's display name is missing:\n%s", ad)
	}
	mc, _ := os.ReadFile(filepath.Join(dir, "alice@example.com/alice@example.com.mobileconfig"))
	if !bytes.Contains(mc, []byte("<key>EmailAccountName</key>\n\t\t\t\t<string>Alice</string>")) {
		t.Errorf("alice's name is not the Apple account name:\n%s", mc)
	}
}

func TestDirSinkNeverOverwritesWithoutForce(t *testing.T) {
	dir := t.TempDir()
	input := "email\nalice@example.com\n"
	run(t, testConfig(t, "autoconfig"), input, mustDirSink(t, dir, false))
	path := filepath.Join(dir, "alice@example.com", "config-v1.1.xml")
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, results := run(t, testConfig(t, "autoconfig"), input, mustDirSink(t, dir, false))
	if sum.Rejected != 1 || !strings.Contains(results[0].Error, "exists") {
		t.Errorf("existing file: %+v %+v", sum, results)
	}
	if data, _ := os.ReadFile(path); string(data) != "mine" {
		t.Error("the existing file was overwritten")
	}
	if sum, _ := run(t, testConfig(t, "autoconfig"), input, mustDirSink(t, dir, true)); sum.Written != 1 {
		t.Errorf("--force: %+v", sum)
	}
	if data, _ := os.ReadFile(path); string(data) == "mine" {
		t.Error("--force did not replace the file")
	}
	assertNoTempFiles(t, dir)
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", path)
		}
		return nil
	})
}

// Same input, same archive, byte for byte, whatever the scheduling.
func TestArchivesAreDeterministic(t *testing.T) {
	var input strings.Builder
	input.WriteString("email,protocol\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&input, "user%d@example.com,%s\n", i, []string{"imap", "pop3"}[i%2])
	}
	for name, newSink := range map[string]func(io.Writer) Sink{
		"tar": func(w io.Writer) Sink { return NewTarSink(w) },
		"zip": func(w io.Writer) Sink { return NewZipSink(w) },
	} {
		var first, second bytes.Buffer
		run(t, testConfig(t, Formats...), input.String(), newSink(&first))
		cfg := testConfig(t, Formats...)
		cfg.Workers = 1
		run(t, cfg, input.String(), newSink(&second))
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Errorf("%s: two runs differ", name)
		}
	}
}

func TestPathSafe(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com":   "alice@example.com",
		"o'neil+tag@example":  "o%27neil+tag@example",
		"a/b@example.com":     "a%2Fb@example.com",
		".hidden@example.com": "%2Ehidden@example.com",
		"ü@example.com":       "%C3%BC@example.com",
	} {
		if got := PathSafe(in); got != want {
			t.Errorf("PathSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// Interrupting stops reading; every row read is finished and every file
// written is complete.
func TestInterrupt(t *testing.T) {
	var input strings.Builder
	input.WriteString("email\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&input, "user%d@example.com\n", i)
	}
	in, err := NewReader(strings.NewReader(input.String()), CSV)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	written := 0
	sum, err := Run(ctx, testConfig(t, "autoconfig", "mobileconfig"), in, mustDirSink(t, dir, false), func(r Result) error {
		if written++; written == 100 {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Read >= 5000 || sum.Written != sum.Read {
		t.Errorf("summary %+v", sum)
	}
	checkTree(t, dir, sum.Written)
	assertNoTempFiles(t, dir)
}

// checkTree parses every file of a directory tree.
func checkTree(t *testing.T, dir string, users int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != users {
		t.Errorf("%d user directories, want %d", len(entries), users)
	}
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		checkFile(t, path, data)
		return nil
	})
}

func checkFile(t *testing.T, name string, data []byte) {
	t.Helper()
	switch {
	case strings.HasSuffix(name, ".mobileconfig"):
		var v map[string]any
		if _, err := plist.Unmarshal(data, &v); err != nil || v["PayloadType"] != "Configuration" {
			t.Errorf("%s: %v", name, err)
		}
	case strings.HasSuffix(name, ".xml"):
		if err := xml.Unmarshal(data, new(struct{})); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// 10,000 generated users into a tar file, far more than the workers have
// in flight at once: the counts, the input order and a sample of files are
// checked. (A million users is BenchmarkTar's and BENCHMARKS.md's job: the
// code is the same, only the wait is longer.)
func TestManyUsers(t *testing.T) {
	t.Parallel()
	const users = 10_000
	in, err := NewReader(&generatedCSV{n: users}, CSV)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "profiles.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), testConfig(t, "autoconfig", "mobileconfig"), in, NewTarSink(f), func(Result) error { return nil })
	f.Close()
	if err != nil || sum.Read != users || sum.Written != users || sum.Rejected != 0 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	f, _ = os.Open(path)
	defer f.Close()
	tr := tar.NewReader(f)
	entries := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if entries%997 == 0 { // a spread-out sample
			data, _ := io.ReadAll(tr)
			checkFile(t, hdr.Name, data)
			user := strings.SplitN(hdr.Name, "/", 2)[0]
			if strings.HasSuffix(hdr.Name, ".xml") {
				user = "%EMAILADDRESS%" // autoconfig: Thunderbird fills the login in
			}
			if !bytes.Contains(data, []byte(user)) {
				t.Errorf("%s does not name its user", hdr.Name)
			}
		}
		if want := fmt.Sprintf("user%d@example.com/", entries/2+1); !strings.HasPrefix(hdr.Name, want) {
			t.Fatalf("entry %d is %s, want it under %s (input order)", entries, hdr.Name, want)
		}
		entries++
	}
	if entries != 2*users {
		t.Errorf("%d entries, want %d", entries, 2*users)
	}
}

func TestZipEntries(t *testing.T) {
	var b bytes.Buffer
	run(t, testConfig(t, "autoconfig", "sheet"), "email\nalice@example.com\nbob@example.com\n", NewZipSink(&b))
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(ArchiveTime) {
			t.Errorf("%s time %v", f.Name, f.Modified)
		}
	}
	want := "[alice@example.com/config-v1.1.xml alice@example.com/settings.md bob@example.com/config-v1.1.xml bob@example.com/settings.md]"
	if fmt.Sprint(names) != want {
		t.Errorf("entries %v", names)
	}
}

func TestConfigValidate(t *testing.T) {
	for formats, want := range map[string]string{"": "none given", "srv": "per domain", "vcard": `invalid value "vcard"`} {
		cfg := testConfig(t)
		if formats != "" {
			cfg.Formats = []string{formats}
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", formats, err)
		}
	}
}

func mustDirSink(t testing.TB, dir string, force bool) *DirSink {
	t.Helper()
	d, err := OpenDirSink(dir, "test run", force, false)
	if err != nil {
		t.Fatal(err)
	}
	// Unit tests run several sinks on one directory: no unfinished-run
	// marker between them.
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
	return d
}

// A user directory that is a symbolic link, a dangling link or a file is
// never written through or over: that row is rejected, the others written.
func TestDirSinkRefusesLinksAndFiles(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(elsewhere, filepath.Join(dir, "alice@example.com")))
	must(os.Symlink(filepath.Join(elsewhere, "none"), filepath.Join(dir, "bob@example.com")))
	must(os.WriteFile(filepath.Join(dir, "carol@example.com"), []byte("a file"), 0o644))
	must(os.Mkdir(filepath.Join(dir, "dave@example.com"), 0o755))
	must(os.Symlink(filepath.Join(elsewhere, "x"), filepath.Join(dir, "dave@example.com", "config-v1.1.xml")))
	input := "email\nalice@example.com\nbob@example.com\ncarol@example.com\ndave@example.com\nerin@example.com\n"
	for _, force := range []bool{false, true} {
		sum, results := run(t, testConfig(t, "autoconfig"), input, mustDirSink(t, dir, force))
		if sum.Written != 1 || sum.Rejected != 4 || results[4].Status != StatusWritten {
			t.Fatalf("force=%t: %+v %+v", force, sum, results)
		}
		for _, r := range results[:4] {
			if !strings.Contains(r.Error, "symbolic link") && !strings.Contains(r.Error, "not a directory") {
				t.Errorf("force=%t: line %d: %q, want a refusal naming the link or file", force, r.Line, r.Error)
			}
		}
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("files were written through a link: %v", entries)
	}
}

// Every valid address, up to 254 characters, gets a name that file systems
// take (at most 255 bytes), distinct from other addresses'.
func TestLongAddressesGetShortNames(t *testing.T) {
	local := strings.Repeat("%", 64)[:0] + strings.Repeat("o'", 32) // 64 characters, each quote encoded as %27
	long := local + "@" + strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + ".example"
	if len(long) > 254 {
		long = long[:254]
	}
	other := strings.Replace(long, "o'o", "o'p", 1)
	a, b := FileName(long), FileName(other)
	if len(a)+len(".mobileconfig") > 255 || a == b {
		t.Fatalf("names %q (%d bytes) and %q", a, len(a), b)
	}
	dir := t.TempDir()
	cfg := testConfig(t, "autoconfig", "mobileconfig")
	addr, err := profiles.ParseAddress("email", long)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Domain = &profiles.Domain{Domains: []string{addr.Domain}, DisplayName: "Long"}
	if err := cfg.Domain.Normalize(); err != nil {
		t.Fatal(err)
	}
	sum, results := run(t, cfg, "email\n"+long+"\n"+other+"\n", mustDirSink(t, dir, false))
	if sum.Written != 2 {
		t.Fatalf("%+v %+v", sum, results)
	}
	if _, err := os.Stat(filepath.Join(dir, a, a+".mobileconfig")); err != nil {
		t.Error(err)
	}
}

// YAML lists stream item by item, in every shape people write them, with
// each row's own line; an alias to an anchor of an earlier item resolves
// as in the whole document.
func TestYAMLStreams(t *testing.T) {
	in := "# users\n---\n- email: a@example.com\n  display_name: |\n    Alice\n- email: b@example.com\n  protocol: pop3\n  leave_on_server_days: 7\n-\n  email: c@example.com\n- {email: d@example.com}\n- &x e@example.com\n- email: *x\n- email: f@example.com\n...\n"
	rows := readAllRows(t, in, YAML)
	var got []string
	for _, r := range rows {
		if r.Err != nil {
			got = append(got, fmt.Sprintf("%d:error", r.Line))
			continue
		}
		got = append(got, fmt.Sprintf("%d:%s", r.Line, r.Email))
	}
	want := []string{"3:a@example.com", "6:b@example.com", "9:c@example.com", "11:d@example.com", "12:error", "13:e@example.com", "14:f@example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if rows[0].DisplayName != "Alice" || *rows[1].LeaveOnServerDays != 7 {
		t.Errorf("values %+v", rows[:2])
	}
	// A shared default, merged into later items, in block and flow lists.
	merged := "- &pop {email: a@example.com, protocol: pop3, leave_on_server_days: 9}\n- <<: *pop\n  email: b@example.com\n- email: c@example.com\n  protocol: *nope\n"
	mrows := readAllRows(t, merged, YAML)
	if len(mrows) != 3 || mrows[1].Err != nil || mrows[1].Email != "b@example.com" || mrows[1].Protocol != "pop3" || *mrows[1].LeaveOnServerDays != 9 {
		t.Errorf("merged rows %+v", mrows)
	}
	if mrows[2].Err == nil || !strings.Contains(mrows[2].Err.Error(), "nope") {
		t.Errorf("unknown alias: %+v", mrows[2])
	}
	fmerged := readAllRows(t, "[&d {email: a@example.com, protocol: pop3}, {<<: *d, email: b@example.com}]\n", YAML)
	if len(fmerged) != 2 || fmerged[1].Err != nil || fmerged[1].Protocol != "pop3" {
		t.Errorf("flow merged rows %+v", fmerged)
	}
	// Several unknown keys are listed apart.
	two := readAllRows(t, "- email: a@example.com\n  x0: 1\n  x1: 2\n", YAML)
	if len(two) != 1 || two[0].Err == nil || !strings.Contains(two[0].Err.Error(), `unknown key "x0"; unknown key "x1"`) {
		t.Errorf("two unknown keys: %+v", two)
	}
	flow := readAllRows(t, "[{email: a@example.com}, {email: b@example.com}]\n", YAML)
	if len(flow) != 2 || flow[1].Email != "b@example.com" {
		t.Errorf("flow list %+v", flow)
	}
}

// A long YAML list is read in memory that does not grow with it.
func TestYAMLBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("long: many users (go test -short)")
	}
	t.Parallel()
	const users = 40_000 // decoded whole, its node tree is 36 MB (18 at halfway)
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		for i := range users {
			fmt.Fprintf(w, "- email: user%d@example.com\n  display_name: User %d\n", i, i)
		}
		w.Flush()
		pw.Close()
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := NewReader(pr, YAML)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := r.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		if n == users/2 { // halfway, what the reader holds is live
			runtime.GC()
			runtime.ReadMemStats(&after)
		}
	}
	if n != users || after.HeapInuse > before.HeapInuse+8<<20 {
		t.Errorf("%d rows; heap %d -> %d MB", n, before.HeapInuse>>20, after.HeapInuse>>20)
	}
}

// More entries than a plain zip can count (65,535) need ZIP64 records:
// archive/zip and Info-ZIP's unzip both read the whole archive, and each
// entry holds what it was given. The sink is fed directly: the records are
// the sink's. The entries share one content, compressed once by Prepare as
// a worker would, so that the test costs the records and not 70,000
// compressions (TestArchivesAreDeterministic and TestZipEntries run the
// whole path, Prepare included, into a zip).
func TestZip64ManyEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 70,000 entries (go test -short)")
	}
	t.Parallel()
	const users = 70_000
	content := []byte("<clientConfig version=\"1.1\"/>\n")
	var zb bytes.Buffer
	z := NewZipSink(&zb)
	prepared := []File{{Name: "config-v1.1.xml", Data: content}}
	if err := z.Prepare(prepared); err != nil {
		t.Fatal(err)
	}
	for i := range users {
		files := []File{prepared[0]}
		files[0].buf = nil // shared: the sink must not recycle it
		if err := z.Write(fmt.Sprintf("u%d@example.com", i), files); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != users {
		t.Fatalf("%d entries, want %d", len(zr.File), users)
	}
	for i, f := range zr.File {
		if i%997 != 0 && i%997 != 1 && i != users-1 {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc) // checks the CRC too
		rc.Close()
		want := fmt.Sprintf("u%d@example.com/config-v1.1.xml", i)
		if err != nil || f.Name != want || !bytes.Equal(got, content) {
			t.Fatalf("entry %d %s: %v, %q; want %s", i, f.Name, err, got, want)
		}
	}
	unzip := integration.RequireProgram(t, "unzip")
	path := filepath.Join(t.TempDir(), "many.zip")
	if err := os.WriteFile(path, zb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(unzip, "-tq", path).CombinedOutput(); err != nil {
		t.Errorf("unzip -tq: %v\n%s", err, out)
	}
}

// A sink may keep the files it is handed: they stay its own, never
// overwritten by later users' files.
func TestSinkOwnsWhatItIsHanded(t *testing.T) {
	var in strings.Builder
	in.WriteString("email\n")
	for i := range 400 {
		fmt.Fprintf(&in, "u%d@example.com\n", i)
	}
	var mu sync.Mutex
	kept := map[string][]File{}
	run(t, testConfig(t, "mobileconfig", "sheet"), in.String(), sinkFunc(func(a string, f []File) error {
		mu.Lock()
		defer mu.Unlock()
		kept[a] = f
		return nil
	}))
	bad := 0
	for a, files := range kept {
		for _, f := range files {
			if !bytes.Contains(f.Data, []byte(a)) {
				bad++
			}
		}
	}
	if len(kept) != 400 || bad > 0 {
		t.Errorf("%d users kept, %d files overwritten by other users' data", len(kept), bad)
	}
}

// FuzzReaders: any input in any format ends without a panic, and every row
// has a line, or the input is refused whole.
func FuzzReaders(f *testing.F) {
	f.Add("email,username\na@example.com,0123\n", CSV)
	f.Add("{\"email\":\"a@example.com\"}\n[1]\n\xff\n", JSONL)
	f.Add("- email: a@example.com\n-\n  email: b\n- &x c\n- *x\n...\n", YAML)
	f.Add("[{email: a}, 3]\n", YAML)
	f.Fuzz(func(t *testing.T, in, format string) {
		r, err := NewReader(strings.NewReader(in), format)
		if err != nil {
			return
		}
		for i := 0; ; i++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				return
			}
			if row.Line < 1 || i > len(in)+1 {
				t.Fatalf("row %+v (#%d) from %q", row, i, in)
			}
		}
	})
}

// On a full disk the run stops with an output error, and leaves only whole
// users: no empty directory, no partial user, no temporary file, and every
// user the summary counts is on disk. Needs root to mount a small tmpfs.
func TestFullDiskLeavesOnlyWholeUsers(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		integration.Missing(t, fmt.Sprintf("cannot mount a small tmpfs (needs root): %v %s", err, out))
	}
	integration.Uses(t, "root: a 256 KiB tmpfs")
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	var in strings.Builder
	in.WriteString("email\n")
	for i := range 2000 {
		fmt.Fprintf(&in, "u%d@example.com\n", i)
	}
	r, err := NewReader(strings.NewReader(in.String()), CSV)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), testConfig(t, "autoconfig", "sheet"), r, mustDirSink(t, dir, false), func(Result) error { return nil })
	var outErr *OutputError
	if !errors.As(err, &outErr) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("run on a full disk: %v, want an output error", err)
	}
	entries, _ := os.ReadDir(dir)
	whole := 0
	for _, e := range entries {
		files, _ := os.ReadDir(filepath.Join(dir, e.Name()))
		if !e.IsDir() || len(files) != 2 {
			t.Errorf("%s: %d files, want a whole user (2) or nothing", e.Name(), len(files))
			continue
		}
		whole++
	}
	if sum.Written > whole || whole == 0 {
		t.Errorf("summary says %d written, %d whole users on disk", sum.Written, whole)
	}
	assertNoTempFiles(t, dir)
}

// A zip holds, entry for entry, what a tar of the same batch holds: the
// prerendered formats arrive deflated with their form
// (profiles.Forms.RenderDeflated), the sheet compressed by the sink.
func TestZipHoldsWhatTarHolds(t *testing.T) {
	input := "email,display_name,username\n" +
		"alice@example.com,Alice Martin,\n" +
		"o'neil+tag@example.com,O'Neil & <Sons>,\n" +
		"bob@example.com,,bob.smith\n"
	var zb, tb bytes.Buffer
	run(t, testConfig(t, Formats...), input, NewZipSink(&zb))
	run(t, testConfig(t, Formats...), input, NewTarSink(&tb))
	want := map[string][]byte{}
	tr := tar.NewReader(&tb)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want[hdr.Name], _ = io.ReadAll(tr)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(want) || len(want) != 3*len(Formats) {
		t.Fatalf("%d zip entries, %d tar entries, want %d", len(zr.File), len(want), 3*len(Formats))
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc) // checks the CRC and the size too
		rc.Close()
		if err != nil || !bytes.Equal(got, want[f.Name]) {
			t.Errorf("%s: %v\n%s\nwant:\n%s", f.Name, err, got, want[f.Name])
		}
	}
}
