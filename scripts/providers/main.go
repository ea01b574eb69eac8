// Command providers writes profiles/providers.txt, the mail domains whose
// mailboxes a public provider runs, from Thunderbird's ISP database (its
// ispdb/ folder: every <domain> of every provider file) and the few
// extras that file lists. Run it when the database changes:
//
//	go run ./scripts/providers ../shared/corpus/ispdb > profiles/providers.txt
package main

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// extras are providers' domains the ISP database does not list.
var extras = []string{"mailbox.org", "tutanota.com", "tuta.io", "proton.me", "protonmail.com", "pm.me", "bbox.fr", "fastmail.com", "hey.com"}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/providers ISPDB-DIR > profiles/providers.txt")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.xml"))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(os.Stderr, "providers: no *.xml in %s (%v)\n", os.Args[1], err)
		os.Exit(1)
	}
	set := map[string]bool{}
	for _, d := range extras {
		set[d] = true
	}
	for _, f := range files {
		domains, err := Domains(f)
		if err != nil {
			fmt.Fprintf(os.Stderr, "providers: %s: %v\n", f, err)
			os.Exit(1)
		}
		for _, d := range domains {
			set[d] = true
		}
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "# Mail domains whose mailboxes a public provider runs: their servers are the")
	fmt.Fprintln(w, "# provider's, never mail.<domain>. Derived from Thunderbird's ISP database")
	fmt.Fprintln(w, "# (thunderbird/autoconfig, folder ispdb/, Mozilla Public License 2.0: every")
	fmt.Fprintln(w, "# <domain> of every provider file), with a few providers it does not list.")
	fmt.Fprintln(w, "# Written by: go run ./scripts/providers ../shared/corpus/ispdb")
	for _, d := range slices.Sorted(func(yield func(string) bool) {
		for d := range set {
			if !yield(d) {
				return
			}
		}
	}) {
		fmt.Fprintln(w, d)
	}
	if err := w.Flush(); err != nil {
		os.Exit(1)
	}
}

// Domains are the <domain> elements of one ISP database file, lower case.
func Domains(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cc struct {
		Domains []string `xml:"emailProvider>domain"`
	}
	if err := xml.Unmarshal(data, &cc); err != nil {
		return nil, err
	}
	var out []string
	for _, d := range cc.Domains {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" && !strings.Contains(d, "%") {
			out = append(out, d)
		}
	}
	return out, nil
}
