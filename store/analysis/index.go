package analysis

import "strings"

// Terms gathers the index terms of the texts of the fields of a record.
//
// A field's Text holds each word of its texts once, as written (the
// store's tokenizer folds it), then the words the tokenizer cannot see:
// the hyphenated words joined and the words of short phrases joined. Alt
// holds the terms a query matches more weakly: the stems of the words
// that differ from the word, by the language of each text, and the parts
// of words in camel case with their stems. Words gathers the folded words
// of the whole record, for the vocabulary.
//
// A Terms is reused record after record by one goroutine at a time: it
// remembers what it learnt of each word it met (its folded form, whether it
// is a stop word, its stems, its camel-case parts), up to maxMemo words,
// so that a word met again costs one map lookup.
type Terms struct {
	raws  map[string]*rawInfo  // by token as written
	infos map[string]*wordInfo // by folded word: words, stems, parts, joins

	rec, field uint32 // the current record and field, never 0 once begun

	toks  []Token
	text  []byte // the field's distinct tokens, space-separated
	count int    // the field's tokens, repeats included
	extra []*wordInfo
	alt   []*wordInfo
	words []string // the record's vocabulary words
	join  []byte
	langs []int // language indices, reused by add
}

// rawInfo is what Terms knows of a token as written.
type rawInfo struct {
	raw   string
	w     *wordInfo
	parts []*wordInfo // camel-case parts of two letters or more
	field uint32      // the last field whose text has it
}

// wordInfo is what Terms knows of a folded word.
type wordInfo struct {
	word  string
	skip  bool                 // a stop word or a word with digits: no stems
	stems [nStemmers]*wordInfo // by stemmer index; nil until needed
	rec   uint32               // the last record whose words have it
	alt   uint32               // the last field whose alt has it
	extra uint32               // the last field whose extra has it
}

// maxMemo bounds the words a Terms remembers; past it, it starts afresh.
const maxMemo = 20_000

// maxPhrase is the most words a phrase joined by AddPhrase may have.
const maxPhrase = 4

// Reset starts another record.
func (t *Terms) Reset() {
	if t.raws == nil || len(t.raws) > maxMemo || len(t.infos) > 3*maxMemo {
		t.raws = make(map[string]*rawInfo, 1024)
		t.infos = make(map[string]*wordInfo, 2048)
	}
	t.rec++
	t.words = t.words[:0]
	t.NextField()
}

// NextField starts the terms of another field: Text, Extra and Alt start
// empty, Words goes on.
func (t *Terms) NextField() {
	t.field++
	if t.field == 0 { // wrapped: forget every mark (a word may then be in Words twice)
		t.raws = make(map[string]*rawInfo, 1024)
		t.infos = make(map[string]*wordInfo, 2048)
		t.field = 1
	}
	t.text = t.text[:0]
	t.count = 0
	t.extra = t.extra[:0]
	t.alt = t.alt[:0]
}

// info returns the interned wordInfo of a folded word.
func (t *Terms) info(w string) *wordInfo {
	if wi := t.infos[w]; wi != nil {
		return wi
	}
	w = strings.Clone(w)
	wi := &wordInfo{word: w, skip: IsStop(w) || HasDigit(w)}
	t.infos[w] = wi
	return wi
}

// infoBytes is info for a word being built, without allocating when known.
func (t *Terms) infoBytes(b []byte) *wordInfo {
	if wi := t.infos[string(b)]; wi != nil {
		return wi
	}
	return t.info(string(b))
}

func (t *Terms) rawInfo(raw string) *rawInfo {
	if ri := t.raws[raw]; ri != nil {
		return ri
	}
	raw = strings.Clone(raw) // the key must not hold the whole text
	ri := &rawInfo{raw: raw, w: t.info(Fold(raw))}
	for _, p := range CamelParts(raw) {
		if len(p) >= 2 {
			ri.parts = append(ri.parts, t.info(p))
		}
	}
	t.raws[raw] = ri
	return ri
}

// stem returns the interned stem of a word by the stemmer of index l.
func (t *Terms) stem(l int, w *wordInfo) *wordInfo {
	if s := w.stems[l]; s != nil {
		return s
	}
	s := w
	if len(w.word) >= 3 {
		if st := stemWith(l, w.word); st != w.word {
			s = t.info(st)
		}
	}
	w.stems[l] = s
	return s
}

// AddPhrase analyses a short text that is one whole, such as a keyword, as
// Add does, and also joins its words when it has two to maxPhrase of them
// ("cultural heritage" → "culturalheritage"): a query with those words
// next to each other matches it as a phrase.
func (t *Terms) AddPhrase(text, tag string, langs []string) {
	toks := t.add(text, tag, langs)
	if len(toks) < 2 || len(toks) > maxPhrase {
		return
	}
	t.join = t.join[:0]
	for _, tk := range toks {
		t.join = append(t.join, tk.Word...)
	}
	t.addExtra(t.infoBytes(t.join))
}

// Add analyses a text. tag is its language (a BCP 47 tag); a text without
// one (keywords, a slug) is stemmed in each of langs.
func (t *Terms) Add(text, tag string, langs []string) { t.add(text, tag, langs) }

func (t *Terms) addExtra(wi *wordInfo) {
	t.addWord(wi)
	if wi.extra != t.field {
		wi.extra = t.field
		t.extra = append(t.extra, wi)
	}
}

func (t *Terms) addWord(wi *wordInfo) {
	if wi.rec != t.rec {
		wi.rec = t.rec
		if !HasDigit(wi.word) {
			t.words = append(t.words, wi.word)
		}
	}
}

func (t *Terms) add(text, tag string, langs []string) []Token {
	if t.raws == nil {
		t.Reset()
	}
	t.toks = appendTokens(t.toks[:0], text, tag, false)
	toks := t.toks
	t.langs = t.langs[:0]
	if tag != "" {
		langs = nil
		if l := stemmerIndex(tag); l >= 0 {
			t.langs = append(t.langs, l)
		}
	}
	for _, tag := range langs {
		if l := stemmerIndex(tag); l >= 0 {
			t.langs = append(t.langs, l)
		}
	}
	t.count += len(toks)
	for i := range toks {
		tk := &toks[i]
		ri := t.rawInfo(tk.Raw)
		if ri.field != t.field {
			ri.field = t.field
			if len(t.text) > 0 {
				t.text = append(t.text, ' ')
			}
			t.text = append(t.text, ri.raw...)
		}
		tk.Word = ri.w.word // the interned copy
		w := ri.w
		if len(w.word) >= 3 { // shorter words are never typos, compounds or halves
			t.addWord(w)
		}
		if tk.Elided || w.skip {
			continue // numbers and codes have no stem
		}
		for _, l := range t.langs {
			t.addAlt(w, t.stem(l, w))
		}
		for _, p := range ri.parts {
			t.addAlt(nil, p)
			for _, l := range t.langs {
				t.addAlt(p, t.stem(l, p))
			}
		}
	}
	for i := 0; i < len(toks); i++ {
		j := i + 1
		for j < len(toks) && toks[j].Joined && j-i < 4 {
			j++
		}
		if j-i > 1 {
			t.join = t.join[:0]
			for _, tk := range toks[i:j] {
				t.join = append(t.join, tk.Word...)
			}
			t.addExtra(t.infoBytes(t.join))
			i = j - 1
		}
	}
	return toks
}

func (t *Terms) addAlt(word, alt *wordInfo) {
	if alt == word || alt.alt == t.field {
		return
	}
	alt.alt = t.field
	t.alt = append(t.alt, alt)
}

// Text returns the field's words as written, each once, then its joined
// words, space-separated: what the full-text index tokenizes.
func (t *Terms) Text() string {
	n := len(t.text)
	for _, e := range t.extra {
		n += 1 + len(e.word)
	}
	var b strings.Builder
	b.Grow(n)
	b.Write(t.text)
	for _, e := range t.extra {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.word)
	}
	return b.String()
}

// Count returns the number of words of the field's texts, repeats
// included (the joined words aside).
func (t *Terms) Count() int { return t.count }

// Extra returns the joined words, space-separated.
func (t *Terms) Extra() string { return joinWords(t.extra) }

// Alt returns the weak terms, space-separated.
func (t *Terms) Alt() string { return joinWords(t.alt) }

func joinWords(ws []*wordInfo) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0].word
	}
	n := len(ws) - 1
	for _, w := range ws {
		n += len(w.word)
	}
	var b strings.Builder
	b.Grow(n)
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.word)
	}
	return b.String()
}

// Words returns every distinct folded word of the record's texts, joined
// words included, but words with digits and words under 3 letters: the
// vocabulary that typo tolerance and compound matching search. The slice
// is reused by the next record.
func (t *Terms) Words() []string { return t.words }
