package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/commons-directory/commons"
)

// The directory's CSV, one record a row after one header row. Columns, in
// this order (a file may leave any out but slug, in any order):
//
//	slug
//	name.<lang>…, summary.<lang>…, description.<lang>…   one per language present in the export
//	kinds, languages                                      space-separated tokens
//	status, logo, links.<key>…                            plain values
//	sectors, keywords, countries, licences, organisations,
//	identifiers, relations, governance, funding           JSON cells ([] and {} as empty)
//	source, source_url                                    where the record came from
//	origin                                                empty for local records; a copy's home instance
//
// The instance's own data (id, dates, version, hash) is left out: an import
// sets it anew, so that export → import → export gives the same bytes.

// textColumns are the language-map fields, each a group of columns.
var textColumns = []string{"name", "summary", "description"}

// linkKeys are the links.* columns, in Links' order.
var linkKeys = []string{"homepage", "repository", "documentation", "api_documentation", "data_portal", "issue_tracker", "roadmap", "forum", "fediverse"}

// csvFixed are the columns after the language ones.
var csvFixed = func() []string {
	c := []string{"kinds", "languages", "status", "logo"}
	for _, k := range linkKeys {
		c = append(c, "links."+k)
	}
	return append(c, "sectors", "keywords", "countries", "licences", "organisations", "identifiers", "relations", "governance", "funding", "source", "source_url", "origin")
}()

// CSVHeader returns the header row for recs: slug, the language columns of
// every language present, then the fixed columns.
func CSVHeader(recs []*commons.Record) []string {
	h := []string{"slug"}
	for _, f := range textColumns {
		var langs []string
		for _, r := range recs {
			for l := range recordText(r, f) {
				if !slices.Contains(langs, l) {
					langs = append(langs, l)
				}
			}
		}
		slices.Sort(langs)
		for _, l := range langs {
			h = append(h, f+"."+l)
		}
	}
	return append(h, csvFixed...)
}

func recordText(r *commons.Record, field string) commons.Text {
	switch field {
	case "name":
		return r.Name
	case "summary":
		return r.Summary
	}
	return r.Description
}

// WriteCSV writes recs as the directory's CSV. base is the instance's URL:
// records whose origin it is are local and get an empty origin cell.
func WriteCSV(w io.Writer, recs []*commons.Record, base string) error {
	cw := csv.NewWriter(w)
	header := CSVHeader(recs)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	row := make([]string, len(header))
	for _, r := range recs {
		for i, col := range header {
			v, err := csvCell(r, col, base)
			if err != nil {
				return fmt.Errorf("write csv: record %s: %w", r.Slug, err)
			}
			row[i] = v
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func csvCell(r *commons.Record, col, base string) (string, error) {
	if f, lang, ok := strings.Cut(col, "."); ok && slices.Contains(textColumns, f) {
		return recordText(r, f)[lang], nil
	}
	if k, ok := strings.CutPrefix(col, "links."); ok {
		return linkValue(&r.Links, k), nil
	}
	switch col {
	case "slug":
		return r.Slug, nil
	case "kinds":
		return strings.Join(r.Kinds, " "), nil
	case "languages":
		return strings.Join(r.Languages, " "), nil
	case "status":
		return r.Status, nil
	case "logo":
		return r.Logo, nil
	case "source":
		return r.Provenance.Source, nil
	case "source_url":
		return r.Provenance.SourceURL, nil
	case "origin":
		if r.Provenance.Origin == base {
			return "", nil
		}
		return r.Provenance.Origin, nil
	case "sectors":
		return jsonCell(r.Sectors, len(r.Sectors) == 0)
	case "keywords":
		return jsonCell(r.Keywords, len(r.Keywords) == 0)
	case "countries":
		return jsonCell(r.Countries, len(r.Countries) == 0)
	case "licences":
		return jsonCell(r.Licences, len(r.Licences) == 0)
	case "organisations":
		return jsonCell(r.Organisations, len(r.Organisations) == 0)
	case "identifiers":
		return jsonCell(r.Identifiers, len(r.Identifiers) == 0)
	case "relations":
		return jsonCell(r.Relations, len(r.Relations) == 0)
	case "governance":
		return jsonCell(r.Governance, r.Governance == nil)
	case "funding":
		return jsonCell(r.Funding, r.Funding == nil)
	}
	return "", fmt.Errorf("unknown column %q", col)
}

func jsonCell(v any, empty bool) (string, error) {
	if empty {
		return "", nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// linkValue returns the link with the JSON key k; linkField its address.
func linkValue(l *commons.Links, k string) string { return *linkField(l, k) }

func linkField(l *commons.Links, k string) *string {
	switch k {
	case "homepage":
		return &l.Homepage
	case "repository":
		return &l.Repository
	case "documentation":
		return &l.Documentation
	case "api_documentation":
		return &l.APIDocumentation
	case "data_portal":
		return &l.DataPortal
	case "issue_tracker":
		return &l.IssueTracker
	case "roadmap":
		return &l.Roadmap
	case "forum":
		return &l.Forum
	case "fediverse":
		return &l.Fediverse
	}
	return nil
}

// CSVRow is one decoded CSV row: the record and the line it starts on.
type CSVRow struct {
	Line   int
	Record *commons.Record
}

// ReadCSV decodes the directory's CSV. A header naming an unknown or
// repeated column, or without slug, is one EINVALID error naming the
// column. A row that cannot be decoded is an EINVALID error naming its line
// and column ("line 5: countries: …"); with skip, such rows are returned in
// bad instead and the others decoded. Rows are not validated: the importer
// does that. A row whose origin is another instance is refused: a copy is
// not for import.
func ReadCSV(in io.Reader, base string, skip bool) (rows []CSVRow, bad []error, err error) {
	cr := csv.NewReader(in)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, commons.Errorf(commons.EINVALID, "the CSV is empty: a header row was expected")
	} else if err != nil {
		return nil, nil, csvError(err)
	}
	if err := checkCSVHeader(header); err != nil {
		return nil, nil, err
	}
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		r, err := csvRecord(header, cells, base, func(i int) int { l, _ := cr.FieldPos(i); return l })
		if err != nil {
			if !skip {
				return nil, nil, err
			}
			bad = append(bad, err)
			continue
		}
		rows = append(rows, CSVRow{Line: line, Record: r})
	}
	return rows, bad, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return commons.Errorf(commons.EINVALID, "line %d, column %d: malformed CSV: %v", pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("read csv: %w", err)
}

func checkCSVHeader(header []string) error {
	seen := map[string]int{}
	for i, col := range header {
		if i == 0 {
			col = strings.TrimPrefix(col, "\uFEFF") // a spreadsheet's byte-order mark
			header[0] = col
		}
		if !knownColumn(col) {
			return commons.Errorf(commons.EINVALID, "line 1: column %d %q is not a column of the directory's CSV (%s, %s.<lang>…, %s)",
				i+1, col, "slug", strings.Join(textColumns, ".<lang>…, "), strings.Join(csvFixed, ", "))
		}
		if j, ok := seen[col]; ok {
			return commons.Errorf(commons.EINVALID, "line 1: column %d %q repeats column %d", i+1, col, j+1)
		}
		seen[col] = i
	}
	if _, ok := seen["slug"]; !ok {
		return commons.Errorf(commons.EINVALID, "line 1: the header has no slug column")
	}
	return nil
}

func knownColumn(col string) bool {
	if col == "slug" || slices.Contains(csvFixed, col) {
		return true
	}
	f, lang, ok := strings.Cut(col, ".")
	if !ok || !slices.Contains(textColumns, f) {
		return false
	}
	c, err := commons.CanonicalLanguage(lang)
	return err == nil && c == lang
}

// csvRecord decodes one row; lineOf gives the line of a cell.
func csvRecord(header, cells []string, base string, lineOf func(int) int) (*commons.Record, error) {
	r := &commons.Record{}
	for i, col := range header {
		v := cells[i]
		if v == "" {
			continue
		}
		if err := setCSVCell(r, col, v, base); err != nil {
			return nil, commons.Errorf(commons.EINVALID, "line %d: %s: %v", lineOf(i), col, err)
		}
	}
	return r, nil
}

func setCSVCell(r *commons.Record, col, v, base string) error {
	if f, lang, ok := strings.Cut(col, "."); ok && slices.Contains(textColumns, f) {
		t := recordText(r, f)
		if t == nil {
			t = commons.Text{}
			switch f {
			case "name":
				r.Name = t
			case "summary":
				r.Summary = t
			default:
				r.Description = t
			}
		}
		t[lang] = v
		return nil
	}
	if k, ok := strings.CutPrefix(col, "links."); ok {
		*linkField(&r.Links, k) = v
		return nil
	}
	switch col {
	case "slug":
		r.Slug = v
	case "kinds":
		r.Kinds = strings.Fields(v)
	case "languages":
		r.Languages = strings.Fields(v)
	case "status":
		r.Status = v
	case "logo":
		r.Logo = v
	case "source":
		r.Provenance.Source = v
	case "source_url":
		r.Provenance.SourceURL = v
	case "origin":
		if v != base {
			return fmt.Errorf("the row is a copy of a record of %s; only local records can be imported", v)
		}
	case "sectors":
		return decodeCell(v, &r.Sectors, "a JSON array of strings")
	case "keywords":
		return decodeCell(v, &r.Keywords, "a JSON array of strings")
	case "countries":
		return decodeCell(v, &r.Countries, `a JSON array of {"code", "role"}`)
	case "licences":
		return decodeCell(v, &r.Licences, `a JSON array of {"expression", "applies_to"}`)
	case "organisations":
		return decodeCell(v, &r.Organisations, `a JSON array of {"name", "url", "role"}`)
	case "identifiers":
		return decodeCell(v, &r.Identifiers, `a JSON array of {"scheme", "value"}`)
	case "relations":
		return decodeCell(v, &r.Relations, `a JSON array of {"type", "target"}`)
	case "governance":
		return decodeCell(v, &r.Governance, "a JSON object")
	case "funding":
		return decodeCell(v, &r.Funding, "a JSON object")
	}
	return nil
}

func decodeCell(v string, dst any, want string) error {
	if err := commons.DecodeStrict(strings.NewReader(v), dst); err != nil {
		return fmt.Errorf("must be %s: %s", want, commons.ErrorMessage(err))
	}
	return nil
}
