package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func TestFundingRecords(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, _ := openFed(t)
		for _, r := range []*commons.Record{
			{Slug: "calls", Funding: &commons.Funding{Calls: []commons.FundingCall{{Title: commons.Text{"en": "Call"}, URL: "https://fund.example/a"}}}},
			{Slug: "channels", Funding: &commons.Funding{Channels: []commons.FundingChannel{{Kind: "donation", URL: "https://give.example"}}}},
			{Slug: "manifest", Funding: &commons.Funding{ManifestURL: "https://example.org/funding.json"}},
			{Slug: "none"},
			{Slug: "gone", Funding: &commons.Funding{Calls: []commons.FundingCall{{Title: commons.Text{"en": "Old"}, URL: "https://fund.example/b"}}}},
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
	})
}

// TestChangeSeq moves with every write, also one made through another
// handle on the same file (as the CLI writes while the server runs).
func TestChangeSeq(t *testing.T) {
	eachStore(t, func(t *testing.T) {
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
	})
}

// TestSQLiteMigrateFundingCallTitles turns the plain-string titles of funding
// calls, in records and in their history, into language maps in the
// record's first language (else its name's, else English), and leaves
// maps as they are.
func TestSQLiteMigrateFundingCallTitles(t *testing.T) {
	ctx := context.Background()
	db, _ := openFed(t)
	var m migration
	ms, err := migrations(sqliteDialect.migrations)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ms {
		if strings.HasSuffix(x.name, "_funding_call_titles.sql") {
			m = x
		}
	}
	if m.sql == "" {
		t.Fatal("no funding_call_titles migration")
	}
	calls := func(titles ...string) *commons.Funding {
		f := &commons.Funding{}
		for i, s := range titles {
			f.Calls = append(f.Calls, commons.FundingCall{Title: commons.Text{"eo": s}, URL: fmt.Sprintf("https://fund.example/%d", i)})
		}
		return f
	}
	for _, r := range []*commons.Record{
		{Slug: "polish", Languages: []string{"pl", "en"}, Name: commons.Text{"en": "P"}, Funding: calls("Nabór", "Grant")},
		{Slug: "named", Name: commons.Text{"sv": "S", "fi": "F"}, Funding: calls("Utlysning")},
		{Slug: "mapped", Name: commons.Text{"de": "M"}, Funding: calls("Aufruf")},
	} {
		r.Kinds, r.Status = []string{"data"}, "stable"
		if err := db.CreateRecord(ctx, r, "test"); err != nil {
			t.Fatal(err)
		}
	}
	// Write the titles back as the plain strings of the old form (but
	// for "mapped"), and keep one old version in the history.
	if _, err := db.w.ExecContext(ctx, `UPDATE records SET doc = json_set(doc, '$.funding.calls[0].title', json_extract(doc, '$.funding.calls[0].title.eo'))
		WHERE slug IN ('polish', 'named')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `UPDATE records SET doc = json_set(doc, '$.funding.calls[1].title', json_extract(doc, '$.funding.calls[1].title.eo'))
		WHERE slug = 'polish'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `UPDATE records SET doc = json_set(doc, '$.funding.calls[0].title', json_object('de', 'Aufruf')) WHERE slug = 'mapped'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `UPDATE record_history SET previous = (SELECT doc FROM records WHERE slug = 'polish')
		WHERE record = (SELECT pk FROM records WHERE slug = 'polish')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, m.sql); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ slug, want string }{
		{"polish", `[{"title":{"pl":"Nabór"},"url":"https://fund.example/0"},{"title":{"pl":"Grant"},"url":"https://fund.example/1"}]`},
		{"named", `[{"title":{"fi":"Utlysning"},"url":"https://fund.example/0"}]`},
		{"mapped", `[{"title":{"de":"Aufruf"},"url":"https://fund.example/0"}]`},
	} {
		var got string
		if err := db.w.QueryRowContext(ctx, `SELECT json_extract(doc, '$.funding.calls') FROM records WHERE slug = ?`, tt.slug).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s: calls %s, want %s", tt.slug, got, tt.want)
		}
	}
	var hist sql.NullString
	if err := db.w.QueryRowContext(ctx, `SELECT json_extract(previous, '$.funding.calls[1].title') FROM record_history
		WHERE record = (SELECT pk FROM records WHERE slug = 'polish') AND previous IS NOT NULL`).Scan(&hist); err != nil {
		t.Fatal(err)
	}
	if hist.String != `{"pl":"Grant"}` {
		t.Errorf("history: title %v", hist)
	}
	rec, err := db.Record(ctx, "polish")
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Funding.Calls[0].Title; len(got) != 1 || got["pl"] != "Nabór" {
		t.Errorf("the record reads back with the title %v", got)
	}
}

// TestProgrammesApart: a programme is kept and versioned as a record, but
// is left out of search, counts, exports, growth and the funding records,
// and listed by Programmes, local and remote alike.
func TestProgrammesApart(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		if err := db.CreateRecord(ctx, newRecord("osm", "OpenStreetMap"), "test"); err != nil {
			t.Fatal(err)
		}
		prog := func(slug string) *commons.Record {
			return &commons.Record{Slug: slug, Name: commons.Text{"en": "Open Fund " + slug},
				Countries: []commons.Country{{Code: "FR", Role: "origin"}},
				Programme: &commons.Programme{Funder: commons.Funder{Name: commons.Text{"en": "Funder"}}, Kind: "grant",
					Status: "rolling", SourceURL: "https://fund.example/", Checked: "2026-12-06",
					Calls: []commons.ProgrammeCall{{Title: commons.Text{"en": "Call"}, Deadline: "2027-01-01"}}}}
		}
		if err := db.CreateRecord(ctx, prog("fund"), "test"); err != nil {
			t.Fatal(err)
		}
		putRemote(t, db, prog("far"), "https://peer.example", time.Now())
		if err := db.CreateRecord(ctx, prog("gone"), "test"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteRecord(ctx, "gone", 0, "test"); err != nil {
			t.Fatal(err)
		}
		ps, err := db.Programmes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var slugs []string
		for _, p := range ps {
			slugs = append(slugs, p.Slug)
		}
		if strings.Join(slugs, " ") != "far fund" {
			t.Errorf("Programmes = %v, want [far fund]", slugs)
		}
		if got, err := db.Record(ctx, "fund"); err != nil || got.Programme == nil || got.Programme.Calls[0].Deadline != "2027-01-01" {
			t.Fatalf("Record(fund) = %+v, %v", got, err)
		}
		for _, q := range []string{"", "open fund", "fund"} {
			page, err := db.SearchRecords(ctx, commons.RecordFilter{Query: q, IncludeRemote: true, WithFacets: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				if r.Programme != nil {
					t.Errorf("search %q found programme %s", q, r.Slug)
				}
			}
			if q == "" && (page.Total != 1 || page.Facets[commons.FacetCountry][0].Count != 1) {
				t.Errorf("search of everything: total %d, facets %v; want the one record", page.Total, page.Facets)
			}
		}
		if local, remote, err := db.CountRecords(ctx); err != nil || local != 1 || remote != 0 {
			t.Errorf("CountRecords = %d, %d, %v; want 1, 0", local, remote, err)
		}
		n := 0
		if err := db.ExportRecords(ctx, true, func(r *commons.Record) error { n++; return nil }); err != nil || n != 1 {
			t.Errorf("ExportRecords gave %d records (%v), want 1", n, err)
		}
		if g, err := db.RecordGrowth(ctx); err != nil || len(g) != 1 || g[0].Count != 1 {
			t.Errorf("RecordGrowth = %v, %v; want one month of one record", g, err)
		}
	})
}
