package demo

import (
	"slices"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

// initiative lists the slugs of the commons named by the 2022 European
// digital-commons initiative and its open letter; each must be in the demo.
var initiative = []string{
	"wikipedia", "vikidia", "wikidata", "linux", "firefox", "openstreetmap",
	"open-food-facts", "tela-botanica", "lf-energy", "panoramax",
	"referentiel-national-des-batiments", "base-adresse-nationale", "openfisca",
	"open-terms-archive", "xwiki", "framasoft", "mobicoop", "europeana",
	"federation-open-space-makers",
}

func mustRecords(t testing.TB) []Entry {
	t.Helper()
	entries, err := Records()
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	return entries
}

func TestRecordsAreValid(t *testing.T) {
	entries := mustRecords(t)
	if len(entries) < 40 {
		t.Errorf("%d demo records; want at least 40", len(entries))
	}
	slugs := map[string]bool{}
	qids := map[string]string{}
	perHome := map[string]int{}
	for _, e := range entries {
		r := e.Record
		t.Run(r.Slug, func(t *testing.T) {
			perHome[e.Home]++
			if slugs[r.Slug] {
				t.Errorf("slug %q is used twice", r.Slug)
			}
			slugs[r.Slug] = true

			c := *r
			c.Normalize()
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if r.Provenance.Source != "demo" {
				t.Errorf("Provenance.Source = %q; want demo", r.Provenance.Source)
			}
			if r.ID != "" {
				t.Errorf("ID = %q; the store sets it", r.ID)
			}
			langs := []string{"fr", "en"}
			if e.Home == "de" {
				langs = append(langs, "de")
			}
			for _, l := range langs {
				if r.Name[l] == "" {
					t.Errorf("no name in %s", l)
				}
				if r.Summary[l] == "" {
					t.Errorf("no summary in %s", l)
				}
			}
			for _, l := range []string{"fr", "en"} {
				if r.Description[l] == "" {
					t.Errorf("no description in %s", l)
				}
			}
			if r.Links.Homepage == "" {
				t.Error("no homepage")
			}
			if q := r.Identifier("wikidata"); q != "" {
				if other, ok := qids[q]; ok {
					t.Errorf("Wikidata %s is also on %s", q, other)
				}
				qids[q] = r.Slug
			}
		})
	}
	for _, h := range Homes {
		if perHome[h] < 10 {
			t.Errorf("home %s has %d records; want at least 10", h, perHome[h])
		}
	}
	for _, s := range initiative {
		if !slugs[s] {
			t.Errorf("initiative commons %q is missing", s)
		}
	}
}

func TestForHome(t *testing.T) {
	entries := mustRecords(t)
	programmes, err := Programmes()
	if err != nil {
		t.Fatal(err)
	}
	entries = append(entries, programmes...)
	total := 0
	for _, h := range Homes {
		rs, err := ForHome(h)
		if err != nil {
			t.Fatalf("ForHome(%q): %v", h, err)
		}
		total += len(rs)
		for _, r := range rs {
			i := slices.IndexFunc(entries, func(e Entry) bool { return e.Record.Slug == r.Slug })
			if i < 0 || entries[i].Home != h {
				t.Errorf("ForHome(%q) returned %s, whose home is not %s", h, r.Slug, h)
			}
		}
	}
	if total != len(entries) {
		t.Errorf("the homes share %d records; Records has %d", total, len(entries))
	}

	_, err = ForHome("xx")
	if code := commons.ErrorCode(err); code != commons.ENOTFOUND {
		t.Errorf("ForHome(xx): code %q (%v); want %q", code, err, commons.ENOTFOUND)
	}
}

// TestFreshCopies changes everything a caller could reach and checks that
// the next call is untouched.
func TestFreshCopies(t *testing.T) {
	first, err := ForHome("eu")
	if err != nil {
		t.Fatal(err)
	}
	want := first[0].ContentHash()
	r := first[0]
	r.Name["en"] = "changed"
	r.Kinds[0] = "changed"
	r.Licences[0].Expression = "MIT"
	r.Links.Homepage = "https://example.org"
	r.Provenance.Source = "manual"

	second, err := ForHome("eu")
	if err != nil {
		t.Fatal(err)
	}
	if got := second[0].ContentHash(); got != want {
		t.Errorf("the second call sees the first caller's changes")
	}
	if second[0].Provenance.Source != "demo" {
		t.Errorf("Provenance.Source = %q after a caller changed its copy", second[0].Provenance.Source)
	}
}

func TestDecodeRejects(t *testing.T) {
	const valid = `{"slug":"x","name":{"en":"X"},"kinds":["data"],"status":"stable"}`
	tests := []struct {
		name, data, want string
	}{
		{"Valid", `[{"home":"fr","record":` + valid + `}]`, ""},
		{"UnknownEntryField", `[{"home":"fr","colour":"red","record":` + valid + `}]`, "unknown field"},
		{"UnknownRecordField", `[{"home":"fr","record":{"slug":"x","nom":{"en":"X"},"kinds":["data"],"status":"stable"}}]`, "unknown field"},
		{"UnknownHome", `[{"home":"it","record":` + valid + `}]`, "home \"it\""},
		{"NoRecord", `[{"home":"fr"}]`, "no record"},
		{"TrailingData", `[{"home":"fr","record":` + valid + `}] []`, "after the array"},
		{"InvalidRecord", `[{"home":"fr","record":{"slug":"X Y","name":{"en":"X"},"kinds":["data"],"status":"stable"}}]`, "slug"},
		{"BadLicence", `[{"home":"fr","record":{"slug":"x","name":{"en":"X"},"kinds":["data"],"status":"stable","licences":[{"expression":"Not-A-Licence"}]}}]`, "licences[0].expression"},
		{"NotJSON", `{`, "decode demo records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := decode([]byte(tt.data))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("decode: %v", err)
			case tt.want == "":
				if len(entries) != 1 || entries[0].Record.Provenance.Source != "demo" {
					t.Errorf("decode = %+v; want one demo record", entries)
				}
			case err == nil:
				t.Fatalf("decode accepted it; want an error containing %q", tt.want)
			case !strings.Contains(err.Error(), tt.want):
				t.Errorf("decode: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func BenchmarkRecords(b *testing.B) {
	for b.Loop() {
		if _, err := Records(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestProgrammes: at least ten real programmes from several countries and
// the EU, each valid, with its source and the date its facts were taken,
// and no record among them.
func TestProgrammes(t *testing.T) {
	entries, err := Programmes()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 10 {
		t.Errorf("%d demo programmes; want at least 10", len(entries))
	}
	records := map[string]bool{}
	for _, e := range mustRecords(t) {
		records[e.Record.Slug] = true
	}
	countries := map[string]bool{}
	for _, e := range entries {
		p := e.Record
		if p.Programme == nil || p.Programme.SourceURL == "" || p.Programme.Checked == "" || p.Name["en"] == "" || p.Name["fr"] == "" {
			t.Errorf("%s: not a programme with its source, check date and English and French names", p.Slug)
			continue
		}
		if records[p.Slug] {
			t.Errorf("%s is both a record and a programme", p.Slug)
		}
		for _, c := range p.Countries {
			countries[c.Code] = true
		}
		if len(p.Programme.Eligibility.Countries) > 0 {
			countries["restricted"] = true
		}
	}
	for _, c := range []string{"NL", "DE", "AT", "FR", "restricted"} {
		if !countries[c] {
			t.Errorf("no demo programme from %s", c)
		}
	}
	de, err := ForHome("de")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(de, func(r *commons.Record) bool { return r.Slug == "prototype-fund" }) {
		t.Error("the German demo instance lacks the Prototype Fund")
	}
}
