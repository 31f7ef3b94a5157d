package web

import (
	"html/template"
	"slices"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/analysis"
)

// queryMatch is what to highlight for a query when the store did not say:
// the words of the query, as prefixes.
func queryMatch(q string) *commons.QueryMatch {
	m := &commons.QueryMatch{}
	for _, w := range analysis.ParseQuery(q, 10) {
		m.Prefixes = append(m.Prefixes, w.Word)
	}
	return m
}

func notWordRune(r rune) bool { return !analysis.IsWordRune(r) }

// highlight escapes text, written in lang, and wraps in <mark> each word
// the search matched: one that a query word begins, a word it matched
// whole (within typing distance, a compound), or one whose stem in lang is
// one the query has; in a name in camel case, the whole name when a part
// matches.
func highlight(text, lang string, m *commons.QueryMatch) template.HTML {
	if m == nil || len(m.Prefixes)+len(m.Words)+len(m.Stems) == 0 {
		return template.HTML(template.HTMLEscapeString(text)) //nolint:gosec // escaped
	}
	var b strings.Builder
	rest := text
	for rest != "" {
		i := strings.IndexFunc(rest, analysis.IsWordRune)
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
		if matches(word, lang, m) {
			b.WriteString("<mark>" + template.HTMLEscapeString(word) + "</mark>")
		} else {
			b.WriteString(template.HTMLEscapeString(word))
		}
	}
	return template.HTML(b.String()) //nolint:gosec // every piece escaped above
}

// matches reports whether a word of a text in lang is one the search
// matched (see highlight).
func matches(word, lang string, m *commons.QueryMatch) bool {
	f := analysis.Fold(word)
	if slices.ContainsFunc(m.Prefixes, func(p string) bool { return strings.HasPrefix(f, p) }) ||
		slices.Contains(m.Words, f) || slices.Contains(m.Stems, f) ||
		slices.Contains(m.Stems, analysis.Stem(lang, f)) {
		return true
	}
	for _, p := range analysis.CamelParts(word) {
		if slices.Contains(m.Prefixes, p) || slices.Contains(m.Stems, p) || slices.Contains(m.Stems, analysis.Stem(lang, p)) {
			return true
		}
	}
	return false
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
