package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

// TestIndexArenas rewrites the rows of an index until their old name keys
// and facet values are most of the arenas, and checks that every row still
// reads its own after the arenas are compacted.
func TestIndexArenas(t *testing.T) {
	ix := newIndex()
	const rows = 2000
	row := func(pk, round int) indexRow {
		kind := fmt.Sprintf("kind%d", (pk+round)%7)
		return indexRow{pk: int64(pk), seq: int64(round), updated: int64(round), sortName: fmt.Sprint("name ", pk),
			nameKeys: fmt.Sprintf("slug%d-%d\n%s", pk, round, strings.Repeat("k", 100)),
			facets:   commons.FacetKind + "\t" + kind + "\n" + commons.FacetCountry + "\tFR\n"}
	}
	compactions := 0
	for round := range 10 {
		before := len(ix.keys)
		batch := make([]indexRow, 0, rows)
		for pk := 1; pk <= rows; pk++ {
			batch = append(batch, row(pk, round))
		}
		ix.apply(batch)
		if len(ix.keys) < before {
			compactions++
		}
		for pk := 1; pk <= rows; pk++ {
			r := &ix.rows[pk]
			want := row(pk, round)
			if got := string(ix.nameKeys(r)); got != want.nameKeys {
				t.Fatalf("round %d: row %d keys %q, want %q", round, pk, got, want.nameKeys)
			}
			var got []string
			for f := range nFacets {
				for _, id := range ix.rowValues(r, f) {
					got = append(got, commons.Facets[f]+"\t"+ix.values.names[id]+"\n")
				}
			}
			if strings.Join(got, "") != want.facets {
				t.Fatalf("round %d: row %d facets %q, want %q", round, pk, got, want.facets)
			}
			if !slices.Equal(ix.allValues(r), append(slices.Clone(ix.rowValues(r, 0)), ix.rowValues(r, 1)...)) {
				t.Fatalf("round %d: row %d all values %v", round, pk, ix.allValues(r))
			}
		}
	}
	if compactions == 0 {
		t.Errorf("the arenas were never compacted (%d bytes of keys)", len(ix.keys))
	}
}
