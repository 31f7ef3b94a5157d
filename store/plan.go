package store

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/commons-directory/commons"

	"github.com/commons-directory/commons/store/analysis"
)

// How much a match counts, by how it was found: query words next to each
// other that a record has as one word (a name in camel case, a keyword
// phrase, a hyphenated word) count most; a typed word (or a word it
// begins) counts whole; a stem or a part of a camel-case name counts
// less; a word within typing distance, a compound the word is inside, or
// the word written apart counts least. So a record that has what was typed ranks above one that
// has something like it.
//
// In a record with a text in the reader's language (RecordFilter.Language),
// a word as typed counts a little more, and a stem of the query word by
// that language's rules (or a word whose stem there is the query word)
// counts between a word and a stem of another language: on a French page
// "cartes" ranks the record that says "carte" in French above one that
// says "cart" in English.
const (
	weightPhrase = 1.25 // words next to each other written together
	weightUIWord = 1.1
	weightWord   = 1.0
	weightUIStem = 0.85
	weightStem   = 0.7
	weightFuzzy  = 0.4
)

// Limits on what one query word may expand to.
const (
	maxTypos     = 8
	maxCompounds = 16
)

// A plan is what a search looks for: for each query word, the FTS5
// patterns that find it, each with its weight.
type plan struct {
	words []planWord
}

type planWord struct {
	word     string // folded, as typed
	stop     bool   // optional when other words are not
	alts     []*planAlt
	fix      string   // the nearest word within typing distance, if any
	exact    []string // typo, compound and joined words matched whole, for highlighting
	stems    []string // stems matched, for highlighting
	compound bool     // found through a word joined from several query words
}

type planAlt struct {
	weight   float64
	uiWeight float64 // the weight in a record with a text in the reader's language, when more
	pattern  string
	sets     [nTiers]*termSet
}

// weightIn returns the weight of a match in a record, ui telling whether
// the record has a text in the reader's language.
func (a *planAlt) weightIn(ui bool) float64 {
	if ui && a.uiWeight > a.weight {
		return a.uiWeight
	}
	return a.weight
}

func quote(w string) string { return `"` + strings.ReplaceAll(w, `"`, `""`) + `"` }

func orList(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = quote(w)
	}
	return "(" + strings.Join(q, " OR ") + ")"
}

// surfacePattern is the FTS5 query for a word as typed, in the word column:
// a prefix query (see ftsPattern).
func surfacePattern(word string) string { return "{word} : " + ftsPattern(word) }

// stemPattern is the FTS5 query for the stems of a word (analysis.Stems)
// and the camel-case parts equal to it.
func stemPattern(word string, stems []string) string {
	p := "{alt} : " + quote(word)
	if len(stems) > 0 {
		p += " OR {word alt} : " + orList(stems)
	}
	return p
}

// newPlan analyses the query words. vocab (nil before the index is built)
// gives the words within typing distance, the compounds and the splits;
// lang is the reader's language (a base tag, "" when unknown).
func newPlan(words []analysis.QueryWord, vocab *analysis.Vocabulary, lang string) *plan {
	p := &plan{words: make([]planWord, len(words))}
	stemUI := lang != "" && analysis.HasStemmer(lang)
	for i, qw := range words {
		w := qw.Word
		pw := planWord{word: w, stop: qw.Stop}
		surface := &planAlt{weight: weightWord, pattern: surfacePattern(w)}
		if lang != "" {
			surface.uiWeight = weightUIWord
		}
		pw.alts = append(pw.alts, surface)
		stems := analysis.Stems(w)
		pw.alts = append(pw.alts, &planAlt{weight: weightStem, pattern: stemPattern(w, stems)})
		if stemUI && !qw.Stop {
			var own []string
			if s := analysis.Stem(lang, w); s != w {
				own = []string{s}
			}
			pw.alts = append(pw.alts, &planAlt{uiWeight: weightUIStem, pattern: stemPattern(w, own)})
		}
		pw.stems = append([]string{w}, stems...)
		if vocab != nil && !qw.Stop {
			var fuzzy []string
			typos := vocab.Typos(w, maxTypos)
			if len(typos) > 0 {
				pw.fix = typos[0]
			}
			fuzzy = append(fuzzy, typos...)
			fuzzy = append(fuzzy, vocab.Compounds(w, maxCompounds)...)
			pw.exact = append(pw.exact, fuzzy...)
			var terms []string
			for _, f := range fuzzy {
				terms = append(terms, quote(f))
			}
			if !vocab.Has(w) {
				if a, b, ok := vocab.Split(w); ok {
					terms = append(terms, "("+quote(a)+" AND "+quote(b)+")")
					pw.exact = append(pw.exact, a, b)
				}
			}
			if len(terms) > 0 {
				pw.alts = append(pw.alts, &planAlt{weight: weightFuzzy, pattern: "{word} : (" + strings.Join(terms, " OR ") + ")"})
			}
		}
		p.words[i] = pw
	}
	// Words written apart that the index holds together: "open street map"
	// finds "openstreetmap", a match for each of the three.
	if vocab != nil {
		for i := range words {
			for j := i + 2; j <= min(i+3, len(words)); j++ {
				var b strings.Builder
				for _, qw := range words[i:j] {
					b.WriteString(qw.Word)
				}
				joined := b.String()
				if !vocab.Has(joined) {
					continue
				}
				alt := &planAlt{weight: weightPhrase, pattern: "{word} : " + quote(joined)}
				for k := i; k < j; k++ {
					p.words[k].alts = append(p.words[k].alts, alt)
					p.words[k].exact = append(p.words[k].exact, joined)
					p.words[k].compound = true
				}
			}
		}
	}
	return p
}

// read fills every alternative's match sets, in parallel; an alternative
// two words share is read once.
func (p *plan) read(ctx context.Context, db *DB) error {
	seen := map[*planAlt]bool{}
	var alts []*planAlt
	for _, w := range p.words {
		for _, a := range w.alts {
			if !seen[a] {
				seen[a] = true
				alts = append(alts, a)
			}
		}
	}
	errs := make([]error, len(alts)*nTiers)
	var wg sync.WaitGroup
	for i, a := range alts {
		for t := range nTiers {
			wg.Go(func() { a.sets[t], errs[i*nTiers+t] = db.termSet(ctx, t, a.pattern) })
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// describe returns what the search looked for when it is not what was
// typed (see commons.RecordPage.SearchedFor), and what to highlight.
func (p *plan) describe(ev evaluation) (string, *commons.QueryMatch) {
	m := &commons.QueryMatch{}
	var typed, searched []string
	for i, w := range p.words {
		typed = append(typed, w.word)
		if !ev.kept[i] {
			continue
		}
		word := w.word
		if ev.weak[i] && w.fix != "" && !w.compound {
			word = w.fix
		}
		searched = append(searched, word)
		m.Prefixes = append(m.Prefixes, w.word)
		m.Words = append(m.Words, w.exact...)
		m.Stems = append(m.Stems, w.stems...)
	}
	if ev.total == 0 {
		return "", m
	}
	if s := strings.Join(searched, " "); s != strings.Join(typed, " ") {
		return s, m
	}
	return "", m
}
