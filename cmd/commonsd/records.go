package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/web"
)

// maxLine bounds one JSON Lines record.
const maxLine = 4 << 20

// Export and import formats.
const (
	formatJSONL = "jsonl"
	formatCSV   = "csv"
)

// recordFormat returns the format a flag names, or else the one a file's
// extension implies (JSON Lines by default).
func recordFormat(flagValue, path string) (string, error) {
	switch flagValue {
	case formatCSV, formatJSONL:
		return flagValue, nil
	case "":
	default:
		return "", usagef("--format: %q is not csv or jsonl", flagValue)
	}
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return formatCSV, nil
	}
	return formatJSONL, nil
}

func cmdRecordImport(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "record import", "FILE|- [--format csv|jsonl] [--skip-invalid]",
		"import records from JSON Lines (one record a line) or the directory's CSV; all or nothing unless --skip-invalid")
	skip := fs.Bool("skip-invalid", false, "store the valid records and report each rejected line")
	format := fs.String("format", "", "csv or jsonl; default from the file's extension (.csv), else jsonl")
	pos, err := parse(c, fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("record import: want one FILE (or - for standard input), got %d arguments", len(pos))
	}
	f, err := recordFormat(*format, pos[0])
	if err != nil {
		return err
	}
	in := c.stdin
	if pos[0] != "-" {
		fh, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer fh.Close()
		in = fh
	}
	cfg, err := LoadConfig(*configPath, c.getenv)
	if err != nil {
		return err
	}
	base := strings.TrimRight(cfg.Server.BaseURL, "/")
	var (
		recs  []*commons.Record
		lines []int
		bad   []string
	)
	if f == formatCSV {
		rows, rejected, err := web.ReadCSV(in, base, *skip)
		if err != nil {
			return fmt.Errorf("%s (nothing was imported)", commons.ErrorMessage(err))
		}
		for _, r := range rows {
			recs, lines = append(recs, r.Record), append(lines, r.Line)
		}
		for _, e := range rejected {
			bad = append(bad, commons.ErrorMessage(e))
		}
	} else if recs, lines, bad, err = readJSONLines(in, base, *skip); err != nil {
		return err
	}
	db, err := openStore(ctx, c, *configPath)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.ImportRecords(ctx, recs, store.ImportOptions{Actor: "import", SkipInvalid: *skip})
	var ie *store.ImportError
	if errors.As(err, &ie) {
		return fmt.Errorf("line %d (%s): %s (nothing was imported)", lines[ie.Index], ie.Slug, commons.ErrorMessage(ie.Cause()))
	} else if err != nil {
		return err
	}
	for _, r := range res.Rejected {
		bad = append(bad, fmt.Sprintf("line %d (%s): %s", lines[r.Index], r.Slug, commons.ErrorMessage(r.Err)))
	}
	for _, b := range bad {
		fmt.Fprintln(c.stderr, "rejected", b)
	}
	fmt.Fprintf(c.stdout, "imported %d records: %d created, %d updated, %d unchanged, %d rejected\n",
		res.Created+res.Updated+res.Unchanged, res.Created, res.Updated, res.Unchanged, len(bad))
	return nil
}

// readJSONLines decodes one record a line, skipping blank lines. It returns
// the records, the line number of each, and (with skip) the lines it could
// not decode; without skip the first bad line is the error. A copy of
// another instance's record (its provenance names another origin) is
// refused: only local records are imported.
func readJSONLines(in io.Reader, base string, skip bool) (recs []*commons.Record, lines []int, bad []string, err error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		r, err := commons.DecodeRecord(bytes.NewReader(b))
		if err == nil && r.Provenance.Origin != "" && r.Provenance.Origin != base {
			err = commons.Errorf(commons.EINVALID, "a copy of a record of %s; only local records can be imported", r.Provenance.Origin)
		}
		if err != nil {
			if !skip {
				return nil, nil, nil, fmt.Errorf("line %d: %s (nothing was imported)", n, commons.ErrorMessage(err))
			}
			bad = append(bad, fmt.Sprintf("line %d: %s", n, commons.ErrorMessage(err)))
			continue
		}
		recs = append(recs, r)
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, nil, fmt.Errorf("line %d: longer than %d bytes", n+1, maxLine)
		}
		return nil, nil, nil, fmt.Errorf("read: %w", err)
	}
	return recs, lines, bad, nil
}

func cmdRecordExport(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "record export", "[--output FILE] [--format csv|jsonl] [--remote]",
		"export records as JSON Lines (one record a line) or the directory's CSV, in slug order")
	output := fs.String("output", "-", "`file` to write (written whole or not at all); - for standard output")
	format := fs.String("format", "", "csv or jsonl; default from the output's extension (.csv), else jsonl")
	remote := fs.Bool("remote", false, "also export remote copies of other instances' records")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
	f, err := recordFormat(*format, *output)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(*configPath, c.getenv)
	if err != nil {
		return err
	}
	base := strings.TrimRight(cfg.Server.BaseURL, "/")
	db, err := openStore(ctx, c, *configPath)
	if err != nil {
		return err
	}
	defer db.Close()
	w := c.stdout
	var tmp *os.File
	if *output != "-" {
		tmp, err = os.CreateTemp(filepath.Dir(*output), ".export-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		w = tmp
	}
	bw := bufio.NewWriter(w)
	n := 0
	if f == formatCSV {
		// The header names every language present: read them all first.
		var recs []*commons.Record
		if err := db.ExportRecords(ctx, *remote, func(r *commons.Record) error { recs = append(recs, r); return nil }); err != nil {
			return err
		}
		n = len(recs)
		if err := web.WriteCSV(bw, recs, base); err != nil {
			return err
		}
	} else {
		enc := web.NewJSONLinesEncoder(bw, base)
		if err := db.ExportRecords(ctx, *remote, func(r *commons.Record) error { n++; return enc.Encode(r) }); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *output); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "exported %d records to %s\n", n, *output)
	}
	return nil
}
