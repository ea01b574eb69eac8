// Package corpus finds, for tests, the real-world inputs nobody here
// wrote: Thunderbird's ISP database in ../shared/corpus beside the
// repository, read in place, never copied.
package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ISPDB finds Thunderbird's ISP database beside the repository
// (../shared/corpus/ispdb, read in place, never copied), or where
// MAILADVISOR_CORPUS points.
func ISPDB(t testing.TB) string {
	t.Helper()
	if env := os.Getenv("MAILADVISOR_CORPUS"); env != "" {
		return filepath.Join(env, "ispdb")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{}
	for dir := wd; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		dirs = append(dirs, dir)
		// A clone elsewhere (CI's clean one) finds it beside the
		// repository it was cloned from, when that is a local path.
		if origin := localOrigin(filepath.Join(dir, ".git", "config")); origin != "" {
			dirs = append(dirs, filepath.Dir(origin))
		}
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(filepath.Join(dir, "shared", "corpus", "ispdb")); err == nil && fi.IsDir() {
			return filepath.Join(dir, "shared", "corpus", "ispdb")
		}
	}
	t.Skip("no Thunderbird ISP database: shared/corpus/ispdb beside the repository (or the one it was cloned from), or MAILADVISOR_CORPUS")
	return ""
}

// localOrigin is the URL of the origin remote in a git config file when
// it is a local path ("" otherwise).
func localOrigin(config string) string {
	data, err := os.ReadFile(config)
	if err != nil {
		return ""
	}
	inOrigin := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inOrigin = line == `[remote "origin"]`
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && inOrigin && strings.TrimSpace(k) == "url" {
			u := strings.TrimPrefix(strings.TrimSpace(v), "file://")
			if filepath.IsAbs(u) {
				return filepath.Clean(u)
			}
		}
	}
	return ""
}
