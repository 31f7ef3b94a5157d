package commons_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/commons-directory/commons"
)

func validProgramme() *commons.Record {
	return &commons.Record{
		Slug:        "ngi0-commons",
		Name:        commons.Text{"en": "NGI Zero Commons Fund"},
		Description: commons.Text{"en": "Grants for the internet commons."},
		Countries:   []commons.Country{{Code: "NL", Role: "origin"}},
		Programme: &commons.Programme{
			Funder:      commons.Funder{Name: commons.Text{"en": "NLnet Foundation"}, URL: "https://nlnet.nl/"},
			Kind:        "grant",
			Eligibility: commons.Eligibility{Countries: []string{"EU"}, Kinds: []string{"software", "standard"}},
			Purposes:    []string{"development", "maintenance"},
			Amount:      &commons.Amount{Min: 5000, Max: 50000, Currency: "EUR"},
			Status:      "open",
			Calls:       []commons.ProgrammeCall{{Title: commons.Text{"en": "Call 1"}, Opens: "2026-10-01", Deadline: "2026-12-01"}},
			SourceURL:   "https://nlnet.nl/commonsfund/",
			Checked:     "2026-12-06",
		},
	}
}

func TestValidateProgramme(t *testing.T) {
	r := validProgramme()
	r.Normalize()
	if err := r.Validate(); err != nil {
		t.Fatalf("valid programme rejected: %v", err)
	}
	tests := []struct {
		name   string
		change func(p *commons.Programme)
		fields []string
	}{
		{"FunderMissing", func(p *commons.Programme) { p.Funder.Name = nil }, []string{"programme.funder.name"}},
		{"KindMissing", func(p *commons.Programme) { p.Kind = "" }, []string{"programme.kind"}},
		{"KindUnknown", func(p *commons.Programme) { p.Kind = "loan" }, []string{"programme.kind"}},
		{"Country", func(p *commons.Programme) { p.Eligibility.Countries = []string{"EU", "fr"} }, []string{"programme.eligibility.countries[1]"}},
		{"CountryTwice", func(p *commons.Programme) { p.Eligibility.Countries = []string{"FR", "FR"} }, []string{"programme.eligibility.countries[1]"}},
		{"EligibleKind", func(p *commons.Programme) { p.Eligibility.Kinds = []string{"spaceship"} }, []string{"programme.eligibility.kinds[0]"}},
		{"LegalForm", func(p *commons.Programme) { p.Eligibility.LegalForms = []string{"gmbh"} }, []string{"programme.eligibility.legal_forms[0]"}},
		{"Purpose", func(p *commons.Programme) { p.Purposes = []string{"marketing"} }, []string{"programme.purposes[0]"}},
		{"AmountCurrency", func(p *commons.Programme) { p.Amount.Currency = "" }, []string{"programme.amount.currency"}},
		{"AmountOrder", func(p *commons.Programme) { p.Amount.Min = 60000 }, []string{"programme.amount.min"}},
		{"CoFunding", func(p *commons.Programme) { p.CoFunding = &commons.CoFunding{Required: "maybe"} }, []string{"programme.co_funding.required"}},
		{"StatusUnknown", func(p *commons.Programme) { p.Status = "paused" }, []string{"programme.status"}},
		{"CallDeadline", func(p *commons.Programme) { p.Calls[0].Deadline = "1 Dec" }, []string{"programme.calls[0].deadline"}},
		{"CallBackwards", func(p *commons.Programme) { p.Calls[0].Opens = "2027-01-01" }, []string{"programme.calls[0].deadline"}},
		{"CallTitle", func(p *commons.Programme) { p.Calls[0].Title = nil }, []string{"programme.calls[0].title"}},
		{"SourceMissing", func(p *commons.Programme) { p.SourceURL = "" }, []string{"programme.source_url"}},
		{"Checked", func(p *commons.Programme) { p.Checked = "" }, []string{"programme.checked"}},
		{"ApplyURL", func(p *commons.Programme) { p.ApplyURL = "ftp://x" }, []string{"programme.apply_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validProgramme()
			tt.change(r.Programme)
			r.Normalize()
			err := r.Validate()
			var e *commons.Error
			if !errors.As(err, &e) || e.Code != commons.EINVALID {
				t.Fatalf("got %v, want an EINVALID error", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("fields %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

// programme builds a programme record for the matching tests.
func programme(slug, status string, countries, kinds, forms, purposes []string, deadlines ...string) *commons.Record {
	r := &commons.Record{Slug: slug, Name: commons.Text{"en": slug}, Programme: &commons.Programme{
		Funder: commons.Funder{Name: commons.Text{"en": "F"}}, Kind: "grant", Status: status,
		Eligibility: commons.Eligibility{Countries: countries, Kinds: kinds, LegalForms: forms},
		Purposes:    purposes, SourceURL: "https://example.org/", Checked: "2026-12-01",
	}}
	for _, d := range deadlines {
		r.Programme.Calls = append(r.Programme.Calls, commons.ProgrammeCall{Title: commons.Text{"en": "call"}, Deadline: d})
	}
	r.Normalize()
	return r
}

func matchProgrammes() []*commons.Record {
	return []*commons.Record{
		// EU-wide software and standards, a call in January and an old one.
		programme("eu-soft", "open", []string{"EU"}, []string{"software", "standard"}, nil, []string{"development", "maintenance"}, "2026-11-01", "2027-01-15"),
		// Germany only, individuals and companies, a call in December.
		programme("de-indiv", "open", []string{"DE"}, nil, []string{"individual", "company"}, []string{"development"}, "2026-12-20"),
		// Anyone, anywhere, for anything, rolling.
		programme("anyone", "rolling", nil, nil, nil, nil),
		// Rolling, Austria, data only.
		programme("at-data", "rolling", []string{"AT"}, []string{"data", "geodata"}, []string{"association"}, []string{"community"}),
		// Closed: never listed.
		programme("closed", "closed", nil, nil, nil, nil, "2027-01-01"),
		// Open, France and EU, whose only call has passed.
		programme("fr-past", "open", []string{"FR", "EU"}, nil, []string{"association", "foundation"}, []string{"security"}, "2026-06-30"),
	}
}

type matched struct {
	slug    string
	reasons []commons.MatchReason
}

func TestMatchProgrammes(t *testing.T) {
	const today = "2026-12-06"
	r := func(code, value string) commons.MatchReason { return commons.MatchReason{Code: code, Value: value} }
	tests := []struct {
		name string
		q    commons.FundingQuery
		want []matched
	}{
		{"Nothing asked: every programme but the closed one, dated first", commons.FundingQuery{}, []matched{
			{"de-indiv", nil}, {"eu-soft", nil}, {"anyone", nil}, {"at-data", nil}, {"fr-past", nil},
		}},
		{"A French association maintaining software", commons.FundingQuery{Country: "FR", Kind: "software", LegalForm: "association", Purpose: "maintenance"}, []matched{
			{"eu-soft", []commons.MatchReason{r("country-eu", "FR"), r("kind", "software"), r("purpose", "maintenance")}},
			{"anyone", []commons.MatchReason{r("country-any", "")}},
		}},
		{"A German individual developing software", commons.FundingQuery{Country: "DE", Kind: "software", LegalForm: "individual", Purpose: "development"}, []matched{
			{"de-indiv", []commons.MatchReason{r("country", "DE"), r("legal-form", "individual"), r("purpose", "development")}},
			{"eu-soft", []commons.MatchReason{r("country-eu", "DE"), r("kind", "software"), r("purpose", "development")}},
			{"anyone", []commons.MatchReason{r("country-any", "")}},
		}},
		{"Outside the EU: only unrestricted programmes", commons.FundingQuery{Country: "NO"}, []matched{
			{"anyone", []commons.MatchReason{r("country-any", "")}},
		}},
		{"A French foundation's security work: named country before EU", commons.FundingQuery{Country: "FR", LegalForm: "foundation", Purpose: "security"}, []matched{
			{"anyone", []commons.MatchReason{r("country-any", "")}},
			{"fr-past", []commons.MatchReason{r("country", "FR"), r("legal-form", "foundation"), r("purpose", "security")}},
		}},
		{"Austrian geodata association", commons.FundingQuery{Country: "AT", Kind: "geodata", LegalForm: "association"}, []matched{
			{"eu-soft", nil}, // replaced below: eu-soft does not fund geodata
		}},
	}
	tests[len(tests)-1].want = []matched{
		{"anyone", []commons.MatchReason{r("country-any", "")}},
		{"at-data", []commons.MatchReason{r("country", "AT"), r("kind", "geodata"), r("legal-form", "association")}},
		{"fr-past", []commons.MatchReason{r("country-eu", "AT"), r("legal-form", "association")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.q.Validate(); err != nil {
				t.Fatal(err)
			}
			var got []matched
			for _, m := range commons.MatchProgrammes(matchProgrammes(), tt.q, today) {
				got = append(got, matched{m.Programme.Slug, m.Reasons})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestMatchDeadlines(t *testing.T) {
	ps := matchProgrammes()
	got := map[string]string{}
	for _, m := range commons.MatchProgrammes(ps, commons.FundingQuery{}, "2026-12-06") {
		got[m.Programme.Slug] = m.NextDeadline
	}
	want := map[string]string{"eu-soft": "2027-01-15", "de-indiv": "2026-12-20", "anyone": "", "at-data": "", "fr-past": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("next deadlines %v, want %v", got, want)
	}
	// On the day of a deadline the call is still open; the day after, the
	// next one leads.
	if d := ps[1].Programme.NextDeadline("2026-12-20"); d != "2026-12-20" {
		t.Errorf("on the deadline day: %q", d)
	}
	order := func(today string) []string {
		var s []string
		for _, m := range commons.MatchProgrammes(ps, commons.FundingQuery{}, today) {
			s = append(s, m.Programme.Slug)
		}
		return s
	}
	if got, want := order("2026-12-21"), []string{"eu-soft", "anyone", "at-data", "de-indiv", "fr-past"}; !slices.Equal(got, want) {
		t.Errorf("after de-indiv's deadline: %v, want %v", got, want)
	}
}

func TestProgrammesForRecord(t *testing.T) {
	const today = "2026-12-06"
	rec := &commons.Record{Slug: "osm-fr", Name: commons.Text{"en": "OSM France"}, Kinds: []string{"geodata", "software"},
		Countries:  []commons.Country{{Code: "FR", Role: "origin"}, {Code: "AT", Role: "deployed-in"}},
		Governance: &commons.Governance{Model: "association"}}
	var got []matched
	for _, m := range commons.ProgrammesFor(matchProgrammes(), rec, today) {
		got = append(got, matched{m.Programme.Slug, m.Reasons})
	}
	r := func(code, value string) commons.MatchReason { return commons.MatchReason{Code: code, Value: value} }
	want := []matched{
		{"eu-soft", []commons.MatchReason{r("country-eu", "FR"), r("kind", "software")}},
		{"anyone", []commons.MatchReason{r("country-any", "")}},
		{"at-data", []commons.MatchReason{r("country", "AT"), r("kind", "geodata"), r("legal-form", "association")}},
		{"fr-past", []commons.MatchReason{r("country", "FR"), r("legal-form", "association")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	// A company-led commons is a company: de-indiv needs Germany too.
	rec.Governance.Model = "company-led"
	rec.Countries = []commons.Country{{Code: "DE", Role: "origin"}}
	var slugs []string
	for _, m := range commons.ProgrammesFor(matchProgrammes(), rec, today) {
		slugs = append(slugs, m.Programme.Slug)
	}
	if want := []string{"de-indiv", "eu-soft", "anyone"}; !slices.Equal(slugs, want) {
		t.Errorf("company in Germany: %v, want %v", slugs, want)
	}

	// The other way: the commons each programme may suit.
	recs := []*commons.Record{
		{Slug: "b", Name: commons.Text{"en": "B"}, Kinds: []string{"data"}, Countries: []commons.Country{{Code: "AT", Role: "origin"}}},
		{Slug: "a", Name: commons.Text{"en": "A"}, Kinds: []string{"software"}, Countries: []commons.Country{{Code: "NO", Role: "origin"}}},
		{Slug: "c", Name: commons.Text{"en": "C"}, Kinds: []string{"software"}, Countries: []commons.Country{{Code: "IT", Role: "origin"}}},
		matchProgrammes()[0], // a programme is never a commons
	}
	suits := func(p *commons.Record) []string {
		var s []string
		for _, m := range commons.CommonsFor(p, recs) {
			s = append(s, m.Record.Slug)
		}
		return s
	}
	ps := matchProgrammes()
	for _, c := range []struct {
		p    *commons.Record
		want []string
	}{{ps[0], []string{"c"}}, {ps[2], []string{"a", "b", "c"}}, {ps[3], []string{"b"}}, {ps[4], nil}} {
		if got := suits(c.p); !slices.Equal(got, c.want) {
			t.Errorf("%s suits %v, want %v", c.p.Slug, got, c.want)
		}
	}
}

func TestFundingQueryValidate(t *testing.T) {
	for q, field := range map[commons.FundingQuery]string{
		{Country: "France"}:    "country",
		{Kind: "spaceship"}:    "kind",
		{LegalForm: "gmbh"}:    "legal_form",
		{Purpose: "marketing"}: "purpose",
	} {
		var e *commons.Error
		if err := q.Validate(); !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != field {
			t.Errorf("%+v: %v, want an error naming %s", q, err, field)
		}
	}
}
