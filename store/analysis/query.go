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

// Stems returns the stems of a folded query word in every stemmed
// language (the language of a query is unknown), without duplicates and
// without the word itself.
func Stems(word string) []string {
	var out []string
	for _, l := range Stemmed {
		if s := Stem(l, word); s != word && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
