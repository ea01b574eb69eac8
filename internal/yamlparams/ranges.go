package yamlparams

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Range is how far a parameter may plausibly be from its value: the low
// and high ends of what its sources support, where they come from and
// when. The parameter's own value is the central estimate. With names a
// parameter drawn together with this one (at the same quantile), for two
// figures that are one price under two names.
type Range struct {
	Low    float64 `yaml:"low" json:"low"`
	High   float64 `yaml:"high" json:"high"`
	Source string  `yaml:"source" json:"source"`
	Date   string  `yaml:"date,omitempty" json:"date,omitempty"`
	With   string  `yaml:"with,omitempty" json:"with,omitempty"`
}

// UnmarshalYAML requires both ends: a range that gave only one would
// silently put the other at zero.
func (r *Range) UnmarshalYAML(n *yaml.Node) error {
	var aux struct {
		Low    *float64 `yaml:"low"`
		High   *float64 `yaml:"high"`
		Source string   `yaml:"source"`
		Date   string   `yaml:"date"`
		With   string   `yaml:"with"`
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "low", "high", "source", "date", "with":
			default:
				return fmt.Errorf("line %d: unknown key %q in a range: want low, high, source, date or with", k.Line, k.Value)
			}
		}
	}
	if err := n.Decode(&aux); err != nil {
		return err
	}
	if aux.Low == nil || aux.High == nil {
		return fmt.Errorf("line %d: a range needs both low and high", n.Line)
	}
	*r = Range{Low: *aux.Low, High: *aux.High, Source: aux.Source, Date: aux.Date, With: aux.With}
	return nil
}

// CheckRanges returns an error naming the first range that does not fit
// its parameter: a key that is no parameter, ends out of the parameter's
// allowed range, or a value outside its range; and the first parameter in
// bounds that required names and that has no range.
func CheckRanges(bounds []Bound, ranges map[string]Range, required map[string]string) error {
	byKey := make(map[string]Bound, len(bounds))
	for _, b := range bounds {
		byKey[b.Key] = b
	}
	keys := make([]string, 0, len(ranges))
	for k := range ranges {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := ranges[k]
		b, ok := byKey[k]
		if !ok {
			return fmt.Errorf("ranges: %q is not a parameter: want one of the file's dotted keys, such as %q", k, bounds[0].Key)
		}
		for _, end := range []struct {
			name string
			v    float64
		}{{"low", r.Low}, {"high", r.High}} {
			if err := Validate([]Bound{{Key: "ranges." + k + "." + end.name, Value: end.v, Min: b.Min, Max: b.Max}}); err != nil {
				return err
			}
		}
		if !(r.Low <= b.Value && b.Value <= r.High) {
			return fmt.Errorf("ranges.%s: the value %v is outside its range %v to %v: want low <= value <= high", k, b.Value, r.Low, r.High)
		}
		if r.With != "" {
			if _, ok := ranges[r.With]; !ok || r.With == k {
				return fmt.Errorf("ranges.%s.with: %q is not another parameter with a range", k, r.With)
			}
		}
	}
	for _, b := range bounds {
		if _, need := required[b.Key]; !need {
			continue
		}
		if _, ok := ranges[b.Key]; !ok {
			return fmt.Errorf("ranges: parameter %q has no range", b.Key)
		}
	}
	return nil
}

// FollowValues moves the range of every parameter whose value was changed
// (before -> after) without its range: the range keeps its proportions
// to the value, or, for a value that was zero, is widened to include the
// new one. Ends stay within the parameter's allowed range.
func FollowValues(before, after []Bound, rangesBefore, ranges map[string]Range, source string) {
	old := make(map[string]float64, len(before))
	for _, b := range before {
		old[b.Key] = b.Value
	}
	for _, b := range after {
		c, ok := old[b.Key]
		r, has := ranges[b.Key]
		if !ok || !has || c == b.Value || r != rangesBefore[b.Key] {
			continue
		}
		if c != 0 {
			r.Low, r.High = r.Low*b.Value/c, r.High*b.Value/c
		}
		r.Low, r.High = math.Max(math.Min(r.Low, b.Value), b.Min), math.Min(math.Max(r.High, b.Value), b.Max)
		r.Source = "scaled with the value set in " + source + " (" + r.Source + ")"
		ranges[b.Key] = r
	}
}

// Setters returns, for every number field of the struct v points to
// (nested structs and maps of numbers included), a function that sets it,
// by dotted key as the YAML file names it. Map entries are set in the map
// itself: clone a map shared with another value first.
func Setters(v any) map[string]func(float64) {
	out := map[string]func(float64){}
	setters(reflect.ValueOf(v).Elem(), "", out)
	return out
}

func setters(v reflect.Value, prefix string, out map[string]func(float64)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name) // the YAML library's default
		}
		key := prefix + name
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.Float64:
			p := fv.Addr().Interface().(*float64)
			out[key] = func(x float64) { *p = x }
		case fv.Kind() == reflect.Struct:
			setters(fv, key+".", out)
		case fv.Kind() == reflect.Map && fv.Type().Key().Kind() == reflect.String && fv.Type().Elem().Kind() == reflect.Float64:
			m := fv.Interface().(map[string]float64)
			for k := range m {
				out[key+"."+k] = func(x float64) { m[k] = x }
			}
		}
	}
}
