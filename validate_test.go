package commons_test

import (
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

func validRecord() *commons.Record {
	return &commons.Record{
		Slug:     "openstreetmap",
		Name:     commons.Text{"en": "OpenStreetMap", "fr": "OpenStreetMap"},
		Summary:  commons.Text{"en": "The free map of the world.", "fr": "La carte libre du monde."},
		Kinds:    []string{"geodata", "knowledge"},
		Status:   "stable",
		Licences: []commons.Licence{{Expression: "ODbL-1.0", AppliesTo: "data"}},
		Countries: []commons.Country{
			{Code: "GB", Role: "origin"}, {Code: "EU", Role: "deployed-in"},
		},
		Languages:   []string{"en", "fr", "pt-BR"},
		Links:       commons.Links{Homepage: "https://www.openstreetmap.org/"},
		Identifiers: []commons.Identifier{{Scheme: "wikidata", Value: "Q936"}},
	}
}

func TestValidate(t *testing.T) {
	if err := validRecord().Validate(); err != nil {
		t.Fatalf("valid record rejected: %v", err)
	}
	tests := []struct {
		name   string
		change func(r *commons.Record)
		fields []string // every field path the error must name, and only these
	}{
		{"SlugMissing", func(r *commons.Record) { r.Slug = "" }, []string{"slug"}},
		{"SlugUpper", func(r *commons.Record) { r.Slug = "OSM" }, []string{"slug"}},
		{"SlugDoubleDot", func(r *commons.Record) { r.Slug = "open..map" }, []string{"slug"}},
		{"SlugReservedSuffix", func(r *commons.Record) { r.Slug = "osm.jsonld" }, []string{"slug"}},
		{"SlugKindTopic", func(r *commons.Record) { r.Slug = "geodata" }, []string{"slug"}},
		{"SlugCountryTopic", func(r *commons.Record) { r.Slug = "fr" }, []string{"slug"}},
		{"SlugTooLong", func(r *commons.Record) { r.Slug = strings.Repeat("a", 65) }, []string{"slug"}},
		{"NameMissing", func(r *commons.Record) { r.Name = nil }, []string{"name"}},
		{"NameBadLanguage", func(r *commons.Record) { r.Name["not a tag"] = "x" }, []string{"name.not a tag"}},
		{"SummaryTooLong", func(r *commons.Record) { r.Summary["fr"] = strings.Repeat("é", 201) }, []string{"summary.fr"}},
		{"KindsMissing", func(r *commons.Record) { r.Kinds = nil }, []string{"kinds"}},
		{"KindUnknown", func(r *commons.Record) { r.Kinds = []string{"software", "spaceship"} }, []string{"kinds[1]"}},
		{"KindTwice", func(r *commons.Record) { r.Kinds = []string{"data", "data"} }, []string{"kinds[1]"}},
		{"CountryLower", func(r *commons.Record) { r.Countries[0].Code = "fr" }, []string{"countries[0].code"}},
		{"CountryUnknown", func(r *commons.Record) { r.Countries[1].Code = "ZZ" }, []string{"countries[1].code"}},
		{"CountryRole", func(r *commons.Record) { r.Countries[0].Role = "" }, []string{"countries[0].role"}},
		{"Language", func(r *commons.Record) { r.Languages[2] = "pt-br" }, []string{"languages[2]"}},
		{"Licence", func(r *commons.Record) {
			r.Licences = append(r.Licences, commons.Licence{Expression: "GPL-9"})
		}, []string{"licences[1].expression"}},
		{"LicenceScope", func(r *commons.Record) { r.Licences[0].AppliesTo = "everything" }, []string{"licences[0].applies_to"}},
		{"StatusMissing", func(r *commons.Record) { r.Status = "" }, []string{"status"}},
		{"URLScheme", func(r *commons.Record) { r.Links.Homepage = "javascript:alert(1)" }, []string{"links.homepage"}},
		{"URLRelative", func(r *commons.Record) { r.Links.Repository = "/osm" }, []string{"links.repository"}},
		{"Wikidata", func(r *commons.Record) { r.Identifiers[0].Value = "936" }, []string{"identifiers[0].value"}},
		{"IdentifierScheme", func(r *commons.Record) { r.Identifiers[0].Scheme = "isbn" }, []string{"identifiers[0].scheme"}},
		{"Governance", func(r *commons.Record) {
			r.Governance = &commons.Governance{Model: "monarchy", DecisionProcessURL: "ftp://x", CommunitySize: -1}
		}, []string{"governance.model", "governance.decision_process_url", "governance.community_size"}},
		{"Funding", func(r *commons.Record) {
			r.Funding = &commons.Funding{
				Channels: []commons.FundingChannel{{Kind: "lottery"}},
				Calls:    []commons.FundingCall{{Title: commons.Text{"en": "NGI"}, URL: "https://nlnet.nl/propose/", Deadline: "1 April"}},
			}
		}, []string{"funding.channels[0].kind", "funding.channels[0].url", "funding.calls[0].deadline"}},
		{"Relation", func(r *commons.Record) {
			r.Relations = []commons.Relation{{Type: "cousin-of", Target: "wikipedia"}}
		}, []string{"relations[0].type", "relations[0].target"}},
		{"Many", func(r *commons.Record) { r.Slug = ""; r.Status = "done"; r.Logo = "nope" }, []string{"slug", "status", "logo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRecord()
			tt.change(r)
			err := r.Validate()
			if code := commons.ErrorCode(err); code != commons.EINVALID {
				t.Fatalf("code = %q, want %q (err %v)", code, commons.EINVALID, err)
			}
			var got []string
			for _, f := range commons.ErrorFields(err) {
				got = append(got, f.Field)
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("fields = %v, want %v (err: %v)", got, tt.fields, err)
			}
		})
	}
}

func TestValidateMessageNamesValue(t *testing.T) {
	r := validRecord()
	r.Licences = append(r.Licences, commons.Licence{Expression: "GPL-9"})
	want := `licences[1].expression: "GPL-9" is not a valid SPDX expression`
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

func TestSPDXExpressions(t *testing.T) {
	for _, expr := range []string{"MIT", "MIT OR Apache-2.0", "GPL-2.0-only WITH Linux-syscall-note", "etalab-2.0", "CC-BY-SA-4.0", "EUPL-1.2", "LicenseRef-Proprietary-Data"} {
		r := validRecord()
		r.Licences = []commons.Licence{{Expression: expr}}
		if err := r.Validate(); err != nil {
			t.Errorf("%q rejected: %v", expr, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	r := &commons.Record{Name: commons.Text{"FR": "  Base Adresse Nationale ", "en": ""}}
	r.Normalize()
	if len(r.Name) != 1 || r.Name["fr"] != "Base Adresse Nationale" {
		t.Errorf("Name = %#v", r.Name)
	}
	if r.Kinds == nil || r.Countries == nil || r.Licences == nil || r.Identifiers == nil {
		t.Error("lists left nil")
	}
}

func TestContentHash(t *testing.T) {
	a, b := validRecord(), validRecord()
	b.ID = "https://elsewhere.example/records/openstreetmap"
	b.Provenance.Version = 9
	b.Kinds = append([]string(nil), b.Kinds...)
	if a.ContentHash() != b.ContentHash() {
		t.Error("hash depends on id or provenance")
	}
	b.Status = "beta"
	if a.ContentHash() == b.ContentHash() {
		t.Error("hash ignores a content change")
	}
}

func TestTextGet(t *testing.T) {
	txt := commons.Text{"fr": "État", "en": "State", "pt-BR": "Estado"}
	tests := []struct {
		prefs    []string
		want, in string
	}{
		{[]string{"fr"}, "État", "fr"},
		{[]string{"fr-BE"}, "État", "fr"},
		{[]string{"pt"}, "Estado", "pt-BR"},
		{[]string{"de"}, "State", "en"},
		{nil, "State", "en"},
	}
	for _, tt := range tests {
		if got, in := txt.Get(tt.prefs...); got != tt.want || in != tt.in {
			t.Errorf("Get(%v) = %q, %q; want %q, %q", tt.prefs, got, in, tt.want, tt.in)
		}
	}
	if got, in := (commons.Text{"de": "Staat"}).Get("fr"); got != "Staat" || in != "de" {
		t.Errorf("fallback to first language: %q %q", got, in)
	}
}

func TestValidCountry(t *testing.T) {
	for code, want := range map[string]bool{"FR": true, "DE": true, "EU": true, "GB": true, "fr": false, "ZZ": false, "FRA": false, "": false, "UN": false, "UK": false, "XK": true} {
		if got := commons.ValidCountry(code); got != want {
			t.Errorf("ValidCountry(%q) = %v, want %v", code, got, want)
		}
	}
}
