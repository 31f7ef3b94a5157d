package web

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/commons-directory/commons"
	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per client address. Buckets unused for
// idle are dropped, so the map stays as small as the set of recent writers.
type limiter struct {
	rate  rate.Limit
	burst int
	idle  time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int, idle time.Duration) *limiter {
	return &limiter{rate: rate.Limit(perSecond), burst: burst, idle: idle, buckets: map[string]*bucket{}}
}

// reserve takes one token from key's bucket at now. It returns 0 when the
// request may go ahead, else how long the client should wait.
func (l *limiter) reserve(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.idle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > l.idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return time.Hour
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// allowWrite answers 429 with Retry-After when the client writes faster
// than its bucket allows.
func (s *server) allowWrite(w http.ResponseWriter, r *http.Request) error {
	wait := s.limits.reserve(s.clientIP(r), time.Now())
	if wait == 0 {
		return nil
	}
	return tooMany(w, wait, "Too many writes from this address; retry in %d s.")
}

// tooMany sets Retry-After and returns the 429 error; format takes the
// seconds to wait.
func tooMany(w http.ResponseWriter, wait time.Duration, format string) error {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return commons.Errorf(eRateLimited, format, secs)
}
