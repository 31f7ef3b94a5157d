package federation

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-fed/httpsig"

	"github.com/commons-directory/commons"
)

// Outgoing requests are signed with go-fed/httpsig. Incoming ones are
// verified here from one strict parse of the Signature header: the list
// of headers checked is the list the signing string is built from.

// MaxClockSkew is how far a signed request's Date may be from our clock,
// either way.
const MaxClockSkew = time.Hour

// SigningKey is an actor's private key and the id under which peers find
// the public half (the actor IRI + "#main-key").
type SigningKey struct {
	ID      string
	Private *rsa.PrivateKey

	publicPEM string
}

// SignRequest sets Host, Date and, when body is not nil, Digest on req, then
// signs "(request-target) host date [digest]" with key. It builds a fresh
// signer on each call: httpsig signers are not safe for concurrent use.
func SignRequest(req *http.Request, body []byte, key SigningKey, now time.Time) error {
	req.Host = req.URL.Host
	req.Header.Set("Host", req.URL.Host)
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	headers := []string{httpsig.RequestTarget, "host", "date"}
	if body != nil {
		headers = append(headers, "digest")
		req.Header.Del("Digest")
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("new signer: %w", err)
	}
	if err := signer.SignRequest(key.Private, key.ID, req, body); err != nil {
		return fmt.Errorf("sign %s %s: %w", req.Method, req.URL, err)
	}
	return nil
}

// KeyResolver returns the owner (actor IRI) and public key of a key id.
// With refresh it must not answer from a cache: the owner may have rotated
// its key since the cached copy was taken.
// The key is an *rsa.PublicKey or, for RFC 9421 signatures, an
// ed25519.PublicKey.
type KeyResolver func(ctx context.Context, keyID string, refresh bool) (owner string, key crypto.PublicKey, err error)

// VerifyRequest checks a signed request completely and returns the key id
// and its owner. It requires a draft-cavage signature with algorithm
// rsa-sha256 or hs2019 (or none) over at least (request-target), host and
// date, plus digest when the request has a body; a Date within
// MaxClockSkew of now; a Digest (SHA-256) that matches body; and a valid
// RSA signature by the key the resolver returns, refetched once if the
// cached key fails. The Signature header is parsed once, strictly (see
// parseCavage), and the signing string is built from that parse alone.
// The caller checks that the request's Host is ours (CheckHost) before.
// Every failure is an EUNAUTHORIZED *commons.Error whose message says why,
// for the 401 answer.
//
// A request with a Signature-Input header is verified as RFC 9421 instead
// (see verify9421), never as both.
func VerifyRequest(ctx context.Context, r *http.Request, body []byte, now time.Time, resolve KeyResolver) (keyID, owner string, err error) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return verifyRequest(ctx, r, body, now, scheme, resolve)
}

// verifyRequest is VerifyRequest for a request received on scheme (that
// of our base URL, which a proxy in front may terminate).
func verifyRequest(ctx context.Context, r *http.Request, body []byte, now time.Time, scheme string, resolve KeyResolver) (keyID, owner string, err error) {
	if is9421(r.Header) {
		return verify9421(ctx, r, body, now, scheme, resolve)
	}
	raw, err := signatureHeader(r.Header)
	if err != nil {
		return "", "", unauthorized("%s", err)
	}
	p, err := parseCavage(raw)
	if err != nil {
		return "", "", unauthorized("Signature header: %s", err)
	}
	switch p.algorithm {
	case "", "hs2019", "rsa-sha256":
	default:
		return "", "", unauthorized("signature algorithm %q is not supported; use rsa-sha256 or hs2019", p.algorithm)
	}
	required := []string{"(request-target)", "host", "date"}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || len(body) > 0 {
		required = append(required, "digest")
	}
	for _, h := range required {
		if !slices.Contains(p.headers, h) {
			return "", "", unauthorized("signature does not cover %q (signed headers: %s)", h, strings.Join(p.headers, " "))
		}
	}
	if err := checkDate(r.Header, now); err != nil {
		return "", "", err
	}
	if p.expires != "" {
		if n, _ := strconv.ParseInt(p.expires, 10, 64); now.Unix() > n {
			return "", "", unauthorized("signature expired at %s", time.Unix(n, 0).UTC().Format(time.RFC3339))
		}
	}
	if p.created != "" {
		if n, _ := strconv.ParseInt(p.created, 10, 64); time.Unix(n, 0).Sub(now) > MaxClockSkew || now.Sub(time.Unix(n, 0)) > MaxClockSkew {
			return "", "", unauthorized("signature created at %s, more than %s from our clock", time.Unix(n, 0).UTC().Format(time.RFC3339), MaxClockSkew)
		}
	}
	if err := checkDigest(r.Header.Values("Digest"), body); err != nil {
		return "", "", unauthorized("%s", err)
	}
	signed, err := p.signingString(r)
	if err != nil {
		return "", "", unauthorized("%s", err)
	}
	sum := sha256.Sum256([]byte(signed))
	for _, refresh := range []bool{false, true} {
		owner, key, err := resolve(ctx, p.keyID, refresh)
		if err != nil {
			return p.keyID, "", err
		}
		if k, ok := key.(*rsa.PublicKey); ok && rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], p.signature) == nil {
			return p.keyID, owner, nil
		}
	}
	return p.keyID, "", unauthorized("signature does not verify with key %s", p.keyID)
}

// checkDate requires exactly one Date header within MaxClockSkew of now.
func checkDate(h http.Header, now time.Time) error {
	vs := h.Values("Date")
	if len(vs) != 1 {
		return unauthorized("the request must have exactly one Date header (it has %d)", len(vs))
	}
	date, err := http.ParseTime(vs[0])
	if err != nil {
		return unauthorized("Date header %q is not an HTTP date", vs[0])
	}
	if skew := now.Sub(date); skew > MaxClockSkew || skew < -MaxClockSkew {
		return unauthorized("Date header %s is more than %s from our clock (%s)", date.Format(time.RFC3339), MaxClockSkew, now.UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckHost refuses (EMISDIRECTED, 421) a request whose Host — the
// header, or the authority of an absolute request line, which Go puts in
// r.Host — is not want, the host[:port] of our base URL: a delivery
// signed for another server must not be replayed here. Names compare
// case-insensitively, a trailing dot and the scheme's default port aside.
func CheckHost(r *http.Request, want, scheme string) error {
	if normalHost(r.Host, scheme) == normalHost(want, scheme) && r.Host != "" {
		return nil
	}
	return &commons.Error{Code: commons.EMISDIRECTED,
		Message: fmt.Sprintf("Host %q is not this server (%s): the request was meant for another one", r.Host, want),
		Fields:  []commons.FieldError{{Field: "Host", Message: fmt.Sprintf("must be %s", want)}}}
}

// normalHost lower-cases host[:port], drops a trailing dot from the name
// and the port when it is the scheme's default.
func normalHost(h, scheme string) string {
	h = strings.ToLower(h)
	name, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		name, port = h[:i], h[i+1:]
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	name = strings.TrimSuffix(name, ".")
	if port != "" {
		return name + ":" + port
	}
	return name
}

// signatureHeader returns the one draft-cavage signature of a request:
// the Signature header, or an Authorization: Signature header; several,
// or both, are ambiguous and refused.
func signatureHeader(h http.Header) (string, error) {
	var found []string
	found = append(found, h.Values("Signature")...)
	for _, a := range h.Values("Authorization") {
		if rest, ok := strings.CutPrefix(a, "Signature "); ok {
			found = append(found, rest)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("the request is not signed: no Signature header")
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("the request has %d signatures (Signature or Authorization headers); send one", len(found))
}

// cavageSig is the one parse of a draft-cavage Signature header.
type cavageSig struct {
	keyID, algorithm string
	headers          []string // lower-case, in signing order, no repeats
	signature        []byte
	created, expires string // decimal Unix times, "" when absent
}

// parseCavage parses a draft-cavage (version 12) Signature header value
// strictly: comma-separated name="value" parameters, each of keyId,
// algorithm, headers, signature, created and expires at most once (names
// exact, values quoted; created and expires may be bare digits); keyId,
// headers and signature required; headers a non-empty list of lower-case
// names separated by single spaces, none repeated; signature base64.
// Anything else — an unknown or repeated parameter, an empty headers
// list (the draft's silent default), a stray character — is refused, so
// that what is checked is exactly what is verified.
func parseCavage(raw string) (cavageSig, error) {
	var p cavageSig
	seen := map[string]bool{}
	var headers, sig string
	s := raw
	for {
		s = strings.TrimLeft(s, " \t")
		i := 0
		for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
			i++
		}
		name := s[:i]
		if name == "" || i >= len(s) || s[i] != '=' {
			return p, fmt.Errorf("malformed parameter at %q", clip(s))
		}
		s = s[i+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return p, fmt.Errorf("parameter %s: unterminated quoted value", name)
			}
			val, s = s[1:1+end], s[end+2:]
			if strings.ContainsAny(val, "\\\x00\r\n") {
				return p, fmt.Errorf("parameter %s: escapes and control characters are not allowed", name)
			}
		} else {
			j := 0
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == 0 || (name != "created" && name != "expires") {
				return p, fmt.Errorf("parameter %s: the value must be quoted", name)
			}
			val, s = s[:j], s[j:]
		}
		if seen[name] {
			return p, fmt.Errorf("parameter %s appears twice", name)
		}
		seen[name] = true
		switch name {
		case "keyId":
			p.keyID = val
		case "algorithm":
			p.algorithm = val
		case "headers":
			headers = val
		case "signature":
			sig = val
		case "created", "expires":
			if val == "" || strings.Trim(val, "0123456789") != "" || len(val) > 12 {
				return p, fmt.Errorf("parameter %s: %q is not a Unix time", name, val)
			}
			if name == "created" {
				p.created = val
			} else {
				p.expires = val
			}
		default:
			return p, fmt.Errorf("unknown parameter %q", name)
		}
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		if s[0] != ',' {
			return p, fmt.Errorf("expected a comma at %q", clip(s))
		}
		s = s[1:]
	}
	switch {
	case p.keyID == "":
		return p, fmt.Errorf("keyId is required")
	case sig == "":
		return p, fmt.Errorf("signature is required")
	case !seen["headers"] || headers == "":
		return p, fmt.Errorf("headers is required and must name the signed headers")
	}
	for _, h := range strings.Split(headers, " ") {
		switch {
		case h == "":
			return p, fmt.Errorf("headers %q: names are separated by single spaces", headers)
		case h != strings.ToLower(h) || strings.ContainsAny(h, "\t,:\"\\"):
			return p, fmt.Errorf("headers %q: %q is not a lower-case header name", headers, h)
		case slices.Contains(p.headers, h):
			return p, fmt.Errorf("headers %q: %q is listed twice", headers, h)
		}
		p.headers = append(p.headers, h)
	}
	if (slices.Contains(p.headers, "(created)") && p.created == "") || (slices.Contains(p.headers, "(expires)") && p.expires == "") {
		return p, fmt.Errorf("headers names (created) or (expires) without its parameter")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(sig)
	if err != nil || len(b) == 0 {
		return p, fmt.Errorf("signature is not base64")
	}
	p.signature = b
	return p, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// signingString builds the string the signature covers from the parsed
// header list, as draft-cavage section 2.3 says: one "name: value" line
// per entry, a header's several values joined by ", ". A signed header
// the request lacks is refused.
func (p cavageSig) signingString(r *http.Request) (string, error) {
	var b strings.Builder
	for i, h := range p.headers {
		if i > 0 {
			b.WriteByte('\n')
		}
		var v string
		switch h {
		case "(request-target)":
			v = strings.ToLower(r.Method) + " " + requestTarget(r)
		case "(created)":
			v = p.created
		case "(expires)":
			v = p.expires
		case "host":
			v = r.Host
		default:
			vs := r.Header.Values(h)
			if len(vs) == 0 {
				return "", fmt.Errorf("the signed header %q is missing", h)
			}
			for j := range vs {
				vs[j] = strings.TrimSpace(vs[j])
			}
			v = strings.Join(vs, ", ")
		}
		b.WriteString(h)
		b.WriteString(": ")
		b.WriteString(v)
	}
	return b.String(), nil
}

// requestTarget is the path and query of a request as its client sent
// them: the request line's target, or for an absolute-form request line
// its path and query.
func requestTarget(r *http.Request) string {
	t := r.RequestURI
	if t == "" {
		return r.URL.RequestURI()
	}
	if !strings.HasPrefix(t, "/") {
		if u, err := url.Parse(t); err == nil {
			return u.RequestURI()
		}
	}
	return t
}

// checkDigest verifies the Digest header(s) against body, when there is
// one: every SHA-256 entry must match, and there must be one. The
// algorithm name is matched case-insensitively (RFC 3230). Whether the
// digest is required is VerifyRequest's list of signed headers.
func checkDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return nil
	}
	sum := sha256.Sum256(body)
	found := false
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			algo, b64, ok := strings.Cut(strings.TrimSpace(d), "=")
			if !ok || !strings.EqualFold(algo, "SHA-256") {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || subtle.ConstantTimeCompare(got, sum[:]) != 1 {
				return fmt.Errorf("the Digest header does not match the body")
			}
			found = true
		}
	}
	if !found {
		return fmt.Errorf("the Digest header has no SHA-256 entry")
	}
	return nil
}

func unauthorized(format string, args ...any) error {
	return commons.Errorf(commons.EUNAUTHORIZED, format, args...)
}
