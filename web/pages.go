package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/commons-directory/commons"
	"github.com/gorilla/mux"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
)

//go:embed templates/*.html static/style.css
var assets embed.FS

// pages holds the parsed templates, one set per page (each page fills the
// layout's "content" block).
type pages struct {
	home, record, error *template.Template
	style               []byte
}

func mustParsePages() *pages {
	parse := func(name string) *template.Template {
		return template.Must(template.New("layout.html").ParseFS(assets, "templates/layout.html", "templates/"+name))
	}
	style, err := assets.ReadFile("static/style.css")
	if err != nil {
		panic("web: " + err.Error())
	}
	return &pages{home: parse("home.html"), record: parse("record.html"), error: parse("error.html"), style: style}
}

// pageData is what every page template gets: the layout's needs and the
// page's own Body. T and Tf translate into the page language.
type pageData struct {
	Lang     string
	Instance string
	Title    string
	Body     any
}

// T returns the message key in the page language.
func (d *pageData) T(key string) string { return translate(d.Lang, key) }

// Tf formats the message key in the page language with args.
func (d *pageData) Tf(key string, args ...any) string {
	return fmt.Sprintf(translate(d.Lang, key), args...)
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 rather than half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, d *pageData) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("render %s: %w", r.URL.Path, err)
	}
	h := w.Header()
	h["Content-Security-Policy"] = hdrHTMLCSP
	h.Set("Content-Language", d.Lang)
	writeBody(w, status, mediaHTML, buf.Bytes())
	return nil
}

// renderError writes the HTML error page. It is the adapter's last resort,
// so it logs a failure to render rather than returning it.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, detail string) {
	lang := pageLanguage(r)
	title := errorTitles[lang][status]
	if title == "" {
		title = http.StatusText(status)
	}
	d := &pageData{Lang: lang, Instance: s.name, Title: title, Body: struct {
		Status int
		Detail string
	}{status, detail}}
	if err := s.render(w, r, status, s.pages.error, d); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "render error page", slog.Any("err", err))
		http.Error(w, detail, status)
	}
}

// setVary marks a response as negotiated on Accept (and, for pages, on
// Accept-Language).
func setVary(w http.ResponseWriter) { w.Header()["Vary"] = hdrVaryPage }

// hdrVaryPage is shared by every response so that setting it allocates
// nothing; header values are never modified in place.
var hdrVaryPage = []string{"Accept, Accept-Language"}

// pageRoutes adds the HTML directory: the pages people browse.
func (s *server) pageRoutes(r *mux.Router) {
	const get, head = http.MethodGet, http.MethodHead
	r.Handle("/", s.handle(s.handleHome)).Methods(get, head)
	r.Handle("/records/{slug}", s.handle(s.handleRecordPage)).Methods(get, head)
	r.Handle("/static/style.css", s.handle(s.handleStyle)).Methods(get, head)
}

// handleHome answers / : the search page, or the result page as JSON.
func (s *server) handleHome(w http.ResponseWriter, r *http.Request) error {
	setVary(w)
	page, err := s.search(r)
	if err != nil {
		return err
	}
	if negotiate(r.Header.Get("Accept"), pageOffers) == mediaJSON {
		s.writePage(w, r, page)
		return nil
	}
	lang := pageLanguage(r)
	q := r.URL.Query()
	body := homeView{Query: q.Get("q"), Total: page.Total}
	for _, rec := range page.Records {
		body.Results = append(body.Results, resultView{
			URL:     "/records/" + url.PathEscape(rec.Slug) + langQuery(q),
			Name:    textIn(rec.Name, lang),
			Summary: textIn(rec.Summary, lang),
			Kinds:   rec.Kinds,
		})
	}
	for _, name := range commons.Facets {
		counts := page.Facets[name]
		if len(counts) == 0 {
			continue
		}
		g := facetView{Name: name, Label: translate(lang, "facet."+name)}
		for _, c := range counts {
			selected := slices.Contains(splitList(q[name]), c.Value)
			g.Values = append(g.Values, facetValue{Value: c.Value, Count: c.Count, Selected: selected, URL: toggleFacet(q, name, c.Value)})
		}
		body.Facets = append(body.Facets, g)
	}
	if page.Next != "" {
		next := cloneValues(q)
		next.Set("cursor", page.Next)
		body.NextURL = "/?" + next.Encode()
	}
	return s.render(w, r, http.StatusOK, s.pages.home, &pageData{Lang: lang, Instance: s.name, Title: s.name, Body: body})
}

// handleRecordPage answers /records/{slug}: the record page, or its JSON.
func (s *server) handleRecordPage(w http.ResponseWriter, r *http.Request) error {
	setVary(w)
	if s.fed != nil && wantsActivity(r, actorPageOffers) {
		return s.fed.ServeRecordActor(w, r, mux.Vars(r)["slug"])
	}
	rec, err := s.dir.Record(r.Context(), mux.Vars(r)["slug"])
	if err != nil {
		return err
	}
	if negotiate(r.Header.Get("Accept"), pageOffers) == mediaJSON {
		return s.writeRecord(w, r, http.StatusOK, rec)
	}
	lang := pageLanguage(r)
	ld, err := schemaOrgScript(rec)
	if err != nil {
		return err
	}
	v := recordView{
		JSONLD:  ld,
		R:       rec,
		Name:    textIn(rec.Name, lang),
		Summary: textIn(rec.Summary, lang),
		JSONURL: "/api/v1/records/" + url.PathEscape(rec.Slug),
		LDURL:   "/records/" + url.PathEscape(rec.Slug) + ".jsonld",
		Version: rec.Provenance.Version,
		Updated: rec.Provenance.Updated.Format("2006-01-02"),
	}
	if d := textIn(rec.Description, lang); d.Text != "" {
		v.Description, v.DescriptionLang = markdown(d.Text), d.Lang
	}
	for _, l := range recordLinks(rec.Links) {
		v.Links = append(v.Links, namedLink{Label: translate(lang, "link."+l.key), URL: l.url})
	}
	return s.render(w, r, http.StatusOK, s.pages.record, &pageData{Lang: lang, Instance: s.name, Title: v.Name.Text, Body: v})
}

// handleStyle serves the pages' one stylesheet.
func (s *server) handleStyle(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	writeBody(w, http.StatusOK, "text/css; charset=utf-8", s.pages.style)
	return nil
}

type homeView struct {
	Query   string
	Total   int
	Results []resultView
	Facets  []facetView
	NextURL string
}

type resultView struct {
	URL           string
	Name, Summary localText
	Kinds         []string
}

type facetView struct {
	Name, Label string
	Values      []facetValue
}

type facetValue struct {
	Value    string
	Count    int
	Selected bool
	URL      string
}

type recordView struct {
	R               *commons.Record
	Name, Summary   localText
	Description     template.HTML
	DescriptionLang string
	Links           []namedLink
	JSONURL         string
	JSONLD          template.JS // schema.org description, for a data block
	LDURL           string      // the same, as a document
	Version         int
	Updated         string
}

type namedLink struct{ Label, URL string }

// localText is a text in one language, with that language's tag for the
// element's lang attribute.
type localText struct{ Text, Lang string }

func textIn(t commons.Text, lang string) localText {
	s, tag := t.Get(lang)
	return localText{Text: s, Lang: tag}
}

// toggleFacet returns the URL of the search q with value added to facet
// name, or removed if it is there; paging starts again.
func toggleFacet(q url.Values, name, value string) string {
	next := cloneValues(q)
	next.Del("cursor")
	vals := splitList(q[name])
	if i := slices.Index(vals, value); i >= 0 {
		vals = slices.Delete(vals, i, i+1)
	} else {
		vals = append(vals, value)
	}
	next.Del(name)
	for _, v := range vals {
		next.Add(name, v)
	}
	return "/?" + next.Encode()
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

// langQuery keeps an explicit ?lang= on links between pages.
func langQuery(q url.Values) string {
	if l := q.Get("lang"); l != "" {
		return "?lang=" + url.QueryEscape(l)
	}
	return ""
}

type linkEntry struct{ key, url string }

// recordLinks lists a record's non-empty links in display order, keyed as
// in JSON.
func recordLinks(l commons.Links) []linkEntry {
	all := []linkEntry{
		{"homepage", l.Homepage}, {"repository", l.Repository}, {"documentation", l.Documentation},
		{"api_documentation", l.APIDocumentation}, {"data_portal", l.DataPortal},
		{"issue_tracker", l.IssueTracker}, {"roadmap", l.Roadmap}, {"forum", l.Forum},
		{"fediverse", l.Fediverse},
	}
	return slices.DeleteFunc(all, func(e linkEntry) bool { return e.url == "" })
}

// markdownPolicy keeps the structure of a description and nothing that
// could run, load or track: no images, no raw HTML, no styles.
var markdownPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
		"ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td")
	p.AllowAttrs("href").OnElements("a")
	p.AllowStandardURLs()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	return p
}()

// markdown renders a description to safe HTML. Goldmark drops raw HTML
// already; the policy is the second fence.
func markdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := goldmark.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src)) // cannot happen with a bytes.Buffer
	}
	return template.HTML(markdownPolicy.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitised just now
}
