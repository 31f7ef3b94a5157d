package commons

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Programme makes a record a funding programme: a funder's grant, prize,
// fellowship or in-kind service that commons may apply to. A programme is
// kept, federated and followed exactly as a record is (same actor, history,
// origin authority); the record's Name and Description are the
// programme's, its Countries say where the funder is. Programmes are left
// out of the directory's record lists, search, facets, stats and exports:
// they are listed under /funding/programmes.
type Programme struct {
	Funder      Funder          `json:"funder"`
	Kind        string          `json:"kind"` // ProgrammeKinds
	Eligibility Eligibility     `json:"eligibility"`
	Purposes    []string        `json:"purposes"` // FundingPurposes; empty: not stated
	Amount      *Amount         `json:"amount,omitempty"`
	CoFunding   *CoFunding      `json:"co_funding,omitempty"`
	Status      string          `json:"status,omitempty"` // ProgrammeStatuses; empty when not stated
	Calls       []ProgrammeCall `json:"calls"`
	ApplyURL    string          `json:"apply_url,omitempty"`
	SourceURL   string          `json:"source_url"`
	Checked     string          `json:"checked"` // YYYY-MM-DD: when the facts were taken from the source
}

// Funder is who gives the money.
type Funder struct {
	Name Text   `json:"name"`
	URL  string `json:"url,omitempty"`
}

// Eligibility says who may apply. An empty list puts no restriction.
type Eligibility struct {
	// Countries are ISO 3166-1 alpha-2 codes; "EU" means any member state
	// of the European Union.
	Countries  []string `json:"countries"`
	Kinds      []string `json:"kinds"`       // Kinds: the kinds of commons funded
	LegalForms []string `json:"legal_forms"` // LegalForms
}

// Amount is what the programme gives, as the funder publishes it: bounds
// in a currency, a text, or both. Nothing is ever estimated.
type Amount struct {
	Min      int64  `json:"min,omitempty"`
	Max      int64  `json:"max,omitempty"`
	Currency string `json:"currency,omitempty"` // ISO 4217, e.g. EUR
	Text     Text   `json:"text,omitempty"`
}

// CoFunding says whether the applicant must bring money of its own.
type CoFunding struct {
	Required string `json:"required"` // yes, no, unknown
	Text     Text   `json:"text,omitempty"`
}

// ProgrammeCall is one call of a programme: a window to apply in.
type ProgrammeCall struct {
	Title    Text   `json:"title"`
	Opens    string `json:"opens,omitempty"`    // YYYY-MM-DD
	Deadline string `json:"deadline,omitempty"` // YYYY-MM-DD
	URL      string `json:"url,omitempty"`
}

// Programme vocabularies, complete and in display order.
var (
	ProgrammeKinds    = []string{"grant", "prize", "procurement", "in-kind", "fellowship", "donation-platform", "tax-scheme"}
	ProgrammeStatuses = []string{"open", "rolling", "closed"}
	LegalForms        = []string{"association", "foundation", "cooperative", "company", "public-body", "individual", "informal-community"}
	FundingPurposes   = []string{"development", "maintenance", "security", "governance", "community", "accessibility", "translation"}
	CoFundingAnswers  = []string{"yes", "no", "unknown"}
)

// EUMembers are the member states of the European Union, which an
// eligibility of "EU" admits.
var EUMembers = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}

// IsProgramme reports whether the record is a funding programme.
func (r *Record) IsProgramme() bool { return r.Programme != nil }

func (p *Programme) normalize() {
	p.Funder.Name = p.Funder.Name.normalized()
	nonNil(&p.Eligibility.Countries)
	nonNil(&p.Eligibility.Kinds)
	nonNil(&p.Eligibility.LegalForms)
	nonNil(&p.Purposes)
	nonNil(&p.Calls)
	for i := range p.Calls {
		p.Calls[i].Title = p.Calls[i].Title.normalized()
	}
	if a := p.Amount; a != nil {
		a.Currency = strings.ToUpper(strings.TrimSpace(a.Currency))
		a.Text = a.Text.normalized()
		if a.Min == 0 && a.Max == 0 && a.Currency == "" && len(a.Text) == 0 {
			p.Amount = nil
		}
	}
	if c := p.CoFunding; c != nil {
		c.Text = c.Text.normalized()
		if c.Required == "" && len(c.Text) == 0 {
			p.CoFunding = nil
		}
	}
}

// validate adds the programme's problems, each field under "programme.".
func (p *Programme) validate(pr *problems) {
	if len(p.Funder.Name) == 0 {
		pr.add("programme.funder.name", "is required in at least one language")
	}
	checkText(pr, "programme.funder.name", p.Funder.Name, MaxName*2)
	checkURL(pr, "programme.funder.url", p.Funder.URL, false)
	if p.Kind == "" {
		pr.add("programme.kind", "is required: one of %s", strings.Join(ProgrammeKinds, ", "))
	} else {
		checkEnum(pr, "programme.kind", p.Kind, ProgrammeKinds, true)
	}
	checkLen(pr, "programme.eligibility.countries", len(p.Eligibility.Countries))
	for i, c := range p.Eligibility.Countries {
		f := fmt.Sprintf("programme.eligibility.countries[%d]", i)
		if !ValidCountry(c) {
			pr.add(f, "%q is not an ISO 3166-1 alpha-2 country code (upper case) or EU", c)
		} else if slices.Index(p.Eligibility.Countries, c) < i {
			pr.add(f, "%q is listed twice", c)
		}
	}
	checkEnumList(pr, "programme.eligibility.kinds", p.Eligibility.Kinds, Kinds)
	checkEnumList(pr, "programme.eligibility.legal_forms", p.Eligibility.LegalForms, LegalForms)
	checkEnumList(pr, "programme.purposes", p.Purposes, FundingPurposes)
	if a := p.Amount; a != nil {
		if a.Min < 0 {
			pr.add("programme.amount.min", "cannot be negative")
		}
		if a.Max < 0 {
			pr.add("programme.amount.max", "cannot be negative")
		}
		if a.Max > 0 && a.Min > a.Max {
			pr.add("programme.amount.min", "%d is more than the maximum %d", a.Min, a.Max)
		}
		switch {
		case (a.Min > 0 || a.Max > 0) && a.Currency == "":
			pr.add("programme.amount.currency", "is required with an amount: an ISO 4217 code such as EUR")
		case a.Currency != "" && !currencyPattern.MatchString(a.Currency):
			pr.add("programme.amount.currency", "%q is not an ISO 4217 code such as EUR", a.Currency)
		}
		checkText(pr, "programme.amount.text", a.Text, MaxSummary)
	}
	if c := p.CoFunding; c != nil {
		checkEnum(pr, "programme.co_funding.required", c.Required, CoFundingAnswers, true)
		checkText(pr, "programme.co_funding.text", c.Text, MaxSummary)
	}
	checkEnum(pr, "programme.status", p.Status, ProgrammeStatuses, false)
	checkLen(pr, "programme.calls", len(p.Calls))
	for i, c := range p.Calls {
		f := fmt.Sprintf("programme.calls[%d]", i)
		if len(c.Title) == 0 {
			pr.add(f+".title", "is required")
		}
		checkText(pr, f+".title", c.Title, MaxSummary)
		checkDate(pr, f+".opens", c.Opens)
		checkDate(pr, f+".deadline", c.Deadline)
		if validDate(c.Opens) && validDate(c.Deadline) && c.Opens > c.Deadline {
			pr.add(f+".deadline", "%s is before the opening date %s", c.Deadline, c.Opens)
		}
		checkURL(pr, f+".url", c.URL, false)
	}
	checkURL(pr, "programme.apply_url", p.ApplyURL, false)
	checkURL(pr, "programme.source_url", p.SourceURL, true)
	if p.Checked == "" {
		pr.add("programme.checked", "is required: the date the facts were taken from the source, YYYY-MM-DD")
	} else {
		checkDate(pr, "programme.checked", p.Checked)
	}
}

func checkDate(p *problems, field, s string) {
	if s == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		p.add(field, "%q is not a date in the form YYYY-MM-DD", s)
	}
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
