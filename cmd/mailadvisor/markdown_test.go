package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	gfm      = goldmark.New(goldmark.WithExtensions(extension.GFM))
	markupRe = regexp.MustCompile(`<(em|strong|del|a|img|h[13-6]|pre|input)[ >]`) // h2: the section titles
)

func renderGFM(t *testing.T, md string) string {
	t.Helper()
	var b bytes.Buffer
	if err := gfm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

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
		page := renderGFM(t, out)
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
