package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Log lines of a running server reach their output at most logFlushEvery
// after they are logged, or as soon as logBufferMax bytes wait; warnings
// and errors at once.
const (
	logFlushEvery = 100 * time.Millisecond
	logBufferMax  = 64 << 10
)

// logBuffer collects log lines in memory and writes them out in batches.
// At the default level the server logs a line per request, and one write
// system call per line (under the handler's lock, which every request then
// waits for) costs several times what serving a cached document does.
type logBuffer struct {
	mu  sync.Mutex // guards buf
	buf []byte
	wmu sync.Mutex // orders writes to out
	out io.Writer
	tmp []byte // the batch being written, under wmu

	stop chan struct{}
	done chan struct{}
}

// newLogBuffer starts buffering for out; Close flushes and stops it.
func newLogBuffer(out io.Writer) *logBuffer {
	b := &logBuffer{out: out, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(logFlushEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write keeps p (one log line: slog handlers write each record whole) for
// the next flush.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= logBufferMax
	b.mu.Unlock()
	if full {
		b.Flush()
	}
	return len(p), nil
}

// Flush writes what is waiting. A failed write drops it: there is nowhere
// left to report a log that cannot be written.
func (b *logBuffer) Flush() {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	b.mu.Lock()
	b.buf, b.tmp = b.tmp[:0], b.buf
	b.mu.Unlock()
	if len(b.tmp) > 0 {
		b.out.Write(b.tmp) //nolint:errcheck // see above
	}
	if cap(b.tmp) > 4*logBufferMax {
		b.tmp = nil // a burst grew it: let it go
	}
}

// Close stops the periodic flush and writes what is left.
func (b *logBuffer) Close() {
	close(b.stop)
	<-b.done
	b.Flush()
}

// newServerLogger is newLogger for the long-running server: its lines go
// through a logBuffer. The returned function flushes and stops it.
func newServerLogger(cfg Log, w io.Writer) (*slog.Logger, func()) {
	b := newLogBuffer(w)
	l := newLogger(cfg, b)
	return slog.New(flushHandler{l.Handler(), b}), b.Close
}

// flushHandler writes warnings and errors out at once, with every line
// logged before them.
type flushHandler struct {
	slog.Handler
	b *logBuffer
}

func (h flushHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.b.Flush()
	}
	return err
}

func (h flushHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushHandler{h.Handler.WithAttrs(attrs), h.b}
}

func (h flushHandler) WithGroup(name string) slog.Handler {
	return flushHandler{h.Handler.WithGroup(name), h.b}
}
