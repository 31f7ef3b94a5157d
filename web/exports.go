package web

import (
	"net/http"

	"github.com/gorilla/mux"
)

// exportRoutes adds the URLs harvesters and feed readers use: schema.org
// JSON-LD, Atom feeds and the catalogue exports.
func (s *server) exportRoutes(r *mux.Router) {
	const get, head = http.MethodGet, http.MethodHead
	r.Handle("/records/{slug}.jsonld", s.handle(s.handleRecordJSONLD)).Methods(get, head)
	r.Handle("/feeds/records.atom", s.handle(s.handleRecordsFeed)).Methods(get, head)
}
