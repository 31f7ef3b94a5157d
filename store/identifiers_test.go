package store

import (
	"context"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func TestLocalRecordByIdentifier(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		db := MustOpen(t)
		ctx := context.Background()
		const repo = "https://example.com/medusa.git"
		withID := func(r *commons.Record, value string) *commons.Record {
			r.Identifiers = []commons.Identifier{{Scheme: "wikidata", Value: "Q42"}, {Scheme: "publiccode", Value: value}}
			return r
		}
		if err := db.CreateRecord(ctx, withID(newRecord("medusa", "Medusa"), repo), "alice"); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateRecord(ctx, withID(newRecord("other", "Other"), repo+"/other"), "alice"); err != nil {
			t.Fatal(err)
		}
		// A remote copy with the same identifier is not a local record.
		putRemote(t, db, withID(newRecord("medusa", "Remote Medusa"), repo), "https://peer.example", time.Now())
		deleted := withID(newRecord("gone", "Gone"), "https://example.com/gone.git")
		if err := db.CreateRecord(ctx, deleted, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteRecord(ctx, "gone", 0, "alice"); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name, scheme, value string
			slug, code          string
		}{
			{"Found", "publiccode", repo, "medusa", ""},
			{"OtherValue", "publiccode", repo + "/other", "other", ""},
			{"SchemeMatters", "url", repo, "", commons.ENOTFOUND},
			{"NoPrefixMatch", "publiccode", "https://example.com/medusa", "", commons.ENOTFOUND},
			{"DeletedIsGone", "publiccode", "https://example.com/gone.git", "", commons.ENOTFOUND},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, err := db.LocalRecordByIdentifier(ctx, tt.scheme, tt.value)
				if code := commons.ErrorCode(err); code != tt.code {
					t.Fatalf("error %v (code %q), want code %q", err, code, tt.code)
				}
				if tt.code == "" && (r.Slug != tt.slug || !r.IsLocal(testBase)) {
					t.Errorf("found %s (origin %s), want local %s", r.Slug, r.Provenance.Origin, tt.slug)
				}
			})
		}
	})
}
