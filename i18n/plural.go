package i18n

import (
	"encoding/json"
	"fmt"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Form is a CLDR plural category.
type Form uint8

// The CLDR plural categories, in CLDR's order.
const (
	Zero Form = iota
	One
	Two
	Few
	Many
	Other
)

// Forms are the categories' names, as catalogue files spell them.
var Forms = [6]string{"zero", "one", "two", "few", "many", "other"}

func (f Form) String() string { return Forms[f] }

type entry struct {
	id     string
	plural bool
	forms  [6]string
}

// parseMessages reads a go-i18n JSON catalogue. A message is counted when
// its value is an object of plural categories.
func parseMessages(buf []byte) ([]entry, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(buf, &raw); err != nil {
		return nil, err
	}
	msgs, err := goi18n.ParseMessageBytes(buf, json.Unmarshal)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(msgs))
	for _, m := range msgs {
		r := raw[m.ID]
		out = append(out, entry{
			id:     m.ID,
			plural: len(r) > 0 && r[0] == '{',
			forms:  [6]string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other},
		})
	}
	return out, nil
}

// pluralRule is a language's CLDR cardinal rule for whole numbers, read
// from go-i18n's rules once: the category of 0…199, and of the multiples
// of a million (French, Spanish, Italian and Portuguese have a "many" for
// them). The integer rules of the languages of the EU look at n itself
// below 100 and otherwise at n % 10, n % 100 and n % 1000000 only, so
// these cover every whole number: n ≥ 200 takes the category of
// 100 + n % 100 (TestPluralTableMatchesGoI18n checks it against go-i18n
// for each of the 24 languages, far beyond the table).
type pluralRule struct {
	small   [200]Form
	million Form
	// Integer holds the categories whole numbers take; All adds those of
	// decimals (a catalogue may give them, and need not).
	Integer, All map[Form]bool
}

func (r *pluralRule) form(n int) Form {
	if n < 0 {
		n = -n
	}
	switch {
	case n < len(r.small):
		return r.small[n]
	case n%1000000 == 0:
		return r.million
	}
	return r.small[100+n%100]
}

// probe is a message whose every category names itself.
var probe = &goi18n.Message{ID: "probe", Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other"}

// goi18nForm asks go-i18n which category count (a number, or a decimal as
// a string) takes in lang.
func goi18nForm(l *goi18n.Localizer, count any) (Form, error) {
	s, err := l.Localize(&goi18n.LocalizeConfig{MessageID: "probe", PluralCount: count})
	if err != nil {
		return Other, err
	}
	for f, name := range Forms {
		if name == s {
			return Form(f), nil
		}
	}
	return Other, fmt.Errorf("unknown plural category %q", s)
}

func probeLocalizer(lang string) (*goi18n.Localizer, error) {
	tag, err := language.Parse(lang)
	if err != nil {
		return nil, err
	}
	b := goi18n.NewBundle(tag)
	if err := b.AddMessages(tag, probe); err != nil {
		return nil, err
	}
	return goi18n.NewLocalizer(b, lang), nil
}

// decimals are counts that show the categories only decimals take.
var decimals = []string{"0.1", "0.5", "1.1", "1.5", "2.1", "2.5", "3.5", "11.1", "21.5", "101.5", "1000000.5"}

func ruleFor(lang string) (*pluralRule, error) {
	l, err := probeLocalizer(lang)
	if err != nil {
		return nil, err
	}
	r := &pluralRule{Integer: map[Form]bool{}, All: map[Form]bool{}}
	for n := range r.small {
		if r.small[n], err = goi18nForm(l, n); err != nil {
			return nil, err
		}
		r.Integer[r.small[n]] = true
	}
	if r.million, err = goi18nForm(l, 1000000); err != nil {
		return nil, err
	}
	r.Integer[r.million] = true
	for f := range r.Integer {
		r.All[f] = true
	}
	for _, d := range decimals {
		f, err := goi18nForm(l, d)
		if err != nil {
			return nil, err
		}
		r.All[f] = true
	}
	return r, nil
}

// IntegerForms returns the plural categories whole numbers take in lang:
// a counted message must give each.
func IntegerForms(lang string) []Form { return formList(mustRule(lang).Integer) }

// AllForms returns every plural category of lang, decimals included: a
// counted message may give no other.
func AllForms(lang string) []Form { return formList(mustRule(lang).All) }

func mustRule(lang string) *pluralRule {
	if c, ok := catalogues[lang]; ok {
		return c.rule
	}
	r, err := ruleFor(lang)
	if err != nil {
		panic(err)
	}
	return r
}

func formList(set map[Form]bool) []Form {
	var out []Form
	for f := Zero; f <= Other; f++ {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

// FormOf returns the category of n in lang, by the rules alone (for a
// language without a catalogue too).
func FormOf(lang string, n int) Form { return mustRule(lang).form(n) }
