package store

import (
	"reflect"
	"testing"

	"github.com/commons-directory/commons"
)

func TestFTSPattern(t *testing.T) {
	for word, want := range map[string]string{
		"adresse": `"adresse"*`,
		"a":       `"a"`,
		"é":       `"é"`,
		"7":       `"7"`,
		"東":       `"東"*`,
		`x"y`:     `"x""y"*`,
	} {
		if got := ftsPattern(word); got != want {
			t.Errorf("ftsPattern(%q) = %s, want %s", word, got, want)
		}
	}
}

func TestDerive(t *testing.T) {
	r := newRecord("base-adresse", "Base Adresse Nationale")
	r.Name["fr"] = "Base Adresse Nationale (BAN)"
	r.Keywords = []string{"adresses", "géocodage"}
	r.Licences = []commons.Licence{{Expression: "MIT OR Apache-2.0"}, {Expression: "CC-BY-4.0", AppliesTo: "data"}, {Expression: "MIT"}}
	r.Countries = []commons.Country{{Code: "FR", Role: "origin"}, {Code: "FR", Role: "deployed-in"}, {Code: "EU", Role: "intended-for"}}
	r.Provenance.Origin = "https://commons.example.eu:8443"
	d := derive(r)
	if d.sortName != "base adresse nationale" {
		t.Errorf("sort name = %q", d.sortName)
	}
	wantValues := [][]string{{"software"}, {"EU", "FR"}, {"Apache-2.0", "CC-BY-4.0", "MIT"}, {"fr"}, {"stable"}, {"commons.example.eu:8443"}}
	if !reflect.DeepEqual(d.values, wantValues) {
		t.Errorf("facet values = %q, want %q", d.values, wantValues)
	}
	var parsed [6][]string
	parseFacets(d.facets, func(f int, v string) { parsed[f] = append(parsed[f], v) })
	for f := range wantValues {
		if !reflect.DeepEqual(parsed[f], wantValues[f]) {
			t.Errorf("facet %s round trip = %q", commons.Facets[f], parsed[f])
		}
	}
	if d.lens != [nTiers]int{7, 11, 6} {
		t.Errorf("words per tier = %v (texts %q)", d.lens, d.text)
	}
}

func TestFoldKey(t *testing.T) {
	for in, want := range map[string]string{
		"État civil":    "etat civil",
		" Zürich ":      "zurich",
		"ÅRHUS":         "arhus",
		"Łódź":          "łodz", // ł is a letter of its own, not l with a mark
		"OpenStreetMap": "openstreetmap",
	} {
		if got := foldKey(in); got != want {
			t.Errorf("foldKey(%q) = %q, want %q", in, got, want)
		}
	}
}
