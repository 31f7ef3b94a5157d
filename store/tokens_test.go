package store

import (
	"context"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// TestTokenList lists live tokens without secrets, with when they were
// created and last used, and revokes one by its id.
func TestTokenList(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		now := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
		db := mustOpenPath(t, t.TempDir()+"/t.db", func() time.Time { return now })
		for _, u := range []string{"ed", "ada"} {
			if _, err := db.CreateUser(ctx, u, commons.RoleEditor, "a long enough password"); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := db.Tokens(ctx); err != nil || len(got) != 0 {
			t.Fatalf("no tokens yet: %+v, %v", got, err)
		}
		laptop, err := db.CreateToken(ctx, "ed", "laptop")
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		if _, err := db.CreateToken(ctx, "ed", "ci"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateToken(ctx, "ada", "backup"); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		if _, err := db.UserByToken(ctx, laptop); err != nil {
			t.Fatal(err)
		}
		got, err := db.Tokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			user, label      string
			created, usedAgo time.Time
		}
		want := []row{
			{"ada", "backup", now.Add(-time.Hour), time.Time{}},
			{"ed", "ci", now.Add(-time.Hour), time.Time{}},
			{"ed", "laptop", now.Add(-2 * time.Hour), now},
		}
		if len(got) != len(want) {
			t.Fatalf("Tokens = %+v", got)
		}
		for i, w := range want {
			g := got[i]
			if g.User != w.user || g.Label != w.label || !g.Created.Equal(w.created) || !g.LastUsed.Equal(w.usedAgo) || g.ID == 0 {
				t.Errorf("token %d = %+v, want %+v", i, g, w)
			}
		}

		if err := db.RevokeTokenID(ctx, got[2].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UserByToken(ctx, laptop); commons.ErrorCode(err) != commons.EUNAUTHORIZED {
			t.Errorf("revoked token still works: %v", err)
		}
		if err := db.RevokeTokenID(ctx, got[2].ID); commons.ErrorCode(err) != commons.ENOTFOUND {
			t.Errorf("revoke twice: %v", err)
		}
		if err := db.RevokeTokenID(ctx, 999); commons.ErrorCode(err) != commons.ENOTFOUND {
			t.Errorf("revoke unknown: %v", err)
		}
		if after, err := db.Tokens(ctx); err != nil || len(after) != 2 || after[1].Label != "ci" {
			t.Errorf("after revoking: %+v, %v", after, err)
		}
	})
}
