package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/commons-directory/commons"
)

// copyTables are the tables CopyInto copies, parents before the tables that
// refer to them. The full text is not copied: the target indexes it again.
var copyTables = []string{
	"meta", "records", "record_history", "users", "tokens", "actor_keys", "remote_actors", "followers",
	"inbox", "activities", "deliveries", "inbox_health", "posts", "domain_blocks", "peers", "record_keys",
	"sessions", "login_failures", "record_documents", "signature_schemes", "copy_social", "relation_keys",
	"harvests", "search_terms",
}

// copyBatch is how many rows CopyInto writes in one transaction.
const copyBatch = 1000

// CopyCount is how many rows of a table CopyInto copied.
type CopyCount struct {
	Table string
	Rows  int64
}

// CopyInto copies everything db holds (records and their history, users,
// tokens, keys, queues, peers…) into target, which may be of the other
// dialect: how an instance moves from SQLite to PostgreSQL, or back. The
// source is read in one transaction, so a running instance can be copied;
// the target is written one transaction per batch of rows, and must be
// empty (freshly migrated) and at the same schema version. The counts of
// the two are compared at the end, and the target's full text is indexed
// again.
func (db *DB) CopyInto(ctx context.Context, target *DB) ([]CopyCount, error) {
	sv, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	tv, err := target.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if sv != tv {
		return nil, commons.Errorf(commons.EINVALID, "copy: the source is at schema version %d and the target at %d; upgrade the older one first", sv, tv)
	}
	for _, t := range copyTables[1:] {
		var n int64
		if err := target.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("copy: count %s in the target: %w", t, err)
		}
		if n > 0 {
			return nil, commons.Errorf(commons.ECONFLICT, "copy: the target is not empty (%s has %d rows); copy only into a new database", t, n)
		}
	}
	src, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("copy: begin: %w", err)
	}
	defer src.Rollback()
	if db.d.postgres() {
		// One snapshot for every table.
		if _, err := src.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`); err != nil {
			return nil, fmt.Errorf("copy: %w", err)
		}
	}
	var out []CopyCount
	for _, t := range copyTables {
		n, err := copyTable(ctx, src, target, t)
		if err != nil {
			return out, fmt.Errorf("copy %s: %w", t, err)
		}
		out = append(out, CopyCount{Table: t, Rows: n})
	}
	for _, c := range out {
		var s, d int64
		if err := src.QueryRowContext(ctx, `SELECT count(*) FROM `+c.Table).Scan(&s); err != nil {
			return out, fmt.Errorf("copy: count %s: %w", c.Table, err)
		}
		if err := target.w.QueryRowContext(ctx, `SELECT count(*) FROM `+c.Table).Scan(&d); err != nil {
			return out, fmt.Errorf("copy: count %s in the target: %w", c.Table, err)
		}
		if s != d || s != c.Rows {
			return out, fmt.Errorf("copy: %s has %d rows in the source and %d in the target", c.Table, s, d)
		}
	}
	if err := target.d.afterCopy(ctx, target.w); err != nil {
		return out, err
	}
	if _, err := target.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('reindex_text', 1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`); err != nil {
		return out, fmt.Errorf("copy: %w", err)
	}
	if _, err := target.reindexText(ctx); err != nil {
		return out, err
	}
	if _, err := target.linkExisting(ctx); err != nil {
		return out, err
	}
	target.syncNow(ctx)
	return out, nil
}

// copyTable copies one table's rows, in batches, and returns how many.
func copyTable(ctx context.Context, src *sql.Tx, target *DB, table string) (int64, error) {
	cols, err := tableColumns(ctx, src, table)
	if err != nil {
		return 0, err
	}
	tcols, err := tableColumns(ctx, target.r, table)
	if err != nil {
		return 0, err
	}
	var shared []string
	for _, c := range cols {
		for _, tc := range tcols {
			if c == tc {
				shared = append(shared, c)
			}
		}
	}
	list := strings.Join(shared, ", ")
	order := "1"
	if table == "posts" {
		order = "rowid" // the order of insertion breaks ties of publication
	}
	rows, err := src.QueryContext(ctx, `SELECT `+list+` FROM `+table+` ORDER BY `+order)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	insert := `INSERT INTO ` + table + ` (` + list + `) VALUES (?` + strings.Repeat(", ?", len(shared)-1) + `)`
	if table == "meta" {
		insert += ` ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	}
	bytea := target.d.byteaColumns[table]
	var n int64
	var batch [][]any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		tx, err := target.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		st, err := tx.PrepareContext(ctx, insert)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, vals := range batch {
			if _, err := st.ExecContext(ctx, vals...); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return tx.Commit()
	}
	for rows.Next() {
		vals := make([]any, len(shared))
		ptrs := make([]any, len(shared))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range shared {
			switch v := vals[i].(type) {
			case string:
				if bytea[c] {
					vals[i] = []byte(v)
				}
			case []byte:
				if !bytea[c] {
					vals[i] = string(v)
				}
			}
		}
		batch = append(batch, vals)
		n++
		if len(batch) == copyBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// tableColumns returns the names of a table's columns.
func tableColumns(ctx context.Context, q queryer, table string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+table+` LIMIT 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}
