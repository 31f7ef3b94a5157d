package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module build information.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// usageError is a mistake in the command line; main exits 2 for it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// cli carries the process's surroundings, so that tests run commands
// in-process with their own environment and buffers.
type cli struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	name, args, help string
	run              func(ctx context.Context, c *cli, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "", "run the server (the default command)", cmdServe},
		{"migrate", "", "apply pending database migrations and exit", cmdMigrate},
		{"backup", "FILE", "write a consistent copy of the database to FILE, a new file, while the server runs", cmdBackup},
		{"store copy", "--from sqlite:PATH|postgres:URL --to …", "copy the whole database into a new, empty one of either kind, keys included, and check the counts", cmdStoreCopy},
		{"user add", "NAME --role editor|admin", "create a user; the password is read from a prompt or standard input", cmdUserAdd},
		{"user list", "", "list users", cmdUserList},
		{"token create", "USER [--label TEXT]", "create an API token for a user and print it once", cmdTokenCreate},
		{"record import", "FILE|- [--format csv|jsonl] [--skip-invalid]", "import records from JSON Lines or CSV (one transaction unless --skip-invalid)", cmdRecordImport},
		{"record export", "[--output FILE] [--format csv|jsonl] [--remote]", "export records as JSON Lines or CSV", cmdRecordExport},
		{"record import-publiccode", "FILE|URL... [--list FILE] [--dry-run]", "import publiccode.yml files: create or update the record keyed by each file's url", cmdRecordImportPubliccode},
		{"block add", "DOMAIN [--reason TEXT]", "block a domain: refuse its requests, deliver nothing to it, purge what we hold of it", cmdBlockAdd},
		{"block remove", "DOMAIN", "lift a domain block", cmdBlockRemove},
		{"block list", "", "list blocked domains", cmdBlockList},
		{"block import", "FILE.csv", "block every domain of a Mastodon domain-block CSV", cmdBlockImport},
		{"harvest add", "URL... [--list FILE]", "list publiccode.yml files (or repositories) for the server to re-read on its schedule", cmdHarvestAdd},
		{"harvest list", "", "list the publiccode.yml files the server re-reads, with their last read and error", cmdHarvestList},
		{"harvest remove", "URL", "stop re-reading a publiccode.yml (its record stays)", cmdHarvestRemove},
		{"harvest run", "", "read every listed publiccode.yml now and import the changed ones", cmdHarvestRun},
		{"peer follow", "URL", "ask another instance to let this one follow it and replicate its records", cmdPeerFollow},
		{"peer list", "", "list peers with their state, records, last contact and last error", cmdPeerList},
		{"peer unfollow", "HOST", "stop following a peer", cmdPeerUnfollow},
		{"peer approve", "HOST", "accept a peer's request to follow this instance", cmdPeerApprove},
		{"peer reject", "HOST", "refuse a peer's request to follow this instance", cmdPeerReject},
		{"peer sync", "[--full] [HOST]", "reconcile the records of followed peers now", cmdPeerSync},
		{"deliveries", "", "show the delivery queue and the inboxes that are failing", cmdDeliveries},
		{"demo", "[--host H] [--port P] [--data DIR]", "run three demo instances (France, Germany, EU) on loopback", cmdDemo},
		{"healthcheck", "", "exit 0 if the local server answers /healthz", cmdHealthcheck},
		{"version", "", "print the version", cmdVersion},
	}
}

// run is the whole program: main only adds the process's signals and exit
// codes. args[0] is the program name.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	rest := args[1:]
	if len(rest) == 0 || strings.HasPrefix(rest[0], "-") && rest[0] != "-h" && rest[0] != "--help" {
		return cmdServe(ctx, c, rest)
	}
	if rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		printUsage(stdout)
		return nil
	}
	for _, cmd := range commands() {
		words := strings.Fields(cmd.name)
		if len(rest) >= len(words) && strings.Join(rest[:len(words)], " ") == cmd.name {
			return cmd.run(ctx, c, rest[len(words):])
		}
	}
	printUsage(stderr)
	return usagef("unknown command %q", strings.Join(rest, " "))
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "commonsd %s — a federated directory of digital commons\n\nUsage: commonsd <command> [flags]\n\nCommands:\n", buildVersion())
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-14s %-40s %s\n", cmd.name, cmd.args, cmd.help)
	}
	fmt.Fprint(w, "\nEvery command takes --config FILE (or COMMONSD_CONFIG) and --help.\n")
}

// newFlags returns a flag set for a subcommand whose --help prints the
// command's usage to stdout.
func newFlags(c *cli, name, args, help string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	config := fs.String("config", c.getenv("COMMONSD_CONFIG"), "TOML configuration `file`")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: commonsd %s %s\n\n%s.\n\nFlags:\n", name, args, help)
		fs.PrintDefaults()
	}
	return fs, config
}

// parse parses args with fs, turning --help into a clean exit and any other
// mistake into a usage error. Flags may come before or after positional
// arguments.
func parse(c *cli, fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	// The flag package prints the usage itself, to the output, for --help
	// as for a mistake: here --help prints it once, to stdout, and a
	// mistake to stderr after the flag package's line naming it.
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(c.stdout)
				usage()
				return nil, errHelp
			}
			usage()
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// errHelp ends a command after it printed its help.
var errHelp = errors.New("help shown")

func helpOK(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func cmdVersion(_ context.Context, c *cli, args []string) error {
	fs, _ := newFlags(c, "version", "", "print the version")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	fmt.Fprintln(c.stdout, "commonsd", buildVersion())
	return nil
}

// newLogger builds the one logger of the process.
func newLogger(cfg Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level)) // validated by Config.Validate
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
