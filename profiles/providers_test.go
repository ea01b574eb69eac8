package profiles

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/corpus"
)

// Every domain of Thunderbird's ISP database is a provider's: no profile
// guesses mail.<domain> for one of them (the outlook.fr, neuf.fr,
// ymail.com, posteo.de among them). Derived from the database itself, read
// in place: a new provider there fails this until scripts/providers is
// run again.
func TestEveryISPDatabaseDomainIsAProvider(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus.ISPDB(t), "*.xml"))
	if err != nil || len(files) < 100 {
		t.Fatalf("%d files: %v", len(files), err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cc struct {
			Domains []string `xml:"emailProvider>domain"`
		}
		if err := xml.Unmarshal(data, &cc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range cc.Domains {
			d = strings.ToLower(strings.TrimSpace(d))
			if d == "" || strings.Contains(d, "%") {
				continue
			}
			n++
			if !PublicProvider(d) {
				t.Errorf("%s (%s) is not in providers.txt: run go run ./scripts/providers", d, filepath.Base(f))
			}
		}
	}
	t.Logf("%d domains of %d files", n, len(files))
	for _, d := range []string{"outlook.fr", "outlook.de", "neuf.fr", "ymail.com", "posteo.de", "mailbox.org", "gmail.com"} {
		if !PublicProvider(d) {
			t.Errorf("%s is not a provider", d)
		}
	}
	if PublicProvider("example.com") || PublicProvider("dupont-et-fils.fr") {
		t.Error("a company's own domain taken for a provider's")
	}
}
