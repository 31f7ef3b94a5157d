package store

import (
	"slices"
	"strings"
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
//
// The rows' name keys and facet values live in two arenas, rows holding
// offsets: a string or slice of its own per row would cost a header and an
// allocation each. A row rewritten leaves its old bytes behind, until they
// are half the arena and put compacts it.
type index struct {
	mu      sync.RWMutex
	rows    []irow // by pk; pks are dense (AUTOINCREMENT, never reused)
	live    int
	sumLen  [nTiers]int64 // over live rows, for the average lengths of BM25
	values  valueDict
	langs   langDict
	keys    []byte   // the rows' name keys
	vals    []uint32 // the rows' facet value ids
	garbage int      // bytes of keys and vals no row refers to
}

// irow is one record in the index.
type irow struct {
	name    string               // folded, for SortName
	heads   uint64               // a bit for the first byte of each key (keyHeads)
	updated int64                // Unix milliseconds
	seq     int64                // change sequence of the last write, to order writes of one millisecond
	keyOff  uint32               // index.keys[keyOff:keyOff+keyLen]: names and slug compacted, one a line (derived.nameKeys)
	valOff  uint32               // index.vals[valOff+off[f]:valOff+off[f+1]] are facet f's value ids (see valueDict)
	langs   uint32               // the languages of the record's texts (langDict bits)
	keyLen  uint16               //
	off     [maxFacets + 1]uint8 //
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

// rowValues returns the ids of the row's values of facet f.
func (ix *index) rowValues(r *irow, f int) []uint32 {
	return ix.vals[r.valOff+uint32(r.off[f]) : r.valOff+uint32(r.off[f+1])]
}

// allValues returns the ids of the row's values of every facet.
func (ix *index) allValues(r *irow) []uint32 {
	return ix.vals[r.valOff : r.valOff+uint32(r.off[nFacets])]
}

// nameKeys returns the row's name keys.
func (ix *index) nameKeys(r *irow) []byte {
	return ix.keys[r.keyOff : r.keyOff+uint32(r.keyLen)]
}

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

// langDict gives each language of the records' texts a bit, the first 32
// languages met; the others share none (a search in them weighs no record
// more).
type langDict struct{ bits map[string]uint32 }

// mask returns the bits of space-separated languages.
func (d *langDict) mask(langs string) uint32 {
	var m uint32
	for l := range strings.FieldsSeq(langs) {
		b, ok := d.bits[l]
		if !ok && len(d.bits) < 32 {
			if d.bits == nil {
				d.bits = map[string]uint32{}
			}
			b = 1 << len(d.bits)
			d.bits[strings.Clone(l)] = b
		}
		m |= b
	}
	return m
}

// bit returns the bit of a language, 0 if it has none.
func (d *langDict) bit(lang string) uint32 { return d.bits[lang] }

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
	// Grow the rows and the arenas once, to their size: growing by
	// doubling would leave up to half of each unused.
	keys, maxPK := 0, int64(0)
	for i := range rows {
		keys += len(rows[i].nameKeys)
		maxPK = max(maxPK, rows[i].pk)
	}
	if n := int(min(maxPK, 1<<31)) + 1; n > cap(ix.rows) && len(rows) > 1 {
		ix.rows = slices.Grow(ix.rows, n-len(ix.rows))
	}
	if len(rows) > 1 {
		ix.keys = slices.Grow(ix.keys, keys)
		ix.vals = slices.Grow(ix.vals, 8*len(rows))
	}
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
	if old.state != 0 {
		ix.garbage += int(old.keyLen) + 4*int(old.off[nFacets])
	}
	keys := r.nameKeys[:min(len(r.nameKeys), 0xffff)]
	nr := irow{name: r.sortName, heads: keyHeads(keys), updated: r.updated, seq: r.seq, state: rowPresent, langs: ix.langs.mask(r.langs),
		keyOff: uint32(len(ix.keys)), keyLen: uint16(len(keys)), valOff: uint32(len(ix.vals))}
	ix.keys = append(ix.keys, keys...)
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
	n := 0
	for f := range nFacets {
		nr.off[f] = uint8(n)
		if n+len(perFacet[f]) <= 0xff { // else more values than a record may hold
			ix.vals = append(ix.vals, perFacet[f]...)
			n += len(perFacet[f])
		}
	}
	nr.off[nFacets] = uint8(n)
	*old = nr
	if nr.live() {
		ix.live++
		for t := range nTiers {
			ix.sumLen[t] += int64(nr.lens[t])
		}
	}
	if ix.garbage > 1<<20 && ix.garbage > (len(ix.keys)+4*len(ix.vals))/2 {
		ix.compact()
	}
}

// compact copies the arenas without the bytes no row refers to.
func (ix *index) compact() {
	keys := make([]byte, 0, len(ix.keys)-min(len(ix.keys), ix.garbage))
	vals := make([]uint32, 0, len(ix.vals))
	for i := range ix.rows {
		r := &ix.rows[i]
		if r.state == 0 {
			continue
		}
		k, v := ix.nameKeys(r), ix.allValues(r)
		r.keyOff, r.valOff = uint32(len(keys)), uint32(len(vals))
		keys = append(keys, k...)
		vals = append(vals, v...)
	}
	ix.keys, ix.vals, ix.garbage = keys, slices.Clip(vals), 0
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
