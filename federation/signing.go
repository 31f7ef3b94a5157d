package federation

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-fed/httpsig"

	"github.com/commons-directory/commons"
)

// This file wraps go-fed/httpsig, which computes and checks the signature
// string but verifies none of the digest, the date or the list of signed
// headers itself (see FEDERATION.md). Everything it leaves out is here.

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
type KeyResolver func(ctx context.Context, keyID string, refresh bool) (owner string, key *rsa.PublicKey, err error)

// sigParams are the parameters of a draft-cavage Signature header.
type sigParams struct {
	keyID, algorithm, signature string
	headers                     []string
}

// VerifyRequest checks a signed request completely and returns the key id
// and its owner. It requires a draft-cavage signature with algorithm
// rsa-sha256 or hs2019 over at least (request-target), host and date, plus
// digest when the request has a body; a Date within MaxClockSkew of now; a
// Digest (SHA-256) that matches body; and a valid RSA signature by the key
// the resolver returns, refetched once if the cached key fails. Every
// failure is an EUNAUTHORIZED *commons.Error whose message says why, for
// the 401 answer.
func VerifyRequest(ctx context.Context, r *http.Request, body []byte, now time.Time, resolve KeyResolver) (keyID, owner string, err error) {
	p, err := parseSignature(r.Header)
	if err != nil {
		return "", "", unauthorized("%s", err)
	}
	switch strings.ToLower(p.algorithm) {
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
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return "", "", unauthorized("Date header %q is not an HTTP date", r.Header.Get("Date"))
	}
	if skew := now.Sub(date); skew > MaxClockSkew || skew < -MaxClockSkew {
		return "", "", unauthorized("Date header %s is more than %s from our clock (%s)", date.Format(time.RFC3339), MaxClockSkew, now.UTC().Format(time.RFC3339))
	}
	if slices.Contains(p.headers, "digest") {
		if err := checkDigest(r.Header.Values("Digest"), body); err != nil {
			return "", "", unauthorized("%s", err)
		}
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return "", "", unauthorized("signature: %s", err)
	}
	for _, refresh := range []bool{false, true} {
		owner, key, err := resolve(ctx, p.keyID, refresh)
		if err != nil {
			return p.keyID, "", err
		}
		if err := v.Verify(key, httpsig.RSA_SHA256); err == nil {
			return p.keyID, owner, nil
		}
	}
	return p.keyID, "", unauthorized("signature does not verify with key %s", p.keyID)
}

// parseSignature reads the Signature header (or Authorization: Signature).
func parseSignature(h http.Header) (sigParams, error) {
	raw := h.Get("Signature")
	if raw == "" {
		if a := h.Get("Authorization"); strings.HasPrefix(a, "Signature ") {
			raw = strings.TrimPrefix(a, "Signature ")
		}
	}
	if raw == "" {
		return sigParams{}, fmt.Errorf("the request is not signed: no Signature header")
	}
	var p sigParams
	headers := "date" // the draft's default
	for raw != "" {
		var kv string
		kv, raw = splitParam(raw)
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, fmt.Errorf("malformed parameter %q in the Signature header", kv)
		}
		v = strings.Trim(v, `"`)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "keyid":
			p.keyID = v
		case "algorithm":
			p.algorithm = v
		case "headers":
			headers = v
		case "signature":
			p.signature = v
		}
	}
	if p.keyID == "" || p.signature == "" {
		return p, fmt.Errorf("the Signature header lacks keyId or signature")
	}
	p.headers = strings.Fields(strings.ToLower(headers))
	return p, nil
}

// splitParam returns the first comma-separated parameter and the rest,
// honouring quotes (a base64 signature contains no comma, but be exact).
func splitParam(s string) (string, string) {
	in := false
	for i, c := range s {
		switch {
		case c == '"':
			in = !in
		case c == ',' && !in:
			return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		}
	}
	return strings.TrimSpace(s), ""
}

// checkDigest verifies that a SHA-256 entry of the Digest header(s) matches
// body. The algorithm name is matched case-insensitively (RFC 3230).
func checkDigest(values []string, body []byte) error {
	sum := sha256.Sum256(body)
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
			return nil
		}
	}
	if len(values) == 0 {
		return fmt.Errorf("the Digest header is missing")
	}
	return fmt.Errorf("the Digest header has no SHA-256 entry")
}

func unauthorized(format string, args ...any) error {
	return commons.Errorf(commons.EUNAUTHORIZED, format, args...)
}
