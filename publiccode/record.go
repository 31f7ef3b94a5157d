package publiccode

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/rivo/uniseg"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/commons-directory/commons"
)

// shape is what the standard allows under a key: a mapping with these
// keys, a mapping whose keys are free (description's languages: any), or
// a list whose entries have a shape (items). A nil shape is a value.
type shape struct {
	keys  map[string]*shape
	any   *shape
	items *shape
}

func mapOf(keys ...string) *shape {
	s := &shape{keys: map[string]*shape{}}
	for _, k := range keys {
		s.keys[k] = nil
	}
	return s
}

func (s *shape) with(k string, sub *shape) *shape { s.keys[k] = sub; return s }

func listOf(s *shape) *shape { return &shape{items: s} }

// rootShape is the standard's v0 schema (0.2 to 0.5): a key outside it is
// an error, as in the reference parser.
var rootShape = func() *shape {
	dep := listOf(mapOf("name", "versionMin", "versionMax", "optional", "version"))
	it := mapOf("countryExtensionVersion").
		with("conforme", mapOf("lineeGuidaDesign", "modelloInteroperabilita", "misureMinimeSicurezza", "gdpr")).
		with("riuso", mapOf("codiceIPA")).
		with("piattaforme", mapOf("spid", "pagopa", "cie", "anpr", "io"))
	return mapOf("publiccodeYmlVersion", "name", "applicationSuite", "url", "landingURL", "isBasedOn",
		"softwareVersion", "releaseDate", "logo", "monochromeLogo", "inputTypes", "outputTypes", "platforms",
		"categories", "usedBy", "roadmap", "developmentStatus", "softwareType").
		with("supports", listOf(mapOf("id"))).
		with("organisation", mapOf("name", "uri")).
		with("fundedBy", listOf(mapOf("name", "uri"))).
		with("intendedAudience", mapOf("scope", "countries", "unsupportedCountries")).
		with("description", &shape{any: mapOf("localisedName", "genericName", "shortDescription", "longDescription",
			"documentation", "apiDocumentation", "features", "screenshots", "videos", "awards")}).
		with("legal", mapOf("license", "mainCopyrightOwner", "repoOwner", "authorsFile")).
		with("maintenance", mapOf("type").
			with("contractors", listOf(mapOf("name", "email", "website", "until"))).
			with("contacts", listOf(mapOf("name", "email", "affiliation", "phone")))).
		with("localisation", mapOf("localisationReady", "availableLanguages")).
		with("dependsOn", mapOf().with("open", dep).with("proprietary", dep).with("hardware", dep)).
		with("IT", it).with("it", it)
}()

// keys reports every key the standard does not have.
func (p *parser) keys(n *yaml.Node, s *shape, path string) {
	if s == nil {
		return
	}
	switch {
	case n.Kind == yaml.MappingNode && (s.keys != nil || s.any != nil):
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f := join(path, k.Value)
			if s.any != nil {
				p.keys(v, s.any, f)
				continue
			}
			sub, ok := s.keys[k.Value]
			if !ok {
				p.errorf(k, f, "is not a key of the publiccode.yml standard (check its spelling and case)")
				continue
			}
			p.keys(v, sub, f)
		}
	case n.Kind == yaml.SequenceNode && s.items != nil:
		for i, c := range n.Content {
			p.keys(c, s.items, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// Keys a record has no place for: a warning names each one present.
var unmapped = map[string]string{
	"platforms":        "a record does not list platforms",
	"softwareType":     "a record does not keep the software type",
	"releaseDate":      "a record does not keep releases",
	"softwareVersion":  "a record does not keep releases",
	"applicationSuite": "a record does not keep application suites",
	"inputTypes":       "a record does not keep media types",
	"outputTypes":      "a record does not keep media types",
	"monochromeLogo":   "only an absolute https logo is kept",
	"dependsOn":        "dependencies are names, not the IRIs a relation needs",
	"it":               "country-specific sections are not kept",
	"IT":               "country-specific sections are not kept",
}

// deprecated are the keys the standard deprecates, with the reference
// parser's advice.
var deprecated = map[string]string{
	"monochromeLogo": "use logo instead",
	"inputTypes":     "it is safe to drop it",
	"outputTypes":    "it is safe to drop it",
}

// record checks the document's values and maps them, per the reference's
// table, to a record.
func (p *parser) record(root *yaml.Node, res *Result) *commons.Record {
	r := &commons.Record{Kinds: []string{"software"}, Provenance: commons.Provenance{Source: "publiccode"}}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if why, ok := unmapped[k.Value]; ok {
			p.warnf(k, k.Value, "not imported: %s", why)
		}
		if advice, ok := deprecated[k.Value]; ok {
			p.warnf(k, k.Value, "is deprecated by the standard: %s", advice)
		}
	}

	name := p.scalar(root, "name", true)
	if u := p.scalar(root, "url", true); u != nil {
		switch {
		case !anyURL(u.Value):
			p.errorf(u, "url", "%q is not a URL", u.Value)
		case !validURL(u.Value):
			p.errorf(u, "url", "%q is not an http(s) URL, which this directory needs to tell one repository from another", u.Value)
		default:
			res.URL = u.Value
			r.Links.Repository = u.Value
			r.Identifiers = append(r.Identifiers, commons.Identifier{Scheme: "publiccode", Value: u.Value})
		}
	}
	p.scalar(root, "applicationSuite", false)
	p.scalar(root, "softwareVersion", false)
	if d := p.scalar(root, "releaseDate", false); d != nil {
		p.date(d, "releaseDate")
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
	if l := p.scalar(root, "logo", false); l != nil && p.pathOrURL(l, "logo") {
		if strings.HasPrefix(l.Value, "https://") {
			r.Logo = l.Value
		} else {
			p.warnf(l, "logo", "not imported: %q is a path in the repository, not an https URL", l.Value)
		}
	}
	if l := p.scalar(root, "monochromeLogo", false); l != nil {
		p.pathOrURL(l, "monochromeLogo")
	}
	for _, k := range []string{"inputTypes", "outputTypes"} {
		for i, t := range p.list(root, "", k, false) {
			if !mimeType.MatchString(t.Value) {
				p.errorf(t, fmt.Sprintf("%s[%d]", k, i), "%q is not a media (MIME) type", t.Value)
			}
		}
	}
	for i, b := range p.list(root, "", "isBasedOn", false) {
		f := fmt.Sprintf("isBasedOn[%d]", i)
		switch {
		case !anyURL(b.Value):
			p.errorf(b, f, "%q is not a URL", b.Value)
		case validURL(b.Value):
			r.Relations = append(r.Relations, commons.Relation{Type: "based-on", Target: b.Value})
		default:
			p.warnf(b, f, "not imported: %q is not an http(s) URL", b.Value)
		}
	}
	for i, c := range p.list(root, "", "categories", false) {
		if p.enum(c, fmt.Sprintf("categories[%d]", i), Categories) {
			r.Keywords = appendNew(r.Keywords, c.Value)
		}
	}
	for _, u := range p.list(root, "", "usedBy", false) {
		p.org(r, u, commons.Organisation{Name: u.Value, Role: "user"})
	}
	p.organisations(root, r)
	p.audience(root, r)
	p.legal(root, r)
	p.maintenance(root, r)
	p.localisation(root, r)
	p.description(root, name, r)
	p.supports(root, r)
	p.dependsOn(root)
	p.country(root)
	if name != nil {
		r.Slug = Slug(name.Value)
	}
	return r
}

// org appends an organisation and remembers the node it comes from.
func (p *parser) org(r *commons.Record, n *yaml.Node, o commons.Organisation) {
	r.Organisations = append(r.Organisations, o)
	p.orgs = append(p.orgs, n)
}

// url returns the http(s) URL at path.k, or "" with a problem.
func (p *parser) url(m *yaml.Node, path, k string) string {
	n := p.scalarAt(m, path, k, false)
	if n == nil {
		return ""
	}
	if !validURL(n.Value) {
		p.errorf(n, join(path, k), "%q is not an http(s) URL", n.Value)
		return ""
	}
	return n.Value
}

// date checks a YYYY-MM-DD date.
func (p *parser) date(n *yaml.Node, field string) {
	if _, err := time.Parse(time.DateOnly, n.Value); err != nil {
		p.errorf(n, field, "%q is not a date in the form YYYY-MM-DD", n.Value)
	}
}

// email checks an e-mail address.
func (p *parser) email(m *yaml.Node, path string) {
	if e := p.scalarAt(m, path, "email", false); e != nil {
		if a, err := mail.ParseAddress(e.Value); err != nil || a.Address != e.Value {
			p.errorf(e, path+".email", "%q is not an e-mail address", e.Value)
		}
	}
}

// pathOrURL checks a file reference (logo, screenshots): a relative path
// in the repository or an http(s) URL, never an absolute path or file:.
func (p *parser) pathOrURL(n *yaml.Node, field string) bool {
	switch {
	case strings.HasPrefix(n.Value, "/"):
		p.errorf(n, field, "%q is an absolute path; only a path relative to the repository or an http(s) URL is allowed", n.Value)
		return false
	case strings.HasPrefix(strings.ToLower(n.Value), "file:"):
		p.errorf(n, field, "%q is a file: URL; only a path relative to the repository or an http(s) URL is allowed", n.Value)
		return false
	}
	return true
}

var mimeType = regexp.MustCompile(`^ *([A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126})/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}) *$`)

// organisations maps organisation (0.5) and fundedBy (0.4).
func (p *parser) organisations(root *yaml.Node, r *commons.Record) {
	if o := p.mapping(root, "", "organisation", false); o != nil {
		n := p.scalarAt(o, "organisation", "name", false)
		var u string
		if uri := p.scalarAt(o, "organisation", "uri", true); uri != nil {
			if p.uri(uri, "organisation.uri") && validURL(uri.Value) {
				u = uri.Value
			}
		}
		if n != nil {
			p.org(r, n, commons.Organisation{Name: n.Value, URL: u, Role: "steward"})
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
		n := p.scalarAt(e, path, "name", true)
		var u string
		if uri := p.scalarAt(e, path, "uri", true); uri != nil {
			if p.uri(uri, path+".uri") && validURL(uri.Value) {
				u = uri.Value
			}
		}
		if n != nil {
			p.org(r, n, commons.Organisation{Name: n.Value, URL: u, Role: "funder"})
		}
	}
}

// uri checks an organisation URI: any URI with a scheme (https://…,
// urn:x-italian-pa:…).
func (p *parser) uri(n *yaml.Node, field string) bool {
	u, err := url.Parse(n.Value)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
		p.errorf(n, field, "%q is not a URI", n.Value)
		return false
	}
	return true
}

func (p *parser) audience(root *yaml.Node, r *commons.Record) {
	a := p.mapping(root, "", "intendedAudience", false)
	if a == nil {
		return
	}
	for _, k := range []string{"countries", "unsupportedCountries"} {
		for i, c := range p.list(a, "intendedAudience", k, false) {
			f := fmt.Sprintf("intendedAudience.%s[%d]", k, i)
			code := strings.ToUpper(c.Value)
			if len(c.Value) != 2 || !commons.ValidCountry(code) {
				p.errorf(c, f, "%q is not an ISO 3166-1 alpha-2 country code", c.Value)
				continue
			}
			if c.Value != code {
				p.warnf(c, f, "lower-case country codes are deprecated by the standard: write %q", code)
			}
			if k == "countries" {
				r.Countries = append(r.Countries, commons.Country{Code: code, Role: "intended-for"})
			}
		}
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
		p.warnf(keyNode(l, "repoOwner"), "legal.repoOwner", "is deprecated by the standard: use organisation.name instead")
		p.org(r, o, commons.Organisation{Name: o.Value, Role: "steward"})
	}
	if a := p.scalarAt(l, "legal", "authorsFile", false); a != nil {
		p.warnf(keyNode(l, "authorsFile"), "legal.authorsFile", "is deprecated by the standard (it is safe to drop it), and a record does not keep authors")
		p.pathOrURL(a, "legal.authorsFile")
	}
}

func (p *parser) maintenance(root *yaml.Node, r *commons.Record) {
	m := p.mapping(root, "", "maintenance", true)
	if m == nil {
		return
	}
	t := p.scalarAt(m, "maintenance", "type", true)
	typ := ""
	if p.enum(t, "maintenance.type", MaintenanceTypes) {
		typ = t.Value
	}
	c := key(m, "contractors")
	switch {
	case c == nil && typ == "contract":
		p.errorf(t, "maintenance.contractors", "is required when maintenance.type is \"contract\"")
	case c != nil && typ != "" && typ != "contract":
		p.errorf(keyNode(m, "contractors"), "maintenance.contractors", "must not be present unless maintenance.type is \"contract\" (it is %q)", typ)
	case c != nil && c.Kind != yaml.SequenceNode:
		p.errorf(c, "maintenance.contractors", "must be a list, not a %s", kindName(c))
	case c != nil:
		if len(c.Content) == 0 && typ == "contract" {
			p.errorf(c, "maintenance.contractors", "is required when maintenance.type is \"contract\"")
		}
		for i, e := range c.Content {
			path := fmt.Sprintf("maintenance.contractors[%d]", i)
			if e.Kind != yaml.MappingNode {
				p.errorf(e, path, "must be a mapping with name and until")
				continue
			}
			n := p.scalarAt(e, path, "name", true)
			if u := p.scalarAt(e, path, "until", true); u != nil {
				p.date(u, path+".until")
			}
			p.email(e, path)
			site := p.url(e, path, "website")
			if n != nil {
				p.org(r, n, commons.Organisation{Name: n.Value, URL: site, Role: "contractor"})
			}
		}
	}
	cs := key(m, "contacts")
	switch {
	case (cs == nil || (cs.Kind == yaml.SequenceNode && len(cs.Content) == 0)) && (typ == "internal" || typ == "community"):
		p.errorf(t, "maintenance.contacts", "is required when maintenance.type is %q", typ)
	case cs != nil && cs.Kind != yaml.SequenceNode:
		p.errorf(cs, "maintenance.contacts", "must be a list, not a %s", kindName(cs))
	case cs != nil:
		for i, e := range cs.Content {
			path := fmt.Sprintf("maintenance.contacts[%d]", i)
			if e.Kind != yaml.MappingNode {
				p.errorf(e, path, "must be a mapping with a name")
				continue
			}
			p.scalarAt(e, path, "name", true)
			p.email(e, path)
		}
		p.warnf(keyNode(m, "contacts"), "maintenance.contacts", "not imported: a record keeps organisations, not people")
	}
}

func (p *parser) localisation(root *yaml.Node, r *commons.Record) {
	l := p.mapping(root, "", "localisation", true)
	if l == nil {
		return
	}
	if ready := p.scalarAt(l, "localisation", "localisationReady", true); ready != nil && ready.ShortTag() != "!!bool" {
		p.errorf(ready, "localisation.localisationReady", "must be true or false, not %q", ready.Value)
	}
	langs := p.list(l, "localisation", "availableLanguages", true)
	if n := key(l, "availableLanguages"); n != nil && n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.errorf(n, "localisation.availableLanguages", "needs at least one language")
	}
	for i, n := range langs {
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
		if g := p.scalarAt(v, path, "genericName", false); g != nil {
			p.warnf(keyNode(v, "genericName"), path+".genericName", "is deprecated by the standard (it is safe to drop it), and a record does not keep it")
			if n := uniseg.GraphemeClusterCount(g.Value); n > MaxGenericName {
				p.errorf(g, path+".genericName", "is %d characters long; the standard allows %d", n, MaxGenericName)
			}
		}
		if s := p.scalarAt(v, path, "shortDescription", true); s != nil {
			if n := uniseg.GraphemeClusterCount(s.Value); n > MaxShortDescription {
				p.errorf(s, path+".shortDescription", "is %d characters long; the standard allows %d", n, MaxShortDescription)
			}
			r.Summary[lang] = s.Value
		}
		if s := p.scalarAt(v, path, "longDescription", true); s != nil {
			switch n := uniseg.GraphemeClusterCount(s.Value); {
			case n < MinLongDescription:
				p.errorf(s, path+".longDescription", "is %d characters long; the standard asks for at least %d", n, MinLongDescription)
			case n > MaxLongDescription:
				p.errorf(s, path+".longDescription", "is %d characters long; the standard allows %d", n, MaxLongDescription)
			}
			r.Description[lang] = s.Value
		}
		if u := p.url(v, path, "documentation"); u != "" && r.Links.Documentation == "" {
			r.Links.Documentation = u
		}
		if u := p.url(v, path, "apiDocumentation"); u != "" && r.Links.APIDocumentation == "" {
			r.Links.APIDocumentation = u
		}
		p.features(v, path, r)
		for j, s := range p.list(v, path, "screenshots", false) {
			p.pathOrURL(s, fmt.Sprintf("%s.screenshots[%d]", path, j))
		}
		for j, s := range p.list(v, path, "videos", false) {
			if !validURL(s.Value) {
				p.errorf(s, fmt.Sprintf("%s.videos[%d]", path, j), "%q is not an http(s) URL", s.Value)
			}
		}
		p.list(v, path, "awards", false)
		for _, k := range []string{"screenshots", "videos", "awards"} {
			if n := keyNode(v, k); n != nil {
				p.warnf(n, path+"."+k, "not imported: a record does not keep it")
			}
		}
	}
}

// features maps description.<lang>.features to keywords. The standard
// asks for at least one; an empty entry is allowed by it and skipped here.
func (p *parser) features(v *yaml.Node, path string, r *commons.Record) {
	f := key(v, "features")
	switch {
	case f == nil || f.ShortTag() == "!!null":
		p.errorf(v, path+".features", "is required: the standard asks for at least one feature")
		return
	case f.Kind != yaml.SequenceNode:
		p.errorf(f, path+".features", "must be a list, not a %s", kindName(f))
		return
	case len(f.Content) == 0:
		p.errorf(f, path+".features", "needs at least one feature")
		return
	}
	for j, c := range f.Content {
		field := fmt.Sprintf("%s.features[%d]", path, j)
		switch {
		case c.Kind != yaml.ScalarNode:
			p.errorf(c, field, "must be a single value, not a %s", kindName(c))
		case strings.TrimSpace(c.Value) == "" || c.ShortTag() == "!!null":
			p.warnf(c, field, "not imported: the feature is empty")
		case utf8Len(c.Value) > 64:
			p.warnf(c, field, "not imported as a keyword: longer than 64 characters")
		default:
			r.Keywords = appendNew(r.Keywords, c.Value)
		}
	}
}

// supports (0.7) maps the standards and regulations the software
// complies with: an http(s) id becomes a complies-with relation; an alias
// or another URI is checked and left out with a warning.
func (p *parser) supports(root *yaml.Node, r *commons.Record) {
	l := key(root, "supports")
	if l == nil {
		return
	}
	if l.Kind != yaml.SequenceNode {
		p.errorf(l, "supports", "must be a list of mappings with an id, not a %s", kindName(l))
		return
	}
	for i, e := range l.Content {
		path := fmt.Sprintf("supports[%d]", i)
		if e.Kind != yaml.MappingNode {
			p.errorf(e, path, "must be a mapping with an id (an alias such as alias:gdpr, or a URI)")
			continue
		}
		id := p.scalarAt(e, path, "id", true)
		switch {
		case id == nil:
		case strings.HasPrefix(id.Value, "alias:"):
			if !slices.Contains(SupportAliases, id.Value) {
				p.errorf(id, path+".id", "%q is not one of the standard's aliases (%s)", id.Value, strings.Join(SupportAliases, ", "))
			} else {
				p.warnf(id, path+".id", "not imported: a record links to what a commons complies with by URL, not by alias")
			}
		case !anyURL(id.Value):
			p.errorf(id, path+".id", "%q is neither an alias (alias:gdpr, …) nor a URI", id.Value)
		case validURL(id.Value):
			r.Relations = append(r.Relations, commons.Relation{Type: "complies-with", Target: id.Value})
		default:
			p.warnf(id, path+".id", "not imported: %q is not an http(s) URL", id.Value)
		}
	}
}

func (p *parser) dependsOn(root *yaml.Node) {
	d := p.mapping(root, "", "dependsOn", false)
	if d == nil {
		return
	}
	for _, k := range []string{"open", "proprietary", "hardware"} {
		l := key(d, k)
		if l == nil {
			continue
		}
		path := "dependsOn." + k
		if l.Kind != yaml.SequenceNode {
			p.errorf(l, path, "must be a list, not a %s", kindName(l))
			continue
		}
		for i, e := range l.Content {
			f := fmt.Sprintf("%s[%d]", path, i)
			if e.Kind != yaml.MappingNode {
				p.errorf(e, f, "must be a mapping with a name")
				continue
			}
			p.scalarAt(e, f, "name", true)
			if o := p.scalarAt(e, f, "optional", false); o != nil && o.ShortTag() != "!!bool" {
				p.errorf(o, f+".optional", "must be true or false, not %q", o.Value)
			}
		}
	}
}

// country checks the Italian section: IT, or it (deprecated), not both.
func (p *parser) country(root *yaml.Node) {
	upper, lower := keyNode(root, "IT"), keyNode(root, "it")
	if n := firstNode(upper, lower); n != nil {
		p.warnf(n, n.Value, "country-specific sections are deprecated by the standard (0.7): use supports and organisation")
	}
	if lower != nil {
		p.warnf(lower, "it", "lower-case country sections are deprecated by the standard: write IT")
		if upper != nil {
			p.errorf(lower, "it", "the IT section is already present (line %d); remove this one", upper.Line)
		}
	}
	for _, k := range []string{"IT", "it"} {
		s := p.mapping(root, "", k, false)
		if s == nil {
			continue
		}
		if v := p.scalarAt(s, k, "countryExtensionVersion", false); v != nil && v.Value != "0.2" && v.Value != "1.0" {
			p.errorf(v, k+".countryExtensionVersion", "%q is not one of 0.2, 1.0", v.Value)
		}
		if n := keyNode(s, "conforme"); n != nil {
			p.warnf(n, k+".conforme", "is deprecated by the standard: it is safe to drop it")
		}
		if rs := p.mapping(s, k, "riuso", false); rs != nil {
			if c := p.scalarAt(rs, k+".riuso", "codiceIPA", false); c != nil {
				p.warnf(keyNode(rs, "codiceIPA"), k+".riuso.codiceIPA", "is deprecated by the standard: use organisation.uri set to \"urn:x-italian-pa:%s\" instead", c.Value)
			}
		}
	}
}

// fit keeps what the record can hold of values the standard allows but a
// record limits (the number of organisations and other lists, the name's
// length), with a warning naming the line where the cut starts.
func (p *parser) fit(r *commons.Record, root *yaml.Node) {
	at := func(k string) *yaml.Node {
		if n := keyNode(root, k); n != nil {
			return n
		}
		return &yaml.Node{Line: 1}
	}
	if n := len(r.Organisations); n > commons.MaxListItems {
		p.warnf(p.orgs[commons.MaxListItems], "organisations", "the file names %d organisations (usedBy, organisation, fundedBy, contractors, repoOwner); a record keeps %d: those from this line on are not imported", n, commons.MaxListItems)
		r.Organisations = r.Organisations[:commons.MaxListItems]
	}
	if len(r.Keywords) > commons.MaxListItems {
		p.warnf(at("categories"), "categories", "the file gives %d categories and features; a record keeps the first %d as keywords", len(r.Keywords), commons.MaxListItems)
		r.Keywords = r.Keywords[:commons.MaxListItems]
	}
	if len(r.Countries) > commons.MaxListItems {
		p.warnf(at("intendedAudience"), "intendedAudience.countries", "the file names %d countries; a record keeps the first %d", len(r.Countries), commons.MaxListItems)
		r.Countries = r.Countries[:commons.MaxListItems]
	}
	if len(r.Languages) > commons.MaxListItems {
		p.warnf(at("localisation"), "localisation.availableLanguages", "the file names %d languages; a record keeps the first %d", len(r.Languages), commons.MaxListItems)
		r.Languages = r.Languages[:commons.MaxListItems]
	}
	if len(r.Relations) > commons.MaxListItems {
		p.warnf(at("isBasedOn"), "isBasedOn", "the file names %d projects and standards (isBasedOn, supports); a record keeps the first %d", len(r.Relations), commons.MaxListItems)
		r.Relations = r.Relations[:commons.MaxListItems]
	}
	for lang, name := range r.Name {
		if n := utf8Len(name); n > commons.MaxName {
			p.warnf(at("name"), "name", "is %d characters long; a record keeps the first %d", n, commons.MaxName)
			r.Name[lang] = truncate(name, commons.MaxName)
		}
	}
	for i, o := range r.Organisations {
		if n := utf8Len(o.Name); n > commons.MaxName*2 {
			p.warnf(p.orgs[i], "organisations", "an organisation's name is %d characters long; a record keeps the first %d", n, commons.MaxName*2)
			r.Organisations[i].Name = truncate(o.Name, commons.MaxName*2)
		}
	}
}

// originOf names the file's key (and its node) that gave a record field,
// so that a value the record refuses is reported at its line.
func (p *parser) originOf(field string, root *yaml.Node) (*yaml.Node, string) {
	base, _, _ := strings.Cut(field, "[")
	base, _, _ = strings.Cut(base, ".")
	keys := map[string][]string{
		"name":          {"description", "name"},
		"summary":       {"description"},
		"description":   {"description"},
		"keywords":      {"categories", "description"},
		"sectors":       {"intendedAudience"},
		"countries":     {"intendedAudience"},
		"languages":     {"localisation"},
		"licences":      {"legal"},
		"governance":    {"legal"},
		"organisations": {"usedBy", "organisation", "fundedBy", "maintenance", "legal"},
		"links":         {"url", "landingURL", "roadmap", "description"},
		"identifiers":   {"url"},
		"relations":     {"isBasedOn", "supports"},
		"logo":          {"logo"},
		"status":        {"developmentStatus"},
		"slug":          {"name"},
	}
	if i := strings.Index(field, "["); i > 0 && base == "organisations" {
		var n int
		if _, err := fmt.Sscanf(field[i:], "[%d]", &n); err == nil && n < len(p.orgs) {
			return p.orgs[n], "organisations"
		}
	}
	for _, k := range keys[base] {
		if n := keyNode(root, k); n != nil {
			return n, k
		}
	}
	return &yaml.Node{Line: 1}, "(record) " + field
}

func firstNode(ns ...*yaml.Node) *yaml.Node {
	for _, n := range ns {
		if n != nil {
			return n
		}
	}
	return nil
}

func utf8Len(s string) int { return len([]rune(s)) }

// anyURL accepts any absolute URL (git://, ssh://, https://…), as the
// standard's url and isBasedOn do.
func anyURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
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
