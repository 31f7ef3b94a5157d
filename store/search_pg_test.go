package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

// TestCompileFTS checks the translation of the FTS5 patterns the search
// plan writes into the tsquery PostgreSQL matches; TestSearchSameOnBothStores
// checks that both stores then find the same records.
func TestCompileFTS(t *testing.T) {
	long := "x" + strings.Repeat("ж", maxLexeme/2) // 2 bytes a letter: cut at a letter's start
	for _, c := range []struct {
		tier    int
		pattern string
		want    string // the tsquery; "" when nothing can match
	}{
		{0, `"Carte"`, `('carte' | '~carte')`},
		{1, `{word}: "Straße"*`, `'straße':*`},
		{2, `{alt}: "ÉTAT civil"`, `('~etat' & '~civil')`},
		{0, `{word alt}: "open data"*`, `(('open' | '~open') & ('data':* | '~data':*))`},
		{0, `{word}: "a" OR {word}: "b" AND {alt}: "c"`, `('a' | ('b' & '~c'))`},
		{0, `{word}: ("a" "b") OR "--"`, `('a' & 'b')`},
		{0, `{word}: "a" AND "--"`, ``},
		{0, `"--"`, ``},
		{0, `{word}: "` + long + `"`, `'x` + strings.Repeat("ж", maxLexeme/2-1) + `'`},
		{0, `{word}: "it""s"`, `('it' & 's')`},
	} {
		q, args, err := compileFTS(c.tier, c.pattern)
		if err != nil {
			t.Errorf("%s: %v", c.pattern, err)
			continue
		}
		if c.want == "" {
			if !strings.Contains(q, "WHERE false") || len(args) != 0 {
				t.Errorf("%s: %s %v, want a query that matches nothing", c.pattern, q, args)
			}
			continue
		}
		if !strings.Contains(q, fmt.Sprintf("tier = %d ", c.tier)) || len(args) != 1 || args[0] != c.want {
			t.Errorf("%s: %s %q, want the tsquery %s", c.pattern, q, args, c.want)
		}
	}
	for _, bad := range []string{`"open`, `{word "a"`, `{nope}: "a"`, `("a"`, `"a" )`} {
		if _, _, err := compileFTS(0, bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestLargeText stores a record with a word longer than a tsvector
// allows and descriptions of the largest size in every official language,
// all of different words: it is stored and found on both stores.
func TestLargeText(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db := MustOpen(t)
		rnd := rand.New(rand.NewPCG(1, 2))
		word := func() string {
			b := make([]byte, 16+rnd.IntN(32))
			for i := range b {
				b[i] = 'a' + byte(rnd.IntN(26))
			}
			return string(b)
		}
		r := newRecord("large", "Large findable")
		for _, lang := range []string{"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
			"hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv"} {
			var b strings.Builder
			for b.Len() < commons.MaxDescription-60 { // letters of ASCII: one byte each
				b.WriteString(word() + " ")
			}
			r.Description[lang] = b.String()
		}
		r.Description["en"] = strings.Repeat("x", 3000) + " " + r.Description["en"][3001:]
		if err := db.CreateRecord(ctx, r, "t"); err != nil {
			t.Fatal(err)
		}
		p, err := db.SearchRecords(ctx, commons.RecordFilter{Query: "findable"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 1 {
			t.Errorf("findable finds %d records, want 1", p.Total)
		}
	})
}

// TestTextRowsBounded: a tier's text beyond what one tsvector holds is
// left out of the index on PostgreSQL rather than failing the write.
func TestTextRowsBounded(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 2*maxTextVector; i++ {
		fmt.Fprintf(&b, "word%07d ", i)
	}
	var d derived
	d.text[tierDesc] = b.String()
	tiers, docs := pgTextRows(&d)
	if len(docs) != 1 || tiers[0] != tierDesc {
		t.Fatalf("tiers %v, want only %d", tiers, tierDesc)
	}
	if n := len(docs[0]); n > maxTextVector || n < maxTextVector-100 {
		t.Errorf("the row's text is %d bytes, want at most %d and close to it", n, maxTextVector)
	}
	if !strings.HasPrefix(docs[0], "'word0000000' 'word0000001' ") {
		t.Errorf("the row begins %.40s", docs[0])
	}
}
