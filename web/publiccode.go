package web

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/publiccode"
)

// mediaYAML is the type of publiccode.yml files (RFC 9512).
const mediaYAML = "application/yaml"

// yamlTypes are the Content-Types a publiccode.yml upload may carry.
var yamlTypes = []string{mediaYAML, "application/x-yaml", "text/yaml", "text/x-yaml"}

// handleRecordPubliccode answers /records/{slug}/publiccode.yml: a software
// record as publiccode.yml 0.4, marked as generated here. Other kinds are
// 404: they have no such file.
func (s *server) handleRecordPubliccode(w http.ResponseWriter, r *http.Request) error {
	slug := mux.Vars(r)["slug"]
	rec, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return err
	}
	b, err := publiccode.Marshal(rec, publiccode.ExportOptions{Instance: s.base, RecordURL: s.base + "/records/" + url.PathEscape(slug)})
	switch commons.ErrorCode(err) {
	case "":
	case commons.EUNSUPPORTED:
		return commons.Errorf(commons.ENOTFOUND, "Record %s is not software, so it has no publiccode.yml: %s", slug, commons.ErrorMessage(err))
	case commons.EINVALID:
		return commons.Errorf(commons.ENOTFOUND, "Record %s has no publiccode.yml: %s", slug, commons.ErrorMessage(err))
	default:
		return err
	}
	writeExport(w, r, mediaYAML+"; charset=utf-8", b)
	return nil
}

// importURL is the JSON body that names a publiccode.yml by URL.
type importURL struct {
	URL string `json:"url"`
}

// importAnswer is the answer to an import: the outcome and the problems
// the file's keys had that the record cannot hold.
type importAnswer struct {
	Result   string               `json:"result"`
	Record   *commons.Record      `json:"record"`
	Changes  []string             `json:"changes"`
	Warnings []publiccode.Problem `json:"warnings"`
}

// handlePubliccodeImport answers POST /api/v1/import/publiccode: the body
// is a publiccode.yml (application/yaml) or {"url": …} (application/json)
// to fetch through the guarded client. The record keyed by the file's url
// is created (201) or updated (200); ?dry_run=1 stores nothing.
func (s *server) handlePubliccodeImport(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	dry, err := flagParam(r, "dry_run")
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var (
		file   []byte
		source string
	)
	switch {
	case mt == mediaJSON:
		b, err := s.readBody(w, r, mediaJSON)
		if err != nil {
			return err
		}
		var in importURL
		if err := commons.DecodeStrict(bytes.NewReader(b), &in); err != nil {
			return err
		}
		if in.URL == "" {
			return &commons.Error{Code: commons.EINVALID, Message: "nothing to import", Fields: []commons.FieldError{{Field: "url", Message: "is required"}}}
		}
		if s.client == nil {
			return commons.Errorf(commons.EFORBIDDEN, "This instance does not fetch files by URL; send the publiccode.yml itself as %s.", mediaYAML)
		}
		if file, err = publiccode.Fetch(r.Context(), s.client, in.URL); err != nil {
			return err
		}
		source = in.URL
	case isYAML(mt):
		if file, err = s.readBody(w, r, mt); err != nil {
			return err
		}
	default:
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			ct = "none"
		}
		return commons.Errorf(commons.EUNSUPPORTED, "Content-Type must be %s (the file) or %s ({\"url\": …}), not %s.", mediaYAML, mediaJSON, ct)
	}
	out, err := publiccode.Import(r.Context(), s.dir, file, publiccode.ImportOptions{SourceURL: source, Actor: u.Name, DryRun: dry, Origin: s.base})
	if err != nil {
		var pe *publiccode.ParseError
		if errors.As(err, &pe) {
			return pe.Unwrap() // the problems, each naming its line and key
		}
		return err
	}
	status := http.StatusOK
	if out.Action == publiccode.Created && !dry {
		status = http.StatusCreated
		w.Header().Set("Location", s.base+"/api/v1/records/"+out.Record.Slug)
	}
	if !dry && out.Action != publiccode.Unchanged {
		s.recordChanged()
	}
	s.writeJSON(w, r, status, mediaJSON, &importAnswer{Result: out.Action, Record: out.Record, Changes: out.Changes, Warnings: out.Warnings})
	return nil
}

func isYAML(mt string) bool {
	for _, t := range yamlTypes {
		if mt == t {
			return true
		}
	}
	return false
}

// flagParam reads a query flag: 1/true or 0/false, absent is false.
func flagParam(r *http.Request, name string) (bool, error) {
	switch v := strings.ToLower(r.URL.Query().Get(name)); v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, invalidParam(name, "%q must be 1 or 0", v)
	}
}
