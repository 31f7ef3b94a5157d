package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// Full text on PostgreSQL.
//
// SQLite's FTS5 tokenizes, folds and prefix-matches the analysed words
// (store/analysis) and answers which records hold a word in a tier; the
// scoring happens in memory (see termCache). On PostgreSQL the same words
// are kept in search_text, one row per record and tier whose doc is a
// tsvector of the tokens, folded here exactly as FTS5's unicode61
// tokenizer with remove_diacritics 2 folds them; the tokens of the second
// column (the stems) carry the prefix altMark; each tier is a partition
// of its own. The FTS5 patterns the plan writes are translated to one
// tsquery, matched through a GIN index. PostgreSQL's text search
// configurations are never applied: a tsvector built from its text form,
// and a tsquery cast from text, take their lexemes as given. No extension is needed, and a search returns
// the same records, in the same order, on both stores.
//
// One row per record and tier, rather than one per token, is what makes
// a bulk import fast: a record has about a hundred postings, which cost a
// hundred B-tree insertions each; a GIN index takes them a page at a time.

// altMark begins the lexemes of the second column. It is neither a letter
// nor a digit, so no token begins with it, and a prefix of a token stays
// a prefix of its marked form.
const altMark = "~"

// maxLexeme is the length in bytes at which a token is cut, in the index
// and in a query alike: a tsvector refuses lexemes of 2 KiB or more.
const maxLexeme = 2000

// maxTextVector bounds the bytes of a tier's lexemes in one row (a
// tsvector holds less than 1 MiB). A record of ordinary size uses a few
// kilobytes; one whose distinct words in a tier exceed this has the rest
// left out of the index on PostgreSQL.
const maxTextVector = 900_000

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

// insertTextPG is insertText on PostgreSQL: the record's rows of
// search_text in one statement, and the new words of the vocabulary in
// another, so that a record costs few round trips to the server.
func (w *recordWriter) insertTextPG(pk int64, d *derived) error {
	tiers, docs := pgTextRows(d)
	if len(docs) > 0 {
		if err := w.exec(`INSERT INTO search_text (record, tier, doc)
			SELECT ?, u.t, u.d::tsvector FROM unnest(?::smallint[], ?::text[]) AS u(t, d)`, pk, tiers, docs); err != nil {
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

// pgTextRows are a record's rows of search_text: for each tier with text,
// the tier and the text form of its tsvector (each token once per column,
// quoted; see altMark).
func pgTextRows(d *derived) (tiers []int16, docs []string) {
	var b strings.Builder
	seen := map[string]bool{}
	for t := range tierTables {
		b.Reset()
		clear(seen)
		for c, text := range []string{d.text[t], d.alt[t]} {
			for _, tok := range ftsTokens(text) {
				lex := lexeme(c, tok)
				if seen[lex] || b.Len()+len(lex)+3 > maxTextVector { // quoted, and a space
					continue
				}
				seen[lex] = true
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				writeQuoted(&b, lex)
			}
		}
		if b.Len() > 0 {
			tiers, docs = append(tiers, int16(t)), append(docs, b.String())
		}
	}
	return tiers, docs
}

// lexeme is a token as search_text holds it in column c: cut to
// maxLexeme, marked if it is a stem.
func lexeme(c int, tok string) string {
	if len(tok) > maxLexeme {
		n := maxLexeme
		for n > 0 && !utf8.RuneStart(tok[n]) {
			n--
		}
		tok = tok[:n]
	}
	if c == 1 {
		return altMark + tok
	}
	return tok
}

// writeQuoted writes a lexeme quoted as tsvector and tsquery read it.
// Tokens hold neither quotes nor backslashes, but a lexeme is data.
func writeQuoted(b *strings.Builder, lex string) {
	b.WriteByte('\'')
	for i := 0; i < len(lex); i++ {
		switch lex[i] {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(lex[i])
		}
	}
	b.WriteByte('\'')
}

// matchPGQuery is match's statement on PostgreSQL: the matching records
// of the tier as one comma-separated list.
func matchPGQuery(tier int, pattern string) (string, []any, error) {
	q, args, err := compileFTS(tier, pattern)
	if err != nil {
		return "", nil, err
	}
	return `SELECT string_agg(record::text, ',') FROM (` + q + `) AS m`, args, nil
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
// query of the matching records of a tier in search_text: one tsquery.
func compileFTS(tier int, pattern string) (string, []any, error) {
	p := &ftsParser{s: pattern}
	q, err := p.or(nil)
	if err != nil {
		return "", nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return "", nil, fmt.Errorf("unexpected %q at %d", p.s[p.i:], p.i)
	}
	if q == "" {
		return "SELECT record FROM search_text WHERE false", nil, nil
	}
	// The tier is written into the statement, so that the planner reads
	// only that tier's partition.
	return "SELECT record FROM search_text WHERE tier = " + strconv.Itoa(tier) + " AND doc @@ ?::tsquery", []any{q}, nil
}

// ftsParser reads an FTS5 pattern into the text of a tsquery; "" is a
// query that matches nothing (a string without tokens).
type ftsParser struct {
	s string
	i int
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
	return tsOr(parts), nil
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
	return tsAnd(parts), nil
}

// tsAnd is the conjunction of tsqueries, "" (nothing) if one is.
func tsAnd(parts []string) string {
	if slices.Contains(parts, "") {
		return ""
	}
	return tsJoin(parts, " & ")
}

// tsOr is the disjunction of tsqueries, those that match nothing left out.
func tsOr(parts []string) string {
	return tsJoin(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), " | ")
}

func tsJoin(parts []string, op string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, op) + ")"
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

// term is the tsquery of the records holding every token in one of the
// columns, the last token as a prefix if prefix is set.
func (p *ftsParser) term(cols []int, toks []string, prefix bool) string {
	if len(toks) == 0 {
		return ""
	}
	if len(cols) == 0 {
		cols = []int{0, 1}
	}
	var b strings.Builder
	parts := make([]string, len(toks))
	for i, t := range toks {
		alts := make([]string, 0, len(cols))
		for _, c := range slices.Compact(slices.Sorted(slices.Values(cols))) {
			b.Reset()
			writeQuoted(&b, lexeme(c, t))
			if prefix && i == len(toks)-1 {
				b.WriteString(":*")
			}
			alts = append(alts, b.String())
		}
		parts[i] = tsOr(alts)
	}
	return tsAnd(parts)
}

// warmCandidatesPG is warmCandidates on PostgreSQL: the words as written in
// at least minCachedSet records of a tier, the most frequent first.
func (db *DB) warmCandidatesPG(ctx context.Context) ([]warmCandidate, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT s.tier, u.lexeme COLLATE "C", count(*) FROM search_text AS s, unnest(s.doc) AS u
		WHERE left(u.lexeme, 1) <> ? GROUP BY 1, 2 HAVING count(*) >= ? ORDER BY 3 DESC, 1, 2 LIMIT ?`, altMark, minCachedSet, 4000*nTiers)
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
