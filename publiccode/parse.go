package publiccode

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/commons-directory/commons"
)

// DefaultName is how problems name a file whose caller gave no name.
const DefaultName = "publiccode.yml"

// MaxFileBytes bounds a publiccode.yml: real ones are a few kilobytes.
const MaxFileBytes = 1 << 20

// Versions of the standard Parse accepts (a patch level such as "0.2.1"
// is accepted for any of them).
var Versions = []string{"0.2", "0.3", "0.4"}

// Vocabularies of the standard that Parse checks.
var (
	DevelopmentStatuses = []string{"concept", "development", "beta", "stable", "obsolete"}
	SoftwareTypes       = []string{"standalone/mobile", "standalone/iot", "standalone/desktop", "standalone/web", "standalone/backend", "standalone/other", "addon", "library", "configurationFiles"}
	MaintenanceTypes    = []string{"internal", "contract", "community", "none"}
	// Scopes is intendedAudience.scope's list; a record's sectors in it
	// are exported back as scope.
	Scopes = []string{"agriculture", "culture", "defence", "education", "emergency-services", "employment", "energy", "environment", "finance-and-economic-development", "foreign-affairs", "government", "healthcare", "infrastructures", "justice", "local-authorities", "manufacturing", "research", "science-and-technology", "security", "society", "sport", "tourism", "transportation", "welfare"}
)

// MaxShortDescription is the standard's limit on shortDescription.
const MaxShortDescription = 150

// Problem is one thing wrong with (or, as a warning, left out of) a file:
// its line, the key's path ("legal.license", "description.en.features[2]")
// and what is wrong.
type Problem struct {
	File    string `json:"-"`
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String formats the problem as compilers do:
// `publiccode.yml:12: legal.license: "GPL-9" is not a valid SPDX expression`.
func (p Problem) String() string {
	name := p.File
	if name == "" {
		name = DefaultName
	}
	if p.Line > 0 {
		name += ":" + strconv.Itoa(p.Line)
	}
	if p.Field == "" {
		return name + ": " + p.Message
	}
	return name + ": " + p.Field + ": " + p.Message
}

// ParseError is an invalid file: every problem found, in file order. It
// unwraps to a *commons.Error with code EINVALID whose Fields carry the
// same problems, the line in each message, for the API's problem documents.
type ParseError struct {
	File     string
	Problems []Problem
}

func (e *ParseError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the domain error, so commons.ErrorCode gives EINVALID.
func (e *ParseError) Unwrap() error {
	ce := &commons.Error{Code: commons.EINVALID, Message: "the publiccode.yml is invalid"}
	for _, p := range e.Problems {
		msg := p.Message
		if p.Line > 0 {
			msg = fmt.Sprintf("line %d: %s", p.Line, msg)
		}
		field := p.Field
		if field == "" {
			field = "(document)"
		}
		ce.Fields = append(ce.Fields, commons.FieldError{Field: field, Message: msg})
	}
	return ce
}

// Result is a parsed, valid publiccode.yml mapped to a record.
type Result struct {
	Version  string          // publiccodeYmlVersion as written
	URL      string          // the `url` key: the repository, the file's identity
	Record   *commons.Record // normalised; Slug derived from the name
	Warnings []Problem       // keys that have no place in a record, or values left out
}

// Parse reads one publiccode.yml, checks it and maps it to a record. name
// is how problems refer to the file (default DefaultName). Any problem
// makes the error a *ParseError listing all of them; a file whose YAML is
// malformed or whose version is unknown gets that one problem alone.
func Parse(b []byte, name string) (*Result, error) {
	if name == "" {
		name = DefaultName
	}
	p := &parser{file: name}
	if len(b) > MaxFileBytes {
		return nil, commons.Errorf(commons.ETOOLARGE, "%s is larger than %d bytes", name, MaxFileBytes)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line, msg := yamlError(err)
		p.errorf(&yaml.Node{Line: line}, "", "malformed YAML: %s", msg)
		return nil, p.err()
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		p.errorf(&yaml.Node{Line: 1}, "", "is not a YAML mapping of publiccode.yml keys")
		return nil, p.err()
	}
	root := doc.Content[0]
	res := &Result{}
	v := p.scalar(root, "publiccodeYmlVersion", true)
	if v == nil {
		return nil, p.err()
	}
	res.Version = v.Value
	if !knownVersion(v.Value) {
		p.errorf(v, "publiccodeYmlVersion", "%q is not a version this directory reads (%s)", v.Value, strings.Join(Versions, ", "))
		return nil, p.err()
	}
	rec := p.record(root, res)
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	rec.Normalize()
	if err := rec.Validate(); err != nil {
		// The mapping keeps within the record's rules; a value the file
		// allows but a record does not is named by the record's field.
		for _, f := range commons.ErrorFields(err) {
			p.problems = append(p.problems, Problem{File: name, Field: "(record) " + f.Field, Message: f.Message})
		}
		return nil, p.err()
	}
	res.Record = rec
	res.Warnings = p.warnings
	slices.SortStableFunc(res.Warnings, func(a, b Problem) int { return a.Line - b.Line })
	return res, nil
}

func knownVersion(v string) bool {
	for _, k := range Versions {
		if v == k || strings.HasPrefix(v, k+".") {
			if _, err := strconv.Atoi(strings.TrimPrefix(v, k+".")); err == nil || v == k {
				return true
			}
		}
	}
	return false
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError extracts the line and message of a yaml.v3 error.
func yamlError(err error) (int, string) {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return 0, te.Errors[0]
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, m[2]
	}
	return 0, strings.TrimPrefix(err.Error(), "yaml: ")
}

// parser collects problems and warnings while it walks the node tree.
type parser struct {
	file     string
	problems []Problem
	warnings []Problem
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Line: n.Line, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) warnf(n *yaml.Node, field, format string, args ...any) {
	p.warnings = append(p.warnings, Problem{File: p.file, Line: n.Line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns the problems found, in line order.
func (p *parser) err() error {
	slices.SortStableFunc(p.problems, func(a, b Problem) int { return a.Line - b.Line })
	return &ParseError{File: p.file, Problems: p.problems}
}

// key returns the value node of key in mapping m, or nil.
func key(m *yaml.Node, k string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyNode returns the key node of k in mapping m (its line is the key's),
// or nil.
func keyNode(m *yaml.Node, k string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i]
		}
	}
	return nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// scalar returns the scalar at path.k, reporting it missing (if required)
// or of the wrong shape.
func (p *parser) scalar(m *yaml.Node, k string, required bool) *yaml.Node {
	return p.scalarAt(m, "", k, required)
}

func (p *parser) scalarAt(m *yaml.Node, path, k string, required bool) *yaml.Node {
	n := key(m, k)
	f := join(path, k)
	switch {
	case n == nil:
		if required {
			p.errorf(m, f, "is required")
		}
		return nil
	case n.Kind != yaml.ScalarNode:
		p.errorf(n, f, "must be a single value, not a %s", kindName(n))
		return nil
	case strings.TrimSpace(n.Value) == "" || n.Tag == "!!null":
		if required {
			p.errorf(n, f, "is required and empty")
		}
		return nil
	}
	return n
}

// mapping returns the mapping at path.k.
func (p *parser) mapping(m *yaml.Node, path, k string, required bool) *yaml.Node {
	n := key(m, k)
	f := join(path, k)
	switch {
	case n == nil:
		if required {
			p.errorf(m, f, "is required")
		}
		return nil
	case n.Kind != yaml.MappingNode:
		p.errorf(n, f, "must be a mapping of keys, not a %s", kindName(n))
		return nil
	}
	return n
}

// list returns the scalars of the sequence at path.k. A single scalar is
// accepted as a list of one, as the standard allows for isBasedOn.
func (p *parser) list(m *yaml.Node, path, k string, required bool) []*yaml.Node {
	n := key(m, k)
	f := join(path, k)
	switch {
	case n == nil:
		if required {
			p.errorf(m, f, "is required")
		}
		return nil
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		return []*yaml.Node{n}
	case n.Kind != yaml.SequenceNode:
		p.errorf(n, f, "must be a list, not a %s", kindName(n))
		return nil
	}
	var out []*yaml.Node
	for i, c := range n.Content {
		if c.Kind != yaml.ScalarNode || strings.TrimSpace(c.Value) == "" {
			p.errorf(c, fmt.Sprintf("%s[%d]", f, i), "must be a non-empty single value")
			continue
		}
		out = append(out, c)
	}
	if required && len(out) == 0 && len(n.Content) == 0 {
		p.errorf(n, f, "needs at least one entry")
	}
	return out
}

// enum checks that n's value is one of allowed.
func (p *parser) enum(n *yaml.Node, field string, allowed []string) bool {
	if n == nil {
		return false
	}
	if !slices.Contains(allowed, n.Value) {
		p.errorf(n, field, "%q is not one of %s", n.Value, strings.Join(allowed, ", "))
		return false
	}
	return true
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}
