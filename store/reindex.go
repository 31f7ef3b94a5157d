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
		for _, r := range all {
			rec, err := decodeRecord(r.doc)
			if err != nil {
				return fmt.Errorf("record %d: %w", r.pk, err)
			}
			d := derive(rec)
			if err := w.exec(`UPDATE records SET name_keys = ?, len_name = ?, len_meta = ?, len_desc = ?, text_langs = ?, seq = ? WHERE pk = ?`,
				d.nameKeys, d.lens[tierName], d.lens[tierMeta], d.lens[tierDesc], d.langs, seq, r.pk); err != nil {
				return fmt.Errorf("record %d: %w", r.pk, err)
			}
			if err := w.insertText(r.pk, &d); err != nil {
				return fmt.Errorf("record %d: %w", r.pk, err)
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
