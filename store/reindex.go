package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// reindexText fills the full-text tables and the vocabulary again from the
// stored records, when a migration asked for it (meta 'reindex_text'): the
// text analysis runs in Go, so a migration that changes what is indexed
// can only empty the tables. It runs in one write transaction and reports
// how many records it indexed.
func (db *DB) reindexText(ctx context.Context) (int, error) {
	var flag int
	err := db.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'reindex_text'`).Scan(&flag)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("index the text of existing records: %w", err)
	}
	n := 0
	err = db.write(ctx, func(tx *sql.Tx, seq int64) error {
		all, err := liveDocs(ctx, tx)
		if err != nil {
			return err
		}
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		w.bulk = true
		var pg *pgReindex
		suspended := false
		if db.d.postgres() {
			w.batch, pg = &pgBatch{}, &pgReindex{}
			// The migration that asked for this emptied the table:
			// its indexes are built once, after the rows.
			if suspended, err = w.suspendTextIndexes(); err != nil {
				return err
			}
		}
		for _, r := range all {
			rec, err := decodeRecord(r.doc)
			if err != nil {
				return fmt.Errorf("record %d: %w", r.pk, err)
			}
			d := derive(rec)
			if pg != nil {
				if err := pg.add(w, r.pk, &d); err != nil {
					return err
				}
				continue
			}
			if err := w.exec(`UPDATE records SET name_keys = ?, len_name = ?, len_meta = ?, len_desc = ?, text_langs = ?, seq = ? WHERE pk = ?`,
				d.nameKeys, d.lens[tierName], d.lens[tierMeta], d.lens[tierDesc], d.langs, seq, r.pk); err != nil {
				return fmt.Errorf("record %d: %w", r.pk, err)
			}
			if err := w.insertText(r.pk, &d); err != nil {
				return fmt.Errorf("record %d: %w", r.pk, err)
			}
		}
		if pg != nil {
			if err := pg.flush(w, true); err != nil {
				return err
			}
		}
		if suspended {
			if err := w.restoreTextIndexes(); err != nil {
				return err
			}
		}
		if err := w.flushTerms(); err != nil {
			return err
		}
		n = len(all)
		_, err = tx.ExecContext(ctx, `DELETE FROM meta WHERE key = 'reindex_text'`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("index the text of existing records: %w", err)
	}
	return n, nil
}

// pgReindex is reindexText on PostgreSQL: the records' derived columns
// updated reindexChunk at a time, their text and words written as an
// import's (pgBatch), so that an upgrade that asks for a new index of a
// large directory costs a few statements per thousand records, not two
// per record.
type pgReindex struct {
	pk, lenName, lenMeta, lenDesc []int64
	nameKeys, langs               []string
}

const reindexChunk = 1000

func (p *pgReindex) add(w *recordWriter, pk int64, d *derived) error {
	p.pk, p.nameKeys, p.langs = append(p.pk, pk), append(p.nameKeys, d.nameKeys), append(p.langs, d.langs)
	p.lenName, p.lenMeta, p.lenDesc = append(p.lenName, int64(d.lens[tierName])), append(p.lenMeta, int64(d.lens[tierMeta])), append(p.lenDesc, int64(d.lens[tierDesc]))
	w.batch.addText(pk, &encoded{d: *d})
	w.queueWords(d.words)
	if len(p.pk) < reindexChunk {
		return nil
	}
	return p.flush(w, false)
}

func (p *pgReindex) flush(w *recordWriter, final bool) error {
	if len(p.pk) > 0 {
		if err := w.exec(`UPDATE records AS r SET name_keys = u.name_keys, len_name = u.len_name, len_meta = u.len_meta,
				len_desc = u.len_desc, text_langs = u.langs, seq = ?
			FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[])
				AS u(pk, name_keys, len_name, len_meta, len_desc, langs)
			WHERE r.pk = u.pk`, w.seq, p.pk, p.nameKeys, p.lenName, p.lenMeta, p.lenDesc, p.langs); err != nil {
			return fmt.Errorf("index the text of existing records: %w", err)
		}
		p.pk, p.nameKeys, p.langs = p.pk[:0], p.nameKeys[:0], p.langs[:0]
		p.lenName, p.lenMeta, p.lenDesc = p.lenName[:0], p.lenMeta[:0], p.lenDesc[:0]
	}
	_, err := w.flushBatch(final)
	return err
}
