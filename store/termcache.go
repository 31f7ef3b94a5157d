package store

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// termSet is the set of records (by pk) whose text in one full-text tier has
// a word. It is immutable once built, so searches share it without locks.
type termSet struct {
	dense []uint64 // a bitset, when that is smaller than the list
	list  []uint32 // sorted pks otherwise
	n     int
}

// newTermSet builds a set from sorted, distinct pks, choosing the smaller form.
func newTermSet(pks []uint32) *termSet {
	s := &termSet{n: len(pks)}
	if len(pks) == 0 {
		return s
	}
	maxPK := pks[len(pks)-1]
	if uint64(len(pks))*32 >= uint64(maxPK) {
		s.dense = make([]uint64, maxPK/64+1)
		for _, pk := range pks {
			s.dense[pk/64] |= 1 << (pk % 64)
		}
		return s
	}
	s.list = pks
	return s
}

// has reports whether pk is in the set.
func (s *termSet) has(pk uint32) bool {
	if s.dense != nil {
		i := int(pk / 64)
		return i < len(s.dense) && s.dense[i]&(1<<(pk%64)) != 0
	}
	_, ok := slices.BinarySearch(s.list, pk)
	return ok
}

// orInto sets the set's bits in b, which must be long enough for every pk.
func (s *termSet) orInto(b []uint64) {
	if s.dense != nil {
		for i, w := range s.dense[:min(len(s.dense), len(b))] {
			b[i] |= w
		}
		return
	}
	for _, pk := range s.list {
		if int(pk/64) < len(b) {
			b[pk/64] |= 1 << (pk % 64)
		}
	}
}

// pks returns the members in order.
func (s *termSet) pks() []uint32 {
	if s.dense == nil {
		return s.list
	}
	out := make([]uint32, 0, s.n)
	for i, w := range s.dense {
		for w != 0 {
			out = append(out, uint32(i*64+bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
	return out
}

// bytes is the memory the set holds.
func (s *termSet) bytes() int { return 8*len(s.dense) + 4*len(s.list) + 64 }

// patched returns a copy of s in which each of changed is a member exactly
// when it is in members.
func (s *termSet) patched(changed []int64, members map[int64]bool) *termSet {
	in := map[uint32]bool{}
	for _, pk := range changed {
		in[uint32(pk)] = members[pk]
	}
	var pks []uint32
	for _, pk := range s.pks() {
		if keep, ok := in[pk]; !ok || keep {
			pks = append(pks, pk)
		}
		delete(in, pk)
	}
	for pk, add := range in {
		if add {
			pks = append(pks, pk)
		}
	}
	slices.Sort(pks)
	return newTermSet(slices.Compact(pks))
}

// Term cache bounds. Sets under minCachedSet members cost less to read
// again than to keep; the budget holds some 2,000 dense sets at 100,000
// records; the change log lets cached sets be patched instead of dropped
// after up to maxChangeLog changed records.
const (
	minCachedSet  = 1024
	termCacheSize = 24 << 20
	maxChangeLog  = 1024
)

// termCache keeps the large match sets.
//
// Why searches work this way (measured at 100,000 generated records on two
// cores, see BenchmarkSearch100k): FTS5 under modernc.org/sqlite costs
// 0.2 to 0.5 µs per matching row just to hand the rows over, and its bm25()
// another 1.5 µs per row (a docsize lookup each). A word found in half the
// records took 30 to 80 ms to rank in FTS5 alone, against a target of 15 ms
// with facets. So FTS5 does what it is good at, tokenizing, folding and
// prefix-matching, and answers only "which records have this word in this
// tier"; scoring (BM25F over the tiers), filtering, facet counting and
// sorting happen in memory over the index. The sets that are expensive to
// read are the words most records contain ("open", "data"), which are also
// the words people type most, so they are kept here.
//
// A write does not drop the cache: the records changed since a set was read
// are kept in a log, and the set is patched on its next use by asking FTS5
// about those records only.
type termCache struct {
	mu      sync.Mutex
	entries map[termKey]*termEntry
	bytes   int
	tick    uint64
	log     []loggedChange // oldest first
	floor   int64          // every change after this sequence is in log
}

type termKey struct {
	tier    int
	pattern string
}

type termEntry struct {
	set  *termSet
	seq  int64 // the set includes every change up to this sequence
	used uint64
}

type loggedChange struct {
	seq int64
	pk  int64
}

func newTermCache() *termCache { return &termCache{entries: map[termKey]*termEntry{}} }

// lookup returns the cached set, with the records changed since it was read;
// ok is false when there is no usable entry.
func (c *termCache) lookup(k termKey) (e termEntry, changed []int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.entries[k]
	if p == nil {
		return termEntry{}, nil, false
	}
	if p.seq < c.floor {
		c.remove(k, p) // changes it misses are gone from the log
		return termEntry{}, nil, false
	}
	c.tick++
	p.used = c.tick
	for i := len(c.log) - 1; i >= 0 && c.log[i].seq > p.seq; i-- {
		changed = append(changed, c.log[i].pk)
	}
	slices.Sort(changed)
	return *p, slices.Compact(changed), true
}

// put caches a set that includes every change up to seq.
func (c *termCache) put(k termKey, s *termSet, seq int64) {
	if s.n < minCachedSet {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq < c.floor {
		return
	}
	if old := c.entries[k]; old != nil {
		if old.seq > seq {
			return
		}
		c.remove(k, old)
	}
	c.tick++
	c.entries[k] = &termEntry{set: s, seq: seq, used: c.tick}
	c.bytes += s.bytes()
	for c.bytes > termCacheSize {
		c.evictOldest()
	}
}

func (c *termCache) remove(k termKey, e *termEntry) {
	delete(c.entries, k)
	c.bytes -= e.set.bytes()
}

func (c *termCache) evictOldest() {
	var oldest termKey
	var oe *termEntry
	for k, e := range c.entries {
		if oe == nil || e.used < oe.used {
			oldest, oe = k, e
		}
	}
	if oe != nil {
		c.remove(oldest, oe)
	}
}

// changed logs the records changed up to seq. A batch larger than the log
// (an import) drops every set instead, and changed reports it did: the
// words worth caching may have changed too.
func (c *termCache) changed(pks []int64, seq int64) (dropped bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(pks) > maxChangeLog/2 {
		c.entries = map[termKey]*termEntry{}
		c.bytes = 0
		c.log = nil
		c.floor = seq
		return true
	}
	for _, pk := range pks {
		c.log = append(c.log, loggedChange{seq: seq, pk: pk})
	}
	if over := len(c.log) - maxChangeLog; over > 0 {
		c.floor = c.log[over-1].seq
		c.log = slices.Delete(c.log, 0, over)
	}
	return false
}

// reset drops everything.
func (c *termCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[termKey]*termEntry{}
	c.bytes = 0
	c.log = nil
	c.floor = 0
}

// termSet returns the records whose text in the tier matches the FTS5
// pattern, from the cache or from FTS5.
func (db *DB) termSet(ctx context.Context, tier int, pattern string) (*termSet, error) {
	k := termKey{tier, pattern}
	seq := db.sync.seq.Load()
	if e, changed, ok := db.terms.lookup(k); ok {
		if len(changed) == 0 {
			return e.set, nil
		}
		members, err := db.matchAmong(ctx, tier, pattern, changed)
		if err != nil {
			return nil, err
		}
		s := e.set.patched(changed, members)
		db.terms.put(k, s, seq)
		return s, nil
	}
	pks, err := db.match(ctx, tier, pattern)
	if err != nil {
		return nil, err
	}
	s := newTermSet(pks)
	db.terms.put(k, s, seq)
	return s, nil
}

// match reads the sorted pks whose text in the tier matches the pattern:
// from FTS5, or on PostgreSQL from search_text (matchPGQuery). The list
// comes in one row: one row per match through database/sql would cost
// several times more.
func (db *DB) match(ctx context.Context, tier int, pattern string) ([]uint32, error) {
	t := tierTables[tier]
	q, args := `SELECT group_concat(rowid) FROM `+t+` WHERE `+t+` MATCH ?`, []any{pattern}
	if db.d.postgres() {
		var err error
		if q, args, err = matchPGQuery(tier, pattern); err != nil {
			return nil, fmt.Errorf("full-text match %s in %s: %w", pattern, t, err)
		}
	}
	var list *string
	if err := db.r.QueryRowContext(ctx, q, args...).Scan(&list); err != nil {
		return nil, fmt.Errorf("full-text match %s in %s: %w", pattern, t, err)
	}
	if list == nil {
		return nil, nil
	}
	pks := make([]uint32, 0, strings.Count(*list, ",")+1)
	for f := range strings.SplitSeq(*list, ",") {
		pk, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("full-text match %s in %s: record %q: %w", pattern, t, f, err)
		}
		pks = append(pks, uint32(pk))
	}
	if !slices.IsSorted(pks) {
		slices.Sort(pks)
	}
	return pks, nil
}

// matchAmong returns which of the given pks match the pattern in the tier.
func (db *DB) matchAmong(ctx context.Context, tier int, pattern string, pks []int64) (map[int64]bool, error) {
	if db.d.postgres() {
		return db.matchAmongPG(ctx, tier, pattern, pks)
	}
	t := tierTables[tier]
	args := make([]any, 0, len(pks)+1)
	args = append(args, pattern)
	for _, pk := range pks {
		args = append(args, pk)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT rowid FROM `+t+` WHERE `+t+` MATCH ? AND rowid IN (?`+
		strings.Repeat(",?", len(pks)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("full-text match %s in %s: %w", pattern, t, err)
	}
	defer rows.Close()
	members := map[int64]bool{}
	for rows.Next() {
		var pk int64
		if err := rows.Scan(&pk); err != nil {
			return nil, fmt.Errorf("full-text match %s in %s: %w", pattern, t, err)
		}
		members[pk] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("full-text match %s in %s: %w", pattern, t, err)
	}
	return members, nil
}
