package publiccode

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"gopkg.in/yaml.v3"

	"github.com/commons-directory/commons"
)

// ExportVersion is the version of the standard Marshal writes for a
// record that was not read from a publiccode.yml.
const ExportVersion = CurrentVersion

// file is a publiccode.yml as Marshal writes it, keys in the standard's
// order.
type file struct {
	Version           string                 `yaml:"publiccodeYmlVersion"`
	Name              string                 `yaml:"name"`
	URL               string                 `yaml:"url"`
	LandingURL        string                 `yaml:"landingURL,omitempty"`
	IsBasedOn         []string               `yaml:"isBasedOn,omitempty"`
	Roadmap           string                 `yaml:"roadmap,omitempty"`
	Logo              string                 `yaml:"logo,omitempty"`
	Organisation      *organisation          `yaml:"organisation,omitempty"`
	Platforms         []string               `yaml:"platforms"`
	Categories        []string               `yaml:"categories,omitempty"`
	UsedBy            []string               `yaml:"usedBy,omitempty"`
	FundedBy          []organisation         `yaml:"fundedBy,omitempty"`
	Supports          []support              `yaml:"supports,omitempty"`
	DevelopmentStatus string                 `yaml:"developmentStatus"`
	SoftwareType      string                 `yaml:"softwareType"`
	IntendedAudience  *audience              `yaml:"intendedAudience,omitempty"`
	Description       map[string]description `yaml:"description"`
	Legal             legal                  `yaml:"legal"`
	Maintenance       maintenance            `yaml:"maintenance"`
	Localisation      localisation           `yaml:"localisation"`
}

// organisation is the 0.5 organisation section and a fundedBy entry.
type organisation struct {
	Name string `yaml:"name,omitempty"`
	URI  string `yaml:"uri"`
}

// support is a supports entry (0.7).
type support struct {
	ID string `yaml:"id"`
}

type audience struct {
	Countries []string `yaml:"countries,omitempty"`
	Scope     []string `yaml:"scope,omitempty"`
}

type description struct {
	LocalisedName    string   `yaml:"localisedName,omitempty"`
	ShortDescription string   `yaml:"shortDescription"`
	LongDescription  string   `yaml:"longDescription"`
	Documentation    string   `yaml:"documentation,omitempty"`
	APIDocumentation string   `yaml:"apiDocumentation,omitempty"`
	Features         []string `yaml:"features,omitempty"`
}

type legal struct {
	License            string `yaml:"license"`
	MainCopyrightOwner string `yaml:"mainCopyrightOwner,omitempty"`
	RepoOwner          string `yaml:"repoOwner,omitempty"`
}

type maintenance struct {
	Type     string    `yaml:"type"`
	Contacts []contact `yaml:"contacts,omitempty"`
}

// contact is a maintenance contact; the standard asks for one when the
// maintenance is internal or by a community.
type contact struct {
	Name string `yaml:"name"`
}

type localisation struct {
	Ready     bool     `yaml:"localisationReady"`
	Languages []string `yaml:"availableLanguages"`
}

// ExportOptions say where an exported file comes from, for its header.
type ExportOptions struct {
	Instance  string // the instance's base URL
	RecordURL string // the record's page
}

// Marshal writes a software record as a publiccode.yml that Parse
// accepts without error, in the version the record was read in (its
// provenance's source version) or else in ExportVersion; keys a version
// predates (fundedBy before 0.4, organisation before 0.5, supports before
// 0.7) are left out. A header comment says that Commons Directory generated it from
// the record and that it is not the project's own file (naming that file
// when the record was imported from one). Values a record does not keep
// (platforms, softwareType, maintenance.type) get neutral defaults that
// the header lists. A record that is not software is an EUNSUPPORTED
// error, one without a licence EINVALID.
func Marshal(r *commons.Record, o ExportOptions) ([]byte, error) {
	if !slices.Contains(r.Kinds, "software") {
		return nil, commons.Errorf(commons.EUNSUPPORTED, "record %s is not software (kinds: %s); only software records have a publiccode.yml", r.Slug, strings.Join(r.Kinds, ", "))
	}
	version := ExportVersion
	if v := r.Provenance.SourceVersion; r.Provenance.Source == "publiccode" && slices.Contains(SupportedVersions, v) {
		version = v
	}
	since := func(v string) bool { return version == "0" || version >= v }
	f := file{
		Version:           version,
		Name:              r.Name.String(),
		URL:               firstOf(r.Identifier("publiccode"), r.Links.Repository, r.Links.Homepage, r.ID),
		LandingURL:        r.Links.Homepage,
		Roadmap:           r.Links.Roadmap,
		Platforms:         []string{"web"},
		DevelopmentStatus: r.Status,
		SoftwareType:      "standalone/other",
		Description:       map[string]description{},
		Maintenance:       maintenance{Type: "community"},
	}
	if strings.HasPrefix(r.Logo, "https://") {
		f.Logo = r.Logo
	}
	if f.DevelopmentStatus == "maintained-only" {
		f.DevelopmentStatus = "stable"
	}
	if f.DevelopmentStatus == "obsolete" {
		f.Maintenance.Type = "none"
	}
	for _, rel := range r.Relations {
		switch {
		case rel.Type == "based-on" && validURL(rel.Target):
			f.IsBasedOn = append(f.IsBasedOn, rel.Target)
		case rel.Type == "complies-with" && validURL(rel.Target) && since("0.7"):
			f.Supports = append(f.Supports, support{ID: rel.Target})
		}
	}
	for _, org := range r.Organisations {
		switch org.Role {
		case "user":
			f.UsedBy = append(f.UsedBy, org.Name)
		case "funder":
			// fundedBy (0.4) needs a uri.
			if since("0.4") && org.URL != "" {
				f.FundedBy = append(f.FundedBy, organisation{Name: org.Name, URI: org.URL})
			}
		case "steward":
			switch {
			case since("0.5") && org.URL != "" && f.Organisation == nil:
				f.Organisation = &organisation{Name: org.Name, URI: org.URL}
			case f.Legal.RepoOwner == "" && f.Organisation == nil:
				f.Legal.RepoOwner = org.Name
			}
		}
	}
	if f.Maintenance.Type == "community" {
		// A record keeps organisations, not people: the maintainers (or
		// the stewards) are the contact, else the commons' community.
		f.Maintenance.Contacts = []contact{{Name: maintainerName(r)}}
	}
	if r.Governance != nil {
		f.Legal.MainCopyrightOwner = r.Governance.LegalEntity
	}
	f.Legal.License = licence(r.Licences)
	if f.Legal.License == "" {
		return nil, commons.Errorf(commons.EINVALID, "record %s names no licence, and a publiccode.yml needs legal.license", r.Slug)
	}
	var countries []string
	for _, c := range r.Countries {
		code := c.Code
		if !since("0.5") {
			// Upper case came with 0.5; earlier versions write lower case.
			code = strings.ToLower(code)
		}
		if c.Code != "EU" && !slices.Contains(countries, code) {
			countries = append(countries, code)
		}
	}
	var scope []string
	for _, s := range r.Sectors {
		if slices.Contains(Scopes, s) {
			scope = append(scope, s)
		}
	}
	if len(countries)+len(scope) > 0 {
		f.IntendedAudience = &audience{Countries: countries, Scope: scope}
	}
	var features []string
	for _, k := range r.Keywords {
		if slices.Contains(Categories, k) {
			f.Categories = append(f.Categories, k)
		} else {
			features = append(features, k)
		}
	}
	langs := textLanguages(r)
	for _, l := range langs {
		name, _ := r.Name.Get(l)
		summary := firstOf(exact(r.Summary, l), r.Summary.String(), name)
		d := description{
			ShortDescription: truncate(summary, MaxShortDescription),
			LongDescription:  longDescription(firstOf(exact(r.Description, l), exact(r.Summary, l), r.Description.String(), r.Summary.String(), name), name, o),
			Documentation:    r.Links.Documentation,
			APIDocumentation: r.Links.APIDocumentation,
			Features:         features,
		}
		if len(d.Features) == 0 {
			// The standard asks for at least one feature; a record
			// without keywords gives its summary.
			d.Features = []string{truncate(summary, 64)}
		}
		if name != f.Name {
			d.LocalisedName = name
		}
		f.Description[l] = d
	}
	f.Localisation.Languages = r.Languages
	if len(f.Localisation.Languages) == 0 {
		f.Localisation.Languages = langs
	}
	f.Localisation.Ready = len(f.Localisation.Languages) > 1

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Generated by Commons Directory from record %s at %s\n", r.Slug, o.Instance)
	if o.RecordURL != "" {
		fmt.Fprintf(&buf, "# (%s).\n", o.RecordURL)
	}
	buf.WriteString("# This is NOT the project's own publiccode.yml")
	if src := r.Provenance.SourceURL; src != "" && r.Provenance.Source == "publiccode" {
		fmt.Fprintf(&buf, ", which is at\n# %s", src)
	}
	buf.WriteString(".\n# platforms, softwareType and maintenance are defaults: the record does not keep them.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&f); err != nil {
		return nil, fmt.Errorf("encode publiccode.yml of %s: %w", r.Slug, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode publiccode.yml of %s: %w", r.Slug, err)
	}
	return buf.Bytes(), nil
}

// longDescription keeps a description within the standard's length
// (150 to 10000 characters): a short one is followed by a sentence that
// says where it comes from.
func longDescription(s, name string, o ExportOptions) string {
	s = truncate(s, MaxLongDescription)
	if uniseg.GraphemeClusterCount(s) >= MinLongDescription {
		return s
	}
	where := o.RecordURL
	if where == "" {
		where = o.Instance
	}
	s = strings.TrimSpace(s) + "\n\n" + fmt.Sprintf("This description of %s comes from its record in a Commons Directory (%s), which keeps a short description only.", name, where)
	for uniseg.GraphemeClusterCount(s) < MinLongDescription {
		s += " See the record for its links, licence and organisations."
	}
	return s
}

// maintainerName names who maintains the commons: its maintainer or
// steward organisation, else its community.
func maintainerName(r *commons.Record) string {
	for _, role := range []string{"maintainer", "steward"} {
		for _, o := range r.Organisations {
			if o.Role == role {
				return o.Name
			}
		}
	}
	return r.Name.String() + " community"
}

// licence picks the expression that covers the code: the one scoped to
// code, else the whole-commons one, else the first.
func licence(ls []commons.Licence) string {
	for _, scope := range []string{"code", ""} {
		for _, l := range ls {
			if l.AppliesTo == scope {
				return l.Expression
			}
		}
	}
	if len(ls) > 0 {
		return ls[0].Expression
	}
	return ""
}

// textLanguages returns the languages the record has a name, summary or
// description in, sorted; at least one.
func textLanguages(r *commons.Record) []string {
	var out []string
	for _, t := range []commons.Text{r.Name, r.Summary, r.Description} {
		for _, l := range t.Languages() {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		out = []string{"en"}
	}
	return out
}

func exact(t commons.Text, lang string) string { return t[lang] }

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
