package analysis

import "slices"

// QueryWord is a word of a query.
type QueryWord struct {
	Word string // folded
	Stop bool   // a stop word: optional when the query has other words
}

// ParseQuery splits a query into its words, folded, in order, without
// elisions in any language ("l'encyclopédie" → "encyclopedie"), without
// duplicates, at most max of them.
func ParseQuery(q string, max int) []QueryWord {
	var out []QueryWord
	for _, t := range Tokens(q, "") {
		if t.Elided || slices.ContainsFunc(out, func(w QueryWord) bool { return w.Word == t.Word }) {
			continue
		}
		out = append(out, QueryWord{Word: t.Word, Stop: IsStop(t.Word)})
		if len(out) == max {
			break
		}
	}
	return out
}

// Stems returns the stems of a folded query word that differ from it: those
// of the reader's language (a BCP 47 tag, or "") first, then those only
// other languages give.
func Stems(word, tag string) (first, others []string) {
	lang := Base(tag)
	if HasStemmer(lang) {
		if s := Stem(lang, word); s != word {
			first = append(first, s)
		}
	}
	for _, l := range Stemmed {
		if l == lang {
			continue
		}
		if s := Stem(l, word); s != word && !slices.Contains(first, s) && !slices.Contains(others, s) {
			others = append(others, s)
		}
	}
	return first, others
}
