package advisor

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

// DecodeScenario reads a YAML or JSON scenario document from r and applies
// the fields it sets on top of s; fields it does not mention keep their
// value. Decoding is strict: an unknown key, a non-scalar value or a value
// outside the field's range is a [*DecodeError] that names the source, the
// line and the field. An empty document changes nothing.
func DecodeScenario(r io.Reader, source string, s *Scenario) error {
	_, err := DecodeScenarioFields(r, source, s)
	return err
}

// DecodeScenarioFields is DecodeScenario that also returns the names of
// the fields the document sets.
func DecodeScenarioFields(r io.Reader, source string, s *Scenario) ([]string, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &DecodeError{Source: source, Err: yamlparams.Clean(err)}
	}
	if err := applyNode(&doc, s); err != nil {
		return nil, &DecodeError{Source: source, Err: err}
	}
	n := &doc
	if len(n.Content) > 0 {
		n = n.Content[0]
	}
	var keys []string
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys, nil
}

// applyNode applies a YAML mapping (or a document holding one) to s.
func applyNode(n *yaml.Node, s *Scenario) error {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a scenario must be a mapping of field names to values", n.Line)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if line, dup := seen[key.Value]; dup {
			return fmt.Errorf("line %d: field %s is set twice (first on line %d)", key.Line, textcheck.Quote(key.Value), line)
		}
		seen[key.Value] = key.Line
		if err := applyValue(key, val, s); err != nil {
			return err
		}
	}
	return nil
}

func applyValue(key, val *yaml.Node, s *Scenario) error {
	if key.Value == ClientField {
		if val.Kind != yaml.ScalarNode || val.Tag == "!!null" {
			return fmt.Errorf("line %d: client: want the client's name as text", val.Line)
		}
		if err := textcheck.Text("client", val.Value, maxClientLen); err != nil {
			return fmt.Errorf("line %d: %w", val.Line, err)
		}
		s.Client = strings.TrimSpace(val.Value)
		return nil
	}
	f, ok := FieldByName(key.Value)
	if !ok || strings.Contains(key.Value, "-") {
		return fmt.Errorf("line %d: unknown field %s (known fields: %s)", key.Line, textcheck.QuoteKey(key.Value), strings.Join(FieldNames(), ", "))
	}
	if val.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: %s: want a single value (%s)", val.Line, f.Name, f.Allowed())
	}
	if val.Tag == "!!null" {
		if !f.Optional {
			return fmt.Errorf("line %d: %s: may not be empty (want %s)", val.Line, f.Name, f.Allowed())
		}
		f.unset(s)
		return nil
	}
	if err := f.Set(s, val.Value); err != nil {
		return fmt.Errorf("line %d: %w", val.Line, err)
	}
	return nil
}
