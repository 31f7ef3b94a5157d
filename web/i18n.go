package web

import (
	"net/http"
	"slices"

	"github.com/commons-directory/commons/i18n"
	"golang.org/x/text/language"
)

// pageLanguageTags are the page languages: one a catalogue file of
// package i18n, English first (it is the fallback).
var pageLanguageTags = pageLangs()

// switcherLangs are the page languages in the switcher's order: the EU's
// order (by their names in themselves), then any other by code.
var switcherLangs = func() []string {
	var out []string
	for _, l := range switcherOrder {
		if i18n.Has(l) {
			out = append(out, l)
		}
	}
	for _, l := range i18n.Languages() {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}()

func pageLangs() []string {
	out := []string{i18n.Fallback}
	for _, l := range i18n.Languages() {
		if l != i18n.Fallback {
			out = append(out, l)
		}
	}
	return out
}

// langCookie remembers a language chosen with the switcher.
const langCookie = "lang"

// pageLanguage picks the page language: ?lang= when it names one we have,
// else the language cookie, else the best match for Accept-Language, else
// English.
func pageLanguage(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" && i18n.Has(l) {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && i18n.Has(c.Value) {
		return c.Value
	}
	return negotiateLanguage(r.Header.Get("Accept-Language"), i18n.Has)
}

// negotiateLanguage picks from an Accept-Language header the first language, by
// preference, that has lang a catalogue: a regional or script variant
// ("fr-BE", "sr-Latn", "pt-BR") counts as its language; a header naming
// none of ours, or none, gives English. Only the same language matches,
// never a neighbour: a Catalan reader is not sent Spanish.
func negotiateLanguage(header string, has func(string) bool) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return i18n.Fallback
	}
	for _, t := range tags {
		base, conf := t.Base()
		if conf == language.No || t == language.Und {
			continue
		}
		if b := base.String(); has(b) {
			return b
		}
	}
	return i18n.Fallback
}

// translate returns the message key in lang, or in English.
func translate(lang, key string) string { return i18n.T(lang, key) }
