// Package demo holds the records that seed the demo instances of Commons
// Directory: real European digital commons (Wikipedia, OpenStreetMap, the
// Base Adresse Nationale, Panoramax, Nextcloud, ...), each assigned to the
// instance that would be its home.
//
// The records live in records.json, embedded in the binary, and are written
// only from public facts; where a fact was not certain (a licence version, a
// Wikidata QID, a donation page) the field is left out. This package decodes
// and checks them; storing them is the caller's business (cmd/commonsd seeds
// a store with them).
package demo

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/commons-directory/commons"
)

//go:embed records.json
var recordsJSON []byte

// programmesJSON holds the demo funding programmes: real ones, written
// from their funders' public descriptions on the date each names in
// "checked", without fetching them again; an editor should verify them
// at the source. A fact not certain is left out.
//
//go:embed programmes.json
var programmesJSON []byte

// Homes are the demo instances, in the order `commonsd demo` starts them:
//
//   - "fr": a French national directory, home of French commons such as the
//     Base Adresse Nationale, Panoramax, OpenFisca and Framasoft;
//   - "de": a German national directory, home of commons with German
//     stewards such as Wikidata, Nextcloud, LibreOffice and Codeberg;
//   - "eu": an EU-wide directory, home of commons that belong to no single
//     member state, such as Wikipedia, Linux, OpenStreetMap and Europeana.
var Homes = []string{"fr", "de", "eu"}

// Entry is one demo record and the demo instance it belongs to.
type Entry struct {
	Home   string          `json:"home"`   // one of Homes
	Record *commons.Record `json:"record"` // normalised, Provenance.Source "demo"
}

// Records returns every demo record with its home, in file order. Each call
// decodes afresh, so callers may change what they get. The file is decoded
// strictly (an unknown field is an error) and every record is normalised
// and validated.
func Records() ([]Entry, error) {
	return decode(recordsJSON)
}

// Programmes returns every demo funding programme with its home, in file
// order, decoded and checked as Records does.
func Programmes() ([]Entry, error) {
	return decode(programmesJSON)
}

// ForHome returns fresh copies of the records, then the funding
// programmes, whose home is home. An unknown
// home is an ENOTFOUND error.
func ForHome(home string) ([]*commons.Record, error) {
	if !slices.Contains(Homes, home) {
		return nil, commons.Errorf(commons.ENOTFOUND, "no demo instance %q; the demo homes are %s", home, strings.Join(Homes, ", "))
	}
	entries, err := Records()
	if err != nil {
		return nil, err
	}
	programmes, err := Programmes()
	if err != nil {
		return nil, err
	}
	entries = append(entries, programmes...)
	var rs []*commons.Record
	for _, e := range entries {
		if e.Home == home {
			rs = append(rs, e.Record)
		}
	}
	return rs, nil
}

// decode reads a JSON array of entries, rejecting unknown fields, trailing
// data, unknown homes, missing records and invalid records.
func decode(data []byte) ([]Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var entries []Entry
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("decode demo records: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode demo records: data after the array")
	}
	for i, e := range entries {
		if e.Record == nil {
			return nil, fmt.Errorf("demo record %d: no record", i)
		}
		if !slices.Contains(Homes, e.Home) {
			return nil, fmt.Errorf("demo record %d (%s): home %q is not one of %s", i, e.Record.Slug, e.Home, strings.Join(Homes, ", "))
		}
		r := e.Record
		r.Provenance = commons.Provenance{Source: "demo"}
		r.Normalize()
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("demo record %d (%s): %w", i, r.Slug, err)
		}
	}
	return entries, nil
}
