package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/demo"
	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/metrics"
	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/web"
)

// app is one running instance: its store and its HTTP handler. Tests build
// several in one process.
type app struct {
	cfg     Config
	logger  *slog.Logger
	db      *store.DB
	fed     *federation.Federation
	harvest *harvester
	metrics *metrics.Metrics // nil when metrics are off
	handler http.Handler
}

// Each consumer declares the interface it needs and *store.DB, on either
// SQL dialect, satisfies them all: a method one needs and the store lacks
// fails the build here.
var (
	_ web.Directory    = (*store.DB)(nil)
	_ federation.Store = (*store.DB)(nil)
	_ harvestStore     = (*store.DB)(nil)
	_ harvestList      = (*store.DB)(nil)
	_ metricsStore     = (*store.DB)(nil)
)

// newApp opens the store and builds the handler. The caller closes it.
func newApp(ctx context.Context, cfg Config, logger *slog.Logger) (*app, error) {
	db, err := store.Open(ctx, cfg.Store.options(cfg.Server.BaseURL, logger))
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, logger: logger, db: db, metrics: newMetrics(cfg.Metrics, db, logger)}
	var fedMetrics federation.Metrics
	var webMetrics web.Metrics
	if a.metrics != nil {
		fedMetrics, webMetrics = a.metrics, webMetricsOf(a.metrics)
	}
	a.fed = federation.New(federation.Options{
		DB:            db,
		BaseURL:       cfg.Server.BaseURL,
		InstanceName:  cfg.Server.InstanceName.In(cfg.Server.Language),
		Description:   cfg.Server.Description.In(cfg.Server.Language),
		InstanceNames: cfg.Server.InstanceName.Map(cfg.Server.Language),
		Descriptions:  cfg.Server.Description.Map(cfg.Server.Language),
		Lang:          cfg.Server.Language,
		Version:       buildVersion(),
		Logger:        logger,
		AllowPrivate:  cfg.Federation.AllowPrivateAddresses,
		Workers:       cfg.Federation.DeliveryWorkers,
		DeliveryLease: cfg.Federation.DeliveryLease.Duration,
		Schedule:      cfg.Federation.RetrySchedule.Values(),
		PeerPolicy:    cfg.Federation.PeerPolicy,
		SyncInterval:  cfg.Federation.SyncInterval.Duration,
		Metrics:       fedMetrics,

		AuthorizedFetch: cfg.Federation.AuthorizedFetch,
	})
	a.harvest = newHarvester(db, cfg, logger, a.fed.RecordChanged)
	site, err := cfg.Site.webSite(cfg.Server.Language)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.handler = web.New(web.Options{
		Directory:     db,
		Federation:    a.fed,
		Operator:      a.fed,
		Harvests:      harvestOps{db},
		HTTPClient:    federation.NewHTTPClient(federation.ClientOptions{AllowPrivate: cfg.Federation.AllowPrivateAddresses, UserAgent: "commonsd/" + buildVersion()}),
		BaseURL:       cfg.Server.BaseURL,
		InstanceName:  cfg.Server.InstanceName.In(cfg.Server.Language),
		InstanceNames: cfg.Server.InstanceName.Map(cfg.Server.Language),
		Language:      cfg.Server.Language,
		Version:       buildVersion(),
		Logger:        logger,
		MaxBodyBytes:  cfg.Server.MaxBodyBytes,
		InboxRate:     inboxRate(cfg.Federation.InboxRate),
		InboxBurst:    cfg.Federation.InboxBurst,
		Metrics:       webMetrics,
		MetricsToken:  cfg.Metrics.Token,
		Site:          site,
	})
	return a, nil
}

// inboxRate maps federation.inbox_rate, where 0 means no limit, to
// web.Options.InboxRate, where it means the default.
func inboxRate(perSecond int) float64 {
	if perSecond == 0 {
		return -1
	}
	return float64(perSecond)
}

// Close releases the store.
func (a *app) Close() error {
	a.fed.Close()
	return a.db.Close()
}

// seedDemo loads the demo records of the given homes (all when none) if the
// database holds no record at all.
func (a *app) seedDemo(ctx context.Context, homes ...string) (int, error) {
	local, remote, err := a.db.CountRecords(ctx)
	if err != nil || local+remote > 0 {
		return 0, err
	}
	if len(homes) == 0 {
		homes = demo.Homes
	}
	var rs []*commons.Record
	for _, h := range homes {
		share, err := demo.ForHome(h)
		if err != nil {
			return 0, err
		}
		rs = append(rs, share...)
	}
	res, err := a.db.ImportRecords(ctx, rs, store.ImportOptions{Actor: "demo"})
	if err != nil {
		return 0, fmt.Errorf("load demo records: %w", err)
	}
	return res.Created, nil
}

// newHTTPServer returns the server of the main listener.
func newHTTPServer(cfg Config, logger *slog.Logger, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.Server.ReadTimeout.Duration,
		WriteTimeout:      cfg.Server.WriteTimeout.Duration,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serveOn serves the instance's handler on ln until ctx ends, as serve
// does; the demo's instances use it.
func (a *app) serveOn(ctx context.Context, ln net.Listener) error {
	srv := newHTTPServer(a.cfg, a.logger, a.handler)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	return a.serve(ctx, srv, ln, errc)
}

// serve runs the workers beside srv, which serves ln (errc receives the
// end of its Serve), and the metrics listener if configured, until ctx
// ends; then it drains open requests for at most the shutdown timeout.
func (a *app) serve(ctx context.Context, srv *http.Server, ln net.Listener, errc <-chan error) error {
	if a.metrics != nil && a.cfg.Metrics.Listen != "" {
		mln, err := net.Listen("tcp", a.cfg.Metrics.Listen)
		if err != nil {
			return fmt.Errorf("metrics.listen: %w", err)
		}
		msrv := newHTTPServer(a.cfg, a.logger, metricsMux(a.metrics))
		go msrv.Serve(mln)                              //nolint:errcheck // ErrServerClosed after Shutdown
		defer msrv.Shutdown(context.WithoutCancel(ctx)) //nolint:errcheck
		a.logger.Info("serving metrics", "listen", mln.Addr().String())
	}
	a.db.StartWarming() // the search cache, in the background
	fedCtx, stopFed := context.WithCancel(context.WithoutCancel(ctx))
	fedDone := make(chan struct{})
	go func() { a.fed.Run(fedCtx); close(fedDone) }()
	harvestDone := make(chan struct{})
	go func() { a.harvest.run(fedCtx); close(harvestDone) }()
	defer func() { stopFed(); <-fedDone; <-harvestDone }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	a.logger.Info("shutting down", "timeout", a.cfg.Server.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.Server.ShutdownTimeout.Duration)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func cmdServe(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "serve", "", "run the server")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	cfg, err := LoadConfig(*configPath, c.getenv)
	if err != nil {
		return err
	}
	logger, closeLog := newServerLogger(cfg.Log, c.stderr)
	defer closeLog()
	// The listener answers before the store is open: 503 (web.NotReady)
	// while it opens and migrates, so that /readyz tells a load balancer
	// to wait, and a port already taken fails at once.
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	front := &swapHandler{}
	front.set(web.NotReady())
	srv := newHTTPServer(cfg, logger, front)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	defer srv.Close() // on an early return; a no-op after serve's Shutdown
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Demo.LoadWhenEmpty {
		n, err := a.seedDemo(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			logger.Info("database was empty: loaded the demo directory", "records", n)
		}
	}
	if cfg.Harvest.List != "" {
		sources, err := readSourceList(c, cfg.Harvest.List)
		if err != nil {
			return fmt.Errorf("harvest.list: %w", err)
		}
		added, err := addHarvests(ctx, a.db, sources)
		if err != nil {
			return fmt.Errorf("harvest.list %s: %w", cfg.Harvest.List, err)
		}
		if len(added) > 0 {
			logger.Info("listed publiccode.yml files to read", "count", len(added), "list", cfg.Harvest.List)
		}
	}
	front.set(a.handler)
	logger.Info("serving", "url", cfg.Server.BaseURL, "listen", ln.Addr().String(), "db", cfg.Store.name(), "version", buildVersion())
	return a.serve(ctx, srv, ln, errc)
}

// cmdBackup writes a consistent copy of the database while the server runs.
func cmdBackup(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "backup", "FILE", "write a consistent copy of the database to FILE, a new file, while the server runs")
	rest, err := parse(c, fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(rest) != 1 {
		return usagef("backup: give one FILE to write the copy to")
	}
	// On PostgreSQL there is nothing to open: say what to use instead.
	if cfg, err := LoadConfig(*configPath, c.getenv); err == nil {
		if err := store.CanBackup(cfg.Store.Driver); err != nil {
			return err
		}
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		start := time.Now()
		if err := db.Backup(ctx, rest[0]); err != nil {
			return err
		}
		fi, err := os.Stat(rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "wrote %s (%d bytes, checked) in %s\n", rest[0], fi.Size(), time.Since(start).Round(time.Millisecond))
		return nil
	})
}

func cmdMigrate(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "migrate", "", "apply pending database migrations and exit")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	cfg, err := LoadConfig(*configPath, c.getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.Store.options(cfg.Server.BaseURL, newLogger(cfg.Log, c.stderr)))
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if applied := db.AppliedMigrations(); len(applied) > 0 {
		fmt.Fprintf(c.stdout, "applied migrations %v; %s is at schema version %d\n", applied, cfg.Store.name(), v)
	} else {
		fmt.Fprintf(c.stdout, "%s is up to date at schema version %d\n", cfg.Store.name(), v)
	}
	return nil
}
