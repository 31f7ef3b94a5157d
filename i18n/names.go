package i18n

import (
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// namers are CLDR's names of regions and languages in each catalogue
// language, made once.
var namers sync.Map // lang → *namerPair

type namerPair struct{ regions, languages display.Namer }

func namersFor(lang string) *namerPair {
	if n, ok := namers.Load(lang); ok {
		return n.(*namerPair)
	}
	tag := language.Make(lang)
	n := &namerPair{regions: display.Regions(tag), languages: display.Languages(tag)}
	n2, _ := namers.LoadOrStore(lang, n)
	return n2.(*namerPair)
}

// names caches the names asked for, by kind, language and code: pages
// ask for the same few hundred again and again. It stops growing at
// maxNames (codes come from records, which are bounded, but still).
var (
	names      sync.Map // nameKey → string
	namesCount atomic.Int64
)

const maxNames = 50000

type nameKey struct{ kind, lang, code string }

func cached(kind, lang, code string, f func(lang, code string) string) string {
	k := nameKey{kind, lang, code}
	if s, ok := names.Load(k); ok {
		return s.(string)
	}
	s := f(lang, code)
	if namesCount.Add(1) <= maxNames {
		names.Store(k, s)
	}
	return s
}

// CountryName returns the name of a country or region code ("FR", "eu")
// in lang, from CLDR, in English when CLDR has no name in lang, or the
// code itself.
func CountryName(lang, code string) string { return cached("country", lang, code, countryName) }

// LanguageName returns the name of a language tag ("pt", "pt-BR") in
// lang, from CLDR, in English when CLDR has no name in lang, or the tag.
func LanguageName(lang, tag string) string { return cached("language", lang, tag, languageName) }

// Autonym returns a language's name in itself ("Deutsch", "Gaeilge").
func Autonym(tag string) string { return cached("self", "", tag, autonym) }

func countryName(lang, code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	for _, l := range []string{lang, Fallback} {
		if nm := namersFor(l).regions; nm != nil {
			if s := nm.Name(r); s != "" {
				return s
			}
		}
	}
	return strings.ToUpper(code)
}

func languageName(lang, tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	for _, l := range []string{lang, Fallback} {
		if nm := namersFor(l).languages; nm != nil {
			if s := nm.Name(t); s != "" {
				return s
			}
		}
	}
	return tag
}

func autonym(_, tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	if s := display.Self.Name(t); s != "" {
		return s
	}
	return tag
}
