package store

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/analysis"
)

// search is a validated commons.RecordFilter.
type search struct {
	words   []string             // folded, for the fingerprint
	query   []analysis.QueryWord // the same, analysed
	compact string               // the query compacted, for the exact-name ranking
	order   sortOrder
	limit   int
	after   *sortKey            // the cursor's key; nil on the first page
	filters [maxFacets][]string // accepted values by facet; nil means no filter
	since   int64               // Unix milliseconds; 0 means no bound
	remote  bool                // include remote records
	facets  bool                // count facet values
	print   uint32              // fingerprint, for cursors
	lang    string              // the reader's language, a base tag
}

// parseSearch validates a filter, naming each bad field.
func parseSearch(f commons.RecordFilter) (*search, error) {
	s := &search{query: analysis.ParseQuery(f.Query, maxQueryWords),
		limit: f.Limit, remote: f.IncludeRemote, facets: f.WithFacets, lang: analysis.Base(f.Language)}
	var compact strings.Builder
	for _, w := range s.query {
		s.words = append(s.words, w.Word)
		compact.WriteString(analysis.Compact(w.Word))
	}
	s.compact = compact.String()
	var bad []commons.FieldError
	switch {
	case f.Limit == 0:
		s.limit = 20
	case f.Limit < 0 || f.Limit > commons.MaxLimit:
		bad = append(bad, commons.FieldError{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", commons.MaxLimit)})
	}
	switch f.Sort {
	case "":
		s.order = orderName
		if len(s.words) > 0 {
			s.order = orderRelevance
		}
	case commons.SortRelevance:
		// Without words every record is equally relevant: fall back to names.
		s.order = orderName
		if len(s.words) > 0 {
			s.order = orderRelevance
		}
	case commons.SortName:
		s.order = orderName
	case commons.SortUpdated:
		s.order = orderUpdated
	default:
		bad = append(bad, commons.FieldError{Field: "sort", Message: fmt.Sprintf("%q is not one of %s, %s, %s",
			f.Sort, commons.SortRelevance, commons.SortName, commons.SortUpdated)})
	}
	for name, vs := range f.Filters {
		i := slices.Index(commons.Facets, name)
		if i < 0 {
			bad = append(bad, commons.FieldError{Field: "filters." + name,
				Message: "is not a facet: one of " + strings.Join(commons.Facets, ", ")})
			continue
		}
		if len(vs) > 0 {
			s.filters[i] = vs
		}
	}
	if !f.ModifiedSince.IsZero() {
		s.since = f.ModifiedSince.UnixMilli()
	}
	s.print = s.fingerprint()
	if f.Cursor != "" {
		k, err := decodeCursor(f.Cursor, s.order, s.print)
		if err != nil {
			bad = append(bad, commons.FieldError{Field: "cursor", Message: err.Error()})
		}
		s.after = k
	}
	if len(bad) > 0 {
		sort.Slice(bad, func(i, j int) bool { return bad[i].Field < bad[j].Field })
		return nil, &commons.Error{Code: commons.EINVALID, Message: "the search is invalid", Fields: bad}
	}
	return s, nil
}

// SearchRecords returns one page of the live records matching the filter:
// full text, facet filters, ModifiedSince and IncludeRemote. Total counts
// every match, and with WithFacets each facet's values are counted over the
// matches with every filter applied but that facet's own ("multi-select"
// counts: a page can offer the other values of a facet already filtered).
//
// Query words (at most maxQueryWords, elisions such as "l'" dropped) are
// analysed as store/analysis says and matched in any tier (name;
// keywords, summary and the like; description) and any language: as
// typed, or as the beginning of a word (a single letter exactly), through
// their stems in every language Snowball covers (the query's language is
// unknown, so every one is tried) or the parts of a name in camel case, within
// typing distance of a word of the index (one edit from 5 letters, two
// from 9, the first letter kept under 9), inside a longer compound, or
// written apart or together ("open street map", "carpooling"). Every
// word must match, but stop words ("of", "de") only count when present;
// when no record has every word, the words that match nothing are left
// out, then the last words, until some records match (SearchedFor says
// so). Relevance: a query that is a record's name or slug (compacted:
// case, accents, spaces and hyphens aside) first, then one a name begins
// with, then BM25F over the tiers, a match in the name weighing more than
// one in keywords or summary, more than one in the description, and a
// word as typed more than a stem, more than a typo or compound; words
// all in the same tier count more. In a record with a text in the
// reader's language (RecordFilter.Language), matches through that
// language count more (plan.go). With several words, the proximityTop best
// records are ranked again by how close the words are in their texts
// (proximity.go). termCache explains why scoring happens in memory
// rather than in FTS5.
// Sorts: relevance (the default with words), name (folded; the default
// without words), updated (newest first, and of one millisecond the last
// written first); other ties go by record.
//
// Pages follow a keyset cursor (RecordPage.Next), so a walk through every
// page meets every match once as long as the records do not change. A
// cursor from another search, or a damaged one, is EINVALID "cursor".
func (db *DB) SearchRecords(ctx context.Context, f commons.RecordFilter) (*commons.RecordPage, error) {
	s, err := parseSearch(f)
	if err != nil {
		return nil, err
	}
	db.maybeSync(ctx)
	ix, err := db.index(ctx)
	if err != nil {
		return nil, fmt.Errorf("search records: %w", ctxErr(ctx, err))
	}
	// The match sets of every word's alternatives in every tier, read in
	// parallel: a set missing from the cache costs a scan of its FTS5 lists.
	pl := newPlan(s.query, db.vocab.Load(), s.lang)
	if err := pl.read(ctx, db); err != nil {
		return nil, fmt.Errorf("search records: %w", ctxErr(ctx, err))
	}
	res := ix.evaluate(s, pl)
	if err := db.rankByProximity(ctx, s, pl, &res); err != nil {
		return nil, fmt.Errorf("search records: %w", ctxErr(ctx, err))
	}
	page := &commons.RecordPage{Total: res.total, Records: []*commons.Record{}}
	if len(res.page) > s.limit {
		page.Next = encodeCursor(s.order, s.print, &res.page[s.limit-1])
		res.page = res.page[:s.limit]
	}
	pks := make([]int64, len(res.page))
	for i, k := range res.page {
		pks[i] = k.pk
	}
	if page.Records, err = db.recordsByPK(ctx, pks); err != nil {
		return nil, fmt.Errorf("search records: %w", ctxErr(ctx, err))
	}
	if s.facets {
		page.Facets = res.facets
	}
	if len(pl.words) > 0 {
		page.SearchedFor, page.Match = pl.describe(res)
	}
	return page, nil
}

// BM25F parameters: weights of a match by tier, term-frequency saturation,
// and length normalisation. The tiers tell only whether a word occurs, so
// a word's frequency in a tier counts as 1.
var tierWeight = [nTiers]float64{tierName: 8, tierMeta: 3, tierDesc: 1}

const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// evaluation is the outcome of a search over the index.
type evaluation struct {
	kept   []bool // by query word: searched (not left out for want of matches)
	weak   []bool // by query word: matched only within typing distance, in compounds or split
	total  int
	page   []sortKey // up to limit+1 keys after the cursor, in order (proximityTop more with top)
	top    []sortKey // for proximity: the proximityTop best keys, the cursor aside
	facets map[string][]commons.FacetCount
}

// evaluate runs a search over the index, given the match sets of each query
// word's alternatives in each tier.
func (ix *index) evaluate(s *search, pl *plan) evaluation {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n := len(ix.rows)

	// Facet filters: the accepted value ids, and which facets filter.
	accept := make([]bool, len(ix.values.names))
	var active uint32
	for f, vs := range s.filters[:nFacets] {
		if vs == nil {
			continue
		}
		active |= 1 << f
		for _, v := range vs {
			if id, ok := ix.values.ids[f][v]; ok {
				accept[id] = true
			}
		}
	}

	// Candidates: the records every required word matches in some tier.
	nw := len(pl.words)
	words := (n + 63) / 64
	unions := make([][]uint64, nw)
	idf := make([]float64, nw)
	df := make([]int, nw)
	weak := make([]bool, nw)
	live := float64(max(ix.live, 1))
	var required []int
	for i, w := range pl.words {
		u := make([]uint64, words)
		strong := make([]uint64, words)
		for _, a := range w.alts {
			dst := u
			if max(a.weight, a.uiWeight) > weightFuzzy {
				dst = strong
			}
			for _, t := range a.sets {
				t.orInto(dst)
			}
		}
		any := false
		for j := range u {
			any = any || strong[j] != 0
			u[j] |= strong[j]
			df[i] += bits.OnesCount64(u[j])
		}
		weak[i] = !any && df[i] > 0
		unions[i] = u
		idf[i] = math.Log(1 + (live-float64(df[i])+0.5)/(float64(df[i])+0.5))
		if !w.stop {
			required = append(required, i)
		}
	}
	if len(required) == 0 {
		for i := range nw {
			required = append(required, i)
		}
	}
	intersect := func(idx []int) ([]uint64, bool) {
		c := slices.Clone(unions[idx[0]])
		for _, i := range idx[1:] {
			for j := range c {
				c[j] &= unions[i][j]
			}
		}
		return c, slices.ContainsFunc(c, func(w uint64) bool { return w != 0 })
	}
	var cand []uint64
	kept := make([]bool, nw)
	if nw > 0 {
		var found bool
		cand, found = intersect(required)
		if !found && len(required) > 1 {
			// No dead end: leave out the words that match nothing, then
			// the last words, until some records match.
			some := slices.DeleteFunc(slices.Clone(required), func(i int) bool { return df[i] == 0 })
			if len(some) == 0 {
				some = required[:1]
			}
			cand, found = intersect(some)
			for !found && len(some) > 1 {
				some = some[:len(some)-1]
				cand, found = intersect(some)
			}
			required = some
		}
		for i, w := range pl.words {
			kept[i] = w.stop || slices.Contains(required, i)
		}
	}
	if s.order == orderRelevance {
		// Scoring tests every candidate against every set: lists become
		// bitsets, tested in constant time.
		for _, w := range pl.words {
			for _, a := range w.alts {
				for t, set := range a.sets {
					if set.dense == nil && set.n > 64 {
						d := &termSet{dense: make([]uint64, words), n: set.n}
						set.orInto(d.dense)
						a.sets[t] = d
					}
				}
			}
		}
	}
	var avg [nTiers]float64
	for t := range nTiers {
		avg[t] = max(float64(ix.sumLen[t])/live, 1)
	}

	var counts []int32 // by value id
	if s.facets {
		counts = make([]int32, len(ix.values.names))
	}
	ui := ix.langs.bit(s.lang) // 0 without a reader's language
	top := topK{order: s.order, k: s.limit + 1}
	prox := s.order == orderRelevance && pl.proximityWords(kept) != nil
	best := topK{order: s.order, k: proximityTop}
	if prox {
		top.k += proximityTop
	}
	total := 0
	visit := func(pk int) {
		if pk >= n {
			return // matched in a record the index does not have yet
		}
		r := &ix.rows[pk]
		if !r.live() || (!s.remote && !r.local()) || (s.since > 0 && r.updated <= s.since) {
			return
		}
		var fail uint32
		for a := active; a != 0; a &= a - 1 {
			f := bits.TrailingZeros32(a)
			if !acceptsAny(accept, ix.rowValues(r, f)) {
				fail |= 1 << f
			}
		}
		if fail != 0 {
			// Multi-select: a record that fails one facet's filter only
			// counts for that facet's other values.
			if s.facets && fail&(fail-1) == 0 {
				for _, v := range ix.rowValues(r, bits.TrailingZeros32(fail)) {
					counts[v]++
				}
			}
			return
		}
		if s.facets {
			for _, v := range ix.allValues(r) {
				counts[v]++
			}
		}
		total++
		k := sortKey{pk: int64(pk), name: r.name, updated: r.updated, seq: r.seq}
		if s.order == orderRelevance {
			k.score = score(uint32(pk), r, ix.nameKeys(r), r.langs&ui != 0, pl, kept, idf, &avg, s.compact)
			if prox {
				best.push(k)
			}
		}
		if s.after == nil || s.order.before(s.after, &k) {
			top.push(k)
		}
	}
	if cand == nil {
		for pk := 1; pk < n; pk++ {
			visit(pk)
		}
	} else {
		for i, w := range cand {
			for w != 0 {
				visit(i*64 + bits.TrailingZeros64(w))
				w &= w - 1
			}
		}
	}
	ev := evaluation{kept: kept, weak: weak, total: total, page: top.sorted()}
	if prox {
		ev.top = best.sorted()
	}
	if s.facets {
		ev.facets = ix.facetCounts(counts, s)
	}
	return ev
}

func acceptsAny(accept []bool, ids []uint32) bool {
	for _, id := range ids {
		if accept[id] {
			return true
		}
	}
	return false
}

// Ranking bonuses: a query that is a record's name or slug, compacted,
// ranks it above any other; one a name begins with, above the rest.
const (
	bonusExactName  = 1000
	bonusNamePrefix = 500
)

// score is the relevance of a record that the kept query words match:
// BM25F over the tiers, each word's tiers weighted by the best way it
// matched there (planAlt.weight), plus a share when every word is in one
// tier (a stand-in for proximity), plus the name bonuses.
func score(pk uint32, r *irow, keys []byte, ui bool, pl *plan, kept []bool, idf []float64, avg *[nTiers]float64, compact string) float64 {
	total := 0.0
	var inTier [nTiers]int
	words := 0
	for i, w := range pl.words {
		if !kept[i] {
			continue
		}
		words++
		tf, best := 0.0, 0.0
		var tw [nTiers]float64
		for t := range nTiers {
			for _, a := range w.alts {
				if aw := a.weightIn(ui); aw > tw[t] && a.sets[t].has(pk) {
					tw[t] = aw
				}
			}
			best = max(best, tw[t])
		}
		if best == 0 {
			continue
		}
		for t := range nTiers {
			if tw[t] > 0 {
				inTier[t]++
				tf += tw[t] / best * tierWeight[t] / (1 - bm25B + bm25B*float64(r.lens[t])/avg[t])
			}
		}
		total += idf[i] * best * tf / (bm25K1 + tf)
	}
	if words > 1 {
		for t := range nTiers {
			if inTier[t] == words {
				total *= 1 + 0.1*tierWeight[t]/tierWeight[tierName]
				break
			}
		}
	}
	if compact == "" || r.heads&(1<<(compact[0]%64)) == 0 {
		return total
	}
	return total + nameBonus(keys, compact)
}

// nameBonus is the bonus of a record whose name keys (index.nameKeys) are
// the compacted query, or begin with it.
func nameBonus(keys []byte, compact string) float64 {
	if compact == "" {
		return 0
	}
	bonus := 0.0
	for i := 0; i < len(keys); {
		j := bytesIndex(keys[i:], compact)
		if j < 0 {
			break
		}
		j += i
		if j == 0 || keys[j-1] == '\n' {
			end := j + len(compact)
			if end == len(keys) || keys[end] == '\n' {
				return bonusExactName
			}
			bonus = bonusNamePrefix
		}
		i = j + 1
	}
	return bonus
}

// bytesIndex is strings.Index for a byte slice, without a copy.
func bytesIndex(b []byte, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(b); i++ {
		if b[i] == sub[0] && string(b[i:i+n]) == sub {
			return i
		}
	}
	return -1
}

// facetCounts lists each facet's values by count, then value; values a
// filter selects are listed even when no record has them.
func (ix *index) facetCounts(counts []int32, s *search) map[string][]commons.FacetCount {
	out := make(map[string][]commons.FacetCount, nFacets)
	perFacet := make([][]commons.FacetCount, nFacets)
	for id, c := range counts {
		if c > 0 {
			f := ix.values.facet[id]
			perFacet[f] = append(perFacet[f], commons.FacetCount{Value: ix.values.names[id], Count: int(c)})
		}
	}
	for f, name := range commons.Facets {
		fc := perFacet[f]
		if fc == nil {
			fc = []commons.FacetCount{}
		}
		for _, v := range s.filters[f] {
			if !slices.ContainsFunc(fc, func(c commons.FacetCount) bool { return c.Value == v }) {
				fc = append(fc, commons.FacetCount{Value: v})
			}
		}
		sort.Slice(fc, func(i, j int) bool {
			if fc[i].Count != fc[j].Count {
				return fc[i].Count > fc[j].Count
			}
			return fc[i].Value < fc[j].Value
		})
		out[name] = fc
	}
	return out
}

// topK keeps the first k keys pushed, in a heap whose root is the last.
type topK struct {
	order sortOrder
	k     int
	h     []sortKey
}

func (t *topK) push(k sortKey) {
	if len(t.h) < t.k {
		t.h = append(t.h, k)
		t.up(len(t.h) - 1)
		return
	}
	if !t.order.before(&k, &t.h[0]) {
		return
	}
	t.h[0] = k
	t.down(0)
}

// after reports whether heap element i comes after j (the heap's "less").
func (t *topK) after(i, j int) bool { return t.order.before(&t.h[j], &t.h[i]) }

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.after(i, p) {
			return
		}
		t.h[i], t.h[p] = t.h[p], t.h[i]
		i = p
	}
}

func (t *topK) down(i int) {
	for {
		l, m := 2*i+1, i
		if l < len(t.h) && t.after(l, m) {
			m = l
		}
		if r := l + 1; r < len(t.h) && t.after(r, m) {
			m = r
		}
		if m == i {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// sorted returns the kept keys in order.
func (t *topK) sorted() []sortKey {
	out := slices.Clone(t.h)
	sort.Slice(out, func(i, j int) bool { return t.order.before(&out[i], &out[j]) })
	return out
}
