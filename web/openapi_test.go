package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/gorilla/mux"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// specURL is where the compiler files the embedded document.
const specURL = "file:///commons/openapi.json"

// apiSpec validates real responses against the embedded OpenAPI document:
// for each response it finds the operation, the declared status and
// content type, and validates the body against that schema with a JSON
// Schema 2020-12 validator (santhosh-tekuri/jsonschema, format assertions
// on). It also records which documented responses a test run exercised.
type apiSpec struct {
	doc map[string]any
	c   *jsonschema.Compiler

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
	seen    map[string]bool // "GET /api/v1/records/{slug} 200"
}

func loadSpec(t testing.TB) *apiSpec {
	t.Helper()
	sp, err := newSpec()
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func newSpec() (*apiSpec, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPI))
	if err != nil {
		return nil, fmt.Errorf("parse openapi.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(specURL, doc); err != nil {
		return nil, fmt.Errorf("add openapi.json: %w", err)
	}
	return &apiSpec{doc: doc.(map[string]any), c: c, schemas: map[string]*jsonschema.Schema{}, seen: map[string]bool{}}, nil
}

// schema compiles the schema at a JSON pointer into the document.
func (sp *apiSpec) schema(t testing.TB, pointer string) *jsonschema.Schema {
	t.Helper()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if s, ok := sp.schemas[pointer]; ok {
		return s
	}
	s, err := sp.c.Compile(specURL + "#" + escapeFragment(pointer))
	if err != nil {
		t.Fatalf("compile schema %s: %v", pointer, err)
	}
	sp.schemas[pointer] = s
	return s
}

// escapeFragment percent-encodes what a URL fragment cannot hold as is.
func escapeFragment(pointer string) string {
	return (&url.URL{Fragment: pointer}).EscapedFragment()
}

// pointerToken escapes one JSON pointer reference token (RFC 6901).
func pointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// lookup follows a JSON pointer ("/paths/~1api~1v1~1records/get") in the
// document, resolving a $ref found on the way to a local component.
func (sp *apiSpec) lookup(pointer string) (any, string) {
	var cur any = sp.doc
	at := ""
	for tok := range strings.SplitSeq(strings.TrimPrefix(pointer, "/"), "/") {
		if m, ok := cur.(map[string]any); ok {
			if ref, ok := m["$ref"].(string); ok {
				cur, at = sp.lookup(strings.TrimPrefix(ref, "#"))
				m, _ = cur.(map[string]any)
			}
			at += "/" + tok
			tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
			cur = m[tok]
			continue
		}
		return nil, ""
	}
	if m, ok := cur.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok {
			return sp.lookup(strings.TrimPrefix(ref, "#"))
		}
	}
	return cur, at
}

// check validates one response of method on the route template path.
func (sp *apiSpec) check(t testing.TB, method, path string, resp *http.Response, body []byte) {
	t.Helper()
	if method == http.MethodHead {
		method = http.MethodGet
	}
	op := "/paths/" + pointerToken(path) + "/" + strings.ToLower(method)
	if v, _ := sp.lookup(op); v == nil {
		t.Errorf("%s %s: operation not in openapi.json", method, path)
		return
	}
	status := strconv.Itoa(resp.StatusCode)
	key := method + " " + path + " " + status
	r, at := sp.lookup(op + "/responses/" + status)
	rm, ok := r.(map[string]any)
	if !ok {
		t.Errorf("%s: status %d is not documented (body %s)", key, resp.StatusCode, body)
		return
	}
	sp.mu.Lock()
	sp.seen[key] = true
	sp.mu.Unlock()
	if headers, ok := rm["headers"].(map[string]any); ok {
		for name := range headers {
			h, _ := sp.lookup(at + "/headers/" + pointerToken(name))
			if hm, _ := h.(map[string]any); hm["required"] == true && resp.Header.Get(name) == "" {
				t.Errorf("%s: required header %s is missing", key, name)
			}
		}
	}
	content, _ := rm["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			t.Errorf("%s: documented without a body, got %q", key, body)
		}
		return
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Errorf("%s: Content-Type %q: %v", key, resp.Header.Get("Content-Type"), err)
		return
	}
	if _, ok := content[mt]; !ok {
		t.Errorf("%s: content type %s is not documented (have %v)", key, mt, keys(content))
		return
	}
	s := sp.schema(t, at+"/content/"+pointerToken(mt)+"/schema")
	var inst any = string(body)
	if strings.HasSuffix(mt, "json") {
		if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(body)); err != nil {
			t.Errorf("%s: body is not JSON: %v\n%s", key, err, body)
			return
		}
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s: body does not match its schema: %v\n%s", key, err, body)
	}
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// documented lists every "METHOD path status" the document declares.
func (sp *apiSpec) documented() []string {
	var out []string
	paths := sp.doc["paths"].(map[string]any)
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			for status := range op.(map[string]any)["responses"].(map[string]any) {
				out = append(out, strings.ToUpper(method)+" "+path+" "+status)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestOpenAPIEnumsMatchDomain(t *testing.T) {
	sp := loadSpec(t)
	tests := []struct {
		schema string
		want   []string
	}{
		{"Kind", commons.Kinds},
		{"Status", commons.Statuses},
		{"CountryRole", commons.CountryRoles},
		{"LicenceScope", commons.LicenceScopes},
		{"GovernanceModel", commons.GovernanceModels},
		{"OrganisationRole", commons.OrganisationRoles},
		{"FundingKind", commons.FundingKinds},
		{"IdentifierScheme", commons.IdentifierSchemes},
		{"RelationType", commons.RelationTypes},
		{"Source", commons.Sources},
		{"Facet", commons.Facets},
		{"Sort", []string{commons.SortRelevance, commons.SortName, commons.SortUpdated}},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			v, _ := sp.lookup("/components/schemas/" + tt.schema + "/enum")
			arr, _ := v.([]any)
			var got []string
			for _, e := range arr {
				got = append(got, e.(string))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("openapi.json %s enum = %v, domain has %v", tt.schema, got, tt.want)
			}
		})
	}
	t.Run("Limit", func(t *testing.T) {
		v, _ := sp.lookup("/components/parameters/Limit/schema/maximum")
		if n, _ := v.(json.Number).Int64(); n != commons.MaxLimit {
			t.Errorf("limit maximum = %v, want %d", v, commons.MaxLimit)
		}
	})
}

// TestOpenAPIRecordFields checks that the Record schema lists exactly the
// JSON members commons.Record has, so a new field cannot go undocumented.
func TestOpenAPIRecordFields(t *testing.T) {
	sp := loadSpec(t)
	v, _ := sp.lookup("/components/schemas/RecordContent/properties")
	props := v.(map[string]any)
	b, err := json.Marshal(&commons.Record{Governance: &commons.Governance{}, Funding: &commons.Funding{}, Programme: &commons.Programme{}, Summary: commons.Text{"en": "x"}, Description: commons.Text{"en": "x"}, Logo: "x", ID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(props), keys(rec); !slices.Equal(got, want) {
		t.Errorf("RecordContent properties = %v\ncommons.Record members = %v", got, want)
	}
}

// TestOpenAPIDocument checks the document itself: every schema compiles
// against the JSON Schema 2020-12 meta-schema, every $ref resolves, and
// every route the router serves is described (and nothing more).
func TestOpenAPIDocument(t *testing.T) {
	sp := loadSpec(t)
	if sp.doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", sp.doc["openapi"])
	}
	for name := range sp.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		sp.schema(t, "/components/schemas/"+pointerToken(name))
	}
	// The validator must be able to say no.
	for schema, doc := range map[string]string{
		"Record":  `{"slug":"a"}`,
		"Problem": `{"type":"x","title":"t","instance":"/"}`,
		"Kind":    `"spaceship"`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if sp.schema(t, "/components/schemas/"+schema).Validate(v) == nil {
			t.Errorf("schema %s accepts %s", schema, doc)
		}
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if got, _ := sp.lookup(strings.TrimPrefix(ref, "#")); got == nil {
					t.Errorf("%s: $ref %s does not resolve", at, ref)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+pointerToken(k))
			}
		case []any:
			for i, e := range v {
				walk(e, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(sp.doc, "")

	s := &server{}
	var routes []string
	err := s.router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return nil // a PathPrefix without a template
		}
		methods, err := route.GetMethods()
		if err != nil || path == "/static/style.css" {
			return nil
		}
		for _, m := range methods {
			if m != http.MethodHead {
				routes = append(routes, m+" "+path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, item := range sp.doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			if m != "parameters" {
				ops = append(ops, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(routes)
	slices.Sort(ops)
	if !slices.Equal(routes, ops) {
		t.Errorf("routes and documented operations differ:\nroutes: %v\ndoc:    %v", routes, ops)
	}
}

// readAll reads and closes a response body.
func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b
}
