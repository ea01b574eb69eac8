package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mailadvisor/mailadvisor/internal/lazyregexp"
	"github.com/mailadvisor/mailadvisor/internal/limits"
	"github.com/mailadvisor/mailadvisor/internal/tabular"
	"github.com/mailadvisor/mailadvisor/internal/textcheck"
	"github.com/mailadvisor/mailadvisor/internal/yamlparams"
)

// Input formats.
const (
	CSV   = "csv"
	JSONL = "jsonl"
	YAML  = "yaml"
)

// Columns are the fields a row may have; email is required.
var Columns = []string{"email", "display_name", "username", "protocol", "leave_on_server_days"}

// Row is one user of the input: the line it came from and its fields, or
// why it cannot be read.
type Row struct {
	Line              int
	Email             string
	DisplayName       string // shown by Outlook and Apple for this user
	Username          string // login, when it is neither the address nor its local part
	Protocol          string // imap or pop3, first in the files
	LeaveOnServerDays *int   // POP3, overrides the domain's
	Err               error
}

// Reader yields the rows of an input one at a time.
type Reader interface {
	// Next returns the next row (a row that cannot be read has Err set)
	// or io.EOF after the last one; any other error means the input
	// cannot be read at all.
	Next() (Row, error)
}

// NewReader reads rows in format (csv, jsonl or yaml) from r. CSV and
// JSON Lines stream; a YAML list is read whole.
func NewReader(r io.Reader, format string) (Reader, error) {
	switch format {
	case CSV:
		return newCSVReader(r)
	case JSONL:
		return &jsonlReader{lines: tabular.NewLines(r)}, nil
	case YAML:
		return newYAMLReader(r)
	default:
		return nil, fmt.Errorf("input format: invalid value %s: want one of csv, jsonl, yaml", textcheck.Quote(format))
	}
}

type csvReader struct {
	r       *tabular.CSVReader
	columns []string
}

func newCSVReader(r io.Reader) (*csvReader, error) {
	cr, header, err := tabular.CSV(r)
	if errors.Is(err, tabular.ErrNoHeader) {
		return nil, errors.New("csv: empty input: want a header line with at least the email column")
	}
	if err != nil {
		return nil, err
	}
	columns := make([]string, len(header))
	hasEmail := false
	for i, name := range header {
		name = strings.ToLower(name)
		if !slices.Contains(Columns, name) {
			return nil, fmt.Errorf("csv header: unknown column %s (known: %s)", textcheck.Quote(name), strings.Join(Columns, ", "))
		}
		hasEmail = hasEmail || name == "email"
		columns[i] = name
	}
	if !hasEmail {
		return nil, errors.New("csv header: no email column")
	}
	return &csvReader{r: cr, columns: columns}, nil
}

// readFailed turns a reader's error into a rejected row (a row that
// cannot be read) or an error that ends the input; ok means no error.
func readFailed(line int, err error) (row Row, fatal error, ok bool) {
	var rowErr *tabular.RowError
	switch {
	case errors.As(err, &rowErr):
		return Row{Line: line, Err: rowErr.Err}, nil, false
	case err != nil:
		return Row{}, err, false
	}
	return Row{}, nil, true
}

func (c *csvReader) Next() (Row, error) {
	record, line, err := c.r.Read()
	if bad, fatal, ok := readFailed(line, err); !ok {
		return bad, fatal
	}
	row := Row{Line: line}
	if len(record) != len(c.columns) {
		row.Err = fmt.Errorf("%d values for %d columns", len(record), len(c.columns))
		return row, nil
	}
	for i, value := range record {
		if err := row.set(c.columns[i], value); err != nil {
			row.Err = err
			break
		}
	}
	return row, nil
}

// set stores one field; the value's validity is checked later.
func (r *Row) set(column, value string) error {
	value = strings.TrimSpace(value)
	switch column {
	case "email":
		r.Email = value
	case "display_name":
		r.DisplayName = value
	case "username":
		r.Username = value
	case "protocol":
		r.Protocol = strings.ToLower(value)
	case "leave_on_server_days":
		if value == "" {
			return nil
		}
		days, err := strconv.Atoi(value)
		if err != nil {
			return &textcheck.FieldError{Field: "leave_on_server_days", Value: value, Allowed: "a whole number of days from 0 to " + strconv.Itoa(limits.MaxLeaveOnServerDays)}
		}
		r.LeaveOnServerDays = &days
		return checkLeaveDays(days)
	}
	return nil
}

// jsonRow is a row of JSON Lines or YAML input.
type jsonRow struct {
	Email             string `json:"email" yaml:"email"`
	DisplayName       string `json:"display_name" yaml:"display_name"`
	Username          string `json:"username" yaml:"username"`
	Protocol          string `json:"protocol" yaml:"protocol"`
	LeaveOnServerDays *int   `json:"leave_on_server_days" yaml:"leave_on_server_days"`
}

func (j jsonRow) row(line int) Row {
	r := Row{Line: line, Email: strings.TrimSpace(j.Email), DisplayName: strings.TrimSpace(j.DisplayName),
		Username: strings.TrimSpace(j.Username), Protocol: strings.ToLower(strings.TrimSpace(j.Protocol)), LeaveOnServerDays: j.LeaveOnServerDays}
	if d := j.LeaveOnServerDays; d != nil {
		r.Err = checkLeaveDays(*d)
	}
	return r
}

func checkLeaveDays(days int) error { return limits.LeaveOnServerDays("leave_on_server_days", days) }

type jsonlReader struct {
	lines *tabular.Lines
}

func (j *jsonlReader) Next() (Row, error) {
	for {
		text, line, err := j.lines.Next()
		if bad, fatal, ok := readFailed(line, err); !ok {
			return bad, fatal
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		var jr jsonRow
		if err := dec.Decode(&jr); err != nil {
			return Row{Line: line, Err: fmt.Errorf("not a JSON object of %s: %w", strings.Join(Columns, ", "), err)}, nil
		}
		return jr.row(line), nil
	}
}

// yamlReader streams a YAML list of users: each item starts with "- " at
// the start of a line, and is decoded alone, so memory holds one item
// whatever the number of users. The items that define anchors are kept
// (up to maxAnchorBytes), so that an alias in a later item resolves as it
// would in the whole document. A flow list ("[...]") is read whole, up to
// maxFlowYAML bytes.
type yamlReader struct {
	lines   *tabular.Lines
	pending []byte // the first line of the next item
	pendAt  int
	items   []*yaml.Node // a flow list, read whole
	next    int
	done    bool
	// anchored holds the items that define an anchor, each as a list
	// item ("- ..."), for the aliases of the items after them.
	anchored []byte
}

// maxAnchorBytes bounds the items kept for their anchors.
const maxAnchorBytes = 256 << 10

// maxFlowYAML bounds a YAML list written in flow style, read whole.
const maxFlowYAML = 16 << 20

func newYAMLReader(r io.Reader) (*yamlReader, error) {
	y := &yamlReader{lines: tabular.NewLines(r)}
	for {
		text, line, err := y.lines.Next()
		if errors.Is(err, io.EOF) {
			y.done = true
			return y, nil
		}
		if err != nil {
			return nil, fmt.Errorf("yaml: %w", err)
		}
		trimmed := strings.TrimSpace(string(text))
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#") || trimmed == "---" || strings.HasPrefix(trimmed, "%"):
			continue
		case isItemStart(text):
			y.pending, y.pendAt = bytes.Clone(text), line
			return y, nil
		case strings.HasPrefix(trimmed, "["):
			return y.readFlow(text)
		default:
			return nil, fmt.Errorf("yaml: line %d: want a list of users, each item starting with \"- \" (- email: alice@example.com)", line)
		}
	}
}

// isItemStart tells whether a line starts a new item of the top-level list.
func isItemStart(text []byte) bool {
	return len(text) > 0 && text[0] == '-' && (len(text) == 1 || text[1] == ' ' || text[1] == '\t') && !bytes.HasPrefix(text, []byte("---"))
}

// readFlow reads a flow-style list whole (bounded).
func (y *yamlReader) readFlow(first []byte) (*yamlReader, error) {
	doc := append(bytes.Clone(first), '\n')
	for {
		text, _, err := y.lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("yaml: %w", err)
		}
		doc = append(append(doc, text...), '\n')
		if len(doc) > maxFlowYAML {
			return nil, fmt.Errorf("yaml: a list in flow style ([...]) larger than %d MiB: write one \"- \" item per user instead", maxFlowYAML>>20)
		}
	}
	var node yaml.Node
	if err := yaml.Unmarshal(doc, &node); err != nil {
		return nil, fmt.Errorf("yaml: %w", yamlparams.Clean(err))
	}
	list := node.Content[0]
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("yaml: line %d: want a list of users", list.Line)
	}
	y.items, y.done = list.Content, true
	return y, nil
}

func (y *yamlReader) Next() (Row, error) {
	if y.items != nil {
		if y.next >= len(y.items) {
			return Row{}, io.EOF
		}
		item := y.items[y.next]
		y.next++
		var jr jsonRow
		if err := decodeStrict(resolveAliases(item), &jr); err != nil {
			return Row{Line: item.Line, Err: err}, nil
		}
		return jr.row(item.Line), nil
	}
	if y.pending == nil {
		return Row{}, io.EOF
	}
	start := y.pendAt
	// The item as a mapping: "- " becomes "  ", the rest keeps its indent.
	item := append([]byte("  "), y.pending[min(2, len(y.pending)):]...)
	item = append(item, '\n')
	y.pending = nil
	tooLong := false
	var readErr error
	for !y.done {
		text, line, err := y.lines.Next()
		if errors.Is(err, io.EOF) {
			y.done = true
			break
		}
		var rowErr *tabular.RowError
		if errors.As(err, &rowErr) {
			readErr = rowErr.Err
			continue
		}
		if err != nil {
			return Row{}, err
		}
		if isItemStart(text) {
			y.pending, y.pendAt = bytes.Clone(text), line
			break
		}
		if trimmed := bytes.TrimSpace(text); bytes.Equal(trimmed, []byte("...")) || bytes.Equal(trimmed, []byte("---")) && len(text) == 3 {
			y.done = true // the end of the document
			break
		}
		if len(item)+len(text) > tabular.MaxRowBytes {
			tooLong = true
			continue
		}
		item = append(append(item, text...), '\n')
	}
	switch {
	case readErr != nil:
		return Row{Line: start, Err: readErr}, nil
	case tooLong:
		return Row{Line: start, Err: fmt.Errorf("item longer than %d bytes", tabular.MaxRowBytes)}, nil
	}
	var jr jsonRow
	if len(y.anchored) > 0 && bytes.IndexByte(item, '*') >= 0 {
		return y.withAnchors(item, start), nil
	}
	if bytes.IndexByte(item, '&') >= 0 && len(y.anchored)+len(item) <= maxAnchorBytes {
		y.anchored = append(append(append(y.anchored, '-'), item[1:]...), '\n')
	}
	if err := yamlparams.Strict(bytes.NewReader(item), &jr); err != nil {
		if errors.Is(err, io.EOF) {
			return Row{Line: start, Err: errors.New("empty item: want at least email")}, nil
		}
		// The line numbers are the fragment's: the row's own is reported.
		return Row{Line: start, Err: errors.New(fragmentLine().ReplaceAllString(err.Error(), "$1"))}, nil
	}
	return jr.row(start), nil
}

// withAnchors decodes an item that uses aliases after the items that
// define anchors, as one list, and keeps the item if it defines some too.
func (y *yamlReader) withAnchors(item []byte, line int) Row {
	asItem := append(append([]byte{'-'}, item[1:]...), '\n')
	doc := append(bytes.Clone(y.anchored), asItem...)
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return Row{Line: line, Err: errors.New(fragmentLine().ReplaceAllString(yamlparams.Clean(err).Error(), "$1"))}
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.SequenceNode || len(root.Content[0].Content) == 0 {
		return Row{Line: line, Err: errors.New("want a mapping of " + strings.Join(Columns, ", "))}
	}
	list := root.Content[0].Content
	if bytes.IndexByte(item, '&') >= 0 && len(y.anchored)+len(asItem) <= maxAnchorBytes {
		y.anchored = append(y.anchored, asItem...)
	}
	var jr jsonRow
	if err := decodeStrict(resolveAliases(list[len(list)-1]), &jr); err != nil {
		return Row{Line: line, Err: err}
	}
	return jr.row(line)
}

// resolveAliases returns n with every alias replaced by what it names,
// so that the node can be encoded and decoded alone.
func resolveAliases(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return resolveAliases(n.Alias)
	}
	if len(n.Content) == 0 && n.Anchor == "" {
		return n
	}
	c := *n
	c.Anchor = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, sub := range n.Content {
		c.Content[i] = resolveAliases(sub)
	}
	return &c
}

// decodeStrict decodes a YAML node, refusing unknown keys. yaml.v3's
// Node.Decode has no strict mode, so the node goes back through a strict
// Decoder.
func decodeStrict(n *yaml.Node, v any) error {
	var buf bytes.Buffer
	if err := yaml.NewEncoder(&buf).Encode(n); err != nil {
		return err
	}
	if err := yamlparams.Strict(&buf, v); err != nil {
		// The line numbers are the fragment's: the row's own is reported.
		return errors.New(fragmentLine().ReplaceAllString(err.Error(), "$1"))
	}
	return nil
}

var fragmentLine = lazyregexp.New(`(^|; )line \d+: `)
