package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func TestChanges(t *testing.T) {
	eachStore(t, func(t *testing.T) {
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
		list := func(q ChangeQuery) (rows []row, last [2]int64) {
			t.Helper()
			cs, err := db.Changes(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			last = [2]int64{q.After, q.AfterPK}
			for _, c := range cs {
				if c.Deleted != (c.Record == nil) {
					t.Errorf("%s: deleted %v with record %v", c.ID, c.Deleted, c.Record != nil)
				}
				if c.Seq < last[0] || c.Seq == last[0] && c.PK <= last[1] {
					t.Errorf("%s: (%d, %d) after %v", c.ID, c.Seq, c.PK, last)
				}
				rows, last = append(rows, row{c.Slug, c.Deleted}), [2]int64{c.Seq, c.PK}
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
			var cursor [2]int64
			for range 10 {
				page, last := list(ChangeQuery{After: cursor[0], AfterPK: cursor[1], Limit: 1, IncludeDeleted: true})
				if len(page) == 0 {
					break
				}
				all, cursor = append(all, page...), last
			}
			if want := tests[0].want; !slices.Equal(all, want) {
				t.Errorf("paged one by one: %v, want %v", all, want)
			}
		})
		t.Run("one transaction, many records", func(t *testing.T) {
			// An import writes many records under one change counter: paging
			// must not skip the rest of a transaction's records.
			var rs []*commons.Record
			for i := range 7 {
				rs = append(rs, newRecord(fmt.Sprintf("imported-%d", i), "Imported"))
			}
			if _, err := db.ImportRecords(ctx, rs, ImportOptions{Actor: "t"}); err != nil {
				t.Fatal(err)
			}
			n := 0
			var cursor [2]int64
			for range 20 {
				page, last := list(ChangeQuery{After: cursor[0], AfterPK: cursor[1], Limit: 2, LocalOnly: true})
				if len(page) == 0 {
					break
				}
				for _, r := range page {
					if strings.HasPrefix(r.slug, "imported-") {
						n++
					}
				}
				cursor = last
			}
			if n != 7 {
				t.Errorf("paged through %d of 7 imported records", n)
			}
		})
	})
}
