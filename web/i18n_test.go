package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
)

// englishUIText lists the English messages a page in lang must not show:
// those its catalogue words differently, long enough not to be part of
// the words of a record.
func englishUIText(lang string) []string {
	var out []string
	en, l := i18n.For("en"), i18n.For(lang)
	for _, key := range i18n.Keys() {
		s := en.T(key)
		if len(s) < 8 || strings.Contains(s, "%") || l.T(key) == s {
			continue
		}
		out = append(out, s)
	}
	return out
}

// uiTexts returns the text a reader gets from a page: its text nodes and
// the title, aria-label, placeholder and alt attributes, trimmed, leaving
// out what an element marks as English (a record's own text).
func uiTexts(t *testing.T, page string) []string {
	t.Helper()
	var out []string
	z := html.NewTokenizer(strings.NewReader(page))
	var stack []bool // per open element: inside lang="en"
	english := func() bool { return len(stack) > 0 && stack[len(stack)-1] }
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.TextToken:
			if s := strings.TrimSpace(string(z.Text())); s != "" && !english() {
				out = append(out, s)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			en := english()
			for _, a := range tok.Attr {
				switch a.Key {
				case "lang":
					en = a.Val == "en" || strings.HasPrefix(a.Val, "en-")
				case "title", "aria-label", "placeholder", "alt":
					out = append(out, a.Val)
				}
			}
			if tok.Type == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, en)
			}
		case html.EndTagToken:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}

var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// TestPagesInEveryLanguage renders every kind of page in every page
// language: each says its language in <html lang>, and none in another
// language than English shows an English message of the catalogue, and
// none shows a message given the wrong arguments.
func TestPagesInEveryLanguage(t *testing.T) {
	s := newUIServer(t)
	pages := uiPageKinds(t, s)
	seen := map[string]int{}
	for name, page := range pages {
		lang, _, _ := strings.Cut(name, "-")
		seen[lang]++
		if !strings.Contains(page, `<html lang="`+lang+`">`) {
			t.Errorf("%s: no <html lang=%q>", name, lang)
		}
		if i := strings.Index(page, "%!"); i >= 0 { // a message given the wrong arguments
			t.Errorf("%s: a formatting error in %q", name, page[i:min(len(page), i+40)])
		}
		if lang == "en" {
			continue
		}
		texts := uiTexts(t, page)
		for _, en := range englishUIText(lang) {
			for _, s := range texts {
				if s == en || strings.Contains(en, " ") && strings.Contains(s, en) {
					t.Errorf("%s: English text %q in %q", name, en, s)
					break
				}
			}
		}
	}
	for _, lang := range pageLanguageTags {
		if seen[lang] < 15 {
			t.Errorf("%s: %d pages rendered", lang, seen[lang])
		}
	}
}

// TestInstanceNameLanguages shows the instance name of the page language,
// or the instance language's marked with its lang, in pages, the API and
// the DCAT catalogue.
func TestInstanceNameLanguages(t *testing.T) {
	s := newTestServer(t, spec, func(o *Options) {
		o.InstanceName, o.Language = "Annuaire des communs", "fr"
		o.InstanceNames = commons.Text{"fr": "Annuaire des communs", "de": "Verzeichnis der Gemeingüter"}
	})
	b := s.browser(t)
	b.lang = "de"
	wantIn(t, "German page", b.get("/", http.StatusOK), `<h1>Verzeichnis der Gemeingüter</h1>`, `<title>Verzeichnis der Gemeingüter</title>`)
	b.lang = "fr"
	wantIn(t, "French page", b.get("/about", http.StatusOK), `<h1>Annuaire des communs</h1>`)
	b.lang = "pl"
	wantIn(t, "a page in a language the name lacks", b.get("/", http.StatusOK), `<h1 lang="fr">Annuaire des communs</h1>`, `lang="fr">Annuaire des communs</a>`)
	var info struct {
		Name  string       `json:"name"`
		Names commons.Text `json:"names"`
	}
	if err := json.Unmarshal([]byte(b.get("/api/v1/instance", http.StatusOK)), &info); err != nil {
		t.Fatal(err)
	}
	if info.Name != "Annuaire des communs" || info.Names["de"] != "Verzeichnis der Gemeingüter" {
		t.Errorf("/api/v1/instance: %+v", info)
	}
	wantIn(t, "DCAT", b.get("/catalog.ttl", http.StatusOK), `"Verzeichnis der Gemeingüter"@de`, `"Annuaire des communs"@fr`)
}

// TestNamesDatesOrder checks the CLDR names, dates and collation the
// pages use, in languages with and without a catalogue.
func TestNamesDatesOrder(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{countryLabel("de", "FR"), "Frankreich"},
		{countryLabel("pl", "FR"), "Francja"},
		{countryLabel("ga", "FR"), "An Fhrainc"},
		{countryLabel("mt", "DE"), "Il-Ġermanja"},
		{countryLabel("fr", "EU"), "Union européenne"},
		{languageLabel("fr", "de"), "Allemand"},
		{languageLabel("de", "pt-BR"), "Brasilianisches Portugiesisch"},
		{autonym("ga"), "Gaeilge"},
		{autonym("el"), "Ελληνικά"},
		{autonym("cs"), "Čeština"},
		{formatDay("en", "2026-12-01"), "1 December 2026"},
		{formatDay("de", "2026-12-01"), "1. Dezember 2026"},
		{formatDay("pl", "2026-12-01"), "1 grudnia 2026"},
		{formatDay("lt", "2026-12-01"), "2026 m. gruodžio 1 d."},
		{formatDay("ga", "2026-12-01"), "1 Nollaig 2026"},
		{formatDay("xx", "2026-12-01"), "2026-12-01"},
		{formatDay("fr", "soon"), "soon"},
	} {
		if tt.got != tt.want {
			t.Errorf("%q, want %q", tt.got, tt.want)
		}
	}
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"de", []string{"Öland", "Oslo", "Zürich"}}, // Ö sorts as O
		{"sv", []string{"Oslo", "Zürich", "Öland"}}, // Ö after Z
	} {
		got := []string{"Zürich", "Öland", "Oslo"}
		sortByLabel(tt.lang, got, func(s string) string { return s })
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s order %v, want %v", tt.lang, got, tt.want)
		}
	}
}

// TestTextsInOtherLanguages marks a record's texts and a funding call's
// title with their language when it is not the page's.
func TestTextsInOtherLanguages(t *testing.T) {
	s := newUIServer(t)
	b := s.browser(t)
	b.lang = "en"
	wantIn(t, "funding page", b.get("/funding", http.StatusOK), `lang="fr">Appel communs numériques</a>`)
	b.lang = "fr"
	page := b.get("/funding", http.StatusOK)
	wantIn(t, "funding page in French", page, `rel="nofollow noopener">Appel communs numériques</a>`)
	if strings.Contains(page, `lang="fr">Appel`) {
		t.Error("a French title is marked French on a French page")
	}
	b.lang = "de"
	wantIn(t, "record page in German", b.get("/records/bano", http.StatusOK), `<h1 lang="fr">`)
}
