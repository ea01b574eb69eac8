// Package yamlparams loads model parameter files: built-in defaults written
// as commented YAML, with a user's file decoded strictly on top. The
// comment on each default line is where its value comes from; Defaults
// returns them so that every figure can be shown with its origin.
package yamlparams

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mailadvisor/mailadvisor/internal/lazyregexp"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
)

// Decode decodes doc into v (a pointer to a struct that may already hold
// defaults), strictly: an unknown key is an error naming the key and line.
// An empty document leaves v as it is.
func Decode(r io.Reader, source string, v any) error {
	if err := Strict(r, v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", source, err)
	}
	return nil
}

// Strict decodes one YAML document from r into v, refusing unknown keys;
// errors are cleaned up by [Clean]. It returns io.EOF for an empty input,
// for the caller to say what the document should hold.
func Strict(r io.Reader, v any) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	err := dec.Decode(v)
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case err != nil:
		return Clean(err)
	}
	return nil
}

// collect maps each dotted key path ("pop3_self.fixed_per_year") to the
// comment on its line.
func collect(n *yaml.Node, prefix string, out map[string]string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		path := key.Value
		if prefix != "" {
			path = prefix + "." + key.Value
		}
		if c := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(val.LineComment), "#")); c != "" {
			out[path] = c
		}
		collect(val, path, out)
	}
}

var unknownKey = lazyregexp.New(`field (.+?) not found in type .*$`)

// Clean turns the YAML library's errors into one line, with unknown keys
// named, and drops its "yaml: " prefix.
func Clean(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			msgs[i] = unknownKey().ReplaceAllStringFunc(m, func(s string) string {
				return "unknown key " + textcheck.QuoteKey(unknownKey().FindStringSubmatch(s)[1])
			})
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

// Bound is one numeric parameter, by dotted key, with its allowed range.
type Bound struct {
	Key      string
	Value    float64
	Min, Max float64 // Max may be +Inf
}

// Validate returns an error naming the first parameter out of its range:
// its key, its value and what is allowed.
func Validate(bounds []Bound) error {
	for _, b := range bounds {
		if math.IsNaN(b.Value) || b.Value < b.Min || b.Value > b.Max {
			want := fmt.Sprintf("a number from %v to %v", b.Min, b.Max)
			if math.IsInf(b.Max, 1) {
				want = fmt.Sprintf("a number >= %v", b.Min)
			}
			return fmt.Errorf("%s: invalid value %v: want %s", b.Key, b.Value, want)
		}
	}
	return nil
}

// Overridden returns a copy of sources in which every key whose value
// differs between defaults and current (or that only current has) reads
// "set in <source>".
func Overridden(sources map[string]string, defaults, current []Bound, source string) map[string]string {
	out := make(map[string]string, len(sources))
	for k, v := range sources {
		out[k] = v
	}
	def := make(map[string]float64, len(defaults))
	for _, b := range defaults {
		def[b.Key] = b.Value
	}
	for _, b := range current {
		if v, ok := def[b.Key]; !ok || v != b.Value {
			out[b.Key] = "set in " + source
		}
	}
	return out
}

// Between is a parameter allowed from lo to hi.
func Between(key string, value, lo, hi float64) Bound {
	return Bound{Key: key, Value: value, Min: lo, Max: hi}
}

// AtLeast is a parameter allowed from lo upwards.
func AtLeast(key string, value, lo float64) Bound {
	return Bound{Key: key, Value: value, Min: lo, Max: math.Inf(1)}
}

// Defaults decodes a commented defaults document into v and returns the
// comment of each key, parsing the document once. The defaults are the
// program's own: their packages test that they also decode strictly.
func Defaults(doc []byte, source string, v any) (map[string]string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", source, Clean(err))
	}
	if err := root.Decode(v); err != nil {
		return nil, fmt.Errorf("%s: %w", source, Clean(err))
	}
	out := map[string]string{}
	if len(root.Content) > 0 {
		collect(root.Content[0], "", out)
	}
	return out, nil
}

// Load decodes the commented defaults document into a P, then the keys of
// r (nil for none) on top of it, strictly, and validates the parameters
// that bounds lists and their ranges (ranges returns P's range table,
// which must give a range to every parameter the defaults document has). A value the user changes
// without its range takes its range along ([FollowValues]). It returns
// the parameters and where each key's value comes from: the defaults'
// comment, or "set in <source>". Errors name the source and the key.
func Load[P any](defaults []byte, builtin string, r io.Reader, source string, bounds func(*P) []Bound, ranges func(*P) *map[string]Range) (P, map[string]string, error) {
	var p P
	sources, err := Defaults(defaults, builtin, &p)
	if err != nil {
		return p, nil, err
	}
	required := maps.Clone(sources)
	if err := CheckRanges(bounds(&p), *ranges(&p), required); err != nil {
		return p, nil, fmt.Errorf("%s: %w", builtin, err)
	}
	if r == nil {
		source = builtin
	} else {
		before, rangesBefore := bounds(&p), maps.Clone(*ranges(&p))
		if err := Decode(r, source, &p); err != nil {
			return p, nil, err
		}
		after := bounds(&p)
		sources = Overridden(sources, before, after, source)
		FollowValues(before, after, rangesBefore, *ranges(&p), source)
	}
	if err := Validate(bounds(&p)); err != nil {
		return p, nil, fmt.Errorf("%s: %w", source, err)
	}
	if err := CheckRanges(bounds(&p), *ranges(&p), required); err != nil {
		return p, nil, fmt.Errorf("%s: %w", source, err)
	}
	return p, sources, nil
}
