package web

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes returns the instance's handler: the router inside the middleware
// that logs and sets security headers.
func (s *server) routes() http.Handler {
	r := s.router()
	s.instrument(r) // metrics.go: each route names itself to the access measurement
	if s.pageCache == nil {
		return s.serve(r)
	}
	return s.serve(s.cachePages(r))
}

// router lists every URL the instance answers, on one screen.
func (s *server) router() *mux.Router {
	const (
		get    = http.MethodGet
		head   = http.MethodHead
		post   = http.MethodPost
		put    = http.MethodPut
		patch  = http.MethodPatch
		delete = http.MethodDelete
	)
	r := mux.NewRouter()
	r.NotFoundHandler = s.handle(s.handleNotFound)
	r.MethodNotAllowedHandler = s.handle(s.handleMethodNotAllowed)

	r.Handle("/healthz", s.handle(s.handleHealth)).Methods(get, head)
	r.Handle("/readyz", s.handle(s.handleReady)).Methods(get, head)
	r.Handle("/metrics", s.handle(s.handleMetrics)).Methods(get, head) // metrics.go

	// Each area adds its own URLs, in its own file. Exports and the
	// federation come before the pages: /records/{slug}.jsonld must win
	// over /records/{slug} (slugs may hold dots), and an ActivityPub
	// request for /topics/{topic} gets the Group actor, not the page.
	s.exportRoutes(r) // exports.go: schema.org, feeds, DCAT-AP, CSV, …
	if s.fed != nil {
		s.federationRoutes(r) // federation.go: ActivityPub and discovery
	}
	s.pageRoutes(r)     // pages.go: the HTML directory
	s.operatorRoutes(r) // operator.go: the admin API for peers, blocks, deliveries

	// JSON API. Reads are open; writes need an editor's bearer token.
	r.Handle("/api/openapi.json", s.handle(s.handleOpenAPI)).Methods(get, head)
	r.Handle("/api/v1/instance", s.handle(s.handleInstance)).Methods(get, head)
	r.Handle("/api/v1/records", s.handle(s.handleRecordSearch)).Methods(get, head)
	r.Handle("/api/v1/records", s.handle(s.editor(s.handleRecordCreate))).Methods(post)
	r.Handle("/api/v1/records/{slug}", s.handle(s.handleRecordGet)).Methods(get, head)
	r.Handle("/api/v1/records/{slug}", s.handle(s.editor(s.handleRecordPut))).Methods(put)
	r.Handle("/api/v1/records/{slug}", s.handle(s.editor(s.handleRecordPatch))).Methods(patch)
	r.Handle("/api/v1/records/{slug}", s.handle(s.editor(s.handleRecordDelete))).Methods(delete)
	r.Handle("/api/v1/records/{slug}/history", s.handle(s.handleRecordHistory)).Methods(get, head)
	r.Handle("/api/v1/records/{slug}/followers", s.handle(s.editor(s.handleRecordFollowers))).Methods(get, head)
	r.Handle("/api/v1/records/{slug}/posts", s.handle(s.editor(s.handlePostCreate))).Methods(post)
	r.Handle("/api/v1/records/{slug}/social", s.handle(s.handleSocial)).Methods(get, head)
	r.Handle("/api/v1/records/{slug}/programmes", s.handle(s.handleRecordProgrammes)).Methods(get, head)

	// Funding programmes (programmes.go).
	r.Handle("/api/v1/programmes", s.handle(s.handleProgrammeList)).Methods(get, head)
	r.Handle("/api/v1/programmes/{slug}", s.handle(s.handleProgrammeGet)).Methods(get, head)
	r.Handle("/api/v1/programmes/{slug}/commons", s.handle(s.handleProgrammeCommons)).Methods(get, head)
	r.Handle("/api/v1/funding/match", s.handle(s.handleFundingMatch)).Methods(get, head)

	// Copies of other instances' records (copies.go), and any record by IRI.
	r.Handle("/api/v1/lookup", s.handle(s.handleRecordLookup)).Methods(get, head)
	r.Handle("/api/v1/instances/{host}/records/{slug}", s.handle(s.handleCopyGet)).Methods(get, head)
	r.Handle("/api/v1/instances/{host}/records/{slug}/history", s.handle(s.handleCopyHistory)).Methods(get, head)
	r.Handle("/api/v1/instances/{host}/records/{slug}/listings", s.handle(s.handleCopyListings)).Methods(get, head)
	r.Handle("/api/v1/instances/{host}/records/{slug}/social", s.handle(s.handleSocial)).Methods(get, head)

	return r
}
