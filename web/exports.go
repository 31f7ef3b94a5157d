package web

import (
	"net/http"

	"github.com/gorilla/mux"
)

// exportRoutes adds the URLs harvesters and feed readers use: schema.org
// JSON-LD, publiccode.yml, Atom feeds, the DCAT-AP catalogue and the whole
// directory as CSV or JSON Lines. Record formats come before the record
// page (router order), so /records/{slug}.jsonld is never a slug.
func (s *server) exportRoutes(r *mux.Router) {
	const get, head, post = http.MethodGet, http.MethodHead, http.MethodPost
	r.Handle("/records/{slug}.jsonld", s.handle(s.handleRecordJSONLD)).Methods(get, head)
	r.Handle("/records/{slug}/publiccode.yml", s.handle(s.handleRecordPubliccode)).Methods(get, head)
	r.Handle("/feeds/records.atom", s.handle(s.handleRecordsFeed)).Methods(get, head)
	r.Handle("/feeds/records/{slug}.atom", s.handle(s.handleRecordFeed)).Methods(get, head)
	r.Handle("/feeds/topics/{topic}.atom", s.handle(s.handleTopicFeed)).Methods(get, head)
	r.Handle("/catalog", s.handle(s.handleCatalog)).Methods(get, head)
	r.Handle("/catalog.jsonld", s.handle(s.handleCatalogJSONLD)).Methods(get, head)
	r.Handle("/catalog.ttl", s.handle(s.handleCatalogTurtle)).Methods(get, head)
	r.Handle("/export/records.csv", s.handle(s.handleExportCSV)).Methods(get, head)
	r.Handle("/export/records.jsonl", s.handle(s.handleExportJSONL)).Methods(get, head)
	r.Handle("/api/v1/import/publiccode", s.handle(s.editor(s.handlePubliccodeImport))).Methods(post)
}
