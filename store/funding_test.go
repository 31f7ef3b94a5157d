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
