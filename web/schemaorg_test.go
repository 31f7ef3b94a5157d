package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/piprate/json-gold/ld"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if intended):\n%s", name, got)
	}
}

// fixedTime is the provenance date of the example records.
var fixedTime = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// softwareRecord is a software record touching every mapped field.
func softwareRecord() *commons.Record {
	return &commons.Record{
		ID:          "https://commons.example.eu/records/decidim",
		Slug:        "decidim",
		Name:        commons.Text{"en": "Decidim", "ca": "Decidim"},
		Summary:     commons.Text{"en": "Participatory democracy for cities.", "es": "Democracia participativa para ciudades."},
		Description: commons.Text{"en": "Proposals, debates </script><script>alert(1)</script> & budgets."},
		Kinds:       []string{"software", "community"},
		Keywords:    []string{"participation", "e-democracy"},
		Countries:   []commons.Country{{Code: "ES", Role: "origin"}, {Code: "EU", Role: "intended-for"}},
		Languages:   []string{"ca", "en", "es"},
		Licences:    []commons.Licence{{Expression: "AGPL-3.0-or-later", AppliesTo: "code"}, {Expression: "CC-BY-SA-4.0 OR LicenseRef-decidim", AppliesTo: "docs"}},
		Status:      "stable",
		Organisations: []commons.Organisation{
			{Name: "Decidim Association", URL: "https://decidim.org/association", Role: "steward"},
			{Name: "Barcelona City Council", Role: "funder"},
			{Name: "Codegram", Role: "contractor"},
			{Name: "Helsinki", Role: "user"},
		},
		Funding: &commons.Funding{Channels: []commons.FundingChannel{
			{Kind: "donation", URL: "https://opencollective.com/decidim", Label: "Open Collective"},
			{Kind: "membership", URL: "https://decidim.org/association/join"},
		}},
		Links:       commons.Links{Homepage: "https://decidim.org", Repository: "https://github.com/decidim/decidim"},
		Identifiers: []commons.Identifier{{Scheme: "wikidata", Value: "Q36934834"}, {Scheme: "publiccode", Value: "https://github.com/decidim/decidim"}},
		Provenance:  commons.Provenance{Origin: "https://commons.example.eu", Source: "manual", Created: fixedTime, Updated: fixedTime.Add(48 * time.Hour), Version: 3},
	}
}

// geodataRecord is a geodata record with few fields.
func geodataRecord() *commons.Record {
	return &commons.Record{
		ID:         "https://other.example.org/records/ban",
		Slug:       "ban",
		Name:       commons.Text{"fr": "Base Adresse Nationale"},
		Summary:    commons.Text{"fr": "Les adresses de France."},
		Kinds:      []string{"geodata", "data"},
		Countries:  []commons.Country{{Code: "FR", Role: "deployed-in"}},
		Languages:  []string{"fr"},
		Licences:   []commons.Licence{{Expression: "etalab-2.0"}},
		Status:     "maintained-only",
		Links:      commons.Links{Homepage: "https://adresse.data.gouv.fr"},
		Provenance: commons.Provenance{Origin: "https://other.example.org", Source: "federated", Created: fixedTime, Updated: fixedTime, Version: 1},
	}
}

func TestSchemaOrgTypes(t *testing.T) {
	tests := []struct {
		kinds []string
		repo  string
		want  []string
	}{
		{[]string{"software"}, "https://git.example/x", []string{"SoftwareSourceCode"}},
		{[]string{"software"}, "", []string{"SoftwareApplication"}},
		{[]string{"data", "geodata"}, "", []string{"Dataset"}},
		{[]string{"standard"}, "", []string{"CreativeWork"}},
		{[]string{"knowledge", "ai-model"}, "", []string{"CreativeWork"}},
		{[]string{"hardware", "service"}, "", []string{"Product", "Service"}},
		{[]string{"community"}, "", []string{"Organization"}},
		{nil, "", []string{"CreativeWork"}},
	}
	for _, tt := range tests {
		rec := &commons.Record{Kinds: tt.kinds, Links: commons.Links{Repository: tt.repo}}
		if got := schemaTypes(rec); !slices.Equal(got, tt.want) {
			t.Errorf("kinds %v repo %q: types %v, want %v", tt.kinds, tt.repo, got, tt.want)
		}
	}
}

func TestSchemaOrgGolden(t *testing.T) {
	for name, rec := range map[string]*commons.Record{"software": softwareRecord(), "geodata": geodataRecord()} {
		t.Run(name, func(t *testing.T) {
			b, err := marshalSchemaOrg(rec)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "schemaorg-"+name+".jsonld", append(b, '\n'))
		})
	}
}

// schemaOrgLoader serves a minimal local copy of the schema.org context
// and refuses every other URL, so the tests never go online.
type schemaOrgLoader struct{}

// schemaOrgContext is the part of https://schema.org/docs/jsonldcontext.jsonld
// the exports use: the vocabulary and the properties whose values are IRIs.
const schemaOrgContext = `{"@context": {
	"@vocab": "https://schema.org/",
	"url": {"@type": "@id"}, "sameAs": {"@type": "@id"}, "license": {"@type": "@id"},
	"codeRepository": {"@type": "@id"}, "target": {"@type": "@id"},
	"dateCreated": {"@type": "Date"}, "dateModified": {"@type": "Date"}
}}`

func (schemaOrgLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	if strings.TrimSuffix(u, "/") != schemaContext {
		return nil, errors.New("offline test: refusing to load " + u)
	}
	doc, err := ld.DocumentFromReader(strings.NewReader(schemaOrgContext))
	if err != nil {
		return nil, err
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// TestSchemaOrgJSONLD runs the documents through a JSON-LD processor
// (json-gold, with the context served locally) and checks the triples.
func TestSchemaOrgJSONLD(t *testing.T) {
	tests := []struct {
		rec  *commons.Record
		want []string // N-Quads lines the RDF must hold
		not  []string // substrings it must not hold
	}{
		{softwareRecord(), []string{
			`<https://commons.example.eu/records/decidim> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/SoftwareSourceCode> .`,
			`<https://commons.example.eu/records/decidim> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Organization> .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/name> "Decidim"@ca .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/abstract> "Democracia participativa para ciudades."@es .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/codeRepository> <https://github.com/decidim/decidim> .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/sameAs> <https://www.wikidata.org/wiki/Q36934834> .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/license> <https://spdx.org/licenses/AGPL-3.0-or-later> .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/license> <https://spdx.org/licenses/CC-BY-SA-4.0> .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/url> <https://decidim.org> .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/creativeWorkStatus> "stable" .`,
			`<https://commons.example.eu/records/decidim> <https://schema.org/dateModified> "2026-03-16T09:26:53Z"^^<https://schema.org/Date> .`,
		}, []string{"LicenseRef", "Helsinki"}},
		{geodataRecord(), []string{
			`<https://other.example.org/records/ban> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Dataset> .`,
			`<https://other.example.org/records/ban> <https://schema.org/name> "Base Adresse Nationale"@fr .`,
			`<https://other.example.org/records/ban> <https://schema.org/license> <https://spdx.org/licenses/etalab-2.0> .`,
			`<https://other.example.org/records/ban> <https://schema.org/inLanguage> "fr" .`,
		}, []string{"codeRepository", "SoftwareSourceCode"}},
	}
	proc := ld.NewJsonLdProcessor()
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = schemaOrgLoader{}
	opts.Format = "application/n-quads"
	for _, tt := range tests {
		t.Run(tt.rec.Slug, func(t *testing.T) {
			b, err := marshalSchemaOrg(tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			out, err := proc.ToRDF(doc, opts)
			if err != nil {
				t.Fatalf("JSON-LD to RDF: %v", err)
			}
			nq := out.(string)
			for _, w := range tt.want {
				if !strings.Contains(nq, w+"\n") {
					t.Errorf("RDF lacks %s\n%s", w, nq)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(nq, n) {
					t.Errorf("RDF holds %q\n%s", n, nq)
				}
			}
			// Organisations by role, and the donation channel only.
			for _, w := range []string{"https://schema.org/maintainer", "https://schema.org/funder", "https://schema.org/DonateAction"} {
				if strings.Contains(nq, w) != (tt.rec.Slug == "decidim") {
					t.Errorf("RDF holding %s is %v", w, !(tt.rec.Slug == "decidim"))
				}
			}
			if strings.Contains(nq, "association/join") {
				t.Error("a membership channel became a DonateAction")
			}
		})
	}
}

// ldScript finds the page's JSON-LD data block.
var ldScript = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)

// TestSchemaOrgServed checks /records/{slug}.jsonld and the block the
// record page embeds: the same document, which a description holding
// "</script>" cannot break out of.
func TestSchemaOrgServed(t *testing.T) {
	s := newTestServer(t, spec, nil)
	body := strings.Replace(recordJSON("osm"), `"A **map**`, `"</script><script>alert(1)</script> A **map**`, 1)
	resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: body})
	expect(t, resp, b, http.StatusCreated)
	tag := resp.Header.Get("ETag")
	// No slug ends in .jsonld, so the format route never shadows a record.
	resp, b = s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: recordJSON("osm.jsonld")})
	expect(t, resp, b, http.StatusBadRequest)

	resp, ld := s.do(t, req{Method: "GET", Route: "/records/{slug}.jsonld", Path: "/records/osm.jsonld"})
	expect(t, resp, ld, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != mediaJSONLD {
		t.Errorf("Content-Type = %q", ct)
	}
	rec, err := s.db.Record(t.Context(), "osm")
	if err != nil {
		t.Fatal(err)
	}
	want, err := marshalSchemaOrg(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ld, append(want, '\n')) {
		t.Errorf("served document differs from schemaOrg:\n%s", ld)
	}

	resp, b = s.do(t, req{Method: "GET", Route: "/records/{slug}.jsonld", Path: "/records/osm.jsonld", Header: map[string]string{"If-None-Match": resp.Header.Get("ETag")}})
	expect(t, resp, b, http.StatusNotModified)
	resp, b = s.do(t, req{Method: "GET", Route: "/records/{slug}.jsonld", Path: "/records/osm.jsonld", Header: map[string]string{"If-None-Match": `"other"`}})
	expect(t, resp, b, http.StatusOK)

	_, page := s.do(t, req{Method: "GET", Route: "/records/{slug}", Path: "/records/osm", Header: map[string]string{"Accept": "text/html"}})
	if !strings.Contains(string(page), `<a href="/records/osm.jsonld" type="application/ld+json">`) {
		t.Error("the record page does not link its JSON-LD")
	}
	blocks := ldScript.FindAllSubmatch(page, -1)
	if len(blocks) != 1 {
		t.Fatalf("page has %d JSON-LD blocks, want 1:\n%s", len(blocks), page)
	}
	if !bytes.Equal(blocks[0][1], want) {
		t.Errorf("embedded block differs from the served document:\n%s", blocks[0][1])
	}
	if n := strings.Count(string(page), "<script"); n != 1 {
		t.Errorf("page has %d script elements, want the data block only", n)
	}
	if strings.Contains(html.UnescapeString(string(blocks[0][1])), "</script>") {
		t.Error("the block holds a raw </script>")
	}

	for _, tt := range []struct {
		path, accept string
		status       int
	}{
		{"/records/nope.jsonld", "application/ld+json", http.StatusNotFound},
		{"/records/nope.jsonld", "text/html", http.StatusNotFound},
	} {
		resp, b := s.do(t, req{Method: "GET", Route: "/records/{slug}.jsonld", Path: tt.path, Header: map[string]string{"Accept": tt.accept}})
		expect(t, resp, b, tt.status)
	}
	resp, b = s.do(t, req{Method: "DELETE", Route: "/api/v1/records/{slug}", Path: "/api/v1/records/osm", Header: auth(s.editor, "If-Match", tag)})
	expect(t, resp, b, http.StatusNoContent)
	for _, accept := range []string{"application/ld+json", "text/html"} {
		resp, b = s.do(t, req{Method: "GET", Route: "/records/{slug}.jsonld", Path: "/records/osm.jsonld", Header: map[string]string{"Accept": accept}})
		expect(t, resp, b, http.StatusGone)
	}
}

// TestSchemaOrgNotCreativeWork checks that an Organization, Product or
// Service gets no CreativeWork-only property, and its summary stands in
// for a missing description.
func TestSchemaOrgNotCreativeWork(t *testing.T) {
	rec := geodataRecord()
	rec.Kinds = []string{"community", "service"}
	d := schemaOrg(rec)
	if d.Abstract != nil || d.License != nil || d.InLanguage != nil || d.CreativeWorkStatus != "" || d.DateModified != "" || d.SDPublisher != nil {
		t.Errorf("CreativeWork properties on %v: %+v", d.Type, d)
	}
	if len(d.Description) != 1 || d.Description[0].Value != "Les adresses de France." {
		t.Errorf("description = %+v, want the summary", d.Description)
	}
	rec.Description = commons.Text{"fr": "Longue description."}
	if d := schemaOrg(rec); len(d.Description) != 1 || d.Description[0].Value != "Longue description." {
		t.Errorf("description = %+v, want the description only", d.Description)
	}
}
