package i18n

import "testing"

// TestPluralCategories checks the CLDR categories of 0, 1, 2, 5, 22 and
// 101 in languages with three to six forms, whether or not they have a
// catalogue yet.
func TestPluralCategories(t *testing.T) {
	counts := []int{0, 1, 2, 5, 22, 101}
	want := map[string][]Form{
		"pl": {Many, One, Few, Many, Few, Many},
		"cs": {Other, One, Few, Other, Other, Other},
		"sk": {Other, One, Few, Other, Other, Other},
		"sl": {Other, One, Two, Other, Other, One},
		"lt": {Other, One, Few, Few, Few, One},
		"lv": {Zero, One, Other, Other, Other, One},
		"ga": {Other, One, Two, Few, Other, Other},
		"mt": {Few, One, Two, Few, Other, Other},
		"ro": {Few, One, Few, Few, Other, Few},
		"hr": {Other, One, Few, Other, Few, One},
		"fr": {One, One, Other, Other, Other, Other},
		"de": {Other, One, Other, Other, Other, Other},
		"en": {Other, One, Other, Other, Other, Other},
	}
	for lang, forms := range want {
		for i, n := range counts {
			if got := FormOf(lang, n); got != forms[i] {
				t.Errorf("%s: %d is %s, want %s", lang, n, got, forms[i])
			}
		}
	}
	// Categories beyond the table: 1000000 is "many" in French, 1000 and
	// 1000001 are not; 1022 and 1000022 take the category of 22 in Polish.
	for _, tt := range []struct {
		lang string
		n    int
		want Form
	}{
		{"fr", 1000000, Many}, {"fr", 2000000, Many}, {"fr", 1000, Other}, {"fr", 1000001, Other},
		{"pl", 1022, Few}, {"pl", 1000022, Few}, {"pl", 1012, Many}, {"lt", 2021, One}, {"mt", 2013, Many},
	} {
		if got := FormOf(tt.lang, tt.n); got != tt.want {
			t.Errorf("%s: %d is %s, want %s", tt.lang, tt.n, got, tt.want)
		}
	}
}

// TestPluralTableMatchesGoI18n checks the table the catalogues use
// against go-i18n itself for every language of the EU, far beyond the
// table.
func TestPluralTableMatchesGoI18n(t *testing.T) {
	for _, lang := range []string{"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu",
		"it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv"} {
		l, err := probeLocalizer(lang)
		if err != nil {
			t.Fatal(err)
		}
		r := mustRule(lang)
		for n := 0; n < 3000000; n += 1 + n/1000 {
			for _, m := range []int{n, n / 1000000 * 1000000} {
				want, err := goi18nForm(l, m)
				if err != nil {
					t.Fatal(err)
				}
				if got := r.form(m); got != want {
					t.Fatalf("%s: %d is %s in the table, %s in go-i18n", lang, m, got, want)
				}
			}
		}
	}
}

// TestPluralMessages formats counted messages of the catalogues present.
func TestPluralMessages(t *testing.T) {
	for _, tt := range []struct {
		lang, key string
		n         int
		want      string
	}{
		{"en", "results.count", 0, "0 commons found"}, {"en", "results.count", 1, "1 commons found"},
		{"en", "peer.count", 1, "1 record"}, {"en", "peer.count", 5, "5 records"},
		{"en", "ops.pending", 1, "1 delivery waiting or being retried."},
		{"fr", "results.count", 0, "0 commun trouvé"}, {"fr", "results.count", 1, "1 commun trouvé"},
		{"fr", "results.count", 2, "2 communs trouvés"}, {"fr", "results.count", 5, "5 communs trouvés"},
		{"fr", "results.count", 22, "22 communs trouvés"}, {"fr", "results.count", 101, "101 communs trouvés"},
		{"fr", "results.count", 1000000, "1\u00a0000\u00a0000 de communs trouvés"},
		{"de", "results.count", 1, "1 Gemeingut gefunden"}, {"de", "results.count", 22, "22 Gemeingüter gefunden"},
		{"fr", "stats.desc", 1, "Diagramme en barres : Fiches par pays, 1 barre ; le tableau ci-dessous donne les chiffres."},
		{"en", "stats.desc", 3, "Bar chart: Fiches par pays, 3 bars; the table below gives the figures."},
		{"fr", "instance.lead", 2, "Cette instance détient 2 communs répertoriés par peer.example."},
	} {
		var args []any
		switch tt.key {
		case "stats.desc":
			args = []any{"Fiches par pays"}
		case "instance.lead":
			args = []any{"peer.example"}
		}
		if got := N(tt.lang, tt.key, tt.n, args...); got != tt.want {
			t.Errorf("%s %s %d = %q, want %q", tt.lang, tt.key, tt.n, got, tt.want)
		}
	}
}

// TestPluralOutputs reads a counted message in go-i18n's JSON for the
// languages with three to six forms, as their catalogues will give it, and
// formats it for 0, 1, 2, 5, 22 and 101: the category's text, the count in
// the language's digits.
func TestPluralOutputs(t *testing.T) {
	counts := []int{0, 1, 2, 5, 22, 101}
	for _, tt := range []struct {
		lang, json string
		want       []string
	}{
		{"pl", `{"n": {"one": "%d rekord", "few": "%d rekordy", "many": "%d rekordów", "other": "%d rekordu"}}`,
			[]string{"0 rekordów", "1 rekord", "2 rekordy", "5 rekordów", "22 rekordy", "101 rekordów"}},
		{"cs", `{"n": {"one": "%d záznam", "few": "%d záznamy", "many": "%d záznamu", "other": "%d záznamů"}}`,
			[]string{"0 záznamů", "1 záznam", "2 záznamy", "5 záznamů", "22 záznamů", "101 záznamů"}},
		{"sl", `{"n": {"one": "%d zapis", "two": "%d zapisa", "few": "%d zapisi", "other": "%d zapisov"}}`,
			[]string{"0 zapisov", "1 zapis", "2 zapisa", "5 zapisov", "22 zapisov", "101 zapis"}},
		{"lt", `{"n": {"one": "%d įrašas", "few": "%d įrašai", "many": "%d įrašo", "other": "%d įrašų"}}`,
			[]string{"0 įrašų", "1 įrašas", "2 įrašai", "5 įrašai", "22 įrašai", "101 įrašas"}},
		{"ga", `{"n": {"one": "%d taifead", "two": "%d thaifead", "few": "%d thaifead", "many": "%d dtaifead", "other": "%d taifead"}}`,
			[]string{"0 taifead", "1 taifead", "2 thaifead", "5 thaifead", "22 taifead", "101 taifead"}},
		{"mt", `{"n": {"one": "rekord wieħed (%d)", "two": "żewġ rekords (%d)", "few": "%d rekords", "many": "%d-il rekord", "other": "%d rekord"}}`,
			[]string{"0 rekords", "rekord wieħed (1)", "żewġ rekords (2)", "5 rekords", "22 rekord", "101 rekord"}},
		{"fr", `{"n": {"one": "%d fiche", "many": "%d de fiches", "other": "%d fiches"}}`,
			[]string{"0 fiche", "1 fiche", "2 fiches", "5 fiches", "22 fiches", "101 fiches"}},
	} {
		c, err := parseCatalogue(tt.lang, []byte(tt.json))
		if err != nil {
			t.Fatalf("%s: %v", tt.lang, err)
		}
		for i, n := range counts {
			if got := c.N("n", n); got != tt.want[i] {
				t.Errorf("%s %d: %q, want %q", tt.lang, n, got, tt.want[i])
			}
		}
	}
}
