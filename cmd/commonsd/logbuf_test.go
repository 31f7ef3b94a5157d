package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is an output that tests may read while the flusher writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServerLogger checks that buffered log lines all arrive, in order:
// a warning at once with the lines before it, the rest by Close.
func TestServerLogger(t *testing.T) {
	var out lockedBuffer
	logger, closeLog := newServerLogger(Log{Level: "info", Format: "text"}, &out)
	logger.Info("first")
	logger.With("component", "web").Warn("second")
	if got := out.String(); !strings.Contains(got, "msg=first") || !strings.Contains(got, "msg=second component=web") {
		t.Fatalf("after a warning, the output is %q; want both lines", got)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 5000 { // more than logBufferMax bytes in all
				logger.Info("line", "g", g, "i", i)
			}
		})
	}
	wg.Wait()
	closeLog()
	got := out.String()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 2+4*5000 {
		t.Fatalf("%d lines after Close, want %d", len(lines), 2+4*5000)
	}
	for g := range 4 {
		last := strings.LastIndex(got, fmt.Sprintf("g=%d i=4999\n", g))
		if last < 0 || strings.LastIndex(got, fmt.Sprintf("g=%d i=4998\n", g)) > last {
			t.Errorf("the lines of writer %d are missing or out of order", g)
		}
	}
}
