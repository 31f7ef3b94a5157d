package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
)

// The DCAT-AP 3 catalogue: /catalog.jsonld, /catalog.ttl and /catalog
// (content negotiation), paged like ckanext-dcat with Hydra.
const (
	mediaTurtle         = "text/turtle; charset=utf-8"
	catalogPath         = "/catalog"
	defaultCatalogLimit = 100
	maxCatalogLimit     = 1000
)

var catalogOffers = []string{mediaJSONLD, "text/turtle"}

// catalogQuery is a validated catalogue request.
type catalogQuery struct {
	cursor        string
	limit         int
	modifiedSince time.Time
	rawSince      string
}

func parseCatalogQuery(r *http.Request) (*catalogQuery, error) {
	q := r.URL.Query()
	cq := &catalogQuery{cursor: q.Get("page"), limit: defaultCatalogLimit, rawSince: q.Get("modified_since")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxCatalogLimit {
			return nil, invalidParam("limit", "%q must be a whole number from 1 to %d", v, maxCatalogLimit)
		}
		cq.limit = n
	}
	if v := cq.rawSince; v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return nil, invalidParam("modified_since", "%q is not an RFC 3339 date (2026-01-31) or date-time (2026-01-31T12:00:00Z)", v)
			}
		}
		cq.modifiedSince = t
	}
	return cq, nil
}

// catalogPage is one page of the catalogue's records.
type catalogPage struct {
	records  []*commons.Record
	next     string
	total    int
	modified time.Time // the directory's latest change
}

// loadCatalogPage reads up to cq.limit records, local and remote, in
// name order from the cursor, through as many searches as that takes.
func (s *server) loadCatalogPage(r *http.Request, cq *catalogQuery) (*catalogPage, error) {
	ctx := r.Context()
	p := &catalogPage{}
	cursor := cq.cursor
	for len(p.records) < cq.limit {
		page, err := s.dir.SearchRecords(ctx, commons.RecordFilter{
			Sort: commons.SortName, IncludeRemote: true, ModifiedSince: cq.modifiedSince,
			Cursor: cursor, Limit: min(commons.MaxLimit, cq.limit-len(p.records)),
		})
		if err != nil {
			if commons.ErrorCode(err) == commons.EINVALID {
				return nil, invalidParam("page", "is not a cursor of this catalogue: start from the first page")
			}
			return nil, fmt.Errorf("list records for the catalogue: %w", err)
		}
		p.records = append(p.records, page.Records...)
		p.total, p.next, cursor = page.Total, page.Next, page.Next
		if page.Next == "" {
			break
		}
	}
	latest, err := s.dir.SearchRecords(ctx, commons.RecordFilter{Sort: commons.SortUpdated, IncludeRemote: true, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("find the catalogue's last change: %w", err)
	}
	if len(latest.Records) > 0 {
		p.modified = latest.Records[0].Provenance.Updated
	}
	return p, nil
}

// catalogGraph describes one page: the catalogue, its local records, one
// sub-catalogue (dct:hasPart) per origin of the remote ones, and the Hydra
// view with the first and next pages. path is the URL the links use.
func (s *server) catalogGraph(p *catalogPage, cq *catalogQuery, path string) *rdfGraph {
	g := newGraph()
	root := s.base + catalogPath
	publisher := s.base + "/actor"
	g.add(root, rdfType, iri("dcat:Catalog"))
	s.addName(g, root, "dct:title")
	addTexts(g, root, "dct:description", catalogueText("dcat.description"))
	g.add(root, "dct:publisher", iri(publisher))
	addTyped(g, root, "foaf:homepage", s.base+"/", "foaf:Document")
	for _, l := range pageLanguageTags {
		addTyped(g, root, "dct:language", languageIRI(l), "dct:LinguisticSystem")
	}
	g.add(root, "dct:modified", dateTime(p.modified))
	g.add(publisher, rdfType, iri("foaf:Agent"))
	s.addName(g, publisher, "foaf:name")

	for _, rec := range p.records {
		cat := root
		if origin := rec.Provenance.Origin; origin != s.base {
			cat = origin + catalogPath
			if _, seen := g.index[cat]; !seen {
				host := origin
				if u, err := url.Parse(origin); err == nil && u.Host != "" {
					host = u.Host
				}
				g.add(root, "dct:hasPart", iri(cat))
				g.add(cat, rdfType, iri("dcat:Catalog"))
				g.add(cat, "dct:title", literal(host))
				for _, l := range pageLanguageTags {
					g.add(cat, "dct:description", langLiteral(i18n.F(l, "dcat.remote", origin, s.base), l))
				}
				g.add(cat, "dct:publisher", iri(origin+"/actor"))
				g.add(origin+"/actor", rdfType, iri("foaf:Agent"))
				g.add(origin+"/actor", "foaf:name", literal(host))
				addTyped(g, cat, "foaf:homepage", origin+"/", "foaf:Document")
			}
		}
		prop := "dcat:dataset"
		if isService(rec) {
			prop = "dcat:service"
		}
		g.add(cat, prop, iri(rec.ID))
	}
	for _, rec := range p.records {
		addRecord(g, s.base, rec)
	}

	view := s.base + path + pageQuery(cq, cq.cursor)
	g.add(view, rdfType, iri("hydra:PartialCollectionView"))
	g.add(view, "hydra:totalItems", typedLiteral(strconv.Itoa(p.total), "xsd:integer"))
	g.add(view, "hydra:itemsPerPage", typedLiteral(strconv.Itoa(cq.limit), "xsd:integer"))
	g.add(view, "hydra:first", iri(s.base+path+pageQuery(cq, "")))
	if p.next != "" {
		g.add(view, "hydra:next", iri(s.base+path+pageQuery(cq, p.next)))
	}
	return g
}

// pageQuery is the query string of the catalogue page at cursor.
func pageQuery(cq *catalogQuery, cursor string) string {
	v := url.Values{}
	if cursor != "" {
		v.Set("page", cursor)
	}
	if cq.limit != defaultCatalogLimit {
		v.Set("limit", strconv.Itoa(cq.limit))
	}
	if cq.rawSince != "" {
		v.Set("modified_since", cq.rawSince)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// serveCatalog answers one catalogue request in the given format.
func (s *server) serveCatalog(w http.ResponseWriter, r *http.Request, turtle bool) error {
	cq, err := parseCatalogQuery(r)
	if err != nil {
		return err
	}
	p, err := s.loadCatalogPage(r, cq)
	if err != nil {
		return err
	}
	g := s.catalogGraph(p, cq, r.URL.Path)
	if turtle {
		header := fmt.Sprintf("DCAT-AP 3 catalogue of %s (%s), written as Turtle.", s.name, s.base)
		writeExport(w, r, mediaTurtle, g.marshalTurtle(header))
		return nil
	}
	b, err := g.marshalJSONLD()
	if err != nil {
		return fmt.Errorf("encode the catalogue: %w", err)
	}
	writeExport(w, r, mediaJSONLD, b)
	return nil
}

func (s *server) handleCatalogJSONLD(w http.ResponseWriter, r *http.Request) error {
	return s.serveCatalog(w, r, false)
}

func (s *server) handleCatalogTurtle(w http.ResponseWriter, r *http.Request) error {
	return s.serveCatalog(w, r, true)
}

// handleCatalog answers /catalog in the format Accept prefers: JSON-LD by
// default, Turtle for text/turtle.
func (s *server) handleCatalog(w http.ResponseWriter, r *http.Request) error {
	w.Header().Add("Vary", "Accept")
	return s.serveCatalog(w, r, negotiate(r.Header.Get("Accept"), catalogOffers) == "text/turtle")
}
