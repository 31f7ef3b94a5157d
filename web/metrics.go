package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
)

// Metrics receives what the HTTP surface measures, for the operator's
// Prometheus; cmd passes the metrics package's. With none, nothing is
// measured and /metrics answers 404.
type Metrics interface {
	// RequestObserver returns the latency observer, in seconds, of the
	// requests to route (a route template such as
	// "/api/v1/records/{slug}", or "unmatched") with method and status
	// class ("2xx"). web asks once per combination and keeps the answer,
	// so a request costs no label lookup.
	RequestObserver(route, method, class string) Observer
	// SearchObserver returns the latency observer, in seconds, of the
	// directory's searches.
	SearchObserver() Observer
	// Handler serves the metrics in Prometheus's text format.
	Handler() http.Handler
}

// Observer takes one measurement; a Prometheus histogram is one.
type Observer interface{ Observe(float64) }

// unavailable is the code of a server that is not ready to serve.
const eUnavailable = "unavailable"

// readyTimeout bounds the store's answer to a readiness check.
const readyTimeout = 2 * time.Second

// Request methods and status classes as metric labels: a bounded set, so
// that a client's invented method cannot make a series.
var (
	metricMethods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "other"}
	metricClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}
)

func methodIndex(m string) int {
	switch m {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	}
	return 6
}

// routeStats measures the requests of one route. Its observers are asked
// of Metrics at the first request of each method and status class.
type routeStats struct {
	name  string
	m     Metrics
	slots [len(metricMethods)][len(metricClasses)]struct {
		once sync.Once
		o    Observer
	}
}

func (rs *routeStats) observe(method string, status int, d time.Duration) {
	c := min(max(status/100, 1), 5) - 1
	slot := &rs.slots[methodIndex(method)][c]
	slot.once.Do(func() { slot.o = rs.m.RequestObserver(rs.name, metricMethods[methodIndex(method)], metricClasses[c]) })
	slot.o.Observe(d.Seconds())
}

// serverStats holds the route measurements of a server: those of the
// routes serveFast answers, resolved once, and of requests no route
// took.
type serverStats struct {
	search                      Observer
	unmatched                   *routeStats
	apiRecord, inbox, webfinger *routeStats
	nodeinfo, recordActor       *routeStats
	byRoute                     map[string]*routeStats // every routed template
	metricsToken                [sha256.Size]byte      // of Options.MetricsToken
	metricsOn                   bool                   // /metrics served on this listener
}

// newServerStats builds the measurements of the routes; with m nil they
// measure nothing.
func newServerStats(m Metrics, token string) *serverStats {
	st := &serverStats{byRoute: map[string]*routeStats{}}
	if m != nil {
		st.search = m.SearchObserver()
	}
	st.unmatched = st.route(m, "unmatched")
	st.apiRecord = st.route(m, "/api/v1/records/{slug}")
	st.inbox = st.route(m, "/inbox")
	st.webfinger = st.route(m, "/.well-known/webfinger")
	st.nodeinfo = st.route(m, "/nodeinfo/{version}")
	st.recordActor = st.route(m, "/records/{slug}")
	if m != nil && token != "" {
		st.metricsOn = true
		st.metricsToken = sha256.Sum256([]byte(token))
	}
	return st
}

func (st *serverStats) route(m Metrics, name string) *routeStats {
	if rs, ok := st.byRoute[name]; ok {
		return rs
	}
	rs := &routeStats{name: name, m: m}
	st.byRoute[name] = rs
	return rs
}

// instrument makes every route of r tell the recorder of its request
// which route it is, so that serve measures it under its template and
// never under the raw path.
func (s *server) instrument(r *mux.Router) {
	if s.metrics == nil {
		return
	}
	_ = r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		h := route.GetHandler()
		if err != nil || h == nil {
			return nil
		}
		rs := s.stats.route(s.metrics, tpl)
		route.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n, ok := w.(routeNamer); ok {
				n.nameRoute(rs)
			}
			h.ServeHTTP(w, r)
		}))
		return nil
	})
}

// observeRequest measures one answered request.
func (s *server) observeRequest(rec *recorder, r *http.Request, status int, d time.Duration) {
	rs := rec.route
	if rs == nil {
		rs = s.stats.unmatched
	}
	rs.observe(r.Method, status, d)
}

// timeSearch measures one search of the directory.
func (s *server) timeSearch(ctx context.Context, f commons.RecordFilter) (*commons.RecordPage, error) {
	if s.metrics == nil {
		return s.dir.SearchRecords(ctx, f)
	}
	start := time.Now()
	page, err := s.dir.SearchRecords(ctx, f)
	s.stats.search.Observe(time.Since(start).Seconds())
	return page, err
}

// handleMetrics answers GET /metrics on the main listener: the metrics
// for a bearer of Options.MetricsToken, 401 for anyone else, and 404
// when metrics are off or served on a listener of their own.
func (s *server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	if !s.stats.metricsOn {
		return commons.Errorf(commons.ENOTFOUND, "There is nothing at %s.", r.URL.Path)
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	// Hashes compare in constant time whatever the lengths.
	sum := sha256.Sum256([]byte(token))
	if !ok || subtle.ConstantTimeCompare(sum[:], s.stats.metricsToken[:]) != 1 {
		return commons.Errorf(commons.EUNAUTHORIZED, "The metrics need the bearer token of the configuration's metrics.token.")
	}
	s.metrics.Handler().ServeHTTP(w, r)
	return nil
}

// handleReady answers GET /readyz: 200 when the store answers within
// readyTimeout, else 503. /healthz stays the liveness check.
func (s *server) handleReady(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.dir.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		return commons.Errorf(eUnavailable, "The database does not answer.")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeBody(w, http.StatusOK, "text/plain; charset=utf-8", []byte("ready\n"))
	return nil
}

// NotReady is the handler of a server whose store is still opening (or
// migrating): every URL answers 503 with a problem document and
// Retry-After, /readyz and /healthz included — the latter as before,
// when nothing listened until the store was open. cmd serves it on the
// listener until the instance's handler replaces it.
func NotReady() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Retry-After", "5")
		b, _ := json.Marshal(problem{ // cannot fail: strings and an int
			Type: "about:blank", Title: http.StatusText(http.StatusServiceUnavailable), Status: http.StatusServiceUnavailable,
			Detail: "The server is starting: its database is opening or migrating.", Instance: r.URL.Path,
		})
		writeBody(w, http.StatusServiceUnavailable, mediaProblem, append(b, '\n'))
	})
}

// routeNamer is a response writer that is told which route answers its
// request: the recorder of serve, and the page cache's capture writer, which
// keeps the route with the page so that a page served from the cache is
// measured under its route too.
type routeNamer interface{ nameRoute(*routeStats) }

func (rw *recorder) nameRoute(rs *routeStats)      { rw.route = rs }
func (cw *captureWriter) nameRoute(rs *routeStats) { cw.route = rs }

// nameRoute passes the route on to the writer the bump wraps.
func (bw *bumpWriter) nameRoute(rs *routeStats) {
	if n, ok := bw.ResponseWriter.(routeNamer); ok {
		n.nameRoute(rs)
	}
}
