package federation

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dunglas/httpsfv"
)

// HTTP Message Signatures (RFC 9421), beside draft-cavage (signing.go).
// A request carrying Signature-Input is verified as RFC 9421, with the
// Signature and Content-Digest (RFC 9530) headers parsed as structured
// fields (RFC 8941) by httpsfv. One signature per request, as Mastodon
// sends; algorithms rsa-v1_5-sha256 and ed25519.

// Algorithm names of RFC 9421 that we verify.
const (
	algRSAv15  = "rsa-v1_5-sha256"
	algEd25519 = "ed25519"
)

// sig9421 is the one parse of a request's Signature-Input and Signature.
type sig9421 struct {
	label      string
	components []string // covered component names, in order
	params     string   // the serialized inner list: the @signature-params value
	keyID, alg string
	created    int64
	expires    int64 // 0 when absent
	signature  []byte
}

// parse9421 reads the single signature of h. Both headers must be
// dictionaries in canonical form with one member and the same label: a
// repeated label or parameter, which a structured-field parser silently
// resolves to the last, is refused as ambiguous. Components are strings
// without parameters, each named once; the parameters are created and
// keyid (required), alg, expires, nonce and tag.
func parse9421(h http.Header) (*sig9421, error) {
	input, err := canonicalDict(h, "Signature-Input")
	if err != nil {
		return nil, err
	}
	sigs, err := canonicalDict(h, "Signature")
	if err != nil {
		return nil, err
	}
	if len(input.Names()) != 1 || len(sigs.Names()) != 1 || input.Names()[0] != sigs.Names()[0] {
		return nil, fmt.Errorf("Signature-Input and Signature must hold one signature each, under the same label (they have %q and %q)", input.Names(), sigs.Names())
	}
	s := &sig9421{label: input.Names()[0]}
	m, _ := input.Get(s.label)
	list, ok := m.(httpsfv.InnerList)
	if !ok {
		return nil, fmt.Errorf("Signature-Input %s is not a list of components", s.label)
	}
	for _, it := range list.Items {
		name, ok := it.Value.(string)
		if !ok || name == "" || name != strings.ToLower(name) || len(it.Params.Names()) > 0 {
			return nil, fmt.Errorf("Signature-Input %s: component %v is not a plain lower-case name (component parameters are not supported)", s.label, it.Value)
		}
		if slices.Contains(s.components, name) {
			return nil, fmt.Errorf("Signature-Input %s: component %q is listed twice", s.label, name)
		}
		s.components = append(s.components, name)
	}
	for _, p := range list.Params.Names() {
		v, _ := list.Params.Get(p)
		var ok bool
		switch p {
		case "created":
			s.created, ok = v.(int64)
		case "expires":
			s.expires, ok = v.(int64)
		case "keyid":
			s.keyID, ok = v.(string)
		case "alg":
			s.alg, ok = v.(string)
		case "nonce", "tag":
			_, ok = v.(string)
		default:
			return nil, fmt.Errorf("Signature-Input %s: unknown parameter %q", s.label, p)
		}
		if !ok {
			return nil, fmt.Errorf("Signature-Input %s: parameter %s has the wrong type", s.label, p)
		}
	}
	switch {
	case s.keyID == "":
		return nil, fmt.Errorf("Signature-Input %s: keyid is required", s.label)
	case s.created <= 0:
		return nil, fmt.Errorf("Signature-Input %s: created is required", s.label)
	case s.alg != "" && s.alg != algRSAv15 && s.alg != algEd25519:
		return nil, fmt.Errorf("Signature-Input %s: algorithm %q is not supported; use %s or %s", s.label, s.alg, algRSAv15, algEd25519)
	}
	one := httpsfv.NewDictionary()
	one.Add(s.label, list)
	ser, err := httpsfv.Marshal(one)
	if err != nil {
		return nil, fmt.Errorf("Signature-Input: %v", err)
	}
	s.params = strings.TrimPrefix(ser, s.label+"=")
	sm, _ := sigs.Get(s.label)
	item, ok := sm.(httpsfv.Item)
	if b, isBytes := item.Value.([]byte); ok && isBytes && len(b) > 0 {
		s.signature = b
	} else {
		return nil, fmt.Errorf("the Signature %s is not a byte sequence", s.label)
	}
	return s, nil
}

// canonicalDict parses the header name as a structured-field dictionary
// and requires it to be written as httpsfv writes it back, lines joined by
// commas: so nothing in it is repeated or read two ways.
func canonicalDict(h http.Header, name string) (*httpsfv.Dictionary, error) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return nil, fmt.Errorf("the %s header is missing", name)
	}
	d, err := httpsfv.UnmarshalDictionary(vs)
	if err != nil {
		return nil, fmt.Errorf("%s header: %v", name, err)
	}
	ser, err := httpsfv.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("%s header: %v", name, err)
	}
	joined := make([]string, len(vs))
	for i, v := range vs {
		joined[i] = strings.TrimSpace(v)
	}
	if strings.Join(joined, ", ") != ser {
		return nil, fmt.Errorf("%s header is ambiguous (a repeated label or parameter, or not in canonical form): send %q", name, clip(ser))
	}
	return d, nil
}

// base builds the signature base of RFC 9421 section 2.5 for r, received
// on scheme, from the parsed components alone.
func (s *sig9421) base(r *http.Request, scheme string) (string, error) {
	target := requestTarget(r)
	path, query, _ := strings.Cut(target, "?")
	var b strings.Builder
	for _, c := range s.components {
		var v string
		switch c {
		case "@method":
			v = r.Method
		case "@target-uri":
			v = scheme + "://" + r.Host + target
		case "@authority":
			v = normalHost(r.Host, scheme)
		case "@scheme":
			v = scheme
		case "@request-target":
			v = target
		case "@path":
			v = path
			if v == "" {
				v = "/"
			}
		case "@query":
			v = "?" + query
		case "host":
			v = r.Host
		default:
			if strings.HasPrefix(c, "@") {
				return "", fmt.Errorf("Signature-Input %s: component %q is not supported", s.label, c)
			}
			vs := r.Header.Values(c)
			if len(vs) == 0 {
				return "", fmt.Errorf("the signed header %q is missing", c)
			}
			for j := range vs {
				vs[j] = strings.TrimSpace(vs[j])
			}
			v = strings.Join(vs, ", ")
		}
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("component %q has a line break", c)
		}
		fmt.Fprintf(&b, "%q: %s\n", c, v)
	}
	fmt.Fprintf(&b, "%q: %s", "@signature-params", s.params)
	return b.String(), nil
}

// verify9421Key checks sig over base with key, by alg (or by the key's
// type when alg is empty).
func verify9421Key(key crypto.PublicKey, alg string, base, sig []byte) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if alg != "" && alg != algRSAv15 {
			return fmt.Errorf("the key is RSA, the signature says %s", alg)
		}
		sum := sha256.Sum256(base)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig)
	case ed25519.PublicKey:
		if alg != "" && alg != algEd25519 {
			return fmt.Errorf("the key is Ed25519, the signature says %s", alg)
		}
		if !ed25519.Verify(k, base, sig) {
			return fmt.Errorf("invalid signature")
		}
		return nil
	}
	return fmt.Errorf("unsupported key type %T", key)
}

// verify9421 checks an RFC 9421 signed request completely, as
// VerifyRequest does a draft-cavage one: the signature must cover @method,
// and @target-uri or @authority and @path (and @query when there is a
// query), plus content-digest for a body; created must be within
// MaxClockSkew of now and expires not past; the Content-Digest must match
// the body; and the signature must verify with the key of its keyid,
// refetched once if the cached key fails.
func verify9421(ctx context.Context, r *http.Request, body []byte, now time.Time, scheme string, resolve KeyResolver) (keyID, owner string, err error) {
	s, err := parse9421(r.Header)
	if err != nil {
		return "", "", unauthorized("%s", err)
	}
	covers := func(c string) bool { return slices.Contains(s.components, c) }
	_, query, hasQuery := strings.Cut(requestTarget(r), "?")
	var missing []string
	if !covers("@method") {
		missing = append(missing, "@method")
	}
	if !covers("@target-uri") {
		for _, c := range []string{"@authority", "@path"} {
			if !covers(c) {
				missing = append(missing, c)
			}
		}
		if hasQuery && query != "" && !covers("@query") {
			missing = append(missing, "@query")
		}
	}
	if (r.Method == http.MethodPost || r.Method == http.MethodPut || len(body) > 0) && !covers("content-digest") {
		missing = append(missing, "content-digest")
	}
	if len(missing) > 0 {
		return "", "", unauthorized("signature %s does not cover %s (covered: %s)", s.label, strings.Join(missing, ", "), strings.Join(s.components, " "))
	}
	created := time.Unix(s.created, 0)
	if skew := now.Sub(created); skew > MaxClockSkew || skew < -MaxClockSkew {
		return "", "", unauthorized("signature created at %s, more than %s from our clock (%s)", created.UTC().Format(time.RFC3339), MaxClockSkew, now.UTC().Format(time.RFC3339))
	}
	if s.expires != 0 && now.Unix() > s.expires {
		return "", "", unauthorized("signature expired at %s", time.Unix(s.expires, 0).UTC().Format(time.RFC3339))
	}
	if covers("content-digest") || len(body) > 0 {
		if err := checkContentDigest(r.Header, body); err != nil {
			return "", "", unauthorized("%s", err)
		}
	}
	base, err := s.base(r, scheme)
	if err != nil {
		return "", "", unauthorized("%s", err)
	}
	for _, refresh := range []bool{false, true} {
		owner, key, err := resolve(ctx, s.keyID, refresh)
		if err != nil {
			return s.keyID, "", err
		}
		if verify9421Key(key, s.alg, []byte(base), s.signature) == nil {
			return s.keyID, owner, nil
		}
	}
	return s.keyID, "", unauthorized("signature %s does not verify with key %s", s.label, s.keyID)
}

// checkContentDigest verifies the Content-Digest header (RFC 9530)
// against body: its sha-256 and sha-512 entries must all match, and there
// must be one; other algorithms are ignored.
func checkContentDigest(h http.Header, body []byte) error {
	d, err := canonicalDict(h, "Content-Digest")
	if err != nil {
		return err
	}
	found := false
	for _, name := range d.Names() {
		var want []byte
		switch name {
		case "sha-256":
			s := sha256.Sum256(body)
			want = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			want = s[:]
		default:
			continue
		}
		m, _ := d.Get(name)
		it, ok := m.(httpsfv.Item)
		got, isBytes := it.Value.([]byte)
		if !ok || !isBytes || subtle.ConstantTimeCompare(got, want) != 1 {
			return fmt.Errorf("Content-Digest %s does not match the body", name)
		}
		found = true
	}
	if !found {
		return fmt.Errorf("Content-Digest has no sha-256 or sha-512 entry")
	}
	return nil
}

// SignRequest9421 signs req with an RFC 9421 signature by key
// (rsa-v1_5-sha256): over @method, @target-uri and, when body is not nil,
// content-type and content-digest (set here, sha-256), with created and
// keyid. It also sets Host and Date, and removes any draft-cavage
// Signature or Digest.
func SignRequest9421(req *http.Request, body []byte, key SigningKey, now time.Time) error {
	req.Host = req.URL.Host
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	req.Header.Del("Digest")
	components := []string{"@method", "@target-uri"}
	if body != nil {
		sum := sha256.Sum256(body)
		cd := httpsfv.NewDictionary()
		cd.Add("sha-256", httpsfv.NewItem(sum[:]))
		v, err := httpsfv.Marshal(cd)
		if err != nil {
			return err
		}
		req.Header.Set("Content-Digest", v)
		components = append(components, "content-digest")
		if req.Header.Get("Content-Type") != "" {
			components = append(components, "content-type")
		}
	}
	items := make([]httpsfv.Item, len(components))
	for i, c := range components {
		items[i] = httpsfv.NewItem(c)
	}
	params := httpsfv.NewParams()
	params.Add("created", now.Unix())
	params.Add("keyid", key.ID)
	params.Add("alg", algRSAv15)
	input := httpsfv.NewDictionary()
	input.Add("sig1", httpsfv.InnerList{Items: items, Params: params})
	in, err := httpsfv.Marshal(input)
	if err != nil {
		return err
	}
	req.Header.Set("Signature-Input", in)
	req.Header.Del("Signature")
	s := &sig9421{label: "sig1", components: components, params: strings.TrimPrefix(in, "sig1=")}
	scheme := req.URL.Scheme
	out := &http.Request{Method: req.Method, Host: req.Host, Header: req.Header, RequestURI: req.URL.RequestURI(), URL: &url.URL{Path: req.URL.Path, RawQuery: req.URL.RawQuery}}
	base, err := s.base(out, scheme)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(base))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key.Private, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("sign %s %s: %w", req.Method, req.URL, err)
	}
	sd := httpsfv.NewDictionary()
	sd.Add("sig1", httpsfv.NewItem(sig))
	sv, err := httpsfv.Marshal(sd)
	if err != nil {
		return err
	}
	req.Header.Set("Signature", sv)
	return nil
}

// is9421 reports whether a request carries an RFC 9421 signature.
func is9421(h http.Header) bool { return len(h.Values("Signature-Input")) > 0 }
