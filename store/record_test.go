package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// newRecord returns a small valid record.
func newRecord(slug, name string) *commons.Record {
	return &commons.Record{
		Slug:        slug,
		Name:        commons.Text{"en": name},
		Summary:     commons.Text{"en": "A digital commons called " + name},
		Description: commons.Text{"en": "Longer words about " + name + "."},
		Kinds:       []string{"software"},
		Countries:   []commons.Country{{Code: "FR", Role: "origin"}},
		Languages:   []string{"fr"},
		Licences:    []commons.Licence{{Expression: "MIT"}},
		Status:      "stable",
	}
}

// putRemote stores a copy of a record whose home is origin, as federation
// will.
func putRemote(tb testing.TB, db *DB, r *commons.Record, origin string, at time.Time) {
	tb.Helper()
	ctx := context.Background()
	r.Normalize()
	r.ID = origin + "/records/" + r.Slug
	r.Provenance = commons.Provenance{Origin: origin, Source: "federated", Created: at, Updated: at,
		Version: 1, Hash: r.ContentHash(), ReceivedAt: at}
	enc, err := encode(r)
	if err != nil {
		tb.Fatal(err)
	}
	err = db.write(ctx, func(tx *sql.Tx, seq int64) error {
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		return w.insert(r, enc, origin+"/actor")
	})
	if err != nil {
		tb.Fatalf("put remote %s: %v", r.ID, err)
	}
}

// asJSON renders v for comparison and failure messages.
func asJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestCreateRecord(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		clock := &stepClock{}
		db := mustOpenPath(t, t.TempDir()+"/c.db", clock.now)

		r := newRecord("openstreetmap", "  OpenStreetMap ")
		r.Provenance = commons.Provenance{Source: "publiccode", SourceURL: "https://example.org/publiccode.yml", Version: 9, Origin: "https://evil.example"}
		if err := db.CreateRecord(ctx, r, "alice"); err != nil {
			t.Fatal(err)
		}
		p := r.Provenance
		if r.ID != testBase+"/records/openstreetmap" || p.Origin != testBase || p.Source != "publiccode" ||
			p.SourceURL != "https://example.org/publiccode.yml" || p.Version != 1 || p.Hash != r.ContentHash() ||
			!p.Created.Equal(p.Updated) || p.Created.Location() != time.UTC || p.Created.Nanosecond()%int(time.Millisecond) != 0 {
			t.Fatalf("stored provenance = %+v, id %s", p, r.ID)
		}
		if r.Name["en"] != "OpenStreetMap" {
			t.Errorf("name not normalised: %q", r.Name["en"])
		}

		got, err := db.Record(ctx, "openstreetmap")
		if err != nil {
			t.Fatal(err)
		}
		if asJSON(t, got) != asJSON(t, r) {
			t.Fatalf("Record = %s\nwant %s", asJSON(t, got), asJSON(t, r))
		}
		byID, err := db.RecordByID(ctx, r.ID)
		if err != nil || asJSON(t, byID) != asJSON(t, r) {
			t.Fatalf("RecordByID = %v, %v", byID, err)
		}

		t.Run("UnknownSourceIsManual", func(t *testing.T) {
			r := newRecord("wikipedia", "Wikipedia")
			r.Provenance.Source = "telepathy"
			if err := db.CreateRecord(ctx, r, "alice"); err != nil {
				t.Fatal(err)
			}
			if r.Provenance.Source != "manual" {
				t.Fatalf("source = %q, want manual", r.Provenance.Source)
			}
		})
		t.Run("ErrConflict", func(t *testing.T) {
			err := db.CreateRecord(ctx, newRecord("openstreetmap", "Another"), "bob")
			wantCode(t, err, commons.ECONFLICT)
			if !strings.Contains(commons.ErrorMessage(err), "openstreetmap") {
				t.Errorf("message %q does not name the slug", commons.ErrorMessage(err))
			}
		})
		t.Run("ErrInvalidNamesFields", func(t *testing.T) {
			bad := newRecord("Not A Slug", "")
			bad.Kinds = []string{"software", "spaceship"}
			err := db.CreateRecord(ctx, bad, "alice")
			wantCode(t, err, commons.EINVALID)
			var fields []string
			for _, f := range commons.ErrorFields(err) {
				fields = append(fields, f.Field)
			}
			for _, want := range []string{"slug", "name", "kinds[1]"} {
				if !strings.Contains(strings.Join(fields, " "), want) {
					t.Errorf("fields %v lack %q", fields, want)
				}
			}
			if bad.ID != "" || bad.Provenance.Version != 0 {
				t.Errorf("a refused record was given provenance: %+v", bad.Provenance)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.Record(ctx, "nothing-here")
			wantCode(t, err, commons.ENOTFOUND)
			_, err = db.RecordByID(ctx, testBase+"/records/nothing-here")
			wantCode(t, err, commons.ENOTFOUND)
		})
		t.Run("ResultsAreCopies", func(t *testing.T) {
			a, err := db.Record(ctx, "openstreetmap")
			if err != nil {
				t.Fatal(err)
			}
			a.Name["en"] = "Changed"
			a.Kinds[0] = "data"
			a.Countries[0].Code = "DE"
			b, err := db.Record(ctx, "openstreetmap")
			if err != nil {
				t.Fatal(err)
			}
			if b.Name["en"] != "OpenStreetMap" || b.Kinds[0] != "software" || b.Countries[0].Code != "FR" {
				t.Fatalf("a caller's change reached the cache: %+v", b)
			}
		})
	})
}

func TestUpdateRecord(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		clock := &stepClock{}
		db := mustOpenPath(t, t.TempDir()+"/u.db", clock.now)
		orig := newRecord("osm", "OpenStreetMap")
		if err := db.CreateRecord(ctx, orig, "alice"); err != nil {
			t.Fatal(err)
		}

		t.Run("Changed", func(t *testing.T) {
			r := newRecord("osm", "OpenStreetMap")
			r.Kinds = []string{"geodata", "community"}
			r.Provenance.Source = "api" // ignored: the source is kept
			if err := db.UpdateRecord(ctx, r, 1, "bob"); err != nil {
				t.Fatal(err)
			}
			p := r.Provenance
			if p.Version != 2 || !p.Created.Equal(orig.Provenance.Created) || !p.Updated.After(p.Created) ||
				p.Source != "manual" || p.Origin != testBase || r.ID != orig.ID || p.Hash != r.ContentHash() {
				t.Fatalf("provenance after update = %+v", p)
			}
			got, err := db.Record(ctx, "osm")
			if err != nil || asJSON(t, got) != asJSON(t, r) {
				t.Fatalf("Record after update = %s, %v\nwant %s", asJSON(t, got), err, asJSON(t, r))
			}
		})
		t.Run("UnchangedWritesNothing", func(t *testing.T) {
			before, _ := db.RecordHistory(ctx, "osm")
			r := newRecord("osm", "OpenStreetMap")
			r.Name["en"] = " OpenStreetMap\t" // equal once normalised
			r.Kinds = []string{"geodata", "community"}
			if err := db.UpdateRecord(ctx, r, 0, "carol"); err != nil {
				t.Fatal(err)
			}
			if r.Provenance.Version != 2 || r.ID != orig.ID {
				t.Fatalf("unchanged update gave provenance %+v", r.Provenance)
			}
			after, _ := db.RecordHistory(ctx, "osm")
			if len(after) != len(before) {
				t.Fatalf("history grew from %d to %d on an unchanged update", len(before), len(after))
			}
		})
		t.Run("ErrPrecondition", func(t *testing.T) {
			r := newRecord("osm", "OSM")
			err := db.UpdateRecord(ctx, r, 1, "bob")
			wantCode(t, err, commons.EPRECONDITION)
			if want := "record osm is at version 2, not 1"; !strings.Contains(commons.ErrorMessage(err), want) {
				t.Errorf("message %q, want %q", commons.ErrorMessage(err), want)
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			wantCode(t, db.UpdateRecord(ctx, newRecord("nope", "Nope"), 0, "bob"), commons.ENOTFOUND)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			r := newRecord("osm", "OSM")
			r.Status = "dreaming"
			err := db.UpdateRecord(ctx, r, 0, "bob")
			wantCode(t, err, commons.EINVALID)
			if f := commons.ErrorFields(err); len(f) != 1 || f[0].Field != "status" {
				t.Errorf("fields = %v, want status", f)
			}
		})
	})
}

func TestDeleteRecord(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		r := newRecord("ban", "Base Adresse Nationale")
		if err := db.CreateRecord(ctx, r, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Record(ctx, "ban"); err != nil { // cached now
			t.Fatal(err)
		}
		wantCode(t, db.DeleteRecord(ctx, "ban", 7, "bob"), commons.EPRECONDITION)
		if err := db.DeleteRecord(ctx, "ban", 1, "bob"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			err  error
			code string
		}{
			{"Record", func() error { _, err := db.Record(ctx, "ban"); return err }(), commons.EGONE},
			{"RecordByID", func() error { _, err := db.RecordByID(ctx, r.ID); return err }(), commons.EGONE},
			{"Update", db.UpdateRecord(ctx, newRecord("ban", "BAN"), 0, "bob"), commons.EGONE},
			{"DeleteAgain", db.DeleteRecord(ctx, "ban", 0, "bob"), commons.EGONE},
			{"DeleteUnknown", db.DeleteRecord(ctx, "nope", 0, "bob"), commons.ENOTFOUND},
			{"CreateSameSlug", db.CreateRecord(ctx, newRecord("ban", "BAN again"), "bob"), commons.ECONFLICT},
		} {
			t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.err, tc.code) })
		}
		err := db.CreateRecord(ctx, newRecord("ban", "BAN again"), "bob")
		if !strings.Contains(commons.ErrorMessage(err), "deleted") {
			t.Errorf("conflict on a deleted slug should say so: %q", commons.ErrorMessage(err))
		}
		if l, rm, err := db.CountRecords(ctx); err != nil || l != 0 || rm != 0 {
			t.Errorf("CountRecords = %d, %d, %v; want 0, 0", l, rm, err)
		}
	})
}

func TestRecordHistory(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		clock := &stepClock{}
		db := mustOpenPath(t, t.TempDir()+"/h.db", clock.now)
		v1 := newRecord("wiki", "Wikipedia")
		if err := db.CreateRecord(ctx, v1, "alice"); err != nil {
			t.Fatal(err)
		}
		v2 := newRecord("wiki", "Wikipedia")
		v2.Keywords = []string{"encyclopedia"}
		if err := db.UpdateRecord(ctx, v2, 1, "bob"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteRecord(ctx, "wiki", 2, "carol"); err != nil {
			t.Fatal(err)
		}
		revs, err := db.RecordHistory(ctx, "wiki")
		if err != nil {
			t.Fatal(err)
		}
		type rev struct {
			Version        int
			Action, Actor  string
			PreviousLength int
		}
		var got []rev
		for _, r := range revs {
			g := rev{r.Version, r.Action, r.Actor, -1}
			if r.Previous != nil {
				g.PreviousLength = len(r.Previous.Keywords)
			}
			got = append(got, g)
			if r.At.IsZero() {
				t.Errorf("revision %d has no time", r.Version)
			}
		}
		want := []rev{{2, "delete", "carol", 1}, {2, "update", "bob", 0}, {1, "create", "alice", -1}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("history = %+v, want %+v", got, want)
		}
		if asJSON(t, revs[1].Previous) != asJSON(t, v1) || asJSON(t, revs[0].Previous) != asJSON(t, v2) {
			t.Errorf("previous records differ from the versions they replaced")
		}
		if !revs[0].At.After(revs[1].At) || !revs[1].At.After(revs[2].At) {
			t.Errorf("times not in order: %v", revs)
		}
		_, err = db.RecordHistory(ctx, "nope")
		wantCode(t, err, commons.ENOTFOUND)
	})
}

func TestCountAndExport(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		for _, slug := range []string{"zeta", "alpha", "mid", "gone"} {
			if err := db.CreateRecord(ctx, newRecord(slug, strings.ToUpper(slug)), "alice"); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeleteRecord(ctx, "gone", 0, "alice"); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		putRemote(t, db, newRecord("beta", "Beta"), "https://peer.example", at)
		putRemote(t, db, newRecord("alpha", "Alpha elsewhere"), "https://other.example", at)

		local, remote, err := db.CountRecords(ctx)
		if err != nil || local != 3 || remote != 2 {
			t.Fatalf("CountRecords = %d, %d, %v; want 3, 2", local, remote, err)
		}
		export := func(remote bool) []string {
			var ids []string
			err := db.ExportRecords(ctx, remote, func(r *commons.Record) error {
				ids = append(ids, strings.TrimPrefix(r.ID, "https://"))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}
		for _, tc := range []struct {
			name   string
			remote bool
			want   []string
		}{
			{"Local", false, []string{"commons.example.eu/records/alpha", "commons.example.eu/records/mid", "commons.example.eu/records/zeta"}},
			{"All", true, []string{"commons.example.eu/records/alpha", "other.example/records/alpha", "peer.example/records/beta",
				"commons.example.eu/records/mid", "commons.example.eu/records/zeta"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := export(tc.remote); !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("export = %v, want %v", got, tc.want)
				}
			})
		}
		t.Run("StopsOnError", func(t *testing.T) {
			stop := errors.New("enough")
			n := 0
			err := db.ExportRecords(ctx, true, func(*commons.Record) error { n++; return stop })
			if !errors.Is(err, stop) || n != 1 {
				t.Fatalf("export = %v after %d records, want the callback's error after 1", err, n)
			}
		})
		t.Run("RemoteByID", func(t *testing.T) {
			r, err := db.RecordByID(ctx, "https://peer.example/records/beta")
			if err != nil || r.Provenance.Origin != "https://peer.example" || r.Provenance.ReceivedAt.IsZero() {
				t.Fatalf("RecordByID(remote) = %+v, %v", r, err)
			}
			_, err = db.Record(ctx, "beta") // not local
			wantCode(t, err, commons.ENOTFOUND)
		})
	})
}

// TestCloneRecordIsDeep fills every field of a record through reflection and
// checks that the clone shares no map, slice or pointer with it.
func TestCloneRecordIsDeep(t *testing.T) {
	r := &commons.Record{}
	fill(reflect.ValueOf(r).Elem())
	c := cloneRecord(r)
	if !reflect.DeepEqual(r, c) {
		t.Fatal("clone differs from the original")
	}
	assertNoSharing(t, "Record", reflect.ValueOf(r).Elem(), reflect.ValueOf(c).Elem())
}

func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
			return
		}
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				fill(v.Field(i))
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString("x")
	case reflect.Int:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	}
}

func assertNoSharing(t *testing.T, path string, a, b reflect.Value) {
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				assertNoSharing(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if !a.IsNil() && a.UnsafePointer() == b.UnsafePointer() {
			t.Errorf("%s is shared between a record and its clone", path)
		}
		switch a.Kind() {
		case reflect.Pointer:
			if !a.IsNil() {
				assertNoSharing(t, path, a.Elem(), b.Elem())
			}
		case reflect.Slice:
			for i := range a.Len() {
				assertNoSharing(t, path+"[]", a.Index(i), b.Index(i))
			}
		}
	}
}
