package web

import (
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/locales"
	locbg "github.com/go-playground/locales/bg"
	loccs "github.com/go-playground/locales/cs"
	locda "github.com/go-playground/locales/da"
	locde "github.com/go-playground/locales/de"
	locel "github.com/go-playground/locales/el"
	locenGB "github.com/go-playground/locales/en_GB"
	loces "github.com/go-playground/locales/es"
	locet "github.com/go-playground/locales/et"
	locfi "github.com/go-playground/locales/fi"
	locfr "github.com/go-playground/locales/fr"
	locga "github.com/go-playground/locales/ga"
	lochr "github.com/go-playground/locales/hr"
	lochu "github.com/go-playground/locales/hu"
	locit "github.com/go-playground/locales/it"
	loclt "github.com/go-playground/locales/lt"
	loclv "github.com/go-playground/locales/lv"
	locmt "github.com/go-playground/locales/mt"
	locnl "github.com/go-playground/locales/nl"
	locpl "github.com/go-playground/locales/pl"
	locpt "github.com/go-playground/locales/pt"
	locro "github.com/go-playground/locales/ro"
	locsk "github.com/go-playground/locales/sk"
	locsl "github.com/go-playground/locales/sl"
	locsv "github.com/go-playground/locales/sv"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/commons-directory/commons/i18n"
)

// dateLocales write dates with CLDR's month names and patterns, one for
// each language of the EU (English as in the United Kingdom and Ireland:
// day before month).
var dateLocales = map[string]locales.Translator{
	"bg": locbg.New(),
	"cs": loccs.New(),
	"da": locda.New(),
	"de": locde.New(),
	"el": locel.New(),
	"es": loces.New(),
	"et": locet.New(),
	"fi": locfi.New(),
	"fr": locfr.New(),
	"ga": locga.New(),
	"hr": lochr.New(),
	"hu": lochu.New(),
	"it": locit.New(),
	"lt": loclt.New(),
	"lv": loclv.New(),
	"mt": locmt.New(),
	"nl": locnl.New(),
	"pl": locpl.New(),
	"pt": locpt.New(),
	"ro": locro.New(),
	"sk": locsk.New(),
	"sl": locsl.New(),
	"sv": locsv.New(),
	"en": locenGB.New(),
}

// formatDate writes a day as lang does, with the month's name ("1
// December 2026", "1. Dezember 2026", "2026 m. gruodžio 1 d."); ISO 8601
// in a language without CLDR data.
func formatDate(lang string, t time.Time) string {
	if l, ok := dateLocales[lang]; ok {
		return l.FmtDateLong(t)
	}
	return t.Format(time.DateOnly)
}

// formatDay is formatDate for a date written as 2006-01-02; any other
// text stays as it is.
func formatDay(lang, iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return formatDate(lang, t)
}

// upperFirst capitalises a name standing on its own, as in a list or a
// menu: "français" → "Français", "an Fhrainc" → "An Fhrainc".
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// autonym is a language's name in itself, as a menu shows it: "Deutsch",
// "Čeština", "Ελληνικά".
func autonym(tag string) string {
	if s, ok := pageAutonyms[tag]; ok {
		return s
	}
	return upperFirst(i18n.Autonym(tag))
}

// pageAutonyms are the page languages' own names, made once for the
// switcher every page shows.
var pageAutonyms = func() map[string]string {
	m := map[string]string{}
	for _, l := range i18n.Languages() {
		m[l] = upperFirst(i18n.Autonym(l))
	}
	return m
}()

// countryLabel is a country's name in lang, standing alone ("Frankreich").
func countryLabel(lang, code string) string { return upperFirst(i18n.CountryName(lang, code)) }

// languageLabel is a language's name in lang, standing alone ("Allemand").
func languageLabel(lang, tag string) string { return upperFirst(i18n.LanguageName(lang, tag)) }

// collators sort labels by each language's collation; a Collator is not
// safe for concurrent use, hence the pools.
var collators sync.Map // lang → *sync.Pool of *collate.Collator

// sortByLabel sorts s by label(s[i]) in lang's alphabetical order ("Ö"
// as "O" in German, after "Z" in Swedish).
func sortByLabel[T any](lang string, s []T, label func(T) string) {
	p, ok := collators.Load(lang)
	if !ok {
		tag := language.Make(lang)
		p, _ = collators.LoadOrStore(lang, &sync.Pool{New: func() any { return collate.New(tag) }})
	}
	pool := p.(*sync.Pool)
	c := pool.Get().(*collate.Collator)
	defer pool.Put(c)
	slices.SortStableFunc(s, func(a, b T) int { return c.CompareString(label(a), label(b)) })
}

// switcherOrder is the order of the EU's languages in its own sites: by
// their names in themselves (Български, Español, Čeština, …).
var switcherOrder = strings.Fields("bg es cs da de et el en fr ga hr it lv lt hu mt nl pl pt ro sk sl fi sv")
