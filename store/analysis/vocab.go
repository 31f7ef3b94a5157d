package analysis

import (
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Vocabulary is the set of folded words an index holds, searched for the
// words a query may mean: within typing distance, containing the query
// word (compounds), or two words written as one. It is safe for concurrent
// use.
type Vocabulary struct {
	mu    sync.RWMutex
	set   map[string]bool
	byLen [][]vocabWord // by length in runes
	long  []string      // words of minCompound runes or more

	cmu   sync.Mutex
	cache map[string][]string // "t:word", "c:word" → answers, until the next Add
}

// vocabWord is a word of a length class. Its runes are decoded only for
// the words the letter mask lets through: keeping them would cost more
// than the word itself.
type vocabWord struct {
	word  string
	mask  uint64 // letterMask
	first rune
}

// letterMask has a bit for each letter in w (letters beyond z share bits).
// One edit changes at most two bits, so words whose masks differ in more
// than 2k bits are more than k edits apart.
func letterMask(rs []rune) uint64 {
	var m uint64
	for _, r := range rs {
		m |= 1 << (uint(r) % 64)
	}
	return m
}

// HasDigit reports whether w has a digit: such words (numbers, codes,
// slugs such as "wald72069") are left out of typo tolerance.
func HasDigit(w string) bool {
	return strings.ContainsFunc(w, unicode.IsDigit)
}

// minCompound is the shortest word searched for the words inside it.
const minCompound = 8

// maxVocabCache bounds the answers a Vocabulary remembers.
const maxVocabCache = 4096

// NewVocabulary returns an empty vocabulary.
func NewVocabulary() *Vocabulary { return &Vocabulary{set: map[string]bool{}} }

// Add adds words; words already there, and words with digits (HasDigit),
// are ignored.
func (v *Vocabulary) Add(words ...string) {
	v.mu.Lock()
	added := false
	for _, w := range words {
		if w == "" || v.set[w] || HasDigit(w) {
			continue
		}
		v.set[w] = true
		added = true
		rs := []rune(w)
		for len(v.byLen) <= len(rs) {
			v.byLen = append(v.byLen, nil)
		}
		v.byLen[len(rs)] = append(v.byLen[len(rs)], vocabWord{word: w, mask: letterMask(rs), first: rs[0]})
		if len(rs) >= minCompound {
			v.long = append(v.long, w)
		}
	}
	v.mu.Unlock()
	if added {
		v.cmu.Lock()
		v.cache = nil
		v.cmu.Unlock()
	}
}

// Has reports whether the vocabulary holds the word.
func (v *Vocabulary) Has(w string) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.set[w]
}

// AppendUnknown appends to dst the words that are neither in the
// vocabulary nor in seen, adding them to seen, and returns dst.
func (v *Vocabulary) AppendUnknown(dst, words []string, seen map[string]bool) []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, w := range words {
		if !seen[w] && !v.set[w] {
			seen[w] = true
			dst = append(dst, w)
		}
	}
	return dst
}

// Len returns the number of words.
func (v *Vocabulary) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.set)
}

func (v *Vocabulary) cached(key string, fn func() []string) []string {
	v.cmu.Lock()
	if out, ok := v.cache[key]; ok {
		v.cmu.Unlock()
		return out
	}
	v.cmu.Unlock()
	out := fn()
	v.cmu.Lock()
	if v.cache == nil || len(v.cache) >= maxVocabCache {
		v.cache = map[string][]string{}
	}
	v.cache[key] = out
	v.cmu.Unlock()
	return out
}

// Typos returns up to limit words within MaxEdits of w (w itself and the
// words it is a prefix of excluded), nearest first. A word under 9 letters
// keeps its first letter: people rarely mistype it.
func (v *Vocabulary) Typos(w string, limit int) []string {
	return v.cached("t:"+w, func() []string {
		rs := []rune(w)
		k := MaxEdits(len(rs))
		if k == 0 || HasDigit(w) {
			return nil
		}
		mask := letterMask(rs)
		type hit struct {
			word string
			d    int
		}
		var hits []hit
		var buf []rune
		v.mu.RLock()
		for n := max(1, len(rs)-k); n <= len(rs)+k && n < len(v.byLen); n++ {
			for _, c := range v.byLen[n] {
				if k == 1 && c.first != rs[0] || bits.OnesCount64(mask^c.mask) > 2*k {
					continue
				}
				buf = buf[:0]
				for _, r := range c.word {
					buf = append(buf, r)
				}
				if d := Distance(rs, buf, k); d <= k && d > 0 && !strings.HasPrefix(c.word, w) {
					hits = append(hits, hit{c.word, d})
				}
			}
		}
		v.mu.RUnlock()
		slices.SortFunc(hits, func(a, b hit) int {
			if a.d != b.d {
				return a.d - b.d
			}
			return strings.Compare(a.word, b.word)
		})
		var out []string
		for _, h := range hits[:min(len(hits), limit)] {
			out = append(out, h.word)
		}
		return out
	})
}

// Compounds returns up to limit words, of at least three letters more than
// w, that contain w other than at their start: the German, Dutch, Swedish
// or Finnish compounds w is part of ("server" in "schachserver"). Words of
// under 4 letters have none.
func (v *Vocabulary) Compounds(w string, limit int) []string {
	if utf8.RuneCountInString(w) < 4 {
		return nil
	}
	return v.cached("c:"+w, func() []string {
		var out []string
		v.mu.RLock()
		for _, c := range v.long {
			if len(c) >= len(w)+3 && !strings.HasPrefix(c, w) && strings.Contains(c, w) {
				out = append(out, c)
			}
		}
		v.mu.RUnlock()
		slices.Sort(out)
		return out[:min(len(out), limit)]
	})
}

// Split returns the two words of the vocabulary, of 3 letters or more,
// that w is written together from ("carpooling" → "car", "pooling"); when
// several splits exist, the most balanced.
func (v *Vocabulary) Split(w string) (a, b string, ok bool) {
	if len(w) < 6 {
		return "", "", false
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	best := -1
	for i := range w {
		if i < 3 || len(w)-i < 3 || !utf8.RuneStart(w[i]) {
			continue
		}
		if v.set[w[:i]] && v.set[w[i:]] {
			if bal := min(i, len(w)-i); bal > best {
				best, a, b = bal, w[:i], w[i:]
			}
		}
	}
	return a, b, best >= 0
}
