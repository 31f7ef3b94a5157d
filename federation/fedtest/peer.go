// Package fedtest is a minimal fediverse server for tests, written to
// behave as the reference notes describe Mastodon: it finds actors by
// WebFinger and checks the round trip, fetches them with signed GETs and
// checks what Mastodon checks, follows with signed POSTs, and verifies the
// signature of everything delivered to its inbox against the sender's
// published key. It verifies draft-cavage with go-fed/httpsig directly
// and its own digest and date checks, and RFC 9421 with code of its own
// (rfc9421.go), not with the code under test.
package fedtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

// Delivery is one POST the peer's inbox received.
type Delivery struct {
	Activity map[string]any
	KeyID    string
	Path     string    // the inbox path it was posted to
	Scheme   string    // SchemeCavage or SchemeRFC9421: how it was signed
	At       time.Time // when it arrived
	Err      error     // why its signature did not verify; nil if it did
}

// Response is a scripted answer of the peer's inbox (see Respond).
type Response struct {
	Status     int
	RetryAfter string // the Retry-After header, if any
}

// Key styles: where the peer publishes its key (see NewPeerStyle).
const (
	// KeyMastodon: keyId = actor#main-key, which returns the actor.
	KeyMastodon = "mastodon"
	// KeyGoToSocial: keyId = actor/main-key, which returns a stub of the
	// actor holding only id, type, preferredUsername and publicKey; the
	// full actor is its owner.
	KeyGoToSocial = "gotosocial"
	// KeyDocument: keyId = actor/key, which returns a Key document
	// {id, type: Key, owner, publicKeyPem} of its own.
	KeyDocument = "key"
)

// Peer is one fediverse server with one user, on loopback.
type Peer struct {
	URL   string // base URL, http://127.0.0.1:port
	Actor string // the user's actor IRI
	Key   *rsa.PrivateKey
	Algo  string // the algorithm label it signs with: "hs2019" (default) or "rsa-sha256"
	// Now is the clock its signatures are dated by; default time.Now. Set
	// it before use (it is not guarded).
	Now func() time.Time
	// SignedHeaders overrides the list of headers it signs, when not nil.
	SignedHeaders []string
	// SignRFC9421 makes it sign with RFC 9421 instead of draft-cavage.
	SignRFC9421 bool
	// Inbox9421 is what its inbox does with RFC 9421 signatures:
	// Inbox9421Refused (the default), Inbox9421Accepted or Inbox9421Only.
	// Set these before use (they are not guarded).
	Inbox9421 string
	server    *httptest.Server
	keyStyle  string
	pubPEM    string
	name      string

	mu          sync.Mutex
	deliveries  []Delivery
	responses   []Response
	sharedInbox string
	inbox       string
	keys        map[string]*rsa.PublicKey // fetched keys, by id
	gone        bool                      // the user was deleted: its actor answers 410
}

// NewPeer starts a peer whose user is called name. It stops with the test.
func NewPeer(t testing.TB, name string) *Peer {
	t.Helper()
	return NewPeerStyle(t, name, KeyMastodon)
}

// NewPeerStyle starts a peer whose user publishes its key in the given
// style (KeyMastodon or KeyGoToSocial). It stops with the test.
func NewPeerStyle(t testing.TB, name, keyStyle string) *Peer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Peer{Key: key, Algo: "hs2019", Now: time.Now, keyStyle: keyStyle, name: name, keys: map[string]*rsa.PublicKey{}}
	mux := http.NewServeMux()
	p.server = httptest.NewServer(mux)
	t.Cleanup(p.server.Close)
	p.URL = p.server.URL
	p.Actor = p.URL + "/users/" + name
	p.inbox = p.Actor + "/inbox"
	p.sharedInbox = p.URL + "/inbox"
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	p.pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	mux.HandleFunc("GET /users/"+name, func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		gone := p.gone
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/activity+json")
		if gone {
			w.WriteHeader(http.StatusGone)
			json.NewEncoder(w).Encode(map[string]any{"id": p.Actor, "type": "Tombstone"})
			return
		}
		json.NewEncoder(w).Encode(p.ActorDocument())
	})
	if keyStyle == KeyDocument {
		mux.HandleFunc("GET /users/"+name+"/key", func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			pubPEM := p.pubPEM
			p.mu.Unlock()
			w.Header().Set("Content-Type", "application/activity+json")
			json.NewEncoder(w).Encode(map[string]any{
				"@context": "https://w3id.org/security/v1",
				"id":       p.KeyID(), "type": "Key", "owner": p.Actor, "publicKeyPem": pubPEM,
			})
		})
	}
	if keyStyle == KeyGoToSocial {
		// GoToSocial's key stub: the actor's id and key, nothing else.
		mux.HandleFunc("GET /users/"+name+"/main-key", func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			pubPEM := p.pubPEM
			p.mu.Unlock()
			w.Header().Set("Content-Type", "application/activity+json")
			json.NewEncoder(w).Encode(map[string]any{
				"@context":          []any{"https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams"},
				"id":                p.Actor,
				"type":              "Person",
				"preferredUsername": name,
				"publicKey":         map[string]any{"id": p.KeyID(), "owner": p.Actor, "publicKeyPem": pubPEM},
			})
		})
	}
	inbox := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var act map[string]any
		if err := json.Unmarshal(body, &act); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		var keyID string
		var verr error
		scheme := SchemeCavage
		if r.Header.Get("Signature-Input") != "" {
			scheme = SchemeRFC9421
		}
		switch {
		case scheme == SchemeRFC9421 && p.Inbox9421 == Inbox9421Refused:
			verr = fmt.Errorf("RFC 9421 signatures are not supported")
		case scheme == SchemeRFC9421:
			keyID, verr = p.verify9421(r, body)
		case p.Inbox9421 == Inbox9421Only:
			verr = fmt.Errorf("draft-cavage signatures are not accepted")
		default:
			keyID, verr = p.verify(r, body)
		}
		p.mu.Lock()
		p.deliveries = append(p.deliveries, Delivery{Activity: act, KeyID: keyID, Path: r.URL.Path, Scheme: scheme, At: time.Now(), Err: verr})
		var resp Response
		if len(p.responses) > 0 {
			resp, p.responses = p.responses[0], p.responses[1:]
		}
		p.mu.Unlock()
		if verr != nil {
			http.Error(w, verr.Error(), http.StatusUnauthorized)
			return
		}
		if resp.Status != 0 {
			if resp.RetryAfter != "" {
				w.Header().Set("Retry-After", resp.RetryAfter)
			}
			w.WriteHeader(resp.Status)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
	// WebFinger for the peer's one account, as Mastodon answers it: with
	// the OStatus subscribe template remote-follow forms use.
	mux.HandleFunc("GET /.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		acct := "acct:" + name + "@" + strings.TrimPrefix(p.URL, "http://")
		if r.URL.Query().Get("resource") != acct {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{
			"subject": acct,
			"links": []any{
				map[string]any{"rel": "self", "type": "application/activity+json", "href": p.Actor},
				map[string]any{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": p.URL + "/authorize_interaction?uri={uri}"},
			},
		})
	})
	// Every POST is an inbox, so that tests can move the inboxes (see
	// SetInboxes).
	mux.HandleFunc("POST /", inbox)
	return p
}

// Deliveries returns what the inbox has received so far.
func (p *Peer) Deliveries() []Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Delivery(nil), p.deliveries...)
}

// WaitFor polls until a delivered activity satisfies match, or fails the
// test after timeout.
func (p *Peer) WaitFor(t testing.TB, timeout time.Duration, what string, match func(map[string]any) bool) Delivery {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, d := range p.Deliveries() {
			if match(d.Activity) {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("peer %s: no %s delivered within %s; got %d deliveries", p.URL, what, timeout, len(p.Deliveries()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verify checks a delivery as Mastodon does: signed (request-target), host,
// date and digest; Digest matches; Date within an hour; the signature
// verifies with the key the keyId names, fetched from the sender.
func (p *Peer) verify(r *http.Request, body []byte) (string, error) {
	sig := r.Header.Get("Signature")
	if sig == "" {
		return "", fmt.Errorf("unsigned")
	}
	params := map[string]string{}
	for _, kv := range strings.Split(sig, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		params[k] = strings.Trim(v, `"`)
	}
	for _, h := range []string{"(request-target)", "host", "date", "digest"} {
		if !strings.Contains(" "+params["headers"]+" ", " "+h+" ") {
			return params["keyId"], fmt.Errorf("%s not signed", h)
		}
	}
	sum := sha256.Sum256(body)
	if r.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return params["keyId"], fmt.Errorf("digest mismatch")
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || time.Since(date).Abs() > time.Hour {
		return params["keyId"], fmt.Errorf("bad date %q", r.Header.Get("Date"))
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return params["keyId"], err
	}
	// Like Mastodon, it keeps the keys it fetched: a deleted actor's Delete
	// verifies with the cached key, since the actor now answers 410. A key
	// that fails is fetched again once (rotation).
	p.mu.Lock()
	pub, cached := p.keys[v.KeyId()]
	p.mu.Unlock()
	if cached && v.Verify(pub, httpsig.RSA_SHA256) == nil {
		return v.KeyId(), nil
	}
	pub, err = p.fetchKey(r.Context(), v.KeyId())
	if err != nil {
		return v.KeyId(), err
	}
	p.mu.Lock()
	p.keys[v.KeyId()] = pub
	p.mu.Unlock()
	return v.KeyId(), v.Verify(pub, httpsig.RSA_SHA256)
}

// fetchKey fetches a key as Mastodon does: the key id without its
// fragment returns the actor, whose publicKey must have that id.
func (p *Peer) fetchKey(ctx context.Context, keyID string) (*rsa.PublicKey, error) {
	actor, err := p.Get(ctx, strings.SplitN(keyID, "#", 2)[0])
	if err != nil {
		return nil, fmt.Errorf("fetch key owner: %w", err)
	}
	pk, _ := actor["publicKey"].(map[string]any)
	pemStr, _ := pk["publicKeyPem"].(string)
	if pk["id"] != keyID {
		return nil, fmt.Errorf("actor publishes key %v, not %s", pk["id"], keyID)
	}
	block, _ := pem.Decode([]byte(pemStr))
	if block == nil {
		return nil, fmt.Errorf("no PEM")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rsaKey, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("key %s is not RSA", keyID)
	}
	return rsaKey, nil
}

// Get fetches an ActivityPub document with a GET signed by the peer's user,
// and checks what Mastodon checks: an ActivityPub content type and an id
// equal to the URL fetched.
func (p *Peer) Get(ctx context.Context, iri string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if err := p.sign(req, nil); err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", iri, resp.Status)
	}
	mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/activity+json" && !(mt == "application/ld+json" && params["profile"] == "https://www.w3.org/ns/activitystreams") {
		return nil, fmt.Errorf("GET %s: content type %q is not ActivityPub", iri, resp.Header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, err
	}
	if doc["id"] != iri {
		return nil, fmt.Errorf("GET %s: document id is %v", iri, doc["id"])
	}
	return doc, nil
}

// Resolve finds the object behind a URL pasted into a search, as Mastodon
// does: it fetches the URL as ActivityPub, following redirects, and when
// the document's id is not the URL it ended at, fetches the id itself and
// requires that document to carry it.
func (p *Peer) Resolve(ctx context.Context, pasted string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pasted, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", pasted, resp.Status)
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("GET %s: %w", pasted, err)
	}
	id, _ := doc["id"].(string)
	if id == "" {
		return nil, fmt.Errorf("GET %s: the document has no id", pasted)
	}
	if id == resp.Request.URL.String() {
		return doc, nil
	}
	return p.Get(ctx, id)
}

// Post delivers an activity to inbox, signed by the peer's user.
func (p *Peer) Post(ctx context.Context, inbox string, activity map[string]any) (*http.Response, error) {
	body, err := json.Marshal(activity)
	if err != nil {
		return nil, err
	}
	req, err := p.SignedPost(ctx, inbox, body)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// SignedPost returns a POST of body to inbox with an ActivityPub content
// type, signed by the peer's user, for a test to alter or send.
func (p *Peer) SignedPost(ctx context.Context, inbox string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := p.sign(req, body); err != nil {
		return nil, err
	}
	return req, nil
}

func (p *Peer) sign(req *http.Request, body []byte) error {
	if p.SignRFC9421 {
		return p.sign9421(req, body)
	}
	req.Header.Set("Host", req.URL.Host)
	req.Header.Set("Date", p.Now().UTC().Format(http.TimeFormat))
	headers := []string{httpsig.RequestTarget, "host", "date"}
	if body != nil {
		headers = append(headers, "digest")
	}
	if p.SignedHeaders != nil {
		headers = p.SignedHeaders
	}
	s, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return err
	}
	// httpsig sets Digest whenever there is a body, signed or not.
	if err := s.SignRequest(p.Key, p.KeyID(), req, body); err != nil {
		return err
	}
	if p.Algo != "hs2019" {
		req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="`+p.Algo+`"`, 1))
	}
	return nil
}

// WebFinger resolves acct:user@host at base (http on loopback, as tests run)
// and checks the round trip Mastodon makes: the actor's preferredUsername
// and host give back the same subject and the same self link.
func (p *Peer) WebFinger(ctx context.Context, base, handle string) (string, error) {
	self, subject, err := webfinger(ctx, base, "acct:"+handle)
	if err != nil {
		return "", err
	}
	actor, err := p.Get(ctx, self)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(self)
	back := fmt.Sprintf("acct:%v@%s", actor["preferredUsername"], u.Host)
	self2, subject2, err := webfinger(ctx, base, back)
	if err != nil {
		return "", fmt.Errorf("round trip: %w", err)
	}
	if !strings.EqualFold(subject2, subject) || self2 != self {
		return "", fmt.Errorf("round trip: %s gives %s / %s, first lookup gave %s / %s", back, subject2, self2, subject, self)
	}
	return self, nil
}

func webfinger(ctx context.Context, base, resource string) (self, subject string, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/.well-known/webfinger?resource="+url.QueryEscape(resource), nil)
	req.Header.Set("Accept", "application/jrd+json, application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("webfinger %s: %s", resource, resp.Status)
	}
	var jrd struct {
		Subject string `json:"subject"`
		Links   []struct{ Rel, Type, Href string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&jrd); err != nil {
		return "", "", err
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && (l.Type == "application/activity+json" || l.Type == `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`) {
			return l.Href, jrd.Subject, nil
		}
	}
	return "", "", fmt.Errorf("webfinger %s: no self link", resource)
}
