package store

import (
	"context"
	"slices"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/analysis"
)

// Proximity. The full-text tables keep no positions (detail = column keeps
// them small and fast to write), so a search of several words ranks the
// proximityTop best records again by reading their texts: the more of the
// query's consecutive words a record has next to each other, in order, the
// higher it ranks. Only those records move, and they stay above the others
// (a bonus only raises a score), so every page of a search agrees with
// the others: the order is that of the score with the bonus, whatever the
// cursor.
const (
	proximityTop    = 16
	weightProximity = 0.3 // the score of a record with every pair adjacent grows by this share
)

// proximityWords returns the kept query words, but stop words, when they
// are two or more: the words whose closeness counts.
func (p *plan) proximityWords(kept []bool) []*planWord {
	var out []*planWord
	for i := range p.words {
		if kept[i] && !p.words[i].stop {
			out = append(out, &p.words[i])
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// matches reports whether a folded word of a text in a language (a BCP 47
// tag, "" when it has none) is one the query word found: one it begins,
// one of its typos, compounds or joined words, or one whose stem is among
// its stems.
func (w *planWord) matches(word, tag string) bool {
	if strings.HasPrefix(word, w.word) || slices.Contains(w.exact, word) {
		return true
	}
	if tag == "" || len(word) < 3 {
		return false
	}
	// A stem begins like its word, but for a few letters (ß → ss): a word
	// whose first two bytes begin no stem is not stemmed.
	if !slices.ContainsFunc(w.stems, func(s string) bool { return len(s) >= 2 && s[:2] == word[:2] }) {
		return false
	}
	return slices.Contains(w.stems, analysis.Stem(tag, word))
}

// pairTiers returns the tiers in which the record (pk) has two
// consecutive words: only their texts can have them close.
func pairTiers(pk uint32, words []*planWord) (tiers [nTiers]bool, any bool) {
	var in [nTiers]uint64 // by tier, a bit per word
	for i, w := range words {
		for t := range nTiers {
			for _, a := range w.alts {
				if a.sets[t].has(pk) {
					in[t] |= 1 << i
					break
				}
			}
		}
	}
	for t := range nTiers {
		if in[t]&(in[t]>>1) != 0 {
			tiers[t], any = true, true
		}
	}
	return tiers, any
}

// proximity returns how close the words are in the record's texts of the
// tiers, from 0 to 1: for each pair of consecutive query words, 1 when
// some text has them next to each other in order, less when one or two
// words apart or in the other order, 0 when further apart; the mean over
// the pairs. Stop words do not count as words apart ("terms of service").
func proximity(r *commons.Record, words []*planWord, tiers [nTiers]bool) float64 {
	best := make([]float64, len(words)-1)
	last := make([]int, len(words))
	var toks []analysis.Token
	text := func(s, tag string) {
		toks = toks[:0]
		toks = append(toks, analysis.Tokens(s, tag)...)
		for i := range last {
			last[i] = -10
		}
		pos := 0
		for _, tk := range toks {
			if tk.Elided || analysis.IsStop(tk.Word) {
				continue
			}
			pos++
			for i, w := range words {
				if !w.matches(tk.Word, tag) {
					continue
				}
				if i > 0 {
					best[i-1] = max(best[i-1], closeness(pos-last[i-1]))
				}
				if i+1 < len(words) {
					best[i] = max(best[i], closeness(pos-last[i+1])/2)
				}
				last[i] = pos
			}
		}
	}
	texts := func(t commons.Text) {
		for _, k := range t.Languages() {
			text(t[k], k)
		}
	}
	if tiers[tierName] {
		texts(r.Name)
	}
	if tiers[tierMeta] {
		texts(r.Summary)
		for _, k := range r.Keywords {
			text(k, "")
		}
	}
	if tiers[tierDesc] {
		texts(r.Description)
	}
	sum := 0.0
	for _, b := range best {
		sum += b
	}
	return sum / float64(len(best))
}

// closeness is what a pair of words gap positions apart counts.
func closeness(gap int) float64 {
	switch gap {
	case 1:
		return 1
	case 2:
		return 0.5
	case 3:
		return 0.25
	}
	return 0
}

// rankByProximity applies the proximity bonus to the best records of a
// search of several words (ev.top), and merges them with the rest of the
// page: ev.page holds the keys after the cursor by the score without the
// bonus, proximityTop more than the page needs, so that it still has
// enough once the best records are taken out.
func (db *DB) rankByProximity(ctx context.Context, s *search, pl *plan, ev *evaluation) error {
	words := pl.proximityWords(ev.kept)
	if words == nil || len(ev.top) == 0 {
		return nil
	}
	// Only the records with two consecutive words in one tier are read.
	var pks []int64
	tiers := make([][nTiers]bool, len(ev.top))
	for i, k := range ev.top {
		var ok bool
		if tiers[i], ok = pairTiers(uint32(k.pk), words); ok {
			pks = append(pks, k.pk)
		}
	}
	recs, err := db.sharedRecords(ctx, pks)
	if err != nil {
		return err
	}
	inTop := make(map[int64]bool, len(ev.top))
	var page []sortKey
	for i, k := range ev.top {
		inTop[k.pk] = true
		if len(pks) > 0 && pks[0] == k.pk {
			if r := recs[0]; r != nil {
				if f := proximity(r, words, tiers[i]); f > 0 {
					k.score *= 1 + weightProximity*f
				}
			}
			pks, recs = pks[1:], recs[1:]
		}
		if s.after == nil || s.order.before(s.after, &k) {
			page = append(page, k)
		}
	}
	for _, k := range ev.page {
		if !inTop[k.pk] {
			page = append(page, k)
		}
	}
	slices.SortFunc(page, func(a, b sortKey) int {
		if s.order.before(&a, &b) {
			return -1
		}
		return 1
	})
	ev.page = page[:min(len(page), s.limit+1)]
	return nil
}
