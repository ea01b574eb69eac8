package lazyregexp

import "testing"

func TestNew(t *testing.T) {
	digits := New(`^[0-9]+$`)
	if !digits().MatchString("2026") || digits().MatchString("20x6") {
		t.Error("digits does not match as regexp.MustCompile would")
	}
	if first := digits(); digits() != first {
		t.Error("compiled twice, want once")
	}
}

func TestNewPanicsOnBadPatternWhenUsed(t *testing.T) {
	bad := New(`(`)
	defer func() {
		if recover() == nil {
			t.Error("no panic for a pattern that does not compile")
		}
	}()
	bad()
}
