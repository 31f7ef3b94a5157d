package web

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/commons-directory/commons"
)

// encodedRecord is a record's JSON document with the headers that go with
// it, built once per version so that serving it costs no encoding.
type encodedRecord struct {
	version int
	hash    string
	updated time.Time

	etag      string
	etagHdr   []string // {etag}, ready for the header map
	lengthHdr []string // {len(body)}
	body      []byte
}

// recordCache keeps the encoded form of recently served records, one entry
// per record id. An entry is used only while the record's version, content
// hash and update time are the ones it was built from, so an edit (here or
// by another process sharing the database) is never served stale: the
// store is still asked for the record on every request; only the encoding
// is saved.
type recordCache struct {
	max int

	mu sync.RWMutex
	m  map[string]*encodedRecord
}

func newRecordCache(max int) *recordCache {
	return &recordCache{max: max, m: make(map[string]*encodedRecord)}
}

// current returns the cached encoding of the record with the id when it was
// built from this version and content hash, else nil. (For a local record
// the version alone moves at every change; the hash guards against two
// databases reusing an id.)
func (c *recordCache) current(id string, version int, hash string) *encodedRecord {
	c.mu.RLock()
	e := c.m[id]
	c.mu.RUnlock()
	if e != nil && e.version == version && e.hash == hash {
		return e
	}
	return nil
}

// encoded returns r's JSON document, from the cache when it holds this
// very version of r.
func (c *recordCache) encoded(r *commons.Record) (*encodedRecord, error) {
	key := r.ID
	if key == "" {
		key = r.Slug
	}
	p := &r.Provenance
	c.mu.RLock()
	e := c.m[key]
	c.mu.RUnlock()
	if e != nil && e.version == p.Version && e.hash == p.Hash && e.updated.Equal(p.Updated) {
		return e, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record %s: %w", r.Slug, err)
	}
	b = append(b, '\n')
	tag := etag(p.Version, p.Hash)
	e = &encodedRecord{
		version: p.Version, hash: p.Hash, updated: p.Updated,
		etag: tag, etagHdr: []string{tag}, lengthHdr: []string{strconv.Itoa(len(b))}, body: b,
	}
	c.mu.Lock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k := range c.m { // drop an arbitrary entry: cheap, and good enough for a hot set
			delete(c.m, k)
			break
		}
	}
	c.m[key] = e
	c.mu.Unlock()
	return e, nil
}

// forget drops a record's entry, e.g. once it is deleted.
func (c *recordCache) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// etag is a record version's strong entity tag: its version number and the
// start of its content hash, e.g. "3-9f86d081884c7d65".
func etag(version int, hash string) string {
	if len(hash) > 16 {
		hash = hash[:16]
	}
	return `"` + strconv.Itoa(version) + "-" + hash + `"`
}

// matchAny reports whether an If-Match (strong comparison) or
// If-None-Match (weak comparison) header value matches tag.
func matchAny(header, tag string, weak bool) bool {
	for _, t := range splitUnquoted(header, ',') {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		if len(t) > 2 && t[:2] == "W/" {
			if !weak {
				continue
			}
			t = t[2:]
		}
		if t == tag {
			return true
		}
	}
	return false
}
