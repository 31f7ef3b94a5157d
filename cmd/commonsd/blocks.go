package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/commons-directory/commons/store"
)

func cmdBlockAdd(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "block add", "DOMAIN [--reason TEXT]", "block a domain and its subdomains: their requests are refused, nothing is delivered to them, and what we hold of them is purged")
	reason := fs.String("reason", "", "why, for the operators who come after you")
	domain, err := parseOne(c, fs, args, "DOMAIN")
	if err != nil {
		return helpOK(err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		if err := db.BlockDomain(ctx, store.DomainBlock{Domain: domain, Severity: "suspend", Reason: *reason}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "blocked %s\n", domain)
		return nil
	})
}

func cmdBlockRemove(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "block remove", "DOMAIN", "lift a domain block; nothing purged comes back by itself")
	domain, err := parseOne(c, fs, args, "DOMAIN")
	if err != nil {
		return helpOK(err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		if err := db.UnblockDomain(ctx, domain); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "unblocked %s\n", domain)
		return nil
	})
}

func cmdBlockList(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "block list", "", "list blocked domains")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		blocks, err := db.DomainBlocks(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		for _, b := range blocks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Domain, b.Severity, b.Created.Format("2006-01-02"), b.Reason)
		}
		return tw.Flush()
	})
}
