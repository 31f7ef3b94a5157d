package analysis

import (
	"reflect"
	"slices"
	"testing"
)

// TestStem checks, for each stemmed language, that inflected forms of a
// word share a stem, and that a word of another meaning does not.
func TestStem(t *testing.T) {
	for _, tc := range []struct {
		lang      string
		same      []string
		different string
	}{
		{"en", []string{"maps", "map", "mapping"}, "maple"},
		{"fr", []string{"cartes", "carte"}, "carton"},
		{"de", []string{"karten", "karte"}, "kartell"},
		{"es", []string{"mapas", "mapa"}, "manzana"},
		{"it", []string{"biblioteche", "biblioteca"}, "bibbia"},
		{"pt", []string{"bibliotecas", "biblioteca"}, "bíblia"},
		{"nl", []string{"kaarten", "kaart"}, "kaas"},
		{"sv", []string{"kartor", "karta"}, "kartong"},
		{"da", []string{"biblioteker", "bibliotek"}, "bibel"},
		{"fi", []string{"kirjastot", "kirjasto"}, "kirje"},
		{"ro", []string{"hărțile", "hărți"}, "hotel"},
		{"hu", []string{"térképek", "térkép"}, "terem"},
		{"pt-BR", []string{"mapas", "mapa"}, "maçã"},
	} {
		stem := Stem(tc.lang, Fold(tc.same[0]))
		for _, w := range tc.same[1:] {
			if got := Stem(tc.lang, Fold(w)); got != stem {
				t.Errorf("%s: stem of %q is %q, of %q %q: want the same", tc.lang, tc.same[0], stem, w, got)
			}
		}
		if got := Stem(tc.lang, Fold(tc.different)); got == stem {
			t.Errorf("%s: %q has the stem %q of %q", tc.lang, tc.different, got, tc.same[0])
		}
	}
	if got := Stem("pl", "mapy"); got != "mapy" {
		t.Errorf("Polish has no stemmer, yet mapy → %q", got)
	}
	if got := Stem("de", "straße"); got != "strass" {
		t.Errorf("German stem of straße = %q, want strass", got)
	}
}

func TestElision(t *testing.T) {
	words := func(ws []QueryWord) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.Word)
		}
		return out
	}
	for q, want := range map[string][]string{
		"l'encyclopédie d'Europe":         {"encyclopedie", "europe"},
		"dell'arte nell’Unione":           {"arte", "unione"},
		"qu'est-ce que l'OpenStreetMap":   {"est", "ce", "que", "openstreetmap"},
		"France's map":                    {"france", "map"},
		"aujourd'hui":                     {"aujourd", "hui"},
		"l' eau":                          {"l", "eau"}, // no elision before a space
		"terms of service":                {"terms", "of", "service"},
		"Base   Adresse, Nationale! base": {"base", "adresse", "nationale"},
		"E\u0301tat 東京 ⅻ":                 {"etat", "東京", "ⅻ"},
		"a b c d e f g h i j k l":         {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
		`"*^:-+{}`:                        nil,
	} {
		if got := words(ParseQuery(q, 10)); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseQuery(%q) = %q, want %q", q, got, want)
		}
	}
	// In a text, elision follows the text's language.
	toks := Tokens("l'eau d'Italia", "it")
	if !toks[0].Elided || !toks[2].Elided || toks[1].Elided {
		t.Errorf("Italian elisions: %+v", toks)
	}
	if toks := Tokens("l'eau", "de"); toks[0].Elided {
		t.Errorf("German has no elision: %+v", toks)
	}
	if ws := ParseQuery("terms of service", 10); ws[0].Stop || !ws[1].Stop || ws[2].Stop {
		t.Errorf("stop words of %q: %+v", "terms of service", ws)
	}
}

// TestCompounds checks that a word is found inside the compounds of
// German, Dutch, Swedish and Finnish, and two words written as one.
func TestCompounds(t *testing.T) {
	v := NewVocabulary()
	v.Add("schachserver", "tabellenkalkulation", "kalkulation", "fietsenwinkel", "bokhandel",
		"kaupunginkirjasto", "car", "pooling", "carpooling", "nutri", "score", "map")
	for w, want := range map[string][]string{
		"server":    {"schachserver"},                       // de
		"kalkulati": {"tabellenkalkulation"},                // de, as a prefix of the whole word it is not a compound
		"winkel":    {"fietsenwinkel"},                      // nl
		"handel":    {"bokhandel"},                          // sv
		"kirjasto":  {"kaupunginkirjasto"},                  // fi
		"schach":    nil,                                    // a prefix: prefix matching finds it
		"map":       nil,                                    // too short to look inside words
		"pool":      {"carpooling"},                         // inside
		"kalk":      {"tabellenkalkulation"},                //
		"ulation":   {"kalkulation", "tabellenkalkulation"}, // sorted
	} {
		if got := v.Compounds(w, 10); !slices.Equal(got, want) {
			t.Errorf("Compounds(%q) = %q, want %q", w, got, want)
		}
	}
	for w, want := range map[string][2]string{
		"nutriscore": {"nutri", "score"},
		"carpooling": {"car", "pooling"},
	} {
		a, b, ok := v.Split(w)
		if !ok || a != want[0] || b != want[1] {
			t.Errorf("Split(%q) = %q, %q, %v; want %q", w, a, b, ok, want)
		}
	}
	if _, _, ok := v.Split("mapper"); ok {
		t.Errorf("mapper splits")
	}
	if got := CamelParts("OpenStreetMap"); !slices.Equal(got, []string{"open", "street", "map"}) {
		t.Errorf("CamelParts(OpenStreetMap) = %q", got)
	}
	if got := CamelParts("XWiki"); !slices.Equal(got, []string{"x", "wiki"}) {
		t.Errorf("CamelParts(XWiki) = %q", got)
	}
	if got := CamelParts("Wikipedia"); got != nil {
		t.Errorf("CamelParts(Wikipedia) = %q", got)
	}
	if got := Joins(Tokens("Nutri-Score, street-level imagery, e-mail", "en")); !slices.Equal(got, []string{"nutriscore", "streetlevel", "email"}) {
		t.Errorf("Joins = %q", got)
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		max  int
		want int
	}{
		{"wikipdia", "wikipedia", 2, 1},  // a letter dropped
		{"wikipeida", "wikipedia", 2, 1}, // two letters swapped: one edit
		{"opnstreetmap", "openstreetmap", 2, 1},
		{"mikroblogging", "microblogging", 2, 1}, // de/en spelling
		{"kitten", "sitting", 3, 3},
		{"kitten", "sitting", 2, 3}, // over max: max+1
		{"échecs", "echecs", 1, 1},  // distance is on letters, fold first
		{"", "abc", 3, 3},
		{"same", "same", 0, 0},
		{"abcdef", "ab", 2, 3}, // lengths alone exceed max
	} {
		if got := Distance([]rune(tc.a), []rune(tc.b), tc.max); got != tc.want {
			t.Errorf("Distance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.max, got, tc.want)
		}
	}
}

// TestTypos checks the typo rule: no typo under 5 letters, one from 5,
// two from 9, and the first letter kept under 9.
func TestTypos(t *testing.T) {
	v := NewVocabulary()
	v.Add("mastodon", "wikipedia", "map", "maps", "blender", "openstreetmap", "wikipediaxx")
	for w, want := range map[string][]string{
		"mastadon":    {"mastodon"},      // en, 8 letters: one edit
		"nastodon":    nil,               // the first letter of a short word
		"xikipedia":   {"wikipedia"},     // 9 letters: the first letter may be wrong
		"wikpeida":    nil,               // a drop and a swap are two edits, one too many for 8 letters
		"mup":         nil,               // under 5 letters
		"blendr":      {"blender"},       //
		"opnstretmap": {"openstreetmap"}, // two edits in 11 letters
		"wikipedia":   nil,               // itself and the words it begins are not typos
		"wikipediax":  {"wikipedia"},     // not wikipediaxx, which it begins: prefix matching finds that
	} {
		if got := v.Typos(w, 5); !slices.Equal(got, want) {
			t.Errorf("Typos(%q) = %q, want %q", w, got, want)
		}
	}
	for n, want := range map[int]int{4: 0, 5: 1, 8: 1, 9: 2, 20: 2} {
		if got := MaxEdits(n); got != want {
			t.Errorf("MaxEdits(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Énergie": "energie", "Straße": "straße", "Łódź": "łodz", "ÉTAT": "etat", "Ελληνικά": "ελληνικα",
		"OpenStreetMap": "openstreetmap",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Compact("Open Street-Map"); got != "openstreetmap" {
		t.Errorf("Compact = %q", got)
	}
}
