package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store/analysis"
)

// recordWriter writes records inside one write transaction, preparing each
// statement once: an import of thousands of records reuses them.
type recordWriter struct {
	ctx   context.Context
	d     *dialect
	tx    *sql.Tx
	seq   int64
	base  string // this instance: records from elsewhere are remote
	stmts map[string]*sql.Stmt
	// lastPK is the row of the record insert wrote last.
	lastPK int64
	// vocab is the vocabulary this process knows to be stored (nil before
	// the first search), terms the words this transaction stored: neither
	// is written again.
	vocab *analysis.Vocabulary
	terms map[string]bool
	// pending are the new words not yet written to search_terms: a bulk
	// writer writes them all at flushTerms, the others with each record.
	pending []string
	bulk    bool
	// batch, on PostgreSQL, queues an import's new records (see pgBatch).
	batch *pgBatch
}

// termBatch is the number of words one INSERT into search_terms writes.
// A statement of several rows opens a statement journal, which makes FTS5
// write out its pending terms: so a bulk writer writes the vocabulary
// after all the text, and a writer of a few records one row at a time.
const termBatch = 64

func (db *DB) newRecordWriter(ctx context.Context, tx *sql.Tx, seq int64) *recordWriter {
	return &recordWriter{ctx: ctx, d: db.d, tx: tx, seq: seq, base: db.base, stmts: map[string]*sql.Stmt{},
		vocab: db.vocab.Load(), terms: map[string]bool{}}
}

func (w *recordWriter) close() {
	for _, s := range w.stmts {
		s.Close()
	}
}

func (w *recordWriter) stmt(query string) (*sql.Stmt, error) {
	if s, ok := w.stmts[query]; ok {
		return s, nil
	}
	s, err := w.tx.PrepareContext(w.ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	w.stmts[query] = s
	return s, nil
}

func (w *recordWriter) exec(query string, args ...any) error {
	s, err := w.stmt(query)
	if err != nil {
		return err
	}
	if _, err := s.ExecContext(w.ctx, args...); err != nil {
		if isUnique(err) {
			return commons.Errorf(commons.ECONFLICT, "the record conflicts with a stored one")
		}
		return err
	}
	return nil
}

// storedRecord is the stored state of a local record that a write needs.
type storedRecord struct {
	pk      int64
	doc     string
	version int
	hash    string
	deleted bool
}

// current returns the local record with the slug, live or deleted, or nil.
func (w *recordWriter) current(slug string) (*storedRecord, error) {
	s, err := w.stmt(`SELECT pk, doc, version, hash, deleted_at IS NOT NULL FROM records WHERE local = 1 AND slug = ?`)
	if err != nil {
		return nil, err
	}
	var c storedRecord
	err = s.QueryRowContext(w.ctx, slug).Scan(&c.pk, &c.doc, &c.version, &c.hash, &c.deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read record %s: %w", slug, err)
	}
	return &c, nil
}

// currentMany returns the local records with the slugs, live or deleted, by
// slug; absent slugs are absent from the map.
func (w *recordWriter) currentMany(slugs []string) (map[string]*storedRecord, error) {
	out := make(map[string]*storedRecord, len(slugs))
	if len(slugs) == 0 {
		return out, nil
	}
	args := make([]any, len(slugs))
	for i, s := range slugs {
		args[i] = s
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT slug, pk, doc, version, hash, deleted_at IS NOT NULL FROM records
		WHERE local = 1 AND slug IN (?`+strings.Repeat(",?", len(slugs)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var slug string
		var c storedRecord
		if err := rows.Scan(&slug, &c.pk, &c.doc, &c.version, &c.hash, &c.deleted); err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		out[slug] = &c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	return out, nil
}

// currentLive returns the live local record with the slug: ENOTFOUND, EGONE,
// or EPRECONDITION when ifVersion is positive and not the stored version.
func (w *recordWriter) currentLive(slug string, ifVersion int) (*storedRecord, error) {
	c, err := w.current(slug)
	switch {
	case err != nil:
		return nil, err
	case c == nil:
		return nil, commons.Errorf(commons.ENOTFOUND, "no record %s", slug)
	case c.deleted:
		return nil, commons.Errorf(commons.EGONE, "record %s was deleted", slug)
	case ifVersion > 0 && ifVersion != c.version:
		return nil, commons.Errorf(commons.EPRECONDITION, "record %s is at version %d, not %d", slug, c.version, ifVersion)
	}
	return c, nil
}

// encoded is a record ready to store: its JSON and its derived fields.
type encoded struct {
	doc []byte
	d   derived
	// The rows of search_text of d on PostgreSQL, when an import computed
	// them beforehand (pgTextRows); nil otherwise.
	tiers []int16
	docs  []string
}

// encode prepares a record, provenance set, for storing.
func encode(r *commons.Record) (*encoded, error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return &encoded{doc: doc, d: derive(r)}, nil
}

// insert stores a new record, its full text and a "create" revision. The
// record is local if its origin is this instance. enc is encode(r).
func (w *recordWriter) insert(r *commons.Record, enc *encoded, actor string) error {
	doc, d := enc.doc, &enc.d
	p := &r.Provenance
	// No RETURNING: it would open a statement journal, and a statement
	// journal makes FTS5 flush its pending terms at every statement, which
	// makes an import of 10,000 records several times slower.
	// PostgreSQL has no last insert id: it returns the key.
	q := `INSERT INTO records (id, slug, origin, local, doc, version, hash, created, updated,
		received_at, seq, sort_name, name_keys, facets, len_name, len_meta, len_desc, text_langs)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if w.d.postgres() {
		q += ` RETURNING pk`
	}
	s, err := w.stmt(q)
	if err != nil {
		return err
	}
	var received *int64
	if !p.ReceivedAt.IsZero() {
		ms := millis(p.ReceivedAt)
		received = &ms
	}
	args := []any{r.ID, r.Slug, p.Origin, p.Origin == w.base, string(doc), p.Version, p.Hash,
		millis(p.Created), millis(p.Updated), received, w.seq, d.sortName, d.nameKeys, d.facets,
		d.lens[tierName], d.lens[tierMeta], d.lens[tierDesc], d.langs}
	var pk int64
	if w.d.postgres() {
		err = s.QueryRowContext(w.ctx, args...).Scan(&pk)
	} else {
		var res sql.Result
		if res, err = s.ExecContext(w.ctx, args...); err == nil {
			pk, err = res.LastInsertId()
		}
	}
	if isUnique(err) {
		return commons.Errorf(commons.ECONFLICT, "a record with the id %s exists", r.ID)
	} else if err != nil {
		return fmt.Errorf("insert record: %w", err)
	}
	w.lastPK = pk
	if err := w.insertText(pk, d); err != nil {
		return err
	}
	if err := w.addKeys(pk, r); err != nil {
		return err
	}
	return w.history(pk, p.Version, "create", actor, p.Created, nil)
}

// update replaces the content of cur with r, whose provenance is set. enc
// is encode(r).
func (w *recordWriter) update(cur *storedRecord, r *commons.Record, enc *encoded, actor string) error {
	doc, d := enc.doc, &enc.d
	p := &r.Provenance
	if err := w.exec(`UPDATE records SET doc = ?, version = ?, hash = ?, updated = ?, seq = ?,
		sort_name = ?, name_keys = ?, facets = ?, len_name = ?, len_meta = ?, len_desc = ?, text_langs = ? WHERE pk = ?`,
		string(doc), p.Version, p.Hash, millis(p.Updated), w.seq, d.sortName, d.nameKeys, d.facets,
		d.lens[tierName], d.lens[tierMeta], d.lens[tierDesc], d.langs, cur.pk); err != nil {
		return fmt.Errorf("update record: %w", err)
	}
	if err := w.deleteText(cur.pk); err != nil {
		return err
	}
	if err := w.insertText(cur.pk, d); err != nil {
		return err
	}
	if err := w.forgetDocument(cur.pk); err != nil {
		return err
	}
	if err := w.setKeys(cur.pk, r); err != nil {
		return err
	}
	return w.history(cur.pk, p.Version, "update", actor, p.Updated, &cur.doc)
}

// forgetDocument drops the signed document of a record that changes: it no
// longer says what the record holds. (A remote copy gets the new one from
// ApplyRemote; a local record from its publication.)
func (w *recordWriter) forgetDocument(pk int64) error {
	if err := w.exec(`DELETE FROM record_documents WHERE record = ?`, pk); err != nil {
		return fmt.Errorf("forget the signed document: %w", err)
	}
	return nil
}

// delete turns cur into a tombstone.
func (w *recordWriter) delete(cur *storedRecord, at time.Time, actor string) error {
	if err := w.exec(`UPDATE records SET deleted_at = ?, seq = ? WHERE pk = ?`, millis(at), w.seq, cur.pk); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	if err := w.deleteText(cur.pk); err != nil {
		return err
	}
	if err := w.exec(`DELETE FROM relation_keys WHERE record = ?`, cur.pk); err != nil {
		return fmt.Errorf("unlink record: %w", err)
	}
	if err := w.exec(`DELETE FROM record_keys WHERE record = ?`, cur.pk); err != nil {
		return fmt.Errorf("unlink record: %w", err)
	}
	if err := w.forgetDocument(cur.pk); err != nil {
		return err
	}
	return w.history(cur.pk, cur.version, "delete", actor, at, &cur.doc)
}

// insertText indexes the record's text in the full-text tiers, and adds
// its words to the vocabulary (search_terms) if they are new.
func (w *recordWriter) insertText(pk int64, d *derived) error {
	if w.d.postgres() {
		return w.insertTextPG(pk, d)
	}
	for t, table := range tierTables {
		if d.text[t] == "" && d.alt[t] == "" {
			continue
		}
		if err := w.exec(`INSERT INTO `+table+` (rowid, word, alt) VALUES (?, ?, ?)`, pk, d.text[t], d.alt[t]); err != nil {
			return fmt.Errorf("index record text: %w", err)
		}
	}
	if w.vocab != nil {
		w.pending = w.vocab.AppendUnknown(w.pending, d.words, w.terms)
	} else {
		for _, word := range d.words {
			if !w.terms[word] {
				w.terms[word] = true
				w.pending = append(w.pending, word)
			}
		}
	}
	if w.bulk {
		return nil
	}
	for _, word := range w.pending {
		if err := w.exec(`INSERT INTO search_terms (term, seq) VALUES (?, ?) ON CONFLICT DO NOTHING`, word, w.seq); err != nil {
			return fmt.Errorf("index record words: %w", err)
		}
	}
	w.pending = w.pending[:0]
	return nil
}

// flushTerms writes the pending words of the vocabulary. A bulk writer
// calls it before its transaction commits.
func (w *recordWriter) flushTerms() error {
	for len(w.pending) > 0 {
		n := min(len(w.pending), termBatch)
		if err := w.writeTerms(w.pending[:n]); err != nil {
			return err
		}
		w.pending = w.pending[n:]
	}
	return nil
}

func (w *recordWriter) writeTerms(words []string) error {
	args := make([]any, 0, 2*len(words))
	for _, word := range words {
		args = append(args, word, w.seq)
	}
	if err := w.exec(`INSERT INTO search_terms (term, seq) VALUES (?, ?)`+strings.Repeat(", (?, ?)", len(words)-1)+
		` ON CONFLICT DO NOTHING`, args...); err != nil {
		return fmt.Errorf("index record words: %w", err)
	}
	return nil
}

func (w *recordWriter) deleteText(pk int64) error {
	if w.d.postgres() {
		if err := w.exec(`DELETE FROM search_text WHERE record = ?`, pk); err != nil {
			return fmt.Errorf("unindex record text: %w", err)
		}
		return nil
	}
	for _, table := range tierTables {
		if err := w.exec(`DELETE FROM `+table+` WHERE rowid = ?`, pk); err != nil {
			return fmt.Errorf("unindex record text: %w", err)
		}
	}
	return nil
}

func (w *recordWriter) history(pk int64, version int, action, actor string, at time.Time, previous *string) error {
	if err := w.exec(`INSERT INTO record_history (record, version, action, actor, at, previous) VALUES (?, ?, ?, ?, ?, ?)`,
		pk, version, action, actor, millis(at), previous); err != nil {
		return fmt.Errorf("record history: %w", err)
	}
	return nil
}
