package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// pageCache keeps the HTML pages served to anonymous visitors, so that a
// page read again costs a map lookup rather than the store's queries and
// the template. An entry is keyed by what the page depends on — the path
// and query, the negotiated language, the Accept header — and is used only
// while nothing was written since it was made: every write request served
// here moves gen at once, so that its client's next page is fresh; the
// store's change sequence, read at most every seqEvery (0.1 s), catches
// writes made elsewhere (the harvester, peer sync, another process)
// within that time. What no write marks (a follower count, a
// peer's name, today's date) is at most ttl old.
//
// Pages with a form carry the visitor's own CSRF token: the cached page
// holds a sentinel of the same length instead, replaced at every serve.
// Requests with a session cookie or an Authorization header never touch
// the cache.
type pageCache struct {
	max      int
	ttl      time.Duration
	sentinel string

	gen atomic.Int64 // write requests served; moves before their response is sent

	seqEvery time.Duration
	seqMu    sync.Mutex
	seq      int64
	seqAt    time.Time

	mu sync.RWMutex
	m  map[string]*cachedPage
}

// cachedPage is one page as first served, its body split at the
// sentinel.
type cachedPage struct {
	gen, seq int64
	made     time.Time
	status   int
	header   http.Header // without Set-Cookie and Content-Length
	parts    [][]byte
	size     int         // of the body without the sentinels
	route    *routeStats // the route that made the page, for the metrics
}

// Defaults of the page cache.
const (
	DefaultPageCacheSize = 2000
	pageCacheTTL         = 10 * time.Second
	pageCacheSeqEvery    = 100 * time.Millisecond
)

func newPageCache(max int) *pageCache {
	return &pageCache{max: max, ttl: pageCacheTTL, seqEvery: pageCacheSeqEvery,
		sentinel: "CACHEDxCSRFxTOKENx" + randomToken()[:25], m: map[string]*cachedPage{}}
}

type cacheRenderKey struct{}

// cacheSentinel is the token a page rendered for the cache carries.
func cacheSentinel(r *http.Request) (string, bool) {
	s, ok := r.Context().Value(cacheRenderKey{}).(string)
	return s, ok
}

// changeSeq is the store's change sequence, read again when the last
// read is older than seqEvery. (Reading it at every request costs 40% of
// a cached page's throughput: BENCHMARKS.md.)
func (c *pageCache) changeSeq(ctx context.Context, dir Directory) (int64, bool) {
	c.seqMu.Lock()
	defer c.seqMu.Unlock()
	if time.Since(c.seqAt) < c.seqEvery {
		return c.seq, true
	}
	seq, err := dir.ChangeSeq(ctx)
	if err != nil {
		return 0, false
	}
	c.seq, c.seqAt = seq, time.Now()
	return seq, true
}

// cacheablePage tells whether r asks for a public page the cache keeps.
func (s *server) cacheablePage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || r.Header.Get("Authorization") != "" {
		return false
	}
	if c, err := r.Cookie(s.cookieName("session")); err == nil && c.Value != "" {
		return false
	}
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
		return false // conditional: the handler answers 304 itself
	}
	// HTML only: not the JSON or ActivityPub answers of the same URLs, not
	// the files beside the pages (icons, feeds, exports).
	if accept := r.Header.Get("Accept"); accept != "" && negotiate(accept, actorPageOffers) != mediaHTML {
		return false
	}
	p := r.URL.Path
	switch p {
	case "/", "/about", "/stats", "/funding", "/legal", "/privacy", "/accessibility":
		return true
	}
	if i := strings.LastIndexByte(p, '.'); i > strings.LastIndexByte(p, '/') {
		switch p[i:] {
		case ".png", ".svg", ".json", ".jsonld", ".atom", ".yml", ".ttl", ".csv", ".jsonl":
			return false
		}
	}
	return strings.HasPrefix(p, "/records/") || strings.HasPrefix(p, "/topics/") || strings.HasPrefix(p, "/instances/")
}

// cachePages serves anonymous visitors' pages from the cache, and marks
// every write so that the next page is made afresh.
func (s *server) cachePages(next http.Handler) http.Handler {
	c := s.pageCache
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			// Before the response: a client that reads the page as soon
			// as its write is answered must not get the old one.
			defer c.gen.Add(1)
			next.ServeHTTP(&bumpWriter{ResponseWriter: w, c: c}, r)
			return
		}
		if !s.cacheablePage(r) {
			next.ServeHTTP(w, r)
			return
		}
		lang := pageLanguage(r)
		key := lang + "\x00" + r.Header.Get("Accept") + "\x00" + r.URL.RequestURI()
		gen := c.gen.Load()
		seq, ok := c.changeSeq(r.Context(), s.dir)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		c.mu.RLock()
		e := c.m[key]
		c.mu.RUnlock()
		if e != nil && e.gen == gen && e.seq == seq && time.Since(e.made) < c.ttl {
			if n, ok := w.(routeNamer); ok && e.route != nil {
				n.nameRoute(e.route)
			}
			s.replay(w, r, lang, e)
			return
		}
		cw := &captureWriter{header: w.Header().Clone()}
		next.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), cacheRenderKey{}, c.sentinel)))
		e = &cachedPage{gen: gen, seq: seq, made: time.Now(), status: cw.statusCode(), header: cw.header, route: cw.route}
		if n, ok := w.(routeNamer); ok && cw.route != nil {
			n.nameRoute(cw.route)
		}
		e.header.Del("Set-Cookie")
		e.header.Del("Content-Length")
		e.parts = bytes.Split(cw.body.Bytes(), []byte(c.sentinel))
		e.size = cw.body.Len() - (len(e.parts)-1)*len(c.sentinel)
		if e.status == http.StatusOK && strings.HasPrefix(e.header.Get("Content-Type"), "text/html") {
			c.mu.Lock()
			if len(c.m) >= c.max {
				for k := range c.m { // one out, any: a map's order is random enough
					delete(c.m, k)
					break
				}
			}
			c.m[key] = e
			c.mu.Unlock()
		}
		s.replay(w, r, lang, e)
	})
}

// replay writes a cached page for r: its headers, the visitor's language
// cookie when ?lang= chose it, and the visitor's CSRF token where the
// sentinel stands.
func (s *server) replay(w http.ResponseWriter, r *http.Request, lang string, e *cachedPage) {
	h := w.Header()
	for k, v := range e.header {
		h[k] = v // shared slices: header values are never changed in place
	}
	s.rememberLang(w, r, lang)
	token := ""
	if len(e.parts) > 1 {
		token = s.csrfToken(w, r)
	}
	h["Content-Length"] = []string{strconv.Itoa(e.size + (len(e.parts)-1)*len(token))}
	w.WriteHeader(e.status)
	for i, p := range e.parts {
		if i > 0 {
			w.Write([]byte(token)) //nolint:errcheck // the client went away
		}
		w.Write(p) //nolint:errcheck // the client went away
	}
}

// captureWriter keeps a response to be cached.
type captureWriter struct {
	route  *routeStats // set by the route that answers (metrics.go)
	header http.Header
	status int
	body   bytes.Buffer
}

func (cw *captureWriter) Header() http.Header { return cw.header }

func (cw *captureWriter) WriteHeader(status int) {
	if cw.status == 0 {
		cw.status = status
	}
}

func (cw *captureWriter) Write(b []byte) (int, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	return cw.body.Write(b)
}

func (cw *captureWriter) statusCode() int {
	if cw.status == 0 {
		return http.StatusOK
	}
	return cw.status
}

// bumpWriter moves the cache's generation when a write's response
// starts, so that the page its client asks for next is made afresh (the
// deferred move after the handler covers writes that fail half-way).
type bumpWriter struct {
	http.ResponseWriter
	c      *pageCache
	bumped bool
}

func (b *bumpWriter) WriteHeader(status int) {
	if !b.bumped {
		b.bumped = true
		b.c.gen.Add(1)
	}
	b.ResponseWriter.WriteHeader(status)
}

func (b *bumpWriter) Write(p []byte) (int, error) {
	if !b.bumped {
		b.bumped = true
		b.c.gen.Add(1)
	}
	return b.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (b *bumpWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }
