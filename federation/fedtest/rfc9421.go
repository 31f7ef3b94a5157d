package fedtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RFC 9421 HTTP Message Signatures, written here from the RFC as Mastodon
// applies it (one signature; created and keyid; @method, @target-uri and
// content-digest covered; rsa-v1_5-sha256), independently of the code
// under test.

// What the peer's inbox does with each kind of signature (Inbox9421).
const (
	Inbox9421Refused  = ""     // draft-cavage only; RFC 9421 answered 401, as most servers today
	Inbox9421Accepted = "both" // both, as Mastodon 4.4 and later
	Inbox9421Only     = "only" // RFC 9421 only; draft-cavage answered 401
)

// Signature schemes, as Delivery.Scheme names them.
const (
	SchemeCavage  = "draft-cavage"
	SchemeRFC9421 = "rfc9421"
)

// sign9421 signs req with RFC 9421: sig1 over @method, @target-uri and,
// with a body, content-digest (sha-256), with created and keyid.
func (p *Peer) sign9421(req *http.Request, body []byte) error {
	components := `"@method" "@target-uri"`
	if body != nil {
		sum := sha256.Sum256(body)
		req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
		components += ` "content-digest"`
	}
	params := fmt.Sprintf(`(%s);created=%d;keyid="%s"`, components, p.Now().Unix(), p.KeyID())
	base := fmt.Sprintf("\"@method\": %s\n\"@target-uri\": %s\n", req.Method, req.URL.String())
	if body != nil {
		base += "\"content-digest\": " + req.Header.Get("Content-Digest") + "\n"
	}
	base += "\"@signature-params\": " + params
	sum := sha256.Sum256([]byte(base))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.Key, crypto.SHA256, sum[:])
	if err != nil {
		return err
	}
	req.Header.Set("Signature-Input", "sig1="+params)
	req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return nil
}

var (
	sigInputRE = regexp.MustCompile(`^([a-z][a-z0-9_-]*)=(\(((?:"[^"]+" ?)*)\)((?:;[a-z]+=(?:"[^"]*"|[0-9]+))*))$`)
	sigRE      = regexp.MustCompile(`^([a-z][a-z0-9_-]*)=:([A-Za-z0-9+/=]+):$`)
	paramRE    = regexp.MustCompile(`;([a-z]+)=("[^"]*"|[0-9]+)`)
)

// verify9421 checks an RFC 9421 delivery as Mastodon does: one
// signature, covering @method, @target-uri and content-digest (on POST),
// created within an hour, Content-Digest matching the body, verified
// with the key keyid names.
func (p *Peer) verify9421(r *http.Request, body []byte) (string, error) {
	in := sigInputRE.FindStringSubmatch(r.Header.Get("Signature-Input"))
	sg := sigRE.FindStringSubmatch(r.Header.Get("Signature"))
	if in == nil || sg == nil || in[1] != sg[1] || len(r.Header.Values("Signature-Input")) != 1 || len(r.Header.Values("Signature")) != 1 {
		return "", fmt.Errorf("malformed RFC 9421 signature")
	}
	var components []string
	for _, c := range strings.Fields(in[3]) {
		components = append(components, strings.Trim(c, `"`))
	}
	params := map[string]string{}
	for _, m := range paramRE.FindAllStringSubmatch(in[4], -1) {
		params[m[1]] = strings.Trim(m[2], `"`)
	}
	keyID := params["keyid"]
	required := []string{"@method", "@target-uri"}
	if r.Method == http.MethodPost {
		required = append(required, "content-digest")
	}
	for _, c := range required {
		if !slices.Contains(components, c) {
			return keyID, fmt.Errorf("%s not signed", c)
		}
	}
	created, err := strconv.ParseInt(params["created"], 10, 64)
	if err != nil || time.Since(time.Unix(created, 0)).Abs() > time.Hour {
		return keyID, fmt.Errorf("bad created %q", params["created"])
	}
	if slices.Contains(components, "content-digest") {
		sum := sha256.Sum256(body)
		if !slices.Contains(strings.Split(r.Header.Get("Content-Digest"), ", "), "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":") {
			return keyID, fmt.Errorf("content digest mismatch")
		}
	}
	var base strings.Builder
	for _, c := range components {
		var v string
		switch c {
		case "@method":
			v = r.Method
		case "@target-uri":
			v = "http://" + r.Host + r.URL.RequestURI()
		case "@authority":
			v = r.Host
		case "@path":
			v = r.URL.EscapedPath()
		default:
			v = strings.Join(r.Header.Values(c), ", ")
		}
		fmt.Fprintf(&base, "\"%s\": %s\n", c, v)
	}
	base.WriteString("\"@signature-params\": " + in[2])
	sig, err := base64.StdEncoding.DecodeString(sg[2])
	if err != nil {
		return keyID, err
	}
	sum := sha256.Sum256([]byte(base.String()))
	p.mu.Lock()
	pub, cached := p.keys[keyID]
	p.mu.Unlock()
	if cached && rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil {
		return keyID, nil
	}
	pub, err = p.fetchKey(r.Context(), keyID)
	if err != nil {
		return keyID, err
	}
	p.mu.Lock()
	p.keys[keyID] = pub
	p.mu.Unlock()
	return keyID, rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
}
