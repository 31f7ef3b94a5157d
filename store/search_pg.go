package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/transform"
)

// Full text on PostgreSQL.
//
// SQLite's FTS5 tokenizes, folds and prefix-matches the analysed words
// (store/analysis) and answers which records hold a word in a tier; the
// scoring happens in memory (see termCache). On PostgreSQL the same words
// are kept in search_postings, one row per record, tier, column and token,
// folded here exactly as FTS5's unicode61 tokenizer with remove_diacritics 2
// folds them, and the FTS5 patterns the plan writes are translated to set
// operations over that table. No extension is needed, and a search returns
// the same records, in the same order, on both stores.

// ftsColumns are the columns of each tier's FTS5 table, in order.
var ftsColumns = []string{"word", "alt"}

// ftsTokens splits s as FTS5's unicode61 tokenizer does (letters, digits
// and marks make tokens; everything else separates them) and folds each
// token: lower case, without diacritics.
func ftsTokens(s string) []string {
	var out []string
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsNumber(r) && !unicode.IsMark(r) && !unicode.Is(unicode.Co, r)
	}) {
		if t := ftsFold(f); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func ftsFold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	// The transformers of foldKey (folders): a chain allocates its buffers
	// when made, and an import folds hundreds of thousands of words.
	folder := folders.Get().(transform.Transformer)
	f, _, err := transform.String(folder, s)
	folders.Put(folder)
	if err != nil {
		f = s
	}
	return strings.ToLower(f)
}

// insertTextPG is insertText on PostgreSQL: the tokens of every tier in
// one statement, and the new words of the vocabulary in another, so that a
// record costs few round trips to the server.
func (w *recordWriter) insertTextPG(pk int64, d *derived) error {
	tiers, cols, toks := pgPostings(d)
	if len(toks) > 0 {
		if err := w.exec(`INSERT INTO search_postings (record, tier, col, token)
			SELECT ?, u.t, u.c, u.w FROM unnest(?::smallint[], ?::smallint[], ?::text[]) AS u(t, c, w)`, pk, tiers, cols, toks); err != nil {
			return fmt.Errorf("index record text: %w", err)
		}
	}
	var words []string
	for _, word := range d.words {
		if w.terms[word] || w.vocab != nil && w.vocab.Has(word) {
			continue
		}
		w.terms[word] = true
		words = append(words, word)
	}
	if len(words) > 0 {
		if err := w.exec(`INSERT INTO search_terms (term, seq) SELECT unnest(?::text[]), ? ON CONFLICT DO NOTHING`, words, w.seq); err != nil {
			return fmt.Errorf("index record words: %w", err)
		}
	}
	return nil
}

// matchPG is match on PostgreSQL.
func (db *DB) matchPG(ctx context.Context, tier int, pattern string) ([]uint32, error) {
	q, args, err := compileFTS(tier, pattern)
	if err != nil {
		return nil, fmt.Errorf("full-text match %s: %w", pattern, err)
	}
	var list *string
	if err := db.r.QueryRowContext(ctx, `SELECT string_agg(record::text, ',') FROM (`+q+`) AS m`, args...).Scan(&list); err != nil {
		return nil, fmt.Errorf("full-text match %s: %w", pattern, err)
	}
	if list == nil {
		return nil, nil
	}
	pks := make([]uint32, 0, strings.Count(*list, ",")+1)
	for f := range strings.SplitSeq(*list, ",") {
		pk, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("full-text match %s: record %q: %w", pattern, f, err)
		}
		pks = append(pks, uint32(pk))
	}
	slices.Sort(pks)
	return pks, nil
}

// matchAmongPG is matchAmong on PostgreSQL.
func (db *DB) matchAmongPG(ctx context.Context, tier int, pattern string, pks []int64) (map[int64]bool, error) {
	q, args, err := compileFTS(tier, pattern)
	if err != nil {
		return nil, fmt.Errorf("full-text match %s: %w", pattern, err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT record FROM (`+q+`) AS m WHERE record = ANY(?::bigint[])`, append(args, pks)...)
	if err != nil {
		return nil, fmt.Errorf("full-text match %s: %w", pattern, err)
	}
	defer rows.Close()
	members := map[int64]bool{}
	for rows.Next() {
		var pk int64
		if err := rows.Scan(&pk); err != nil {
			return nil, fmt.Errorf("full-text match %s: %w", pattern, err)
		}
		members[pk] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("full-text match %s: %w", pattern, err)
	}
	return members, nil
}

// compileFTS translates the FTS5 query syntax the search plan writes
// (column filters {a b} :, quoted strings with a trailing * for a prefix,
// AND, OR, parentheses; a string of several tokens needs them all) to a
// query of the matching records over search_postings.
func compileFTS(tier int, pattern string) (string, []any, error) {
	p := &ftsParser{s: pattern, tier: tier}
	q, err := p.or(nil)
	if err != nil {
		return "", nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return "", nil, fmt.Errorf("unexpected %q at %d", p.s[p.i:], p.i)
	}
	return q, p.args, nil
}

type ftsParser struct {
	s    string
	i    int
	tier int
	args []any
}

func (p *ftsParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *ftsParser) keyword(k string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], k+" ") || strings.HasPrefix(p.s[p.i:], k+"(") || strings.HasPrefix(p.s[p.i:], k+`"`) {
		p.i += len(k)
		return true
	}
	return false
}

func (p *ftsParser) or(cols []int) (string, error) {
	parts := []string{}
	for {
		q, err := p.and(cols)
		if err != nil {
			return "", err
		}
		parts = append(parts, q)
		if !p.keyword("OR") {
			break
		}
	}
	return setOp(parts, "UNION"), nil
}

func (p *ftsParser) and(cols []int) (string, error) {
	parts := []string{}
	for {
		q, err := p.unary(cols)
		if err != nil {
			return "", err
		}
		parts = append(parts, q)
		if p.keyword("AND") {
			continue
		}
		p.space()
		if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '(' || p.s[p.i] == '{') {
			continue // juxtaposition is AND
		}
		break
	}
	return setOp(parts, "INTERSECT"), nil
}

func setOp(parts []string, op string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, ") "+op+" (") + ")"
}

func (p *ftsParser) unary(cols []int) (string, error) {
	p.space()
	if p.i >= len(p.s) {
		return "", fmt.Errorf("unexpected end")
	}
	switch p.s[p.i] {
	case '{':
		end := strings.IndexByte(p.s[p.i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unclosed column filter")
		}
		var cs []int
		for name := range strings.FieldsSeq(p.s[p.i+1 : p.i+end]) {
			c := slices.Index(ftsColumns, name)
			if c < 0 {
				return "", fmt.Errorf("no column %q", name)
			}
			cs = append(cs, c)
		}
		p.i += end + 1
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return "", fmt.Errorf("column filter without ':'")
		}
		p.i++
		return p.unary(cs)
	case '(':
		p.i++
		q, err := p.or(cols)
		if err != nil {
			return "", err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return "", fmt.Errorf("unclosed parenthesis")
		}
		p.i++
		return q, nil
	case '"':
		var b strings.Builder
		j := p.i + 1
		for {
			if j >= len(p.s) {
				return "", fmt.Errorf("unclosed string")
			}
			if p.s[j] == '"' {
				if j+1 < len(p.s) && p.s[j+1] == '"' {
					b.WriteByte('"')
					j += 2
					continue
				}
				break
			}
			b.WriteByte(p.s[j])
			j++
		}
		p.i = j + 1
		prefix := p.i < len(p.s) && p.s[p.i] == '*'
		if prefix {
			p.i++
		}
		return p.term(cols, ftsTokens(b.String()), prefix), nil
	}
	return "", fmt.Errorf("unexpected %q at %d", p.s[p.i:], p.i)
}

// term is the records holding every token in one of the columns, the last
// token as a prefix if prefix is set.
func (p *ftsParser) term(cols []int, toks []string, prefix bool) string {
	if len(toks) == 0 {
		return "SELECT record FROM search_postings WHERE false"
	}
	colSQL := ""
	if len(cols) == 1 {
		colSQL = " AND col = " + strconv.Itoa(cols[0])
	}
	parts := make([]string, len(toks))
	for i, t := range toks {
		q := "SELECT record FROM search_postings WHERE tier = " + strconv.Itoa(p.tier) + colSQL
		if prefix && i == len(toks)-1 {
			q += " AND token >= ? AND token < ?"
			p.args = append(p.args, t, t+"\U0010FFFF")
		} else {
			q += " AND token = ?"
			p.args = append(p.args, t)
		}
		parts[i] = q
	}
	return setOp(parts, "INTERSECT")
}

// warmCandidatesPG is warmCandidates on PostgreSQL: the words as written in
// at least minCachedSet records of a tier, the most frequent first.
func (db *DB) warmCandidatesPG(ctx context.Context) ([]warmCandidate, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT tier, token, count(*) FROM search_postings WHERE col = 0
		GROUP BY tier, token HAVING count(*) >= ? ORDER BY count(*) DESC, tier, token LIMIT ?`, minCachedSet, 4000*nTiers)
	if err != nil {
		return nil, fmt.Errorf("vocabulary: %w", err)
	}
	defer rows.Close()
	var out []warmCandidate
	for rows.Next() {
		var c warmCandidate
		if err := rows.Scan(&c.tier, &c.term, &c.docs); err != nil {
			return nil, fmt.Errorf("vocabulary: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vocabulary: %w", err)
	}
	return out, nil
}
