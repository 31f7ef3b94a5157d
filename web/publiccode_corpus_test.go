package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/commons-directory/commons/publiccode/pctest"
)

// TestPubliccodeCorpusAPI posts every file of the publiccode.yml corpus to
// POST /api/v1/import/publiccode (dry runs) and checks the verdict of each:
// accepted with the warning the case names, or refused with a problem
// document whose error names the key and the line.
func TestPubliccodeCorpusAPI(t *testing.T) {
	s := newTestServer(t, spec, nil)
	const route = "/api/v1/import/publiccode"
	for _, c := range pctest.Cases(t) {
		t.Run(c.File, func(t *testing.T) {
			resp, b := s.do(t, req{Method: "POST", Route: route, Path: route + "?dry_run=1",
				Header: auth(s.editor, "Content-Type", "application/yaml"), Body: string(c.Read(t))})
			if c.Verdict == "error" {
				expect(t, resp, b, http.StatusBadRequest)
				field, detail := c.Key, c.Message
				if field == "" {
					field = "(document)"
				}
				if c.Line > 0 {
					detail = fmt.Sprintf("line %d: ", c.Line)
				}
				for _, e := range problemOf(t, b).Errors {
					if e.Field == field && strings.HasPrefix(e.Detail, detail) && strings.Contains(e.Detail, c.Message) {
						return
					}
				}
				t.Errorf("no error on %s at line %d saying %q: %s", field, c.Line, c.Message, b)
				return
			}
			expect(t, resp, b, http.StatusOK)
			var a importAnswer
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
			if c.Verdict == "warning" {
				for _, w := range a.Warnings {
					if c.Is(w.Line, w.Field, w.Message) {
						return
					}
				}
				t.Errorf("no warning on %s at line %d saying %q: %+v", c.Key, c.Line, c.Message, a.Warnings)
			}
		})
	}
	if rec, err := s.db.Record(t.Context(), "medusa"); err == nil {
		t.Errorf("a dry run stored record %s", rec.Slug)
	}
}
