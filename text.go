package commons

import (
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Text is a language map: BCP 47 tag → text, e.g. {"fr": "…", "en": "…"}.
type Text map[string]string

// Get returns the text in the best language for the preference list, then
// in fallback, then in English, then in the first language by tag order.
// It returns the text and the tag it is in.
func (t Text) Get(prefs ...string) (string, string) {
	if len(t) == 0 {
		return "", ""
	}
	for _, p := range append(prefs, "en") {
		if s, ok := t[p]; ok {
			return s, p
		}
		// "fr-BE" falls back to "fr"; "fr" matches a "fr-FR" entry.
		base, _, _ := strings.Cut(p, "-")
		if s, ok := t[base]; ok {
			return s, base
		}
		for _, k := range t.Languages() {
			if kb, _, _ := strings.Cut(k, "-"); kb == base {
				return t[k], k
			}
		}
	}
	k := t.Languages()[0]
	return t[k], k
}

// String returns the text in English or the first language available.
func (t Text) String() string { s, _ := t.Get(); return s }

// Languages returns the tags present, sorted.
func (t Text) Languages() []string {
	ks := make([]string, 0, len(t))
	for k := range t {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// normalized trims every text, drops empty entries and canonicalises tags
// ("FR" → "fr", "pt-br" → "pt-BR"). Invalid tags are kept as they are, for
// Validate to report.
func (t Text) normalized() Text {
	if t == nil {
		return nil
	}
	out := make(Text, len(t))
	for k, v := range t {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if tag, err := language.Parse(k); err == nil {
			k = tag.String()
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// CanonicalLanguage returns the canonical form of a BCP 47 tag, or an error
// naming why it is not one.
func CanonicalLanguage(tag string) (string, error) {
	t, err := language.Parse(tag)
	if err != nil {
		return "", err
	}
	return t.String(), nil
}
