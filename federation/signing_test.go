package federation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

var (
	testKeyOnce sync.Once
	testKeys    [2]*rsa.PrivateKey
)

// testKey returns one of two RSA-2048 keys generated once per test binary.
func testKey(t testing.TB, i int) *rsa.PrivateKey {
	testKeyOnce.Do(func() {
		for j := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[j] = k
		}
	})
	return testKeys[i]
}

// received captures what a real HTTP server got, so verification runs on a
// server-side request as the inbox sees it.
type received struct {
	r    *http.Request
	body []byte
}

func roundTrip(t *testing.T, mutate func(*http.Request, []byte) []byte, method string, body []byte, key SigningKey, at time.Time) received {
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
	req, _ := http.NewRequest(method, srv.URL+"/records/osm/inbox", rd)
	if err := SignRequest(req, body, key, at); err != nil {
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

func TestVerifyRequest(t *testing.T) {
	now := time.Now()
	const actor = "https://mastodon.example/users/alice"
	key := SigningKey{ID: actor + "#main-key", Private: testKey(t, 0)}
	resolver := func(pub *rsa.PublicKey) KeyResolver {
		return func(_ context.Context, id string, _ bool) (string, crypto.PublicKey, error) {
			if id != key.ID {
				return "", nil, commons.Errorf(commons.EUNAUTHORIZED, "unknown key %s", id)
			}
			return actor, pub, nil
		}
	}
	good := resolver(&testKey(t, 0).PublicKey)
	body := []byte(`{"type":"Follow"}`)

	tests := []struct {
		name    string
		method  string
		body    []byte
		at      time.Time
		mutate  func(*http.Request, []byte) []byte
		resolve KeyResolver
		want    string // "" = accepted, else part of the reason
	}{
		{"PostOK", "POST", body, now, nil, good, ""},
		{"GetOK", "GET", nil, now, nil, good, ""},
		{"RSASHA256Label", "POST", body, now, func(r *http.Request, _ []byte) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
			return nil
		}, good, ""},
		{"Unsigned", "POST", body, now, func(r *http.Request, _ []byte) []byte { r.Header.Del("Signature"); return nil }, good, "not signed"},
		{"WrongDigest", "POST", body, now, func(r *http.Request, _ []byte) []byte { return []byte(`{"type":"Delete"}`) }, good, "Digest header does not match"},
		{"StaleDate", "POST", body, now.Add(-2 * time.Hour), nil, good, "from our clock"},
		{"FutureDate", "POST", body, now.Add(2 * time.Hour), nil, good, "from our clock"},
		{"NoDigestSigned", "POST", body, now, func(r *http.Request, _ []byte) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), ` digest"`, `"`, 1))
			return nil
		}, good, `does not cover "digest"`},
		{"NoHostSigned", "GET", nil, now, func(r *http.Request, _ []byte) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), ` host`, ``, 1))
			return nil
		}, good, `does not cover "host"`},
		{"BadAlgorithm", "POST", body, now, func(r *http.Request, _ []byte) []byte {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `hs2019`, `hmac-sha256`, 1))
			return nil
		}, good, "not supported"},
		{"WrongKey", "POST", body, now, nil, resolver(&testKey(t, 1).PublicKey), "does not verify"},
		{"TamperedSignedHeader", "POST", body, now, func(r *http.Request, _ []byte) []byte {
			r.Header.Set("Date", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
			return nil
		}, good, "does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, tt.mutate, tt.method, tt.body, key, tt.at)
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

// A rotated key: the cached key fails, the resolver is asked again with
// refresh and the fresh key verifies.
func TestVerifyRequestRefreshesKey(t *testing.T) {
	key := SigningKey{ID: "https://a.example/actor#main-key", Private: testKey(t, 1)}
	got := roundTrip(t, nil, "POST", []byte("{}"), key, time.Now())
	var refreshed bool
	_, _, err := VerifyRequest(context.Background(), got.r, got.body, time.Now(), func(_ context.Context, _ string, refresh bool) (string, crypto.PublicKey, error) {
		if refresh {
			refreshed = true
			return "https://a.example/actor", &testKey(t, 1).PublicKey, nil
		}
		return "https://a.example/actor", &testKey(t, 0).PublicKey, nil
	})
	if err != nil || !refreshed {
		t.Fatalf("err %v, refreshed %v", err, refreshed)
	}
	// A resolver error is passed through as it is.
	boom := errors.New("fetch failed")
	_, _, err = VerifyRequest(context.Background(), got.r, got.body, time.Now(), func(context.Context, string, bool) (string, crypto.PublicKey, error) {
		return "", nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckDigestCaseInsensitive(t *testing.T) {
	body := []byte("hello")
	// echo -n hello | openssl dgst -sha256 -binary | base64
	const b64 = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
	for _, h := range []string{"SHA-256=" + b64, "sha-256=" + b64, "SHA-512=xxx, SHA-256=" + b64} {
		if err := checkDigest([]string{h}, body); err != nil {
			t.Errorf("%q: %v", h, err)
		}
	}
	if err := checkDigest([]string{"SHA-512=abc"}, body); err == nil {
		t.Error("no SHA-256 entry accepted")
	}
}

func TestParseCavage(t *testing.T) {
	const ok = `keyId="https://a.example/actor#main-key",algorithm="hs2019",headers="(request-target) host date digest",signature="c2lnbmF0dXJl"`
	p, err := parseCavage(ok)
	if err != nil || p.keyID != "https://a.example/actor#main-key" || strings.Join(p.headers, "|") != "(request-target)|host|date|digest" || string(p.signature) != "signature" {
		t.Fatalf("%+v, %v", p, err)
	}
	if _, err := parseCavage(`keyId="k", headers="(created) date" , created=1700000000,signature="c2ln"`); err != nil {
		t.Errorf("spaces around commas and a bare created: %v", err)
	}
	bad := []struct{ raw, want string }{
		{`keyId="k",headers="date",signature="c2ln",headers="(request-target) host date digest"`, "headers appears twice"},
		{`keyId="k",keyId="j",headers="date",signature="c2ln"`, "keyId appears twice"},
		{`keyId="k",Headers="(request-target) host date digest",headers="date",signature="c2ln"`, `unknown parameter "Headers"`},
		{`keyid="k",headers="date",signature="c2ln"`, `unknown parameter "keyid"`},
		{`keyId="k",signature="c2ln"`, "headers is required"},
		{`keyId="k",headers="",signature="c2ln"`, "headers is required"},
		{`keyId="k",headers="host  date",signature="c2ln"`, "single spaces"},
		{`keyId="k",headers=" date",signature="c2ln"`, "single spaces"},
		{`keyId="k",headers="Date",signature="c2ln"`, "not a lower-case header name"},
		{`keyId="k",headers="date date",signature="c2ln"`, "listed twice"},
		{`keyId="k",headers="(created) date",signature="c2ln"`, "(created) or (expires) without"},
		{`keyId=k,headers="date",signature="c2ln"`, "must be quoted"},
		{`keyId="k",headers="date",signature="c2ln",`, "malformed parameter"},
		{`keyId="k";headers="date",signature="c2ln"`, "expected a comma"},
		{`keyId="k",headers="date",signature="c2ln`, "unterminated"},
		{`keyId="k\"",headers="date",signature="c2ln"`, "escapes"},
		{`keyId="k",headers="date",signature="not base64!"`, "not base64"},
		{`keyId="k",headers="date",signature="c2ln",created=12x`, "expected a comma"},
		{`headers="date",signature="c2ln"`, "keyId is required"},
		{``, "malformed parameter"},
	}
	for _, b := range bad {
		if _, err := parseCavage(b.raw); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: err %v, want %q", b.raw, err, b.want)
		}
	}
}

// Two Signature headers, or one and an Authorization: Signature, are
// ambiguous.
func TestSignatureHeaderAmbiguous(t *testing.T) {
	h := http.Header{}
	h.Add("Signature", `keyId="a"`)
	h.Add("Authorization", `Signature keyId="b"`)
	if _, err := signatureHeader(h); err == nil || !strings.Contains(err.Error(), "2 signatures") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckHost(t *testing.T) {
	for _, c := range []struct {
		host, want, scheme string
		ok                 bool
	}{
		{"commons.example", "commons.example", "https", true},
		{"Commons.Example.", "commons.example", "https", true},
		{"commons.example:443", "commons.example", "https", true},
		{"127.0.0.1:8080", "127.0.0.1:8080", "http", true},
		{"[::1]:8080", "[::1]:8080", "http", true},
		{"commons.example:8443", "commons.example", "https", false},
		{"other.example", "commons.example", "https", false},
		{"", "commons.example", "https", false},
		{"commons.example.evil", "commons.example", "https", false},
	} {
		r := &http.Request{Host: c.host}
		err := CheckHost(r, c.want, c.scheme)
		if (err == nil) != c.ok || (err != nil && commons.ErrorCode(err) != commons.EMISDIRECTED) {
			t.Errorf("Host %q for %s: %v", c.host, c.want, err)
		}
	}
}

// FuzzParseCavage: the parser never panics, and what it accepts it
// accepts for a reason that holds: a key id, a non-empty list of distinct
// lower-case names, and signature bytes.
func FuzzParseCavage(f *testing.F) {
	for _, s := range []string{
		`keyId="https://a.example/actor#main-key",algorithm="hs2019",headers="(request-target) host date digest",signature="c2lnbmF0dXJl"`,
		`keyId="k",headers="(created) (expires) date",created=1700000000,expires="1700000600",signature="c2ln"`,
		`keyId="k",headers="date",signature="c2ln",headers="(request-target) host date digest"`,
		`keyId="k",Headers="x",signature="c2ln"`,
		`keyId="k" , headers="a b" ,signature="c2ln"`,
		`keyId="k\"",headers="date",signature="c2ln"`,
		`=,=,`, `"`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseCavage(raw)
		if err != nil {
			return
		}
		if p.keyID == "" || len(p.headers) == 0 || len(p.signature) == 0 {
			t.Fatalf("accepted an incomplete header: %+v", p)
		}
		seen := map[string]bool{}
		for _, h := range p.headers {
			if h == "" || h != strings.ToLower(h) || seen[h] {
				t.Fatalf("accepted header list %q", p.headers)
			}
			seen[h] = true
		}
	})
}

// FuzzVerifyRequest: a signed request whose Signature header is replaced
// by fuzzed text never verifies unless the text is the original, and the
// verifier never panics.
func FuzzVerifyRequest(f *testing.F) {
	key := SigningKey{ID: "https://a.example/actor#main-key", Private: testKey(f, 0)}
	body := []byte(`{"type":"Follow"}`)
	now := time.Now()
	req, _ := http.NewRequest("POST", "http://commons.example/inbox", bytes.NewReader(body))
	if err := SignRequest(req, body, key, now); err != nil {
		f.Fatal(err)
	}
	orig := req.Header.Get("Signature")
	f.Add(orig)
	f.Add(strings.Replace(orig, `headers="(request-target) host date digest"`, `headers="date"`, 1))
	f.Add(orig + `,headers="date"`)
	f.Add(strings.Replace(orig, `keyId=`, `keyid=`, 1))
	resolve := func(context.Context, string, bool) (string, crypto.PublicKey, error) {
		return "https://a.example/actor", &testKey(f, 0).PublicKey, nil
	}
	f.Fuzz(func(t *testing.T, sig string) {
		r := httptest.NewRequest("POST", "http://commons.example/inbox", bytes.NewReader(body))
		for k, v := range req.Header {
			r.Header[k] = v
		}
		r.Header.Set("Signature", sig)
		_, _, err := VerifyRequest(context.Background(), r, body, now, resolve)
		if err == nil {
			p, perr := parseCavage(sig)
			if perr != nil {
				t.Fatalf("verified a header the parser refuses: %v", perr)
			}
			for _, h := range []string{"(request-target)", "host", "date", "digest"} {
				if !slices.Contains(p.headers, h) {
					t.Fatalf("verified a signature that does not cover %s: %q", h, sig)
				}
			}
		}
	})
}
