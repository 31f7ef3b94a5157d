package analysis

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refTerms is the straightforward analysis that Terms must equal: maps of
// strings, nothing remembered but stems.
type refTerms struct {
	words map[string]bool
	toks  []Token               // reused by add
	memo  map[refStemKey]string // stems this refTerms computed, kept across Reset
	extra []string
	alt   []string
	seen  map[string]bool // alt and extra, to keep each once
}

// maxPhrase is the most words a phrase joined by AddPhrase may have.

// AddPhrase analyses a short text that is one whole, such as a keyword, as
// Add does, and also joins its words when it has two to maxPhrase of them
// ("cultural heritage" → "culturalheritage"): a query with those words
// next to each other matches it as a phrase.
func (t *refTerms) AddPhrase(text, tag string, langs []string) {
	toks := t.add(text, tag, langs)
	if len(toks) < 2 || len(toks) > maxPhrase {
		return
	}
	var b strings.Builder
	for _, tk := range toks {
		b.WriteString(tk.Word)
	}
	t.addExtra(b.String())
}

// Add analyses a text. tag is its language (a BCP 47 tag); a text without
// one (keywords, a slug) is stemmed in each of langs.
func (t *refTerms) Add(text, tag string, langs []string) { t.add(text, tag, langs) }

func (t *refTerms) addExtra(j string) {
	t.words[j] = true
	if !t.seen["+"+j] {
		t.seen["+"+j] = true
		t.extra = append(t.extra, j)
	}
}

func (t *refTerms) add(text, tag string, langs []string) []Token {
	if t.words == nil {
		t.words, t.seen = make(map[string]bool, 256), make(map[string]bool, 256)
	}
	t.toks = appendTokens(t.toks[:0], text, tag, true)
	toks := t.toks
	stemIn := langs
	if tag != "" {
		stemIn = []string{tag}
	}
	for _, tk := range toks {
		if len(tk.Word) >= 3 { // shorter words are never typos, compounds or halves
			t.words[tk.Word] = true
		}
		if tk.Elided || IsStop(tk.Word) || HasDigit(tk.Word) {
			continue // numbers and codes have no stem
		}
		for _, l := range stemIn {
			t.addAlt(tk.Word, t.stem(l, tk.Word))
		}
		for _, p := range CamelParts(tk.Raw) {
			if len(p) < 2 {
				continue
			}
			t.addAlt("", p)
			for _, l := range stemIn {
				t.addAlt(p, t.stem(l, p))
			}
		}
	}
	for _, j := range Joins(toks) {
		t.addExtra(j)
	}
	return toks
}

type refStemKey struct{ lang, word string }

// refMaxMemo bounds refTerms.memo.
const refMaxMemo = 50_000

// stem is Stem, remembered: a refTerms is reused record after record (on one
// core at a time), and its own map costs less than the shared cache.
func (t *refTerms) stem(lang, word string) string {
	k := refStemKey{lang, word}
	if s, ok := t.memo[k]; ok {
		return s
	}
	if t.memo == nil || len(t.memo) >= refMaxMemo {
		t.memo = make(map[refStemKey]string, 1024)
	}
	s := Stem(lang, word)
	t.memo[k] = s
	return s
}

func (t *refTerms) addAlt(word, alt string) {
	if alt == word || alt == "" || t.seen[alt] {
		return
	}
	t.seen[alt] = true
	t.alt = append(t.alt, alt)
}

// Reset empties t for another record, keeping its memory.
func (t *refTerms) Reset() {
	t.NextField()
	clear(t.words)
}

// NextField starts the terms of another field: Extra and Alt start empty,
// Words goes on.
func (t *refTerms) NextField() {
	t.extra, t.alt = nil, nil
	clear(t.seen)
}

// Extra returns the joined words, space-separated.
func (t *refTerms) Extra() string { return strings.Join(t.extra, " ") }

// Alt returns the weak terms, space-separated.
func (t *refTerms) Alt() string { return strings.Join(t.alt, " ") }

// Words calls fn with every distinct folded word of the texts, joined
// words included, but words with digits: the vocabulary that typo
// tolerance and compound matching search.
func (t *refTerms) Words(fn func(string)) {
	for w := range t.words {
		if !HasDigit(w) {
			fn(w)
		}
	}
}

// TestTermsEqualsReference checks that Terms, which remembers words and
// writes each once, indexes the same terms as the straightforward
// analysis, over texts in several languages with repeats, elisions,
// hyphens, camel case and phrases, record after record.
func TestTermsEqualsReference(t *testing.T) {
	pool := strings.Fields(`L'OpenStreetMap carte cartes Karten Straße street-level Nutri-Score dell'arte
		l'eau d'Europe France's bibliothèques XWiki Web3Tools données öffentliche open data the of de
		mapping maps GoDoc géocodage Schachserver wald72069 a-b ÉNERGIE énergie e-mail naïve coöperatie`)
	langs := []string{"en", "fr", "de", "it", "pt-BR", "pl", ""}
	rnd := rand.New(rand.NewPCG(1, 2))
	var got Terms
	var want refTerms
	text := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString([]string{" ", " ", "\n", ", "}[rnd.IntN(4)])
			}
			b.WriteString(pool[rnd.IntN(len(pool))])
		}
		return b.String()
	}
	set := func(s string) []string {
		var out []string
		for _, tk := range Tokens(s, "") {
			out = append(out, tk.Word)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for rec := range 300 {
		got.Reset()
		want.Reset()
		for field := range 3 {
			got.NextField()
			want.NextField()
			var texts []string
			for range 1 + rnd.IntN(4) {
				tx, tag := text(1+rnd.IntN(12)), langs[rnd.IntN(len(langs))]
				stemIn := []string{"en", "de"}[:rnd.IntN(3)]
				if rnd.IntN(3) == 0 {
					got.AddPhrase(tx, tag, stemIn)
					want.AddPhrase(tx, tag, stemIn)
				} else {
					got.Add(tx, tag, stemIn)
					want.Add(tx, tag, stemIn)
				}
				texts = append(texts, tx)
			}
			full := strings.Join(texts, "\n")
			wantText := full
			if e := want.Extra(); e != "" {
				wantText += "\n" + e
			}
			if g, w := set(got.Text()), set(wantText); !slices.Equal(g, w) {
				t.Fatalf("record %d field %d: text terms %q, want %q", rec, field, g, w)
			}
			if g, w := got.Count(), len(Tokens(full, "")); g != w {
				t.Fatalf("record %d field %d: %d words, want %d", rec, field, g, w)
			}
			if g, w := strings.Fields(got.Alt()), strings.Fields(want.Alt()); !slices.Equal(g, w) {
				t.Fatalf("record %d field %d: alt %q, want %q", rec, field, g, w)
			}
			if g, w := strings.Fields(got.Extra()), strings.Fields(want.Extra()); !slices.Equal(g, w) {
				t.Fatalf("record %d field %d: extra %q, want %q", rec, field, g, w)
			}
		}
		var ww []string
		want.Words(func(w string) { ww = append(ww, w) })
		gw := slices.Clone(got.Words())
		slices.Sort(ww)
		slices.Sort(gw)
		if !slices.Equal(gw, ww) {
			t.Fatalf("record %d: words %q, want %q", rec, gw, ww)
		}
	}
}

// Joins returns, for refTerms, the words a text writes with hyphens, joined: "Nutri-Score"
// → "nutriscore", "street-level" → "streetlevel", up to four parts.
func Joins(toks []Token) []string {
	var out []string
	for i := 0; i < len(toks); i++ {
		j := i + 1
		for j < len(toks) && toks[j].Joined && j-i < 4 {
			j++
		}
		if j-i > 1 {
			var b strings.Builder
			for _, t := range toks[i:j] {
				b.WriteString(t.Word)
			}
			out = append(out, b.String())
			i = j - 1
		}
	}
	return out
}
