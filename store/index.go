package store

import (
	"sync"
	"sync/atomic"

	"github.com/commons-directory/commons"
)

// maxFacets bounds len(commons.Facets), so a row keeps its facet offsets in
// a fixed array.
const maxFacets = 8

// searchIndex holds the index once built.
type searchIndex struct{ p atomic.Pointer[index] }

func (s *searchIndex) load() *index    { return s.p.Load() }
func (s *searchIndex) store(ix *index) { s.p.Store(ix) }
func (s *searchIndex) drop()           { s.p.Store(nil) }

// index is an in-memory table of what searches filter, count and sort by,
// for every record, by primary key: liveness, locality, update time, folded
// name, facet values and words per full-text tier. Counting facets over a
// match set of 100,000 records takes a few milliseconds here; a GROUP BY
// over json_each would take seconds.
type index struct {
	mu     sync.RWMutex
	rows   []irow // by pk; pks are dense (AUTOINCREMENT, never reused)
	live   int
	sumLen [nTiers]int64 // over live rows, for the average lengths of BM25
	values valueDict
}

// irow is one record in the index.
type irow struct {
	name    string               // folded, for SortName
	keys    string               // names and slug compacted, one a line (derived.nameKeys)
	heads   uint64               // a bit for the first byte of each key (keyHeads)
	updated int64                // Unix milliseconds
	seq     int64                // change sequence of the last write, to order writes of one millisecond
	vals    []uint32             // facet value ids (see valueDict), grouped by facet
	off     [maxFacets + 1]uint8 // vals[off[f]:off[f+1]] are facet f's
	lens    [nTiers]uint16
	state   uint8
}

const (
	rowPresent = 1 << iota
	rowLive
	rowLocal
)

func (r *irow) live() bool  { return r.state&rowLive != 0 }
func (r *irow) local() bool { return r.state&rowLocal != 0 }

// values returns the ids of the row's values of facet f.
func (r *irow) values(f int) []uint32 { return r.vals[r.off[f]:r.off[f+1]] }

// valueDict numbers facet values, all facets in one space, so that counting
// a record's values is one loop over one array. Values are never forgotten:
// there are few of them.
type valueDict struct {
	ids   [maxFacets]map[string]uint32
	facet []uint8  // by id
	names []string // by id
}

func (d *valueDict) id(facet int, v string) uint32 {
	if id, ok := d.ids[facet][v]; ok {
		return id
	}
	if d.ids[facet] == nil {
		d.ids[facet] = map[string]uint32{}
	}
	id := uint32(len(d.names))
	d.ids[facet][v] = id
	d.facet = append(d.facet, uint8(facet))
	d.names = append(d.names, v)
	return id
}

func newIndex() *index {
	if len(commons.Facets) > maxFacets {
		panic("store: more facets than maxFacets")
	}
	return &index{}
}

// apply puts changed rows in the index.
func (ix *index) apply(rows []indexRow) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := range rows {
		ix.put(&rows[i])
	}
}

func (ix *index) put(r *indexRow) {
	if r.pk <= 0 || r.pk > 1<<31 {
		return // not an AUTOINCREMENT key this index can hold
	}
	if n := int(r.pk) + 1; n > len(ix.rows) {
		if n > cap(ix.rows) {
			grown := make([]irow, n, max(n, 2*cap(ix.rows)))
			copy(grown, ix.rows)
			ix.rows = grown
		}
		ix.rows = ix.rows[:n]
	}
	old := &ix.rows[r.pk]
	if old.live() {
		ix.live--
		for t := range nTiers {
			ix.sumLen[t] -= int64(old.lens[t])
		}
	}
	nr := irow{name: r.sortName, keys: r.nameKeys, heads: keyHeads(r.nameKeys), updated: r.updated, seq: r.seq, state: rowPresent}
	if !r.deleted && r.facets != programmeFacets {
		nr.state |= rowLive
	}
	if r.local {
		nr.state |= rowLocal
	}
	for t := range nTiers {
		nr.lens[t] = uint16(min(r.lens[t], 0xffff))
	}
	var perFacet [maxFacets][]uint32
	parseFacets(r.facets, func(f int, v string) {
		perFacet[f] = append(perFacet[f], ix.values.id(f, v))
	})
	for f := range nFacets {
		nr.off[f] = uint8(len(nr.vals))
		nr.vals = append(nr.vals, perFacet[f]...)
		if len(nr.vals) > 0xff {
			nr.vals = nr.vals[:nr.off[f]] // more values than a record may hold
		}
	}
	nr.off[nFacets] = uint8(len(nr.vals))
	*old = nr
	if nr.live() {
		ix.live++
		for t := range nTiers {
			ix.sumLen[t] += int64(nr.lens[t])
		}
	}
}

// keyHeads has a bit for the first byte of each name key, modulo 64: a
// query whose first byte's bit is not set begins no key, which spares most
// records a look at their keys.
func keyHeads(keys string) uint64 {
	var h uint64
	for i := 0; i < len(keys); i++ {
		if i == 0 || keys[i-1] == '\n' {
			h |= 1 << (keys[i] % 64)
		}
	}
	return h
}
