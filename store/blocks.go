package store

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commons-directory/commons"
)

// DomainBlock is commons.DomainBlock.
type DomainBlock = commons.DomainBlock

// blockCache is the set of blocked domains, consulted for every incoming
// activity. Blocks and unblocks in this process invalidate it at once; those
// of another process (the CLI) are noticed within syncInterval through the
// meta counter 'domain_blocks', which every change increments.
type blockCache struct {
	mu   sync.Mutex   // serialises reloads
	gen  atomic.Int64 // bumped by each block and unblock in this process
	snap atomic.Pointer[blockSnapshot]
}

// blockSnapshot is an immutable copy of the blocks.
type blockSnapshot struct {
	gen     int64 // blockCache.gen when the read began
	version int64 // meta 'domain_blocks' read
	checked int64 // when it was read, Unix nanoseconds
	domains map[string]bool
}

// invalidate makes the next reader reload. A reload under way when it is
// called began before the change may have committed, so its snapshot is
// born stale: it carries the generation it began at.
func (c *blockCache) invalidate() { c.gen.Add(1) }

// fresh reports whether s can be used without reading the database.
func (c *blockCache) fresh(s *blockSnapshot) bool {
	return s != nil && s.gen == c.gen.Load() && time.Now().UnixNano()-s.checked < int64(syncInterval)
}

// normalizeDomain lower-cases a domain or host and drops a port, brackets
// and a final dot. It returns "" for something that is not a host name or
// an IP address.
func normalizeDomain(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.ContainsAny(s, "/@?#") {
		return ""
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	s = strings.Trim(strings.TrimSuffix(s, "."), "[]")
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' || c == ':' || c > 0x7f) {
			return ""
		}
	}
	return s
}

// iriHost returns the normalised host of an IRI, or "".
func iriHost(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return normalizeDomain(u.Host)
}

// blocked reports whether host or one of its parent domains is in the set.
func (s *blockSnapshot) blocked(host string) bool {
	if len(s.domains) == 0 || host == "" {
		return false
	}
	for {
		if s.domains[host] {
			return true
		}
		_, parent, ok := strings.Cut(host, ".")
		if !ok {
			return false
		}
		host = parent
	}
}

// DomainBlocked reports whether host (a host name, with or without a port)
// or any domain above it is blocked. It reads an in-memory copy of the
// blocks.
func (db *DB) DomainBlocked(ctx context.Context, host string) (bool, error) {
	snap, err := db.blockSnapshot(ctx)
	if err != nil {
		return false, err
	}
	return snap.blocked(normalizeDomain(host)), nil
}

// blockSnapshot returns the current set of blocked domains, reloading it
// when it was invalidated or another process may have changed it.
func (db *DB) blockSnapshot(ctx context.Context) (*blockSnapshot, error) {
	c := &db.fed().blocks
	if snap := c.snap.Load(); c.fresh(snap) {
		return snap, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	if c.fresh(old) {
		return old, nil
	}
	next := &blockSnapshot{gen: c.gen.Load()}
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read domain blocks: %w", ctxErr(ctx, err))
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'domain_blocks'`).Scan(&next.version); err != nil {
		return nil, fmt.Errorf("read domain blocks: %w", ctxErr(ctx, err))
	}
	if old != nil && old.version == next.version {
		next.domains = old.domains
	} else if next.domains, err = readBlocks(ctx, tx); err != nil {
		return nil, fmt.Errorf("read domain blocks: %w", ctxErr(ctx, err))
	}
	next.checked = time.Now().UnixNano()
	c.snap.Store(next)
	return next, nil
}

func readBlocks(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT domain FROM domain_blocks`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	domains := map[string]bool{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		domains[d] = true
	}
	return domains, rows.Err()
}

// bumpBlocks increments the blocks counter inside a write transaction.
func bumpBlocks(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'domain_blocks'`)
	return err
}

// BlockDomain blocks a domain and its subdomains, replacing an earlier block
// of the same domain, and purges what we keep from them: cached remote
// actors, their follows of our actors, pending deliveries to their inboxes
// unprocessed activities from them, the peering, and the records they are
// the origin of (as purged tombstones: see PurgeOrigins). EINVALID if b.Domain is not a domain name.
func (db *DB) BlockDomain(ctx context.Context, b DomainBlock) error {
	domain := normalizeDomain(b.Domain)
	if domain == "" {
		return commons.Errorf(commons.EINVALID, "%q is not a domain name", b.Domain)
	}
	if b.Created.IsZero() {
		b.Created = db.nowMillis()
	}
	in := (&blockSnapshot{domains: map[string]bool{domain: true}}).blocked
	matches := func(iri string) bool { return in(iriHost(iri)) }
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO domain_blocks (domain, severity, reason, created) VALUES (?, ?, ?, ?)
			ON CONFLICT (domain) DO UPDATE SET severity = excluded.severity, reason = excluded.reason`,
			domain, b.Severity, b.Reason, millis(b.Created)); err != nil {
			return err
		}
		if err := bumpBlocks(ctx, tx); err != nil {
			return err
		}
		// Host names are inside IRIs, which SQL cannot match by domain
		// reliably (ports, subdomains); blocks are rare, so scan and match
		// in Go, and delete by primary key.
		purges := []struct {
			sel  string
			keys int
			del  string
		}{
			{`SELECT id, id FROM remote_actors`, 1, `DELETE FROM remote_actors WHERE id = ?`},
			{`SELECT actor, follower, follower, inbox FROM followers`, 2,
				`DELETE FROM followers WHERE actor = ? AND follower = ?`},
			{`SELECT id, inbox FROM deliveries`, 1, `DELETE FROM deliveries WHERE id = ?`},
			{`SELECT id, actor FROM inbox WHERE processed_at IS NULL`, 1, `DELETE FROM inbox WHERE id = ?`},
			{`SELECT actor, actor FROM peers`, 1, `DELETE FROM peers WHERE actor = ?`},
		}
		for _, p := range purges {
			if err := purgeMatching(ctx, tx, p.sel, p.keys, p.del, matches); err != nil {
				return err
			}
		}
		return nil
	})
	db.fed().blocks.invalidate()
	if err != nil {
		return fmt.Errorf("block %s: %w", domain, err)
	}
	// The block holds from here on, so nothing new arrives from the domain;
	// what it sent before leaves the directory.
	if _, err := db.PurgeOrigins(ctx, in); err != nil {
		return fmt.Errorf("block %s: %w", domain, err)
	}
	return nil
}

// purgeMatching runs del for each row of sel whose IRIs match. sel
// selects the nkeys columns del takes, then one or more IRI columns.
func purgeMatching(ctx context.Context, tx *sql.Tx, sel string, nkeys int, del string, matches func(string) bool) error {
	rows, err := tx.QueryContext(ctx, sel)
	if err != nil {
		return err
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return err
	}
	var hits [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return err
		}
		for _, v := range vals[nkeys:] {
			if s, ok := v.(string); ok && matches(s) {
				hits = append(hits, vals[:nkeys])
				break
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(hits) == 0 {
		return nil
	}
	s, err := tx.PrepareContext(ctx, del)
	if err != nil {
		return err
	}
	defer s.Close()
	for _, keys := range hits {
		if _, err := s.ExecContext(ctx, keys...); err != nil {
			return err
		}
	}
	return nil
}

// UnblockDomain lifts the block of a domain: ENOTFOUND if it is not
// blocked (a block of a parent domain still applies).
func (db *DB) UnblockDomain(ctx context.Context, domain string) error {
	d := normalizeDomain(domain)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM domain_blocks WHERE domain = ?`, d)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return commons.Errorf(commons.ENOTFOUND, "the domain %s is not blocked", domain)
		}
		return bumpBlocks(ctx, tx)
	})
	db.fed().blocks.invalidate()
	if err != nil {
		return fmt.Errorf("unblock %s: %w", domain, err)
	}
	return nil
}

// DomainBlocks returns the blocks, by domain.
func (db *DB) DomainBlocks(ctx context.Context) ([]DomainBlock, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT domain, severity, reason, created FROM domain_blocks ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("list domain blocks: %w", ctxErr(ctx, err))
	}
	defer rows.Close()
	var out []DomainBlock
	for rows.Next() {
		var b DomainBlock
		var created int64
		if err := rows.Scan(&b.Domain, &b.Severity, &b.Reason, &created); err != nil {
			return nil, fmt.Errorf("list domain blocks: %w", err)
		}
		b.Created = fromMillis(created)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list domain blocks: %w", ctxErr(ctx, err))
	}
	return out, nil
}
