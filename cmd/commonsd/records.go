package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// maxLine bounds one JSON Lines record.
const maxLine = 4 << 20

func cmdRecordImport(ctx context.Context, c *cli, args []string) error {
	fs, configPath := newFlags(c, "record import", "FILE|- [--skip-invalid]", "import records from a JSON Lines file, one record a line; all or nothing unless --skip-invalid")
	skip := fs.Bool("skip-invalid", false, "store the valid records and report each rejected line")
	pos, err := parse(c, fs, args)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) != 1 {
		return usagef("record import: want one FILE (or - for standard input), got %d arguments", len(pos))
	}
	in := c.stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	recs, lines, bad, err := readJSONLines(in, *skip)
	if err != nil {
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
// not decode; without skip the first bad line is the error.
func readJSONLines(in io.Reader, skip bool) (recs []*commons.Record, lines []int, bad []string, err error) {
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
	fs, configPath := newFlags(c, "record export", "[--output FILE] [--remote]", "export records as JSON Lines, one record a line, in slug order")
	output := fs.String("output", "-", "`file` to write (written whole or not at all); - for standard output")
	remote := fs.Bool("remote", false, "also export remote copies of other instances' records")
	if _, err := parse(c, fs, args); err != nil {
		return helpOK(err)
	}
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
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	if err := db.ExportRecords(ctx, *remote, func(r *commons.Record) error { n++; return enc.Encode(r) }); err != nil {
		return err
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
