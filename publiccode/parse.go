package publiccode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/commons-directory/commons"
)

// DefaultName is how problems name a file whose caller gave no name.
const DefaultName = "publiccode.yml"

// MaxFileBytes bounds a publiccode.yml: real ones are a few kilobytes.
const MaxFileBytes = 1 << 20

// SupportedVersions are the values of publiccodeYmlVersion Parse reads,
// the reference parser's list (italia/publiccode-parser-go v5, 0.7 since
// v5.4.3): "0" means "the latest 0.x", and every 0.x is read with the
// rules of the latest. (There is no 0.6.)
var SupportedVersions = []string{"0", "0.2", "0.2.0", "0.2.1", "0.2.2", "0.3", "0.3.0", "0.4", "0.4.0", "0.5", "0.5.0", "0.7", "0.7.0"}

// CurrentVersion is the latest version of the standard: files in an older
// one get a warning, and records made here are exported in it.
const CurrentVersion = "0.7"

// Vocabularies of the standard that Parse checks.
var (
	DevelopmentStatuses = []string{"concept", "development", "beta", "stable", "obsolete"}
	SoftwareTypes       = []string{"standalone/mobile", "standalone/iot", "standalone/desktop", "standalone/web", "standalone/backend", "standalone/other", "addon", "library", "configurationFiles"}
	MaintenanceTypes    = []string{"internal", "contract", "community", "none"}
	// Scopes is intendedAudience.scope's list; a record's sectors in it
	// are exported back as scope.
	Scopes = []string{"agriculture", "culture", "defence", "education", "emergency-services", "employment", "energy", "environment", "finance-and-economic-development", "foreign-affairs", "government", "healthcare", "infrastructures", "justice", "local-authorities", "manufacturing", "research", "science-and-technology", "security", "society", "sport", "tourism", "transportation", "welfare"}
	// SupportAliases are the aliases supports[].id may use (0.7); any
	// other id is a URI.
	SupportAliases = []string{"alias:gdpr", "alias:eidas", "alias:nis2", "alias:cra", "alias:spid", "alias:cie", "alias:anpr", "alias:pagopa", "alias:io"}
	// Categories is the standard's list of categories.
	Categories = []string{"accounting", "agile-project-management", "applicant-tracking", "application-development", "appointment-scheduling", "backup", "billing-and-invoicing", "blog", "budgeting", "business-intelligence", "business-process-management", "cad", "call-center-management", "cloud-management", "collaboration", "communications", "compliance-management", "contact-management", "content-management", "crm", "customer-service-and-support", "data-analytics", "data-collection", "data-visualization", "design", "design-system", "digital-asset-management", "digital-citizenship", "document-management", "donor-management", "e-commerce", "e-signature", "educational-content", "email-management", "email-marketing", "employee-management", "enterprise-project-management", "enterprise-social-networking", "erp", "event-management", "facility-management", "feedback-and-reviews-management", "financial-reporting", "fleet-management", "fundraising", "gamification", "geographic-information-systems", "grant-management", "graphic-design", "help-desk", "hr", "ide", "identity-management", "instant-messaging", "integrated-library-system", "inventory-management", "it-asset-management", "it-development", "it-management", "it-security", "it-service-management", "knowledge-management", "learning-management-system", "marketing", "mind-mapping", "mobile-marketing", "mobile-payment", "network-management", "office", "online-booking", "online-community", "payment-gateway", "payroll", "predictive-analysis", "procurement", "productivity-suite", "project-collaboration", "project-management", "property-management", "real-estate-management", "regulations-and-directives", "remote-support", "resource-management", "sales-management", "seo", "service-desk", "social-media-management", "survey", "talent-management", "task-management", "taxes-management", "test-management", "time-management", "time-tracking", "translation", "video-conferencing", "video-editing", "visitor-management", "voip", "warehouse-management", "web-collaboration", "web-conferencing", "whistleblowing", "website-builder", "workflow-management", "other"}
)

// Lengths the standard sets, counted in user-perceived characters
// (grapheme clusters), as the reference parser counts them.
const (
	MaxShortDescription = 150
	MinLongDescription  = 150
	MaxLongDescription  = 10000
	MaxGenericName      = 35
)

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

// Parse reads one publiccode.yml, checks it against the standard as the
// reference parser does and maps it to a record. name is how problems
// refer to the file (default DefaultName). Any error makes the result a
// *ParseError listing all of them (a file whose YAML is malformed, that
// writes a key twice or whose version is unknown gets those alone);
// warnings (a deprecated key, a key a record has no place for, a value the
// record cannot hold whole) name their line and key too and do not stop
// the import.
func Parse(b []byte, name string) (*Result, error) {
	if name == "" {
		name = DefaultName
	}
	p := &parser{file: name}
	if len(b) > MaxFileBytes {
		return nil, commons.Errorf(commons.ETOOLARGE, "%s is larger than %d bytes", name, MaxFileBytes)
	}
	if !utf8.Valid(b) {
		p.errorf(&yaml.Node{}, "", "is not valid UTF-8")
		return nil, p.err()
	}
	root := p.document(b)
	if root == nil {
		return nil, p.err()
	}
	p.duplicates(root, "")
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	p.resolve(root, map[*yaml.Node]bool{})
	if n := expandedSize(root, map[*yaml.Node]int{}, map[*yaml.Node]bool{}); n > maxExpanded {
		p.errorf(root, "", "uses aliases that expand to more than %d values; a publiccode.yml is far smaller", maxExpanded)
		return nil, p.err()
	}
	res := &Result{}
	v := key(root, "publiccodeYmlVersion")
	switch {
	case v == nil:
		p.errorf(root, "publiccodeYmlVersion", "is required")
	case v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str":
		p.errorf(v, "publiccodeYmlVersion", "must be a string: write it in quotes, as in publiccodeYmlVersion: \"%s\"", CurrentVersion)
	case !slices.Contains(SupportedVersions, v.Value):
		p.errorf(v, "publiccodeYmlVersion", "unsupported version %q; the versions of the standard are %s", v.Value, strings.Join(SupportedVersions, ", "))
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	res.Version = v.Value
	if v.Value != "0" && !strings.HasPrefix(v.Value, CurrentVersion) {
		p.warnf(v, "publiccodeYmlVersion", "%s is not the latest version of the standard (%s); the file is read with the rules of %s", v.Value, CurrentVersion, CurrentVersion)
	}
	p.keys(root, rootShape, "")
	rec := p.record(root, res)
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	rec.Provenance.SourceVersion = v.Value
	p.fit(rec, root)
	rec.Normalize()
	if err := rec.Validate(); err != nil {
		// The mapping keeps within the record's rules; a value the file
		// allows but a record does not is named by the file's key that
		// gave it, and the record's field.
		for _, f := range commons.ErrorFields(err) {
			n, k := p.originOf(f.Field, root)
			p.problems = append(p.problems, Problem{File: name, Line: n.Line, Field: k, Message: fmt.Sprintf("the record's %s %s", f.Field, f.Message)})
		}
		return nil, p.err()
	}
	res.Record = rec
	res.Warnings = p.warnings
	slices.SortStableFunc(res.Warnings, func(a, b Problem) int { return a.Line - b.Line })
	return res, nil
}

// document decodes the file's one YAML document and returns its root
// mapping, or nil with the problem.
func (p *parser) document(b []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	err := dec.Decode(&doc)
	switch {
	case errors.Is(err, io.EOF):
		p.errorf(&yaml.Node{Line: 1}, "publiccodeYmlVersion", "is required (the file is empty)")
		return nil
	case err != nil:
		line, msg := yamlError(err)
		p.errorf(&yaml.Node{Line: line}, "", "malformed YAML: %s", msg)
		return nil
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		line := more.Line
		if err != nil {
			line, _ = yamlError(err)
		}
		p.errorf(&yaml.Node{Line: line}, "", "holds more than one YAML document; a publiccode.yml has one")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		p.errorf(&yaml.Node{Line: 1}, "", "is not a YAML mapping of publiccode.yml keys")
		return nil
	}
	return doc.Content[0]
}

// duplicates reports every mapping key written twice, naming both lines:
// YAML forbids it, the reference parser refuses it, and a decoder that
// kept one value would lose the other without a word.
func (p *parser) duplicates(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			f := join(path, k.Value)
			if k.ShortTag() != "!!merge" {
				if first, ok := seen[k.Value]; ok {
					p.errorf(k, f, "is written twice, on line %d and on line %d; write it once", first, k.Line)
				} else {
					seen[k.Value] = k.Line
				}
			}
			p.duplicates(n.Content[i+1], f)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p.duplicates(c, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// maxExpanded bounds the values a file's aliases may expand to, so that
// a few kilobytes of nested aliases ("billion laughs") cannot make the
// checks walk billions of nodes.
const maxExpanded = 100000

// expandedSize counts the nodes of n as if every alias were copied out,
// saturating past maxExpanded; a node that contains itself counts as too
// many.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int, open map[*yaml.Node]bool) int {
	if v, ok := memo[n]; ok {
		return v
	}
	if open[n] {
		return maxExpanded + 1
	}
	open[n] = true
	total := 1
	for _, c := range n.Content {
		total += expandedSize(c, memo, open)
		if total > maxExpanded {
			total = maxExpanded + 1
			break
		}
	}
	delete(open, n)
	memo[n] = total
	return total
}

// resolve replaces aliases by the nodes they name and applies merge keys
// (<<: *base), so that the rest of the parser sees plain mappings, as the
// reference parser does. Each node is resolved once, however many
// aliases name it.
func (p *parser) resolve(n *yaml.Node, done map[*yaml.Node]bool) {
	if done[n] {
		return
	}
	done[n] = true
	for i, c := range n.Content {
		for c.Kind == yaml.AliasNode && c.Alias != nil {
			c = c.Alias
		}
		n.Content[i] = c
	}
	if n.Kind == yaml.MappingNode {
		var merged []*yaml.Node
		has := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].ShortTag() != "!!merge" {
				merged = append(merged, n.Content[i], n.Content[i+1])
				has[n.Content[i].Value] = true
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].ShortTag() != "!!merge" {
				continue
			}
			srcs := []*yaml.Node{n.Content[i+1]}
			if srcs[0].Kind == yaml.SequenceNode {
				srcs = srcs[0].Content
			}
			for _, src := range srcs {
				for src.Kind == yaml.AliasNode && src.Alias != nil {
					src = src.Alias
				}
				if src.Kind != yaml.MappingNode {
					p.errorf(n.Content[i], "<<", "a merge key must name a mapping")
					continue
				}
				p.resolve(src, done) // its own merge keys first
				for j := 0; j+1 < len(src.Content); j += 2 {
					if k := src.Content[j].Value; !has[k] {
						merged = append(merged, src.Content[j], src.Content[j+1])
						has[k] = true
					}
				}
			}
		}
		n.Content = merged
	}
	for _, c := range n.Content {
		p.resolve(c, done)
	}
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
	// orgs holds, for each organisation the record gets, the node it
	// comes from, so that a cut names the line where it starts.
	orgs []*yaml.Node
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
// accepted as a list of one for isBasedOn and platforms, as the standard
// allows; elsewhere it is the wrong type, as in the reference parser.
func (p *parser) list(m *yaml.Node, path, k string, required bool) []*yaml.Node {
	n := key(m, k)
	f := join(path, k)
	switch {
	case n == nil:
		if required {
			p.errorf(m, f, "is required")
		}
		return nil
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		// An empty key is an absent one.
		if required {
			p.errorf(n, f, "is required")
		}
		return nil
	case n.Kind == yaml.ScalarNode && (f == "isBasedOn" || f == "platforms"):
		// The standard allows a single string for these two.
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
