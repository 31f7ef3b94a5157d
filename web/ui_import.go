package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/publiccode"
)

// The editors' publiccode.yml import page, /edit/import: paste a file or
// give its URL (fetched through the same guarded client as the API's
// import), see its problems by line and key, or the record it created or
// updated and what changed. The import itself is publiccode.Import, as
// for the API and the CLI: all or nothing.

// importView is the import page: the form, kept as sent, and either the
// file's problems or the outcome.
type importView struct {
	YAML, URL string
	DryRun    bool
	CanFetch  bool              // the instance fetches URLs
	Error     string            // one message about the request (no file, fetch failed …)
	Problems  []importProblem   // why the file was refused
	Outcome   *importOutcomeRow // what the import did
}

// importProblem is one problem of a file, or one warning about it.
type importProblem struct {
	Line    int
	Field   string
	Message string
}

// importOutcomeRow is a successful import: the record, what happened to
// it, the fields that changed and the file's keys the record cannot hold.
type importOutcomeRow struct {
	Action   string // created, updated, unchanged
	Key      string // the message that says so
	DryRun   bool
	Name     string
	Slug     string
	Changes  []fieldChange
	Warnings []importProblem
}

func importProblems(ps []publiccode.Problem) []importProblem {
	out := make([]importProblem, len(ps))
	for i, p := range ps {
		out[i] = importProblem{Line: p.Line, Field: p.Field, Message: p.Message}
	}
	return out
}

// handleImportPage shows and takes the import form.
func (s *server) handleImportPage(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	d := s.newPage(w, r, "")
	d.Title = d.T("import.title")
	v := importView{CanFetch: s.client != nil}
	if r.Method != http.MethodPost {
		d.Body = &v
		return s.render(w, r, http.StatusOK, "import", d)
	}
	v.YAML = strings.TrimSpace(r.PostForm.Get("yaml"))
	v.URL = strings.TrimSpace(r.PostForm.Get("url"))
	v.DryRun = r.PostForm.Get("dry_run") != ""
	again := func(status int) error {
		d.Body = &v
		return s.render(w, r, status, "import", d)
	}

	var file []byte
	source := ""
	switch {
	case v.URL != "" && v.YAML != "":
		v.Error = d.T("import.both")
		return again(http.StatusUnprocessableEntity)
	case v.URL != "":
		if s.client == nil {
			v.Error = d.T("import.nofetch")
			return again(http.StatusUnprocessableEntity)
		}
		b, err := publiccode.Fetch(r.Context(), s.client, v.URL)
		if err != nil {
			// A refused address, a failed download, a page instead of
			// the file: said on the form. Only our own failures are not.
			if commons.ErrorCode(err) == commons.EINTERNAL {
				return err
			}
			v.Error = commons.ErrorMessage(err)
			return again(http.StatusUnprocessableEntity)
		}
		file, source = b, v.URL
	case v.YAML != "":
		file = []byte(v.YAML)
	default:
		v.Error = d.T("import.empty")
		return again(http.StatusUnprocessableEntity)
	}

	out, err := publiccode.Import(r.Context(), s.dir, file, publiccode.ImportOptions{SourceURL: source, Actor: u.Name, DryRun: v.DryRun, Origin: s.base})
	var pe *publiccode.ParseError
	switch {
	case errors.As(err, &pe):
		v.Problems = importProblems(pe.Problems)
		return again(http.StatusUnprocessableEntity)
	case commons.ErrorCode(err) == commons.EINVALID || commons.ErrorCode(err) == commons.ECONFLICT:
		v.Error = commons.ErrorMessage(err)
		for _, f := range commons.ErrorFields(err) {
			v.Problems = append(v.Problems, importProblem{Field: f.Field, Message: f.Message})
		}
		return again(http.StatusUnprocessableEntity)
	case err != nil:
		return err
	}
	if !v.DryRun && out.Action != publiccode.Unchanged {
		s.recordChanged()
	}
	key := "import." + out.Action
	if v.DryRun {
		key = "import.dry" + out.Action
	}
	row := &importOutcomeRow{Action: out.Action, Key: key, DryRun: v.DryRun, Name: out.Record.Name.String(), Slug: out.Record.Slug,
		Warnings: importProblems(out.Warnings)}
	if out.Action == publiccode.Updated {
		row.Changes = diffRecords(out.Previous, out.Record)
	}
	v.Outcome = row
	return again(http.StatusOK)
}
