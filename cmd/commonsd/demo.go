package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/commons-directory/commons"
)

// demoInstances are the three directories `commonsd demo` runs, in port
// order: a French national one, a German one and an EU-wide one, each
// holding its share of the demo records.
var demoInstances = []struct{ home, lang, name string }{
	{"fr", "fr", "Annuaire des communs numériques — France"},
	{"de", "de", "Verzeichnis digitaler Gemeingüter — Deutschland"},
	{"eu", "en", "European Digital Commons Directory"},
}

func cmdDemo(ctx context.Context, c *cli, args []string) error {
	fs, _ := newFlags(c, "demo", "[--host H] [--port P] [--data DIR]", "run three demo instances (France, Germany, EU) on consecutive ports, seeded with real digital commons; Ctrl-C stops them")
	host := fs.String("host", "127.0.0.1", "loopback `address` to listen on")
	port := fs.Int("port", 8081, "first `port`; the others follow")
	dataDir := fs.String("data", "", "`directory` for the databases (kept); default: a temporary one, removed on exit")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	if ip := net.ParseIP(*host); *host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("demo: --host %q is not a loopback address; the demo serves plain http", *host)
	}
	if *port < 1 || *port+len(demoInstances)-1 > 65535 {
		return usagef("demo: --port %d leaves no room for %d ports", *port, len(demoInstances))
	}
	dir := *dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "commonsd-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	logger := newLogger(Log{Level: *logLevel, Format: "text"}, c.stderr)

	type running struct {
		app       *app
		ln        net.Listener
		password  string
		token     string
		records   int
		home, url string
	}
	var insts []*running
	defer func() {
		for _, in := range insts {
			in.app.Close()
		}
	}()
	for i, d := range demoInstances {
		addr := net.JoinHostPort(*host, strconv.Itoa(*port+i))
		cfg := DefaultConfig()
		cfg.Server.Listen = addr
		cfg.Server.BaseURL = "http://" + addr
		cfg.Server.InstanceName = LangText{One: d.name}
		cfg.Store.Path = filepath.Join(dir, d.home+".db")
		cfg.Server.Language = d.lang
		cfg.Federation.AllowPrivateAddresses = true
		cfg.Federation.PeerPolicy = "open" // the three peer with each other at start
		// On one machine a failed delivery (a peer still starting) is
		// worth retrying within seconds, not minutes.
		cfg.Federation.RetrySchedule = Durations{{time.Second}, {2 * time.Second}, {5 * time.Second}, {15 * time.Second}, {time.Minute}, {5 * time.Minute}}
		if err := cfg.Validate(); err != nil {
			return err
		}
		a, err := newApp(ctx, cfg, logger.With("instance", d.home))
		if err != nil {
			return err
		}
		in := &running{app: a, home: d.home, url: cfg.Server.BaseURL}
		insts = append(insts, in)
		if _, err := a.seedDemo(ctx, d.home); err != nil {
			return err
		}
		if in.records, _, err = a.db.CountRecords(ctx); err != nil {
			return err
		}
		if in.password, in.token, err = demoEditor(ctx, a); err != nil {
			return err
		}
		if in.ln, err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("demo: listen on %s: %w (choose other ports with --port)", addr, err)
		}
	}

	fmt.Fprintf(c.stdout, "Commons Directory demo: %d instances (data in %s)\n\n", len(insts), dir)
	for i, in := range insts {
		fmt.Fprintf(c.stdout, "  %s  %s\n    %d local records · editor login: editor / %s\n    API token: %s\n\n",
			in.url, demoInstances[i].name, in.records, in.password, in.token)
	}
	fmt.Fprintf(c.stdout, "Try: curl '%s/api/v1/records?q=adresse'\nPress Ctrl-C to stop.\n", insts[0].url)

	g, gctx := errgroup.WithContext(ctx)
	for _, in := range insts {
		g.Go(func() error { return in.app.serveOn(gctx, in.ln) })
	}
	// Peer in a mesh once all listen (the listeners are open already, so
	// the fetches of each other's actors succeed): each follows the other
	// two, each accepts, each backfills; a few seconds later every instance
	// shows the whole demo directory, a third of it local.
	g.Go(func() error {
		for _, in := range insts {
			for _, other := range insts {
				if in == other {
					continue
				}
				if p, err := in.app.db.Peer(gctx, strings.TrimPrefix(other.url, "http://")); err == nil && p.Outgoing != commons.PeerNone {
					continue // peered in an earlier run
				}
				// A machine busy starting three instances may time a
				// fetch out: try again a few times before giving up.
				for attempt, wait := 1, time.Second; ; attempt, wait = attempt+1, 2*wait {
					_, err := in.app.fed.FollowPeer(gctx, other.url)
					if err == nil || gctx.Err() != nil {
						break
					}
					logger.Warn("demo peering", "from", in.url, "to", other.url, "attempt", attempt, "err", err)
					if attempt == 5 {
						break
					}
					select {
					case <-time.After(wait):
					case <-gctx.Done():
					}
				}
			}
		}
		return nil
	})
	return g.Wait()
}

// demoEditor gives the instance an editor "editor" with a fresh random
// password and API token, both printed for the person trying the demo.
func demoEditor(ctx context.Context, a *app) (password, token string, err error) {
	b := make([]byte, 12)
	rand.Read(b)
	password = base64.RawURLEncoding.EncodeToString(b)
	if _, err = a.db.CreateUser(ctx, "editor", commons.RoleEditor, password); commons.ErrorCode(err) == commons.ECONFLICT {
		err = a.db.SetPassword(ctx, "editor", password)
	}
	if err != nil {
		return "", "", err
	}
	token, err = a.db.CreateToken(ctx, "editor", "demo")
	return password, token, err
}
