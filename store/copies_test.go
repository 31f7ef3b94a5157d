package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func TestTargetKeys(t *testing.T) {
	for _, tt := range []struct {
		target string
		want   []string
	}{
		{"Q936", []string{"wikidata:Q936"}},
		{"https://www.wikidata.org/wiki/Q936", []string{"id:https://www.wikidata.org/wiki/Q936", "wikidata:Q936"}},
		{"https://github.com/openstreetmap/openstreetmap-website.git", []string{"id:https://github.com/openstreetmap/openstreetmap-website.git", "repo:github.com/openstreetmap/openstreetmap-website"}},
		{"https://gitlab.com/x/y/-/raw/main/publiccode.yml", []string{"id:https://gitlab.com/x/y/-/raw/main/publiccode.yml", "repo:gitlab.com/x/y/-/raw/main"}},
		{"https://doi.org/10.5281/ZENODO.1", []string{"id:https://doi.org/10.5281/ZENODO.1", "doi:10.5281/zenodo.1"}},
		{"not a target", nil},
	} {
		if got := TargetKeys(tt.target); !slices.Equal(got, tt.want) {
			t.Errorf("TargetKeys(%q) = %q, want %q", tt.target, got, tt.want)
		}
	}
}

// TestCopyPostsAndSocial keeps what an origin tells of its record: posts
// (one deleted later) and the follower count; a purge of the origin
// drops them with the copy.
func TestCopyPostsAndSocial(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		at := time.Now().UTC().Truncate(time.Millisecond)
		putRemote(t, db, newRecord("osm", "OpenStreetMap"), "https://b.example", at)
		id := "https://b.example/records/osm"
		if _, err := db.CopySocial(ctx, id); commons.ErrorCode(err) != commons.ENOTFOUND {
			t.Fatalf("before any fetch: %v", err)
		}
		post := func(n int) Post {
			return Post{ID: id + "/posts/" + string(rune('a'+n)), Kind: "change", Lang: "en", Content: "<p>news</p>", Published: at.Add(time.Duration(n) * time.Second)}
		}
		if err := db.PutCopyPost(ctx, id, post(0)); err != nil {
			t.Fatal(err)
		}
		if err := db.PutCopySocial(ctx, id, CopySocial{Followers: 3, Version: 1, FetchedAt: at}, []Post{post(0), post(1)}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutCopyPost(ctx, "https://b.example/records/nope", post(2)); commons.ErrorCode(err) != commons.ENOTFOUND {
			t.Errorf("a post of a record not held: %v", err)
		}
		if err := db.DeleteCopyPost(ctx, id, post(1).ID, at); err != nil {
			t.Fatal(err)
		}
		c, err := db.CopySocial(ctx, id)
		if err != nil || c.Followers != 3 || c.Version != 1 || !c.FetchedAt.Equal(at) {
			t.Fatalf("copy social: %+v, %v", c, err)
		}
		ps, err := db.Posts(ctx, id, time.Time{}, 10)
		if err != nil || len(ps) != 1 || ps[0].ID != post(0).ID {
			t.Fatalf("posts of the copy: %+v, %v", ps, err)
		}
		if _, err := db.PurgeOrigins(ctx, func(h string) bool { return h == "b.example" }); err != nil {
			t.Fatal(err)
		}
		if ps, err := db.Posts(ctx, id, time.Time{}, 10); err != nil || len(ps) != 0 {
			t.Errorf("after a purge: %d posts, %v", len(ps), err)
		}
		if _, err := db.CopySocial(ctx, id); commons.ErrorCode(err) != commons.ENOTFOUND {
			t.Errorf("after a purge: %v", err)
		}
	})
}
