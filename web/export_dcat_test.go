package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"
)

// offlineLoader refuses every remote document: the catalogue must carry
// its whole @context inline.
type offlineLoader struct{}

func (offlineLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	return nil, errors.New("the catalogue fetched " + u)
}

// rdfSet is a graph as a set of "subject predicate object" lines, with
// CURIEs expanded, the form tests look triples up in.
type rdfSet map[string]bool

func nodeKey(n ld.Node) string {
	switch v := n.(type) {
	case ld.IRI:
		return "<" + v.Value + ">"
	case *ld.IRI:
		return "<" + v.Value + ">"
	case ld.Literal:
		return literalKey(v)
	case *ld.Literal:
		return literalKey(*v)
	}
	return "_:" + n.GetValue()
}

func literalKey(l ld.Literal) string {
	if l.Language != "" {
		return `"` + l.Value + `"@` + l.Language
	}
	if l.Datatype != "" && l.Datatype != "http://www.w3.org/2001/XMLSchema#string" {
		return `"` + l.Value + `"^^<` + l.Datatype + `>`
	}
	return `"` + l.Value + `"`
}

func toSet(t *testing.T, ds *ld.RDFDataset) rdfSet {
	t.Helper()
	set := rdfSet{}
	for _, q := range ds.Graphs["@default"] {
		if _, blank := q.Subject.(ld.BlankNode); blank {
			t.Errorf("blank node subject %v: the catalogue names every node", q.Subject)
		}
		set[nodeKey(q.Subject)+" "+nodeKey(q.Predicate)+" "+nodeKey(q.Object)] = true
	}
	return set
}

// jsonLDSet runs a JSON-LD document through json-gold.
func jsonLDSet(t *testing.T, b []byte) rdfSet {
	t.Helper()
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = offlineLoader{}
	opts.Format = "application/n-quads"
	out, err := ld.NewJsonLdProcessor().ToRDF(doc, opts)
	if err != nil {
		t.Fatalf("JSON-LD to RDF: %v", err)
	}
	ds, err := ld.ParseNQuads(out.(string))
	if err != nil {
		t.Fatal(err)
	}
	return toSet(t, ds)
}

// rapperPath finds Debian's raptor2-utils Turtle parser. CI installs it
// (.ci/run) and a missing one fails there; elsewhere the test skips with
// the command that installs it.
func rapperPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("rapper")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("rapper (Debian raptor2-utils) is not installed: .ci/run installs it")
		}
		t.Skip("rapper not installed: apt-get install raptor2-utils to check the Turtle with a real parser")
	}
	return path
}

// turtleSet parses Turtle with rapper, a real Turtle parser, into the
// graph's triples, and returns them with the number of triples rapper
// reports.
func turtleSet(t *testing.T, b []byte, base string) (rdfSet, int) {
	t.Helper()
	cmd := exec.Command(rapperPath(t), "-i", "turtle", "-o", "ntriples", "-", base)
	cmd.Stdin = bytes.NewReader(b)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rapper rejects the Turtle: %v\n%s\n%s", err, stderr.String(), b)
	}
	if strings.Contains(stderr.String(), "Warning") || strings.Contains(stderr.String(), "Error") {
		t.Errorf("rapper: %s", stderr.String())
	}
	m := regexp.MustCompile(`returned (\d+) triples`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("rapper gave no triple count: %s", stderr.String())
	}
	n, _ := strconv.Atoi(m[1])
	ds, err := ld.ParseNQuads(stdout.String())
	if err != nil {
		t.Fatalf("read rapper's N-Triples: %v", err)
	}
	return toSet(t, ds), n
}

const (
	nsDCAT  = "http://www.w3.org/ns/dcat#"
	nsDCT   = "http://purl.org/dc/terms/"
	nsRDF   = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
	nsHydra = "http://www.w3.org/ns/hydra/core#"
)

// objects returns the objects of subject s and predicate p.
func (g rdfSet) objects(s, p string) []string {
	var out []string
	prefix := "<" + s + "> <" + p + "> "
	for k := range g {
		if o, ok := strings.CutPrefix(k, prefix); ok {
			out = append(out, o)
		}
	}
	slices.Sort(out)
	return out
}

// subjects returns the subjects of type class.
func (g rdfSet) subjects(class string) []string {
	var out []string
	suffix := " <" + nsRDF + "> <" + class + ">"
	for k := range g {
		if s, ok := strings.CutSuffix(k, suffix); ok {
			out = append(out, strings.Trim(s, "<>"))
		}
	}
	slices.Sort(out)
	return out
}

func (g rdfSet) has(s, p, o string) bool { return g[s+" "+p+" "+o] }

func TestDCATCatalog(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm") // geodata
	s.post(t, richRecordJSON)
	s.post(t, strings.Replace(strings.Replace(recordJSON("api"), `"kinds": ["geodata", "community"]`, `"kinds": ["service"]`, 1), `"ODbL-1.0"`, `"MIT OR Apache-2.0"`, 1))
	s.post(t, strings.Replace(recordJSON("editor"), `"kinds": ["geodata", "community"]`, `"kinds": ["software"]`, 1))
	addRemote(t, s.db, "https://peer.example", "far")
	root := s.URL + "/catalog"

	resp, b := s.do(t, req{Method: "GET", Route: "/catalog.jsonld", Path: "/catalog.jsonld"})
	expect(t, resp, b, 200)
	g := jsonLDSet(t, b)

	t.Run("Catalog", func(t *testing.T) {
		if !slices.Contains(g.subjects(nsDCAT+"Catalog"), root) {
			t.Fatalf("no dcat:Catalog %s; catalogues %v", root, g.subjects(nsDCAT+"Catalog"))
		}
		for _, p := range []string{nsDCT + "title", nsDCT + "description", nsDCT + "publisher", "http://xmlns.com/foaf/0.1/homepage", nsDCT + "language", nsDCT + "modified"} {
			if len(g.objects(root, p)) == 0 {
				t.Errorf("the catalogue has no %s", p)
			}
		}
		if !g.has("<"+root+">", "<"+nsDCT+"language>", "<http://publications.europa.eu/resource/authority/language/FRA>") {
			t.Errorf("languages %v", g.objects(root, nsDCT+"language"))
		}
	})
	t.Run("Records", func(t *testing.T) {
		datasets := g.objects(root, nsDCAT+"dataset")
		want := []string{"<" + s.URL + "/records/ban>", "<" + s.URL + "/records/editor>", "<" + s.URL + "/records/osm>"}
		if !slices.Equal(datasets, want) {
			t.Errorf("datasets %v, want %v", datasets, want)
		}
		if svc := g.objects(root, nsDCAT+"service"); !slices.Equal(svc, []string{"<" + s.URL + "/records/api>"}) {
			t.Errorf("services %v", svc)
		}
		for _, slug := range []string{"osm", "ban", "api", "editor"} {
			id := s.URL + "/records/" + slug
			for _, p := range []string{"title", "description", "modified", "identifier"} {
				if len(g.objects(id, nsDCT+p)) == 0 {
					t.Errorf("%s has no dct:%s", slug, p)
				}
			}
		}
		ban := s.URL + "/records/ban"
		checks := []struct{ s, p, o string }{
			{ban, nsDCT + "title", `"Base Adresse Nationale"@fr`},
			{ban, nsDCT + "spatial", "<http://publications.europa.eu/resource/authority/country/FRA>"},
			{ban, nsDCAT + "keyword", `"géocodage"`},
			{ban, nsDCAT + "landingPage", "<https://adresse.data.gouv.fr>"},
			{ban, nsDCAT + "contactPoint", "<" + ban + "#contact>"},
			{ban + "#distribution-0", nsDCAT + "accessURL", "<https://github.com/BaseAdresseNationale>"},
			{ban + "#distribution-0", nsDCT + "license", "<http://spdx.org/licenses/etalab-2.0>"},
			{ban, "http://www.w3.org/2002/07/owl#sameAs", "<http://www.wikidata.org/entity/Q59655052>"},
			{ban, "http://www.w3.org/ns/adms#status", "<http://purl.org/adms/status/Completed>"},
			{s.URL + "/records/editor", nsRDF, "<http://www.w3.org/ns/adms#Asset>"},
			{s.URL + "/records/api", nsDCAT + "endpointURL", "<https://www.openstreetmap.org>"},
			{s.URL + "/records/api#licence-0", "http://www.w3.org/2000/01/rdf-schema#label", `"MIT OR Apache-2.0"`},
		}
		for _, c := range checks {
			if !g.has("<"+c.s+">", "<"+c.p+">", c.o) {
				t.Errorf("missing %s %s %s; have %v", c.s, c.p, c.o, g.objects(c.s, c.p))
			}
		}
	})
	t.Run("RemoteSubCatalogue", func(t *testing.T) {
		sub := "https://peer.example/catalog"
		if !g.has("<"+root+">", "<"+nsDCT+"hasPart>", "<"+sub+">") || !g.has("<"+sub+">", "<"+nsRDF+">", "<"+nsDCAT+"Catalog>") {
			t.Fatalf("no sub-catalogue for the peer: %v", g.objects(root, nsDCT+"hasPart"))
		}
		if !g.has("<"+sub+">", "<"+nsDCAT+"dataset>", "<https://peer.example/records/far>") || len(g.objects(sub, nsDCT+"title")) == 0 || len(g.objects(sub, nsDCT+"description")) == 0 {
			t.Errorf("sub-catalogue: %v", g.objects(sub, nsDCAT+"dataset"))
		}
		if slices.Contains(g.objects(root, nsDCAT+"dataset"), "<https://peer.example/records/far>") {
			t.Error("a remote record is listed in the local catalogue")
		}
	})
	t.Run("TurtleSameGraph", func(t *testing.T) {
		resp, ttl := s.do(t, req{Method: "GET", Route: "/catalog.ttl", Path: "/catalog.ttl"})
		expect(t, resp, ttl, 200)
		for _, want := range []string{"@prefix dcat: <http://www.w3.org/ns/dcat#> .", "\n    a dcat:Catalog ;\n", "dct:title "} {
			if !strings.Contains(string(ttl), want) {
				t.Errorf("the Turtle lacks %q (prefixes, `a`, subjects grouped):\n%s", want, ttl)
			}
		}
		parsed, count := turtleSet(t, ttl, s.URL+"/catalog.ttl")
		tg := rdfSet{}
		for k := range parsed {
			// The Hydra view is the page's own URL, which differs.
			tg[strings.ReplaceAll(k, s.URL+"/catalog.ttl", s.URL+"/catalog.jsonld")] = true
		}
		for k := range g {
			if !tg[k] {
				t.Errorf("Turtle lacks %s", k)
			}
		}
		for k := range tg {
			if !g[k] {
				t.Errorf("JSON-LD lacks %s", k)
			}
		}
		if count != len(g) || len(tg) != len(g) {
			t.Errorf("rapper counts %d triples (%d distinct), json-gold %d", count, len(tg), len(g))
		}
	})
	t.Run("Negotiation", func(t *testing.T) {
		for accept, want := range map[string]string{"": "application/ld+json", "text/turtle": "text/turtle", "application/ld+json, text/turtle;q=0.5": "application/ld+json"} {
			resp, b := s.do(t, req{Method: "GET", Route: "/catalog", Path: "/catalog", Header: map[string]string{"Accept": accept}})
			expect(t, resp, b, 200)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, want) {
				t.Errorf("Accept %q: Content-Type %q, want %s", accept, ct, want)
			}
			tag := resp.Header.Get("ETag")
			resp, b = s.do(t, req{Method: "GET", Route: "/catalog", Path: "/catalog", Header: map[string]string{"Accept": accept, "If-None-Match": tag}})
			expect(t, resp, b, 304)
		}
		for _, route := range []string{"/catalog.jsonld", "/catalog.ttl"} {
			resp, _ := s.do(t, req{Method: "GET", Route: route, Path: route})
			resp, b := s.do(t, req{Method: "GET", Route: route, Path: route, Header: map[string]string{"If-None-Match": resp.Header.Get("ETag")}})
			expect(t, resp, b, 304)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		var seen []string
		next := "/catalog.jsonld?limit=2"
		for pages := 0; next != ""; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			resp, b := s.do(t, req{Method: "GET", Route: "/catalog.jsonld", Path: next})
			expect(t, resp, b, 200)
			pg := jsonLDSet(t, b)
			views := pg.subjects(nsHydra + "PartialCollectionView")
			if len(views) != 1 || views[0] != s.URL+next {
				t.Fatalf("view %v, want %s", views, s.URL+next)
			}
			if total := pg.objects(views[0], nsHydra+"totalItems"); len(total) != 1 || !strings.HasPrefix(total[0], `"5"`) {
				t.Errorf("totalItems %v", total)
			}
			if first := pg.objects(views[0], nsHydra+"first"); len(first) != 1 || first[0] != "<"+s.URL+"/catalog.jsonld?limit=2>" {
				t.Errorf("first %v", first)
			}
			ids := append(pg.objects(root, nsDCAT+"dataset"), pg.objects(root, nsDCAT+"service")...)
			ids = append(ids, pg.objects("https://peer.example/catalog", nsDCAT+"dataset")...)
			if len(ids) == 0 || len(ids) > 2 {
				t.Errorf("page %s lists %v", next, ids)
			}
			seen = append(seen, ids...)
			next = ""
			if n := pg.objects(views[0], nsHydra+"next"); len(n) == 1 {
				u, _ := url.Parse(strings.Trim(n[0], "<>"))
				next = u.RequestURI()
			}
		}
		if len(seen) != 5 {
			t.Errorf("pages listed %d records, want 5: %v", len(seen), seen)
		}
	})
	t.Run("ModifiedSince", func(t *testing.T) {
		resp, b := s.do(t, req{Method: "GET", Route: "/catalog.jsonld", Path: "/catalog.jsonld?modified_since=2999-01-01"})
		expect(t, resp, b, 200)
		if pg := jsonLDSet(t, b); len(pg.objects(root, nsDCAT+"dataset")) != 0 {
			t.Errorf("records modified after 2999: %v", pg.objects(root, nsDCAT+"dataset"))
		}
		resp, b = s.do(t, req{Method: "GET", Route: "/catalog.jsonld", Path: "/catalog.jsonld?modified_since=2000-01-01T00:00:00Z"})
		expect(t, resp, b, 200)
		if pg := jsonLDSet(t, b); len(pg.objects(root, nsDCAT+"dataset")) != 3 {
			t.Errorf("records modified since 2000: %v", pg.objects(root, nsDCAT+"dataset"))
		}
	})
	t.Run("BadParameters", func(t *testing.T) {
		for _, tt := range []struct{ route, query, field string }{
			{"/catalog.jsonld", "modified_since=yesterday", "modified_since"},
			{"/catalog.ttl", "limit=1001", "limit"},
			{"/catalog", "limit=zero", "limit"},
			{"/catalog.jsonld", "page=not-a-cursor", "page"},
		} {
			resp, b := s.do(t, req{Method: "GET", Route: tt.route, Path: tt.route + "?" + tt.query, Header: map[string]string{"Accept": "application/json"}})
			expect(t, resp, b, 400)
			if p := problemOf(t, b); len(p.Errors) != 1 || p.Errors[0].Field != tt.field {
				t.Errorf("%s?%s: problem %+v", tt.route, tt.query, p)
			}
		}
	})
}

func TestDCATCatalogBroken(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"/catalog", "/catalog.jsonld", "/catalog.ttl"} {
		resp, b := s.do(t, req{Method: "GET", Route: route, Path: route})
		expect(t, resp, b, http.StatusInternalServerError)
	}
}

// TestDCATTurtleEscapes writes texts and IRIs that need escaping in
// Turtle (quotes, backslashes, line breaks, tabs, non-ASCII, a query
// string) and checks rapper reads back the graph json-gold reads from
// the JSON-LD.
func TestDCATTurtleEscapes(t *testing.T) {
	s := newTestServer(t, spec, nil)
	rec := mustReplace(t, recordJSON("odd"), `"kinds": ["geodata", "community"]`, `"kinds": ["data"], "description": {"en": "A \"quoted\" \\ backslash,\nline two\tand a tab; été ✓"}, "keywords": ["a;b", "c\\\"d"]`)
	rec = mustReplace(t, rec, `"https://www.openstreetmap.org"`, `"https://example.org/x?a=1&b=%20c#frag"`)
	s.post(t, rec)
	_, js := s.do(t, req{Method: "GET", Route: "/catalog.jsonld", Path: "/catalog.jsonld"})
	resp, ttl := s.do(t, req{Method: "GET", Route: "/catalog.ttl", Path: "/catalog.ttl"})
	expect(t, resp, ttl, 200)
	g := jsonLDSet(t, js)
	parsed, count := turtleSet(t, ttl, s.URL+"/catalog.ttl")
	tg := rdfSet{}
	for k := range parsed {
		tg[strings.ReplaceAll(k, s.URL+"/catalog.ttl", s.URL+"/catalog.jsonld")] = true
	}
	if !g.has("<"+s.URL+"/records/odd>", "<"+nsDCT+"description>", "\"A \"quoted\" \\ backslash,\nline two\tand a tab; été ✓\"@en") {
		t.Errorf("description: %v", g.objects(s.URL+"/records/odd", nsDCT+"description"))
	}
	for k := range g {
		if !tg[k] {
			t.Errorf("Turtle lacks %s", k)
		}
	}
	if count != len(g) || len(tg) != len(g) {
		t.Errorf("rapper counts %d triples (%d distinct), json-gold %d", count, len(tg), len(g))
	}
}
