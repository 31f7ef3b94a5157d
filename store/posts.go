package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/commons-directory/commons"
)

// Post is a note one of our actors published: "change" for the account of a
// record's change, "editor" for a note an editor wrote. Content is HTML.
// A deleted post (Deleted set) stays as a tombstone.
type Post struct {
	ID, Actor                   string
	RecordPK                    int64 // the record it is about; 0 for none
	Kind, Lang, Content         string
	Tags                        []PostTag
	Published, Updated, Deleted time.Time
}

// PostTag is a hashtag of a post and the page it links to.
type PostTag struct {
	Name string `json:"name"`
	Href string `json:"href"`
}

const postColumns = `id, actor, coalesce(record, 0), kind, lang, content, tags, published, updated, deleted_at`

const upsertPost = `INSERT INTO posts (id, actor, record, kind, lang, content, tags, published, updated, deleted_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET actor = excluded.actor, record = excluded.record, kind = excluded.kind,
		lang = excluded.lang, content = excluded.content, tags = excluded.tags, published = excluded.published,
		updated = excluded.updated, deleted_at = excluded.deleted_at`

// PutPost stores a post, replacing the stored one with the same id.
func (db *DB) PutPost(ctx context.Context, p Post) error {
	err := db.tx(ctx, func(tx *sql.Tx) error { return db.putPost(ctx, tx, p) })
	if err != nil {
		return fmt.Errorf("store post %s: %w", p.ID, err)
	}
	return nil
}

func (db *DB) putPost(ctx context.Context, tx *sql.Tx, p Post) error {
	switch {
	case p.ID == "" || p.Actor == "":
		return commons.Errorf(commons.EINVALID, "a post needs an id and an actor")
	case p.Kind != "change" && p.Kind != "editor":
		return commons.Errorf(commons.EINVALID, "a post's kind is change or editor, not %q", p.Kind)
	case p.Published.IsZero():
		return commons.Errorf(commons.EINVALID, "a post needs a publication time")
	}
	tags := p.Tags
	if tags == nil {
		tags = []PostTag{}
	}
	tagJSON, err := json.Marshal(tags)
	if err != nil {
		return err
	}
	var record any
	if p.RecordPK != 0 {
		record = p.RecordPK
	}
	s, err := db.stmt(ctx, tx, upsertPost)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(ctx, p.ID, p.Actor, record, p.Kind, p.Lang, p.Content, string(tagJSON),
		millis(p.Published), nullMillis(p.Updated), nullMillis(p.Deleted))
	if isForeignKey(err) {
		return commons.Errorf(commons.EINVALID, "post %s is about record %d, which does not exist", p.ID, p.RecordPK)
	}
	return err
}

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	if isForeignKeyPG(err) {
		return true
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

type scanner interface{ Scan(dest ...any) error }

func scanPost(row scanner) (*Post, error) {
	var p Post
	var tags string
	var published int64
	var updated, deleted sql.NullInt64
	if err := row.Scan(&p.ID, &p.Actor, &p.RecordPK, &p.Kind, &p.Lang, &p.Content, &tags, &published, &updated, &deleted); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &p.Tags); err != nil {
		return nil, fmt.Errorf("decode tags of post %s: %w", p.ID, err)
	}
	p.Published, p.Updated, p.Deleted = fromMillis(published), fromNullMillis(updated), fromNullMillis(deleted)
	return &p, nil
}

// Post returns a post: ENOTFOUND if there is none, EGONE if it was deleted.
func (db *DB) Post(ctx context.Context, id string) (*Post, error) {
	p, err := scanPost(db.r.QueryRowContext(ctx, `SELECT `+postColumns+` FROM posts WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, commons.Errorf(commons.ENOTFOUND, "no post %s", id)
	case err != nil:
		return nil, fmt.Errorf("read post %s: %w", id, ctxErr(ctx, err))
	case !p.Deleted.IsZero():
		return nil, commons.Errorf(commons.EGONE, "post %s was deleted", id)
	}
	return p, nil
}

// Posts returns up to limit live posts of actor published before before
// (any time if zero), newest first (of one millisecond, the last stored
// first).
func (db *DB) Posts(ctx context.Context, actor string, before time.Time, limit int) ([]Post, error) {
	until := int64(math.MaxInt64)
	if !before.IsZero() {
		until = millis(before)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+postColumns+` FROM posts
		WHERE actor = ? AND published < ? AND deleted_at IS NULL ORDER BY published DESC, rowid DESC LIMIT ?`,
		actor, until, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("list posts of %s: %w", actor, ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, fmt.Errorf("list posts of %s: %w", actor, err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list posts of %s: %w", actor, ctxErr(ctx, err))
	}
	return out, nil
}

// CountPosts returns how many live posts actor has.
func (db *DB) CountPosts(ctx context.Context, actor string) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE actor = ? AND deleted_at IS NULL`, actor).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count posts of %s: %w", actor, ctxErr(ctx, err))
	}
	return n, nil
}

// HistoryEntry is one change of a local record, for the publisher. Record
// is the record as the change left it; for a delete, the last version
// before it. Previous is the record an update replaced (nil for a create
// and a delete).
type HistoryEntry struct {
	HID      int64
	RecordPK int64
	Record   *commons.Record
	Previous *commons.Record
	Action   string // create, update or delete
	At       time.Time
}

// HistoryAfter returns the changes of local records among the next limit
// history rows after hid, in order, and the last of those rows: the
// cursor to publish up to even when they are all changes of remote copies
// (which the publisher does not announce), so that it never scans them
// twice.
//
// The record as a change left it is the record the next change of the same
// record replaced, or the stored record for its latest change: history
// keeps the replaced versions, and the publisher may run behind.
func (db *DB) HistoryAfter(ctx context.Context, hid int64, limit int) (_ []HistoryEntry, last int64, _ error) {
	var bound sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT max(hid) FROM (SELECT hid FROM record_history WHERE hid > ? ORDER BY hid LIMIT ?) AS h`,
		hid, max(limit, 0)).Scan(&bound); err != nil {
		return nil, 0, fmt.Errorf("read history after %d: %w", hid, ctxErr(ctx, err))
	}
	if !bound.Valid {
		return nil, hid, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT h.hid, h.record, h.action, h.at, h.previous,
			CASE WHEN h.action = 'delete' THEN h.previous
			ELSE coalesce((SELECT n.previous FROM record_history AS n
				WHERE n.record = h.record AND n.hid > h.hid ORDER BY n.hid LIMIT 1), r.doc) END
		FROM record_history AS h JOIN records AS r ON r.pk = h.record
		WHERE h.hid > ? AND h.hid <= ? AND r.local = 1 ORDER BY h.hid`, hid, bound.Int64)
	if err != nil {
		return nil, 0, fmt.Errorf("read history after %d: %w", hid, ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var e HistoryEntry
		var at int64
		var prev, doc sql.NullString
		if err := rows.Scan(&e.HID, &e.RecordPK, &e.Action, &at, &prev, &doc); err != nil {
			return nil, 0, fmt.Errorf("read history after %d: %w", hid, err)
		}
		e.At = fromMillis(at)
		if !doc.Valid {
			return nil, 0, fmt.Errorf("read history after %d: change %d has no record", hid, e.HID)
		}
		if e.Record, err = decodeRecord(doc.String); err != nil {
			return nil, 0, fmt.Errorf("read history change %d: %w", e.HID, err)
		}
		if e.Action == "update" && prev.Valid {
			if e.Previous, err = decodeRecord(prev.String); err != nil {
				return nil, 0, fmt.Errorf("read history change %d: %w", e.HID, err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read history after %d: %w", hid, ctxErr(ctx, err))
	}
	return out, bound.Int64, nil
}

// PublishCursor returns the last history row the publisher has published.
func (db *DB) PublishCursor(ctx context.Context) (int64, error) {
	var hid int64
	if err := db.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'federation_hid'`).Scan(&hid); err != nil {
		return 0, fmt.Errorf("read publish cursor: %w", ctxErr(ctx, err))
	}
	return hid, nil
}

// OutActivity is an activity to deliver: its id, our actor that sends it,
// its JSON and the inboxes it goes to.
type OutActivity struct {
	ID, Sender string
	Body       []byte
	Inboxes    []string
}

// RecordDocument is a local record's document as this instance signed it
// for its peers, at one version of the record.
type RecordDocument struct {
	ID      string
	Version int
	Doc     []byte
}

// Publish records, in one transaction, what the history rows up to hid
// produced: it stores the posts, queues the activities (as Enqueue does),
// keeps the signed documents of the records that are still at the version
// signed (the record collection serves them as they are), and moves the
// publish cursor to hid. Either all of it happens or none. ECONFLICT if
// the cursor is already at or past hid: another publisher published those
// rows.
func (db *DB) Publish(ctx context.Context, hid int64, posts []Post, out []OutActivity, docs ...RecordDocument) error {
	blocks, err := db.blockSnapshot(ctx)
	if err != nil {
		return fmt.Errorf("publish up to change %d: %w", hid, err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var cur int64
		if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'federation_hid'`).Scan(&cur); err != nil {
			return err
		}
		if cur >= hid {
			return commons.Errorf(commons.ECONFLICT, "changes up to %d are already published", cur)
		}
		for _, p := range posts {
			if err := db.putPost(ctx, tx, p); err != nil {
				return fmt.Errorf("post %s: %w", p.ID, err)
			}
		}
		for _, a := range out {
			if err := db.enqueue(ctx, tx, blocks, a); err != nil {
				return fmt.Errorf("activity %s: %w", a.ID, err)
			}
		}
		for _, d := range docs {
			// A record changed since is left without: its own publication
			// comes, and until then the collection signs it as it is.
			if _, err := tx.ExecContext(ctx, `INSERT INTO record_documents (record, doc)
				SELECT pk, ? FROM records WHERE id = ? AND version = ? AND local = 1 AND deleted_at IS NULL
				ON CONFLICT (record) DO UPDATE SET doc = excluded.doc`, d.Doc, d.ID, d.Version); err != nil {
				return fmt.Errorf("keep the document of %s: %w", d.ID, err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'federation_hid'`, hid)
		return err
	})
	if err != nil {
		return fmt.Errorf("publish up to change %d: %w", hid, err)
	}
	return nil
}
