// Package lazyregexp compiles a regular expression the first time it is
// used, so that a package's patterns cost nothing at start-up to the
// commands that never match them (like cmd/go's internal/lazyregexp).
package lazyregexp

import (
	"regexp"
	"sync"
)

// New returns a function giving the compiled expr, compiled on the first
// call. Like regexp.MustCompile, it panics if expr does not compile: the
// patterns are constants, and a test that uses each one catches a typo.
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
