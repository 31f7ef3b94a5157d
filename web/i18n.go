package web

import (
	"net/http"

	"github.com/commons-directory/commons/i18n"
	"golang.org/x/text/language"
)

// Page languages: one a catalogue file of package i18n, English first (it
// is the fallback).
var (
	pageLanguageTags = pageLangs()
	langMatcher      = newLangMatcher(pageLanguageTags)
)

func pageLangs() []string {
	out := []string{i18n.Fallback}
	for _, l := range i18n.Languages() {
		if l != i18n.Fallback {
			out = append(out, l)
		}
	}
	return out
}

func newLangMatcher(tags []string) language.Matcher {
	ts := make([]language.Tag, len(tags))
	for i, t := range tags {
		ts[i] = language.Make(t)
	}
	return language.NewMatcher(ts)
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
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return i18n.Fallback
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return i18n.Fallback
	}
	return pageLanguageTags[i]
}

// translate returns the message key in lang, or in English.
func translate(lang, key string) string { return i18n.T(lang, key) }
