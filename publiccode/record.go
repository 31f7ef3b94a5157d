package publiccode

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/github/go-spdx/v2/spdxexp"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/commons-directory/commons"
)

// Keys a record has no place for: a warning names each one present.
var unmapped = map[string]string{
	"platforms":              "a record does not list platforms",
	"softwareType":           "a record does not keep the software type",
	"releaseDate":            "a record does not keep releases",
	"softwareVersion":        "a record does not keep releases",
	"applicationSuite":       "a record does not keep application suites",
	"inputTypes":             "a record does not keep media types",
	"outputTypes":            "a record does not keep media types",
	"monochromeLogo":         "only an absolute https logo is kept",
	"dependsOn":              "dependencies are names, not the IRIs a relation needs",
	"it":                     "country-specific sections are not kept",
	"IT":                     "country-specific sections are not kept",
	"supports":               "a record does not keep the regulations software supports",
	"publiccode-yml-version": "an old key; publiccodeYmlVersion is the one read",
}

// mapped are the top-level keys record reads.
var mapped = []string{"publiccodeYmlVersion", "name", "url", "landingURL", "isBasedOn", "roadmap", "logo",
	"developmentStatus", "categories", "usedBy", "fundedBy", "organisation", "intendedAudience",
	"description", "legal", "maintenance", "localisation"}

// record checks the document's keys and maps them, per the reference's
// table, to a record.
func (p *parser) record(root *yaml.Node, res *Result) *commons.Record {
	r := &commons.Record{Kinds: []string{"software"}, Provenance: commons.Provenance{Source: "publiccode"}}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if slices.Contains(mapped, k.Value) {
			continue
		}
		why, known := unmapped[k.Value]
		if !known {
			why = "not a key this directory knows"
		}
		p.warnf(k, k.Value, "not imported: %s", why)
	}

	name := p.scalar(root, "name", true)
	if u := p.scalar(root, "url", true); u != nil {
		if !validURL(u.Value) {
			p.errorf(u, "url", "%q is not an absolute http(s) URL", u.Value)
		} else {
			res.URL = u.Value
			r.Links.Repository = u.Value
			r.Identifiers = append(r.Identifiers, commons.Identifier{Scheme: "publiccode", Value: u.Value})
		}
	}
	p.list(root, "", "platforms", true)
	if st := p.scalar(root, "softwareType", true); st != nil {
		p.enum(st, "softwareType", SoftwareTypes)
	}
	if ds := p.scalar(root, "developmentStatus", true); p.enum(ds, "developmentStatus", DevelopmentStatuses) {
		r.Status = ds.Value
	}
	r.Links.Homepage = p.url(root, "", "landingURL")
	r.Links.Roadmap = p.url(root, "", "roadmap")
	if l := p.scalar(root, "logo", false); l != nil {
		if strings.HasPrefix(l.Value, "https://") {
			r.Logo = l.Value
		} else {
			p.warnf(l, "logo", "not imported: %q is a path in the repository, not an https URL", l.Value)
		}
	}
	for i, b := range p.list(root, "", "isBasedOn", false) {
		if validURL(b.Value) {
			r.Relations = append(r.Relations, commons.Relation{Type: "based-on", Target: b.Value})
		} else {
			p.warnf(b, fmt.Sprintf("isBasedOn[%d]", i), "not imported: %q is not a URL", b.Value)
		}
	}
	for _, c := range p.list(root, "", "categories", false) {
		r.Keywords = appendNew(r.Keywords, c.Value)
	}
	for _, u := range p.list(root, "", "usedBy", false) {
		r.Organisations = append(r.Organisations, commons.Organisation{Name: u.Value, Role: "user"})
	}
	p.organisations(root, r)
	p.audience(root, r)
	p.legal(root, r)
	p.maintenance(root, r)
	p.localisation(root, r)
	p.description(root, name, r)
	if name != nil {
		r.Slug = Slug(name.Value)
	}
	return r
}

// url returns the http(s) URL at path.k, or "" with a problem.
func (p *parser) url(m *yaml.Node, path, k string) string {
	n := p.scalarAt(m, path, k, false)
	if n == nil {
		return ""
	}
	if !validURL(n.Value) {
		p.errorf(n, join(path, k), "%q is not an absolute http(s) URL", n.Value)
		return ""
	}
	return n.Value
}

// organisations maps fundedBy and organisation (keys of later versions that
// files often carry early).
func (p *parser) organisations(root *yaml.Node, r *commons.Record) {
	if o := p.mapping(root, "", "organisation", false); o != nil {
		if n := p.scalarAt(o, "organisation", "name", false); n != nil {
			r.Organisations = append(r.Organisations, commons.Organisation{Name: n.Value, URL: p.url(o, "organisation", "uri"), Role: "steward"})
		}
	}
	f := key(root, "fundedBy")
	if f == nil {
		return
	}
	if f.Kind != yaml.SequenceNode {
		p.errorf(f, "fundedBy", "must be a list, not a %s", kindName(f))
		return
	}
	for i, e := range f.Content {
		path := fmt.Sprintf("fundedBy[%d]", i)
		if e.Kind != yaml.MappingNode {
			p.errorf(e, path, "must be a mapping with name and uri")
			continue
		}
		if n := p.scalarAt(e, path, "name", true); n != nil {
			r.Organisations = append(r.Organisations, commons.Organisation{Name: n.Value, URL: p.url(e, path, "uri"), Role: "funder"})
		}
	}
}

func (p *parser) audience(root *yaml.Node, r *commons.Record) {
	a := p.mapping(root, "", "intendedAudience", false)
	if a == nil {
		return
	}
	for i, c := range p.list(a, "intendedAudience", "countries", false) {
		code := strings.ToUpper(c.Value)
		if !commons.ValidCountry(code) {
			p.errorf(c, fmt.Sprintf("intendedAudience.countries[%d]", i), "%q is not an ISO 3166-1 alpha-2 country code", c.Value)
			continue
		}
		r.Countries = append(r.Countries, commons.Country{Code: code, Role: "intended-for"})
	}
	if n := keyNode(a, "unsupportedCountries"); n != nil {
		p.warnf(n, "intendedAudience.unsupportedCountries", "not imported: a record lists only the countries a commons is for")
	}
	for i, s := range p.list(a, "intendedAudience", "scope", false) {
		if p.enum(s, fmt.Sprintf("intendedAudience.scope[%d]", i), Scopes) {
			r.Sectors = appendNew(r.Sectors, s.Value)
		}
	}
}

func (p *parser) legal(root *yaml.Node, r *commons.Record) {
	l := p.mapping(root, "", "legal", true)
	if l == nil {
		return
	}
	if lic := p.scalarAt(l, "legal", "license", true); lic != nil {
		if ok, _ := spdxexp.ValidateLicenses([]string{lic.Value}); !ok {
			p.errorf(lic, "legal.license", "%q is not a valid SPDX expression", lic.Value)
		} else {
			r.Licences = append(r.Licences, commons.Licence{Expression: lic.Value, AppliesTo: "code"})
		}
	}
	if o := p.scalarAt(l, "legal", "mainCopyrightOwner", false); o != nil {
		r.Governance = &commons.Governance{LegalEntity: o.Value}
	}
	if o := p.scalarAt(l, "legal", "repoOwner", false); o != nil {
		r.Organisations = append(r.Organisations, commons.Organisation{Name: o.Value, Role: "steward"})
	}
	if n := keyNode(l, "authorsFile"); n != nil {
		p.warnf(n, "legal.authorsFile", "not imported: a record does not keep authors")
	}
}

func (p *parser) maintenance(root *yaml.Node, r *commons.Record) {
	m := p.mapping(root, "", "maintenance", true)
	if m == nil {
		return
	}
	if t := p.scalarAt(m, "maintenance", "type", true); t != nil {
		p.enum(t, "maintenance.type", MaintenanceTypes)
	}
	if c := key(m, "contractors"); c != nil && c.Kind == yaml.SequenceNode {
		for i, e := range c.Content {
			path := fmt.Sprintf("maintenance.contractors[%d]", i)
			if n := p.scalarAt(e, path, "name", true); n != nil {
				r.Organisations = append(r.Organisations, commons.Organisation{Name: n.Value, URL: p.url(e, path, "website"), Role: "contractor"})
			}
		}
	}
	if c := keyNode(m, "contacts"); c != nil {
		p.warnf(c, "maintenance.contacts", "not imported: a record keeps organisations, not people")
	}
}

func (p *parser) localisation(root *yaml.Node, r *commons.Record) {
	l := p.mapping(root, "", "localisation", true)
	if l == nil {
		return
	}
	if ready := p.scalarAt(l, "localisation", "localisationReady", true); ready != nil && ready.Value != "true" && ready.Value != "false" {
		p.errorf(ready, "localisation.localisationReady", "must be true or false, not %q", ready.Value)
	}
	for i, n := range p.list(l, "localisation", "availableLanguages", true) {
		tag, err := language.Parse(n.Value)
		if err != nil {
			p.errorf(n, fmt.Sprintf("localisation.availableLanguages[%d]", i), "%q is not a BCP 47 language tag", n.Value)
			continue
		}
		r.Languages = appendNew(r.Languages, tag.String())
	}
}

// description maps description.<lang>: the name, summary, long text,
// documentation links and features.
func (p *parser) description(root, name *yaml.Node, r *commons.Record) {
	d := p.mapping(root, "", "description", true)
	if d == nil {
		return
	}
	if len(d.Content) == 0 {
		p.errorf(d, "description", "needs at least one language")
		return
	}
	r.Name, r.Summary, r.Description = commons.Text{}, commons.Text{}, commons.Text{}
	for i := 0; i+1 < len(d.Content); i += 2 {
		k, v := d.Content[i], d.Content[i+1]
		path := "description." + k.Value
		tag, err := language.Parse(k.Value)
		if err != nil {
			p.errorf(k, path, "%q is not a BCP 47 language tag", k.Value)
			continue
		}
		lang := tag.String()
		if v.Kind != yaml.MappingNode {
			p.errorf(v, path, "must be a mapping of keys, not a %s", kindName(v))
			continue
		}
		if n := p.scalarAt(v, path, "localisedName", false); n != nil {
			r.Name[lang] = n.Value
		} else if name != nil {
			r.Name[lang] = name.Value
		}
		if s := p.scalarAt(v, path, "shortDescription", true); s != nil {
			if n := utf8.RuneCountInString(s.Value); n > MaxShortDescription {
				p.errorf(s, path+".shortDescription", "is %d characters long; the standard allows %d", n, MaxShortDescription)
			}
			r.Summary[lang] = s.Value
		}
		if s := p.scalarAt(v, path, "longDescription", true); s != nil {
			r.Description[lang] = s.Value
		}
		if u := p.url(v, path, "documentation"); u != "" && r.Links.Documentation == "" {
			r.Links.Documentation = u
		}
		if u := p.url(v, path, "apiDocumentation"); u != "" && r.Links.APIDocumentation == "" {
			r.Links.APIDocumentation = u
		}
		features := p.list(v, path, "features", false)
		if key(v, "features") == nil {
			p.warnf(v, path+".features", "is missing; the standard asks for at least one feature")
		}
		for j, f := range features {
			if utf8.RuneCountInString(f.Value) > 64 {
				p.warnf(f, fmt.Sprintf("%s.features[%d]", path, j), "not imported as a keyword: longer than 64 characters")
				continue
			}
			r.Keywords = appendNew(r.Keywords, f.Value)
		}
		for _, k := range []string{"genericName", "screenshots", "videos", "awards", "freeTags"} {
			if n := keyNode(v, k); n != nil {
				p.warnf(n, path+"."+k, "not imported: a record does not keep it")
			}
		}
	}
	if len(r.Keywords) > commons.MaxListItems {
		p.warnf(d, "description", "only the first %d categories and features are kept as keywords", commons.MaxListItems)
		r.Keywords = r.Keywords[:commons.MaxListItems]
	}
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// Slug derives a record slug from a software name: lower case, diacritics
// and punctuation folded to single hyphens, at most commons.MaxSlug long,
// never a topic's name ("data" becomes "data-software"). A name with no
// usable letter gives "unnamed-software".
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range foldDiacritics(strings.ToLower(name)) {
		switch {
		case c < unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		default:
			dash = true
		}
		if b.Len() >= commons.MaxSlug {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > commons.MaxSlug {
		s = strings.Trim(s[:commons.MaxSlug], "-")
	}
	if s == "" {
		return "unnamed-software"
	}
	if commons.IsTopic(s) {
		// "data", "fr": topic names, which no record slug may take.
		return s + "-software"
	}
	return s
}

var folds = map[rune]string{'à': "a", 'á': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'æ': "ae", 'ç': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n", 'ò': "o",
	'ó': "o", 'ô': "o", 'ö': "o", 'õ': "o", 'ø': "o", 'œ': "oe", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u",
	'ý': "y", 'ÿ': "y", 'ß': "ss"}

func foldDiacritics(s string) string {
	var b strings.Builder
	for _, c := range s {
		if f, ok := folds[c]; ok {
			b.WriteString(f)
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// validURL accepts absolute http(s) URLs with a host.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
