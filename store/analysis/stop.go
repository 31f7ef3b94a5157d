package analysis

import "strings"

// stopWords are the most frequent function words of some languages of
// Europe, folded. In a query they are optional: a record need not contain
// "of" to answer "terms of service", though one that does ranks higher.
// They are not stemmed into the index.
var stopWords = map[string]bool{}

func init() {
	for _, list := range []string{
		// en
		`a an and are as at be by for from has in into is it its of on or that the this to was were will with`,
		// fr
		`au aux avec ce ces dans de des du en et est il la le les leur mais ou par pas pour qui que sa se ses son sur un une`,
		// de
		`am an auf aus bei das dem den der des die ein eine einem einen einer eines für im in ist mit oder und vom von zu zum zur`,
		// es, pt, it
		`al con del el en es las los para por una unos y o da das do dos em na nas no nos os um uma e il di della delle degli dei gli lo nel per su`,
		// nl, sv, da
		`de het een en van voor met op te och att av den det en ett för med på som til af og på`,
		// pl, cs, fi
		`i w z na do dla się oraz je ja ja ve ze a ja ja sekä ja`,
	} {
		for _, w := range strings.Fields(list) {
			stopWords[w] = true
		}
	}
}

// IsStop reports whether a folded word is a stop word in some language.
func IsStop(w string) bool { return stopWords[w] }
