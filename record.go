package commons

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"time"
)

// Record is one digital commons: Wikipedia, OpenStreetMap, the Base Adresse
// Nationale. A local record is authored on this instance; a remote one is a
// read-only copy whose home (Provenance.Origin) is another instance.
//
// Every human text is a Text (a language map). Lists are never nil after
// Normalize, so JSON shows [] rather than null.
type Record struct {
	// ID is the record's canonical IRI, also its ActivityPub actor id:
	// <origin>/records/<slug>. Set by the store, never by an editor.
	ID   string `json:"id,omitempty"`
	Slug string `json:"slug"`

	Name        Text `json:"name"`
	Summary     Text `json:"summary,omitempty"`     // one line, ≤ MaxSummary characters per language
	Description Text `json:"description,omitempty"` // Markdown

	Kinds     []string  `json:"kinds"`
	Sectors   []string  `json:"sectors"`
	Keywords  []string  `json:"keywords"`
	Countries []Country `json:"countries"`
	Languages []string  `json:"languages"` // BCP 47 tags the resource itself is available in
	Licences  []Licence `json:"licences"`
	Status    string    `json:"status"`

	Governance    *Governance    `json:"governance,omitempty"`
	Organisations []Organisation `json:"organisations"`
	Funding       *Funding       `json:"funding,omitempty"`
	Links         Links          `json:"links"`
	Identifiers   []Identifier   `json:"identifiers"`
	Relations     []Relation     `json:"relations"`
	Logo          string         `json:"logo,omitempty"` // https URL of a square image

	// Programme, when set, makes the record a funding programme.
	Programme *Programme `json:"programme,omitempty"`

	// Provenance is maintained by the store; what a client sends is ignored.
	Provenance Provenance `json:"provenance"`
}

// Country ties a record to an ISO 3166-1 alpha-2 code (or "EU") with a role.
type Country struct {
	Code string `json:"code"`
	Role string `json:"role"` // CountryRoles
}

// Licence is an SPDX expression and what part of the commons it covers.
type Licence struct {
	Expression string `json:"expression"`
	AppliesTo  string `json:"applies_to,omitempty"` // LicenceScopes; empty means the whole commons
}

// Governance says who decides and how.
type Governance struct {
	Model              string `json:"model,omitempty"` // GovernanceModels
	LegalEntity        string `json:"legal_entity,omitempty"`
	DecisionProcessURL string `json:"decision_process_url,omitempty"`
	CodeOfConductURL   string `json:"code_of_conduct_url,omitempty"`
	ContributingURL    string `json:"contributing_url,omitempty"`
	OpenMembership     *bool  `json:"open_membership,omitempty"`
	CommunitySize      int    `json:"community_size,omitempty"` // active contributors, approximately
}

// Organisation is a body with a role towards the commons.
type Organisation struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
	Role string `json:"role"` // OrganisationRoles
}

// Funding lists how to give money and where money can be asked for.
type Funding struct {
	Channels    []FundingChannel `json:"channels"`
	Calls       []FundingCall    `json:"calls"`
	ManifestURL string           `json:"manifest_url,omitempty"` // a funding.json
}

// FundingChannel is a standing way to support the commons.
type FundingChannel struct {
	Kind  string `json:"kind"` // FundingKinds
	URL   string `json:"url"`
	Label string `json:"label,omitempty"`
}

// FundingCall is an open call for funding with a deadline.
type FundingCall struct {
	// Title is a language map like the record's texts. A plain string,
	// the form before titles had languages, is still read: Normalize
	// gives it the record's first language.
	Title    Text   `json:"title"`
	Funder   string `json:"funder,omitempty"`
	URL      string `json:"url"`
	Deadline string `json:"deadline,omitempty"` // YYYY-MM-DD
}

// Links are the record's outward links, each an http(s) URL.
type Links struct {
	Homepage         string `json:"homepage,omitempty"`
	Repository       string `json:"repository,omitempty"`
	Documentation    string `json:"documentation,omitempty"`
	APIDocumentation string `json:"api_documentation,omitempty"`
	DataPortal       string `json:"data_portal,omitempty"`
	IssueTracker     string `json:"issue_tracker,omitempty"`
	Roadmap          string `json:"roadmap,omitempty"`
	Forum            string `json:"forum,omitempty"`
	Fediverse        string `json:"fediverse,omitempty"`
}

// Identifier is a key in an outside registry. Identifiers also tie copies
// of the same commons listed by several instances together.
type Identifier struct {
	Scheme string `json:"scheme"` // IdentifierSchemes
	Value  string `json:"value"`
}

// Relation links this record to another commons by IRI or Wikidata QID.
type Relation struct {
	Type   string `json:"type"` // RelationTypes
	Target string `json:"target"`
}

// Provenance says where a record comes from and which version this is.
type Provenance struct {
	Origin    string `json:"origin"`               // base URL of the home instance
	Source    string `json:"source"`               // Sources
	SourceURL string `json:"source_url,omitempty"` // e.g. the publiccode.yml it was imported from
	// SourceVersion is the version of the source format the record was
	// last read in (publiccodeYmlVersion), so that an export can follow it.
	SourceVersion string    `json:"source_version,omitempty"`
	Created       time.Time `json:"created"`              // at the origin
	Updated       time.Time `json:"updated"`              // at the origin
	Version       int       `json:"version"`              // 1 on creation, +1 per change
	Hash          string    `json:"hash"`                 // ContentHash, hex SHA-256
	ReceivedAt    time.Time `json:"received_at,omitzero"` // remote records: when this copy arrived
}

// Vocabularies. Each list is the complete set of accepted values, in the
// order forms and documentation show them.
var (
	Kinds             = []string{"software", "data", "geodata", "knowledge", "hardware", "standard", "ai-model", "service", "infrastructure", "community"}
	Statuses          = []string{"concept", "development", "beta", "stable", "maintained-only", "obsolete"}
	CountryRoles      = []string{"origin", "intended-for", "deployed-in"}
	LicenceScopes     = []string{"code", "content", "data", "docs", "hardware", "model"}
	GovernanceModels  = []string{"foundation", "association", "cooperative", "public-body", "company-led", "community", "individual"}
	OrganisationRoles = []string{"steward", "maintainer", "funder", "contractor", "publisher", "user", "contributor"}
	FundingKinds      = []string{"donation", "membership", "sponsorship", "grant", "service-contract"}
	IdentifierSchemes = []string{"wikidata", "publiccode", "swhid", "doi", "ror", "joinup", "dpg", "isni", "url"}
	RelationTypes     = []string{"based-on", "part-of", "has-part", "depends-on", "alternative-to", "implements", "complies-with"}
	Sources           = []string{"manual", "api", "import", "publiccode", "federated", "demo"}
)

// Limits on record fields.
const (
	MaxSlug        = 64
	MaxName        = 120
	MaxSummary     = 200
	MaxDescription = 20000
	MaxListItems   = 50
	MaxURL         = 2048
)

// IsLocal reports whether the record's home is the instance at base.
func (r *Record) IsLocal(base string) bool { return r.Provenance.Origin == base }

// Normalize puts a record in canonical form: nil lists become empty ones and
// texts are trimmed, so that equal content always serialises identically.
func (r *Record) Normalize() {
	r.Name = r.Name.normalized()
	r.Summary = r.Summary.normalized()
	r.Description = r.Description.normalized()
	nonNil(&r.Kinds)
	nonNil(&r.Sectors)
	nonNil(&r.Keywords)
	nonNil(&r.Countries)
	nonNil(&r.Languages)
	nonNil(&r.Licences)
	nonNil(&r.Organisations)
	nonNil(&r.Identifiers)
	nonNil(&r.Relations)
	if r.Funding != nil {
		nonNil(&r.Funding.Channels)
		nonNil(&r.Funding.Calls)
		for i := range r.Funding.Calls {
			c := &r.Funding.Calls[i]
			if s, ok := c.Title[untitledLang]; ok {
				delete(c.Title, untitledLang)
				if _, taken := c.Title[r.textLanguage()]; !taken {
					c.Title[r.textLanguage()] = s
				}
			}
			c.Title = c.Title.normalized()
		}
		if len(r.Funding.Channels) == 0 && len(r.Funding.Calls) == 0 && r.Funding.ManifestURL == "" {
			r.Funding = nil
		}
	}
	if r.Programme != nil {
		r.Programme.normalize()
	}
	if r.Governance != nil && *r.Governance == (Governance{}) {
		r.Governance = nil
	}
}

func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// ContentHash returns the hex SHA-256 of the record's content: every field
// but ID and Provenance, in canonical JSON. Two instances holding the same
// content compute the same hash.
func (r *Record) ContentHash() string {
	c := *r
	c.ID = ""
	c.Provenance = Provenance{}
	c.Normalize()
	b, err := json.Marshal(&c)
	if err != nil {
		panic("commons: marshal record: " + err.Error()) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Identifier returns the value of the first identifier with the scheme.
func (r *Record) Identifier(scheme string) string {
	for _, id := range r.Identifiers {
		if id.Scheme == scheme {
			return id.Value
		}
	}
	return ""
}

// Revision is one entry of a record's edit history: the version that a
// change replaced, who changed it and when.
type Revision struct {
	Version  int       `json:"version"`
	Action   string    `json:"action"` // create, update, delete
	Actor    string    `json:"actor"`  // user name, "import", or a remote actor IRI
	At       time.Time `json:"at"`
	Previous *Record   `json:"previous,omitempty"` // nil on create
}

// untitledLang keys a funding call's title read from a plain string until
// Normalize gives it the record's language.
const untitledLang = "und"

// textLanguage is the language a text without one is taken to be in: the
// record's first language, else its name's first, else English.
func (r *Record) textLanguage() string {
	if len(r.Languages) > 0 {
		if l, err := CanonicalLanguage(r.Languages[0]); err == nil {
			return l
		}
	}
	if ls := r.Name.Languages(); len(ls) > 0 {
		return ls[0]
	}
	return "en"
}

// UnmarshalJSON reads a funding call strictly (no unknown field), its
// title as a language map or, as before titles had languages, a string.
func (c *FundingCall) UnmarshalJSON(b []byte) error {
	type plain FundingCall
	var v struct {
		plain
		Title json.RawMessage `json:"title"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*c = FundingCall(v.plain)
	c.Title = nil
	switch t := bytes.TrimSpace(v.Title); {
	case len(t) == 0 || string(t) == "null":
	case t[0] == '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		c.Title = Text{untitledLang: s}
	default:
		if err := json.Unmarshal(t, &c.Title); err != nil {
			return &json.UnmarshalTypeError{Value: "title", Type: reflect.TypeFor[Text](), Field: "title"}
		}
	}
	return nil
}
