package analysis

import (
	"strings"

	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/danish"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/finnish"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/hungarian"
	"github.com/blevesearch/snowballstem/irish"
	"github.com/blevesearch/snowballstem/italian"
	"github.com/blevesearch/snowballstem/norwegian"
	"github.com/blevesearch/snowballstem/portuguese"
	"github.com/blevesearch/snowballstem/romanian"
	"github.com/blevesearch/snowballstem/spanish"
	"github.com/blevesearch/snowballstem/swedish"
)

// stemmers are the Snowball stemmers of the languages of Europe that
// Snowball covers, by ISO 639-1 code. Norwegian is not an EU language, but
// its neighbours read it and its stemmer costs nothing.
var stemmers = map[string]func(*snowball.Env) bool{
	"da": danish.Stem,
	"de": german.Stem,
	"en": english.Stem,
	"es": spanish.Stem,
	"fi": finnish.Stem,
	"fr": french.Stem,
	"ga": irish.Stem,
	"hu": hungarian.Stem,
	"it": italian.Stem,
	"nb": norwegian.Stem,
	"nl": dutch.Stem,
	"nn": norwegian.Stem,
	"no": norwegian.Stem,
	"pt": portuguese.Stem,
	"ro": romanian.Stem,
	"sv": swedish.Stem,
}

// Stemmed lists the languages with a stemmer, in a fixed order; a query is
// stemmed in each of them.
var Stemmed = []string{"en", "fr", "de", "es", "it", "nl", "pt", "sv", "da", "fi", "ro", "hu", "ga", "no"}

// Base returns the language of a BCP 47 tag ("pt-BR" → "pt"), lower case.
func Base(tag string) string {
	base, _, _ := strings.Cut(tag, "-")
	return strings.ToLower(base)
}

// HasStemmer reports whether texts in the language (a BCP 47 tag) are stemmed.
func HasStemmer(tag string) bool {
	_, ok := stemmers[Base(tag)]
	return ok
}

// stemmerOrder lists the distinct stemmers (Norwegian has three tags),
// each with its index in a Terms' stems; stemmerOf maps a language to it.
var (
	stemmerOrder = []string{"da", "de", "en", "es", "fi", "fr", "ga", "hu", "it", "nl", "no", "pt", "ro", "sv"}
	stemFuncs    [nStemmers]func(*snowball.Env) bool
	stemmerOf    = func() map[string]int {
		m := map[string]int{}
		for i, l := range stemmerOrder {
			m[l] = i
		}
		m["nb"], m["nn"] = m["no"], m["no"]
		for i, l := range stemmerOrder {
			stemFuncs[i] = stemmers[l]
		}
		if len(stemmerOrder) != nStemmers {
			panic("analysis: nStemmers is not len(stemmerOrder)")
		}
		return m
	}()
)

// nStemmers is len(stemmerOrder).
const nStemmers = 14

// stemmerIndex returns the index of the stemmer of a language (a BCP 47
// tag) in stemmerOrder, or -1.
func stemmerIndex(tag string) int {
	lang := tag
	if len(tag) != 2 {
		lang = Base(tag)
	}
	if i, ok := stemmerOf[lang]; ok {
		return i
	}
	return -1
}

// Stem returns the stem of a folded word in a language (a BCP 47 tag), or
// the word itself when the language has no stemmer. Stems are folded too.
func Stem(tag, word string) string {
	l := stemmerIndex(tag)
	if l < 0 || len(word) < 3 {
		return word
	}
	return stemWith(l, word)
}

// stemWith stems a folded word of 3 bytes or more by the stemmer of index l.
// A stem costs about a microsecond: a query stems its few words afresh, and
// Terms remembers the stems of the words it indexes.
func stemWith(l int, word string) string {
	env := snowball.NewEnv(word)
	stemFuncs[l](env)
	s := Fold(env.Current())
	if s == "" {
		s = word
	}
	return s
}
