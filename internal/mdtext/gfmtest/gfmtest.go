// Package gfmtest renders Markdown as GitHub does (CommonMark and GFM,
// with goldmark), for the tests that check Markdown shows as written. Only
// tests import it: goldmark is not in the binary.
package gfmtest

import (
	"bytes"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM))

// Render returns md as HTML.
func Render(t testing.TB, md string) string {
	t.Helper()
	var b bytes.Buffer
	if err := gfm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
