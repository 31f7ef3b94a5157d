package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
)

// handleEditNew shows and takes the form that creates a record.
func (s *server) handleEditNew(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	d := s.newPage(w, r, "")
	d.Title = d.T("edit.newtitle")
	if r.Method != http.MethodPost {
		rec := &commons.Record{}
		if r.URL.Query().Get("programme") == "1" {
			rec.Programme = &commons.Programme{}
		}
		f := buildForm(d.Lang, rec, nil, "")
		f.New, f.Action = true, "/edit/new"
		d.Body = f
		return s.render(w, r, http.StatusOK, "edit", d)
	}
	rec, bad := parseRecordForm(r.PostForm)
	return s.saveRecord(w, r, d, rec, bad, 0, true, u)
}

// handleEdit shows and takes the form that changes a local record.
func (s *server) handleEdit(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	slug := mux.Vars(r)["slug"]
	cur, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return err
	}
	d := s.newPage(w, r, "")
	d.Title = d.Tf("edit.title", cur.Name.String())
	if r.Method != http.MethodPost {
		f := buildForm(d.Lang, cur, nil, "")
		f.Action = "/records/" + url.PathEscape(slug) + "/edit"
		d.Body = f
		return s.render(w, r, http.StatusOK, "edit", d)
	}
	rec, bad := parseRecordForm(r.PostForm)
	rec.Slug = slug
	version, err := formVersion(r)
	if err != nil {
		return err
	}
	return s.saveRecord(w, r, d, rec, bad, version, false, u)
}

// formVersion reads the version of the record an edit or delete form was
// made from. Like a write through the API without If-Match, a form
// without it (or with 0 or garbage) is refused rather than applied over
// whatever is stored now.
func formVersion(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || v < 1 {
		return 0, commons.Errorf(ePreconditionRequired,
			"The form does not say which version of the record it changes (field version). Reload the record and try again.")
	}
	return v, nil
}

// saveRecord creates or updates rec, or shows the form again with the
// errors beside their fields, a kind word about a conflicting change, or
// more blank rows when "more" asked for them.
func (s *server) saveRecord(w http.ResponseWriter, r *http.Request, d *pageData, rec *commons.Record, bad []commons.FieldError, version int, isNew bool, u *commons.User) error {
	action := "/edit/new"
	if !isNew {
		action = "/records/" + url.PathEscape(rec.Slug) + "/edit"
	}
	again := func(status int, errs []commons.FieldError, extra string, conflict bool) error {
		rec.Provenance.Version = version
		f := buildForm(d.Lang, rec, errs, extra)
		f.New, f.Action, f.Conflict = isNew, action, conflict
		d.Body = f
		return s.render(w, r, status, "edit", d)
	}
	if more := r.PostForm.Get("more"); more != "" {
		return again(http.StatusOK, nil, more, false)
	}
	var err error
	if len(bad) == 0 {
		if isNew {
			err = s.dir.CreateRecord(r.Context(), rec, u.Name)
		} else {
			err = s.dir.UpdateRecord(r.Context(), rec, version, u.Name)
		}
	}
	switch code := commons.ErrorCode(err); {
	case len(bad) > 0:
		if rec.Validate() != nil {
			bad = append(bad, commons.ErrorFields(rec.Validate())...)
		}
		return again(http.StatusUnprocessableEntity, bad, "", false)
	case err == nil:
		s.recordChanged()
		done := "saved"
		if isNew {
			done = "created"
		}
		http.Redirect(w, r, "/records/"+url.PathEscape(rec.Slug)+"?done="+done, http.StatusSeeOther)
		return nil
	case code == commons.EINVALID:
		return again(http.StatusUnprocessableEntity, commons.ErrorFields(err), "", false)
	case code == commons.ECONFLICT && isNew:
		return again(http.StatusConflict, []commons.FieldError{{Field: "slug", Message: commons.ErrorMessage(err)}}, "", false)
	case code == commons.EPRECONDITION || code == commons.ECONFLICT:
		// Someone saved first: keep this editor's input, move to the
		// current version so that saving again overwrites it knowingly.
		cur, cerr := s.dir.Record(r.Context(), rec.Slug)
		if cerr != nil {
			return cerr
		}
		version = cur.Provenance.Version
		return again(http.StatusConflict, nil, "", true)
	default:
		return err
	}
}

// deleteView is the confirmation page of a deletion.
type deleteView struct {
	Name    string
	Slug    string
	Version int
}

// handleDelete confirms, then deletes, a local record.
func (s *server) handleDelete(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	slug := mux.Vars(r)["slug"]
	if r.Method == http.MethodPost {
		version, err := formVersion(r)
		if err != nil {
			return err
		}
		if err := s.dir.DeleteRecord(r.Context(), slug, version, u.Name); err != nil {
			return err
		}
		s.recordChanged()
		http.Redirect(w, r, "/?done=deleted", http.StatusSeeOther)
		return nil
	}
	rec, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return err
	}
	d := s.newPage(w, r, "")
	d.Title = d.Tf("delete.title", rec.Name.String())
	d.Body = deleteView{Name: rec.Name.String(), Slug: rec.Slug, Version: rec.Provenance.Version}
	return s.render(w, r, http.StatusOK, "delete", d)
}

// historyView lists a record's changes, newest first, each with the
// fields it changed.
type historyView struct {
	Name, URL string
	Entries   []historyEntry
}

type historyEntry struct {
	Version int // the version the change produced
	Action  string
	Actor   string
	At      string
	ISO     string // At for the datetime attribute
	Changes []fieldChange
}

type fieldChange struct{ Field, Label, Old, New string }

// enumPrefixes are the messages of the fields whose values come from a
// closed list, by the field's last part.
var enumPrefixes = map[string]string{
	"kinds": "kind.", "status": "status.", "model": "govmodel.", "applies_to": "scope.",
	"type": "rel.", "source": "source.",
}

// valueLabel is a field's value as the page language names it: a kind,
// status, role or other value of a closed list translated, any other
// value as it is.
func valueLabel(lang, path, v string) string {
	if v == "" {
		return v
	}
	last := path[strings.LastIndexAny(path, ".")+1:]
	if i := strings.IndexByte(last, '['); i >= 0 {
		last = last[:i]
	}
	prefix := enumPrefixes[last]
	switch {
	case strings.HasPrefix(path, "countries[") && last == "role":
		prefix = "countryrole."
	case strings.HasPrefix(path, "organisations[") && last == "role":
		prefix = "orgrole."
	case strings.HasPrefix(path, "funding.channels[") && last == "kind":
		prefix = "fundkind."
	case strings.HasPrefix(path, "countries[") && last == "code":
		return countryLabel(lang, v)
	case path == "languages" || strings.HasPrefix(path, "languages["):
		return languageLabel(lang, v)
	case v == "true":
		return translate(lang, "yes")
	case v == "false":
		return translate(lang, "no")
	}
	if prefix == "" {
		return v
	}
	if s := translate(lang, prefix+v); s != prefix+v {
		return s
	}
	return v
}

// handleHistoryPage shows who changed a record, when, and what.
func (s *server) handleHistoryPage(w http.ResponseWriter, r *http.Request) error {
	slug := mux.Vars(r)["slug"]
	rec, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return err
	}
	revs, err := s.dir.RecordHistory(r.Context(), slug)
	if err != nil {
		return err
	}
	return s.renderHistory(w, r, rec, revs, "/records/"+url.PathEscape(rec.Slug))
}

// renderHistory writes the history page of a record, local or copy, whose
// page is at page.
func (s *server) renderHistory(w http.ResponseWriter, r *http.Request, rec *commons.Record, revs []commons.Revision, page string) error {
	d := s.newPage(w, r, "")
	d.Title = d.Tf("history.title", rec.Name.String())
	v := historyView{Name: rec.Name.String(), URL: page}
	// Each revision holds the version it replaced; the one after it (or
	// the current record) is what it became.
	slices.SortFunc(revs, func(a, b commons.Revision) int { return a.Version - b.Version })
	for i, rev := range revs {
		after := rec
		if i+1 < len(revs) && revs[i+1].Previous != nil {
			after = revs[i+1].Previous
		}
		e := historyEntry{Version: rev.Version, Action: d.T("history." + rev.Action), Actor: rev.Actor, At: formatDate(d.Lang, rev.At) + " " + rev.At.UTC().Format("15:04 MST"), ISO: rev.At.UTC().Format(time.RFC3339)}
		if rev.Previous != nil {
			e.Version = rev.Previous.Provenance.Version + 1
		}
		e.Changes = diffRecords(rev.Previous, after)
		for i, c := range e.Changes {
			e.Changes[i] = fieldChange{Field: c.Field, Label: fieldLabel(d.Lang, c.Field),
				Old: valueLabel(d.Lang, c.Field, c.Old), New: valueLabel(d.Lang, c.Field, c.New)}
		}
		v.Entries = append(v.Entries, e)
	}
	slices.Reverse(v.Entries)
	d.Body = v
	return s.render(w, r, http.StatusOK, "history", d)
}

// diffRecords lists the leaf fields that differ between two versions of a
// record (before nil: every field of after is new).
func diffRecords(before, after *commons.Record) []fieldChange {
	a, b := flatten(before), flatten(after)
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []fieldChange
	for _, k := range keys {
		if strings.HasPrefix(k, "provenance") || k == "id" {
			continue
		}
		if a[k] != b[k] {
			out = append(out, fieldChange{Field: k, Old: a[k], New: b[k]})
		}
	}
	return out
}

// flatten maps each leaf of a record's JSON to its field path.
func flatten(rec *commons.Record) map[string]string {
	out := map[string]string{}
	if rec == nil {
		return out
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return out
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return out
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(e, p)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		case nil:
		default:
			out[path] = fmt.Sprint(v)
		}
	}
	walk(v, "")
	return out
}

// postView is the form of an editor's post for a record.
type postView struct {
	Name, Slug, Text, Lang, Error string
	Langs                         []option
}

// handlePostPage shows and takes the form of a post to a record's
// followers.
func (s *server) handlePostPage(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	if s.fed == nil {
		return commons.Errorf(commons.ENOTFOUND, "This instance does not federate.")
	}
	slug := mux.Vars(r)["slug"]
	rec, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return err
	}
	d := s.newPage(w, r, "")
	d.Title = d.Tf("post.title", rec.Name.String())
	v := postView{Name: rec.Name.String(), Slug: slug, Lang: d.Lang}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		v.Text, v.Lang = r.PostForm.Get("text"), r.PostForm.Get("lang")
		_, err := s.fed.PublishPost(r, slug, v.Lang, v.Text)
		if err == nil {
			http.Redirect(w, r, "/records/"+url.PathEscape(slug)+"?done=posted", http.StatusSeeOther)
			return nil
		}
		if c := commons.ErrorCode(err); c != commons.EINVALID {
			return err
		}
		v.Error = commons.ErrorMessage(err)
		status = http.StatusUnprocessableEntity
	}
	for _, tag := range pageLanguageTags {
		v.Langs = append(v.Langs, option{tag, autonym(tag), tag == v.Lang})
	}
	d.Body = v
	return s.render(w, r, status, "post", d)
}
