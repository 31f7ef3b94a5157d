package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/store"
)

// withFederation runs fn on the federation of the configuration's store,
// without its workers: a running server delivers what fn queues within a
// second (its poll interval).
func withFederation(ctx context.Context, c *cli, configPath string, fn func(*federation.Federation) error) error {
	cfg, err := LoadConfig(configPath, c.getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.Log, c.stderr)
	db, err := store.Open(ctx, cfg.Store.options(cfg.Server.BaseURL, logger))
	if err != nil {
		return err
	}
	defer db.Close()
	f := federation.New(federation.Options{
		DB: db, BaseURL: cfg.Server.BaseURL, InstanceName: cfg.Server.InstanceName.In(cfg.Server.Language),
		Description: cfg.Server.Description.In(cfg.Server.Language), InstanceNames: cfg.Server.InstanceName.Map(cfg.Server.Language),
		Descriptions: cfg.Server.Description.Map(cfg.Server.Language),
		Lang:         cfg.Server.Language, Version: buildVersion(), Logger: logger,
		AllowPrivate: cfg.Federation.AllowPrivateAddresses, PeerPolicy: cfg.Federation.PeerPolicy,
	})
	defer f.Close()
	return fn(f)
}

func cmdPeerFollow(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "peer follow", "URL", "ask another Commons Directory instance (its address or host name) to let this one follow it and replicate its records; the running server delivers the request")
	target, err := parseOne(c, fs, args, "URL")
	if err != nil {
		return helpOK(err)
	}
	return withFederation(ctx, c, *configPath, func(f *federation.Federation) error {
		p, err := f.FollowPeer(ctx, target)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "asked to follow %s (%s); its answer arrives in the inbox\n", p.Host, p.Actor)
		return nil
	})
}

func cmdPeerList(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "peer list", "", "list peers: whether this instance follows them (out) and they follow it (in), their records held here, "+
		"the last reconciliation (when, how long ago, its requests, bytes and record documents), last contact and last error")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	return withFederation(ctx, c, *configPath, func(f *federation.Federation) error {
		ps, err := f.Peers(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HOST\tOUT\tIN\tRECORDS\tLAST SYNC\tBEHIND\tREQUESTS\tBYTES\tDOCUMENTS\tLAST CONTACT\tLAST ERROR")
		for _, p := range ps {
			behind := "-"
			if !p.LastSync.IsZero() {
				behind = p.Behind(now).String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", p.Host, state(p.Outgoing), state(p.Incoming), p.Records,
				when(p.LastSync), behind, p.SyncRequests, byteSize(p.SyncBytes), p.SyncDocuments, when(p.LastContact), p.LastError)
		}
		return tw.Flush()
	})
}

// byteSize writes a number of bytes in binary units: 512 B, 1.5 KiB.
func byteSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, units := float64(n)/1024, []string{"KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

func state(s commons.PeerState) string {
	if s == commons.PeerNone {
		return "-"
	}
	return string(s)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// peerAction is a peer subcommand that acts on one peer by host.
func peerAction(name, help string, act func(*federation.Federation, context.Context, string) error, done string) func(context.Context, *cli, []string) error {
	return func(ctx context.Context, c *cli, args []string) error {
		fs, configPath := newFlags(c, name, "HOST", help)
		host, err := parseOne(c, fs, args, "HOST")
		if err != nil {
			return helpOK(err)
		}
		return withFederation(ctx, c, *configPath, func(f *federation.Federation) error {
			if err := act(f, ctx, host); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s %s\n", done, host)
			return nil
		})
	}
}

var (
	cmdPeerUnfollow = peerAction("peer unfollow", "stop following a peer; its records stay, read-only", (*federation.Federation).UnfollowPeer, "unfollowed")
	cmdPeerApprove  = peerAction("peer approve", "accept a peer's pending request to follow this instance", (*federation.Federation).ApprovePeer, "approved")
	cmdPeerReject   = peerAction("peer reject", "refuse a peer's request to follow this instance, or end its follow", (*federation.Federation).RejectPeer, "rejected")
)

func cmdPeerSync(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "peer sync", "[HOST]", "reconcile the records of one followed peer, or of all, with their record collections now")
	full := fs.Bool("full", false, "compare the whole of each collection, not only what changed since the last reconciliation (only the records that differ are fetched)")
	pos, err := parse(c, fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) > 1 {
		return usagef("peer sync: want at most one HOST, got %d arguments", len(pos))
	}
	return withFederation(ctx, c, *configPath, func(f *federation.Federation) error {
		hosts := pos
		if len(hosts) == 0 {
			ps, err := f.Peers(ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.Outgoing == commons.PeerAccepted {
					hosts = append(hosts, p.Host)
				}
			}
		}
		sync := f.SyncPeer
		if *full {
			sync = f.SyncPeerFull
		}
		for _, h := range hosts {
			if err := sync(ctx, h); err != nil {
				return fmt.Errorf("sync %s: %w", h, err)
			}
			ps, err := f.Peers(ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.Host == h || p.Actor == h {
					fmt.Fprintf(c.stdout, "synchronised %s: %d requests, %s, %d record documents\n", h, p.SyncRequests, byteSize(p.SyncBytes), p.SyncDocuments)
				}
			}
		}
		return nil
	})
}

func cmdBlockImport(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "block import", "FILE.csv", "block every domain of a Mastodon domain-block export (or a list of domains, one per line); nothing is blocked if a line is wrong")
	path, err := parseOne(c, fs, args, "FILE")
	if err != nil {
		return helpOK(err)
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	blocks, err := commons.ParseDomainBlocksCSV(file)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		for _, b := range blocks {
			if err := db.BlockDomain(ctx, b); err != nil {
				return err
			}
		}
		fmt.Fprintf(c.stdout, "blocked %d domains\n", len(blocks))
		return nil
	})
}
