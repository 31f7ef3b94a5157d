// Package i18n holds every user-facing message of the directory — pages,
// error titles, feeds, DCAT labels, generated fediverse posts — in one
// catalogue file per language, locales/<lang>.json, in go-i18n's JSON
// format (which Weblate and Crowdin read and write).
//
// The catalogues are read once, when the package starts, into plain maps:
// looking a message up is a map read, and no template runs per call.
// Messages keep Go's fmt verbs (%s, %d, %[2]s); a message with a count has
// one text per CLDR plural category of its language, chosen by go-i18n's
// CLDR plural rules, and always takes the count as its first argument.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed locales/*.json
var files embed.FS

// Fallback is the language of a missing message and of a visitor whose
// languages we lack.
const Fallback = "en"

// Catalogue is the messages of one language.
type Catalogue struct {
	lang    string
	msgs    map[string]string     // plain messages
	plurals map[string]*[6]string // counted messages, by Form
	rule    *pluralRule
	printer *message.Printer // numbers as the language writes them
	fb      *Catalogue       // English, for a missing message; nil for English
}

var (
	catalogues = map[string]*Catalogue{}
	languages  []string
)

func init() {
	if err := load(files); err != nil {
		panic(err)
	}
}

// load reads every catalogue of fsys.
func load(fsys fs.FS) error {
	names, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return err
	}
	for _, name := range names {
		lang := strings.TrimSuffix(path.Base(name), ".json")
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		c, err := parseCatalogue(lang, buf)
		if err != nil {
			return fmt.Errorf("i18n: %s: %w", name, err)
		}
		catalogues[lang] = c
		languages = append(languages, lang)
	}
	en := catalogues[Fallback]
	if en == nil {
		return fmt.Errorf("i18n: no catalogue locales/%s.json", Fallback)
	}
	for _, c := range catalogues {
		if c != en {
			c.fb = en
		}
	}
	slices.Sort(languages)
	return nil
}

// parseCatalogue reads one go-i18n JSON file into plain maps.
func parseCatalogue(lang string, buf []byte) (*Catalogue, error) {
	msgs, err := parseMessages(buf)
	if err != nil {
		return nil, err
	}
	rule, err := ruleFor(lang)
	if err != nil {
		return nil, err
	}
	c := &Catalogue{lang: lang, msgs: map[string]string{}, plurals: map[string]*[6]string{}, rule: rule,
		printer: message.NewPrinter(language.Make(lang))}
	for _, m := range msgs {
		if m.plural {
			f := m.forms
			c.plurals[m.id] = &f
		} else {
			c.msgs[m.id] = m.forms[Other]
		}
	}
	return c, nil
}

// Languages returns the codes of the languages that have a catalogue,
// sorted.
func Languages() []string { return slices.Clone(languages) }

// Has reports whether lang (a base language code) has a catalogue.
func Has(lang string) bool { _, ok := catalogues[lang]; return ok }

// For returns the catalogue of lang ("fr", or "fr-BE" for French), or
// English.
func For(lang string) *Catalogue {
	if c, ok := catalogues[lang]; ok {
		return c
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if c, ok := catalogues[strings.ToLower(base)]; ok {
			return c
		}
	}
	return catalogues[Fallback]
}

// Lang is the catalogue's language code.
func (c *Catalogue) Lang() string { return c.lang }

// T returns the message key: in the catalogue's language, else in
// English, else the key itself. A counted message gives its "other" text.
func (c *Catalogue) T(key string) string {
	for ; c != nil; c = c.fb {
		if s, ok := c.msgs[key]; ok {
			return s
		}
		if p, ok := c.plurals[key]; ok {
			return p[Other]
		}
	}
	return key
}

// F formats the message key with args.
func (c *Catalogue) F(key string, args ...any) string {
	return fmt.Sprintf(c.T(key), args...)
}

// N formats the counted message key for n: the text of n's plural
// category, with n as the first argument and args after it. Numbers are
// written as the language writes them ("1 234" in French).
func (c *Catalogue) N(key string, n int, args ...any) string {
	format := key
	for cc := c; cc != nil; cc = cc.fb {
		if p, ok := cc.plurals[key]; ok {
			format = p[cc.rule.form(n)]
			if format == "" {
				format = p[Other]
			}
			break
		}
		if s, ok := cc.msgs[key]; ok {
			format = s
			break
		}
	}
	return c.printer.Sprintf(format, append([]any{n}, args...)...)
}

// Number writes n as the language does: "1,234" in English, "1.234" in
// German, "1 234" in French.
func (c *Catalogue) Number(n int) string { return c.printer.Sprint(n) }

// Decimal writes v with one decimal as the language does: "1.5" in
// English, "1,5" in German.
func (c *Catalogue) Decimal(v float64) string { return c.printer.Sprintf("%.1f", v) }

// Form returns the CLDR plural category of the count n in the
// catalogue's language.
func (c *Catalogue) Form(n int) Form { return c.rule.form(n) }

// T returns the message key in lang (see Catalogue.T).
func T(lang, key string) string { return For(lang).T(key) }

// F formats the message key in lang with args.
func F(lang, key string, args ...any) string { return For(lang).F(key, args...) }

// N formats the counted message key in lang for n.
func N(lang, key string, n int, args ...any) string { return For(lang).N(key, n, args...) }

// Keys returns the keys of the English catalogue, which every catalogue
// holds, sorted.
func Keys() []string {
	en := catalogues[Fallback]
	out := make([]string, 0, len(en.msgs)+len(en.plurals))
	for k := range en.msgs {
		out = append(out, k)
	}
	for k := range en.plurals {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
