package store

import (
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/github/go-spdx/v2/spdxexp"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/analysis"
)

// Full-text tiers: each is an FTS5 table, and a word's weight in the ranking
// depends on the tier it matched in.
const (
	tierName = iota // names
	tierMeta        // slug, keywords, sectors, organisations, summaries
	tierDesc        // descriptions
	nTiers
)

// tierTables are the FTS5 tables of the tiers, by tier.
var tierTables = [nTiers]string{"records_name", "records_meta", "records_desc"}

// programmeFacets are the facets of a funding programme: a line of a
// facet no record has, which parseFacets skips. notProgramme is the SQL
// condition that leaves programmes out of the directory's lists.
const (
	programmeFacets = "programme\tyes\n"
	notProgramme    = ` AND facets NOT LIKE 'programme%'`
	isProgramme     = ` AND facets LIKE 'programme%'`
)

// nFacets is the number of facets, in the order of commons.Facets.
var nFacets = len(commons.Facets)

// derived is what the store keeps beside a record's JSON so that the index,
// the full-text tables and sorting never decode the JSON.
type derived struct {
	sortName string
	nameKeys string         // the names and the slug, compacted, one a line
	facets   string         // "facet\tvalue\n" lines, facets in commons.Facets order
	text     [nTiers]string // full text by tier: each word once as written (NFC), then the joined words
	alt      [nTiers]string // stems and camel-case parts by tier (analysis.Terms)
	lens     [nTiers]int    // words by tier
	words    []string       // the folded words of every tier, for the vocabulary
	langs    string         // the languages of the texts (base tags), sorted, space-separated
	values   [][]string     // facet values, by facet index
}

// termsPool keeps the analysis buffers of derive: an import derives
// records on every core. Unlike a sync.Pool, it keeps them across garbage
// collections, so what they remember of words lasts a whole import; it
// keeps one for each core at most.
var termsPool = make(chan *analysis.Terms, runtime.GOMAXPROCS(0))

func getTerms() *analysis.Terms {
	select {
	case t := <-termsPool:
		return t
	default:
		return new(analysis.Terms)
	}
}

func putTerms(t *analysis.Terms) {
	select {
	case termsPool <- t:
	default:
	}
}

// derive computes the derived fields of a normalised record. Each text is
// analysed in its own language; texts without one (slug, keywords,
// sectors, organisations) in each language the record's name is written in.
func derive(r *commons.Record) derived {
	var d derived
	d.sortName = foldKey(r.Name.String())

	var langs []string
	for _, k := range r.Name.Languages() {
		if analysis.HasStemmer(k) {
			langs = append(langs, k)
		}
	}
	type part struct {
		text, lang string
		phrase     bool // a keyword: its words are also joined
	}
	var tiers [nTiers][]part
	for _, k := range r.Name.Languages() {
		tiers[tierName] = append(tiers[tierName], part{r.Name[k], k, false})
	}
	tiers[tierMeta] = append(tiers[tierMeta], part{r.Slug, "", false})
	for _, k := range r.Keywords {
		tiers[tierMeta] = append(tiers[tierMeta], part{k, "", true})
	}
	for _, s := range r.Sectors {
		tiers[tierMeta] = append(tiers[tierMeta], part{s, "", false})
	}
	for _, o := range r.Organisations {
		tiers[tierMeta] = append(tiers[tierMeta], part{o.Name, "", false})
	}
	for _, k := range r.Summary.Languages() {
		tiers[tierMeta] = append(tiers[tierMeta], part{r.Summary[k], k, false})
	}
	for _, k := range r.Description.Languages() {
		tiers[tierDesc] = append(tiers[tierDesc], part{r.Description[k], k, false})
	}
	terms := getTerms()
	defer putTerms(terms)
	terms.Reset()
	for t, parts := range tiers {
		terms.NextField()
		for _, p := range parts {
			if p.phrase {
				terms.AddPhrase(p.text, p.lang, langs)
			} else {
				terms.Add(p.text, p.lang, langs)
			}
		}
		d.lens[t] = terms.Count()
		d.text[t] = terms.Text()
		d.alt[t] = terms.Alt()
	}
	d.words = slices.Clone(terms.Words())
	d.langs = textLanguages(r)
	keys := []string{analysis.Compact(r.Slug)}
	for _, k := range r.Name.Languages() {
		if c := analysis.Compact(r.Name[k]); c != "" && !slices.Contains(keys, c) {
			keys = append(keys, c)
		}
	}
	d.nameKeys = strings.Join(keys, "\n")

	if r.Programme != nil {
		// A programme has no facet values: it is not in the directory's
		// search; the marker leads its facets so that SQL can tell it.
		d.values = make([][]string, nFacets)
		d.facets = programmeFacets
		return d
	}
	d.values = facetValues(r)
	var b strings.Builder
	for i, vs := range d.values {
		for _, v := range vs {
			b.WriteString(commons.Facets[i])
			b.WriteByte('\t')
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	d.facets = b.String()
	return d
}

// textLanguages returns the languages of a record's names, summaries and
// descriptions, base tags ("pt" for "pt-BR"), sorted and space-separated.
func textLanguages(r *commons.Record) string {
	var ls []string
	for _, t := range []commons.Text{r.Name, r.Summary, r.Description} {
		for k := range t {
			if l := analysis.Base(k); l != "" && !slices.Contains(ls, l) {
				ls = append(ls, l)
			}
		}
	}
	slices.Sort(ls)
	return strings.Join(ls, " ")
}

// facetValues returns the record's value of every facet, by facet index.
// Values are deduplicated and sorted.
func facetValues(r *commons.Record) [][]string {
	out := make([][]string, nFacets)
	for i, f := range commons.Facets {
		var vs []string
		switch f {
		case commons.FacetKind:
			vs = append(vs, r.Kinds...)
		case commons.FacetCountry:
			for _, c := range r.Countries {
				vs = append(vs, c.Code)
			}
		case commons.FacetLicence:
			for _, l := range r.Licences {
				vs = append(vs, licenceIDs(l.Expression)...)
			}
		case commons.FacetLanguage:
			vs = append(vs, r.Languages...)
		case commons.FacetStatus:
			if r.Status != "" {
				vs = append(vs, r.Status)
			}
		case commons.FacetOrigin:
			if h := originHost(r.Provenance.Origin); h != "" {
				vs = append(vs, h)
			}
		}
		slices.Sort(vs)
		out[i] = slices.Compact(vs)
	}
	return out
}

// licenceIDCache remembers the identifiers of the licence expressions seen:
// a directory uses a few hundred expressions, and parsing one costs more
// than the rest of a record's derived fields.
var licenceIDCache sync.Map // expression → []string

// maxLicenceIDCache bounds licenceIDCache against a flood of odd expressions.
const maxLicenceIDCache = 4096

var licenceIDCacheSize atomic.Int64

// licenceIDs returns the SPDX licence identifiers in an expression, none if
// it does not parse (Validate rejects those for local records).
func licenceIDs(expr string) []string {
	if ids, ok := licenceIDCache.Load(expr); ok {
		return ids.([]string)
	}
	ids, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		ids = nil
	}
	slices.Sort(ids)
	if licenceIDCacheSize.Load() < maxLicenceIDCache {
		if _, loaded := licenceIDCache.LoadOrStore(expr, ids); !loaded {
			licenceIDCacheSize.Add(1)
		}
	}
	return ids
}

// originHost returns the host (with port, if any) of an origin URL.
func originHost(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	return u.Host
}

// parseFacets reverses derived.facets: it calls fn with each facet index and
// value.
func parseFacets(s string, fn func(facet int, value string)) {
	for len(s) > 0 {
		line, rest, _ := strings.Cut(s, "\n")
		s = rest
		name, value, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if i := slices.Index(commons.Facets, name); i >= 0 {
			fn(i, value)
		}
	}
}

// maxQueryWords caps the words of a query; more are ignored.
const maxQueryWords = 10

// ftsPattern returns the FTS5 query for one word: a quoted prefix query, or
// an exact one for a single letter of an alphabet ("a", "é": as a prefix it
// would merge the lists of a large part of the vocabulary and tell the user
// nothing; a single ideograph is a useful prefix).
func ftsPattern(word string) string {
	q := `"` + strings.ReplaceAll(word, `"`, `""`) + `"`
	if r := []rune(word); len(r) != 1 || !unicode.In(r[0], unicode.Latin, unicode.Greek, unicode.Cyrillic, unicode.Digit) {
		q += "*"
	}
	return q
}

// foldKey returns s folded for sorting: lower case, without diacritics, so
// that "État" sorts with "etat" and before "Europe".
// folders keeps the transformers of foldKey: building one costs more than
// folding a name.
var folders = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

func foldKey(s string) string {
	if isASCII(s) {
		return strings.ToLower(strings.TrimSpace(s))
	}
	// A chain keeps buffers, so each goroutine takes its own.
	folder := folders.Get().(transform.Transformer)
	out, _, err := transform.String(folder, s)
	folders.Put(folder)
	if err != nil {
		out = s
	}
	return strings.ToLower(strings.TrimSpace(out))
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
