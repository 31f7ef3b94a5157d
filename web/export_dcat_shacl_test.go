package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"
)

// The catalogue is validated against DCAT-AP 3.0.0's own SHACL shapes
// (testdata/dcat-ap-3.0.0-shapes.ttl, an extract of SEMIC's file, read by
// rapper). No SHACL engine runs offline here, so shaclValidate implements
// the part of SHACL Core those shapes use, and refuses shapes that use
// any other part rather than ignoring it.

const (
	nsSH     = "http://www.w3.org/ns/shacl#"
	nsRDFS   = "http://www.w3.org/2000/01/rdf-schema#"
	rdfsRes  = nsRDFS + "Resource"
	nsXSDInt = "http://www.w3.org/2001/XMLSchema#"
)

// shaclProperty is one property shape: a predicate path and its
// constraints.
type shaclProperty struct {
	path               string
	minCount, maxCount int // -1 when absent
	class, datatype    string
}

type shaclShape struct {
	id, target string
	props      []shaclProperty
}

// graph is an RDF graph indexed for validation.
type graph struct {
	types map[string][]string             // subject → classes
	out   map[string]map[string][]ld.Node // subject → predicate → objects
}

func newIndexedGraph(quads []*ld.Quad) *graph {
	g := &graph{types: map[string][]string{}, out: map[string]map[string][]ld.Node{}}
	for _, q := range quads {
		s, p := q.Subject.GetValue(), q.Predicate.GetValue()
		if p == nsRDF {
			g.types[s] = append(g.types[s], q.Object.GetValue())
		}
		if g.out[s] == nil {
			g.out[s] = map[string][]ld.Node{}
		}
		g.out[s][p] = append(g.out[s][p], q.Object)
	}
	return g
}

func (g *graph) one(s, p string) string {
	if vs := g.out[s][p]; len(vs) == 1 {
		return vs[0].GetValue()
	}
	return ""
}

// shapesSupported are the predicates a property shape may have; any
// other is a constraint shaclValidate does not implement.
var shapesSupported = []string{nsSH + "path", nsSH + "minCount", nsSH + "maxCount", nsSH + "class", nsSH + "datatype"}

// loadShapes reads the vendored DCAT-AP shapes with rapper.
func loadShapes(t *testing.T) []shaclShape {
	t.Helper()
	out, err := exec.Command(rapperPath(t), "-q", "-i", "turtle", "-o", "ntriples", "testdata/dcat-ap-3.0.0-shapes.ttl").Output()
	if err != nil {
		t.Fatalf("rapper: read the shapes: %v", err)
	}
	ds, err := ld.ParseNQuads(string(out))
	if err != nil {
		t.Fatal(err)
	}
	sg := newIndexedGraph(ds.Graphs["@default"])
	var shapes []shaclShape
	for s, classes := range sg.types {
		if !slices.Contains(classes, nsSH+"NodeShape") {
			continue
		}
		sh := shaclShape{id: s, target: sg.one(s, nsSH+"targetClass")}
		for _, pn := range sg.out[s][nsSH+"property"] {
			p := pn.GetValue()
			for pred := range sg.out[p] {
				if !slices.Contains(shapesSupported, pred) {
					t.Fatalf("shape %s uses %s, which the test's validator does not implement", s, pred)
				}
			}
			prop := shaclProperty{path: sg.one(p, nsSH+"path"), minCount: -1, maxCount: -1,
				class: sg.one(p, nsSH+"class"), datatype: sg.one(p, nsSH+"datatype")}
			if v := sg.one(p, nsSH+"minCount"); v != "" {
				prop.minCount, _ = strconv.Atoi(v)
			}
			if v := sg.one(p, nsSH+"maxCount"); v != "" {
				prop.maxCount, _ = strconv.Atoi(v)
			}
			if prop.path == "" {
				t.Fatalf("shape %s has a property shape without a predicate path", s)
			}
			sh.props = append(sh.props, prop)
		}
		shapes = append(shapes, sh)
	}
	if len(shapes) < 8 {
		t.Fatalf("read %d shapes from the DCAT-AP file", len(shapes))
	}
	return shapes
}

// shaclValidate checks every node of each shape's target class against
// the shape and returns the violations, sorted, and how many nodes of
// each class it checked. sh:class rdfs:Resource holds for any IRI or
// blank node (every resource is one; DCAT-AP uses it for "any IRI").
func shaclValidate(shapes []shaclShape, g *graph) ([]string, map[string]int) {
	var violations []string
	checked := map[string]int{}
	for _, sh := range shapes {
		for node, classes := range g.types {
			if !slices.Contains(classes, sh.target) {
				continue
			}
			checked[sh.target]++
			for _, p := range sh.props {
				vs := g.out[node][p.path]
				fail := func(format string, a ...any) {
					violations = append(violations, fmt.Sprintf("<%s> <%s>: ", node, p.path)+fmt.Sprintf(format, a...))
				}
				if p.minCount >= 0 && len(vs) < p.minCount {
					fail("%d values, at least %d required (%s)", len(vs), p.minCount, sh.id)
				}
				if p.maxCount >= 0 && len(vs) > p.maxCount {
					fail("%d values, at most %d allowed (%s)", len(vs), p.maxCount, sh.id)
				}
				for _, v := range vs {
					_, isLit := v.(ld.Literal)
					_, isLitPtr := v.(*ld.Literal)
					literal := isLit || isLitPtr
					switch {
					case p.class == rdfsRes && literal:
						fail("literal %q is not a resource", v.GetValue())
					case p.class != "" && p.class != rdfsRes && !slices.Contains(g.types[v.GetValue()], p.class):
						fail("%s is not a %s", v.GetValue(), p.class)
					}
					if p.datatype != "" {
						if l, ok := v.(ld.Literal); !ok || l.Datatype != p.datatype {
							fail("%s is not a literal of type %s", v.GetValue(), p.datatype)
						}
					}
				}
			}
		}
	}
	slices.Sort(violations)
	return violations, checked
}

// jsonLDQuads runs a JSON-LD document through json-gold.
func jsonLDQuads(t *testing.T, b []byte) []*ld.Quad {
	t.Helper()
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = offlineLoader{}
	ds, err := ld.NewJsonLdProcessor().ToRDF(doc, opts)
	if err != nil {
		t.Fatalf("JSON-LD to RDF: %v", err)
	}
	return ds.(*ld.RDFDataset).Graphs["@default"]
}

func TestDCATSHACL(t *testing.T) {
	shapes := loadShapes(t)
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")
	// An EU data theme and another URL as sectors; two identifiers of
	// one scheme (each its own adms:Identifier with one skos:notation).
	s.post(t, mustReplace(t, mustReplace(t, richRecordJSON, `"sectors": ["government", "mobility; transport"]`,
		`"sectors": ["http://publications.europa.eu/resource/authority/data-theme/GOVE", "https://example.org/not-a-theme"]`),
		`"identifiers": [{"scheme": "wikidata", "value": "Q59655052"}]`, `"identifiers": [{"scheme": "wikidata", "value": "Q59655052"}, {"scheme": "wikidata", "value": "Q90"}]`))
	// A service with two licences: DCAT-AP allows one dct:license.
	s.post(t, mustReplace(t, mustReplace(t, recordJSON("api"), `"kinds": ["geodata", "community"]`, `"kinds": ["service"]`),
		`"licences": [{"expression": "ODbL-1.0"`, `"licences": [{"expression": "MIT"}, {"expression": "ODbL-1.0"`))
	// Two stewards: DCAT-AP allows one dct:publisher.
	s.post(t, mustReplace(t, mustReplace(t, recordJSON("editor"), `"kinds": ["geodata", "community"]`, `"kinds": ["software"]`),
		`"role": "steward"}]`, `"role": "steward"}, {"name": "Someone Else", "role": "steward"}]`))
	addRemote(t, s.db, "https://peer.example", "far")

	for _, route := range []string{"/catalog.jsonld", "/catalog.ttl"} {
		t.Run(strings.TrimPrefix(route, "/"), func(t *testing.T) {
			resp, b := s.do(t, req{Method: "GET", Route: route, Path: route})
			expect(t, resp, b, 200)
			var quads []*ld.Quad
			if strings.HasSuffix(route, ".ttl") {
				cmd := exec.Command(rapperPath(t), "-q", "-i", "turtle", "-o", "ntriples", "-", s.URL+route)
				cmd.Stdin = bytes.NewReader(b)
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("rapper: %v", err)
				}
				ds, err := ld.ParseNQuads(string(out))
				if err != nil {
					t.Fatal(err)
				}
				quads = ds.Graphs["@default"]
			} else {
				quads = jsonLDQuads(t, b)
			}
			violations, checked := shaclValidate(shapes, newIndexedGraph(quads))
			for _, v := range violations {
				t.Errorf("DCAT-AP 3 violation: %s", v)
			}
			// Every class the catalogue writes was checked, so the
			// test cannot pass by validating nothing.
			for _, class := range []string{nsDCAT + "Catalog", nsDCAT + "Dataset", nsDCAT + "DataService", nsDCAT + "Distribution",
				"http://xmlns.com/foaf/0.1/Agent", nsDCT + "LicenseDocument", "http://www.w3.org/ns/adms#Identifier",
				"http://www.w3.org/2004/02/skos/core#Concept", nsDCT + "Location", nsDCT + "LinguisticSystem",
				"http://www.w3.org/2006/vcard/ns#Kind", "http://xmlns.com/foaf/0.1/Document"} {
				if checked[class] == 0 {
					t.Errorf("no %s in the catalogue to validate", class)
				}
			}
		})
	}
}

// TestDCATSHACLRichRecords validates the catalogue of the UI tests'
// records too: funding, governance, several organisations and
// languages, the EU as a country.
func TestDCATSHACLRichRecords(t *testing.T) {
	shapes := loadShapes(t)
	s := newUIServer(t)
	resp, b := s.do(t, req{Method: "GET", Route: "/catalog.jsonld", Path: "/catalog.jsonld?limit=1000"})
	expect(t, resp, b, 200)
	g := newIndexedGraph(jsonLDQuads(t, b))
	violations, checked := shaclValidate(shapes, g)
	for _, v := range violations {
		t.Errorf("DCAT-AP 3 violation: %s", v)
	}
	if checked[nsDCAT+"Dataset"] < 3 {
		t.Errorf("validated %d datasets", checked[nsDCAT+"Dataset"])
	}
	if !slices.Contains(g.types["http://publications.europa.eu/resource/authority/country/EUR"], nsDCT+"Location") {
		t.Error("the EU is not the dct:Location …/country/EUR")
	}
}

// mustReplace replaces old, which must be in s, once.
func mustReplace(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("fixture lacks %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestDCATSHACLValidatorCatches shows the validator finds what DCAT-AP
// forbids: a dataset without title or description, a distribution with
// two licences and no access URL, a licence not typed as a licence, an
// agent without a name.
func TestDCATSHACLValidatorCatches(t *testing.T) {
	shapes := loadShapes(t)
	doc := `{"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/"},
	"@graph": [
	{"@id": "https://x.example/d", "@type": "dcat:Dataset", "dct:publisher": {"@id": "https://x.example/p"},
	 "dcat:distribution": {"@id": "https://x.example/d#1"}},
	{"@id": "https://x.example/p", "@type": "foaf:Agent"},
	{"@id": "https://x.example/d#1", "@type": "dcat:Distribution",
	 "dct:license": [{"@id": "http://spdx.org/licenses/MIT"}, {"@id": "http://spdx.org/licenses/0BSD"}]}
	]}`
	violations, _ := shaclValidate(shapes, newIndexedGraph(jsonLDQuads(t, []byte(doc))))
	want := []string{
		"<https://x.example/d#1> <http://purl.org/dc/terms/license>: 2 values, at most 1 allowed",
		"<https://x.example/d#1> <http://purl.org/dc/terms/license>: http://spdx.org/licenses/0BSD is not a http://purl.org/dc/terms/LicenseDocument",
		"<https://x.example/d#1> <http://purl.org/dc/terms/license>: http://spdx.org/licenses/MIT is not a http://purl.org/dc/terms/LicenseDocument",
		"<https://x.example/d#1> <http://www.w3.org/ns/dcat#accessURL>: 0 values, at least 1 required",
		"<https://x.example/d> <http://purl.org/dc/terms/description>: 0 values, at least 1 required",
		"<https://x.example/d> <http://purl.org/dc/terms/title>: 0 values, at least 1 required",
		"<https://x.example/p> <http://xmlns.com/foaf/0.1/name>: 0 values, at least 1 required",
	}
	if len(violations) != len(want) {
		t.Fatalf("violations:\n%s\nwant %d", strings.Join(violations, "\n"), len(want))
	}
	for i, v := range violations {
		if !strings.HasPrefix(v, want[i]) {
			t.Errorf("violation %d: %s\nwant %s…", i, v, want[i])
		}
	}
}
