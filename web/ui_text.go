package web

import (
	"html/template"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// searchTerms splits a query into the folded words the search matched.
func searchTerms(q string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(q, notWordRune) {
		if f := fold(w); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// fold lower-cases a word and strips its diacritics, as the search does.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// highlight escapes text and wraps in <mark> each word that one of the
// terms is a prefix of (the search matches prefixes).
func highlight(text string, terms []string) template.HTML {
	if len(terms) == 0 {
		return template.HTML(template.HTMLEscapeString(text)) //nolint:gosec // escaped
	}
	var b strings.Builder
	rest := text
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return !notWordRune(r) })
		if i < 0 {
			b.WriteString(template.HTMLEscapeString(rest))
			break
		}
		b.WriteString(template.HTMLEscapeString(rest[:i]))
		rest = rest[i:]
		j := strings.IndexFunc(rest, notWordRune)
		if j < 0 {
			j = len(rest)
		}
		word := rest[:j]
		rest = rest[j:]
		fw := fold(word)
		matched := false
		for _, t := range terms {
			if strings.HasPrefix(fw, t) {
				matched = true
				break
			}
		}
		if matched {
			b.WriteString("<mark>" + template.HTMLEscapeString(word) + "</mark>")
		} else {
			b.WriteString(template.HTMLEscapeString(word))
		}
	}
	return template.HTML(b.String()) //nolint:gosec // every piece escaped above
}

// facetLabel is how a facet value reads: kinds and statuses translated,
// the rest as they are.
func facetLabel(lang, facet, value string) string {
	switch facet {
	case "kind", "status":
		return translate(lang, facet+"."+value)
	case "language":
		return languageLabel(lang, value)
	case "country":
		return countryLabel(lang, value)
	}
	return value
}

// noticeText is the confirmation shown after a form posted and redirected
// with ?done=what.
func noticeText(lang, what string) string {
	switch what {
	case "created", "saved", "deleted", "posted", "loggedout", "loggedin", "blocked", "unblocked",
		"peer", "user", "password", "role", "revoked", "everywhere", "imported", "harvest":
		return translate(lang, "done."+what)
	}
	return ""
}
