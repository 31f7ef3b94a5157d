package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// The write-ahead log is moved into the database file by a goroutine of its
// own, on a connection of its own, rather than by SQLite's automatic
// checkpoint, which the writer connection has turned off
// (wal_autocheckpoint=0). The automatic one runs inside the commit that
// takes the log past 1,000 pages: that write, an editor's save or the last
// page of an import, waits for thousands of pages to be copied and synced.
// A PASSIVE checkpoint needs no lock that a writer or a reader holds, so
// here it runs beside them, on the other core.
//
// It runs at most once every checkpointGap after writes (write and tx kick
// it), and every checkpointIdle whatever happened, which also covers the
// few small writes that use the writer connection directly (sessions,
// tokens). The log then restarts from its beginning at the next write once
// no reader still needs its frames, and journal_size_limit on the writer
// truncates a log that a large import made long.
const (
	checkpointGap  = time.Second
	checkpointIdle = 30 * time.Second
	// walSizeLimit is the writer's journal_size_limit, in bytes.
	walSizeLimit = 64 << 20
)

// checkpointer runs the WAL checkpoints of one DB.
type checkpointer struct {
	conn *sql.DB
	log  *slog.Logger
	kick chan struct{} // buffered: one pending kick is enough
	stop chan struct{}
	done chan struct{}
	once sync.Once
	runs atomic.Int64 // checkpoints completed, for tests
	// whole counts the checkpoints that copied every frame of the log as
	// it was when they started, for tests: after one that started after a
	// commit, the next write may restart the log from its beginning.
	whole atomic.Int64
	// warned is when a failure was last logged: a failing disk would
	// otherwise log one a second.
	warned time.Time
}

func startCheckpointer(path string, log *slog.Logger) (*checkpointer, error) {
	conn, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxIdleTime(0)
	c := &checkpointer{conn: conn, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// wake asks for a checkpoint soon; it never blocks.
func (c *checkpointer) wake() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	idle := time.NewTicker(checkpointIdle)
	defer idle.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		case <-idle.C:
		}
		c.checkpoint()
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointGap):
		}
	}
}

// checkpoint copies the log's committed frames into the database file.
func (c *checkpointer) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var busy, frames, done int
	err := c.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done)
	if err != nil {
		if time.Since(c.warned) >= time.Minute {
			c.log.Warn("checkpoint failed; the write-ahead log grows until one succeeds", "err", err)
			c.warned = time.Now()
		}
		return
	}
	c.runs.Add(1)
	if busy == 0 && done == frames {
		c.whole.Add(1)
	}
	if frames > 0 && done < frames {
		// Readers still use older frames: the next run copies the rest.
		c.log.Debug("checkpoint incomplete", "frames", frames, "copied", done)
	}
}

// close stops the goroutine and closes its connection. It may be called
// more than once, as DB.Close may.
func (c *checkpointer) close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	return c.conn.Close()
}
