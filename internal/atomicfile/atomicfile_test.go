package atomicfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	f, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("half"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("the final name exists before Commit")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "half" {
		t.Errorf("content %q", data)
	}
	if info, _ := os.Stat(path); info.Mode().Perm()&0o044 == 0 {
		t.Errorf("mode %v is not readable by others", info.Mode())
	}
	if _, err := Create(path, false); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("existing file: %v", err)
	}
	g, err := Create(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteString("aborted"); err != nil {
		t.Fatal(err)
	}
	g.Abort()
	if data, _ := os.ReadFile(path); string(data) != "half" {
		t.Errorf("Abort changed the file: %q", data)
	}
	if err := WriteFile(path, []byte("new"), true); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "new" {
		t.Errorf("WriteFile: %q", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// Links, FIFOs, devices and directories are never written through or
// replaced, even when replacing is allowed.
func TestNeverWritesThroughLinksOrSpecialFiles(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	victim := filepath.Join(elsewhere, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	dangling := filepath.Join(dir, "dangling")
	fifo := filepath.Join(dir, "fifo")
	for _, err := range []error{os.Symlink(victim, link), os.Symlink(filepath.Join(elsewhere, "none"), dangling),
		syscall.Mkfifo(fifo, 0o644), os.Mkdir(filepath.Join(dir, "sub"), 0o755)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{link, dangling, fifo, filepath.Join(dir, "sub"), "/dev/null"} {
		for _, replace := range []bool{false, true} {
			err := WriteFile(path, []byte("x"), replace)
			var target *TargetError
			if !errors.As(err, &target) {
				t.Errorf("%s (replace=%t): %v, want a TargetError", path, replace, err)
			}
		}
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep" {
		t.Errorf("written through the link: %q", data)
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "none")); err == nil {
		t.Error("created the dangling link's target")
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
}

// A temporary file of a process that no longer runs is removed the next
// time its target is written; one of a live process is kept.
func TestCleansStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no 'true' to make a dead process id:", err)
	}
	stale := filepath.Join(dir, ".out.txt.tmp-"+strconv.Itoa(dead.Process.Pid)+"-1")
	live := filepath.Join(dir, ".out.txt.tmp-1-1") // init never exits
	for _, p := range []string{stale, live} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(filepath.Join(dir, "out.txt"), []byte("whole"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the dead process's temporary file is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("a live process's temporary file was removed")
	}
}

// A set is written whole or not at all: one refused target stops every
// file before any is written.
func TestWriteSetIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "b"), []byte("old b"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	set := []Named{{Name: "a", Data: []byte("new a")}, {Name: "b", Data: []byte("new b")}}
	var exists *ExistsError
	if err := d.WriteSet(set, false); !errors.As(err, &exists) {
		t.Fatalf("WriteSet over an existing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("a was written although b was refused")
	}
	if err := d.WriteSet(set, true); err != nil {
		t.Fatal(err)
	}
	for _, n := range set {
		if data, _ := os.ReadFile(filepath.Join(dir, n.Name)); string(data) != string(n.Data) {
			t.Errorf("%s: %q", n.Name, data)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left behind: %v", entries)
	}
}

// WriteFile writes data to path through Create, as the commands do.
func WriteFile(path string, data []byte, replace bool) error {
	f, err := Create(path, replace)
	return fill(f, err, data)
}

// listing is every name under dir, hidden ones too.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// WriteNewDir: the directory appears whole, with every file, or not at
// all; an existing name (a directory, a file, a symbolic link) is left
// as it is and refused; nothing temporary stays behind.
func TestWriteNewDir(t *testing.T) {
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	files := []Named{{Name: "a.xml", Data: []byte("<a/>")}, {Name: "key", Data: []byte("secret"), Mode: 0o600}}
	if err := d.WriteNewDir("alice", files); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listing(t, root), " "); got != ". alice alice/a.xml alice/key" {
		t.Errorf("after WriteNewDir: %s", got)
	}
	if fi, err := os.Stat(filepath.Join(root, "alice", "key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key: %v %v, want mode 0600", err, fi)
	}
	// A file the set cannot hold (a name in no directory): none is made.
	if err := d.WriteNewDir("bob", []Named{{Name: "a.xml", Data: []byte("x")}, {Name: "no/such", Data: []byte("y")}}); err == nil {
		t.Error("a set with an impossible name was written")
	} else if strings.Contains(err.Error(), tmpMark) {
		t.Errorf("the error names the temporary directory: %v", err)
	}
	outside := filepath.Join(t.TempDir(), "target")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "link", "file"} {
		var exists *ExistsError
		if err := d.WriteNewDir(name, files); !errors.As(err, &exists) {
			t.Errorf("WriteNewDir over %s: %v, want an ExistsError", name, err)
		}
	}
	if got := strings.Join(listing(t, root), " "); got != ". alice alice/a.xml alice/key file link" {
		t.Errorf("after the refusals: %s", got)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("written through the symbolic link: %v", entries)
	}
	// The rename itself refuses a name made between the check and it.
	if err := os.Mkdir(filepath.Join(root, ".carol"+tmpMark+"x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "carol"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := d.renameNoReplace(".carol"+tmpMark+"x", "carol"); !errors.Is(err, os.ErrExist) {
		t.Errorf("a rename onto an empty directory: %v, want refused", err)
	}
}

// CleanStaleAll removes what dead processes left, files and directories,
// and keeps what a running one is writing.
func TestCleanStaleAll(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no process to outlive:", err)
	}
	dead, alive := strconv.Itoa(cmd.ProcessState.Pid()), strconv.Itoa(os.Getpid())
	for _, p := range []string{".bob" + tmpMark + dead + "-1/a.xml", ".x.xml" + tmpMark + dead + "-2", ".carol" + tmpMark + alive + "-3/a.xml", "dave/a.xml"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.CleanStaleAll()
	want := ". .carol" + tmpMark + alive + "-3 .carol" + tmpMark + alive + "-3/a.xml dave dave/a.xml"
	if got := strings.Join(listing(t, root), " "); got != want {
		t.Errorf("after CleanStaleAll: %s\nwant: %s", got, want)
	}
}
