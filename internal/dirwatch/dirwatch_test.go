package dirwatch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The kubelet's swap (a new dated directory, a new ..data link renamed
// over the old) is one change, told once it has settled.
func TestKubeletSwapIsOneChange(t *testing.T) {
	dir := t.TempDir()
	mustLink(t, "..v1", filepath.Join(dir, "..data"))
	if err := os.Mkdir(filepath.Join(dir, "..v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	changes := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := Watch(ctx, []string{dir}, 100*time.Millisecond, func() { changes <- struct{}{} }, func(err error) { t.Error(err) }); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "..v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "..v2", "example.com.yaml"), []byte("domains: [example.com]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustLink(t, "..v2", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "..v1")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("no change told")
	}
	select {
	case <-changes:
		t.Error("one swap told twice")
	case <-time.After(300 * time.Millisecond):
	}
}

func TestMissingDirectory(t *testing.T) {
	if err := Watch(context.Background(), []string{filepath.Join(t.TempDir(), "none")}, time.Millisecond, func() {}, nil); err == nil {
		t.Error("a directory that does not exist: no error")
	}
}

func mustLink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}
