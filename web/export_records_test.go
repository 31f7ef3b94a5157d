package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// richRecordJSON uses every field the CSV has a column or cell for.
const richRecordJSON = `{
	"slug": "ban",
	"name": {"fr": "Base Adresse Nationale", "de": "Nationale Adressdatenbank", "en": "National Address Base"},
	"summary": {"fr": "Les adresses de France, \"ouvertes\", avec des virgules, et des\nretours à la ligne."},
	"description": {"fr": "Un **référentiel**."},
	"kinds": ["data", "geodata"],
	"sectors": ["government", "mobility; transport"],
	"keywords": ["adresses", "géocodage"],
	"countries": [{"code": "FR", "role": "origin"}],
	"languages": ["fr"],
	"licences": [{"expression": "etalab-2.0", "applies_to": "data"}],
	"status": "stable",
	"governance": {"model": "public-body", "legal_entity": "DINUM", "open_membership": false},
	"organisations": [{"name": "IGN", "url": "https://www.ign.fr", "role": "steward"}],
	"funding": {"channels": [{"kind": "grant", "url": "https://example.fr/grant"}], "calls": []},
	"links": {"homepage": "https://adresse.data.gouv.fr", "repository": "https://github.com/BaseAdresseNationale", "forum": "https://forum.example.fr"},
	"identifiers": [{"scheme": "wikidata", "value": "Q59655052"}],
	"relations": [{"type": "part-of", "target": "https://data.gouv.fr"}],
	"logo": "https://adresse.data.gouv.fr/logo.png"
}`

// addRemote stores a copy of a record of another instance.
func addRemote(t testing.TB, db *store.DB, origin, slug string) {
	t.Helper()
	rec, err := commons.DecodeRecord(strings.NewReader(recordJSON(slug)))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	rec.ID = origin + "/records/" + slug
	rec.Provenance = commons.Provenance{Origin: origin, Source: "manual", Created: at, Updated: at, Version: 1}
	if _, err := db.ApplyRemote(context.Background(), origin, []store.RemoteChange{{ID: rec.ID, Record: rec}}, at, "", ""); err != nil {
		t.Fatal(err)
	}
}

func (s *testServer) post(t testing.TB, doc string) {
	t.Helper()
	resp, b := s.do(t, req{Method: "POST", Route: "/api/v1/records", Path: "/api/v1/records", Header: auth(s.editor), Body: doc})
	expect(t, resp, b, http.StatusCreated)
}

// TestExportRoundTrip exports the directory, imports the file into an
// empty instance and exports again: the bytes must be the same, for CSV
// and JSON Lines.
func TestExportRoundTrip(t *testing.T) {
	a := newTestServer(t, spec, nil)
	a.create(t, "osm")
	a.post(t, richRecordJSON)
	addRemote(t, a.db, "https://peer.example", "remote-osm")

	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			route := "/export/records." + format
			resp, first := a.do(t, req{Method: "GET", Route: route, Path: route})
			expect(t, resp, first, 200)
			if strings.Contains(string(first), "remote-osm") || strings.Contains(string(first), a.URL) {
				t.Errorf("the local export holds a remote copy or the instance's own URL:\n%s", first)
			}
			var recs []*commons.Record
			if format == "csv" {
				rows, bad, err := ReadCSV(bytes.NewReader(first), "", false)
				if err != nil || len(bad) > 0 {
					t.Fatalf("read our own CSV: %v %v", err, bad)
				}
				for _, r := range rows {
					recs = append(recs, r.Record)
				}
				if rows[0].Line != 2 || rows[1].Line != 4 { // ban's summary spans two lines
					t.Errorf("row lines %d, %d, want 2, 4", rows[0].Line, rows[1].Line)
				}
			} else {
				sc := bufio.NewScanner(bytes.NewReader(first))
				for sc.Scan() {
					r, err := commons.DecodeRecord(bytes.NewReader(sc.Bytes()))
					if err != nil {
						t.Fatalf("decode our own line: %v\n%s", err, sc.Bytes())
					}
					recs = append(recs, r)
				}
			}
			if len(recs) != 2 {
				t.Fatalf("%d records exported, want 2", len(recs))
			}
			b := newTestServer(t, nil, nil)
			res, err := b.db.ImportRecords(context.Background(), recs, store.ImportOptions{Actor: "import"})
			if err != nil || res.Created != 2 {
				t.Fatalf("import into an empty instance: %v %+v", err, res)
			}
			resp, second := b.do(t, req{Method: "GET", Path: route})
			expect(t, resp, second, 200)
			if !bytes.Equal(first, second) {
				t.Errorf("export → import → export differs:\n%s\n----\n%s", first, second)
			}
			orig, _ := a.db.Record(context.Background(), "ban")
			copied, _ := b.db.Record(context.Background(), "ban")
			if orig.ContentHash() != copied.ContentHash() {
				t.Errorf("content changed on the way: %+v\n%+v", orig, copied)
			}
		})
	}
	t.Run("RemoteCopies", func(t *testing.T) {
		for _, route := range []string{"/export/records.csv", "/export/records.jsonl"} {
			resp, b := a.do(t, req{Method: "GET", Route: route, Path: route + "?remote=1"})
			expect(t, resp, b, 200)
			if !strings.Contains(string(b), "https://peer.example") {
				t.Errorf("%s?remote=1 lacks the copy's origin:\n%s", route, b)
			}
			resp, b = a.do(t, req{Method: "GET", Route: route, Path: route + "?remote=maybe", Header: map[string]string{"Accept": "application/json"}})
			expect(t, resp, b, 400)
			if p := problemOf(t, b); len(p.Errors) != 1 || p.Errors[0].Field != "remote" {
				t.Errorf("problem %+v", p)
			}
		}
		resp, b := a.do(t, req{Method: "GET", Path: "/export/records.csv?remote=1"})
		expect(t, resp, b, 200)
		_, _, err := ReadCSV(bytes.NewReader(b), a.URL, false)
		if err == nil || !strings.Contains(err.Error(), "copy of a record of https://peer.example") {
			t.Errorf("importing a copy: err = %v", err)
		}
	})
	t.Run("CSVHeader", func(t *testing.T) {
		resp, b := a.do(t, req{Method: "GET", Path: "/export/records.csv"})
		expect(t, resp, b, 200)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q", ct)
		}
		header, err := csv.NewReader(bytes.NewReader(b)).Read()
		if err != nil {
			t.Fatal(err)
		}
		want := "slug,name.de,name.en,name.fr,summary.en,summary.fr,description.en,description.fr,kinds,languages,status,logo"
		if got := strings.Join(header[:12], ","); got != want {
			t.Errorf("header starts %s\nwant           %s", got, want)
		}
		tag := resp.Header.Get("ETag")
		resp, b = a.do(t, req{Method: "GET", Route: "/export/records.csv", Path: "/export/records.csv", Header: map[string]string{"If-None-Match": tag}})
		expect(t, resp, b, 304)
	})
}

// TestReadCSVErrors checks that a wrong column or a bad cell is one error
// naming it, and that --skip-invalid keeps the good rows.
func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, csv, says string
	}{
		{"Empty", "", "the CSV is empty"},
		{"UnknownColumn", "slug,colour\nx,red\n", `line 1: column 2 "colour" is not a column`},
		{"BadLanguageColumn", "slug,name.xx-\nx,X\n", `column 2 "name.xx-"`},
		{"NonCanonicalLanguage", "slug,name.FR\nx,X\n", `column 2 "name.FR"`},
		{"RepeatedColumn", "slug,status,status\nx,stable,stable\n", `column 3 "status" repeats column 2`},
		{"NoSlug", "status\nstable\n", "no slug column"},
		{"BadJSONCell", "slug,countries\nok,\nx,FR\n", "line 3: countries: must be a JSON array"},
		{"UnknownJSONField", "slug,licences\nx,\"[{\"\"spdx\"\":\"\"MIT\"\"}]\"\n", "line 2: licences:"},
		{"Malformed", "slug,status\nx,\"stable\n", "malformed CSV"},
		{"WrongCellCount", "slug,status\nx\n", "malformed CSV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, err := ReadCSV(strings.NewReader(tt.csv), "https://me.example", false)
			if err == nil || commons.ErrorCode(err) != commons.EINVALID || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v (rows %d), want EINVALID saying %q", err, len(rows), tt.says)
			}
		})
	}
	t.Run("SkipInvalid", func(t *testing.T) {
		rows, bad, err := ReadCSV(strings.NewReader("slug,countries\nok,\nx,FR\ny,[]\n"), "", true)
		if err != nil || len(rows) != 2 || len(bad) != 1 || rows[1].Line != 4 {
			t.Fatalf("rows %d, bad %v, err %v", len(rows), bad, err)
		}
	})
}

// TestExportErrors: a broken store is a 500 with the cause in the log.
func TestExportErrors(t *testing.T) {
	s := newTestServer(t, spec, nil)
	s.create(t, "osm")
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"/export/records.csv", "/export/records.jsonl", "/records/{slug}/publiccode.yml"} {
		path := strings.Replace(route, "{slug}", "osm", 1)
		resp, b := s.do(t, req{Method: "GET", Route: route, Path: path})
		expect(t, resp, b, 500)
	}
}
