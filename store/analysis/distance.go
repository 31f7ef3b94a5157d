package analysis

// MaxEdits is the typing errors a query word of n letters may hold: none
// under 5 letters, one from 5, two from 9 (the rule Meilisearch and
// Typesense users know).
func MaxEdits(n int) int {
	switch {
	case n >= 9:
		return 2
	case n >= 5:
		return 1
	}
	return 0
}

// Distance returns the Damerau-Levenshtein distance (optimal string
// alignment: insertions, deletions, substitutions and transpositions of
// two neighbours) between a and b, or max+1 when it exceeds max.
func Distance(a, b []rune, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	if len(a) == 0 || len(b) == 0 {
		return len(a) + len(b)
	}
	// Three rows of the matrix: i-2, i-1, i.
	w := len(b) + 1
	rows := make([]int, 3*w)
	pp, p, c := rows[:w], rows[w:2*w], rows[2*w:]
	for j := range p {
		p[j] = j
	}
	for i := 1; i <= len(a); i++ {
		c[0] = i
		low := c[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(p[j]+1, c[j-1]+1, p[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, pp[j-2]+1)
			}
			c[j] = v
			low = min(low, v)
		}
		if low > max {
			return max + 1
		}
		pp, p, c = p, c, pp
	}
	if p[len(b)] > max {
		return max + 1
	}
	return p[len(b)]
}
