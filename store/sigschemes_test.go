package store

import (
	"context"
	"testing"
	"time"
)

func TestSignatureSchemes(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, _ := openFed(t)
		if m, err := db.SignatureSchemes(ctx); err != nil || len(m) != 0 {
			t.Fatalf("%v, %v", m, err)
		}
		for _, s := range []struct{ host, scheme string }{
			{"a.example", "draft-cavage"}, {"b.example:8443", "rfc9421"}, {"a.example", "rfc9421"},
		} {
			if err := db.SetSignatureScheme(ctx, s.host, s.scheme, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		m, err := db.SignatureSchemes(ctx)
		if err != nil || len(m) != 2 || m["a.example"] != "rfc9421" || m["b.example:8443"] != "rfc9421" {
			t.Fatalf("%v, %v", m, err)
		}
		if err := db.SetSignatureScheme(ctx, "c.example", "hs2019", time.Now()); err == nil {
			t.Fatal("an unknown scheme was stored")
		}
	})
}
