package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// recordForm is a valid form for a new record, as a browser posts it.
func recordForm(slug string) url.Values {
	f := url.Values{
		"slug": {slug}, "textlangs": {"en,fr,de"}, "name.en": {"Decidim"}, "summary.en": {"Participatory democracy"},
		"kinds": {"software"}, "status": {"stable"}, "keywords": {"democracy, participation"},
		"governance.model": {"association"}, "governance.community_size": {"300"}, "governance.open_membership": {"true"},
		"links.homepage": {"https://decidim.org"},
		"rows.countries": {"2"}, "countries[0].code": {"es"}, "countries[0].role": {"origin"},
		"rows.licences": {"1"}, "licences[0].expression": {"AGPL-3.0-only"},
		"rows.funding.calls": {"1"}, "funding.calls[0].title.en": {"Civic fund"}, "funding.calls[0].url": {"https://fund.example/civic"},
		"rows.funding.channels": {"1"}, "funding.channels[0].kind": {"donation"}, "funding.channels[0].url": {"https://opencollective.com/decidim"},
		"rows.identifiers": {"1"}, "identifiers[0].scheme": {"wikidata"}, "identifiers[0].value": {"Q28058939"},
		"rows.relations": {"1"}, "relations[0].type": {"based-on"}, "relations[0].target": {"https://rubyonrails.org"},
		"rows.organisations": {"1"}, "organisations[0].name": {"Decidim Association"}, "organisations[0].role": {"steward"},
	}
	return f
}

// TestUIEditor creates, edits (with a validation error, more rows and a
// conflict), reads the history and deletes a record through the forms.
func TestUIEditor(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	b.login("ed")

	// Validation errors sit beside their fields, with aria-describedby.
	bad := recordForm("decidim")
	bad.Set("countries[0].code", "XX")
	bad.Del("kinds")
	bad.Set("governance.community_size", "many")
	_, page := b.post("/edit/new", bad, http.StatusUnprocessableEntity)
	wantIn(t, "errors", page, `id="f-countries-0-code" name="countries[0].code" type="text" value="XX" aria-invalid="true" aria-describedby="ef-countries-0-code"`,
		`id="ef-countries-0-code"`, `id="e-kinds"`, `id="ef-governance-community_size"`, `href="#f-countries-0-code">Countries, row 1: Country code:`, "error-summary")
	checkHTML(t, "form with errors", page)

	// "Add rows" shows more blank rows and keeps what was typed.
	more := recordForm("decidim")
	more.Set("more", "identifiers")
	_, page = b.post("/edit/new", more, http.StatusOK)
	wantIn(t, "more rows", page, `id="f-identifiers-3-value"`, `value="Q28058939"`, `value="Participatory democracy"`)

	// A text in one more language, and a bad tag.
	badLang := recordForm("decidim")
	badLang.Set("newlang", "not a tag")
	_, page = b.post("/edit/new", badLang, http.StatusUnprocessableEntity)
	wantIn(t, "bad language tag", page, `id="ef-newlang"`)

	good := recordForm("decidim")
	good.Set("newlang", "ES")
	good.Set("newlang.name", "Decidim (es)")
	resp, _ := b.post("/edit/new", good, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/records/decidim?done=created" {
		t.Fatalf("create redirects to %q", loc)
	}
	rec, err := s.db.Record(t.Context(), "decidim")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Countries[0].Code != "ES" || len(rec.Countries) != 1 || rec.Governance.CommunitySize != 300 || !*rec.Governance.OpenMembership ||
		rec.Funding.Calls[0].Title["en"] != "Civic fund" || rec.Relations[0].Target != "https://rubyonrails.org" || len(rec.Keywords) != 2 {
		t.Errorf("created record %+v", rec)
	}
	wantIn(t, "record", b.get("/records/decidim?done=created", http.StatusOK), "The record was created.", "Civic fund", "Decidim Association")

	// The edit form round-trips every field.
	form := b.get("/records/decidim/edit", http.StatusOK)
	wantIn(t, "edit form", form, `id="f-name-es" name="name.es" type="text" value="Decidim (es)"`, `value="ES"`, `value="AGPL-3.0-only"`, `value="https://opencollective.com/decidim"`,
		`<option value="association" selected>`, `name="version" value="1"`)

	edit := recordForm("ignored")
	edit.Set("version", "1")
	edit.Set("summary.en", "Free open-source participatory democracy")
	resp, _ = b.post("/records/decidim/edit", edit, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/records/decidim?done=saved" {
		t.Fatalf("edit redirects to %q", loc)
	}
	// A stale version is a conflict, shown kindly, the input kept.
	edit.Set("summary.en", "Stale edit")
	_, page = b.post("/records/decidim/edit", edit, http.StatusConflict)
	wantIn(t, "conflict", page, "Someone else saved this record", `value="Stale edit"`, `name="version" value="2"`)

	// History, newest first, with the differences.
	hist := b.get("/records/decidim/history", http.StatusOK)
	wantIn(t, "history", hist, "Changed", "Created", `<th scope="row">Summary (one line) (English)</th>`, "<del>Participatory democracy</del>", "<ins>Free open-source participatory democracy</ins>")
	if strings.Index(hist, "Changed") > strings.Index(hist, "Created") {
		t.Error("history is not newest first")
	}

	// A post for the record's followers.
	_, page = b.post("/records/decidim/post", url.Values{"text": {""}, "lang": {"en"}}, http.StatusUnprocessableEntity)
	wantIn(t, "empty post", page, `id="text-err"`)
	b.post("/records/decidim/post", url.Values{"text": {"A new **release**"}, "lang": {"en"}}, http.StatusSeeOther)
	wantIn(t, "posted", b.get("/records/decidim", http.StatusOK), "<strong>release</strong>")

	// Delete, with the version.
	wantIn(t, "delete page", b.get("/records/decidim/delete", http.StatusOK), `name="version" value="2"`)
	b.post("/records/decidim/delete", url.Values{"version": {"2"}}, http.StatusSeeOther)
	b.get("/records/decidim", http.StatusGone)

	// Without the CSRF token nothing changes.
	resp, _ = b.do("POST", "/records/osm/delete", url.Values{"version": {"1"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("delete without CSRF: %d", resp.StatusCode)
	}
	// Nor from another site, even with the token.
	r, _ := http.NewRequest("POST", s.URL+"/records/osm/delete", strings.NewReader(url.Values{"version": {"1"}, "csrf": {b.csrf()}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.example")
	if resp, err := b.c.Do(r); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site delete: %v %v", resp, err)
	}
}

func TestParseRecordFormDropsBlankRows(t *testing.T) {
	f := url.Values{"textlangs": {"en"}, "name.en": {"X"}, "rows.countries": {"3"},
		"countries[0].code": {""}, "countries[1].code": {"fr"}, "countries[1].role": {"origin"}, "countries[2].role": {""}}
	rec, bad := parseRecordForm(f)
	if len(bad) != 0 || len(rec.Countries) != 1 || rec.Countries[0] != (commons.Country{Code: "FR", Role: "origin"}) || rec.Funding != nil || rec.Governance != nil {
		t.Errorf("parsed %+v, %v", rec, bad)
	}
	for _, n := range []string{"-1", "x", "9999"} {
		f.Set("rows.countries", n)
		if rec, _ := parseRecordForm(f); len(rec.Countries) > 1 {
			t.Errorf("rows %s: %d countries", n, len(rec.Countries))
		}
	}
	if got := fieldID("funding.calls[12].deadline"); got != "f-funding-calls-12-deadline" {
		t.Errorf("fieldID = %q", got)
	}
}

// TestUIOperator runs the operators' pages: blocks one by one and from a
// Mastodon CSV, unblock, users, roles, passwords and tokens.
func TestUIOperator(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	b.login("ada")
	b.post("/ops/blocks", url.Values{"domain": {"spam.example"}, "reason": {"spam"}}, http.StatusSeeOther)
	_, page := b.post("/ops/blocks", url.Values{"domain": {"not a domain"}}, http.StatusUnprocessableEntity)
	wantIn(t, "bad domain", page, `id="domain-err"`, `value="not a domain"`)
	b.post("/ops/blocks/import", url.Values{"csv": {"#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nbad.example,suspend,false,false,nasty,false\n"}}, http.StatusSeeOther)
	page = b.get("/ops", http.StatusOK)
	wantIn(t, "blocks", page, "spam.example", "bad.example", "No peers yet.", "0 deliveries")
	b.post("/ops/blocks/remove", url.Values{"domain": {"spam.example"}}, http.StatusSeeOther)
	wantNotIn(t, "after unblock", b.get("/ops", http.StatusOK), "<strong>spam.example</strong>")
	_, page = b.post("/ops/peers", url.Values{"target": {""}}, http.StatusUnprocessableEntity)
	wantIn(t, "no target", page, `id="target-err"`)
	for _, action := range []string{"approve", "reject", "sync", "unfollow"} {
		b.post("/ops/peers/nowhere.example/"+action, url.Values{}, http.StatusNotFound)
	}

	// Users: add, change role and password; tokens: create (shown once), revoke.
	b.post("/ops/users", url.Values{"name": {"zoe"}, "role": {"editor"}, "password": {"a long enough password"}}, http.StatusSeeOther)
	_, page = b.post("/ops/users", url.Values{"name": {"Bad Name"}, "role": {"editor"}, "password": {"short"}}, http.StatusUnprocessableEntity)
	wantIn(t, "bad user", page, `id="new-name-err"`, `id="new-password-err"`)
	b.post("/ops/users/zoe", url.Values{"role": {"admin"}}, http.StatusSeeOther)
	b.post("/ops/users/zoe", url.Values{"password": {"another long password"}}, http.StatusSeeOther)
	if u, err := s.db.Authenticate(t.Context(), "zoe", "another long password"); err != nil || u.Role != "admin" {
		t.Errorf("zoe: %+v, %v", u, err)
	}
	_, page = b.post("/ops/tokens", url.Values{"user": {"zoe"}, "label": {"ci"}}, http.StatusOK)
	i := strings.Index(page, `<code class="token">`)
	if i < 0 {
		t.Fatalf("no token shown:\n%s", page)
	}
	tok := page[i+len(`<code class="token">`):]
	tok = tok[:strings.Index(tok, "<")]
	if u, err := s.db.UserByToken(t.Context(), tok); err != nil || u.Name != "zoe" {
		t.Fatalf("token: %v, %v", u, err)
	}
	wantNotIn(t, "users page", b.get("/ops/users", http.StatusOK), tok)
	b.post("/ops/tokens/revoke", url.Values{"token": {tok}}, http.StatusSeeOther)
	_, page = b.post("/ops/tokens/revoke", url.Values{"token": {tok}}, http.StatusUnprocessableEntity)
	wantIn(t, "revoked twice", page, `id="revoke-err"`)
	if _, err := s.db.UserByToken(t.Context(), tok); err == nil {
		t.Error("the revoked token still works")
	}
}

func TestFieldLabel(t *testing.T) {
	tests := []struct{ lang, path, want string }{
		{"en", "countries[0].code", "Countries, row 1: Country code"},
		{"fr", "funding.calls[2].deadline", "Appels de financement, ligne 3 : Échéance"},
		{"en", "name.fr", "Name (French)"},
		{"de", "name.fr", "Name (Französisch)"},
		{"en", "links.homepage", "Links: Homepage"},
		{"de", "governance.model", "Governance: Modell"},
		{"en", "kinds", "Kinds"},
		{"en", "something.else", "something.else"},
	}
	for _, tt := range tests {
		if got := fieldLabel(tt.lang, tt.path); got != tt.want {
			t.Errorf("fieldLabel(%s, %s) = %q, want %q", tt.lang, tt.path, got, tt.want)
		}
	}
}

// TestUIPeers runs the peer forms against a second real instance: follow,
// a sync refused then done, approve, reject, unfollow; the peer's page and
// the stats show its records.
func TestUIPeers(t *testing.T) {
	a, b := newUIServer(t), newUIServer(t)
	bHost := hostOf(b.URL)
	ops := a.browser(t)
	ops.login("ada")
	ops.post("/ops/peers", url.Values{"target": {b.URL}}, http.StatusSeeOther)
	wantIn(t, "peers", ops.get("/ops", http.StatusOK), `href="/instances/`+bHost+`"`, "pending")
	_, page := ops.post("/ops/peers/"+bHost+"/sync", url.Values{}, http.StatusConflict)
	wantIn(t, "early sync", page, `class="error" role="alert">`+bHost+": ")

	if _, err := a.db.UpdatePeer(t.Context(), bHost, func(p *store.Peer) error { p.Outgoing = commons.PeerAccepted; return nil }); err != nil {
		t.Fatal(err)
	}
	ops.post("/ops/peers/"+bHost+"/sync", url.Values{}, http.StatusSeeOther)
	wantIn(t, "peer page", ops.get("/instances/"+bHost, http.StatusOK), "3 commons found", `href="/instances/`+bHost+`/records/osm"`,
		"<h1>Test Commons</h1>", "Kept by Test Commons")
	wantIn(t, "stats", ops.get("/stats", http.StatusOK), `<th scope="row">Test Commons</th><td>3</td>`)
	wantIn(t, "about", ops.get("/about", http.StatusOK), `href="/instances/`+bHost+`"`)

	if _, err := a.db.UpdatePeer(t.Context(), bHost, func(p *store.Peer) error {
		p.Incoming, p.IncomingFollowID = commons.PeerPending, b.URL+"/actor#follows/1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	page = ops.get("/ops", http.StatusOK)
	wantIn(t, "pending request", page, `action="/ops/peers/`+bHost+`/approve"`, `action="/ops/peers/`+bHost+`/reject"`)
	validateHTML(t, map[string]string{"ops-peers": page, "stats-peers": ops.get("/stats", http.StatusOK),
		"instance-peer": ops.get("/instances/"+bHost, http.StatusOK), "about-peers": ops.get("/about", http.StatusOK)})
	ops.post("/ops/peers/"+bHost+"/approve", url.Values{}, http.StatusSeeOther)
	ops.post("/ops/peers/"+bHost+"/reject", url.Values{}, http.StatusSeeOther)
	ops.post("/ops/peers/"+bHost+"/unfollow", url.Values{}, http.StatusSeeOther)
	wantNotIn(t, "after unfollow", ops.get("/ops", http.StatusOK), `action="/ops/peers/`+bHost+`/unfollow"`)
}

// TestUIEditNeedsVersion checks that an edit or delete form without a
// usable version (missing, 0, garbage) is refused with 428, as the API
// refuses a write without If-Match, and changes nothing.
func TestUIEditNeedsVersion(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	b.login("ed")
	before, err := s.db.Record(t.Context(), "osm")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"", "0", "-1", "one", "1.0", " 1"} {
		edit := recordForm("ignored")
		if v != "" {
			edit.Set("version", v)
		}
		edit.Set("summary.en", "Written without a version")
		b.post("/records/osm/edit", edit, http.StatusPreconditionRequired)
		del := url.Values{}
		if v != "" {
			del.Set("version", v)
		}
		b.post("/records/osm/delete", del, http.StatusPreconditionRequired)
	}
	after, err := s.db.Record(t.Context(), "osm")
	if err != nil {
		t.Fatal(err)
	}
	if after.Provenance.Version != before.Provenance.Version || after.Summary["en"] == "Written without a version" {
		t.Errorf("osm changed: version %d → %d", before.Provenance.Version, after.Provenance.Version)
	}
	// With its version, the same edit passes.
	edit := recordForm("ignored")
	edit.Set("version", strconv.Itoa(before.Provenance.Version))
	b.post("/records/osm/edit", edit, http.StatusSeeOther)
}

// programmeFormValues is a valid form for a new funding programme.
func programmeFormValues(slug string) url.Values {
	return url.Values{
		"slug": {slug}, "textlangs": {"en"}, "name.en": {"Civic Fund"}, "summary.en": {"Grants for civic tech."},
		"programme": {"1"}, "programme.funder.name.en": {"Civic Foundation"}, "programme.funder.url": {"https://civic.example/"},
		"programme.kind": {"grant"}, "programme.status": {"open"}, "programme.eligibility.countries": {"fr, eu"},
		"programme.eligibility.kinds": {"software", "data"}, "programme.eligibility.legal_forms": {"association"},
		"programme.purposes": {"maintenance"}, "programme.amount.min": {"1000"}, "programme.amount.max": {"20000"},
		"programme.amount.currency": {"eur"}, "programme.co_funding.required": {"no"},
		"programme.source_url": {"https://civic.example/fund"}, "programme.checked": {"2026-12-01"},
		"rows.programme.calls": {"2"}, "programme.calls[0].title.en": {"Winter call"}, "programme.calls[0].deadline": {"2027-02-01"},
		"programme.calls[0].url": {"https://civic.example/winter"},
	}
}

// TestUIProgrammeEditor creates a programme through the form, shows an
// error beside its field, and edits it without losing its programme part.
func TestUIProgrammeEditor(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	b.login("ed")
	wantIn(t, "list", b.get("/funding/programmes", http.StatusOK), `href="/edit/new?programme=1"`)
	page := b.get("/edit/new?programme=1", http.StatusOK)
	wantIn(t, "new programme form", page, `name="programme" value="1"`, `name="programme.kind"`, `name="programme.calls[0].opens"`)
	checkHTML(t, "new programme form", page)

	bad := programmeFormValues("civic-fund")
	bad.Set("programme.kind", "")
	bad.Set("programme.amount.max", "lots")
	_, page = b.post("/edit/new", bad, http.StatusUnprocessableEntity)
	wantIn(t, "errors", page, `id="ef-programme-amount-max"`)

	resp, _ := b.post("/edit/new", programmeFormValues("civic-fund"), http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/records/civic-fund?done=created" {
		t.Fatalf("create redirects to %q", loc)
	}
	rec, err := s.db.Record(t.Context(), "civic-fund")
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Programme
	if p == nil || p.Kind != "grant" || strings.Join(p.Eligibility.Countries, ",") != "FR,EU" || strings.Join(p.Eligibility.Kinds, ",") != "software,data" ||
		p.Amount.Currency != "EUR" || p.Amount.Max != 20000 || p.CoFunding.Required != "no" || len(p.Calls) != 1 || p.Calls[0].Deadline != "2027-02-01" ||
		p.Funder.Name["en"] != "Civic Foundation" {
		t.Fatalf("created programme %+v", p)
	}
	form := b.get("/records/civic-fund/edit", http.StatusOK)
	wantIn(t, "edit form", form, `value="Civic Foundation"`, `value="FR, EU"`, `value="2027-02-01"`, `value="maintenance" checked`)

	edit := programmeFormValues("civic-fund")
	edit.Set("version", "1")
	edit.Set("programme.calls[0].deadline", "2027-03-01")
	b.post("/records/civic-fund/edit", edit, http.StatusSeeOther)
	rec, err = s.db.Record(t.Context(), "civic-fund")
	if err != nil || rec.Programme == nil || rec.Programme.Calls[0].Deadline != "2027-03-01" || rec.Provenance.Version != 2 {
		t.Fatalf("edited programme %+v, %v", rec, err)
	}
}
