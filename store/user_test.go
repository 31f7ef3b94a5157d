package store

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func TestUsers(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		const pw = "correct horse battery"

		alice, err := db.CreateUser(ctx, "alice", commons.RoleAdmin, pw)
		if err != nil {
			t.Fatal(err)
		}
		if alice.ID == 0 || alice.Name != "alice" || alice.Role != commons.RoleAdmin || alice.Created.IsZero() {
			t.Fatalf("created user = %+v", alice)
		}
		t.Run("Invalid", func(t *testing.T) {
			for _, tc := range []struct {
				name, role, password string
				fields               []string
			}{
				{"Bob", "editor", pw, []string{"name"}},
				{"", "editor", pw, []string{"name"}},
				{"bob", "owner", pw, []string{"role"}},
				{"bob", "editor", "short", []string{"password"}},
				{"-bob", "king", "", []string{"name", "role", "password"}},
			} {
				_, err := db.CreateUser(ctx, tc.name, tc.role, tc.password)
				wantCode(t, err, commons.EINVALID)
				var got []string
				for _, f := range commons.ErrorFields(err) {
					got = append(got, f.Field)
				}
				if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
					t.Errorf("CreateUser(%q, %q, %q) fields = %v, want %v", tc.name, tc.role, tc.password, got, tc.fields)
				}
			}
		})
		t.Run("ErrConflict", func(t *testing.T) {
			_, err := db.CreateUser(ctx, "alice", commons.RoleEditor, pw)
			wantCode(t, err, commons.ECONFLICT)
		})
		t.Run("PasswordStoredAsArgon2id", func(t *testing.T) {
			var stored string
			if err := db.r.QueryRowContext(ctx, `SELECT password FROM users WHERE name = 'alice'`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(stored, pw) {
				t.Fatalf("stored password = %q", stored)
			}
		})
		t.Run("Authenticate", func(t *testing.T) {
			u, err := db.Authenticate(ctx, "alice", pw)
			if err != nil || u.ID != alice.ID || u.Role != commons.RoleAdmin || !u.Created.Equal(alice.Created) {
				t.Fatalf("Authenticate = %+v, %v", u, err)
			}
			for _, tc := range []struct{ name, user, password string }{
				{"WrongPassword", "alice", pw + "!"},
				{"UnknownUser", "mallory", pw},
				{"Empty", "", ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					_, err := db.Authenticate(ctx, tc.user, tc.password)
					wantCode(t, err, commons.EUNAUTHORIZED)
					if commons.ErrorMessage(err) != "wrong user name or password" {
						t.Errorf("message = %q", commons.ErrorMessage(err))
					}
				})
			}
		})
		t.Run("SetPassword", func(t *testing.T) {
			wantCode(t, db.SetPassword(ctx, "alice", "tiny"), commons.EINVALID)
			wantCode(t, db.SetPassword(ctx, "nobody", "a new long password"), commons.ENOTFOUND)
			if err := db.SetPassword(ctx, "alice", "a new long password"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Authenticate(ctx, "alice", pw); commons.ErrorCode(err) != commons.EUNAUTHORIZED {
				t.Errorf("old password still works: %v", err)
			}
			if _, err := db.Authenticate(ctx, "alice", "a new long password"); err != nil {
				t.Errorf("new password refused: %v", err)
			}
		})
		t.Run("List", func(t *testing.T) {
			if _, err := db.CreateUser(ctx, "aaron", commons.RoleEditor, pw); err != nil {
				t.Fatal(err)
			}
			us, err := db.Users(ctx)
			if err != nil || len(us) != 2 || us[0].Name != "aaron" || us[1].Name != "alice" || us[0].Role != commons.RoleEditor {
				t.Fatalf("Users = %+v, %v", us, err)
			}
		})
	})
}

func TestTokens(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		now := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
		db := mustOpenPath(t, t.TempDir()+"/t.db", func() time.Time { return now })
		if _, err := db.CreateUser(ctx, "ed", commons.RoleEditor, "a long enough password"); err != nil {
			t.Fatal(err)
		}
		tok, err := db.CreateToken(ctx, "ed", "laptop")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "cdt_"))
		if !strings.HasPrefix(tok, "cdt_") || err != nil || len(raw) != 32 {
			t.Fatalf("token %q is not cdt_ and 32 base64url bytes", tok)
		}
		t.Run("OnlyTheHashIsStored", func(t *testing.T) {
			var hash string
			if err := db.r.QueryRowContext(ctx, `SELECT hash FROM tokens`).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if hash != tokenHash(tok) || len(hash) != 64 || strings.Contains(hash, tok[4:]) {
				t.Fatalf("stored %q", hash)
			}
		})
		lastUsed := func() int64 {
			var ms *int64
			if err := db.r.QueryRowContext(ctx, `SELECT last_used FROM tokens`).Scan(&ms); err != nil {
				t.Fatal(err)
			}
			if ms == nil {
				return 0
			}
			return *ms
		}
		t.Run("UserByToken", func(t *testing.T) {
			u, err := db.UserByToken(ctx, tok)
			if err != nil || u.Name != "ed" || u.Role != commons.RoleEditor {
				t.Fatalf("UserByToken = %+v, %v", u, err)
			}
			first := lastUsed()
			if first != now.UnixMilli() {
				t.Fatalf("last_used = %d, want %d", first, now.UnixMilli())
			}
			now = now.Add(30 * time.Second)
			if _, err := db.UserByToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if lastUsed() != first {
				t.Errorf("last_used moved within a minute")
			}
			now = now.Add(31 * time.Second)
			if _, err := db.UserByToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if lastUsed() != now.UnixMilli() {
				t.Errorf("last_used did not move after a minute")
			}
		})
		t.Run("Unknown", func(t *testing.T) {
			for _, bad := range []string{"", "cdt_", "cdt_" + strings.Repeat("A", 43), tok[4:], "Bearer " + tok} {
				_, err := db.UserByToken(ctx, bad)
				wantCode(t, err, commons.EUNAUTHORIZED)
			}
		})
		t.Run("UnknownUser", func(t *testing.T) {
			_, err := db.CreateToken(ctx, "nobody", "x")
			wantCode(t, err, commons.ENOTFOUND)
			_, err = db.CreateToken(ctx, "ed", strings.Repeat("l", maxTokenLabel+1))
			wantCode(t, err, commons.EINVALID)
		})
		t.Run("Revoke", func(t *testing.T) {
			other, err := db.CreateToken(ctx, "ed", "phone")
			if err != nil || other == tok {
				t.Fatalf("second token %q, %v", other, err)
			}
			if err := db.RevokeToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			_, err = db.UserByToken(ctx, tok)
			wantCode(t, err, commons.EUNAUTHORIZED)
			wantCode(t, db.RevokeToken(ctx, tok), commons.ENOTFOUND)
			if _, err := db.UserByToken(ctx, other); err != nil {
				t.Errorf("revoking one token revoked another: %v", err)
			}
		})
	})
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	good := hashPassword("a password of some length")
	if ok, err := verifyPassword(good, "a password of some length"); !ok || err != nil {
		t.Fatalf("own hash: %v, %v", ok, err)
	}
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=0,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
	} {
		if ok, err := verifyPassword(bad, "x"); ok || err == nil {
			t.Errorf("verifyPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}
