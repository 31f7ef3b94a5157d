package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/github/go-spdx/v2/spdxexp"
	"golang.org/x/text/language"

	"github.com/commons-directory/commons"
)

// DCAT-AP 3 classes by kind: services and infrastructure are data
// services; software is an ADMS asset (the Interoperable Europe Portal's
// reading, after Joinup's publiccode.yml → ADMS-AP mapping) that is also a
// dataset so DCAT-AP harvesters keep it; every other kind is a dataset.
func dcatClasses(r *commons.Record) []string {
	if len(r.Kinds) > 0 && (r.Kinds[0] == "service" || r.Kinds[0] == "infrastructure") {
		return []string{"dcat:DataService"}
	}
	if slices.Contains(r.Kinds, "software") {
		return []string{"dcat:Dataset", "adms:Asset"}
	}
	return []string{"dcat:Dataset"}
}

// isService reports whether the record is listed as a dcat:service.
func isService(r *commons.Record) bool { return dcatClasses(r)[0] == "dcat:DataService" }

// EU vocabularies (Publications Office authority tables) and ADMS status.
const (
	euCountry   = "http://publications.europa.eu/resource/authority/country/"
	euLanguage  = "http://publications.europa.eu/resource/authority/language/"
	euDataTheme = "http://publications.europa.eu/resource/authority/data-theme"
	admsStatus  = "http://purl.org/adms/status/"
	spdxBase    = "http://spdx.org/licenses/"
	wikidata    = "http://www.wikidata.org/entity/"
)

// admsStatuses maps a record status to ADMS's, as Joinup's
// status-mapping.csv does for publiccode.yml.
var admsStatuses = map[string]string{
	"concept": "UnderDevelopment", "development": "UnderDevelopment", "beta": "UnderDevelopment",
	"stable": "Completed", "maintained-only": "Completed", "obsolete": "Deprecated",
}

// dataThemes are the EU data-theme concepts (the vocabulary DCAT-AP
// recommends for dcat:theme); their labels are the messages theme.<code>.
// A sector that is one of these IRIs becomes a dcat:theme; any other
// sector a keyword.
var dataThemes = map[string]bool{
	"AGRI": true, "ECON": true, "EDUC": true, "ENER": true, "ENVI": true, "GOVE": true, "HEAL": true,
	"INTR": true, "JUST": true, "REGI": true, "SOCI": true, "TECH": true, "TRAN": true, "OP_DATPRO": true,
}

// addTheme adds a sector: an EU data theme as a dcat:theme concept with
// its label and scheme, anything else as a keyword.
func addTheme(g *rdfGraph, id, sector string) {
	code, ok := strings.CutPrefix(sector, euDataTheme+"/")
	if !ok || !dataThemes[code] {
		g.add(id, "dcat:keyword", literal(sector))
		return
	}
	g.add(id, "dcat:theme", iri(sector))
	g.add(sector, rdfType, iri("skos:Concept"))
	addTexts(g, sector, "skos:prefLabel", catalogueText("theme."+code))
	g.add(sector, "skos:inScheme", iri(euDataTheme))
}

// addTyped adds an IRI object and states its class: the class is the
// property's rdfs:range (dct:language → dct:LinguisticSystem, dct:spatial
// → dct:Location, dcat:landingPage and foaf:page → foaf:Document …), said
// outright because SHACL validators, DCAT-AP's included, do no RDFS
// inference and check sh:class against the data graph alone.
func addTyped(g *rdfGraph, s, p, o, class string) {
	g.add(s, p, iri(o))
	g.add(o, rdfType, iri(class))
}

// countryIRI returns the EU authority IRI of an ISO 3166-1 alpha-2 code
// (EU is EUR in that table).
func countryIRI(code string) string {
	if code == "EU" {
		return euCountry + "EUR"
	}
	reg, err := language.ParseRegion(code)
	if err != nil || reg.ISO3() == "ZZZ" {
		return ""
	}
	return euCountry + reg.ISO3()
}

// languageIRI returns the EU authority IRI of a BCP 47 tag's language.
func languageIRI(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	base, conf := t.Base()
	if conf == language.No || len(base.ISO3()) != 3 {
		return ""
	}
	return euLanguage + strings.ToUpper(base.ISO3())
}

// addLicence adds s dct:license: the SPDX licence IRI of a single
// identifier, or for a compound expression a LicenseDocument node of the
// record labelled with it; either way typed dct:LicenseDocument, the
// class DCAT-AP requires.
func addLicence(g *rdfGraph, s, recID string, i int, expr string) {
	if !strings.ContainsAny(expr, " ()") {
		if ok, _ := spdxexp.ValidateLicenses([]string{expr}); ok && !strings.HasPrefix(expr, "LicenseRef-") {
			addTyped(g, s, "dct:license", spdxBase+expr, "dct:LicenseDocument")
			return
		}
	}
	id := recID + "#licence-" + strconv.Itoa(i)
	addTyped(g, s, "dct:license", id, "dct:LicenseDocument")
	g.add(id, "rdfs:label", literal(expr))
}

// addTexts adds one literal a language.
func addTexts(g *rdfGraph, s, p string, t commons.Text) {
	for _, l := range t.Languages() {
		g.add(s, p, langLiteral(t[l], l))
	}
}

func dateTime(t time.Time) rdfTerm {
	return typedLiteral(t.UTC().Format(time.RFC3339), "xsd:dateTime")
}

// addRecord describes one record: its class, the mandatory DCAT-AP 3
// properties (title, description; an endpoint for a data service; an
// access URL for each distribution) and the recommended ones it has.
func addRecord(g *rdfGraph, base string, r *commons.Record) {
	id := r.ID
	page := recordPageURL(base, r)
	for _, c := range dcatClasses(r) {
		g.add(id, rdfType, iri(c))
	}
	g.add(id, "dct:identifier", literal(r.ID))
	addTexts(g, id, "dct:title", r.Name)
	desc := r.Description
	if len(desc) == 0 {
		desc = r.Summary
	}
	if len(desc) == 0 {
		desc = r.Name
	}
	addTexts(g, id, "dct:description", desc)
	for _, k := range r.Keywords {
		g.add(id, "dcat:keyword", literal(k))
	}
	for _, s := range r.Sectors {
		addTheme(g, id, s)
	}
	for _, c := range r.Countries {
		if u := countryIRI(c.Code); u != "" {
			addTyped(g, id, "dct:spatial", u, "dct:Location")
		}
	}
	for _, l := range r.Languages {
		if u := languageIRI(l); u != "" {
			addTyped(g, id, "dct:language", u, "dct:LinguisticSystem")
		}
	}
	if r.Links.Homepage != "" {
		addTyped(g, id, "dcat:landingPage", r.Links.Homepage, "foaf:Document")
	}
	// The record's page is its IRI (content negotiation), so it is not
	// repeated as a foaf:page of itself.
	if r.Links.Documentation != "" {
		addTyped(g, id, "foaf:page", r.Links.Documentation, "foaf:Document")
	}
	if s, ok := admsStatuses[r.Status]; ok {
		g.add(id, "adms:status", iri(admsStatus+s))
	}
	g.add(id, "dct:issued", dateTime(r.Provenance.Created))
	g.add(id, "dct:modified", dateTime(r.Provenance.Updated))
	seen := map[string]int{}
	for _, ident := range r.Identifiers {
		if ident.Scheme == "wikidata" {
			g.add(id, "owl:sameAs", iri(wikidata+ident.Value))
		}
		// One node an identifier (DCAT-AP: exactly one skos:notation),
		// named by its scheme, numbered from the second of a scheme.
		n := id + "#identifier-" + ident.Scheme
		if seen[ident.Scheme]++; seen[ident.Scheme] > 1 {
			n += "-" + strconv.Itoa(seen[ident.Scheme])
		}
		g.add(id, "adms:identifier", iri(n))
		g.add(n, rdfType, iri("adms:Identifier"))
		g.add(n, "skos:notation", literal(ident.Value))
		g.add(n, "adms:schemeAgency", literal(ident.Scheme))
	}
	addAgents(g, id, r.Organisations)
	if contact := firstNonEmpty(r.Links.Forum, r.Links.IssueTracker, r.Links.Homepage); contact != "" {
		n := id + "#contact"
		g.add(id, "dcat:contactPoint", iri(n))
		g.add(n, rdfType, iri("vcard:Kind"))
		g.add(n, rdfType, iri("vcard:Organization"))
		name, _ := r.Name.Get()
		g.add(n, "vcard:fn", literal(name))
		g.add(n, "vcard:hasURL", iri(contact))
	}
	access := firstNonEmpty(r.Links.DataPortal, r.Links.Repository, r.Links.Homepage, page)
	if isService(r) {
		g.add(id, "dcat:endpointURL", iri(firstNonEmpty(r.Links.Homepage, r.Links.DataPortal, page)))
		if r.Links.APIDocumentation != "" {
			g.add(id, "dcat:endpointDescription", iri(r.Links.APIDocumentation))
		}
		// A data service has at most one licence: several are one
		// expression, their conjunction.
		switch len(r.Licences) {
		case 0:
		case 1:
			addLicence(g, id, id, 0, r.Licences[0].Expression)
		default:
			exprs := make([]string, len(r.Licences))
			for i, l := range r.Licences {
				exprs[i] = "(" + l.Expression + ")"
			}
			addLicence(g, id, id, 0, strings.Join(exprs, " AND "))
		}
		return
	}
	// A dataset's licence belongs to its distributions: one per licence
	// (or one without), each with the mandatory access URL.
	n := max(len(r.Licences), 1)
	for i := range n {
		d := id + "#distribution-" + strconv.Itoa(i)
		g.add(id, "dcat:distribution", iri(d))
		g.add(d, rdfType, iri("dcat:Distribution"))
		g.add(d, "dcat:accessURL", iri(access))
		if i < len(r.Licences) {
			addLicence(g, d, id, i, r.Licences[i].Expression)
			if scope := r.Licences[i].AppliesTo; scope != "" {
				g.add(d, "dct:description", langLiteral("licence of the "+scope, "en"))
			}
		}
	}
}

// addAgents adds the organisations that publish the record: DCAT-AP
// allows one dct:publisher, the first publisher (or else steward); the
// other publishers and stewards are dct:contributor. Each is a foaf:Agent
// with its foaf:name, named by its URL when it has one.
func addAgents(g *rdfGraph, id string, orgs []commons.Organisation) {
	pub := slices.IndexFunc(orgs, func(o commons.Organisation) bool { return o.Role == "publisher" })
	if pub < 0 {
		pub = slices.IndexFunc(orgs, func(o commons.Organisation) bool { return o.Role == "steward" })
	}
	for i, o := range orgs {
		if o.Role != "steward" && o.Role != "publisher" {
			continue
		}
		n := id + "#publisher-" + strconv.Itoa(i)
		if o.URL != "" {
			n = o.URL
		}
		prop := "dct:contributor"
		if i == pub {
			prop = "dct:publisher"
		}
		addTyped(g, id, prop, n, "foaf:Agent")
		g.add(n, "foaf:name", literal(o.Name))
	}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// recordPageURL is the record's page: local records here, copies at home.
func recordPageURL(base string, r *commons.Record) string {
	if r.Provenance.Origin == base || r.ID == "" {
		return base + "/records/" + url.PathEscape(r.Slug)
	}
	return r.ID
}

// catalogueText is the message key in every page language.
func catalogueText(key string) commons.Text {
	t := make(commons.Text, len(pageLanguageTags))
	for _, l := range pageLanguageTags {
		t[l] = translate(l, key)
	}
	return t
}

// addName gives subject the instance name: one literal per language, or
// the single name.
func (s *server) addName(g *rdfGraph, subject, predicate string) {
	if len(s.names) == 0 {
		g.add(subject, predicate, literal(s.name))
		return
	}
	addTexts(g, subject, predicate, s.names)
}
