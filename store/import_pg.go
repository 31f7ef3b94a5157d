package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/commons-directory/commons"
)

// pgBatch gathers, on PostgreSQL, the records an import creates and the
// rows they add beside them (postings, words, keys, history), and writes
// them a batch at a time: one statement per table, the rows as arrays.
// Written one at a time, each record cost about eight round trips to the
// server; a batch of importChunk records costs five, and the postings
// (about a hundred a record) go in batches of their own, postingsBatch.
type pgBatch struct {
	recs []pgNewRecord
	// words are the new words of the vocabulary, not yet written.
	words []string
	// The postings of the records inserted, not yet written.
	postRec           []int64
	postTier, postCol []int16
	postTok           []string
	// unindexed is set while the postings table has no index (see
	// suspendPostingsIndexes): the postings need no order then.
	unindexed bool
}

// postingsBatch is the number of postings from which a batching writer
// writes those it holds. They go into an index ordered by token: written
// many at a time and in its order, they reach each of its pages once.
const postingsBatch = 1 << 17

func (b *pgBatch) addPostings(pk int64, enc *encoded) {
	tiers, cols, toks := enc.tiers, enc.cols, enc.toks
	if toks == nil {
		tiers, cols, toks = pgPostings(&enc.d)
	}
	for range toks {
		b.postRec = append(b.postRec, pk)
	}
	b.postTier, b.postCol, b.postTok = append(b.postTier, tiers...), append(b.postCol, cols...), append(b.postTok, toks...)
}

// flushPostings writes the postings the batch holds, in the order of the
// table's primary key (tier, token, col, record), unless the table has no
// index then (suspendPostingsIndexes).
func (w *recordWriter) flushPostings() error {
	b := w.batch
	n := len(b.postTok)
	if n == 0 {
		return nil
	}
	rec, tier, col, tok := b.postRec, b.postTier, b.postCol, b.postTok
	if !b.unindexed {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(i, j int) int {
			return cmp.Or(cmp.Compare(b.postTier[i], b.postTier[j]), strings.Compare(b.postTok[i], b.postTok[j]),
				cmp.Compare(b.postCol[i], b.postCol[j]), cmp.Compare(b.postRec[i], b.postRec[j]))
		})
		rec, tier, col, tok = make([]int64, n), make([]int16, n), make([]int16, n), make([]string, n)
		for k, i := range order {
			rec[k], tier[k], col[k], tok[k] = b.postRec[i], b.postTier[i], b.postCol[i], b.postTok[i]
		}
	}
	if err := w.exec(`INSERT INTO search_postings (record, tier, col, token)
		SELECT * FROM unnest(?::bigint[], ?::smallint[], ?::smallint[], ?::text[])`, rec, tier, col, tok); err != nil {
		return fmt.Errorf("index record text: %w", err)
	}
	b.postRec, b.postTier, b.postCol, b.postTok = b.postRec[:0], b.postTier[:0], b.postCol[:0], b.postTok[:0]
	return nil
}

// pgNewRecord is a record queued for insertion.
type pgNewRecord struct {
	r     *commons.Record
	enc   *encoded
	actor string
}

// queueInsert is insert for a batching writer: the record is written by
// flushBatch.
func (w *recordWriter) queueInsert(r *commons.Record, enc *encoded, actor string) {
	w.batch.recs = append(w.batch.recs, pgNewRecord{r: r, enc: enc, actor: actor})
	for _, word := range enc.d.words {
		if w.terms[word] || w.vocab != nil && w.vocab.Has(word) {
			continue
		}
		w.terms[word] = true
		w.batch.words = append(w.batch.words, word)
	}
}

// flushBatch writes the queued records and their rows, and returns the ids
// of the queued records it could not insert because a stored record holds
// their id or slug (none of their rows is written). Unless final, it keeps
// the postings until they are postingsBatch.
func (w *recordWriter) flushBatch(final bool) (conflicts []string, err error) {
	b := w.batch
	if b == nil {
		return nil, nil
	}
	recs := b.recs
	b.recs = b.recs[:0]
	if len(recs) > 0 {
		if conflicts, err = w.insertBatch(recs); err != nil {
			return nil, err
		}
	}
	if final || len(b.postTok) >= postingsBatch {
		if err := w.flushPostings(); err != nil {
			return nil, err
		}
	}
	if len(b.words) > 0 {
		if err := w.exec(`INSERT INTO search_terms (term, seq) SELECT unnest(?::text[]), ? ON CONFLICT DO NOTHING`, b.words, w.seq); err != nil {
			return nil, fmt.Errorf("index record words: %w", err)
		}
		b.words = b.words[:0]
	}
	return conflicts, nil
}

// insertBatch inserts the records, in order, then the rows of those it
// inserted.
func (w *recordWriter) insertBatch(recs []pgNewRecord) ([]string, error) {
	n := len(recs)
	var (
		ids, slugs, origins, docs, hashes  = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		sortNames, nameKeys, facets, langs = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		locals, versions, created, updated = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		received                           = make([]*int64, n)
		lenName, lenMeta, lenDesc          = make([]int64, n), make([]int64, n), make([]int64, n)
	)
	for i, q := range recs {
		r, d, p := q.r, &q.enc.d, &q.r.Provenance
		ids[i], slugs[i], origins[i], docs[i], hashes[i] = r.ID, r.Slug, p.Origin, string(q.enc.doc), p.Hash
		sortNames[i], nameKeys[i], facets[i], langs[i] = d.sortName, d.nameKeys, d.facets, d.langs
		if p.Origin == w.base {
			locals[i] = 1
		}
		versions[i], created[i], updated[i] = int64(p.Version), millis(p.Created), millis(p.Updated)
		if !p.ReceivedAt.IsZero() {
			ms := millis(p.ReceivedAt)
			received[i] = &ms
		}
		lenName[i], lenMeta[i], lenDesc[i] = int64(d.lens[tierName]), int64(d.lens[tierMeta]), int64(d.lens[tierDesc])
	}
	// The rows are inserted in the order given (ORDER BY n), so that their
	// keys are in the order of the import, as when written one at a time.
	// A record whose id or slug is taken is skipped (ON CONFLICT DO
	// NOTHING) and named by its absence from what the statement returns.
	s, err := w.stmt(`INSERT INTO records (id, slug, origin, local, doc, version, hash, created, updated,
		received_at, seq, sort_name, name_keys, facets, len_name, len_meta, len_desc, text_langs)
		SELECT u.id, u.slug, u.origin, u.local, u.doc, u.version, u.hash, u.created, u.updated,
			u.received, ?, u.sort_name, u.name_keys, u.facets, u.len_name, u.len_meta, u.len_desc, u.langs
		FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[],
			?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[])
			WITH ORDINALITY AS u(id, slug, origin, local, doc, version, hash, created, updated,
			received, sort_name, name_keys, facets, len_name, len_meta, len_desc, langs, n)
		ORDER BY u.n
		ON CONFLICT DO NOTHING
		RETURNING id, pk`)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(w.ctx, w.seq, ids, slugs, origins, locals, docs, versions, hashes, created, updated,
		received, sortNames, nameKeys, facets, lenName, lenMeta, lenDesc, langs)
	if err != nil {
		return nil, fmt.Errorf("insert records: %w", err)
	}
	pks := make(map[string]int64, n)
	for rows.Next() {
		var id string
		var pk int64
		if err := rows.Scan(&id, &pk); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insert records: %w", err)
		}
		pks[id] = pk
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert records: %w", err)
	}
	var conflicts []string
	var (
		keyRec                   []int64
		keyKey                   []string
		relRec                   []int64
		relKey, relType          []string
		histRec, histVer, histAt []int64
		histActor                []string
	)
	for _, q := range recs {
		pk, ok := pks[q.r.ID]
		if !ok {
			conflicts = append(conflicts, q.r.ID)
			continue
		}
		w.lastPK = pk
		w.batch.addPostings(pk, q.enc)
		for _, k := range RecordKeys(q.r) {
			keyRec, keyKey = append(keyRec, pk), append(keyKey, k)
		}
		for _, rel := range q.r.Relations {
			for _, k := range TargetKeys(rel.Target) {
				relRec, relKey, relType = append(relRec, pk), append(relKey, k), append(relType, rel.Type)
			}
		}
		p := &q.r.Provenance
		histRec, histVer, histAt = append(histRec, pk), append(histVer, int64(p.Version)), append(histAt, millis(p.Created))
		histActor = append(histActor, q.actor)
	}
	if len(keyKey) > 0 {
		if err := w.exec(`INSERT INTO record_keys (key, record) SELECT * FROM unnest(?::text[], ?::bigint[])
			ON CONFLICT DO NOTHING`, keyKey, keyRec); err != nil {
			return nil, fmt.Errorf("link record: %w", err)
		}
	}
	if len(relKey) > 0 {
		if err := w.exec(`INSERT INTO relation_keys (key, record, type) SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[])
			ON CONFLICT DO NOTHING`, relKey, relRec, relType); err != nil {
			return nil, fmt.Errorf("link record: %w", err)
		}
	}
	if len(histRec) > 0 {
		if err := w.exec(`INSERT INTO record_history (record, version, action, actor, at)
			SELECT u.record, u.version, 'create', u.actor, u.at
			FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::bigint[]) WITH ORDINALITY AS u(record, version, actor, at, n)
			ORDER BY u.n`, histRec, histVer, histActor, histAt); err != nil {
			return nil, fmt.Errorf("record history: %w", err)
		}
	}
	return conflicts, nil
}

// pgPostings are the postings of a record's text: each token once per tier
// and column (0 the words as written, 1 their stems).
func pgPostings(d *derived) (tiers, cols []int16, toks []string) {
	type posting struct {
		tier, col int
		tok       string
	}
	seen := map[posting]bool{}
	for t := range tierTables {
		for c, text := range []string{d.text[t], d.alt[t]} {
			for _, tok := range ftsTokens(text) {
				k := posting{t, c, tok}
				if seen[k] {
					continue
				}
				seen[k] = true
				tiers, cols, toks = append(tiers, int16(t)), append(cols, int16(c)), append(toks, tok)
			}
		}
	}
	return tiers, cols, toks
}

// suspendPostingsIndexes is, on PostgreSQL, for an import into a directory
// with no indexed text yet (a first load, or a move into a new database):
// it drops the two indexes of search_postings inside the import's
// transaction, and restorePostingsIndexes builds them again before the
// commit. Building an index once over the loaded rows is several times
// cheaper than keeping it in order row by row (PostgreSQL's advice for
// populating a database: 1.5 million postings took 14 s to insert with
// both indexes, 2 s without them plus their build), and an import into an
// empty directory creates records only, so nothing in it needs the
// indexes before they are back. The drop holds the table's exclusive lock
// until the commit: a search on another connection waits for the import,
// which in an empty directory has nothing to find yet. It reports whether
// it dropped them; a rollback brings them back by itself.
func (w *recordWriter) suspendPostingsIndexes() (bool, error) {
	var any int
	err := w.tx.QueryRowContext(w.ctx, `SELECT count(*) FROM (SELECT 1 FROM search_postings LIMIT 1) AS p`).Scan(&any)
	if err != nil || any > 0 {
		return false, err
	}
	for _, q := range []string{
		`ALTER TABLE search_postings DROP CONSTRAINT search_postings_pkey`,
		`DROP INDEX search_postings_record`,
	} {
		if _, err := w.tx.ExecContext(w.ctx, q); err != nil {
			return false, fmt.Errorf("bulk load: %w", err)
		}
	}
	w.batch.unindexed = true
	return true, nil
}

// restorePostingsIndexes builds the indexes suspendPostingsIndexes
// dropped, as the migrations define them.
func (w *recordWriter) restorePostingsIndexes() error {
	if err := w.flushPostings(); err != nil {
		return err
	}
	w.batch.unindexed = false
	for _, q := range []string{
		`ALTER TABLE search_postings ADD CONSTRAINT search_postings_pkey PRIMARY KEY (tier, token, col, record)`,
		`CREATE INDEX search_postings_record ON search_postings (record)`,
	} {
		if _, err := w.tx.ExecContext(w.ctx, q); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
	}
	return nil
}
