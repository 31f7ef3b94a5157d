package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// handler is the shape of every endpoint: it writes a success response or
// returns an error, which the adapter in handle turns into a response.
type handler func(w http.ResponseWriter, r *http.Request) error

// Error codes web adds to the domain's, for failures only HTTP has.
const (
	ePreconditionRequired = "precondition_required" // a write without If-Match
	eRateLimited          = "rate_limited"          // the client's write bucket is empty
	eMethodNotAllowed     = "method_not_allowed"    // the URL exists, the method does not
)

// statuses maps every error code to its HTTP status: the one table.
var statuses = map[string]int{
	commons.ECONFLICT:     http.StatusConflict,
	commons.EFORBIDDEN:    http.StatusForbidden,
	commons.EGONE:         http.StatusGone,
	commons.EINTERNAL:     http.StatusInternalServerError,
	commons.EINVALID:      http.StatusBadRequest,
	commons.EMISDIRECTED:  http.StatusMisdirectedRequest,
	commons.ENOTFOUND:     http.StatusNotFound,
	commons.EPRECONDITION: http.StatusPreconditionFailed,
	commons.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	commons.EUNAUTHORIZED: http.StatusUnauthorized,
	commons.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	ePreconditionRequired: http.StatusPreconditionRequired,
	eRateLimited:          http.StatusTooManyRequests,
	eMethodNotAllowed:     http.StatusMethodNotAllowed,
	eUnavailable:          http.StatusServiceUnavailable,
}

// errorStatus returns the HTTP status for err's code.
func errorStatus(err error) (code string, status int) {
	code = commons.ErrorCode(err)
	if st, ok := statuses[code]; ok {
		return code, st
	}
	return commons.EINTERNAL, http.StatusInternalServerError
}

// handle adapts a handler to http.Handler: an error becomes a problem+json
// document for API clients or a small HTML page for browsers. Internal
// errors are logged with their details and shown as "Internal error.".
func (s *server) handle(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeError answers with err, in the representation the client prefers.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, status := errorStatus(err)
	detail := commons.ErrorMessage(err)
	if code == commons.EINTERNAL {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		detail = "Internal error."
	}
	if status == http.StatusUnauthorized {
		if isInbox(r) {
			w.Header().Set("WWW-Authenticate", `Signature realm="commonsd",headers="(request-target) host date digest"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="commonsd"`)
		}
	}
	h := w.Header()
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Cache-Control", "no-store")
	if !isAPI(r) && !isMachine(r) && negotiate(r.Header.Get("Accept"), errorOffers) == mediaHTML {
		s.renderError(w, r, status, detail)
		return
	}
	p := problem{
		Type:     s.base + "/problems/" + code,
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   detail,
		Instance: r.URL.Path,
	}
	if code == commons.EINVALID || code == commons.EMISDIRECTED {
		var pe *paramError
		inQuery := errors.As(err, &pe)
		for _, f := range commons.ErrorFields(err) {
			pf := problemField{Field: f.Field, Detail: f.Message}
			if !inQuery && code == commons.EINVALID {
				pf.Pointer = fieldPointer(f.Field)
			}
			p.Errors = append(p.Errors, pf)
		}
	}
	s.writeJSON(w, r, status, mediaProblem, &p)
}

// problem is an RFC 9457 problem details document.
type problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance"`
	Errors   []problemField `json:"errors,omitempty"`
}

// problemField is one invalid field (or query parameter) of an EINVALID
// problem. Pointer is the RFC 6901 pointer into the request body.
type problemField struct {
	Field   string `json:"field"`
	Pointer string `json:"pointer,omitempty"`
	Detail  string `json:"detail"`
}

// paramError marks an EINVALID error about query parameters rather than
// the body, so its fields get no JSON pointer.
type paramError struct{ err *commons.Error }

func (e *paramError) Error() string { return e.err.Error() }
func (e *paramError) Unwrap() error { return e.err }

// invalidParam returns the EINVALID error for one bad query parameter.
func invalidParam(name, format string, args ...any) error {
	return &paramError{&commons.Error{Code: commons.EINVALID, Fields: []commons.FieldError{
		{Field: name, Message: fmt.Sprintf(format, args...)},
	}}}
}

// fieldPointer turns a field path as the domain writes it
// ("licences[1].expression", "name.fr") into a JSON pointer
// ("/licences/1/expression", "/name/fr").
func fieldPointer(field string) string {
	if field == "" || strings.HasPrefix(field, "(") {
		return ""
	}
	var b strings.Builder
	for part := range strings.SplitSeq(field, ".") {
		name, rest, _ := strings.Cut(part, "[")
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(name))
		for rest != "" {
			var idx string
			idx, rest, _ = strings.Cut(rest, "]")
			b.WriteByte('/')
			b.WriteString(idx)
			rest = strings.TrimPrefix(rest, "[")
		}
	}
	return b.String()
}

// writeJSON encodes v as the response body with the given status and type.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "encode response",
			slog.String("path", r.URL.Path), slog.Any("err", err))
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	b = append(b, '\n')
	writeBody(w, status, contentType, b)
}

// writeBody writes an already encoded body.
func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away; nothing to do
}

// isAPI reports whether r is for the JSON API, whose errors are always
// problem documents.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// isInbox reports whether r posts to an ActivityPub inbox.
func isInbox(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/inbox" || strings.HasSuffix(r.URL.Path, "/inbox"))
}

// isMachine reports whether r comes from a server rather than a browser —
// an inbox delivery or a discovery lookup — so its errors are problem
// documents whatever its Accept header says.
func isMachine(r *http.Request) bool {
	return isInbox(r) || strings.HasPrefix(r.URL.Path, "/.well-known/") || strings.HasPrefix(r.URL.Path, "/nodeinfo/") ||
		r.URL.Path == "/metrics" || r.URL.Path == "/readyz"
}

// Security headers, as shared slices so the hot path does not allocate.
var (
	hdrNosniff  = []string{"nosniff"}
	hdrReferrer = []string{"strict-origin-when-cross-origin"}
	hdrJSONCSP  = []string{"default-src 'none'; frame-ancestors 'none'"}
	hdrHSTS     = []string{"max-age=63072000; includeSubDomains"}
)

// serve wraps the router: security headers on every response, panic
// recovery and one access-log line per request.
func (s *server) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		h := w.Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["Referrer-Policy"] = hdrReferrer
		h["Content-Security-Policy"] = hdrJSONCSP
		if s.https {
			h["Strict-Transport-Security"] = hdrHSTS
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
				if rec.status == 0 {
					s.writeError(rec, r, err) // logs it
				} else {
					s.log.LogAttrs(r.Context(), slog.LevelError, "request failed after its response started",
						slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
				}
			}
			status := rec.statusCode()
			took := time.Since(start)
			attrs := [...]slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", took),
				{},
			}
			n := 5 // slog keeps five attributes without allocating: the client only for refusals
			if status >= 400 {
				attrs[5], n = slog.String("client", s.clientIP(r)), 6
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:n]...)
			if s.metrics != nil {
				s.observeRequest(rec, r, status, took)
			}
		}()
		if !s.serveFast(rec, r) {
			next.ServeHTTP(rec, r)
		}
	})
}

// recorder remembers the status and size of a response for the access log,
// and which route answered it for the metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	route  *routeStats // the route that took the request, for the metrics
}

func (rw *recorder) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

func (rw *recorder) statusCode() int {
	if rw.status == 0 {
		return http.StatusOK
	}
	return rw.status
}

// clientIP returns the address a request comes from: the peer's, or with
// TrustForwardedFor the last X-Forwarded-For entry (the proxy's view).
func (s *server) clientIP(r *http.Request) string {
	if s.trustXFF {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := strings.TrimSpace(last); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// handleNotFound answers URLs that no route matches.
func (s *server) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return commons.Errorf(commons.ENOTFOUND, "There is nothing at %s.", r.URL.Path)
}

// handleMethodNotAllowed answers a known URL with a method it does not take.
func (s *server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	return commons.Errorf(eMethodNotAllowed, "%s does not accept %s.", r.URL.Path, r.Method)
}
