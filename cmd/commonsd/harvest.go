package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/publiccode"
	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/web"
)

// harvester re-reads the listed publiccode.yml files when they are due,
// with conditional requests through the guarded client: a changed file
// updates its record (which the federation then posts to followers), an
// unchanged one costs one 304, a missing or broken one is reported and
// never deletes its record.
type harvester struct {
	db       harvestStore
	client   *http.Client
	interval time.Duration // between two reads of one file
	poll     time.Duration // how often due files are looked for
	logger   *slog.Logger
	changed  func() // a record was created or updated
	now      func() time.Time
}

// harvestStore is what the harvester needs from the store: the due files,
// their results, and the records they import.
type harvestStore interface {
	ClaimDueHarvests(ctx context.Context, limit int) ([]store.Harvest, error)
	SaveHarvestResult(ctx context.Context, url string, r store.HarvestResult) error
	publiccode.Store
}

func newHarvester(db harvestStore, cfg Config, logger *slog.Logger, changed func()) *harvester {
	return &harvester{
		db: db,
		client: federation.NewHTTPClient(federation.ClientOptions{
			AllowPrivate: cfg.Federation.AllowPrivateAddresses,
			UserAgent:    "commonsd/" + buildVersion(),
		}),
		interval: cfg.Harvest.Interval.Duration,
		poll:     min(cfg.Harvest.Interval.Duration, cfg.Harvest.Poll.Duration),
		logger:   logger.With("component", "harvest"),
		changed:  changed,
		now:      time.Now,
	}
}

// run reads due files at once and then every poll, until ctx ends.
func (h *harvester) run(ctx context.Context) {
	t := time.NewTicker(h.poll)
	defer t.Stop()
	for {
		if _, err := h.runDue(ctx); err != nil && ctx.Err() == nil {
			h.logger.Error("harvest", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// harvestBatch is how many due files one claim takes.
const harvestBatch = 20

// runDue reads every due file and returns what each read gave.
func (h *harvester) runDue(ctx context.Context) ([]store.Harvest, error) {
	var done []store.Harvest
	for {
		due, err := h.db.ClaimDueHarvests(ctx, harvestBatch)
		if err != nil || len(due) == 0 {
			return done, err
		}
		for _, hv := range due {
			r := h.read(ctx, hv)
			if err := h.db.SaveHarvestResult(ctx, hv.URL, r); err != nil {
				return done, err
			}
			hv.Result, hv.Error = r.Result, r.Error
			if r.Record != "" {
				hv.Record = r.Record
			}
			done = append(done, hv)
		}
	}
}

// read reads one listed file and imports it if it changed.
func (h *harvester) read(ctx context.Context, hv store.Harvest) store.HarvestResult {
	next := h.now().Add(h.interval)
	urls := []string{hv.FileURL}
	for _, u := range publiccode.FileURLs(hv.URL) {
		if u != hv.FileURL {
			urls = append(urls, u)
		}
	}
	var (
		f   *publiccode.Fetched
		err error
		at  string
	)
	for i, u := range urls {
		etag, lastMod := "", ""
		if i == 0 {
			etag, lastMod = hv.ETag, hv.LastModified
		}
		at = u
		f, err = publiccode.FetchIfChanged(ctx, h.client, u, etag, lastMod)
		var gone *publiccode.GoneError
		if !errors.As(err, &gone) {
			break
		}
	}
	if err != nil {
		var gone *publiccode.GoneError
		msg := commons.ErrorMessage(err)
		if errors.As(err, &gone) {
			msg = fmt.Sprintf("the file is gone: %s answered %s", hv.FileURL, gone.Status)
			if len(urls) > 1 {
				msg += fmt.Sprintf(" (and %d other places its repository may keep it)", len(urls)-1)
			}
		}
		if hv.Record != "" {
			msg += "; record " + hv.Record + " is kept as it was"
		}
		h.logger.Warn("harvest failed", "url", hv.URL, "err", msg)
		return store.HarvestResult{Result: "failed", Error: msg, NextAt: next}
	}
	if f.NotModified {
		return store.HarvestResult{OK: true, Result: "not-modified", NextAt: next}
	}
	out, err := publiccode.Import(ctx, h.db, f.Body, publiccode.ImportOptions{Name: at, SourceURL: at, Actor: "harvest"})
	if err != nil {
		msg := commons.ErrorMessage(err)
		var pe *publiccode.ParseError
		if errors.As(err, &pe) {
			msg = pe.Error()
		}
		if hv.Record != "" {
			msg += "\nrecord " + hv.Record + " is kept as it was"
		}
		h.logger.Warn("harvest failed", "url", hv.URL, "err", msg)
		// The validators are not kept: the next read fetches the file
		// whole, so that a fixed file is read even if its server lies.
		return store.HarvestResult{Result: "failed", Error: msg, NextAt: next}
	}
	if out.Action != publiccode.Unchanged && h.changed != nil {
		h.changed()
	}
	h.logger.Info("harvested", "url", hv.URL, "record", out.Record.Slug, "result", out.Action)
	return store.HarvestResult{OK: true, Result: out.Action, Record: out.Record.Slug, FileURL: at,
		ETag: f.ETag, LastModified: f.LastModified, NextAt: next}
}

// harvestAdder lists a file to re-read.
type harvestAdder interface {
	AddHarvest(ctx context.Context, url, fileURL string) (*store.Harvest, error)
}

// addHarvests lists sources to re-read; one listed already is left as it
// is.
func addHarvests(ctx context.Context, db harvestAdder, sources []string) (added []string, err error) {
	for _, src := range sources {
		src = strings.TrimSpace(src)
		urls := publiccode.FileURLs(src)
		if !isURL(src) || !validHTTPURL(urls[0]) {
			return added, commons.Errorf(commons.EINVALID, "%q is not the http(s) URL of a publiccode.yml or of a repository", src)
		}
		if _, err := db.AddHarvest(ctx, src, urls[0]); err != nil {
			if commons.ErrorCode(err) == commons.ECONFLICT {
				continue
			}
			return added, err
		}
		added = append(added, src)
	}
	return added, nil
}

func validHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

func cmdHarvestAdd(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "harvest add", "URL... [--list FILE]",
		"list publiccode.yml files (their URL, or their repository's) for the server to re-read on its schedule; the first read is due at once")
	list := fs.String("list", "", "`file` of URLs, one a line (# starts a comment); - for standard input")
	sources, err := parse(c, fs, args)
	if err != nil {
		return helpOK(err)
	}
	if sources, err = withSourceList(c, sources, *list); err != nil {
		return err
	}
	if len(sources) == 0 {
		return usagef("harvest add: name at least one URL, or --list FILE")
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		added, err := addHarvests(ctx, db, sources)
		for _, a := range added {
			fmt.Fprintf(c.stdout, "listed %s\n", a)
		}
		if err != nil {
			return err
		}
		if n := len(sources) - len(added); n > 0 {
			fmt.Fprintf(c.stdout, "%d listed already\n", n)
		}
		return nil
	})
}

func cmdHarvestRemove(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "harvest remove", "URL", "stop re-reading a publiccode.yml; its record stays")
	src, err := parseOne(c, fs, args, "URL")
	if err != nil {
		return helpOK(err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		if err := db.RemoveHarvest(ctx, src); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s is no longer read; its record stays\n", src)
		return nil
	})
}

func cmdHarvestList(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "harvest list", "", "list the publiccode.yml files the server re-reads: record, last successful read, next read, last result or error")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		hs, err := db.Harvests(ctx)
		if err != nil {
			return err
		}
		printHarvests(c, hs)
		return nil
	})
}

func printHarvests(c *cli, hs []store.Harvest) {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tRECORD\tLAST READ\tNEXT READ\tRESULT")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.URL, orDash(h.Record), stamp(h.OKAt), stamp(h.NextAt), orDash(h.Result))
	}
	tw.Flush()
	for _, h := range hs {
		if h.Error != "" {
			fmt.Fprintf(c.stdout, "\n%s failed:\n  %s\n", h.URL, strings.ReplaceAll(h.Error, "\n", "\n  "))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func cmdHarvestRun(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "harvest run", "", "read every listed publiccode.yml now (those read in the last minute excepted) and import the changed ones")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	cfg, err := LoadConfig(*configPath, c.getenv)
	if err != nil {
		return err
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		if err := db.MakeHarvestsDue(ctx); err != nil {
			return err
		}
		h := newHarvester(db, cfg, newLogger(cfg.Log, c.stderr), nil)
		done, err := h.runDue(ctx)
		failed := 0
		for _, d := range done {
			if d.Error != "" {
				failed++
				fmt.Fprintf(c.stdout, "%s: failed: %s\n", d.URL, strings.ReplaceAll(d.Error, "\n", "\n  "))
			} else {
				fmt.Fprintf(c.stdout, "%s: record %s %s\n", d.URL, orDash(d.Record), d.Result)
			}
		}
		if err != nil {
			return err
		}
		if failed > 0 {
			return fmt.Errorf("%d of %d publiccode.yml files could not be read", failed, len(done))
		}
		return nil
	})
}

// harvestOps gives the operator page the harvest list and its forms.
type harvestOps struct{ db harvestList }

// harvestList is the list of files to re-read, as the operator page shows
// and edits it.
type harvestList interface {
	harvestAdder
	RemoveHarvest(ctx context.Context, url string) error
	Harvests(ctx context.Context) ([]store.Harvest, error)
	HarvestOfRecord(ctx context.Context, slug string) (*store.Harvest, error)
}

func (o harvestOps) Harvests(ctx context.Context) ([]web.Harvest, error) {
	hs, err := o.db.Harvests(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]web.Harvest, len(hs))
	for i, h := range hs {
		out[i] = web.Harvest{URL: h.URL, FileURL: h.FileURL, Record: h.Record, OKAt: h.OKAt, NextAt: h.NextAt, Result: h.Result, Error: h.Error}
	}
	return out, nil
}

func (o harvestOps) HarvestOf(ctx context.Context, slug string) (*web.Harvest, error) {
	h, err := o.db.HarvestOfRecord(ctx, slug)
	if err != nil {
		return nil, err
	}
	return &web.Harvest{URL: h.URL, FileURL: h.FileURL, Record: h.Record, OKAt: h.OKAt, NextAt: h.NextAt, Result: h.Result, Error: h.Error}, nil
}

func (o harvestOps) AddHarvest(ctx context.Context, url string) error {
	added, err := addHarvests(ctx, o.db, []string{url})
	if err == nil && len(added) == 0 {
		return commons.Errorf(commons.ECONFLICT, "%s is listed already", url)
	}
	return err
}

func (o harvestOps) RemoveHarvest(ctx context.Context, url string) error {
	return o.db.RemoveHarvest(ctx, url)
}
