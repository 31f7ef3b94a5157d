package federation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

// RFC 9421 appendix B.2.6: the ed25519 test vector, over the test request
// of appendix B.2 with the key test-key-ed25519 of B.1.4.
const (
	b26Input     = `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	b26Signature = `sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:`
	b26Base      = `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	b14PublicX = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs" // base64url, JWK "x"
)

func b26Request() *http.Request {
	r := httptest.NewRequest("POST", "http://example.com/foo?param=Value&Pet=dog", strings.NewReader(`{"hello": "world"}`))
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Length", "18")
	r.Header.Set("Signature-Input", b26Input)
	r.Header.Set("Signature", b26Signature)
	return r
}

func TestRFC9421Ed25519Vector(t *testing.T) {
	pub, err := base64.RawURLEncoding.DecodeString(b14PublicX)
	if err != nil {
		t.Fatal(err)
	}
	r := b26Request()
	s, err := parse9421(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.base(r, "http")
	if err != nil {
		t.Fatal(err)
	}
	if base != b26Base {
		t.Fatalf("signature base:\n%s\nwant:\n%s", base, b26Base)
	}
	if err := verify9421Key(ed25519.PublicKey(pub), s.alg, []byte(base), s.signature); err != nil {
		t.Fatalf("the RFC's signature does not verify: %v", err)
	}
	// The same signature over a changed component fails.
	r.Header.Set("Content-Length", "19")
	base, _ = s.base(r, "http")
	if err := verify9421Key(ed25519.PublicKey(pub), s.alg, []byte(base), s.signature); err == nil {
		t.Fatal("a changed content-length verified")
	}
	// Our policy refuses the vector as a delivery: it covers no
	// content-digest (and is five years old).
	_, _, err = verify9421(context.Background(), b26Request(), []byte(`{"hello": "world"}`), time.Unix(1618884473, 0), "http",
		func(context.Context, string, bool) (string, crypto.PublicKey, error) {
			return "k", ed25519.PublicKey(pub), nil
		})
	if err == nil || !strings.Contains(err.Error(), "does not cover") || !strings.Contains(err.Error(), "content-digest") {
		t.Fatalf("err = %v", err)
	}
}

// roundTrip9421 sends a request signed with RFC 9421 to a real server and
// returns what it received.
func roundTrip9421(t *testing.T, mutate func(*http.Request, []byte) []byte, method string, body []byte, key SigningKey, at time.Time) received {
	t.Helper()
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r, b}
	}))
	defer srv.Close()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, srv.URL+"/records/osm/inbox?x=1", rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/activity+json")
	}
	if err := SignRequest9421(req, body, key, at); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		if nb := mutate(req, body); nb != nil {
			req.Body = io.NopCloser(bytes.NewReader(nb))
			req.ContentLength = int64(len(nb))
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return <-got
}

func TestVerifyRequest9421(t *testing.T) {
	now := time.Now()
	const actor = "https://mastodon.example/users/alice"
	key := SigningKey{ID: actor + "#main-key", Private: testKey(t, 0)}
	resolver := func(pub crypto.PublicKey) KeyResolver {
		return func(_ context.Context, id string, _ bool) (string, crypto.PublicKey, error) {
			if id != key.ID {
				return "", nil, commons.Errorf(commons.EUNAUTHORIZED, "unknown key %s", id)
			}
			return actor, pub, nil
		}
	}
	good := resolver(&testKey(t, 0).PublicKey)
	body := []byte(`{"type":"Follow"}`)
	setInput := func(f func(string) string) func(*http.Request, []byte) []byte {
		return func(r *http.Request, _ []byte) []byte {
			r.Header.Set("Signature-Input", f(r.Header.Get("Signature-Input")))
			return nil
		}
	}
	tests := []struct {
		name    string
		method  string
		body    []byte
		at      time.Time
		mutate  func(*http.Request, []byte) []byte
		resolve KeyResolver
		want    string
	}{
		{"PostOK", "POST", body, now, nil, good, ""},
		{"GetOK", "GET", nil, now, nil, good, ""},
		{"TamperedBody", "POST", body, now, func(*http.Request, []byte) []byte { return []byte(`{"type":"Delete"}`) }, good, "Content-Digest sha-256 does not match"},
		{"TamperedDigestToo", "POST", body, now, func(r *http.Request, _ []byte) []byte {
			nb := []byte(`{"type":"Delete"}`)
			r.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sha256Sum(nb))+":")
			return nb
		}, good, "does not verify"},
		{"TamperedMethodCovered", "POST", body, now, func(r *http.Request, _ []byte) []byte {
			r.URL.Path = "/records/other/inbox"
			return nil
		}, good, "does not verify"},
		{"Stale", "POST", body, now.Add(-2 * time.Hour), nil, good, "from our clock"},
		{"Future", "POST", body, now.Add(2 * time.Hour), nil, good, "from our clock"},
		{"WrongKey", "POST", body, now, nil, resolver(&testKey(t, 1).PublicKey), "does not verify"},
		{"NoDigestCovered", "POST", body, now, setInput(func(s string) string { return strings.Replace(s, ` "content-digest"`, "", 1) }), good, "does not cover content-digest"},
		{"NoTargetCovered", "POST", body, now, setInput(func(s string) string { return strings.Replace(s, ` "@target-uri"`, "", 1) }), good, "does not cover @authority, @path, @query"},
		{"RepeatedLabel", "POST", body, now, setInput(func(s string) string { return s + `, sig1=("@method");created=1;keyid="x"` }), good, "ambiguous"},
		{"RepeatedParam", "POST", body, now, setInput(func(s string) string { return s + `;created=1` }), good, "ambiguous"},
		{"TwoSignatures", "POST", body, now, setInput(func(s string) string { return s + `, sig2=("@method");created=1;keyid="x"` }), good, "one signature each"},
		{"ComponentParam", "POST", body, now, setInput(func(s string) string { return strings.Replace(s, `"@method"`, `"@method";req`, 1) }), good, "not a plain lower-case name"},
		{"UnknownParam", "POST", body, now, setInput(func(s string) string { return s + `;foo=1` }), good, `unknown parameter "foo"`},
		{"NoKeyID", "POST", body, now, setInput(func(s string) string { return strings.Replace(s, `;keyid="`+key.ID+`"`, "", 1) }), good, "keyid is required"},
		{"BadAlg", "POST", body, now, setInput(func(s string) string { return strings.Replace(s, algRSAv15, "hmac-sha256", 1) }), good, "not supported"},
		{"AlgMismatch", "POST", body, now, setInput(func(s string) string { return strings.Replace(s, algRSAv15, algEd25519, 1) }), good, "does not verify"},
		{"NoSignature", "POST", body, now, func(r *http.Request, _ []byte) []byte { r.Header.Del("Signature"); return nil }, good, "Signature header is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip9421(t, tt.mutate, tt.method, tt.body, key, tt.at)
			_, owner, err := VerifyRequest(context.Background(), got.r, got.body, now, tt.resolve)
			if tt.want == "" {
				if err != nil || owner != actor {
					t.Fatalf("rejected: owner %q, err %v", owner, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; want rejection for %q", tt.want)
			}
			if commons.ErrorCode(err) != commons.EUNAUTHORIZED || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (code %s), want EUNAUTHORIZED containing %q", err, commons.ErrorCode(err), tt.want)
			}
		})
	}
}

// An Ed25519 key verifies an RFC 9421 signature made with it, through the
// whole policy.
func TestVerifyRequest9421Ed25519(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	body := []byte(`{"type":"Like"}`)
	srvGot := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		srvGot <- received{r, b}
	}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Digest", "sha-512=:"+base64.StdEncoding.EncodeToString(sha512Sum(body))+":")
	input := `sig1=("@method" "@target-uri" "content-digest");created=` + itoa(now.Unix()) + `;keyid="https://a.example/actor#ed25519-key";alg="ed25519"`
	req.Header.Set("Signature-Input", input)
	base := `"@method": POST` + "\n" + `"@target-uri": ` + srv.URL + "/inbox\n" + `"content-digest": ` + req.Header.Get("Content-Digest") + "\n" + `"@signature-params": ` + strings.TrimPrefix(input, "sig1=")
	req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(base)))+":")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := <-srvGot
	_, owner, err := VerifyRequest(context.Background(), got.r, got.body, now, func(context.Context, string, bool) (string, crypto.PublicKey, error) {
		return "https://a.example/actor", pub, nil
	})
	if err != nil || owner != "https://a.example/actor" {
		t.Fatalf("owner %q, err %v", owner, err)
	}
}

// FuzzParse9421: the parser never panics, and what it accepts has a key
// id, a creation time, distinct lower-case components and a signature.
func FuzzParse9421(f *testing.F) {
	f.Add(b26Input, b26Signature)
	f.Add(`sig1=("@method" "@target-uri" "content-digest");created=1700000000;keyid="https://a.example/actor#main-key";alg="rsa-v1_5-sha256"`, `sig1=:c2ln:`)
	f.Add(`sig1=("@method");created=1;keyid="k", sig1=("@path");created=2;keyid="k"`, `sig1=:c2ln:`)
	f.Add(`sig1=("@method";req);created=1;keyid="k"`, `sig1=:c2ln:`)
	f.Add(`sig1=("@method" "@method");created=1;keyid="k"`, `sig1=:c2ln:, sig2=:c2ln:`)
	f.Add(``, ``)
	f.Fuzz(func(t *testing.T, input, sig string) {
		h := http.Header{}
		h.Set("Signature-Input", input)
		h.Set("Signature", sig)
		s, err := parse9421(h)
		if err != nil {
			return
		}
		if s.keyID == "" || s.created <= 0 || len(s.signature) == 0 || !strings.HasPrefix(s.params, "(") {
			t.Fatalf("accepted an incomplete signature: %+v", s)
		}
		seen := map[string]bool{}
		for _, c := range s.components {
			if c == "" || c != strings.ToLower(c) || seen[c] {
				t.Fatalf("accepted components %q", s.components)
			}
			seen[c] = true
		}
	})
}

// FuzzVerifyRequest9421: a signed delivery whose Signature-Input is
// replaced by fuzzed text verifies only if that text still covers what
// the policy requires, and the verifier never panics.
func FuzzVerifyRequest9421(f *testing.F) {
	key := SigningKey{ID: "https://a.example/actor#main-key", Private: testKey(f, 0)}
	body := []byte(`{"type":"Follow"}`)
	now := time.Now()
	req, _ := http.NewRequest("POST", "http://commons.example/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := SignRequest9421(req, body, key, now); err != nil {
		f.Fatal(err)
	}
	orig := req.Header.Get("Signature-Input")
	f.Add(orig)
	f.Add(strings.Replace(orig, ` "content-digest"`, "", 1))
	f.Add(orig + `;created=1`)
	f.Add(orig + `, sig2=("@method");created=1;keyid="x"`)
	resolve := func(context.Context, string, bool) (string, crypto.PublicKey, error) {
		return "https://a.example/actor", &testKey(f, 0).PublicKey, nil
	}
	f.Fuzz(func(t *testing.T, input string) {
		r := httptest.NewRequest("POST", "http://commons.example/inbox", bytes.NewReader(body))
		for k, v := range req.Header {
			r.Header[k] = v
		}
		r.Header.Set("Signature-Input", input)
		_, _, err := verifyRequest(context.Background(), r, body, now, "http", resolve)
		if err == nil {
			s, perr := parse9421(r.Header)
			if perr != nil {
				t.Fatalf("verified a header the parser refuses: %v", perr)
			}
			for _, c := range []string{"@method", "content-digest"} {
				if !strings.Contains(s.params, `"`+c+`"`) {
					t.Fatalf("verified a signature that does not cover %s: %q", c, input)
				}
			}
		}
	})
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
func sha512Sum(b []byte) []byte { s := sha512.Sum512(b); return s[:] }
func itoa(n int64) string       { return strconv.FormatInt(n, 10) }

// The Content-Digest of the RFC 9421 test request's body, as RFC 9421
// appendix B.2 gives it.
func TestCheckContentDigest(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	ok := []string{
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, md5=:AAAA:",
	}
	for _, v := range ok {
		if err := checkContentDigest(http.Header{"Content-Digest": {v}}, body); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	bad := map[string]string{
		"sha-256=:Y48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:":                 "does not match",
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:AAAA:": "sha-512 does not match",
		"md5=:AAAA:": "no sha-256 or sha-512",
		"sha-256=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:": "ambiguous",
		"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=":                   "Content-Digest",
	}
	for v, want := range bad {
		if err := checkContentDigest(http.Header{"Content-Digest": {v}}, body); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", v, err, want)
		}
	}
}
