package federation

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// newOrigin starts a Federation whose instance actor is served on
// loopback, as the origin of relayed records.
func newOrigin(t *testing.T) *Federation {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	db, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "origin.db"), BaseURL: base,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f := New(Options{DB: db, BaseURL: base, InstanceName: "origin", AllowPrivate: true, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f.ServeInstanceActor(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	ts.Start()
	t.Cleanup(func() { ts.Close(); f.Close(); db.Close() })
	return f
}

// TestRelayedProof checks the receiving side of relaying: a record
// document signed by its origin verifies against the key the origin
// publishes, wherever the document came from; a changed document, a
// document signed by another instance than the record's origin, or one
// without a proof does not.
func TestRelayedProof(t *testing.T) {
	origin, other := newOrigin(t), newOrigin(t)
	db, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "d.db"), BaseURL: "http://d.test",
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	d := New(Options{DB: db, BaseURL: "http://d.test", InstanceName: "d", AllowPrivate: true, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	t.Cleanup(func() { d.Close(); db.Close() })
	ctx := context.Background()

	now := time.Now().UTC().Truncate(time.Millisecond)
	rec := &commons.Record{ID: origin.base + "/records/osm", Slug: "osm", Name: commons.Text{"en": "OpenStreetMap"},
		Kinds: []string{"geodata"}, Status: "stable",
		Provenance: commons.Provenance{Origin: origin.base, Created: now, Updated: now, Version: 2}}
	doc, err := origin.signedObject(ctx, recordObject(rec))
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.verifyRelayed(ctx, doc, rec.ID)
	if err != nil || got != origin.base {
		t.Fatalf("a document signed by its origin: origin %q, %v", got, err)
	}
	tomb, _ := origin.signedObject(ctx, tombstoneObject(rec.ID, now))
	if _, err := d.verifyRelayed(ctx, tomb, rec.ID); err != nil {
		t.Fatalf("a tombstone signed by its origin: %v", err)
	}

	forgedByOther, _ := other.signedObject(ctx, recordObject(rec))
	unsigned := []byte(`{"id":"` + rec.ID + `","type":"Tombstone"}`)
	cases := map[string]struct {
		doc  []byte
		want string
	}{
		"changed on the way": {[]byte(strings.Replace(string(doc), "OpenStreetMap", "OpenStreetMop", 1)), "does not match"},
		"signed by another":  {forgedByOther, "not its origin's instance key"},
		"no proof":           {unsigned, "carries no proof"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := d.verifyRelayed(ctx, c.doc, rec.ID)
			if err == nil || !strings.Contains(err.Error(), c.want) || commons.ErrorCode(err) != commons.EFORBIDDEN {
				t.Fatalf("got %v, want a refusal with %q", err, c.want)
			}
		})
	}
}
