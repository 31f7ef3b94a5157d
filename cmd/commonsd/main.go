// Command commonsd runs a Commons Directory instance: a directory of digital
// commons that federates with other instances over ActivityPub.
//
// Run "commonsd help" for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := checkEnviron(os.Environ())
	if err == nil {
		err = run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "commonsd:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
