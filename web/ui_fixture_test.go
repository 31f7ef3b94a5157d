package web

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// uiPassword is the password newTestServer gives its users ed and ada.
const uiPassword = "correct horse battery staple"

// newUIServer is a federated test instance with a few rich records: one
// with governance, funding calls (one past, one soon, one undated) and
// channels, in French and English.
func newUIServer(t testing.TB) *testServer {
	t.Helper()
	tt, ok := t.(*testing.T)
	if !ok {
		t.Fatal("newUIServer needs a *testing.T")
	}
	s := newFederatedServer(tt, func(o *Options) { o.Site = uiSite })
	seedUIRecords(t, s)
	return s
}

// uiSite is the identity of the UI tests' instance: every fact set, so
// that every part of the header, footer and notices shows.
var uiSite = Site{
	ShortName: commons.Text{"en": "Test Commons", "fr": "Communs de test"},
	LogoFile:  []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" rx="8" fill="#0b57d0"/></svg>`),
	LogoType:  "image/svg+xml",
	Accent:    "#1d5c3a", AccentDark: "#9ad7b0",
	Operator:      commons.Text{"en": "Digital Commons Agency", "fr": "Agence des communs numériques"},
	Contact:       "contact@agency.example",
	LegalNotice:   commons.Text{"en": "Digital Commons Agency, 1 Example Street, Brussels.\n\nPublication director: A. Example."},
	PrivacyNotice: commons.Text{"en": "Questions about your data go to the data protection officer."},
	Accessibility: Accessibility{Status: "partial", NonAccessible: commons.Text{"en": "The charts of the figures page are images with a table beside them."},
		Date: "2026-11-30", Feedback: "https://agency.example/accessibility-feedback", Enforcement: "https://enforcement.example/complaints"},
}

// seedUIRecords adds the UI tests' records.
func seedUIRecords(t testing.TB, s *testServer) {
	t.Helper()
	ctx := context.Background()
	soon := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	later := time.Now().AddDate(0, 3, 0).Format("2006-01-02")
	yes := true
	recs := []*commons.Record{
		{
			Slug: "osm", Name: commons.Text{"en": "OpenStreetMap", "fr": "OpenStreetMap (fr)", "de": "OpenStreetMap (de)"},
			Summary:     commons.Text{"en": "The free wiki world map.", "fr": "La carte du monde libre.", "de": "Die freie Weltkarte."},
			Description: commons.Text{"en": "A **map** of the world, made by volunteers."},
			Kinds:       []string{"geodata", "community"}, Status: "stable",
			Countries: []commons.Country{{Code: "EU", Role: "intended-for"}, {Code: "GB", Role: "origin"}},
			Languages: []string{"en", "fr"}, Licences: []commons.Licence{{Expression: "ODbL-1.0", AppliesTo: "data"}},
			Keywords:      []string{"maps"},
			Governance:    &commons.Governance{Model: "foundation", LegalEntity: "OpenStreetMap Foundation", OpenMembership: &yes, CommunitySize: 10000},
			Organisations: []commons.Organisation{{Name: "OpenStreetMap Foundation", URL: "https://osmfoundation.org", Role: "steward"}},
			Funding: &commons.Funding{
				Channels: []commons.FundingChannel{{Kind: "donation", URL: "https://donate.openstreetmap.org", Label: "Donate"}},
				Calls: []commons.FundingCall{
					{Title: commons.Text{"en": "Past call"}, Funder: "Old Fund", URL: "https://fund.example/past", Deadline: "2020-01-01"},
					{Title: commons.Text{"en": "Mapping grants"}, Funder: "NLnet", URL: "https://nlnet.nl/propose", Deadline: later},
					{Title: commons.Text{"en": "Rolling microgrants"}, Funder: "OSMF", URL: "https://osmfoundation.org/grants"},
				},
			},
			Links:       commons.Links{Homepage: "https://www.openstreetmap.org", Repository: "https://github.com/openstreetmap"},
			Identifiers: []commons.Identifier{{Scheme: "wikidata", Value: "Q936"}},
			Relations:   []commons.Relation{{Type: "alternative-to", Target: "Q12345"}},
		},
		{
			Slug: "bano", Name: commons.Text{"fr": "Base Adresse Nationale"}, Summary: commons.Text{"fr": "Les adresses de France."},
			Kinds: []string{"data", "geodata"}, Status: "stable", Countries: []commons.Country{{Code: "FR", Role: "origin"}},
			Licences: []commons.Licence{{Expression: "etalab-2.0"}},
			Funding:  &commons.Funding{Calls: []commons.FundingCall{{Title: commons.Text{"fr": "Appel communs numériques"}, Funder: "ANCT", URL: "https://anct.example/appel", Deadline: soon}}},
		},
		{
			Slug: "wikipedia", Name: commons.Text{"en": "Wikipedia"}, Summary: commons.Text{"en": "The free encyclopedia."},
			Kinds: []string{"knowledge"}, Status: "stable", Countries: []commons.Country{{Code: "US", Role: "origin"}},
			Licences: []commons.Licence{{Expression: "CC-BY-SA-4.0"}},
		},
		{
			Slug: "geo-fund", Name: commons.Text{"en": "Open Geodata Fund", "fr": "Fonds des géodonnées ouvertes"},
			Summary:     commons.Text{"en": "Grants for open geodata in Europe."},
			Description: commons.Text{"en": "Grants for **open geodata** kept by communities."},
			Countries:   []commons.Country{{Code: "NL", Role: "origin"}},
			Programme: &commons.Programme{
				Funder: commons.Funder{Name: commons.Text{"en": "Geo Foundation"}, URL: "https://geo.example/"}, Kind: "grant", Status: "open",
				Eligibility: commons.Eligibility{Countries: []string{"EU"}, Kinds: []string{"geodata"}, LegalForms: []string{"foundation", "association"}},
				Purposes:    []string{"maintenance", "community"},
				Amount:      &commons.Amount{Min: 5000, Max: 50000, Currency: "EUR"}, CoFunding: &commons.CoFunding{Required: "no"},
				Calls: []commons.ProgrammeCall{
					{Title: commons.Text{"en": "Spring round"}, Opens: "2020-01-01", Deadline: soon, URL: "https://geo.example/spring"},
					{Title: commons.Text{"en": "Old round"}, Deadline: "2020-06-01"},
				},
				ApplyURL: "https://geo.example/apply", SourceURL: "https://geo.example/fund", Checked: "2026-12-01",
			},
		},
		{
			Slug: "old-fund", Name: commons.Text{"en": "Old Fund"},
			Programme: &commons.Programme{Funder: commons.Funder{Name: commons.Text{"en": "Old Foundation"}}, Kind: "prize", Status: "closed",
				SourceURL: "https://old.example/", Checked: "2026-12-01"},
		},
	}
	for _, r := range recs {
		if err := s.db.CreateRecord(ctx, r, "ed"); err != nil {
			t.Fatalf("create %s: %v", r.Slug, err)
		}
	}
}

// uiClient is a browser without JavaScript: a cookie jar, forms posted
// with the page's CSRF token, redirects not followed so tests see them.
type uiClient struct {
	t    testing.TB
	base string
	c    *http.Client
	lang string
}

func (s *testServer) browser(t testing.TB) *uiClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Transport: s.client.Transport, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &uiClient{t: t, base: s.URL, c: c}
}

// do sends one request and returns the response and its body.
func (b *uiClient) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	r.Header.Set("Accept", "text/html")
	if b.lang != "" {
		r.Header.Set("Accept-Language", b.lang)
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(r)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, string(out)
}

// get fetches a page and requires the status.
func (b *uiClient) get(path string, status int) string {
	b.t.Helper()
	resp, body := b.do("GET", path, nil)
	if resp.StatusCode != status {
		b.t.Fatalf("GET %s: %d, want %d\n%s", path, resp.StatusCode, status, body)
	}
	return body
}

// csrf returns the token the site puts in this browser's forms (bound to
// its session, or signed out to its pre-session cookie), read from the
// login page's form.
func (b *uiClient) csrf() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.get("/login", http.StatusOK))
	if m == nil {
		b.t.Fatal("no csrf field in the login form")
	}
	return html.UnescapeString(m[1])
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// post sends a form with the CSRF token and requires the status.
func (b *uiClient) post(path string, form url.Values, status int) (*http.Response, string) {
	b.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf())
	}
	resp, body := b.do("POST", path, form)
	if resp.StatusCode != status {
		b.t.Fatalf("POST %s: %d, want %d\n%s", path, resp.StatusCode, status, body)
	}
	return resp, body
}

// login signs in and requires success.
func (b *uiClient) login(name string) {
	b.t.Helper()
	resp, _ := b.post("/login", url.Values{"name": {name}, "password": {uiPassword}}, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/?done=loggedin" {
		b.t.Fatalf("login redirects to %q", loc)
	}
}
