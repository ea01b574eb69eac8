package lint

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// node is an XML element with the line it starts on.
type node struct {
	name     string
	attrs    map[string]string
	text     string // the character data directly inside, untrimmed
	comments []string
	line     int
	children []*node
}

// child returns the first child named name.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// all returns the children named name.
func (n *node) all(name string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// lineCounter gives the line of byte offsets that only grow, counting
// each newline once: parsing stays linear in the file's size (a count
// from the start at every element made a flat 2.5 MB file take minutes).
type lineCounter struct {
	data []byte
	off  int // counted up to here
	line int
}

func (c *lineCounter) at(off int64) int {
	o := min(max(int(off), c.off), len(c.data))
	c.line += bytes.Count(c.data[c.off:o], []byte("\n"))
	c.off = o
	return c.line + 1
}

// parseXML reads data into a tree of elements (local names), or an error
// with its line. Each element's text is gathered in one buffer, turned
// into a string once at its end (not a new string per piece of text).
func parseXML(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	type open struct {
		n    *node
		text []byte
	}
	var stack []open
	var root *node
	lines := &lineCounter{data: data}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local, attrs: make(map[string]string, len(t.Attr)), line: lines.at(start)}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1].n
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, open{n: n})
		case xml.EndElement:
			top := stack[len(stack)-1]
			top.n.text = string(top.text)
			stack = stack[:len(stack)-1]
		case xml.Comment:
			if len(stack) > 0 {
				top := stack[len(stack)-1].n
				top.comments = append(top.comments, string(t))
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text = append(stack[len(stack)-1].text, t...)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no XML element")
	}
	return root, nil
}

// xmlRoot is the local name of the document's first element ("" when
// there is none before an error).
func xmlRoot(data []byte) string {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}

// xmlLine is the line an XML error points at, when it says.
func xmlLine(err error) int {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return se.Line
	}
	return 0
}

// hasOuterSpace reports whether s has spaces or line breaks around it.
func hasOuterSpace(s string) bool { return s != strings.TrimSpace(s) }
