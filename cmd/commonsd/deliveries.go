package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/commons-directory/commons/store"
)

func cmdDeliveries(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "deliveries", "", "show the delivery queue and the inboxes that are failing")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	return withStore(ctx, c, *configPath, func(db *store.DB) error {
		pending, failing, err := db.DeliveryQueue(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%d deliveries queued; %d inboxes failing\n", pending, len(failing))
		if len(failing) == 0 {
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nINBOX\tSTATE\tFAILURES\tSINCE\tLAST ERROR")
		for _, h := range failing {
			state := "retrying"
			if h.Unreachable {
				state = "unreachable"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", h.Inbox, state, h.Failures, h.FirstFailure.Format("2006-01-02 15:04"), h.LastError)
		}
		return tw.Flush()
	})
}
