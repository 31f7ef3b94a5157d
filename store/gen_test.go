package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/commons-directory/commons"
)

// gen makes realistic, deterministic records for tests and benchmarks:
// multilingual names, summaries and descriptions drawn from a vocabulary of a
// few thousand words with Zipf-like frequencies, and facet values with skewed
// distributions (many software records, few hardware ones; many French and
// German records, few Maltese ones).
type gen struct {
	rnd   *rand.Rand
	vocab []string
	zipf  *rand.Zipf
}

// seedWords are real words of the field, in several languages, with their
// diacritics; they come first in the vocabulary, so they are the frequent ones.
var seedWords = strings.Fields(`
	open data données daten datos dati dane dados öffentliche public publique
	libre frei software logiciel base adresse nationale carte map karte mapa
	register registre registro état state staat estado stato commune gemeinde
	municipality ville city stadt città ciudad région region regione europe
	european européen europäische europeo géographique geographic geografico
	energy énergie energie energía transport verkehr mobilité mobility santé
	health gesundheit salud école school schule escuela university université
	universität research recherche forschung investigación wikipedia
	encyclopedia encyclopédie enzyklopädie street straße rue calle via platform
	plattforme plateforme plattform library bibliothèque bibliothek biblioteca
	archive archiv archivo standard norme norm model modèle modell modelo
	statistics statistique statistik estadística census recensement zensus
	water eau wasser agua climate climat klima clima environment environnement
	umwelt medio ambiente agriculture landwirtschaft agricultura forest forêt
	wald bosque budget haushalt presupuesto law loi gesetz ley justice justiz
	identity identité identität digital numérique digitale tool outil werkzeug
	herramienta network réseau netz red service dienst servicio cloud
	infrastructure infraestructura citizen citoyen bürger ciudadano
	participation beteiligung participación vote élection wahl elección
	translation traduction übersetzung traducción language langue sprache
	lengua food alimentation lebensmittel alimentos photo photographie foto
	street-level imagery images bilder imágenes ordnance cadastre kataster
	catastro building bâtiment gebäude edificio postal code postleitzahl
	métropole żółw łódź kraków ąę ñandú façade naïve coöperatie zürich
	göteborg malmö århus ísland ħal čeština słownik
`)

// syllables build the rest of the vocabulary: pronounceable words that look
// like European words without being any.
var syllables = strings.Fields(`ka ro mi sel ta ven lo dra fen mar qui ber
	na tor gli ze pa ul vé ström ös ña chi lé wa bur gen dor tis fal mé ri
	san co lu bra het jor ki pol dé zu ack ing ung ion eur ité`)

func newGen(seed uint64) *gen {
	g := &gen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	seen := map[string]bool{}
	for _, w := range seedWords {
		if !seen[w] {
			seen[w] = true
			g.vocab = append(g.vocab, w)
		}
	}
	for len(g.vocab) < 3000 {
		n := 2 + g.rnd.IntN(3)
		var b strings.Builder
		for range n {
			b.WriteString(syllables[g.rnd.IntN(len(syllables))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			g.vocab = append(g.vocab, w)
		}
	}
	// Shuffle the seed words a little into the head, so the most frequent
	// words are a mix of real and made-up ones.
	for i := range 60 {
		j := g.rnd.IntN(400)
		g.vocab[i], g.vocab[j] = g.vocab[j], g.vocab[i]
	}
	g.zipf = rand.NewZipf(g.rnd, 1.07, 2, uint64(len(g.vocab)-1))
	return g
}

// word returns a vocabulary word drawn with Zipf-like frequencies.
func (g *gen) word() string { return g.vocab[g.zipf.Uint64()] }

// words returns n words joined by spaces, at most max characters long.
func (g *gen) words(n, max int) string {
	var b strings.Builder
	for i := range n {
		w := g.word()
		if b.Len()+len(w)+1 > max {
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

// pick chooses an item with the given weights.
func pick[T any](g *gen, items []T, weights []int) T {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.rnd.IntN(total)
	for i, w := range weights {
		if n < w {
			return items[i]
		}
		n -= w
	}
	return items[len(items)-1]
}

// pickSet chooses 1..max distinct items with the given weights.
func pickSet[T comparable](g *gen, items []T, weights []int, max int) []T {
	n := 1 + g.rnd.IntN(max)
	var out []T
	for range n {
		it := pick(g, items, weights)
		dup := false
		for _, o := range out {
			dup = dup || o == it
		}
		if !dup {
			out = append(out, it)
		}
	}
	return out
}

var (
	genKinds     = []string{"software", "data", "geodata", "knowledge", "hardware", "standard", "ai-model", "service", "infrastructure", "community"}
	genKindW     = []int{40, 25, 10, 8, 2, 4, 3, 4, 2, 2}
	genCountries = []string{"FR", "DE", "ES", "IT", "NL", "PL", "BE", "AT", "SE", "PT", "CZ", "DK", "FI", "IE", "EU", "MT", "LU", "EE", "HU", "GR"}
	genCountryW  = []int{20, 18, 10, 10, 7, 6, 5, 4, 4, 3, 3, 2, 2, 2, 8, 1, 1, 1, 2, 2}
	genLangs     = []string{"en", "fr", "de", "es", "it", "nl", "pl", "pt", "sv", "cs", "fi", "mt"}
	genLangW     = []int{40, 18, 15, 7, 6, 4, 3, 2, 2, 1, 1, 1}
	genLicences  = []string{"MIT", "Apache-2.0", "GPL-3.0-or-later", "AGPL-3.0-only", "EUPL-1.2", "CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0", "CC0-1.0", "MPL-2.0", "MIT OR Apache-2.0", "LGPL-2.1-or-later", "BSD-3-Clause", "Etalab-2.0", "CERN-OHL-S-2.0"}
	genLicenceW  = []int{15, 12, 10, 6, 8, 10, 7, 6, 6, 3, 4, 2, 4, 3, 1}
	genStatuses  = []string{"concept", "development", "beta", "stable", "maintained-only", "obsolete"}
	genStatusW   = []int{3, 15, 10, 55, 10, 7}
)

// record returns the i-th generated record. Its slug is unique per i.
func (g *gen) record(i int) *commons.Record {
	names := pickSet(g, genLangs[:6], genLangW[:6], 3)
	r := &commons.Record{
		Slug:        fmt.Sprintf("%s-%d", slugWord(g.vocab[g.rnd.IntN(len(g.vocab))]), i),
		Name:        commons.Text{},
		Summary:     commons.Text{},
		Description: commons.Text{},
		Kinds:       pickSet(g, genKinds, genKindW, 2),
		Languages:   pickSet(g, genLangs, genLangW, 3),
		Status:      pick(g, genStatuses, genStatusW),
	}
	base := title(g.words(1+g.rnd.IntN(3), 60))
	for _, l := range names {
		r.Name[l] = base
		if g.rnd.IntN(3) == 0 {
			r.Name[l] = title(g.words(1+g.rnd.IntN(4), 80))
		}
		r.Summary[l] = capitalise(g.words(6+g.rnd.IntN(14), commons.MaxSummary))
		if g.rnd.IntN(4) > 0 {
			r.Description[l] = capitalise(g.words(20+g.rnd.IntN(100), 4000)) + "."
		}
	}
	for range g.rnd.IntN(6) {
		r.Keywords = append(r.Keywords, g.word())
	}
	for _, c := range pickSet(g, genCountries, genCountryW, 2) {
		r.Countries = append(r.Countries, commons.Country{Code: c, Role: pick(g, commons.CountryRoles, []int{6, 2, 2})})
	}
	for _, l := range pickSet(g, genLicences, genLicenceW, 2) {
		r.Licences = append(r.Licences, commons.Licence{Expression: l})
	}
	if g.rnd.IntN(2) == 0 {
		r.Links.Homepage = "https://" + r.Slug + ".example.org/"
	}
	if g.rnd.IntN(3) == 0 {
		r.Organisations = append(r.Organisations, commons.Organisation{Name: title(g.words(2, 60)), Role: "steward"})
	}
	return r
}

// records returns n generated records.
func (g *gen) records(n int) []*commons.Record {
	rs := make([]*commons.Record, n)
	for i := range rs {
		rs[i] = g.record(i)
	}
	return rs
}

// slugWord turns a word into slug characters, dropping what a slug cannot hold.
func slugWord(w string) string {
	var b strings.Builder
	for _, c := range w {
		if c < utf8.RuneSelf && (unicode.IsLower(c) || unicode.IsDigit(c)) {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

func capitalise(s string) string {
	c, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(c)) + s[n:]
}

func title(s string) string {
	ws := strings.Fields(s)
	for i, w := range ws {
		ws[i] = capitalise(w)
	}
	return strings.Join(ws, " ")
}
