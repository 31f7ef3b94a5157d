package publiccode

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

func readSample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/publiccode.yml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSample(t *testing.T) {
	res, err := Parse(readSample(t), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	r := res.Record
	checks := []struct{ what, got, want string }{
		{"slug", r.Slug, "medusa"},
		{"name.en", r.Name["en"], "Medusa"},
		{"name.it", r.Name["it"], "Medusa"},
		{"summary.it", r.Summary["it"], "Una descrizione breve"},
		{"status", r.Status, "development"},
		{"licence", r.Licences[0].Expression, "AGPL-3.0-or-later"},
		{"repository", r.Links.Repository, "https://example.com/italia/medusa.git"},
		{"homepage", r.Links.Homepage, "https://example.com/italia/medusa"},
		{"documentation", r.Links.Documentation, "https://read.the.documentation/medusa/v1.0"},
		{"identifier", r.Identifier("publiccode"), "https://example.com/italia/medusa.git"},
		{"source", r.Provenance.Source, "publiccode"},
		{"legal entity", r.Governance.LegalEntity, "City of Amsterdam"},
		{"kinds", strings.Join(r.Kinds, ","), "software"},
		{"languages", strings.Join(r.Languages, ","), "en,it"},
		{"sectors", strings.Join(r.Sectors, ","), "science-and-technology"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if !strings.HasPrefix(r.Description["en"], "Very long description") {
		t.Errorf("description.en = %q", r.Description["en"])
	}
	if len(r.Countries) != 2 || r.Countries[0] != (commons.Country{Code: "IT", Role: "intended-for"}) {
		t.Errorf("countries = %v", r.Countries)
	}
	for _, k := range []string{"cloud-management", "Very important feature", "Funzione importante"} {
		if !slices.Contains(r.Keywords, k) {
			t.Errorf("keywords %q lack %q", r.Keywords, k)
		}
	}
	roles := map[string]string{}
	for _, o := range r.Organisations {
		roles[o.Name] = o.Role
	}
	if roles["Comune di Roma"] != "user" || roles["Fornitore Privato SPA"] != "contractor" || roles["City of Amsterdam"] != "steward" {
		t.Errorf("organisations = %+v", r.Organisations)
	}
	// Each key without a place in a record is a warning with its line.
	want := map[string]int{
		"softwareVersion": 7, "releaseDate": 8, "logo": 9, "platforms": 10, "softwareType": 18,
		"description.en.genericName": 28, "maintenance.contacts": 53,
	}
	got := map[string]int{}
	for _, w := range res.Warnings {
		got[w.Field] = w.Line
	}
	for f, line := range want {
		if got[f] != line {
			t.Errorf("warning for %s at line %d, want line %d (warnings: %v)", f, got[f], line, res.Warnings)
		}
	}
}

// TestParseErrors checks that each bad file gets the message a user can
// act on: the line, the key and what is wrong.
func TestParseErrors(t *testing.T) {
	sample := string(readSample(t))
	tests := []struct {
		name     string
		file     string
		want     []string // each must appear in the error, one problem a line
		problems int      // 0: do not check the count
	}{
		{"MalformedYAML", "publiccodeYmlVersion: \"0.4\"\nname:\n\tx: 1\n", []string{"publiccode.yml:3: malformed YAML"}, 1},
		{"NotAMapping", "- a\n- b\n", []string{"publiccode.yml:1: is not a YAML mapping"}, 1},
		{"UnknownVersion", strings.Replace(sample, `"0.4"`, `"0.9"`, 1), []string{`publiccode.yml:2: publiccodeYmlVersion: unsupported version "0.9"`}, 1},
		{"NoVersion", "name: x\n", []string{"publiccodeYmlVersion: is required"}, 1},
		{"BadLicence", strings.Replace(sample, "AGPL-3.0-or-later", "GPL-9", 1), []string{`publiccode.yml:44: legal.license: "GPL-9" is not a valid SPDX expression`}, 1},
		{"BadStatus", strings.Replace(sample, "developmentStatus: development", "developmentStatus: done", 1), []string{`publiccode.yml:17: developmentStatus: "done" is not one of`}, 1},
		{"BadMaintenance", strings.Replace(sample, `type: "contract"`, `type: "sometimes"`, 1), []string{`publiccode.yml:48: maintenance.type: "sometimes"`}, 1},
		{"NoShortDescription", strings.Replace(sample, "    shortDescription: Una descrizione breve\n", "", 1), []string{"description.it.shortDescription: is required"}, 1},
		{"LongShortDescription", strings.Replace(sample, "Una descrizione breve", strings.Repeat("a", 151), 1), []string{"publiccode.yml:39: description.it.shortDescription: is 151 characters long"}, 1},
		{"BadCountry", strings.Replace(sample, "    - de\n", "    - zz\n", 1), []string{`publiccode.yml:24: intendedAudience.countries[1]: "zz"`}, 1},
		{"Several", strings.NewReplacer("url: \"https://example.com/italia/medusa.git\"", "url: not-a-url", "AGPL-3.0-or-later", "GPL-9").Replace(sample),
			[]string{`publiccode.yml:5: url: "not-a-url" is not a URL`, "publiccode.yml:44: legal.license"}, 2},
		{"MissingKeys", "publiccodeYmlVersion: \"0.2\"\nname: X\n", []string{"url: is required", "platforms: is required", "legal: is required", "description: is required", "maintenance: is required", "localisation: is required"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.file), "")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want a *ParseError", err)
			}
			if commons.ErrorCode(err) != commons.EINVALID {
				t.Errorf("code = %q, want %q", commons.ErrorCode(err), commons.EINVALID)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\ndoes not say %q", err, w)
				}
			}
			if tt.problems > 0 && len(pe.Problems) != tt.problems {
				t.Errorf("%d problems, want %d:\n%s", len(pe.Problems), tt.problems, err)
			}
		})
	}
}

// TestMarshalRoundTrip exports records and parses the result back: our
// own parser accepts what we write, and the content survives.
func TestMarshalRoundTrip(t *testing.T) {
	res, err := Parse(readSample(t), "")
	if err != nil {
		t.Fatal(err)
	}
	imported := res.Record
	imported.Provenance.SourceURL = "https://example.com/italia/medusa/raw/publiccode.yml"
	minimal := &commons.Record{
		Slug: "tool", Name: commons.Text{"fr": "Outil"}, Kinds: []string{"software", "service"}, Status: "maintained-only",
		Licences:  []commons.Licence{{Expression: "CC-BY-4.0", AppliesTo: "content"}, {Expression: "MIT", AppliesTo: "code"}},
		Countries: []commons.Country{{Code: "EU", Role: "origin"}, {Code: "FR", Role: "deployed-in"}},
		Links:     commons.Links{Homepage: "https://outil.example.org"},
		ID:        "https://dir.example/records/tool",
	}
	for _, rec := range []*commons.Record{imported, minimal} {
		t.Run(rec.Slug, func(t *testing.T) {
			b, err := Marshal(rec, ExportOptions{Instance: "https://dir.example", RecordURL: "https://dir.example/records/" + rec.Slug})
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !strings.HasPrefix(string(b), "# Generated by Commons Directory from record "+rec.Slug+" at https://dir.example\n") ||
				!strings.Contains(string(b), "NOT the project's own publiccode.yml") {
				t.Errorf("header missing:\n%s", b)
			}
			if rec.Provenance.SourceURL != "" && !strings.Contains(string(b), rec.Provenance.SourceURL) {
				t.Errorf("the upstream file's URL is not named:\n%s", b)
			}
			back, err := Parse(b, "")
			if err != nil {
				t.Fatalf("our parser refuses our file: %v\n%s", err, b)
			}
			// An imported record keeps the version it was read in;
			// one made here is written in the current one.
			want := ExportVersion
			if rec.Provenance.SourceVersion != "" {
				want = rec.Provenance.SourceVersion
			}
			if back.Version != want {
				t.Errorf("version %q, want %q", back.Version, want)
			}
			got := back.Record
			if got.Name.String() != rec.Name.String() || got.Licences[0].Expression != licence(rec.Licences) {
				t.Errorf("round trip: name %q licence %q, from %q %q", got.Name, got.Licences, rec.Name, rec.Licences)
			}
			if rec == imported {
				for _, f := range []struct{ got, want string }{
					{got.Summary["it"], rec.Summary["it"]}, {got.Description["en"], rec.Description["en"]},
					{got.Identifier("publiccode"), rec.Identifier("publiccode")}, {got.Status, rec.Status},
					{got.Links.Documentation, rec.Links.Documentation},
				} {
					if f.got != f.want {
						t.Errorf("round trip: %q, want %q", f.got, f.want)
					}
				}
			}
		})
	}
	t.Run("NotSoftware", func(t *testing.T) {
		_, err := Marshal(&commons.Record{Slug: "osm", Kinds: []string{"geodata"}}, ExportOptions{})
		if commons.ErrorCode(err) != commons.EUNSUPPORTED {
			t.Errorf("err = %v, want %s", err, commons.EUNSUPPORTED)
		}
	})
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Medusa":                   "medusa",
		"  Éditeur de Texte v2.0 ": "editeur-de-texte-v2-0",
		"!!!":                      "unnamed-software",
		"Data":                     "data-software",
		strings.Repeat("abc ", 40): strings.TrimSuffix(strings.Repeat("abc-", 16), "-"),
	} {
		if got := Slug(in); got != want || !commons.ValidSlug(got) {
			t.Errorf("Slug(%q) = %q (valid %v), want %q", in, got, commons.ValidSlug(got), want)
		}
	}
}
