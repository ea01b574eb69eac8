package lint

import (
	"os"
	"path/filepath"
	"testing"
)

// Lint never panics, whatever the file, and every finding names a rule
// that exists.
func FuzzLint(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("<clientConfig><emailProvider id=\"x\"><incomingServer type=\"imap\"><port> 1 </port></incomingServer></emailProvider></clientConfig>"))
	f.Add([]byte("0\x82\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, findings, err := Lint("f", data)
		if err != nil {
			return
		}
		for _, fd := range findings {
			if _, ok := RuleByID(fd.Rule); !ok {
				t.Fatalf("finding of unknown rule %q", fd.Rule)
			}
		}
	})
}
