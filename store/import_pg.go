package store

import (
	"fmt"

	"github.com/commons-directory/commons"
)

// pgBatch gathers, on PostgreSQL, the records an import creates and the
// rows they add beside them (text, words, keys, history), and writes
// them a batch at a time: one statement per table, the rows as arrays.
// Written one at a time, each record cost about eight round trips to the
// server; a batch of importChunk records costs five, and the rows of
// search_text go in batches of their own, textBatch.
type pgBatch struct {
	recs []pgNewRecord
	// words are the new words of the vocabulary, not yet written.
	words []string
	// The rows of search_text of the records inserted, not yet written.
	textRec  []int64
	textTier []int16
	textDoc  []string
	// textBytes is the size of textDoc.
	textBytes int
}

// textBatch is the size in bytes of the rows of search_text from which a
// batching writer writes those it holds.
const textBatch = 4 << 20

func (b *pgBatch) addText(pk int64, enc *encoded) {
	tiers, docs := enc.tiers, enc.docs
	if docs == nil {
		tiers, docs = pgTextRows(&enc.d)
	}
	for _, d := range docs {
		b.textRec = append(b.textRec, pk)
		b.textBytes += len(d)
	}
	b.textTier, b.textDoc = append(b.textTier, tiers...), append(b.textDoc, docs...)
}

// flushText writes the rows of search_text the batch holds.
func (w *recordWriter) flushText() error {
	b := w.batch
	if len(b.textDoc) == 0 {
		return nil
	}
	if err := w.exec(`INSERT INTO search_text (record, tier, doc)
		SELECT u.r, u.t, u.d::tsvector FROM unnest(?::bigint[], ?::smallint[], ?::text[]) AS u(r, t, d)`,
		b.textRec, b.textTier, b.textDoc); err != nil {
		return fmt.Errorf("index record text: %w", err)
	}
	b.textRec, b.textTier, b.textDoc, b.textBytes = b.textRec[:0], b.textTier[:0], b.textDoc[:0], 0
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
	w.queueWords(enc.d.words)
}

// queueWords queues the words new to the vocabulary, for flushBatch.
func (w *recordWriter) queueWords(words []string) {
	for _, word := range words {
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
// the rows of search_text until they are textBatch bytes.
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
	if final || b.textBytes >= textBatch {
		if err := w.flushText(); err != nil {
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
		w.batch.addText(pk, q.enc)
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

// suspendTextIndexes is, on PostgreSQL, for an import into a directory
// with no indexed text yet (a first load, or a move into a new database):
// it drops the indexes of search_text inside the import's transaction,
// and restoreTextIndexes builds them again before the commit. Building
// an index once over the loaded rows is several times cheaper than
// keeping it in order row by row (PostgreSQL's advice for populating a
// database), and an import into an empty directory creates records only,
// so nothing in it needs the indexes before they are back. The drop holds
// the table's exclusive lock until the commit: a search on another
// connection waits for the import, which in an empty directory has
// nothing to find yet. It reports whether it dropped them; a rollback
// brings them back by itself.
func (w *recordWriter) suspendTextIndexes() (bool, error) {
	var any int
	err := w.tx.QueryRowContext(w.ctx, `SELECT count(*) FROM (SELECT 1 FROM search_text LIMIT 1) AS p`).Scan(&any)
	if err != nil || any > 0 {
		return false, err
	}
	for _, q := range []string{`ALTER TABLE search_text DROP CONSTRAINT search_text_pkey`, `DROP INDEX search_text_doc`} {
		if _, err := w.tx.ExecContext(w.ctx, q); err != nil {
			return false, fmt.Errorf("bulk load: %w", err)
		}
	}
	return true, nil
}

// restoreTextIndexes builds the indexes suspendTextIndexes dropped, as
// the migrations define them, once the batch's last rows are written.
func (w *recordWriter) restoreTextIndexes() error {
	for _, q := range []string{
		`ALTER TABLE search_text ADD CONSTRAINT search_text_pkey PRIMARY KEY (record, tier)`,
		`CREATE INDEX search_text_doc ON search_text USING gin (doc)`,
	} {
		if _, err := w.tx.ExecContext(w.ctx, q); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
	}
	return nil
}

// The pending list of a text index: a GIN index takes new rows into a
// list that every search reads through until the list is merged into the
// index. At PostgreSQL's default limit of 4 MB that costs each search
// several milliseconds, so every connection of the store sets the limit
// to textPendingKB (pgSession); a bulk import into a directory with text
// raises it to bulkPendingKB for its transaction, so that the indexes
// take the new rows a few megabytes at a time, and merges the rest into
// them before its commit (narrowTextPending). Neither takes a lock that a
// search waits for.
const (
	textPendingKB = 128
	bulkPendingKB = 4096
)

// widenTextPending lets the text indexes' pending lists grow for the rest
// of the import's transaction.
func (w *recordWriter) widenTextPending() error {
	if _, err := w.tx.ExecContext(w.ctx, fmt.Sprintf(`SET LOCAL gin_pending_list_limit = %d`, bulkPendingKB)); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	return nil
}

// narrowTextPending merges the pending lists into the indexes, once the
// batch's last rows are written, where the store's role may (it must own
// them, as it does when it migrated the database itself; else autovacuum
// merges them soon after).
func (w *recordWriter) narrowTextPending() error {
	if _, err := w.tx.ExecContext(w.ctx, `SELECT gin_clean_pending_list(i.inhrelid) FROM pg_inherits AS i
		JOIN pg_class AS c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'search_text_doc'::regclass AND pg_has_role(c.relowner, 'USAGE')`); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	_, err := w.tx.ExecContext(w.ctx, fmt.Sprintf(`SET LOCAL gin_pending_list_limit = %d`, textPendingKB))
	return err
}
