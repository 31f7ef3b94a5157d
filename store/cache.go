package store

import (
	"sync"
	"time"

	"github.com/commons-directory/commons"
)

// maxCachedRecords bounds the record cache: a decoded record takes a few
// kilobytes, so the cache stays under roughly 20 MB.
const maxCachedRecords = 4096

// recordCache keeps decoded records by primary key, so that reading a popular
// record costs a map lookup and a copy instead of a query and a JSON decode.
//
// Entries are dropped when this process writes the record and, within
// syncInterval, when another process does (see sync.go). The generation
// guards against a reader putting back a version it read before a write
// that was applied while it was reading.
type recordCache struct {
	mu    sync.RWMutex
	gen   uint64
	byPK  map[int64]cacheEntry
	slugs map[string]int64 // local slug → pk: a slug never moves to another row
	ids   map[string]int64 // IRI → pk: likewise
}

// cacheEntry is a decoded record, or a tombstone. The record is shared: it
// is copied before it leaves the package.
type cacheEntry struct {
	rec     *commons.Record
	deleted time.Time
}

func newRecordCache() *recordCache {
	return &recordCache{
		byPK:  map[int64]cacheEntry{},
		slugs: map[string]int64{},
		ids:   map[string]int64{},
	}
}

// bySlug returns the cached local record with the slug.
func (c *recordCache) bySlug(slug string) (cacheEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	pk, ok := c.slugs[slug]
	if !ok {
		return cacheEntry{}, false
	}
	e, ok := c.byPK[pk]
	return e, ok
}

// byID returns the cached record with the IRI.
func (c *recordCache) byID(id string) (cacheEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	pk, ok := c.ids[id]
	if !ok {
		return cacheEntry{}, false
	}
	e, ok := c.byPK[pk]
	return e, ok
}

// get returns the cached record with the primary key.
func (c *recordCache) get(pk int64) (cacheEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.byPK[pk]
	return e, ok
}

// generation returns the generation to pass to put after reading a record
// from the database.
func (c *recordCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put caches a record read from the database, unless an invalidation
// happened since gen was taken. slug is empty for remote records.
func (c *recordCache) put(gen uint64, pk int64, slug, id string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if slug != "" {
		c.slugs[slug] = pk
	}
	c.ids[id] = pk
	if gen != c.gen {
		return
	}
	if len(c.byPK) >= maxCachedRecords {
		// Drop a quarter of the entries, whichever the map yields first:
		// cheaper than keeping an LRU list under a read-mostly lock.
		n := maxCachedRecords / 4
		for k := range c.byPK {
			delete(c.byPK, k)
			if n--; n == 0 {
				break
			}
		}
	}
	c.byPK[pk] = e
}

// invalidate drops the records with the primary keys.
func (c *recordCache) invalidate(pks []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, pk := range pks {
		delete(c.byPK, pk)
	}
}

// reset drops everything, for when the database was replaced under us.
func (c *recordCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.byPK = map[int64]cacheEntry{}
	c.slugs = map[string]int64{}
	c.ids = map[string]int64{}
}
