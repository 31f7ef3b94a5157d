package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/commons-directory/commons"
)

// search is a validated commons.RecordFilter.
type search struct {
	words   []string
	order   sortOrder
	limit   int
	after   *sortKey            // the cursor's key; nil on the first page
	filters [maxFacets][]string // accepted values by facet; nil means no filter
	since   int64               // Unix milliseconds; 0 means no bound
	remote  bool                // include remote records
	facets  bool                // count facet values
	print   uint32              // fingerprint, for cursors
}

// parseSearch validates a filter, naming each bad field.
func parseSearch(f commons.RecordFilter) (*search, error) {
	s := &search{words: queryWords(f.Query), limit: f.Limit, remote: f.IncludeRemote, facets: f.WithFacets}
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
// Query words (at most maxQueryWords) are folded (case, diacritics) and
// prefix-matched by FTS5, a single letter exactly; all of them must match,
// each in any tier: name, keywords/summary, or description, in any
// language. Relevance is BM25F over the tiers, a match in the name weighing
// more than one in keywords or summary, more than one in the description.
// termCache explains why scoring happens in memory rather than in FTS5.
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
	// The match sets of every word in every tier, read in parallel: a set
	// missing from the cache costs a scan of its FTS5 lists.
	sets := make([][nTiers]*termSet, len(s.words))
	errs := make([]error, len(s.words)*nTiers)
	var wg sync.WaitGroup
	for i, w := range s.words {
		p := ftsPattern(w)
		for t := range nTiers {
			wg.Go(func() { sets[i][t], errs[i*nTiers+t] = db.termSet(ctx, t, p) })
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("search records: %w", ctxErr(ctx, err))
	}
	res := ix.evaluate(s, sets)
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
	total  int
	page   []sortKey // up to limit+1 keys after the cursor, in order
	facets map[string][]commons.FacetCount
}

// evaluate runs a search over the index, given the match sets of each query
// word in each tier.
func (ix *index) evaluate(s *search, sets [][nTiers]*termSet) evaluation {
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

	// Candidates: the records every word matches in some tier.
	var cand []uint64
	idf := make([]float64, len(sets))
	live := float64(max(ix.live, 1))
	for i, ts := range sets {
		u := make([]uint64, (n+63)/64)
		for _, t := range ts {
			t.orInto(u)
		}
		df := 0
		for _, w := range u {
			df += bits.OnesCount64(w)
		}
		idf[i] = math.Log(1 + (live-float64(df)+0.5)/(float64(df)+0.5))
		if cand == nil {
			cand = u
		} else {
			for j := range cand {
				cand[j] &= u[j]
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
	top := topK{order: s.order, k: s.limit + 1}
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
			if !acceptsAny(accept, r.values(f)) {
				fail |= 1 << f
			}
		}
		if fail != 0 {
			// Multi-select: a record that fails one facet's filter only
			// counts for that facet's other values.
			if s.facets && fail&(fail-1) == 0 {
				for _, v := range r.values(bits.TrailingZeros32(fail)) {
					counts[v]++
				}
			}
			return
		}
		if s.facets {
			for _, v := range r.vals {
				counts[v]++
			}
		}
		total++
		k := sortKey{pk: int64(pk), name: r.name, updated: r.updated, seq: r.seq}
		if s.order == orderRelevance {
			k.score = score(uint32(pk), r, sets, idf, &avg)
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
	ev := evaluation{total: total, page: top.sorted()}
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

// score is the BM25F relevance of a record that every query word matches.
func score(pk uint32, r *irow, sets [][nTiers]*termSet, idf []float64, avg *[nTiers]float64) float64 {
	total := 0.0
	for i, ts := range sets {
		tf := 0.0
		for t, set := range ts {
			if set.has(pk) {
				tf += tierWeight[t] / (1 - bm25B + bm25B*float64(r.lens[t])/avg[t])
			}
		}
		total += idf[i] * tf / (bm25K1 + tf)
	}
	return total
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
