package web

import (
	_ "embed"
	"fmt"
	"net/http"
	"strconv"

	"github.com/commons-directory/commons"
)

// openAPI is the hand-written OpenAPI 3.1 description of /api/v1. A test
// drives the real server and validates every response against it.
//
//go:embed openapi.json
var openAPI []byte

// instanceInfo is the body of GET /api/v1/instance.
type instanceInfo struct {
	Name    string       `json:"name"`
	Names   commons.Text `json:"names,omitempty"`
	BaseURL string       `json:"base_url"`
	Version string       `json:"version"`
	Records recordCounts `json:"records"`
}

type recordCounts struct {
	Local  int `json:"local"`
	Remote int `json:"remote"`
	Total  int `json:"total"`
}

// handleInstance answers GET /api/v1/instance: who this instance is and how
// many records it holds.
func (s *server) handleInstance(w http.ResponseWriter, r *http.Request) error {
	local, remote, err := s.dir.CountRecords(r.Context())
	if err != nil {
		return fmt.Errorf("count records: %w", err)
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, instanceInfo{
		Name: s.name, Names: s.names, BaseURL: s.base, Version: s.version,
		Records: recordCounts{Local: local, Remote: remote, Total: local + remote},
	})
	return nil
}

// handleHealth answers GET /healthz with "ok" when the directory answers;
// the container's HEALTHCHECK polls it.
func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.dir.CountRecords(r.Context()); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeBody(w, http.StatusOK, "text/plain; charset=utf-8", []byte("ok\n"))
	return nil
}

var openAPILength = []string{strconv.Itoa(len(openAPI))}

// handleOpenAPI answers GET /api/openapi.json with the API description.
func (s *server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Access-Control-Allow-Origin", "*")
	h["Content-Type"] = []string{mediaJSON}
	h["Content-Length"] = openAPILength
	w.Write(openAPI) //nolint:errcheck // the client went away
	return nil
}
