// Package mdtext writes text into Markdown so that a CommonMark or GFM
// renderer shows it as written: the one escaper of the command's Markdown
// output and of the settings sheet.
package mdtext

import "strings"

// escaper backslash-escapes the ASCII punctuation that CommonMark or GFM
// could read as markup (emphasis, code, links, HTML, entities, headings,
// tables, strikethrough); CommonMark lets any of it be escaped.
var escaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`, "#", `\#`, "!", `\!`)

// Text is s as Markdown text that renders as s, also at the start of a
// list item or a line, where - + or 1. would open a list; a line break
// becomes a space.
func Text(s string) string {
	s = escaper.Replace(strings.ReplaceAll(s, "\n", " "))
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return `\` + s
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && (s[i] == '.' || s[i] == ')') {
		return s[:i] + `\` + s[i:]
	}
	return s
}

// Code is s as a code span: fenced with more backticks than any run inside
// it, padded when it starts or ends with one.
func Code(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// CodeCell is s as code in a GFM table cell, where | must be escaped even
// inside code.
func CodeCell(s string) string { return strings.ReplaceAll(Code(s), "|", `\|`) }
