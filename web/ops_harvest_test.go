package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// storeHarvests gives the operator page the store's harvest list, as
// commonsd does.
type storeHarvests struct{ db *store.DB }

func (h storeHarvests) Harvests(ctx context.Context) ([]Harvest, error) {
	hs, err := h.db.Harvests(ctx)
	var out []Harvest
	for _, x := range hs {
		out = append(out, Harvest{URL: x.URL, FileURL: x.FileURL, Record: x.Record, OKAt: x.OKAt, NextAt: x.NextAt, Result: x.Result, Error: x.Error})
	}
	return out, err
}

func (h storeHarvests) HarvestOf(ctx context.Context, slug string) (*Harvest, error) {
	x, err := h.db.HarvestOfRecord(ctx, slug)
	if err != nil {
		return nil, err
	}
	return &Harvest{URL: x.URL, OKAt: x.OKAt, Record: x.Record}, nil
}

func (h storeHarvests) AddHarvest(ctx context.Context, u string) error {
	_, err := h.db.AddHarvest(ctx, u, u)
	return err
}

func (h storeHarvests) RemoveHarvest(ctx context.Context, u string) error {
	return h.db.RemoveHarvest(ctx, u)
}

// TestOpsHarvests shows the listed publiccode.yml files on the operator
// page, with a failed read's error, and adds and removes one there.
func TestOpsHarvests(t *testing.T) {
	var db *store.DB
	s := newTestServer(t, spec, func(o *Options) { o.Harvests = harvestsOf(&db) })
	db = s.db
	const failing = "https://code.example/city/alpha/publiccode.yml"
	if _, err := db.AddHarvest(t.Context(), failing, failing); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveHarvestResult(t.Context(), failing, store.HarvestResult{Result: "failed", Error: "the file is gone: it answered 404 Not Found; record alpha is kept as it was"}); err != nil {
		t.Fatal(err)
	}
	// A file read on a schedule: its record's page says when it was last read.
	const alpha = "https://code.example/city/alpha.yml"
	if err := db.CreateRecord(t.Context(), &commons.Record{Slug: "alpha", Name: commons.Text{"en": "Alpha"}, Kinds: []string{"software"}, Status: "stable"}, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddHarvest(t.Context(), alpha, alpha); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveHarvestResult(t.Context(), alpha, store.HarvestResult{OK: true, Result: "created", Record: "alpha", NextAt: time.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	read, err := db.Harvest(t.Context(), alpha)
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	wantIn(t, "record page", b.get("/records/alpha", http.StatusOK), "read again on a schedule, last read "+read.OKAt.Format("2006-01-02 15:04 MST"))
	b.login("ada")
	page := b.get("/ops", http.StatusOK)
	wantIn(t, "harvest section", page, `<h2 id="harvest-h">publiccode.yml files read on a schedule</h2>`, failing,
		`<span class="error">the file is gone: it answered 404 Not Found; record alpha is kept as it was</span>`, ">never<")

	const repo = "https://code.example/city/beta"
	b.post("/ops/harvests", url.Values{"harvest": {repo}}, http.StatusSeeOther)
	if _, err := db.Harvest(t.Context(), repo); err != nil {
		t.Errorf("added on the page: %v", err)
	}
	_, page = b.post("/ops/harvests", url.Values{"harvest": {repo}}, http.StatusUnprocessableEntity)
	wantIn(t, "listed twice", page, `id="harvest-err">`+repo+` is listed already`)
	b.post("/ops/harvests/remove", url.Values{"url": {failing}}, http.StatusSeeOther)
	if _, err := db.Harvest(t.Context(), failing); err == nil {
		t.Error("removed on the page, still listed")
	}
	page = b.get("/ops?done=harvest", http.StatusOK)
	wantIn(t, "after removing", page, "The list of publiccode.yml files was changed.", repo)
	wantNotIn(t, "after removing", page, failing)
}

// harvestsOf defers to the store the test server opens.
func harvestsOf(db **store.DB) Harvests { return lazyHarvests{db} }

type lazyHarvests struct{ db **store.DB }

func (l lazyHarvests) Harvests(ctx context.Context) ([]Harvest, error) {
	return storeHarvests{*l.db}.Harvests(ctx)
}
func (l lazyHarvests) HarvestOf(ctx context.Context, slug string) (*Harvest, error) {
	return storeHarvests{*l.db}.HarvestOf(ctx, slug)
}
func (l lazyHarvests) AddHarvest(ctx context.Context, u string) error {
	return storeHarvests{*l.db}.AddHarvest(ctx, u)
}
func (l lazyHarvests) RemoveHarvest(ctx context.Context, u string) error {
	return storeHarvests{*l.db}.RemoveHarvest(ctx, u)
}
