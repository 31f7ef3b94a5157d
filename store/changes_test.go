package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestChanges(t *testing.T) {
	ctx := context.Background()
	clock := newManualClock()
	db := mustOpenPath(t, t.TempDir()+"/c.db", clock.now)
	for _, slug := range []string{"a", "b", "c"} {
		if err := db.CreateRecord(ctx, newRecord(slug, slug), "t"); err != nil {
			t.Fatal(err)
		}
		clock.advance(time.Second)
	}
	mid := clock.now()
	putRemote(t, db, newRecord("r", "remote"), "https://b.example", mid)
	a, _ := db.Record(ctx, "a")
	a.Summary = nil
	a.Name["en"] = "a changed"
	if err := db.UpdateRecord(ctx, a, 1, "t"); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	if err := db.DeleteRecord(ctx, "b", 1, "t"); err != nil {
		t.Fatal(err)
	}

	type row struct {
		slug    string
		deleted bool
	}
	list := func(q ChangeQuery) (rows []row, last int64) {
		t.Helper()
		cs, err := db.Changes(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Deleted != (c.Record == nil) {
				t.Errorf("%s: deleted %v with record %v", c.ID, c.Deleted, c.Record != nil)
			}
			if c.Seq <= last {
				t.Errorf("%s: seq %d after %d", c.ID, c.Seq, last)
			}
			rows, last = append(rows, row{c.Slug, c.Deleted}), c.Seq
		}
		return rows, last
	}
	tests := []struct {
		name string
		q    ChangeQuery
		want []row
	}{
		{"everything", ChangeQuery{IncludeDeleted: true}, []row{{"c", false}, {"r", false}, {"a", false}, {"b", true}}},
		{"live", ChangeQuery{}, []row{{"c", false}, {"r", false}, {"a", false}}},
		{"local", ChangeQuery{LocalOnly: true, IncludeDeleted: true}, []row{{"c", false}, {"a", false}, {"b", true}}},
		{"origin", ChangeQuery{Origin: "https://b.example"}, []row{{"r", false}}},
		{"modified since", ChangeQuery{ModifiedSince: mid, IncludeDeleted: true}, []row{{"r", false}, {"a", false}, {"b", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := list(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("paged", func(t *testing.T) {
		var all []row
		var cursor int64
		for range 10 {
			page, last := list(ChangeQuery{After: cursor, Limit: 1, IncludeDeleted: true})
			if len(page) == 0 {
				break
			}
			all, cursor = append(all, page...), last
		}
		if want := tests[0].want; !slices.Equal(all, want) {
			t.Errorf("paged one by one: %v, want %v", all, want)
		}
	})
}
