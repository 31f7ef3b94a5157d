package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
	"github.com/gorilla/mux"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
)

//go:embed templates/*.html static/style.css
var assets embed.FS

// pages holds the parsed templates, one set per page (each page fills the
// layout's "content" block, and may use the shared partials).
type pages struct {
	t     map[string]*template.Template
	style []byte
}

// mustParsePages parses every page template with the layout and partials.
func mustParsePages() *pages {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic("web: " + err.Error())
	}
	p := &pages{t: map[string]*template.Template{}}
	for _, name := range names {
		base := strings.TrimPrefix(name, "templates/")
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		p.t[strings.TrimSuffix(base, ".html")] = template.Must(template.New("layout.html").Funcs(templateFuncs).
			ParseFS(assets, "templates/layout.html", "templates/partials.html", name))
	}
	if p.style, err = assets.ReadFile("static/style.css"); err != nil {
		panic("web: " + err.Error())
	}
	return p
}

// templateFuncs are the helpers the templates share.
var templateFuncs = template.FuncMap{
	"join":     strings.Join,
	"langName": autonym,
	"add":      func(a, b int) int { return a + b },
	"pair":     func(a, b any) []any { return []any{a, b} },
	"hostOf":   hostOf,
	"lower":    strings.ToLower,
	"page":     func(d *pageData, body any) *pageData { c := *d; c.Body = body; return &c },
	"cellOf": func(name, label, typ, value, err string) cell {
		return cell{Name: name, ID: fieldID(name), Label: label, Type: typ, Value: value, Error: err}
	},
	"actionOf": func(hostAction string) string { return hostAction[strings.LastIndexByte(hostAction, '/')+1:] },
	// postHTML sanitises a post's HTML once more, with the description's
	// policy, before it reaches the page.
	"postHTML": func(s string) template.HTML {
		return template.HTML(markdownPolicy.Sanitize(s)) //nolint:gosec // sanitised just now
	},
}

// pageData is what every page template gets: the layout's needs and the
// page's own Body. T and Tf translate into the page language.
type pageData struct {
	Lang         string
	Instance     string
	InstanceLang string // the language of Instance, when not the page's
	Title        string
	Body         any
	User         *commons.User // the signed-in editor, or nil
	csrf         func() string // the CSRF token, set in a cookie on first use
	csrfUsed     bool
	Langs        []langLink  // the language switcher
	Alternates   []alternate // <link rel="alternate"> in the head
	Notice       string      // a one-line confirmation after a POST
	Federated    bool
	Site         siteView
}

// langLink is one entry of the language switcher.
type langLink struct {
	Tag, Name, URL string
	Current        bool
}

// alternate is another representation of a page: a feed, JSON, JSON-LD.
type alternate struct{ Type, URL, Title string }

// CSRF returns the token every form carries. Only pages with a form ask
// for it, so only they set the cookie and are kept out of shared caches.
func (d *pageData) CSRF() string {
	if d.csrf == nil {
		return ""
	}
	d.csrfUsed = true
	return d.csrf()
}

// T returns the message key in the page language.
func (d *pageData) T(key string) string { return translate(d.Lang, key) }

// Tf formats the message key in the page language with args.
func (d *pageData) Tf(key string, args ...any) string { return i18n.F(d.Lang, key, args...) }

// N formats the counted message key for n in the page language: the text
// of n's plural category, n its first argument, args after it.
func (d *pageData) N(key string, n int, args ...any) string { return i18n.N(d.Lang, key, n, args...) }

// Num writes n as the page language does ("1.234" in German).
func (d *pageData) Num(n int) string { return i18n.For(d.Lang).Number(n) }

// Bytes writes a size in binary units ("1.5 MiB", "1,5 MiB" in German).
func (d *pageData) Bytes(n int64) string {
	if n < 1024 {
		return i18n.For(d.Lang).Number(int(n)) + " B"
	}
	v, units := float64(n)/1024, []string{"KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return i18n.For(d.Lang).Decimal(v) + " " + units[i]
}

// Since writes how long ago t was, in compact units: 40s, 12m, 3h05m, 2d4h.
func (d *pageData) Since(t time.Time) string {
	s := int(time.Since(t).Seconds())
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", max(s, 0))
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
}

// Country is a country's name in the page language ("Frankreich").
func (d *pageData) Country(code string) string { return countryLabel(d.Lang, code) }

// Language is a language's name in the page language ("Französisch").
func (d *pageData) Language(tag string) string { return languageLabel(d.Lang, tag) }

// Date writes the day of t as the page language does.
func (d *pageData) Date(t time.Time) string { return formatDate(d.Lang, t) }

// Day writes a date given as 2006-01-02 as the page language does.
func (d *pageData) Day(iso string) string { return formatDay(d.Lang, iso) }

// newPage starts the data of a page for r: its language (which it also
// remembers in a cookie when chosen by ?lang=), the signed-in user, the
// CSRF token and the language switcher.
func (s *server) newPage(w http.ResponseWriter, r *http.Request, title string) *pageData {
	lang := pageLanguage(r)
	s.rememberLang(w, r, lang)
	d := &pageData{Lang: lang, Title: title, Federated: s.fed != nil}
	d.Instance, d.InstanceLang = s.instanceName(lang)
	d.Site = s.siteIn(lang)
	d.User = s.sessionUser(r)
	d.csrf = func() string { return s.csrfToken(w, r) }
	d.Notice = noticeText(lang, r.URL.Query().Get("done"))
	d.Langs = switcher(r, lang)
	return d
}

// rememberLang sets the language cookie when ?lang= chose the page's
// language.
func (s *server) rememberLang(w http.ResponseWriter, r *http.Request, lang string) {
	if q := r.URL.Query().Get("lang"); q == lang {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.https, SameSite: http.SameSiteLaxMode})
	}
}

// switcher links the page r in each page language.
func switcher(r *http.Request, lang string) []langLink {
	var out []langLink
	for _, tag := range switcherLangs {
		q := r.URL.Query()
		q.Set("lang", tag)
		q.Del("done")
		out = append(out, langLink{Tag: tag, Name: autonym(tag), URL: r.URL.Path + "?" + q.Encode(), Current: tag == lang})
	}
	return out
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 rather than half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, d *pageData) error {
	t := s.pages.t[name]
	if t == nil {
		return fmt.Errorf("render %s: no template %q", r.URL.Path, name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("render %s: %w", r.URL.Path, err)
	}
	h := w.Header()
	h["Content-Security-Policy"] = hdrPageCSP
	h["Cross-Origin-Opener-Policy"] = hdrSameOrigin
	h["Permissions-Policy"] = hdrPermissions
	h.Set("Content-Language", d.Lang)
	if d.User != nil || d.csrfUsed {
		h.Set("Cache-Control", "private, no-store")
	}
	writeBody(w, status, mediaHTML, buf.Bytes())
	return nil
}

// Page headers. The CSP allows no script at all, styles only from the one
// stylesheet, and forms to post here (the remote-follow form redirects to
// the visitor's server, hence https:).
var (
	hdrPageCSP     = []string{"default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self' https:; base-uri 'none'; frame-ancestors 'none'"}
	hdrSameOrigin  = []string{"same-origin"}
	hdrPermissions = []string{"camera=(), microphone=(), geolocation=(), interest-cohort=()"}
)

// renderError writes the HTML error page. It is the adapter's last resort,
// so it logs a failure to render rather than returning it.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, detail string) {
	lang := pageLanguage(r)
	title := translate(lang, "error."+strconv.Itoa(status))
	if strings.HasPrefix(title, "error.") {
		title = http.StatusText(status)
	}
	d := &pageData{Lang: lang, Title: title, Body: struct {
		Status int
		Detail string
	}{status, detail}, Langs: switcher(r, lang)}
	d.Instance, d.InstanceLang = s.instanceName(lang)
	d.Site = s.siteIn(lang)
	if err := s.render(w, r, status, "error", d); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "render error page", slog.Any("err", err))
		http.Error(w, detail, status)
	}
}

// setVary marks a response as negotiated on Accept (and, for pages, on
// Accept-Language and the language and session cookies).
func setVary(w http.ResponseWriter) { w.Header()["Vary"] = hdrVaryPage }

// hdrVaryPage is shared by every response so that setting it allocates
// nothing; header values are never modified in place.
var hdrVaryPage = []string{"Accept, Accept-Language, Cookie"}

// pageRoutes adds the HTML directory: the pages people browse. The two
// negotiated pages (/ and /records/{slug} also answer JSON) are API
// routes, described in openapi.json; every other page is HTML only and
// lives on the UI router (ui_routes.go), which is mounted as a handler so
// that the OpenAPI test, which walks the API router, does not list it.
func (s *server) pageRoutes(r *mux.Router) {
	const get, head = http.MethodGet, http.MethodHead
	r.Handle("/", s.handle(s.handleHome)).Methods(get, head)
	r.Handle("/records/{slug}", s.handle(s.handleRecordPage)).Methods(get, head)
	r.Handle("/static/style.css", s.handle(s.handleStyle)).Methods(get, head)
	ui := s.uiRouter()
	r.MatcherFunc(func(req *http.Request, m *mux.RouteMatch) bool {
		var um mux.RouteMatch
		return ui.Match(req, &um)
	}).Handler(http.HandlerFunc(ui.ServeHTTP)) // HTML only: not walked as API routes (TestUIRoutesOutsideAPI)
}

// handleHome answers / : the search page, or the result page as JSON.
func (s *server) handleHome(w http.ResponseWriter, r *http.Request) error {
	setVary(w)
	if s.fed != nil && wantsActivity(r, actorPageOffers) {
		// The instance's address pasted into a fediverse search finds the
		// instance actor.
		http.Redirect(w, r, s.base+"/actor", http.StatusFound)
		return nil
	}
	asJSON := negotiate(r.Header.Get("Accept"), pageOffers) == mediaJSON
	page, err := s.search(r, !asJSON)
	if err != nil {
		return err
	}
	if asJSON {
		s.writePage(w, r, page)
		return nil
	}
	d := s.newPage(w, r, s.nameIn(pageLanguage(r)).Text)
	d.Body = s.resultsView(r, d.Lang, page, "/")
	d.Alternates = append(d.Alternates, alternate{mediaAtom, "/feeds/records.atom", d.T("feed.records")},
		alternate{"application/ld+json", "/catalog.jsonld", d.T("footer.catalog")})
	if s.fed != nil {
		d.Alternates = append(d.Alternates, alternate{mediaActivity, s.base + "/actor", s.name})
	}
	return s.render(w, r, http.StatusOK, "home", d)
}

// resultsView builds the search form, facets and results of a page whose
// search starts at path. fixed names the facet the page itself is about
// (a topic page's kind or country), which it does not offer.
func (s *server) resultsView(r *http.Request, lang string, page *commons.RecordPage, path string, fixed ...string) homeView {
	q := r.URL.Query()
	body := homeView{Action: path, Query: q.Get("q"), Total: page.Total, SearchedFor: page.SearchedFor}
	match := page.Match
	if match == nil {
		match = queryMatch(body.Query)
	}
	names := originNames{s: s, r: r, lang: lang}
	for _, rec := range page.Records {
		name, summary := textIn(rec.Name, lang), textIn(rec.Summary, lang)
		v := resultView{
			URL:         s.recordURL(rec) + langQuery(q),
			Name:        name,
			NameHTML:    highlight(name.Text, name.Lang, match),
			Summary:     summary,
			SummaryHTML: highlight(summary.Text, summary.Lang, match),
			Kinds:       rec.Kinds,
			Status:      rec.Status,
			Remote:      !rec.IsLocal(s.base),
			Initial:     initial(name.Text),
		}
		v.KeptBy = names.of(hostOf(rec.Provenance.Origin))
		for _, c := range rec.Countries {
			if !slices.Contains(v.Countries, countryLabel(lang, c.Code)) {
				v.Countries = append(v.Countries, countryLabel(lang, c.Code))
			}
		}
		for _, l := range rec.Licences {
			if !slices.Contains(v.Licences, l.Expression) {
				v.Licences = append(v.Licences, l.Expression)
			}
		}
		body.Results = append(body.Results, v)
	}
	for _, name := range commons.Facets {
		counts := page.Facets[name]
		if len(counts) == 0 || slices.Contains(fixed, name) {
			continue
		}
		g := facetView{Name: name, Label: translate(lang, "facet."+name)}
		for i, c := range counts {
			selected := slices.Contains(splitList(q[name]), c.Value)
			label := facetLabel(lang, name, c.Value)
			if name == commons.FacetOrigin {
				label = names.of(c.Value)
			}
			v := facetValue{Value: c.Value, Label: label, ID: "facet-" + name + "-" + strconv.Itoa(i),
				Count: c.Count, CountText: i18n.For(lang).Number(c.Count), Selected: selected, URL: toggleFacet(path, q, name, c.Value)}
			g.Values = append(g.Values, v)
			if selected {
				body.Active = append(body.Active, v)
			}
		}
		g.Values, g.More = foldFacet(g.Values)
		sortByLabel(lang, g.Values, func(v facetValue) string { return v.Label })
		sortByLabel(lang, g.More, func(v facetValue) string { return v.Label })
		g.All = len(g.Values) + len(g.More)
		body.Facets = append(body.Facets, g)
	}
	if page.Next != "" {
		next := cloneValues(q)
		next.Set("cursor", page.Next)
		body.NextURL = path + "?" + next.Encode()
	}
	if len(body.Results) == 0 {
		for _, k := range commons.Kinds {
			body.Suggest = append(body.Suggest, namedLink{translate(lang, "kind."+k), "/topics/" + k + langQuery(q)})
		}
		sortByLabel(lang, body.Suggest, func(l namedLink) string { return l.Label })
	}
	return body
}

// facetShown is how many values of a facet show before "show all".
const facetShown = 6

// foldFacet keeps the selected values and the most frequent ones in view,
// up to facetShown, and folds the others, when there are more than
// facetShown+2 (folding one or two would save nothing).
func foldFacet(vs []facetValue) (shown, more []facetValue) {
	if len(vs) <= facetShown+2 {
		return vs, nil
	}
	byCount := slices.Clone(vs)
	slices.SortStableFunc(byCount, func(a, b facetValue) int {
		if a.Selected != b.Selected {
			if a.Selected {
				return -1
			}
			return 1
		}
		return b.Count - a.Count
	})
	n := max(facetShown, countSelected(vs))
	return byCount[:n], byCount[n:]
}

func countSelected(vs []facetValue) int {
	n := 0
	for _, v := range vs {
		if v.Selected {
			n++
		}
	}
	return n
}

// initial is the first letter of a name, upper case, for a result's
// generated icon.
func initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return "·"
}

// originNames names the instances of one page by their own names, asking
// the federation once per host.
type originNames struct {
	s    *server
	r    *http.Request
	lang string
	m    map[string]string
}

// of is the name of the instance at host: this one's in the page
// language, a peer's as its actor gives it, else the host.
func (o *originNames) of(host string) string {
	if host == "" || host == hostOf(o.s.base) {
		return o.s.nameIn(o.lang).Text
	}
	if name, ok := o.m[host]; ok {
		return name
	}
	name := host
	if o.s.fed != nil {
		for _, scheme := range []string{"https://", "http://"} {
			if n := o.s.fed.InstanceName(o.r.Context(), scheme+host); n != "" {
				name = n
				break
			}
		}
	}
	if o.m == nil {
		o.m = map[string]string{}
	}
	o.m[host] = name
	return name
}

// recordURL is the page of a record: ours at /records/{slug}, a copy from
// a peer at /instances/{host}/records/{slug}.
func (s *server) recordURL(rec *commons.Record) string {
	if rec.IsLocal(s.base) || rec.Provenance.Origin == "" {
		return "/records/" + url.PathEscape(rec.Slug)
	}
	return "/instances/" + url.PathEscape(hostOf(rec.Provenance.Origin)) + "/records/" + url.PathEscape(rec.Slug)
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
	return s.renderRecord(w, r, rec)
}

// handleStyle serves the pages' one stylesheet.
func (s *server) handleStyle(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	writeBody(w, http.StatusOK, "text/css; charset=utf-8", s.style)
	return nil
}

type homeView struct {
	Action      string // where the search form goes
	Query       string
	SearchedFor string // the query the results answer, when not the one typed
	Total       int
	Results     []resultView
	Facets      []facetView
	Active      []facetValue // the selected facet values, each linking to its removal
	NextURL     string
	Suggest     []namedLink // with no result: the kinds to browse
}

type resultView struct {
	URL                   string
	Name, Summary         localText
	NameHTML, SummaryHTML template.HTML // with the matched words in <mark>
	Initial               string        // the generated icon's letter
	Kinds                 []string
	Countries             []string // names in the page language
	Licences              []string // SPDX expressions
	Status                string
	Remote                bool
	KeptBy                string // the name of the instance that keeps it
}

type facetView struct {
	Name, Label string
	Values      []facetValue // in view
	More        []facetValue // folded under "show all"
	All         int
}

type facetValue struct {
	Value, Label string
	ID           string // of its checkbox
	Count        int
	CountText    string // Count as the page language writes it
	Selected     bool
	URL          string
}

type namedLink struct{ Label, URL string }

// localText is a text in one language, with that language's tag for the
// element's lang attribute.
type localText struct{ Text, Lang string }

func textIn(t commons.Text, lang ...string) localText {
	s, tag := t.Get(lang...)
	return localText{Text: s, Lang: tag}
}

// toggleFacet returns the URL of the search q at path with value added to
// facet name, or removed if it is there; paging starts again.
func toggleFacet(path string, q url.Values, name, value string) string {
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
	if len(next) == 0 {
		return path
	}
	return path + "?" + next.Encode()
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
