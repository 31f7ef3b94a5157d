package store

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"
)

// The store speaks two SQL dialects: SQLite's (the default, one file) and
// PostgreSQL's (several processes over one server). The SQL the two share
// is written once, in SQLite's spelling with ? placeholders, and every
// difference between them lives in the dialect value below or in the files
// named *_pg.go: placeholders are renumbered by the PostgreSQL connection
// itself (pgConn), so that queries stay written once.

// Store drivers, as named in the configuration.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// dialect holds what differs between the two SQL dialects.
type dialect struct {
	name string // DriverSQLite or DriverPostgres

	// jsonTexts and jsonInts are FROM items over the elements of the JSON
	// array held by the parameter p (e.g. "?3"), as a table j with one
	// column, value.
	jsonTexts func(p string) string
	jsonInts  func(p string) string
	// month is the "YYYY-MM" (UTC) of a column of Unix milliseconds.
	month func(col string) string
	// identifierMatch is the FROM and WHERE of the local records that carry
	// the identifier {scheme ?, value ?}.
	identifierMatch string
	// funded is true of a records.doc that lists funding calls or channels.
	funded string
	// byteaColumns are, by table, the columns of binary strings.
	byteaColumns map[string]map[string]bool
	// migrations is the directory of the embedded migrations.
	migrations string
}

var sqliteDialect = &dialect{
	name:      DriverSQLite,
	jsonTexts: func(p string) string { return "json_each(" + p + ") AS j" },
	jsonInts:  func(p string) string { return "json_each(" + p + ") AS j" },
	month:     func(col string) string { return "strftime('%Y-%m', " + col + " / 1000, 'unixepoch')" },
	identifierMatch: `records r, json_each(r.doc, '$.identifiers') i
		WHERE r.local = 1 AND r.deleted_at IS NULL
		  AND json_extract(i.value, '$.scheme') = ? AND json_extract(i.value, '$.value') = ?`,
	funded:     `(json_array_length(doc, '$.funding.calls') > 0 OR json_array_length(doc, '$.funding.channels') > 0)`,
	migrations: "migrations",
}

var postgresDialect = &dialect{
	name:      DriverPostgres,
	jsonTexts: func(p string) string { return "json_array_elements_text(" + p + "::json) AS j(value)" },
	jsonInts: func(p string) string {
		return "(SELECT e::bigint AS value FROM json_array_elements_text(" + p + "::json) AS e) AS j"
	},
	month: func(col string) string {
		return "to_char(to_timestamp(" + col + " / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')"
	},
	identifierMatch: `records r, json_array_elements(r.doc::json -> 'identifiers') i
		WHERE r.local = 1 AND r.deleted_at IS NULL
		  AND i.value ->> 'scheme' = ? AND i.value ->> 'value' = ?`,
	funded: `(coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(doc::jsonb #> '{funding,calls}') = 'array' THEN doc::jsonb #> '{funding,calls}' END), 0) > 0
		OR coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(doc::jsonb #> '{funding,channels}') = 'array' THEN doc::jsonb #> '{funding,channels}' END), 0) > 0)`,
	byteaColumns: map[string]map[string]bool{"record_documents": {"doc": true}},
	migrations:   "migrations/postgres",
}

func (d *dialect) postgres() bool { return d.name == DriverPostgres }

// pgStatements are the PostgreSQL twins of the few shared statements
// SQLite's spelling cannot serve; pgConn substitutes them.
var pgStatements = map[string]string{
	insertDeliveries: `INSERT INTO deliveries (activity, inbox, attempts, next_at, created)
		SELECT ?1, j.value, 0, ?2, ?2 FROM json_array_elements_text(?3::json) AS j(value)
		WHERE NOT EXISTS (SELECT 1 FROM inbox_health AS h WHERE h.inbox = j.value AND h.unreachable_since IS NOT NULL)
		ON CONFLICT (activity, inbox) DO NOTHING`,
	// Several processes claim at once: each skips the rows another holds.
	selectDue: `SELECT id, activity, inbox, attempts, next_at FROM deliveries
		WHERE next_at <= ?1 AND (lease_until IS NULL OR lease_until < ?1) ORDER BY next_at, id LIMIT ?2
		FOR UPDATE SKIP LOCKED`,
	leaseDeliveries: `UPDATE deliveries SET lease_until = ?1, next_at = ?1
		WHERE id IN (SELECT e::bigint FROM json_array_elements_text(?2::json) AS e)`,
	selectBodies: `SELECT id, sender, body FROM activities WHERE id IN (SELECT json_array_elements_text(?::json))`,
}

// rebind turns SQLite's placeholders (?, ?NNN) into PostgreSQL's ($n),
// leaving quoted strings, quoted names and comments alone. A bare ? takes
// the number after the largest used so far, as in SQLite.
func rebind(q string) string {
	if t, ok := pgStatements[q]; ok {
		q = t
	}
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			end := min(j+1, len(q))
			b.WriteString(q[i:end])
			i = end - 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			k := n + 1
			if j > i+1 {
				k, _ = strconv.Atoi(q[i+1 : j])
			}
			n = max(n, k)
			b.WriteString("$" + strconv.Itoa(k))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// pgArgs converts the arguments PostgreSQL's integer columns would refuse:
// the schema keeps booleans as 0 and 1 in both dialects.
func pgArgs(args []driver.NamedValue) []driver.NamedValue {
	for i, a := range args {
		if v, ok := a.Value.(bool); ok {
			if v {
				args[i].Value = int64(1)
			} else {
				args[i].Value = int64(0)
			}
		}
	}
	return args
}

// pgConn is a pgx database/sql connection that accepts the store's SQLite
// placeholders.
type pgConn struct{ pgxConn }

// pgxConn is what pgConn needs of pgx's stdlib connection.
type pgxConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.NamedValueChecker
}

func (c pgConn) Prepare(q string) (driver.Stmt, error) {
	return c.pgxConn.PrepareContext(context.Background(), rebind(q))
}

func (c pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.pgxConn.PrepareContext(ctx, rebind(q))
}

func (c pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.pgxConn.ExecContext(ctx, rebind(q), pgArgs(args))
}

func (c pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.pgxConn.QueryContext(ctx, rebind(q), pgArgs(args))
}

func (c pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if v {
			nv.Value = int64(1)
		}
	}
	return c.pgxConn.CheckNamedValue(nv)
}

// pgConnector opens pgConns.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return pgConn{conn.(pgxConn)}, nil
}
