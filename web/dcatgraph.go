package web

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// The DCAT-AP 3 vocabulary choices (classes, mandatory properties,
// cardinalities, EU authority IRIs, software as dcat:Dataset + adms:Asset)
// were checked against SEMIC's DCAT-AP 3.0.0 SHACL shapes and ADMS-AP for
// Joinup 2.0; docs/DCAT.md says what and how, and TestDCATSHACL
// validates the output against the shapes (web/testdata).

// A small RDF graph, enough for the DCAT-AP export: named nodes only (no
// blank nodes, so both serialisations are flat and stable), subjects and
// their statements in the order they were added. One model, two writers
// (JSON-LD and Turtle), so the two formats cannot drift apart.

// rdfPrefixes are the vocabularies the export uses, in @context order.
var rdfPrefixes = []struct{ prefix, iri string }{
	{"dcat", "http://www.w3.org/ns/dcat#"},
	{"dct", "http://purl.org/dc/terms/"},
	{"adms", "http://www.w3.org/ns/adms#"},
	{"foaf", "http://xmlns.com/foaf/0.1/"},
	{"vcard", "http://www.w3.org/2006/vcard/ns#"},
	{"owl", "http://www.w3.org/2002/07/owl#"},
	{"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
	{"xsd", "http://www.w3.org/2001/XMLSchema#"},
	{"hydra", "http://www.w3.org/ns/hydra/core#"},
	{"skos", "http://www.w3.org/2004/02/skos/core#"},
}

const rdfType = "rdf:type"

// rdfTerm is an object: an IRI, or a literal with a language or datatype.
type rdfTerm struct {
	IRI   string
	Value string
	Lang  string
	Type  string // a CURIE such as "xsd:dateTime"
}

func iri(s string) rdfTerm                     { return rdfTerm{IRI: s} }
func literal(s string) rdfTerm                 { return rdfTerm{Value: s} }
func langLiteral(s, lang string) rdfTerm       { return rdfTerm{Value: s, Lang: lang} }
func typedLiteral(s, typ string) rdfTerm       { return rdfTerm{Value: s, Type: typ} }
func (t rdfTerm) isIRI() bool                  { return t.IRI != "" }
func (g *rdfGraph) add(s, p string, o rdfTerm) { g.node(s).add(p, o) }

type rdfStatement struct {
	pred string // a CURIE, or rdfType
	obj  rdfTerm
}

type rdfNode struct {
	id    string
	types []string // CURIEs
	stmts []rdfStatement
}

// add adds a statement once: a graph is a set, so a repeated statement
// (the same page as homepage and documentation, say) is kept once and
// both serialisations count the same triples.
func (n *rdfNode) add(p string, o rdfTerm) {
	if p == rdfType {
		if !slices.Contains(n.types, o.IRI) {
			n.types = append(n.types, o.IRI)
		}
		return
	}
	st := rdfStatement{p, o}
	if !slices.Contains(n.stmts, st) {
		n.stmts = append(n.stmts, st)
	}
}

// rdfGraph keeps nodes in insertion order.
type rdfGraph struct {
	nodes []*rdfNode
	index map[string]*rdfNode
}

func newGraph() *rdfGraph { return &rdfGraph{index: map[string]*rdfNode{}} }

// node returns the node with the IRI, created at the end if new.
func (g *rdfGraph) node(id string) *rdfNode {
	if n, ok := g.index[id]; ok {
		return n
	}
	n := &rdfNode{id: id}
	g.nodes = append(g.nodes, n)
	g.index[id] = n
	return n
}

// expand turns a CURIE into its IRI.
func expand(curie string) string {
	if curie == rdfType {
		return "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
	}
	p, local, _ := strings.Cut(curie, ":")
	for _, v := range rdfPrefixes {
		if v.prefix == p {
			return v.iri + local
		}
	}
	return curie
}

// marshalJSONLD writes the graph as a JSON-LD document: one @context of
// prefixes and a flat @graph, each node with its @type and properties as
// arrays of {"@id"} or {"@value", "@language" | "@type"}.
func (g *rdfGraph) marshalJSONLD() ([]byte, error) {
	ctx := make(map[string]string, len(rdfPrefixes))
	for _, p := range rdfPrefixes {
		ctx[p.prefix] = p.iri
	}
	var buf bytes.Buffer
	buf.WriteString(`{"@context":`)
	b, err := json.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	buf.Write(b)
	buf.WriteString(`,"@graph":[`)
	for i, n := range g.nodes {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n")
		writeJSONNode(&buf, n)
	}
	buf.WriteString("\n]}\n")
	return buf.Bytes(), nil
}

func writeJSONNode(buf *bytes.Buffer, n *rdfNode) {
	buf.WriteString(`{"@id":`)
	writeJSONString(buf, n.id)
	if len(n.types) > 0 {
		buf.WriteString(`,"@type":[`)
		for i, t := range n.types {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, t)
		}
		buf.WriteByte(']')
	}
	order, values := groupStatements(n)
	for _, p := range order {
		buf.WriteByte(',')
		writeJSONString(buf, p)
		buf.WriteString(":[")
		for i, o := range values[p] {
			if i > 0 {
				buf.WriteByte(',')
			}
			switch {
			case o.isIRI():
				buf.WriteString(`{"@id":`)
				writeJSONString(buf, o.IRI)
			default:
				buf.WriteString(`{"@value":`)
				writeJSONString(buf, o.Value)
				if o.Lang != "" {
					buf.WriteString(`,"@language":`)
					writeJSONString(buf, o.Lang)
				} else if o.Type != "" {
					buf.WriteString(`,"@type":`)
					writeJSONString(buf, o.Type)
				}
			}
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals
	buf.Write(b)
}

// marshalTurtle writes the graph as Turtle: the header as comments, one
// @prefix line a vocabulary, then each subject once with `a` for its
// types and its statements grouped by predicate (`;` between predicates,
// `,` between objects). IRIs under a declared prefix are written as
// prefixed names when their local part is a plain name.
func (g *rdfGraph) marshalTurtle(header string) []byte {
	var buf bytes.Buffer
	for line := range strings.SplitSeq(header, "\n") {
		buf.WriteString("# ")
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	for _, p := range rdfPrefixes {
		buf.WriteString("@prefix " + p.prefix + ": ")
		writeIRI(&buf, p.iri)
		buf.WriteString(" .\n")
	}
	for _, n := range g.nodes {
		if len(n.types) == 0 && len(n.stmts) == 0 {
			continue
		}
		buf.WriteByte('\n')
		writeTurtleTerm(&buf, iri(n.id))
		sep := "\n    "
		if len(n.types) > 0 {
			buf.WriteString(sep + "a ")
			for i, t := range n.types {
				if i > 0 {
					buf.WriteString(", ")
				}
				writeTurtleTerm(&buf, iri(expand(t)))
			}
			sep = " ;\n    "
		}
		order, values := groupStatements(n)
		for _, p := range order {
			buf.WriteString(sep)
			writeTurtleTerm(&buf, iri(expand(p)))
			buf.WriteByte(' ')
			for i, o := range values[p] {
				if i > 0 {
					buf.WriteString(", ")
				}
				writeTurtleTerm(&buf, o)
			}
			sep = " ;\n    "
		}
		buf.WriteString(" .\n")
	}
	return buf.Bytes()
}

// groupStatements returns a node's predicates in first-seen order and
// the objects of each.
func groupStatements(n *rdfNode) ([]string, map[string][]rdfTerm) {
	var order []string
	values := map[string][]rdfTerm{}
	for _, s := range n.stmts {
		if _, ok := values[s.pred]; !ok {
			order = append(order, s.pred)
		}
		values[s.pred] = append(values[s.pred], s.obj)
	}
	return order, values
}

// writeTurtleTerm writes an IRI (as a prefixed name when it can be one)
// or a literal with its language or datatype.
func writeTurtleTerm(buf *bytes.Buffer, o rdfTerm) {
	if o.isIRI() {
		if name, ok := prefixedName(o.IRI); ok {
			buf.WriteString(name)
			return
		}
		writeIRI(buf, o.IRI)
		return
	}
	buf.WriteByte('"')
	buf.WriteString(escapeNT(o.Value))
	buf.WriteByte('"')
	if o.Lang != "" {
		buf.WriteByte('@')
		buf.WriteString(o.Lang)
	} else if o.Type != "" {
		buf.WriteString("^^")
		writeTurtleTerm(buf, iri(expand(o.Type)))
	}
}

// prefixedName returns "prefix:local" for an IRI under a declared prefix
// whose local part is letters, digits, '_' and '-' (not first): a subset
// of Turtle's PN_LOCAL that needs no escaping.
func prefixedName(s string) (string, bool) {
	for _, p := range rdfPrefixes {
		local, ok := strings.CutPrefix(s, p.iri)
		if !ok || local == "" || local[0] == '-' {
			continue
		}
		plain := true
		for _, r := range local {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				plain = false
				break
			}
		}
		if plain {
			return p.prefix + ":" + local, true
		}
	}
	return "", false
}

// writeIRI writes <iri>, escaping (as \uXXXX) what Turtle forbids inside one.
func writeIRI(buf *bytes.Buffer, s string) {
	buf.WriteByte('<')
	for _, r := range s {
		switch {
		case r <= 0x20 || strings.ContainsRune(`<>"{}|^`+"`\\", r):
			buf.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			buf.WriteString(strings.Repeat("0", 4-len(h)) + strings.ToUpper(h))
		default:
			buf.WriteRune(r)
		}
	}
	buf.WriteByte('>')
}

var ntEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)

func escapeNT(s string) string { return ntEscaper.Replace(s) }
