package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/commons-directory/commons"
)

// RecordKeys returns the keys under which a record is linked to other
// listings of the same commons: its Wikidata item, its source repository
// (from links.repository and a publiccode identifier, which names the
// repository), its DOI and SWHID. Keys are normalised so that two
// spellings of the same thing meet: "wikidata:Q936",
// "repo:github.com/openstreetmap/openstreetmap-website".
func RecordKeys(r *commons.Record) []string {
	var keys []string
	add := func(k string) {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	add(repoKey(r.Links.Repository))
	for _, id := range r.Identifiers {
		v := strings.TrimSpace(id.Value)
		switch id.Scheme {
		case "wikidata":
			v = strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(v, "https://www.wikidata.org/wiki/"), "http://www.wikidata.org/entity/"))
			if len(v) > 1 && v[0] == 'Q' {
				add("wikidata:" + v)
			}
		case "publiccode":
			add(repoKey(v))
		case "doi":
			add("doi:" + strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(v, "https://doi.org/"), "doi:")))
		case "swhid":
			add("swhid:" + strings.ToLower(v))
		}
	}
	return keys
}

// repoKey normalises a repository URL: no scheme, no "www.", no ".git",
// no trailing slash, lower case (forges treat paths case-insensitively).
func repoKey(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	path := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(u.Path), "/"), ".git")
	path = strings.TrimSuffix(strings.TrimSuffix(path, "/publiccode.yml"), "/publiccode.yaml")
	if path == "" {
		return "" // a whole forge is not a repository
	}
	return "repo:" + host + path
}

// TargetKeys returns the keys under which a relation's target may name a
// record: "id:" and the target itself for a URL (a record's IRI), the
// record_keys key of a Wikidata item, repository or publiccode.yml URL,
// or DOI.
func TargetKeys(target string) []string {
	t := strings.TrimSpace(target)
	var keys []string
	switch {
	case strings.HasPrefix(t, "https://") || strings.HasPrefix(t, "http://"):
		keys = append(keys, "id:"+t)
		if q, ok := strings.CutPrefix(t, "https://www.wikidata.org/wiki/"); ok {
			keys = append(keys, "wikidata:"+strings.ToUpper(q))
		} else if d, ok := strings.CutPrefix(t, "https://doi.org/"); ok {
			keys = append(keys, "doi:"+strings.ToLower(d))
		} else if k := repoKey(t); k != "" {
			keys = append(keys, k)
		}
	case len(t) > 1 && (t[0] == 'Q' || t[0] == 'q'):
		keys = append(keys, "wikidata:"+strings.ToUpper(t))
	case strings.HasPrefix(strings.ToLower(t), "doi:") || strings.HasPrefix(t, "10."):
		keys = append(keys, "doi:"+strings.ToLower(strings.TrimPrefix(strings.ToLower(t), "doi:")))
	case strings.HasPrefix(strings.ToLower(t), "swh:"):
		keys = append(keys, "swhid:"+strings.ToLower(t))
	}
	return keys
}

// setKeys replaces the keys of the record pk.
func (w *recordWriter) setKeys(pk int64, r *commons.Record) error {
	if err := w.exec(`DELETE FROM record_keys WHERE record = ?`, pk); err != nil {
		return fmt.Errorf("link record: %w", err)
	}
	if err := w.exec(`DELETE FROM relation_keys WHERE record = ?`, pk); err != nil {
		return fmt.Errorf("link record: %w", err)
	}
	return w.addKeys(pk, r)
}

// addKeys adds the keys of the record pk, which has none yet (a new row),
// and those of its relations' targets.
func (w *recordWriter) addKeys(pk int64, r *commons.Record) error {
	for _, k := range RecordKeys(r) {
		if err := w.exec(`INSERT INTO record_keys (key, record) VALUES (?, ?) ON CONFLICT DO NOTHING`, k, pk); err != nil {
			return fmt.Errorf("link record: %w", err)
		}
	}
	for _, rel := range r.Relations {
		for _, k := range TargetKeys(rel.Target) {
			if err := w.exec(`INSERT INTO relation_keys (key, record, type) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, k, pk, rel.Type); err != nil {
				return fmt.Errorf("link record: %w", err)
			}
		}
	}
	return nil
}

// keysMigration is the migration that made record_keys: a database that
// held records before it gets their keys computed once, when it applies.
// The same holds for the migration that made relation_keys, found by its
// name.
const (
	keysMigration         = 3
	relationKeysMigration = "_copies.sql"
)

// linkExisting computes the keys of every live record, in one
// transaction. Open runs it when it has just applied keysMigration to a
// database with records, so that their "also listed by" links exist
// without waiting for each record's next change.
func (db *DB) linkExisting(ctx context.Context) (int, error) {
	n := 0
	err := db.write(ctx, func(tx *sql.Tx, seq int64) error {
		all, err := liveDocs(ctx, tx)
		if err != nil {
			return err
		}
		w := db.newRecordWriter(ctx, tx, seq)
		defer w.close()
		for _, r := range all {
			rec, err := decodeRecord(r.doc)
			if err != nil {
				return fmt.Errorf("record %d: %w", r.pk, err)
			}
			if err := w.setKeys(r.pk, rec); err != nil {
				return err
			}
		}
		n = len(all)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("link existing records: %w", err)
	}
	return n, nil
}

// appliedNamed reports whether the migration whose file name ends with
// suffix is among those just applied.
func appliedNamed(d *dialect, applied []int, suffix string) bool {
	ms, err := migrations(d.migrations)
	if err != nil {
		return false
	}
	for _, m := range ms {
		if strings.HasSuffix(m.name, suffix) && slices.Contains(applied, m.version) {
			return true
		}
	}
	return false
}

// pkDoc is a record's primary key and stored document.
type pkDoc struct {
	pk  int64
	doc string
}

// liveDocs reads every record that is not deleted, in primary key order,
// for the upgrades that fill a derived column or table from the documents.
func liveDocs(ctx context.Context, tx *sql.Tx) ([]pkDoc, error) {
	rows, err := tx.QueryContext(ctx, `SELECT pk, doc FROM records WHERE deleted_at IS NULL ORDER BY pk`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []pkDoc
	for rows.Next() {
		var r pkDoc
		if err := rows.Scan(&r.pk, &r.doc); err != nil {
			return nil, err
		}
		all = append(all, r)
	}
	return all, rows.Err()
}
