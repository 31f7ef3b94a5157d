package analysis

import "strings"

// Terms gathers the index terms of the texts of one field of a record.
//
// A field's text goes into the index as written (the store's tokenizer
// folds it into Words); Extra are the words the tokenizer cannot see, the
// hyphenated words joined; Alt are the terms a query matches more weakly:
// the stems of the words that differ from the word, by the language of
// each text, and the parts of words in camel case with their stems.
type Terms struct {
	words map[string]bool
	toks  []Token            // reused by add
	memo  map[stemKey]string // stems this Terms computed, kept across Reset
	extra []string
	alt   []string
	seen  map[string]bool // alt and extra, to keep each once
}

// maxPhrase is the most words a phrase joined by AddPhrase may have.
const maxPhrase = 4

// AddPhrase analyses a short text that is one whole, such as a keyword, as
// Add does, and also joins its words when it has two to maxPhrase of them
// ("cultural heritage" → "culturalheritage"): a query with those words
// next to each other matches it as a phrase.
func (t *Terms) AddPhrase(text, tag string, langs []string) {
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
func (t *Terms) Add(text, tag string, langs []string) { t.add(text, tag, langs) }

func (t *Terms) addExtra(j string) {
	t.words[j] = true
	if !t.seen["+"+j] {
		t.seen["+"+j] = true
		t.extra = append(t.extra, j)
	}
}

func (t *Terms) add(text, tag string, langs []string) []Token {
	if t.words == nil {
		t.words, t.seen = make(map[string]bool, 256), make(map[string]bool, 256)
	}
	t.toks = appendTokens(t.toks[:0], text, tag)
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

type stemKey struct{ lang, word string }

// maxMemo bounds Terms.memo.
const maxMemo = 50_000

// stem is Stem, remembered: a Terms is reused record after record (on one
// core at a time), and its own map costs less than the shared cache.
func (t *Terms) stem(lang, word string) string {
	k := stemKey{lang, word}
	if s, ok := t.memo[k]; ok {
		return s
	}
	if t.memo == nil || len(t.memo) >= maxMemo {
		t.memo = make(map[stemKey]string, 1024)
	}
	s := Stem(lang, word)
	t.memo[k] = s
	return s
}

func (t *Terms) addAlt(word, alt string) {
	if alt == word || alt == "" || t.seen[alt] {
		return
	}
	t.seen[alt] = true
	t.alt = append(t.alt, alt)
}

// Reset empties t for another record, keeping its memory.
func (t *Terms) Reset() {
	t.NextField()
	clear(t.words)
}

// NextField starts the terms of another field: Extra and Alt start empty,
// Words goes on.
func (t *Terms) NextField() {
	t.extra, t.alt = nil, nil
	clear(t.seen)
}

// Extra returns the joined words, space-separated.
func (t *Terms) Extra() string { return strings.Join(t.extra, " ") }

// Alt returns the weak terms, space-separated.
func (t *Terms) Alt() string { return strings.Join(t.alt, " ") }

// Words calls fn with every distinct folded word of the texts, joined
// words included, but words with digits: the vocabulary that typo
// tolerance and compound matching search.
func (t *Terms) Words(fn func(string)) {
	for w := range t.words {
		if !HasDigit(w) {
			fn(w)
		}
	}
}
