package commons

import (
	"slices"
	"strings"
)

// FundingQuery is what a commons asks of the programmes: where it is, what
// it is, its legal form and what the money is for. An empty field asks
// nothing.
type FundingQuery struct {
	Country   string // ISO 3166-1 alpha-2 or EU
	Kind      string // Kinds
	LegalForm string // LegalForms
	Purpose   string // FundingPurposes
}

// Validate names the first field of the query that is not in its
// vocabulary.
func (q FundingQuery) Validate() error {
	var p problems
	if q.Country != "" && !ValidCountry(q.Country) {
		p.add("country", "%q is not an ISO 3166-1 alpha-2 country code (upper case) or EU", q.Country)
	}
	checkEnum(&p, "kind", q.Kind, Kinds, false)
	checkEnum(&p, "legal_form", q.LegalForm, LegalForms, false)
	checkEnum(&p, "purpose", q.Purpose, FundingPurposes, false)
	return p.err("the funding query is invalid")
}

// Reasons a programme fits, each with the value it matched.
const (
	ReasonCountry    = "country"     // the country is named by the programme
	ReasonCountryEU  = "country-eu"  // the country is an EU member state and the programme is EU-wide
	ReasonAnyCountry = "country-any" // the programme puts no restriction on the country
	ReasonKind       = "kind"        // the programme funds this kind of commons
	ReasonLegalForm  = "legal-form"  // the programme accepts this legal form
	ReasonPurpose    = "purpose"     // the programme funds this purpose
)

// MatchReason is one reason a programme fits: ReasonCountry and a value.
type MatchReason struct {
	Code  string `json:"code"`
	Value string `json:"value,omitempty"`
}

// ProgrammeMatch is a programme that fits, with why.
type ProgrammeMatch struct {
	Programme *Record
	Reasons   []MatchReason
	// NextDeadline is the soonest deadline of a call, today or later;
	// empty when no call has one.
	NextDeadline string
}

// CommonsMatch is a commons a programme may fund, with why.
type CommonsMatch struct {
	Record  *Record
	Reasons []MatchReason
}

// LegalFormOf is the legal form the record's governance model implies, or
// "" when it says none.
func LegalFormOf(r *Record) string {
	if r.Governance == nil {
		return ""
	}
	switch m := r.Governance.Model; m {
	case "company-led":
		return "company"
	case "community":
		return "informal-community"
	default:
		if slices.Contains(LegalForms, m) {
			return m
		}
		return ""
	}
}

// applicant is who asks: any of its countries and kinds may match.
type applicant struct {
	countries []string
	kinds     []string
	legalForm string
	purpose   string
}

func (q FundingQuery) applicant() applicant {
	a := applicant{legalForm: q.LegalForm, purpose: q.Purpose}
	if q.Country != "" {
		a.countries = []string{q.Country}
	}
	if q.Kind != "" {
		a.kinds = []string{q.Kind}
	}
	return a
}

func recordApplicant(r *Record) applicant {
	a := applicant{kinds: r.Kinds, legalForm: LegalFormOf(r)}
	for _, c := range r.Countries {
		if !slices.Contains(a.countries, c.Code) {
			a.countries = append(a.countries, c.Code)
		}
	}
	return a
}

// fits says whether the programme admits the applicant and why. A closed
// programme fits no one; an empty eligibility list restricts nothing; an
// applicant that says nothing of a criterion is not asked it.
func (p *Programme) fits(a applicant) ([]MatchReason, bool) {
	if p.Status == "closed" {
		return nil, false
	}
	var why []MatchReason
	if len(a.countries) > 0 {
		e := p.Eligibility.Countries
		switch r, ok := countryReason(e, a.countries); {
		case len(e) == 0:
			why = append(why, MatchReason{Code: ReasonAnyCountry})
		case !ok:
			return nil, false
		default:
			why = append(why, r)
		}
	}
	if len(a.kinds) > 0 && len(p.Eligibility.Kinds) > 0 {
		i := slices.IndexFunc(a.kinds, func(k string) bool { return slices.Contains(p.Eligibility.Kinds, k) })
		if i < 0 {
			return nil, false
		}
		why = append(why, MatchReason{Code: ReasonKind, Value: a.kinds[i]})
	}
	if a.legalForm != "" && len(p.Eligibility.LegalForms) > 0 {
		if !slices.Contains(p.Eligibility.LegalForms, a.legalForm) {
			return nil, false
		}
		why = append(why, MatchReason{Code: ReasonLegalForm, Value: a.legalForm})
	}
	if a.purpose != "" && len(p.Purposes) > 0 {
		if !slices.Contains(p.Purposes, a.purpose) {
			return nil, false
		}
		why = append(why, MatchReason{Code: ReasonPurpose, Value: a.purpose})
	}
	return why, true
}

// countryReason finds the first of the applicant's countries the
// eligible list admits: by name, else as an EU member state when the
// list says EU.
func countryReason(eligible, countries []string) (MatchReason, bool) {
	for _, c := range countries {
		if slices.Contains(eligible, c) {
			return MatchReason{Code: ReasonCountry, Value: c}, true
		}
	}
	if slices.Contains(eligible, "EU") {
		for _, c := range countries {
			if slices.Contains(EUMembers, c) {
				return MatchReason{Code: ReasonCountryEU, Value: c}, true
			}
		}
	}
	return MatchReason{}, false
}

// NextDeadline is the soonest deadline of the programme's calls that is
// today (YYYY-MM-DD) or later, or "".
func (p *Programme) NextDeadline(today string) string {
	next := ""
	for _, c := range p.Calls {
		if c.Deadline >= today && (next == "" || c.Deadline < next) {
			next = c.Deadline
		}
	}
	return next
}

// MatchProgrammes returns the programmes that admit the query, soonest
// deadline first; programmes without a dated call (rolling ones) come
// after, by name. Closed programmes are left out.
func MatchProgrammes(programmes []*Record, q FundingQuery, today string) []ProgrammeMatch {
	return matchAll(programmes, q.applicant(), today)
}

// ProgrammesFor returns the programmes that may fund the record, computed
// from its countries, kinds and governance model, in the order of
// MatchProgrammes.
func ProgrammesFor(programmes []*Record, r *Record, today string) []ProgrammeMatch {
	return matchAll(programmes, recordApplicant(r), today)
}

func matchAll(programmes []*Record, a applicant, today string) []ProgrammeMatch {
	var out []ProgrammeMatch
	for _, p := range programmes {
		if p.Programme == nil {
			continue
		}
		if why, ok := p.Programme.fits(a); ok {
			out = append(out, ProgrammeMatch{Programme: p, Reasons: why, NextDeadline: p.Programme.NextDeadline(today)})
		}
	}
	slices.SortStableFunc(out, func(x, y ProgrammeMatch) int {
		switch {
		case x.NextDeadline != "" && y.NextDeadline == "":
			return -1
		case x.NextDeadline == "" && y.NextDeadline != "":
			return 1
		}
		if c := strings.Compare(x.NextDeadline, y.NextDeadline); c != 0 {
			return c
		}
		return byName(x.Programme, y.Programme)
	})
	return out
}

// Suits reports whether the programme p may fund the commons r (judged
// from its countries, kinds and governance model), and why. A closed
// programme, or a record that is itself a programme, suits never.
func (p *Record) Suits(r *Record) ([]MatchReason, bool) {
	return p.SuitsApplicant(ApplicantOf(r))
}

// Applicant is what matching reads of a commons, computed once so that a
// programme can be held against many commons quickly.
type Applicant struct {
	a         applicant
	programme bool
}

// ApplicantOf is the applicant the record makes.
func ApplicantOf(r *Record) Applicant {
	return Applicant{a: recordApplicant(r), programme: r.Programme != nil}
}

// SuitsApplicant is Suits for an applicant computed beforehand.
func (p *Record) SuitsApplicant(a Applicant) ([]MatchReason, bool) {
	if p.Programme == nil || a.programme {
		return nil, false
	}
	return p.Programme.fits(a.a)
}

// CommonsFor returns the records (not programmes) the programme may fund,
// by name. A closed programme suits none.
func CommonsFor(p *Record, records []*Record) []CommonsMatch {
	if p.Programme == nil {
		return nil
	}
	var out []CommonsMatch
	for _, r := range records {
		if why, ok := p.Suits(r); ok {
			out = append(out, CommonsMatch{Record: r, Reasons: why})
		}
	}
	slices.SortStableFunc(out, func(x, y CommonsMatch) int { return byName(x.Record, y.Record) })
	return out
}

func byName(x, y *Record) int {
	if c := strings.Compare(strings.ToLower(x.Name.String()), strings.ToLower(y.Name.String())); c != 0 {
		return c
	}
	if c := strings.Compare(x.Slug, y.Slug); c != 0 {
		return c
	}
	return strings.Compare(x.ID, y.ID)
}
