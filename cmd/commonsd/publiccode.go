package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/publiccode"
)

func cmdRecordImportPubliccode(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "record import-publiccode", "FILE|URL... [--list FILE] [--dry-run]",
		"import publiccode.yml files: each creates or updates the record keyed by its url; each file is all or nothing")
	list := fs.String("list", "", "`file` of sources, one file path or URL a line (# starts a comment); - for standard input")
	dry := fs.Bool("dry-run", false, "check and compare, store nothing")
	sources, err := parse(c, fs, args)
	if err != nil {
		return helpOK(err)
	}
	if sources, err = withSourceList(c, sources, *list); err != nil {
		return err
	}
	if len(sources) == 0 {
		return usagef("record import-publiccode: name at least one FILE or URL, or --list FILE")
	}
	cfg, err := LoadConfig(*configPath, c.getenv)
	if err != nil {
		return err
	}
	client := federation.NewHTTPClient(federation.ClientOptions{
		AllowPrivate: cfg.Federation.AllowPrivateAddresses,
		UserAgent:    "commonsd/" + buildVersion(),
	})
	db, err := openStore(ctx, c, *configPath)
	if err != nil {
		return err
	}
	defer db.Close()
	failed := 0
	for _, src := range sources {
		var b []byte
		var srcURL string
		if isURL(src) {
			b, err = publiccode.Fetch(ctx, client, src)
			srcURL = src
		} else {
			b, err = os.ReadFile(src)
		}
		var out *publiccode.Outcome
		if err == nil {
			out, err = publiccode.Import(ctx, db, b, publiccode.ImportOptions{Name: src, SourceURL: srcURL, Actor: "import", DryRun: *dry})
		}
		if err != nil {
			failed++
			var pe *publiccode.ParseError
			if errors.As(err, &pe) {
				fmt.Fprintln(c.stderr, pe.Error())
			} else {
				fmt.Fprintf(c.stderr, "%s: %s\n", src, commons.ErrorMessage(err))
			}
			fmt.Fprintf(c.stderr, "%s: nothing was imported\n", src)
			continue
		}
		printOutcome(c.stdout, src, out, *dry)
		for _, w := range out.Warnings {
			fmt.Fprintln(c.stderr, "warning:", w.String())
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d publiccode.yml files were not imported", failed, len(sources))
	}
	return nil
}

// printOutcome says what an import did, with the change in words.
func printOutcome(w io.Writer, src string, out *publiccode.Outcome, dry bool) {
	verb := out.Action
	if dry {
		verb = "would be " + verb
	}
	fmt.Fprintf(w, "%s: record %s %s\n", src, out.Record.Slug, verb)
	if out.Action == publiccode.Updated {
		for _, line := range federation.Describe(out.Previous, out.Record, "en") {
			fmt.Fprintf(w, "  %s\n", line)
		}
		fmt.Fprintf(w, "  fields changed: %s\n", strings.Join(out.Changes, ", "))
	}
}

func isURL(s string) bool { return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") }

// withSourceList adds to sources those of the --list file, when one is
// named.
func withSourceList(c *cli, sources []string, list string) ([]string, error) {
	if list == "" {
		return sources, nil
	}
	more, err := readSourceList(c, list)
	if err != nil {
		return nil, err
	}
	return append(sources, more...), nil
}

// readSourceList reads one source a line, skipping blanks and comments.
func readSourceList(c *cli, path string) ([]string, error) {
	in := c.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	var out []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
