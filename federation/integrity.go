package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/mr-tron/base58"

	"github.com/commons-directory/commons"
)

// Object integrity proofs (FEP-8b32, cryptosuite eddsa-jcs-2022) let a
// record travel through a third instance and still be trusted: the origin
// signs each record document it publishes with the Ed25519 key of its
// instance actor, listed under assertionMethod (FEP-521a) as a Multikey;
// a copy keeps the document as received; an instance that reads a record
// from a peer which is not its origin checks the proof against the
// origin's key, fetched from the origin itself. An HTTP signature says who
// sent a request; a proof says who wrote a document, wherever it comes
// from.

// Names of the proof format.
const (
	proofType            = "DataIntegrityProof"
	proofCryptosuite     = "eddsa-jcs-2022"
	proofPurpose         = "assertionMethod"
	integrityKeyFragment = "#ed25519-key"
	dataIntegrityContext = "https://w3id.org/security/data-integrity/v2"
	multikeyContext      = "https://w3id.org/security/multikey/v1"
)

// multicodec prefixes of Ed25519 keys in multibase form.
var (
	ed25519PubPrefix  = []byte{0xed, 0x01}
	ed25519PrivPrefix = []byte{0x80, 0x26}
)

// integrityContext is the @context of a document that embeds signed
// record documents: ours and the data integrity vocabulary. The embedded
// documents have none of their own (they are signed without one, and a
// kilobyte of context repeated on each of a page's thousand records
// would be waste).
var integrityContext = append(append([]any(nil), ldContext...), dataIntegrityContext)

// withIntegrityContext is normalize for a document that embeds proofs.
func withIntegrityContext(m map[string]any) map[string]any {
	m = normalize(m)
	m["@context"] = integrityContext
	return m
}

// DeriveIntegrityKey derives an actor's Ed25519 key from its RSA key with
// HKDF-SHA-256, so the instance needs no second secret to store: the key
// changes when the RSA key does.
func DeriveIntegrityKey(k *rsa.PrivateKey) (ed25519.PrivateKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("derive integrity key: %w", err)
	}
	seed, err := hkdf.Key(sha256.New, der, nil, "commonsd FEP-8b32 instance key v1", ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("derive integrity key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// EncodeMultikey is the publicKeyMultibase of an Ed25519 public key.
func EncodeMultikey(pub ed25519.PublicKey) string {
	return "z" + base58.Encode(append(append([]byte(nil), ed25519PubPrefix...), pub...))
}

// DecodeMultikey reads an Ed25519 publicKeyMultibase.
func DecodeMultikey(s string) (ed25519.PublicKey, error) {
	b, err := decodeMultibase(s, ed25519PubPrefix, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("publicKeyMultibase: %w", err)
	}
	return ed25519.PublicKey(b), nil
}

// DecodeMultikeySecret reads an Ed25519 secret key in multibase form (the
// seed), as the FEP's test vectors give it.
func DecodeMultikeySecret(s string) (ed25519.PrivateKey, error) {
	b, err := decodeMultibase(s, ed25519PrivPrefix, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return ed25519.NewKeyFromSeed(b), nil
}

func decodeMultibase(s string, prefix []byte, size int) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, "z")
	if !ok {
		return nil, errors.New("not base58btc multibase (no leading z)")
	}
	b, err := base58.Decode(rest)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, prefix) || len(b) != len(prefix)+size {
		return nil, fmt.Errorf("not an Ed25519 key of %d bytes with multicodec prefix %x", size, prefix)
	}
	return b[len(prefix):], nil
}

// proofOptions is a proof without its value.
type proofOptions struct {
	Context            json.RawMessage `json:"@context,omitempty"`
	Type               string          `json:"type"`
	Cryptosuite        string          `json:"cryptosuite"`
	VerificationMethod string          `json:"verificationMethod"`
	ProofPurpose       string          `json:"proofPurpose"`
	Created            string          `json:"created"`
}

// proofHash is what eddsa-jcs-2022 signs: the SHA-256 of the canonical
// proof options followed by the SHA-256 of the canonical document.
func proofHash(opts proofOptions, doc []byte) ([]byte, error) {
	o, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	co, err := jcs.Transform(o)
	if err != nil {
		return nil, fmt.Errorf("canonicalise proof options: %w", err)
	}
	cd, err := jcs.Transform(doc)
	if err != nil {
		return nil, fmt.Errorf("canonicalise document: %w", err)
	}
	h1, h2 := sha256.Sum256(co), sha256.Sum256(cd)
	return append(h1[:], h2[:]...), nil
}

// SignObject returns doc, a JSON object without a proof, with a
// DataIntegrityProof by key appended. method is the key's IRI
// (verificationMethod). The proof repeats the document's @context, as
// eddsa-jcs-2022 now requires.
func SignObject(doc []byte, key ed25519.PrivateKey, method string, created time.Time) ([]byte, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) < 2 || doc[0] != '{' || doc[len(doc)-1] != '}' {
		return nil, errors.New("sign: the document is not a JSON object")
	}
	var head struct {
		Context json.RawMessage `json:"@context"`
		Proof   json.RawMessage `json:"proof"`
	}
	if err := json.Unmarshal(doc, &head); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if head.Proof != nil {
		return nil, errors.New("sign: the document has a proof already")
	}
	opts := proofOptions{Context: head.Context, Type: proofType, Cryptosuite: proofCryptosuite,
		VerificationMethod: method, ProofPurpose: proofPurpose, Created: created.UTC().Format(time.RFC3339)}
	h, err := proofHash(opts, doc)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	proof, err := json.Marshal(struct {
		proofOptions
		ProofValue string `json:"proofValue"`
	}{opts, "z" + base58.Encode(ed25519.Sign(key, h))})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(doc)+len(proof)+10)
	out = append(out, doc[:len(doc)-1]...)
	if len(bytes.TrimSpace(doc[1:len(doc)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(append(append(out, `"proof":`...), proof...), '}')
	return out, nil
}

// proofError is the EFORBIDDEN of a proof that does not hold.
func proofError(format string, args ...any) error {
	return commons.Errorf(commons.EFORBIDDEN, "integrity proof: "+format, args...)
}

// ProofMethod returns the verificationMethod of doc's proof, "" when it
// has none.
func ProofMethod(doc []byte) string {
	var d struct {
		Proof struct {
			VerificationMethod string `json:"verificationMethod"`
		} `json:"proof"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return ""
	}
	return d.Proof.VerificationMethod
}

// VerifyObject checks doc's DataIntegrityProof with the key pub and
// returns nil if it holds: an eddsa-jcs-2022 proof for assertionMethod
// whose signature covers the document as it is.
func VerifyObject(doc []byte, pub ed25519.PublicKey) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return proofError("the document is not a JSON object: %v", err)
	}
	raw, ok := m["proof"]
	if !ok {
		return proofError("the document has none")
	}
	var p struct {
		proofOptions
		ProofValue string `json:"proofValue"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return proofError("%v (a single proof object is expected)", err)
	}
	switch {
	case p.Type != proofType:
		return proofError("type %q is not %s", p.Type, proofType)
	case p.Cryptosuite != proofCryptosuite:
		return proofError("cryptosuite %q is not %s", p.Cryptosuite, proofCryptosuite)
	case p.ProofPurpose != proofPurpose:
		return proofError("proofPurpose %q is not %s", p.ProofPurpose, proofPurpose)
	}
	sig, err := decodeBase58(p.ProofValue)
	if err != nil {
		return proofError("proofValue: %v", err)
	}
	delete(m, "proof")
	unsigned, err := json.Marshal(m)
	if err != nil {
		return proofError("%v", err)
	}
	// The proof options are the proof without its value: with the
	// document's @context copied into the proof, as FEP-8b32 and the W3C
	// recommendation have it now, or without, as the first drafts had it.
	if p.proofOptions.Context != nil && !jsonEqual(p.proofOptions.Context, m["@context"]) {
		return proofError("the proof's @context differs from the document's")
	}
	h, err := proofHash(p.proofOptions, unsigned)
	if err != nil {
		return proofError("%v", err)
	}
	if !ed25519.Verify(pub, h, sig) {
		return proofError("the signature does not match the document")
	}
	return nil
}

// jsonEqual reports whether two JSON values are the same once canonical.
func jsonEqual(a, b json.RawMessage) bool {
	ca, err1 := jcs.Transform(a)
	cb, err2 := jcs.Transform(b)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

func decodeBase58(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, "z")
	if !ok {
		return nil, errors.New("not base58btc multibase (no leading z)")
	}
	return base58.Decode(rest)
}

// integrityKey returns the instance actor's Ed25519 key and its IRI.
func (f *Federation) integrityKey(ctx context.Context) (ed25519.PrivateKey, string, error) {
	f.integrity.mu.Lock()
	defer f.integrity.mu.Unlock()
	if f.integrity.key != nil {
		return f.integrity.key, f.InstanceActorID() + integrityKeyFragment, nil
	}
	k, _, err := f.signingKey(ctx, f.InstanceActorID())
	if err != nil {
		return nil, "", err
	}
	ek, err := DeriveIntegrityKey(k.Private)
	if err != nil {
		return nil, "", err
	}
	f.integrity.key = ek
	return ek, f.InstanceActorID() + integrityKeyFragment, nil
}

// assertionMethod is the instance actor's assertionMethod property.
func (f *Federation) assertionMethod(ctx context.Context) ([]any, error) {
	k, id, err := f.integrityKey(ctx)
	if err != nil {
		return nil, err
	}
	return []any{map[string]any{
		"id": id, "type": "Multikey", "controller": f.InstanceActorID(),
		"publicKeyMultibase": EncodeMultikey(k.Public().(ed25519.PublicKey)),
	}}, nil
}

// signedObject is a record object or tombstone with this instance's
// proof. It has no @context: it travels embedded in a document that has
// (see withIntegrityContext).
func (f *Federation) signedObject(ctx context.Context, obj map[string]any) (json.RawMessage, error) {
	key, method, err := f.integrityKey(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return SignObject(doc, key, method, f.now())
}

// originKeys caches the Ed25519 keys of origins, by key IRI.
type originKeys struct {
	mu   sync.Mutex
	key  ed25519.PrivateKey // this instance's own key, once derived
	keys map[string]originKey
}

type originKey struct {
	pub     ed25519.PublicKey
	err     error // why the last fetch failed, remembered a while
	fetched time.Time
}

// originKeyTTL is how long a fetched origin key is trusted before it is
// fetched again; a proof that fails with a cached key refetches at once.
// A failed fetch is remembered for originKeyRetry, so that a page of a
// thousand records naming an unreachable origin costs one request.
const (
	originKeyTTL   = time.Hour
	originKeyRetry = 5 * time.Minute
)

// originKey returns the Ed25519 key method of an origin's instance
// actor, fetched from the origin with a signed GET unless cached.
func (f *Federation) originKey(ctx context.Context, method string, refresh bool) (ed25519.PublicKey, error) {
	f.integrity.mu.Lock()
	k, ok := f.integrity.keys[method]
	f.integrity.mu.Unlock()
	switch age := f.now().Sub(k.fetched); {
	case ok && k.err != nil && age < originKeyRetry:
		return nil, k.err
	case ok && k.err == nil && !refresh && age < originKeyTTL:
		return k.pub, nil
	}
	pub, err := f.fetchOriginKey(ctx, method)
	if err != nil && ctx.Err() != nil {
		return nil, err // our own cancellation says nothing of the origin
	}
	f.integrity.mu.Lock()
	if f.integrity.keys == nil {
		f.integrity.keys = map[string]originKey{}
	}
	f.integrity.keys[method] = originKey{pub, err, f.now()}
	f.integrity.mu.Unlock()
	return pub, err
}

// fetchOriginKey reads the key method from its actor's assertionMethod.
func (f *Federation) fetchOriginKey(ctx context.Context, method string) (ed25519.PublicKey, error) {
	actor, _, _ := strings.Cut(method, "#")
	body, err := f.get(ctx, actor)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", method, err)
	}
	var doc struct {
		ID              string `json:"id"`
		AssertionMethod []struct {
			ID                 string `json:"id"`
			Type               string `json:"type"`
			Controller         string `json:"controller"`
			PublicKeyMultibase string `json:"publicKeyMultibase"`
		} `json:"assertionMethod"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("key %s: actor %s: %w", method, actor, err)
	}
	for _, m := range doc.AssertionMethod {
		if m.ID != method || m.Type != "Multikey" || m.Controller != actor || doc.ID != actor {
			continue
		}
		pub, err := DecodeMultikey(m.PublicKeyMultibase)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", method, err)
		}
		return pub, nil
	}
	return nil, proofError("%s does not list the key %s under assertionMethod", actor, method)
}

// verifyRelayed checks a record document that a peer passed on from
// another instance: it must carry a proof by the instance actor of the
// record's own origin, which must hold. It returns that origin.
func (f *Federation) verifyRelayed(ctx context.Context, doc []byte, id string) (string, error) {
	method := ProofMethod(doc)
	if method == "" {
		return "", proofError("%s came from an instance that is not its origin and carries no proof", id)
	}
	origin, ok := strings.CutSuffix(method, "/actor"+integrityKeyFragment)
	if !ok || !strings.HasPrefix(id, origin+"/records/") {
		return "", proofError("%s is signed by %s, which is not its origin's instance key", id, method)
	}
	pub, err := f.originKey(ctx, method, false)
	if err != nil {
		return "", err
	}
	if err := VerifyObject(doc, pub); err != nil {
		// The origin may have changed its key since we cached it.
		if pub, err = f.originKey(ctx, method, true); err != nil {
			return "", err
		}
		if err := VerifyObject(doc, pub); err != nil {
			return "", err
		}
	}
	return origin, nil
}
