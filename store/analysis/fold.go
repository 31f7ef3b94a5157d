// Package analysis turns text into the terms a search index holds and a
// query into the terms it looks for: words folded (case, diacritics),
// elisions removed, words stemmed by the rules of their language, names
// written in camel case or with hyphens split and joined, stop words
// marked. It also measures typing distance. It does no I/O, so every store
// finds and ranks alike.
package analysis

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// IsWordRune reports whether c belongs to a word: letters, digits and
// private-use characters, the rule of SQLite FTS5's unicode61 tokenizer.
func IsWordRune(c rune) bool {
	if c < utf8.RuneSelf {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.IsNumber(c) || unicode.Is(unicode.Co, c)
}

// Fold lower-cases s and strips its diacritics ("Énergie" → "energie"), as
// the unicode61 tokenizer with remove_diacritics does.
func Fold(s string) string {
	ascii, upper := true, false
	for i := range len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if ascii {
		if !upper {
			return s
		}
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		case r < rune(len(foldTable)):
			b.WriteString(foldTable[r])
		default:
			return foldSlow(s)
		}
	}
	return b.String()
}

// foldTable holds the folded form of the Latin letters most texts of
// Europe use (up to Latin Extended-B), so that Fold only decomposes the
// rest.
var foldTable = func() (t [0x250]string) {
	for r := range rune(len(t)) {
		t[r] = foldSlow(string(r))
	}
	return t
}()

func foldSlow(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return norm.NFC.String(b.String())
}

// Compact folds s and keeps only its word characters: "Open Street-Map" and
// "OpenStreetMap" both give "openstreetmap".
func Compact(s string) string {
	var b strings.Builder
	for _, r := range Fold(s) {
		if IsWordRune(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
