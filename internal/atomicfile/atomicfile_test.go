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
