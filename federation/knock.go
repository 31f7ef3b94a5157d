package federation

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// Outgoing signatures: RFC 9421 or draft-cavage, per host. Few servers
// accept RFC 9421 yet, and a server refuses a signature it cannot read
// with 401 (or 400). So each request is signed with the scheme that last
// worked for its host; a host not yet known gets RFC 9421 when it is a
// Commons Directory peer (which verifies both) and draft-cavage
// otherwise, as Mastodon does. On a 400 or 401 the request is sent once
// more with the other scheme (the "double knock"). RFC 9421 answered 2xx,
// or draft-cavage answered 2xx after RFC 9421 was refused, is remembered
// for the host, in memory and in the store.

// Signature schemes.
const (
	schemeUnknown = iota
	schemeCavage
	scheme9421
)

// SchemeStore remembers which signature scheme each host accepts.
type SchemeStore interface {
	SignatureSchemes(ctx context.Context) (map[string]string, error)
	SetSignatureScheme(ctx context.Context, host, scheme string, at time.Time) error
}

// sigPrefs remembers, per host[:port], the scheme that last worked: in
// memory, loaded from the store on first use and written through to it,
// so that a restart does not knock twice again.
type sigPrefs struct {
	mu     sync.Mutex
	m      map[string]int
	loaded bool
}

var schemeNames = map[int]string{schemeCavage: "draft-cavage", scheme9421: "rfc9421"}

// sigPref returns the scheme remembered for host, schemeUnknown if none.
func (f *Federation) sigPref(ctx context.Context, host string) int {
	p := &f.sigPrefs
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.loaded {
		stored, err := f.db.SignatureSchemes(ctx)
		if err != nil {
			f.log.Warn("read signature schemes", "err", err)
			return p.m[host]
		}
		p.m, p.loaded = map[string]int{}, true
		for h, name := range stored {
			for scheme, n := range schemeNames {
				if n == name {
					p.m[h] = scheme
				}
			}
		}
	}
	return p.m[host]
}

// setSigPref remembers scheme for host, and stores it when it changed.
func (f *Federation) setSigPref(ctx context.Context, host string, scheme int) {
	if f.sigPref(ctx, host) == scheme {
		return
	}
	p := &f.sigPrefs
	p.mu.Lock()
	if p.m == nil {
		p.m = map[string]int{}
	}
	p.m[host] = scheme
	p.mu.Unlock()
	if err := f.db.SetSignatureScheme(context.WithoutCancel(ctx), host, schemeNames[scheme], f.now()); err != nil {
		f.log.Warn("store the signature scheme of a host", "host", host, "err", err)
	}
}

// SignatureScheme names the scheme remembered for a host: "rfc9421",
// "draft-cavage", or "" when none is known yet.
func (f *Federation) SignatureScheme(ctx context.Context, host string) string {
	return schemeNames[f.sigPref(ctx, host)]
}

// signWith signs req with the scheme.
func signWith(scheme int, req *http.Request, body []byte, key SigningKey, f *Federation) error {
	if scheme == scheme9421 {
		return SignRequest9421(req, body, key, f.now())
	}
	return SignRequest(req, body, key, f.now())
}

// sendSigned sends method iri (with body, when not nil) signed by key with
// the host's scheme, knocking a second time with the other scheme on a
// 400 or 401 (see above). prepare sets the request's other headers;
// client returns the client to send with for a scheme (a fetch re-signs
// its redirects with it). The caller closes the response's body.
func (f *Federation) sendSigned(ctx context.Context, method, iri string, body []byte, key SigningKey, prepare func(*http.Request), client func(scheme int) *http.Client) (*http.Response, error) {
	h := host(iri)
	first := f.sigPref(ctx, h)
	if first == schemeUnknown {
		first = schemeCavage
		if p, err := f.db.Peer(ctx, h); err == nil && p != nil {
			first = scheme9421
		}
	}
	second := schemeCavage
	if first == schemeCavage {
		second = scheme9421
	}
	for i, scheme := range []int{first, second} {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, iri, rd)
		if err != nil {
			return nil, err
		}
		prepare(req)
		if err := signWith(scheme, req, body, key, f); err != nil {
			return nil, err
		}
		resp, err := client(scheme).Do(req)
		if err != nil {
			return nil, err
		}
		if i == 0 && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusBadRequest) {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			continue
		}
		// A 2xx remembers the scheme when it tells something: RFC 9421
		// accepted, or draft-cavage accepted after RFC 9421 was refused.
		// draft-cavage accepted at the first knock says nothing of RFC 9421.
		if resp.StatusCode/100 == 2 && (scheme == scheme9421 || i == 1) {
			f.setSigPref(ctx, h, scheme)
		}
		return resp, nil
	}
	panic("unreachable")
}
