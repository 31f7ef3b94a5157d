package federation

import (
	"context"
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation/fedtest"
)

// TestDoubleKnockToCavageServer: a host remembered as accepting RFC 9421
// (say it was downgraded since) refuses it with 401; the delivery is sent
// once more with draft-cavage, accepted, and draft-cavage is remembered:
// the next delivery is sent once, signed the old way. The peer verifies
// with go-fed/httpsig, not with the code under test.
func TestDoubleKnockToCavageServer(t *testing.T) {
	g := newDeliveryRig(t, []time.Duration{time.Hour})
	peer := fedtest.NewPeer(t, "alice")
	h := strings.TrimPrefix(peer.URL, "http://")
	g.f.setSigPref(context.Background(), h, scheme9421)
	first := g.send(t, peer.URL+"/inbox")
	until(t, "the first delivery", func() bool { n, _ := g.health(t, peer.URL+"/inbox"); return n == 0 && peer.Count(byID(first)) == 2 })
	ds := peer.Deliveries()
	if ds[0].Err == nil || ds[1].Err != nil {
		t.Fatalf("attempts: RFC 9421 %v, draft-cavage %v; want the first refused, the second verified", ds[0].Err, ds[1].Err)
	}
	if got := g.f.SignatureScheme(context.Background(), h); got != "draft-cavage" {
		t.Fatalf("remembered %q", got)
	}
	second := g.send(t, peer.URL+"/inbox")
	until(t, "the second delivery", func() bool { n, _ := g.health(t, peer.URL+"/inbox"); return n == 0 && peer.Count(byID(second)) >= 1 })
	if n := peer.Count(byID(second)); n != 1 {
		t.Errorf("the second delivery was sent %d times", n)
	}
	for _, d := range peer.Deliveries()[2:] {
		if d.Err != nil {
			t.Errorf("second delivery: %v", d.Err)
		}
	}
}

// rfc9421Server is an inbox on loopback that accepts only RFC 9421
// signatures, verified with the key of the signing actor, which it
// fetches; it answers 401 to anything else.
type rfc9421Server struct {
	*httptest.Server
	mu       sync.Mutex
	attempts []string // "rfc9421 ok", "rfc9421 refused: …", "draft-cavage refused"
}

func newRFC9421Server(t *testing.T) *rfc9421Server {
	s := &rfc9421Server{}
	resolve := func(ctx context.Context, keyID string, _ bool) (string, crypto.PublicKey, error) {
		actor, _, _ := strings.Cut(keyID, "#")
		resp, err := http.Get(actor)
		if err != nil {
			return "", nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		a, err := ParseActor(b, actor)
		if err != nil {
			return "", nil, err
		}
		pub, err := DecodePublicKey(a.PublicKeyPEM)
		return a.ID, pub, err
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		outcome := "draft-cavage refused"
		status := http.StatusUnauthorized
		if is9421(r.Header) {
			if _, _, err := verifyRequest(r.Context(), r, body, time.Now(), "http", resolve); err != nil {
				outcome = "rfc9421 refused: " + err.Error()
			} else {
				outcome, status = "rfc9421 ok", http.StatusAccepted
			}
		}
		s.mu.Lock()
		s.attempts = append(s.attempts, outcome)
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *rfc9421Server) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.attempts...)
}

// TestDoubleKnockToRFC9421Server: an unknown host gets draft-cavage
// first, refuses it, gets the RFC 9421 knock and accepts it; RFC 9421 is
// remembered, also across a restart, so the next delivery goes out in
// RFC 9421 at once. The receiver verifies with this package's verifier,
// against the key it fetches from the sender.
func TestDoubleKnockToRFC9421Server(t *testing.T) {
	g := newDeliveryRig(t, []time.Duration{time.Hour})
	s := newRFC9421Server(t)
	h := strings.TrimPrefix(s.URL, "http://")
	g.send(t, s.URL+"/inbox")
	until(t, "the first delivery", func() bool { n, _ := g.health(t, s.URL+"/inbox"); return n == 0 && len(s.log()) == 2 })
	if l := s.log(); l[0] != "draft-cavage refused" || l[1] != "rfc9421 ok" {
		t.Fatalf("attempts: %q", l)
	}
	if got := g.f.SignatureScheme(context.Background(), h); got != "rfc9421" {
		t.Fatalf("remembered %q", got)
	}
	g.send(t, s.URL+"/inbox")
	until(t, "the second delivery", func() bool { n, _ := g.health(t, s.URL+"/inbox"); return n == 0 && len(s.log()) >= 3 })
	if l := s.log(); len(l) != 3 || l[2] != "rfc9421 ok" {
		t.Fatalf("attempts: %q", l)
	}
	// A restart remembers it: a new federation over the same store.
	restarted := New(Options{DB: g.db, BaseURL: g.f.base})
	defer restarted.Close()
	if got := restarted.SignatureScheme(context.Background(), h); got != "rfc9421" {
		t.Fatalf("after a restart: %q", got)
	}
}
