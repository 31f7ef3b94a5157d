package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/metrics"
	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/web"
)

// metricsStore is what the metrics read from the store at each scrape.
type metricsStore interface {
	Size(ctx context.Context) (int64, error)
	CountRecords(ctx context.Context) (local, remote int, err error)
	DeliveryQueue(ctx context.Context) (pending int, failing []store.InboxHealth, err error)
	Peers(ctx context.Context) ([]store.Peer, error)
}

// newMetrics builds the process's metrics if the configuration turns them
// on, else returns nil.
func newMetrics(cfg Metrics, db metricsStore, logger *slog.Logger) *metrics.Metrics {
	if !cfg.on() {
		return nil
	}
	return metrics.New(metrics.Options{Process: cfg.Process, Source: storeSource{db}, Logger: logger})
}

// storeSource adapts the store to metrics.Source.
type storeSource struct{ db metricsStore }

func (s storeSource) DatabaseSize(ctx context.Context) (int64, error) { return s.db.Size(ctx) }

func (s storeSource) RecordCounts(ctx context.Context) (local, remote int, err error) {
	return s.db.CountRecords(ctx)
}

func (s storeSource) DeliveryQueue(ctx context.Context) (metrics.DeliveryQueue, error) {
	pending, failing, err := s.db.DeliveryQueue(ctx)
	q := metrics.DeliveryQueue{Pending: pending}
	for _, h := range failing {
		if h.Unreachable {
			q.Unreachable++
		} else {
			q.Failing++
		}
	}
	return q, err
}

// PeerSyncs lists the peers this instance follows: the ones it
// reconciles.
func (s storeSource) PeerSyncs(ctx context.Context) ([]metrics.PeerSync, error) {
	peers, err := s.db.Peers(ctx)
	if err != nil {
		return nil, err
	}
	var out []metrics.PeerSync
	for _, p := range peers {
		if p.Outgoing == commons.PeerAccepted {
			out = append(out, metrics.PeerSync{Host: p.Host, Since: p.Since, LastSync: p.LastSync})
		}
	}
	return out, nil
}

// webMetricsOf adapts m to web.Metrics, whose observers are web's own
// interface.
func webMetricsOf(m *metrics.Metrics) web.Metrics { return webMetrics{m} }

type webMetrics struct{ *metrics.Metrics }

func (m webMetrics) RequestObserver(route, method, class string) web.Observer {
	return m.Metrics.RequestObserver(route, method, class)
}

func (m webMetrics) SearchObserver() web.Observer { return m.Metrics.SearchObserver() }

// metricsMux serves /metrics alone, on the metrics listener.
func metricsMux(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// swapHandler serves with the handler set last: the not-ready handler
// while the store opens, then the instance's.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}
