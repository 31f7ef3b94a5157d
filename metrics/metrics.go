// Package metrics measures an instance for Prometheus
// (github.com/prometheus/client_golang): HTTP requests by route, searches,
// the inbox, deliveries, peer synchronisation, and, read from the store at
// each scrape, records, the delivery queue, peers' sync lag and the
// database size.
//
// It owns the metric names and labels and the registry. What it measures
// is reported by web and federation through the small interfaces they
// declare, which *Metrics satisfies (web's through a one-line adapter in
// cmd); what it reads at scrape time comes from a Source, which cmd adapts
// from the store. Every metric carries a constant "process" label, so that
// several processes behind one base URL can be told apart.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure New. All are optional.
type Options struct {
	// Process is the value of the "process" label of every metric;
	// default "HOSTNAME:PID".
	Process string
	// Source is read at each scrape for the gauges that need the store;
	// without it they are not exported.
	Source Source
	// Timeout bounds the reads of Source at one scrape; default 2 s.
	Timeout time.Duration
	Logger  *slog.Logger
	Now     func() time.Time // injectable clock for the sync lag; default time.Now
}

// Inbox refusal reasons, as federation names them: their counters exist
// from the start, so that a rate over them starts at zero.
var refusalReasons = []string{"authority", "block", "content-type", "date", "digest", "key",
	"malformed", "owner", "recipient", "signature", "size"}

// Delivery outcomes.
const (
	DeliverySent    = "sent"    // the inbox took it (2xx)
	DeliveryRetry   = "retry"   // failed; another attempt is scheduled
	DeliveryRefused = "refused" // the inbox refused it for good (4xx)
	DeliveryGaveUp  = "gave_up" // the retry schedule ran out
)

var deliveryOutcomes = [...]string{DeliverySent, DeliveryRetry, DeliveryRefused, DeliveryGaveUp}

// Metrics is the registry of one process and its instruments. It is safe
// for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler
	log      *slog.Logger
	requests *prometheus.HistogramVec
	search   prometheus.Histogram

	inboxAccepted prometheus.Counter
	inboxRefused  *prometheus.CounterVec
	refused       map[string]prometheus.Counter // read-only after New
	deliveries    map[string]prometheus.Counter // read-only after New
	syncs         *prometheus.CounterVec
}

// New builds the registry: Go runtime and process metrics, the instruments
// below, and the store's gauges if o.Source is set.
func New(o Options) *Metrics {
	if o.Process == "" {
		host, _ := os.Hostname()
		o.Process = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	reg := prometheus.NewRegistry()
	r := prometheus.WrapRegistererWith(prometheus.Labels{"process": o.Process}, reg)
	m := &Metrics{
		reg: reg,
		log: o.Logger.With("component", "metrics"),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "commonsd_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template, method and status class; its _count counts the requests.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method", "status"}),
		search: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "commonsd_search_duration_seconds",
			Help:    "Time the store takes to run one search of the directory.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		inboxAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "commonsd_inbox_accepted_total",
			Help: "Activities the inboxes accepted (202), duplicates included.",
		}),
		inboxRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commonsd_inbox_refused_total",
			Help: "Activities the inboxes refused, by reason.",
		}, []string{"reason"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "commonsd_peer_syncs_total",
			Help: "Reconciliations of a followed peer's records, by peer host and outcome (ok, error).",
		}, []string{"peer", "outcome"}),
		refused:    map[string]prometheus.Counter{},
		deliveries: map[string]prometheus.Counter{},
	}
	for _, reason := range refusalReasons {
		m.refused[reason] = m.inboxRefused.WithLabelValues(reason)
	}
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "commonsd_deliveries_total",
		Help: "Attempts to deliver an activity to an inbox, by outcome (sent, retry, refused, gave_up).",
	}, []string{"outcome"})
	for _, outcome := range deliveryOutcomes {
		m.deliveries[outcome] = deliveries.WithLabelValues(outcome)
	}
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.search, m.inboxAccepted, m.inboxRefused, deliveries, m.syncs,
	)
	if o.Source != nil {
		r.MustRegister(newStoreCollector(o.Source, o.Timeout, o.Now, m.log))
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          reg, // promhttp_metric_handler_errors_total
		Timeout:           o.Timeout + 5*time.Second,
		EnableOpenMetrics: false,
	})
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registry is the registry the metrics are in, for tests and for more
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// RequestObserver returns the latency histogram of one route, method and
// status class. Callers keep it: the lookup of its labels is not free.
func (m *Metrics) RequestObserver(route, method, class string) prometheus.Observer {
	return m.requests.WithLabelValues(route, method, class)
}

// SearchObserver returns the latency histogram of searches.
func (m *Metrics) SearchObserver() prometheus.Observer { return m.search }

// InboxAccepted counts an activity an inbox accepted.
func (m *Metrics) InboxAccepted() { m.inboxAccepted.Inc() }

// InboxRefused counts an activity an inbox refused for reason.
func (m *Metrics) InboxRefused(reason string) {
	if c, ok := m.refused[reason]; ok {
		c.Inc()
		return
	}
	m.inboxRefused.WithLabelValues(reason).Inc()
}

// DeliveryDone counts the outcome of one delivery attempt, one of the
// Delivery* constants.
func (m *Metrics) DeliveryDone(outcome string) {
	if c, ok := m.deliveries[outcome]; ok {
		c.Inc()
	}
}

// PeerSynced counts a reconciliation of the records of the peer at host,
// failed if err is not nil.
func (m *Metrics) PeerSynced(host string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.syncs.WithLabelValues(host, outcome).Inc()
}

// Source is what the gauges read from the store at each scrape.
type Source interface {
	DatabaseSize(ctx context.Context) (int64, error)
	RecordCounts(ctx context.Context) (local, remote int, err error)
	DeliveryQueue(ctx context.Context) (DeliveryQueue, error)
	PeerSyncs(ctx context.Context) ([]PeerSync, error)
}

// DeliveryQueue is the state of the delivery queue.
type DeliveryQueue struct {
	Pending     int // deliveries waiting: due, claimed or waiting for a retry
	Failing     int // inboxes whose last deliveries failed, not yet given up
	Unreachable int // inboxes given up on
}

// PeerSync is the synchronisation state of one followed peer.
type PeerSync struct {
	Host     string
	Since    time.Time // when the peering started
	LastSync time.Time // the last successful reconciliation; zero if none
}

// storeCollector reads the Source at scrape time, within a timeout, so
// that no goroutine polls the store between scrapes.
type storeCollector struct {
	src     Source
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger

	size, records, queue, inboxes, lag, up *prometheus.Desc
}

func newStoreCollector(src Source, timeout time.Duration, now func() time.Time, log *slog.Logger) *storeCollector {
	return &storeCollector{
		src: src, timeout: timeout, now: now, log: log,
		size:    prometheus.NewDesc("commonsd_database_size_bytes", "Bytes the database takes.", nil, nil),
		records: prometheus.NewDesc("commonsd_records", "Live records, by origin: local (authored here) or remote (copies of peers' records).", []string{"origin"}, nil),
		queue:   prometheus.NewDesc("commonsd_delivery_queue", "Deliveries waiting to be sent or retried.", nil, nil),
		inboxes: prometheus.NewDesc("commonsd_delivery_inboxes", "Inboxes whose deliveries fail, by state: failing (retried) or unreachable (given up).", []string{"state"}, nil),
		lag:     prometheus.NewDesc("commonsd_peer_sync_lag_seconds", "Seconds since the last successful reconciliation with a followed peer (since the peering started if none).", []string{"peer"}, nil),
		up:      prometheus.NewDesc("commonsd_store_up", "1 if every read of the store for this scrape succeeded, else 0.", nil, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.records, c.queue, c.inboxes, c.lag, c.up} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	up := 1.0
	failed := func(what string, err error) {
		up = 0
		c.log.Warn("read metrics", "what", what, "err", err)
	}
	if n, err := c.src.DatabaseSize(ctx); err != nil {
		failed("database size", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(n))
	}
	if local, remote, err := c.src.RecordCounts(ctx); err != nil {
		failed("records", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(local), "local")
		ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(remote), "remote")
	}
	if q, err := c.src.DeliveryQueue(ctx); err != nil {
		failed("delivery queue", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(q.Pending))
		ch <- prometheus.MustNewConstMetric(c.inboxes, prometheus.GaugeValue, float64(q.Failing), "failing")
		ch <- prometheus.MustNewConstMetric(c.inboxes, prometheus.GaugeValue, float64(q.Unreachable), "unreachable")
	}
	if peers, err := c.src.PeerSyncs(ctx); err != nil {
		failed("peers", err)
	} else {
		now := c.now()
		for _, p := range peers {
			last := p.LastSync
			if last.IsZero() {
				last = p.Since
			}
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, max(now.Sub(last).Seconds(), 0), p.Host)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}
