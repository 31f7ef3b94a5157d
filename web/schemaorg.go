package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/commons-directory/commons"
	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/gorilla/mux"
)

// mediaJSONLD is the type of a record's schema.org description.
const mediaJSONLD = "application/ld+json"

// schemaContext is the context every schema.org document names.
const schemaContext = "https://schema.org"

// langValue is one language of a multilingual schema.org text.
type langValue struct {
	Value    string `json:"@value"`
	Language string `json:"@language"`
}

// typed is a small schema.org node: an Organization, a Country, a
// PropertyValue or a DonateAction.
type typed struct {
	Type       string `json:"@type"`
	Name       string `json:"name,omitempty"`
	URL        string `json:"url,omitempty"`
	Identifier string `json:"identifier,omitempty"`
	PropertyID string `json:"propertyID,omitempty"`
	Value      string `json:"value,omitempty"`
	Target     string `json:"target,omitempty"`
}

// schemaRecord is a record as schema.org JSON-LD. Members in this order make
// the document read top-down: what it is, what it is called, the rest.
type schemaRecord struct {
	Context            string      `json:"@context"`
	Type               any         `json:"@type"` // a string, or an array for several kinds
	ID                 string      `json:"@id,omitempty"`
	Name               []langValue `json:"name"`
	AlternateName      string      `json:"alternateName"`
	Abstract           []langValue `json:"abstract,omitempty"`
	Description        []langValue `json:"description,omitempty"`
	URL                string      `json:"url,omitempty"`
	CodeRepository     string      `json:"codeRepository,omitempty"`
	Identifier         []typed     `json:"identifier,omitempty"`
	SameAs             []string    `json:"sameAs,omitempty"`
	License            []string    `json:"license,omitempty"`
	Keywords           []string    `json:"keywords,omitempty"`
	CountryOfOrigin    []typed     `json:"countryOfOrigin,omitempty"`
	SpatialCoverage    []typed     `json:"spatialCoverage,omitempty"`
	InLanguage         []string    `json:"inLanguage,omitempty"`
	CreativeWorkStatus string      `json:"creativeWorkStatus,omitempty"`
	Maintainer         []typed     `json:"maintainer,omitempty"`
	Publisher          []typed     `json:"publisher,omitempty"`
	Funder             []typed     `json:"funder,omitempty"`
	Contributor        []typed     `json:"contributor,omitempty"`
	PotentialAction    []typed     `json:"potentialAction,omitempty"`
	DateCreated        string      `json:"dateCreated,omitempty"`
	DateModified       string      `json:"dateModified,omitempty"`
	Version            int         `json:"version,omitempty"`
	SDPublisher        *typed      `json:"sdPublisher,omitempty"`
}

// kindTypes maps a kind to its schema.org type. Software is settled in
// schemaTypes: SoftwareSourceCode when the record has a repository.
var kindTypes = map[string]string{
	"data":           "Dataset",
	"geodata":        "Dataset",
	"knowledge":      "CreativeWork",
	"standard":       "CreativeWork",
	"ai-model":       "CreativeWork",
	"hardware":       "Product",
	"service":        "Service",
	"infrastructure": "Service",
	"community":      "Organization",
}

// notCreativeWork lists the types that are not CreativeWork subtypes, so
// do not take CreativeWork properties (license, inLanguage, …).
var notCreativeWork = []string{"Product", "Service", "Organization"}

// schemaTypes returns the record's schema.org types, one per distinct kind
// mapping, in kind order.
func schemaTypes(rec *commons.Record) []string {
	var types []string
	for _, k := range rec.Kinds {
		t := kindTypes[k]
		if k == "software" {
			t = "SoftwareApplication"
			if rec.Links.Repository != "" {
				t = "SoftwareSourceCode"
			}
		}
		if t != "" && !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		types = []string{"CreativeWork"}
	}
	return types
}

// schemaOrg describes rec in schema.org terms, per the mapping table of the
// reference (commons-directories.md §3).
func schemaOrg(rec *commons.Record) *schemaRecord {
	types := schemaTypes(rec)
	d := &schemaRecord{
		Context:       schemaContext,
		Type:          types[0],
		ID:            rec.ID,
		Name:          langValues(rec.Name),
		AlternateName: rec.Slug,
		Description:   langValues(rec.Description),
		URL:           rec.Links.Homepage,
		Keywords:      rec.Keywords,
	}
	if len(types) > 1 {
		d.Type = types
	}
	if slices.Contains(types, "SoftwareSourceCode") {
		d.CodeRepository = rec.Links.Repository
	}
	for _, id := range rec.Identifiers {
		d.Identifier = append(d.Identifier, typed{Type: "PropertyValue", PropertyID: id.Scheme, Value: id.Value})
		if id.Scheme == "wikidata" {
			d.SameAs = append(d.SameAs, "https://www.wikidata.org/wiki/"+url.PathEscape(id.Value))
		}
	}
	for _, c := range rec.Countries {
		place := typed{Type: "Country", Identifier: c.Code, Name: c.Code}
		if c.Code == "EU" {
			place = typed{Type: "Place", Identifier: c.Code, Name: "European Union"}
		}
		if c.Role == "origin" {
			d.CountryOfOrigin = append(d.CountryOfOrigin, place)
		} else {
			d.SpatialCoverage = append(d.SpatialCoverage, place)
		}
	}
	for _, o := range rec.Organisations {
		org := typed{Type: "Organization", Name: o.Name, URL: o.URL}
		switch o.Role {
		case "steward", "maintainer":
			d.Maintainer = append(d.Maintainer, org)
		case "publisher":
			d.Publisher = append(d.Publisher, org)
		case "funder":
			d.Funder = append(d.Funder, org)
		case "contributor", "contractor":
			d.Contributor = append(d.Contributor, org)
		}
	}
	if rec.Funding != nil {
		for _, ch := range rec.Funding.Channels {
			if ch.Kind == "donation" {
				d.PotentialAction = append(d.PotentialAction, typed{Type: "DonateAction", Name: ch.Label, Target: ch.URL})
			}
		}
	}
	if slices.ContainsFunc(types, func(t string) bool { return !slices.Contains(notCreativeWork, t) }) {
		d.Abstract = langValues(rec.Summary)
		d.License = licenceURLs(rec.Licences)
		d.InLanguage = rec.Languages
		d.CreativeWorkStatus = rec.Status
		d.DateCreated = schemaTime(rec.Provenance.Created)
		d.DateModified = schemaTime(rec.Provenance.Updated)
		d.Version = rec.Provenance.Version
		if rec.Provenance.Origin != "" {
			d.SDPublisher = &typed{Type: "Organization", Name: hostOf(rec.Provenance.Origin), URL: rec.Provenance.Origin}
		}
	} else if len(d.Description) == 0 {
		// Organizations, Products and Services have no abstract: the
		// summary stands in for a missing description.
		d.Description = langValues(rec.Summary)
	}
	if len(d.Keywords) == 0 {
		d.Keywords = nil
	}
	if len(d.InLanguage) == 0 {
		d.InLanguage = nil
	}
	return d
}

// langValues returns a language map as schema.org's multilingual form, in
// language tag order.
func langValues(t commons.Text) []langValue {
	var out []langValue
	for _, l := range t.Languages() {
		out = append(out, langValue{Value: t[l], Language: l})
	}
	return out
}

// licenceURLs returns the spdx.org page of every SPDX licence and exception
// the expressions name, once each. LicenseRef- identifiers have no page.
func licenceURLs(ls []commons.Licence) []string {
	var out []string
	for _, l := range ls {
		ids, err := spdxexp.ExtractLicenses(l.Expression)
		if err != nil {
			continue // Validate rejects such expressions; nothing to export
		}
		for _, id := range ids {
			for part := range strings.SplitSeq(id, " WITH ") {
				part = strings.TrimSuffix(strings.TrimSpace(part), "+")
				if part == "" || strings.HasPrefix(part, "LicenseRef-") || strings.HasPrefix(part, "DocumentRef-") {
					continue
				}
				u := "https://spdx.org/licenses/" + part
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		}
	}
	return out
}

func schemaTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}

// marshalSchemaOrg encodes rec's schema.org description. json.Marshal
// escapes <, > and &, so the result is safe inside an HTML script element.
func marshalSchemaOrg(rec *commons.Record) ([]byte, error) {
	b, err := json.MarshalIndent(schemaOrg(rec), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode schema.org for %s: %w", rec.Slug, err)
	}
	return b, nil
}

// schemaOrgScript returns rec's description for the record page's
// <script type="application/ld+json"> data block.
func schemaOrgScript(rec *commons.Record) (template.JS, error) {
	b, err := marshalSchemaOrg(rec)
	if err != nil {
		return "", err
	}
	return template.JS(b), nil //nolint:gosec // JSON with <, >, & escaped: cannot close the element
}

// handleRecordJSONLD answers /records/{slug}.jsonld: the record as
// schema.org JSON-LD.
func (s *server) handleRecordJSONLD(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.dir.Record(r.Context(), mux.Vars(r)["slug"])
	if err != nil {
		return err
	}
	b, err := marshalSchemaOrg(rec)
	if err != nil {
		return err
	}
	writeExport(w, r, mediaJSONLD, append(b, '\n'))
	return nil
}
