package analysis

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Token is a word of a text.
type Token struct {
	Raw    string // as written
	Word   string // folded
	Elided bool   // an elided article or pronoun ("l" of "l'eau")
	Joined bool   // joined to the previous token by a hyphen, without spaces
}

// elisions are the words that elide before a vowel, by language: French
// and Italian articles, prepositions and pronouns, Catalan and Irish ones.
// A query's language is unknown, so a query drops any of them.
var elisions = map[string][]string{
	"fr": {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"},
	"it": {"l", "d", "un", "dell", "dall", "nell", "sull", "all", "coll", "quest", "quell", "c", "s", "v", "tutt", "bell", "sant"},
	"ca": {"l", "d", "s", "n", "m", "t"},
	"ga": {"d", "b", "m"},
}

var anyElision = func() map[string]bool {
	m := map[string]bool{}
	for _, ws := range elisions {
		for _, w := range ws {
			m[w] = true
		}
	}
	return m
}()

// isElision reports whether a folded word elides in the language ("" for
// any language).
func isElision(lang, w string) bool {
	if lang == "" {
		return anyElision[w]
	}
	for _, e := range elisions[lang] {
		if e == w {
			return true
		}
	}
	return false
}

// maxElision is the length in bytes of the longest elided word.
var maxElision = func() int {
	n := 0
	for w := range anyElision {
		n = max(n, len(w))
	}
	return n
}()

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

// Tokens splits a text in a language (a BCP 47 tag; "" when unknown) into
// its words. A word followed by an apostrophe and a letter is marked
// Elided when it elides in the language; the English "s" of "France's" is
// marked too.
func Tokens(text, tag string) []Token { return appendTokens(nil, text, tag, true) }

// appendTokens appends the tokens of a text to out. Without fold, Word is
// left empty (but for elided words): the caller folds Raw itself.
func appendTokens(out []Token, text, tag string, fold bool) []Token {
	lang := Base(tag)
	if !isASCII(text) && !norm.NFC.IsNormalString(text) {
		text = norm.NFC.String(text) // "e" and a combining accent are one letter
	}
	i := 0
	prevEnd := -1
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !IsWordRune(r) {
			i += n
			continue
		}
		start := i
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if !IsWordRune(r) {
				break
			}
			i += n
		}
		raw := text[start:i]
		t := Token{Raw: raw}
		if fold {
			t.Word = Fold(raw)
		}
		if prevEnd >= 0 && start-prevEnd == 1 && text[prevEnd] == '-' {
			t.Joined = true
		}
		if i < len(text) {
			if r, n := utf8.DecodeRuneInString(text[i:]); isApostrophe(r) && i+n < len(text) {
				if next, _ := utf8.DecodeRuneInString(text[i+n:]); unicode.IsLetter(next) && len(raw) <= 2*maxElision { // accents take two bytes
					if w := Fold(raw); isElision(lang, w) {
						t.Word, t.Elided = w, true
					}
				}
			}
		}
		if (raw == "s" || raw == "S") && start > 0 && (lang == "en" || lang == "") {
			if r, _ := utf8.DecodeLastRuneInString(text[:start]); isApostrophe(r) {
				t.Elided = true
			}
		}
		out = append(out, t)
		prevEnd = i
	}
	return out
}

// CamelParts splits a word written in camel case into its parts, folded:
// "OpenStreetMap" → open, street, map; "XWiki" → x, wiki. A word without
// inner capitals has no parts.
func CamelParts(raw string) []string {
	inner := false // a capital or a digit after the first letter
	for i := 1; i < len(raw); i++ {
		if c := raw[i]; 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf {
			inner = true
			break
		}
	}
	if !inner {
		return nil
	}
	rs := []rune(raw)
	var parts []string
	start := 0
	for i := 1; i < len(rs); i++ {
		upper := unicode.IsUpper(rs[i])
		switch {
		case upper && unicode.IsLower(rs[i-1]):
			// fooBar: a part starts at B.
		case upper && unicode.IsUpper(rs[i-1]) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
			// XWiki: the last capital of a run starts a part.
		case unicode.IsLetter(rs[i]) != unicode.IsLetter(rs[i-1]) && i-start > 1 && len(rs)-i > 1:
			// letters and digits: "Web3Tools"
		default:
			continue
		}
		parts = append(parts, Fold(string(rs[start:i])))
		start = i
	}
	if start == 0 {
		return nil
	}
	return append(parts, Fold(string(rs[start:])))
}
