package store

import (
	"context"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func TestSessions(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		u, err := db.CreateUser(ctx, "alice", commons.RoleEditor, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		a, err := db.CreateSession(ctx, u.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		b, err := db.CreateSession(ctx, u.ID, 2*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := db.SessionUser(ctx, a); err != nil || got.Name != "alice" {
			t.Fatalf("SessionUser = %v, %v", got, err)
		}
		_, err = db.SessionUser(ctx, "cds_nope")
		wantCode(t, err, commons.EUNAUTHORIZED)

		clock.advance(90 * time.Minute) // a expires, b lives
		_, err = db.SessionUser(ctx, a)
		wantCode(t, err, commons.EUNAUTHORIZED)
		if _, err := db.SessionUser(ctx, b); err != nil {
			t.Fatalf("second session: %v", err)
		}
		if err := db.DeleteSession(ctx, b); err != nil {
			t.Fatal(err)
		}
		_, err = db.SessionUser(ctx, b)
		wantCode(t, err, commons.EUNAUTHORIZED)

		c, _ := db.CreateSession(ctx, u.ID, time.Hour)
		d, _ := db.CreateSession(ctx, u.ID, time.Hour)
		if n, err := db.DeleteUserSessions(ctx, u.ID); err != nil || n != 2 {
			t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
		}
		for _, s := range []string{c, d} {
			_, err = db.SessionUser(ctx, s)
			wantCode(t, err, commons.EUNAUTHORIZED)
		}
	})
}

func TestLoginLockout(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		const key = "user:alice"
		for i := 1; i <= 3; i++ {
			n, err := db.NoteLoginFailure(ctx, key, 3, 15*time.Minute, 10*time.Minute)
			if err != nil || n != i {
				t.Fatalf("failure %d: count %d, %v", i, n, err)
			}
		}
		until, err := db.LoginLockedUntil(ctx, "addr:192.0.2.1", key)
		if err != nil || !until.Equal(clock.now().Add(10*time.Minute)) {
			t.Fatalf("LoginLockedUntil = %v, %v; want 10 minutes from now", until, err)
		}
		clock.advance(11 * time.Minute)
		if until, _ := db.LoginLockedUntil(ctx, key); !until.IsZero() {
			t.Errorf("still locked after the lock: %v", until)
		}
		// Failures outside the window start the count again.
		db.NoteLoginFailure(ctx, key, 3, 15*time.Minute, 10*time.Minute)
		clock.advance(16 * time.Minute)
		if n, _ := db.NoteLoginFailure(ctx, key, 3, 15*time.Minute, 10*time.Minute); n != 1 {
			t.Errorf("count after the window = %d, want 1", n)
		}
		if err := db.ClearLoginFailures(ctx, key); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.NoteLoginFailure(ctx, key, 3, 15*time.Minute, 10*time.Minute); n != 1 {
			t.Errorf("count after clearing = %d, want 1", n)
		}
	})
}

func TestSetRoleAndGrowth(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, clock := openFed(t)
		if _, err := db.CreateUser(ctx, "bob", commons.RoleEditor, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetRole(ctx, "bob", commons.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.SetRole(ctx, "bob", "king"), commons.EINVALID)
		wantCode(t, db.SetRole(ctx, "nobody", commons.RoleAdmin), commons.ENOTFOUND)
		us, _ := db.Users(ctx)
		if len(us) != 1 || us[0].Role != commons.RoleAdmin {
			t.Errorf("users = %+v", us)
		}

		for i, slug := range []string{"a1", "a2", "b1"} {
			if i == 2 {
				clock.advance(40 * 24 * time.Hour)
			}
			r := &commons.Record{Slug: slug, Name: commons.Text{"en": slug}, Kinds: []string{"software"}, Status: "stable"}
			if err := db.CreateRecord(ctx, r, "bob"); err != nil {
				t.Fatal(err)
			}
		}
		g, err := db.RecordGrowth(ctx)
		want := []commons.FacetCount{{Value: "2025-03", Count: 2}, {Value: "2025-04", Count: 3}}
		if err != nil || len(g) != 2 || g[0] != want[0] || g[1] != want[1] {
			t.Errorf("RecordGrowth = %v, %v; want %v", g, err, want)
		}
	})
}
