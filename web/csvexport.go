package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/commons-directory/commons"
)

// Media types of the directory exports.
const (
	mediaCSV   = "text/csv; charset=utf-8; header=present"
	mediaJSONL = "application/jsonl; charset=utf-8"
)

// portableRecord is a local record as the JSON Lines export writes it: its
// content and source, without what the instance sets (id, origin, dates,
// version, hash), which an import sets anew. The outer fields shadow the
// embedded record's.
type portableRecord struct {
	*commons.Record
	ID         string             `json:"id,omitempty"`
	Provenance portableProvenance `json:"provenance"`
}

type portableProvenance struct {
	Source    string `json:"source"`
	SourceURL string `json:"source_url,omitempty"`
}

// JSONLinesEncoder writes records as JSON Lines: local records (origin
// base) in portable form, remote copies whole, so that their id and origin
// say whose they are.
type JSONLinesEncoder struct {
	enc  *json.Encoder
	base string
}

// NewJSONLinesEncoder returns an encoder writing to w for the instance at
// base.
func NewJSONLinesEncoder(w io.Writer, base string) *JSONLinesEncoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONLinesEncoder{enc: enc, base: base}
}

// Encode writes one record and a newline.
func (e *JSONLinesEncoder) Encode(r *commons.Record) error {
	if r.Provenance.Origin != e.base {
		return e.enc.Encode(r)
	}
	return e.enc.Encode(portableRecord{Record: r, Provenance: portableProvenance{Source: r.Provenance.Source, SourceURL: r.Provenance.SourceURL}})
}

// handleExportCSV answers /export/records.csv: every local record (and with
// ?remote=1 the copies), in slug order.
func (s *server) handleExportCSV(w http.ResponseWriter, r *http.Request) error {
	remote, err := flagParam(r, "remote")
	if err != nil {
		return err
	}
	var recs []*commons.Record
	if err := s.dir.ExportRecords(r.Context(), remote, func(rec *commons.Record) error {
		recs = append(recs, rec)
		return nil
	}); err != nil {
		return fmt.Errorf("export records as csv: %w", err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, recs, s.base); err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="records.csv"`)
	writeExport(w, r, mediaCSV, buf.Bytes())
	return nil
}

// handleExportJSONL answers /export/records.jsonl, streaming: the export
// can be large and has no header to compute first.
func (s *server) handleExportJSONL(w http.ResponseWriter, r *http.Request) error {
	remote, err := flagParam(r, "remote")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", mediaJSONL)
	h.Set("Content-Disposition", `attachment; filename="records.jsonl"`)
	h["Cache-Control"] = hdrNoCache
	if r.Method == http.MethodHead {
		return nil
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := NewJSONLinesEncoder(bw, s.base)
	started := false
	err = s.dir.ExportRecords(r.Context(), remote, func(rec *commons.Record) error {
		started = true
		return enc.Encode(rec)
	})
	if err != nil && !started {
		h.Del("Content-Disposition")
		return fmt.Errorf("export records as json lines: %w", err)
	} else if err != nil {
		// The status is sent: cut the body short so the client sees an
		// incomplete file rather than a complete-looking one.
		panic(http.ErrAbortHandler)
	}
	if err := bw.Flush(); err != nil {
		return nil //nolint:nilerr // the client went away
	}
	return nil
}
