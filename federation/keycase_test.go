package federation

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// exactKeyCase is the check keyCaseSuspect spares: the document decoded
// as a map, each top-level key compared with the trust keys.
func exactKeyCase(body []byte) (refused, object bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil || doc == nil {
		return false, false
	}
	return checkKeyCase(doc) != nil, true
}

// keyCaseCases are documents with the verdict of the exact check and
// whether the byte scan must pass them without a decode (clear).
var keyCaseCases = []struct {
	name, body     string
	refused, clear bool
}{
	{"a record document", `{"id":"https://a.example/records/osm","type":"Service","name":"Société numérique ſ ` + "\u212a" + `","url":"https://a.example/?a=1\u0026b=2",` +
		`"commonsRecord":{"id":"https://a.example/records/osm","name":{"fr":"Carte libre — \"OSM\"","el":"Ελεύθερος χάρτης"},"keywords":["Id","TYPE"]},` +
		`"proof":{"type":"DataIntegrityProof","verificationMethod":"https://a.example/actor#ed25519-key"}}`, false, false},
	{"nothing like a trust key", `{"id":"https://a.example/1","type":"Note","content":"Bonjour, ça va? \u00e9\"quoted\"","tags":["x",1,null,true]}`, false, true},
	{"escaped exact key", `{"\u0069d":"https://a.example/1"}`, false, true},
	{"key spelled ID", `{"id":"https://a.example/1","ID":"https://b.example/1"}`, true, false},
	{"key spelled TYPE", `{"TYPE":"Person"}`, true, false},
	{"escaped I\u0044", `{"id":"https://a.example/1","I\u0044":"https://b.example/1"}`, true, false},
	{"escaped first letter", `{"\u0049d":"https://b.example/1"}`, true, false},
	{"Kelvin sign in publicKey", "{\"publicKey\":{},\"public\u212aey\":{}}", true, false},
	{"escaped Kelvin sign", `{"public\u212aey":{}}`, true, false},
	{"long s in assertionMethod", `{"aſſertionMethod":[]}`, true, false},
	{"escaped long s in commonsRecords", `{"commonsRecord\u017f":[]}`, true, false},
	{"ambiguous key nested", `{"id":"https://a.example/1","object":{"ID":"https://b.example/1"}}`, false, false},
	{"trust key as a value", `{"id":"https://a.example/1","name":"Owner"}`, false, false},
	{"escaped quotes around a trust key", `{"id":"https://a.example/1","name":"say \"ID\" now"}`, false, true},
	{"key with a space", `{"type ":"x","Type_":"y"}`, false, true},
	{"not an object", `["ID","Type"]`, false, false},
}

// TestKeyCaseScan: the byte scan lets a document through without a
// decode only when the exact check would pass it, and does let the
// common documents through; the ones it cannot clear are decoded, with
// the exact check's verdict.
func TestKeyCaseScan(t *testing.T) {
	for _, c := range keyCaseCases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(c.body)
			refused, object := exactKeyCase(body)
			if object && refused != c.refused {
				t.Fatalf("the exact check refuses: %v, the case says %v", refused, c.refused)
			}
			if got := !keyCaseSuspect(body); got != c.clear {
				t.Errorf("scan clears: %v, want %v", got, c.clear)
			}
			if err := checkBodyKeyCase(body); object && (err != nil) != c.refused {
				t.Errorf("checkBodyKeyCase: %v, want refused: %v", err, c.refused)
			}
			if _, err := decodeItem(body); c.refused && err == nil {
				t.Error("decodeItem accepted it")
			}
		})
	}
}

// FuzzKeyCase: whatever the document, what the exact check refuses the
// scan does not clear, and checkBodyKeyCase refuses.
func FuzzKeyCase(f *testing.F) {
	for _, c := range keyCaseCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		refused, object := exactKeyCase(body)
		if !object || !refused {
			return
		}
		if !keyCaseSuspect(body) {
			t.Fatalf("the scan cleared %q", body)
		}
		if checkBodyKeyCase(body) == nil {
			t.Fatalf("checkBodyKeyCase passed %q", body)
		}
	})
}

// TestRecordPageKeyCase fetches record pages from a real server on
// loopback: a page whose own keys are ambiguous is refused, and an item
// of a page with an ambiguous key is read as an error while its clean
// neighbour is read.
func TestRecordPageKeyCase(t *testing.T) {
	g := newDeliveryRig(t, []time.Duration{time.Hour})
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := srv.URL + r.URL.Path
		item := func(n, idKey string) string {
			return `{"` + idKey + `":"` + srv.URL + `/records/` + n + `","type":"Tombstone","deleted":"2026-01-02T03:04:05Z"}`
		}
		w.Header().Set("Content-Type", "application/activity+json")
		switch r.URL.Path {
		case "/ambiguous-page":
			w.Write([]byte(`{"id":"` + id + `","Id":"https://elsewhere.example/records","type":"OrderedCollectionPage","orderedItems":[]}`))
		case "/ambiguous-item":
			w.Write([]byte(`{"id":"` + id + `","type":"OrderedCollectionPage","orderedItems":[` + item("a", "id") + `,` + item("b", "I\\u0044") + `]}`))
		case "/clean":
			w.Write([]byte(`{"id":"` + id + `","type":"OrderedCollectionPage","orderedItems":[` + item("a", "id") + `]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	if _, err := g.f.fetchRecordPage(ctx, srv.URL+"/ambiguous-page", &syncStats{}); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("a page with an ambiguous id: %v", err)
	}

	page, err := g.f.fetchRecordPage(ctx, srv.URL+"/ambiguous-item", &syncStats{})
	if err != nil {
		t.Fatal(err)
	}
	if page.keysClear || len(page.Items) != 2 {
		t.Fatalf("keysClear %v, %d items", page.keysClear, len(page.Items))
	}
	if d := readPageDoc(page.Items[0], page.keysClear); d.err != nil || d.id != srv.URL+"/records/a" || d.it.Type != "Tombstone" {
		t.Fatalf("clean item: %+v", d)
	}
	if d := readPageDoc(page.Items[1], page.keysClear); d.err == nil || !strings.Contains(d.err.Error(), "ambiguous") {
		t.Fatalf("ambiguous item read: %+v", d)
	}
	if _, ok, err := g.f.pageItem(ctx, srv.URL, nil, readPageDoc(page.Items[1], page.keysClear)); ok || err == nil {
		t.Fatalf("pageItem took the ambiguous item: %v, %v", ok, err)
	}

	page, err = g.f.fetchRecordPage(ctx, srv.URL+"/clean", &syncStats{})
	if err != nil || !page.keysClear || page.ID != srv.URL+"/clean" {
		t.Fatalf("clean page: %+v, %v", page, err)
	}
	if c, ok, err := g.f.pageItem(ctx, srv.URL, nil, readPageDoc(page.Items[0], page.keysClear)); !ok || err != nil || c.ID != srv.URL+"/records/a" || c.Deleted.IsZero() {
		t.Fatalf("pageItem of the clean item: %+v, %v, %v", c, ok, err)
	}
}

// TestSpliceItems: a page with its documents spliced in is the page the
// encoder writes with them as items, byte for byte.
func TestSpliceItems(t *testing.T) {
	docs := [][]byte{
		[]byte(`{"id":"https://a.example/records/a","type":"Service","name":"\"orderedItems\":[] — <b>","proof":{"type":"DataIntegrityProof"}}`),
		[]byte(`{"id":"https://a.example/records/b","type":"Tombstone","deleted":"2026-01-02T03:04:05Z"}`),
	}
	page := func(items []any) map[string]any {
		return withIntegrityContext(map[string]any{"id": "https://a.example/actor/records?page=true&since=0", "type": "OrderedCollectionPage",
			"partOf": "https://a.example/actor/records", "orderedItems": items, "commonsCursor": "3-2", "next": "https://a.example/actor/records?page=true&since=3-2"})
	}
	want, err := marshal(page([]any{json.RawMessage(docs[0]), json.RawMessage(docs[1])}))
	if err != nil {
		t.Fatal(err)
	}
	empty, err := marshal(page([]any{}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := spliceItems(empty, docs)
	if err != nil || string(got) != string(want) {
		t.Fatalf("spliced:\n%s, %v\nencoded:\n%s", got, err, want)
	}
	if _, err := spliceItems([]byte(`{"orderedItems":[{}]}`), docs); err == nil {
		t.Fatal("spliced into a page without an empty orderedItems")
	}
}

// TestWritePageReusesCompressors: pages written one after another, and
// at once, each arrive whole, with the compressors reused between them.
func TestWritePageReusesCompressors(t *testing.T) {
	page := func(i int) []byte {
		return []byte(`{"id":"https://a.example/actor/records?page=` + strings.Repeat("x", i) + `","orderedItems":[` +
			strings.Repeat(`{"id":"https://a.example/records/r`+strings.Repeat("y", i)+`"},`, 100+i) + `{}]}`)
	}
	read := func(rec *httptest.ResponseRecorder) (string, error) {
		if rec.Header().Get("Content-Encoding") != "gzip" {
			return "", fmt.Errorf("not compressed: %v", rec.Header())
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(zr)
		return string(b), err
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			for j := range 3 {
				body := page(i*3 + j)
				r := httptest.NewRequest(http.MethodGet, "/actor/records?page=true", nil)
				r.Header.Set("Accept-Encoding", "gzip")
				rec := httptest.NewRecorder()
				if err := writePage(rec, r, body); err != nil {
					t.Error(err)
					return
				}
				if got, err := read(rec); err != nil || got != string(body) {
					t.Errorf("page %d arrived as %.80q…, %v", i*3+j, got, err)
				}
			}
		})
	}
	wg.Wait()
}

// TestTrustFirst: every rune that folds to the first letter of a trust
// key opens a run the scan looks at, whichever way it is written.
func TestTrustFirst(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		for _, k := range trustKeys {
			first, _ := utf8.DecodeRuneInString(k)
			if !strings.EqualFold(string(r), string(first)) {
				continue
			}
			if b := []byte(string(r)); !trustFirst[b[0]] {
				t.Errorf("%q (%U) folds to the first letter of %q, but a run starting with byte %#x is not looked at", r, r, k, b[0])
			}
		}
	}
	if !trustFirst['\\'] || trustFirst['"'] || trustFirst['{'] || trustFirst['x'] {
		t.Error("the first bytes looked at are not the escapes and the letters of the trust keys")
	}
}
