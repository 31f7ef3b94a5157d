package federation

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/commons-directory/commons"
)

// PostInbox receives one activity for recipient (see receive). A refusal
// is logged at info level with the sender's host and the reason, at most
// once a minute per host and reason, so that an operator can see why a
// peer's deliveries fail without a line per delivery; and its answer
// names the reason but never an internal error (a failed fetch of the
// sender's key says so, not what the dial said).
func (f *Federation) PostInbox(w http.ResponseWriter, r *http.Request, recipient string) error {
	err := f.receive(w, r, recipient)
	if err == nil {
		f.opts.Metrics.InboxAccepted()
		return nil
	}
	var e *commons.Error
	if !errors.As(err, &e) {
		return err // a database failure: logged by the handler, answered "Internal error."
	}
	sender := senderHost(r)
	reason := refusalReason(e)
	f.opts.Metrics.InboxRefused(reason)
	if f.refusals.allow(sender, reason, f.now()) {
		f.log.LogAttrs(r.Context(), slog.LevelInfo, "activity refused", slog.String("sender", sender),
			slog.String("reason", reason), slog.String("err", e.Message))
	}
	return publicRefusal(e)
}

// refusalEvery is how often one sender's refusals for one reason are
// logged at most.
const refusalEvery = time.Minute

// refusalLog remembers when each (sender, reason) was last logged.
type refusalLog struct {
	mu   sync.Mutex
	last map[[2]string]time.Time
}

// allow reports whether a refusal of sender for reason may be logged now,
// and notes it if so. Old entries are dropped as the map grows.
func (l *refusalLog) allow(sender, reason string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[[2]string]time.Time{}
	}
	k := [2]string{sender, reason}
	if t, ok := l.last[k]; ok && now.Sub(t) < refusalEvery {
		return false
	}
	if len(l.last) >= 10000 {
		for k, t := range l.last {
			if now.Sub(t) >= refusalEvery {
				delete(l.last, k)
			}
		}
	}
	l.last[k] = now
	return true
}

// senderHost is the host of the key that signed the request, as the
// Signature header claims it, or the client's address for an unsigned one.
func senderHost(r *http.Request) string {
	if is9421(r.Header) {
		if s, err := parse9421(r.Header); err == nil {
			if h := host(s.keyID); h != "" {
				return h
			}
		}
	} else if raw, err := signatureHeader(r.Header); err == nil {
		if p, err := parseCavage(raw); err == nil {
			if h := host(p.keyID); h != "" {
				return h
			}
		}
	}
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// refusalReason names the kind of a refusal in one word.
func refusalReason(e *commons.Error) string {
	m := strings.ToLower(e.Message)
	switch e.Code {
	case commons.EUNAUTHORIZED:
		switch {
		case strings.Contains(m, "date"):
			return "date"
		case strings.Contains(m, "digest"):
			return "digest"
		case strings.Contains(m, "signed by"):
			return "owner"
		case strings.Contains(m, "fetch the key"):
			return "key"
		}
		return "signature"
	case commons.EFORBIDDEN:
		if strings.Contains(m, "blocked") {
			return "block"
		}
		return "authority"
	case commons.ENOTFOUND, commons.EGONE:
		return "recipient"
	case commons.EUNSUPPORTED:
		return "content-type"
	case commons.ETOOLARGE:
		return "size"
	}
	return "malformed"
}

// publicRefusal is the answer to a refusal: its message, less what a
// failed fetch of the key said (a dial error names addresses of this
// instance's network).
func publicRefusal(e *commons.Error) error {
	const fetch = "cannot fetch the key "
	if rest, ok := strings.CutPrefix(e.Message, fetch); ok {
		key, _, _ := strings.Cut(rest, ": ")
		return &commons.Error{Code: e.Code, Message: fetch + key + ": its server did not answer with it"}
	}
	return e
}
