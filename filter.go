package commons

import "time"

// Facet names, in the order pages show them. Each is a field a search can
// be filtered and counted by.
const (
	FacetKind     = "kind"
	FacetCountry  = "country"
	FacetLicence  = "licence" // SPDX identifiers found in the licence expressions
	FacetLanguage = "language"
	FacetStatus   = "status"
	FacetOrigin   = "origin" // host of the home instance
)

// Facets lists every facet name.
var Facets = []string{FacetKind, FacetCountry, FacetLicence, FacetLanguage, FacetStatus, FacetOrigin}

// Sort orders for a search.
const (
	SortRelevance = "relevance" // default when there is a query
	SortName      = "name"      // default without a query
	SortUpdated   = "updated"   // most recently updated first
)

// MaxLimit is the largest page a search returns.
const MaxLimit = 100

// RecordFilter is a search of the directory. Values within one facet are
// alternatives (OR); different facets must all hold (AND).
type RecordFilter struct {
	Query         string              // full text: see store.DB.SearchRecords for what a word matches
	Filters       map[string][]string // facet name → accepted values
	ModifiedSince time.Time           // only records updated after this instant
	IncludeRemote bool                // also search remote copies (the default in the API)
	Sort          string              // SortRelevance, SortName or SortUpdated
	Cursor        string              // opaque, from RecordPage.Next
	Limit         int                 // 1..MaxLimit; 0 means 20
	WithFacets    bool                // also count facet values over the whole result
	// Language is the reader's language (a BCP 47 tag; "" when unknown):
	// query words matched through its analysis, in records with a text in
	// it, count more than through other languages.
	Language string
}

// RecordPage is one page of search results.
type RecordPage struct {
	Records []*Record               `json:"items"`
	Total   int                     `json:"total"`                 // matches over all pages
	Next    string                  `json:"next_cursor,omitempty"` // empty on the last page
	Facets  map[string][]FacetCount `json:"facets,omitempty"`
	// SearchedFor is the query the results answer when it is not the one
	// typed: a word that matched nothing is left out, or replaced by the
	// word within typing distance that the results have.
	SearchedFor string `json:"searched_for,omitempty"`
	// Match tells what the query matched, for highlighting.
	Match *QueryMatch `json:"-"`
}

// QueryMatch is what a search matched: a word of a result matches when it
// begins with one of Prefixes, is one of Words, or its stem in the
// language of its text is one of Stems. All are folded (lower case,
// without diacritics).
type QueryMatch struct {
	Prefixes []string
	Words    []string
	Stems    []string
}

// FacetCount is how many matching records carry one facet value.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}
