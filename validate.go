package commons

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/github/go-spdx/v2/spdxexp"
	"golang.org/x/text/language"
)

// slugPattern is Mastodon's rule for remote usernames, lower-cased: a slug
// is also the record actor's handle, slug@host.
// currencyPattern is the form of an ISO 4217 code.
var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

var slugPattern = regexp.MustCompile(`^[a-z0-9_]+([.-][a-z0-9_]+)*$`)

// identifierPatterns check the identifier values whose syntax is fixed.
var identifierPatterns = map[string]*regexp.Regexp{
	"wikidata": regexp.MustCompile(`^Q[1-9][0-9]*$`),
	"swhid":    regexp.MustCompile(`^swh:1:(cnt|dir|rev|rel|snp|ori):[0-9a-f]{40}$`),
	"doi":      regexp.MustCompile(`^10\.[0-9]{4,9}/\S+$`),
	"ror":      regexp.MustCompile(`^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$`),
	"isni":     regexp.MustCompile(`^[0-9]{15}[0-9X]$`),
}

// ValidSlug reports whether s can be a record slug (and so a handle).
func ValidSlug(s string) bool {
	return len(s) <= MaxSlug && slugPattern.MatchString(s) && reservedSuffix(s) == "" && !IsTopic(s)
}

// reservedSuffixes are the extensions that select another format of a
// record's URL (/records/osm.jsonld): no slug may end in one.
var reservedSuffixes = []string{".jsonld", ".json", ".atom", ".csv", ".xml", ".ttl", ".yml", ".yaml", ".html"}

func reservedSuffix(slug string) string {
	for _, s := range reservedSuffixes {
		if strings.HasSuffix(slug, s) {
			return s
		}
	}
	return ""
}

// Validate checks every field and returns one *Error with code EINVALID that
// lists every problem, each with its field path, or nil. Call Normalize first.
func (r *Record) Validate() error {
	var p problems
	switch {
	case r.Slug == "":
		p.add("slug", "is required")
	case len(r.Slug) > MaxSlug:
		p.add("slug", "is longer than %d characters", MaxSlug)
	case !slugPattern.MatchString(r.Slug):
		p.add("slug", "%q must be lower-case letters, digits and _, joined by single . or -", r.Slug)
	case reservedSuffix(r.Slug) != "":
		p.add("slug", "%q ends in %s, which names a format of the record's page", r.Slug, reservedSuffix(r.Slug))
	case IsTopic(r.Slug):
		p.add("slug", "%q is the name of a topic (a kind or a country code), which has its own account", r.Slug)
	}
	if len(r.Name) == 0 {
		p.add("name", "is required in at least one language")
	}
	checkText(&p, "name", r.Name, MaxName)
	checkText(&p, "summary", r.Summary, MaxSummary)
	checkText(&p, "description", r.Description, MaxDescription)

	if len(r.Kinds) == 0 && r.Programme == nil {
		p.add("kinds", "needs at least one of %s", strings.Join(Kinds, ", "))
	}
	checkEnumList(&p, "kinds", r.Kinds, Kinds)
	checkTags(&p, "sectors", r.Sectors)
	checkTags(&p, "keywords", r.Keywords)

	checkLen(&p, "countries", len(r.Countries))
	seenCountry := map[Country]bool{}
	for i, c := range r.Countries {
		f := fmt.Sprintf("countries[%d]", i)
		if !ValidCountry(c.Code) {
			p.add(f+".code", "%q is not an ISO 3166-1 alpha-2 country code (upper case) or EU", c.Code)
		}
		checkEnum(&p, f+".role", c.Role, CountryRoles, true)
		if seenCountry[c] {
			p.add(f, "%s (%s) is listed twice", c.Code, c.Role)
		}
		seenCountry[c] = true
	}

	checkLen(&p, "languages", len(r.Languages))
	for i, l := range r.Languages {
		if c, err := CanonicalLanguage(l); err != nil {
			p.add(fmt.Sprintf("languages[%d]", i), "%q is not a BCP 47 language tag", l)
		} else if c != l {
			p.add(fmt.Sprintf("languages[%d]", i), "%q should be written %q", l, c)
		}
	}

	checkLen(&p, "licences", len(r.Licences))
	for i, l := range r.Licences {
		f := fmt.Sprintf("licences[%d]", i)
		if l.Expression == "" {
			p.add(f+".expression", "is required")
		} else if ok, _ := spdxexp.ValidateLicenses([]string{l.Expression}); !ok {
			p.add(f+".expression", "%q is not a valid SPDX expression", l.Expression)
		}
		checkEnum(&p, f+".applies_to", l.AppliesTo, LicenceScopes, false)
	}

	if r.Status == "" && r.Programme == nil {
		p.add("status", "is required: one of %s", strings.Join(Statuses, ", "))
	} else if r.Status != "" {
		checkEnum(&p, "status", r.Status, Statuses, true)
	}

	if g := r.Governance; g != nil {
		checkEnum(&p, "governance.model", g.Model, GovernanceModels, false)
		checkString(&p, "governance.legal_entity", g.LegalEntity, MaxName*2)
		checkURL(&p, "governance.decision_process_url", g.DecisionProcessURL, false)
		checkURL(&p, "governance.code_of_conduct_url", g.CodeOfConductURL, false)
		checkURL(&p, "governance.contributing_url", g.ContributingURL, false)
		if g.CommunitySize < 0 {
			p.add("governance.community_size", "cannot be negative")
		}
	}

	checkLen(&p, "organisations", len(r.Organisations))
	for i, o := range r.Organisations {
		f := fmt.Sprintf("organisations[%d]", i)
		if strings.TrimSpace(o.Name) == "" {
			p.add(f+".name", "is required")
		}
		checkString(&p, f+".name", o.Name, MaxName*2)
		checkURL(&p, f+".url", o.URL, false)
		checkEnum(&p, f+".role", o.Role, OrganisationRoles, true)
	}

	if fu := r.Funding; fu != nil {
		checkLen(&p, "funding.channels", len(fu.Channels))
		for i, c := range fu.Channels {
			f := fmt.Sprintf("funding.channels[%d]", i)
			checkEnum(&p, f+".kind", c.Kind, FundingKinds, true)
			checkURL(&p, f+".url", c.URL, true)
			checkString(&p, f+".label", c.Label, MaxName)
		}
		checkLen(&p, "funding.calls", len(fu.Calls))
		for i, c := range fu.Calls {
			f := fmt.Sprintf("funding.calls[%d]", i)
			if len(c.Title) == 0 {
				p.add(f+".title", "is required")
			}
			checkText(&p, f+".title", c.Title, MaxSummary)
			checkString(&p, f+".funder", c.Funder, MaxName*2)
			checkURL(&p, f+".url", c.URL, true)
			if c.Deadline != "" {
				if _, err := time.Parse(time.DateOnly, c.Deadline); err != nil {
					p.add(f+".deadline", "%q is not a date in the form YYYY-MM-DD", c.Deadline)
				}
			}
		}
		checkURL(&p, "funding.manifest_url", fu.ManifestURL, false)
	}

	for _, l := range r.Links.list() {
		checkURL(&p, "links."+l.key, l.url, false)
	}

	checkLen(&p, "identifiers", len(r.Identifiers))
	for i, id := range r.Identifiers {
		f := fmt.Sprintf("identifiers[%d]", i)
		if !checkEnum(&p, f+".scheme", id.Scheme, IdentifierSchemes, true) {
			continue
		}
		switch re := identifierPatterns[id.Scheme]; {
		case id.Value == "":
			p.add(f+".value", "is required")
		case re != nil && !re.MatchString(id.Value):
			p.add(f+".value", "%q is not a valid %s identifier", id.Value, id.Scheme)
		case (id.Scheme == "publiccode" || id.Scheme == "url") && !validURL(id.Value):
			p.add(f+".value", "%q is not an http(s) URL", id.Value)
		default:
			checkString(&p, f+".value", id.Value, MaxURL)
		}
	}

	checkLen(&p, "relations", len(r.Relations))
	for i, rel := range r.Relations {
		f := fmt.Sprintf("relations[%d]", i)
		checkEnum(&p, f+".type", rel.Type, RelationTypes, true)
		if !validURL(rel.Target) && !identifierPatterns["wikidata"].MatchString(rel.Target) {
			p.add(f+".target", "%q must be an http(s) IRI or a Wikidata QID", rel.Target)
		}
	}
	checkURL(&p, "logo", r.Logo, false)
	if r.Programme != nil {
		r.Programme.validate(&p)
	}
	return p.err("the record is invalid")
}

// ValidCountry reports whether code is an ISO 3166-1 alpha-2 country code in
// upper case (XK included), or "EU".
func ValidCountry(code string) bool {
	if code == "EU" {
		return true
	}
	if len(code) != 2 || strings.ToUpper(code) != code {
		return false
	}
	if notAssigned[code] {
		return false
	}
	reg, err := language.ParseRegion(code)
	return err == nil && reg.IsCountry() && reg.String() == code
}

// notAssigned are codes CLDR knows as regions but ISO 3166-1 only reserves
// (exceptionally or transitionally): they name no country. XK (Kosovo), a
// user-assigned code that the EU itself uses, is accepted.
var notAssigned = map[string]bool{
	"AC": true, "CP": true, "CQ": true, "DG": true, "EA": true, "EZ": true,
	"FX": true, "IC": true, "SU": true, "TA": true, "UK": true, "UN": true,
}

type namedURL struct{ key, url string }

// list returns the links with their JSON keys, in display order.
func (l Links) list() []namedURL {
	return []namedURL{
		{"homepage", l.Homepage}, {"repository", l.Repository}, {"documentation", l.Documentation},
		{"api_documentation", l.APIDocumentation}, {"data_portal", l.DataPortal},
		{"issue_tracker", l.IssueTracker}, {"roadmap", l.Roadmap}, {"forum", l.Forum},
		{"fediverse", l.Fediverse},
	}
}

func checkText(p *problems, field string, t Text, max int) {
	for _, k := range t.Languages() {
		f := field + "." + k
		if c, err := CanonicalLanguage(k); err != nil {
			p.add(f, "%q is not a BCP 47 language tag", k)
		} else if c != k {
			p.add(f, "language tag %q should be written %q", k, c)
		}
		if strings.TrimSpace(t[k]) == "" {
			p.add(f, "is empty")
		}
		checkString(p, f, t[k], max)
	}
}

func checkString(p *problems, field, s string, max int) {
	if !utf8.ValidString(s) {
		p.add(field, "is not valid UTF-8")
	} else if n := utf8.RuneCountInString(s); n > max {
		p.add(field, "is %d characters long; the limit is %d", n, max)
	}
}

func checkLen(p *problems, field string, n int) {
	if n > MaxListItems {
		p.add(field, "has %d entries; the limit is %d", n, MaxListItems)
	}
}

func checkEnum(p *problems, field, v string, allowed []string, required bool) bool {
	if v == "" {
		if required {
			p.add(field, "is required: one of %s", strings.Join(allowed, ", "))
		}
		return false
	}
	if !slices.Contains(allowed, v) {
		p.add(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
		return false
	}
	return true
}

func checkEnumList(p *problems, field string, vs, allowed []string) {
	checkLen(p, field, len(vs))
	seen := map[string]bool{}
	for i, v := range vs {
		f := fmt.Sprintf("%s[%d]", field, i)
		checkEnum(p, f, v, allowed, true)
		if seen[v] {
			p.add(f, "%q is listed twice", v)
		}
		seen[v] = true
	}
}

func checkTags(p *problems, field string, vs []string) {
	checkLen(p, field, len(vs))
	for i, v := range vs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if strings.TrimSpace(v) == "" {
			p.add(f, "is empty")
		}
		checkString(p, f, v, 64)
	}
}

func checkURL(p *problems, field, u string, required bool) {
	switch {
	case u == "":
		if required {
			p.add(field, "is required")
		}
	case len(u) > MaxURL:
		p.add(field, "is longer than %d characters", MaxURL)
	case !validURL(u):
		p.add(field, "%q is not an absolute http(s) URL", u)
	}
}

// validURL accepts absolute http and https URLs with a host and no user info.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
