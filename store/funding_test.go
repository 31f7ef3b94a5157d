package store

import (
	"context"
	"testing"

	"github.com/commons-directory/commons"
)

func TestFundingRecords(t *testing.T) {
	ctx := context.Background()
	db, _ := openFed(t)
	for _, r := range []*commons.Record{
		{Slug: "calls", Funding: &commons.Funding{Calls: []commons.FundingCall{{Title: "Call", URL: "https://fund.example/a"}}}},
		{Slug: "channels", Funding: &commons.Funding{Channels: []commons.FundingChannel{{Kind: "donation", URL: "https://give.example"}}}},
		{Slug: "manifest", Funding: &commons.Funding{ManifestURL: "https://example.org/funding.json"}},
		{Slug: "none"},
		{Slug: "gone", Funding: &commons.Funding{Calls: []commons.FundingCall{{Title: "Old", URL: "https://fund.example/b"}}}},
	} {
		r.Name, r.Kinds, r.Status = commons.Text{"en": r.Slug}, []string{"data"}, "stable"
		if err := db.CreateRecord(ctx, r, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteRecord(ctx, "gone", 0, "test"); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := db.FundingRecords(ctx, func(r *commons.Record) error { got = append(got, r.Slug); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "calls" || got[1] != "channels" {
		t.Errorf("FundingRecords = %v, want [calls channels]", got)
	}
}

// TestChangeSeq moves with every write, also one made through another
// handle on the same file (as the CLI writes while the server runs).
func TestChangeSeq(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/seq.db"
	db := mustOpenPath(t, path, nil)
	other := mustOpenPath(t, path, nil)
	seq := func() int64 {
		t.Helper()
		n, err := db.ChangeSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	s0 := seq()
	if seq() != s0 {
		t.Fatal("ChangeSeq moved without a write")
	}
	r := &commons.Record{Slug: "a", Name: commons.Text{"en": "A"}, Kinds: []string{"data"}, Status: "stable"}
	if err := db.CreateRecord(ctx, r, "test"); err != nil {
		t.Fatal(err)
	}
	s1 := seq()
	if s1 <= s0 {
		t.Fatalf("after a write: %d, before %d", s1, s0)
	}
	if err := other.DeleteRecord(ctx, "a", 0, "test"); err != nil {
		t.Fatal(err)
	}
	if s2 := seq(); s2 <= s1 {
		t.Fatalf("after another handle's write: %d, before %d", s2, s1)
	}
}
