package i18n

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// rawCatalogue reads a catalogue file as JSON: key → text, or key →
// category → text for a counted message.
func rawCatalogue(t *testing.T, lang string) map[string]any {
	t.Helper()
	buf, err := os.ReadFile(filepath.Join("locales", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

var verbRE = regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])`)

// verbs lists the fmt verbs of s as "argument:verb", sorted: "%s %d" and
// "%[2]d %[1]s" both give ["1:s", "2:d"].
func verbs(s string) []string {
	var out []string
	arg := 0
	for _, m := range verbRE.FindAllStringSubmatch(s, -1) {
		if m[2] == "%" {
			continue
		}
		if m[1] != "" {
			arg, _ = strconv.Atoi(m[1])
		} else {
			arg++
		}
		out = append(out, strconv.Itoa(arg)+":"+m[2])
	}
	slices.Sort(out)
	return out
}

func sameAsEnglish(t *testing.T) map[string][]string {
	t.Helper()
	buf, err := os.ReadFile("testdata/same-as-english.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(buf, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for k, v := range raw {
		if l, ok := v.([]any); ok {
			for _, s := range l {
				out[k] = append(out[k], s.(string))
			}
		}
	}
	return out
}

// TestCataloguesComplete holds every catalogue to the English one: the
// same keys, a counted message with every plural category its language
// needs for whole numbers and none it lacks, the same fmt verbs for the
// same arguments, and no copy of the English text outside the list of
// words allowed to stay as they are.
func TestCataloguesComplete(t *testing.T) {
	en := rawCatalogue(t, Fallback)
	same := sameAsEnglish(t)
	langs := Languages()
	if !slices.Contains(langs, Fallback) {
		t.Fatalf("no %s catalogue", Fallback)
	}
	for _, lang := range langs {
		t.Run(lang, func(t *testing.T) {
			cat := rawCatalogue(t, lang)
			need, allowed := IntegerForms(lang), AllForms(lang)
			if !slices.Contains(need, Other) {
				need = append(need, Other)
			}
			for key, ev := range en {
				v, ok := cat[key]
				if !ok {
					t.Errorf("%s lacks %q", lang, key)
					continue
				}
				want := verbsOf(ev)
				switch v := v.(type) {
				case string:
					if _, plural := ev.(map[string]any); plural {
						t.Errorf("%s: %q is counted in English: give it plural categories", lang, key)
						continue
					}
					if !slices.Equal(verbs(v), want) {
						t.Errorf("%s: %q has the verbs %v, English %v", lang, key, verbs(v), want)
					}
					if lang != Fallback && v == ev && !slices.Contains(same["*"], key) && !slices.Contains(same[lang], key) {
						t.Errorf("%s: %q is the English text %q", lang, key, v)
					}
				case map[string]any:
					if _, plain := ev.(string); plain {
						t.Errorf("%s: %q is not counted in English: give one text", lang, key)
						continue
					}
					for _, f := range need {
						if s, _ := v[f.String()].(string); s == "" {
							t.Errorf("%s: %q lacks the plural category %q", lang, key, f)
						}
					}
					for name, s := range v {
						i := slices.Index(Forms[:], name)
						if i < 0 || !slices.Contains(allowed, Form(i)) {
							t.Errorf("%s: %q has the category %q, which %s lacks (it has %v)", lang, key, name, lang, allowed)
							continue
						}
						s, _ := s.(string)
						if !slices.Equal(verbs(s), want) {
							t.Errorf("%s: %q/%s has the verbs %v, English %v", lang, key, name, verbs(s), want)
						}
						if lang != Fallback && slices.ContainsFunc(englishForms(ev), func(e string) bool { return e == s }) &&
							!slices.Contains(same["*"], key) && !slices.Contains(same[lang], key) {
							t.Errorf("%s: %q/%s is the English text %q", lang, key, name, s)
						}
					}
				default:
					t.Errorf("%s: %q is neither a text nor plural categories", lang, key)
				}
			}
			for key := range cat {
				if _, ok := en[key]; !ok {
					t.Errorf("%s has %q, which English lacks", lang, key)
				}
			}
		})
	}
}

// verbsOf gives the verbs of an English message: its "other" text's.
func verbsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return verbs(v)
	case map[string]any:
		s, _ := v["other"].(string)
		return verbs(s)
	}
	return nil
}

func englishForms(v any) []string {
	var out []string
	if m, ok := v.(map[string]any); ok {
		for _, s := range m {
			if s, ok := s.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestVerbs checks the verb lists the completeness test compares.
func TestVerbs(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want string
	}{
		{"%d commons", "1:d"},
		{"%s and %d", "1:s 2:d"},
		{"%[2]s, %[1]d bars", "1:d 2:s"},
		{"100%% sure: %s", "1:s"},
		{"no verb", ""},
	} {
		if got := strings.Join(verbs(tt.s), " "); got != tt.want {
			t.Errorf("verbs(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}
