package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/commons-directory/commons"
)

// handleRecordSearch answers GET /api/v1/records: one page of matching
// records with facet counts, and a Link to the next page.
func (s *server) handleRecordSearch(w http.ResponseWriter, r *http.Request) error {
	page, err := s.search(r, false)
	if err != nil {
		return err
	}
	s.writePage(w, r, page)
	return nil
}

// search parses the request's search parameters and runs the search. The
// reader's language is the page's for an HTML page, else searchLanguage.
func (s *server) search(r *http.Request, html bool) (*commons.RecordPage, error) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if html {
		f.Language = pageLanguage(r)
	} else if f.Language, err = searchLanguage(r); err != nil {
		return nil, err
	}
	page, err := s.timeSearch(r.Context(), f)
	if err != nil {
		return nil, err
	}
	if page.Records == nil {
		page.Records = []*commons.Record{}
	}
	return page, nil
}

// writePage sends a result page as JSON, with a Link header to the next.
func (s *server) writePage(w http.ResponseWriter, r *http.Request, page *commons.RecordPage) {
	if page.Next != "" {
		q := r.URL.Query()
		q.Set("cursor", page.Next)
		w.Header().Set("Link", "<"+s.base+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, page)
}

// parseFilter turns search parameters into a filter. Each bad parameter is
// a 400 problem that names it.
func parseFilter(q url.Values) (commons.RecordFilter, error) {
	f := commons.RecordFilter{
		Query:         strings.TrimSpace(q.Get("q")),
		IncludeRemote: true,
		WithFacets:    true,
		Limit:         20,
	}
	for _, name := range commons.Facets {
		vals := splitList(q[name])
		if len(vals) == 0 {
			continue
		}
		var allowed []string
		switch name {
		case commons.FacetKind:
			allowed = commons.Kinds
		case commons.FacetStatus:
			allowed = commons.Statuses
		}
		for _, v := range vals {
			if allowed != nil && !slices.Contains(allowed, v) {
				return f, invalidParam(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
			}
		}
		if f.Filters == nil {
			f.Filters = map[string][]string{}
		}
		f.Filters[name] = vals
	}
	if v := q.Get("sort"); v != "" {
		if v != commons.SortRelevance && v != commons.SortName && v != commons.SortUpdated {
			return f, invalidParam("sort", "must be relevance, name or updated")
		}
		f.Sort = v
	}
	f.Cursor = q.Get("cursor")
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > commons.MaxLimit {
			return f, invalidParam("limit", "must be between 1 and %d", commons.MaxLimit)
		}
		f.Limit = n
	}
	if v := q.Get("modified_since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, invalidParam("modified_since", "must be an RFC 3339 date-time such as 2025-01-31T08:00:00Z")
		}
		f.ModifiedSince = t
	}
	var err error
	if f.WithFacets, err = boolParam(q, "facets", true); err != nil {
		return f, err
	}
	if f.IncludeRemote, err = boolParam(q, "remote", true); err != nil {
		return f, err
	}
	return f, nil
}

// searchLanguage returns the reader's language of an API search, whose
// matches through that language count more: the lang parameter (any
// language tag), else the first language of Accept-Language, else none.
func searchLanguage(r *http.Request) (string, error) {
	if v := r.URL.Query().Get("lang"); v != "" {
		t, err := language.Parse(v)
		if err != nil {
			return "", invalidParam("lang", "%q is not a language tag such as fr or pt-BR", v)
		}
		b, _ := t.Base()
		return b.String(), nil
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil {
		return "", nil // a header is no parameter: a bad one counts as none
	}
	for _, t := range tags {
		if b, conf := t.Base(); conf != language.No && t != language.Und {
			return b.String(), nil
		}
	}
	return "", nil
}

// splitList flattens repeated and comma-separated values, dropping empty
// ones and duplicates.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

func boolParam(q url.Values, name string, def bool) (bool, error) {
	switch q.Get(name) {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return def, invalidParam(name, "must be true or false")
}
