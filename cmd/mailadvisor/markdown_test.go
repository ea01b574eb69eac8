package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mailadvisor/mailadvisor/internal/mdtext/gfmtest"
)

var (
	markupRe = regexp.MustCompile(`<(em|strong|del|a|img|h[13-6]|pre|input)[ >]`) // h2: the section titles
)

// The commands' Markdown: formulas as code, no emphasis anywhere.
func TestMarkdownOutputsRenderCleanly(t *testing.T) {
	for _, args := range [][]string{
		{"cost", "-o", "markdown"}, {"carbon", "-o", "markdown"}, {"advise", "-o", "markdown"},
		{"rules", "-o", "markdown"}, {"presets", "-o", "markdown"},
	} {
		out, stderr, code := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		page := gfmtest.Render(t, out)
		if m := markupRe.FindString(page); m != "" {
			t.Errorf("%v renders markup %s", args, m)
		}
		switch args[0] {
		case "cost":
			if !strings.Contains(page, "<code>c_GB*N*q*rho</code>") {
				t.Errorf("cost: the storage formula is not code")
			}
		case "carbon":
			if !strings.Contains(page, "<code>m*J*E*M; E = (1-a)*standard + a*attachment;") {
				t.Errorf("carbon: the formula is not code")
			}
		}
	}
}
