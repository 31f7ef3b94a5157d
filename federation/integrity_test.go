package federation

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The test vectors of FEP-8b32 (eddsa-jcs-2022): the same document, key
// and time must give the same proof value, byte for byte (Ed25519 is
// deterministic). The current vector copies the document's @context into
// the proof; the first one (fepOldSigned) did not, and must still verify.
const (
	fepDocument = `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/data-integrity/v2"],
		"id":"https://server.example/activities/1","type":"Create","actor":"https://server.example/users/alice",
		"object":{"id":"https://server.example/objects/1","type":"Note","attributedTo":"https://server.example/users/alice",
		"content":"Hello world","location":{"type":"Place","longitude":-71.184902,"latitude":25.273962}}}`
	fepSecret     = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
	fepPublic     = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	fepMethod     = "https://server.example/users/alice#ed25519-key"
	fepProofValue = "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL"
	fepOldSigned  = `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/data-integrity/v1"],
		"type":"Create","actor":"https://server.example/users/alice","object":{"type":"Note","content":"Hello world"},
		"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","verificationMethod":"https://server.example/users/alice#ed25519-key",
		"proofPurpose":"assertionMethod","proofValue":"z3sXaxjKs4M3BRicwWA9peyNPJvJqxtGsDmpt1jjoHCjgeUf71TRFz56osPSfDErszyLp5Ks1EhYSgpDaNM977Rg2",
		"created":"2023-02-24T23:36:38Z"}}`
)

func TestIntegrityProofVector(t *testing.T) {
	key, err := DecodeMultikeySecret(fepSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := EncodeMultikey(key.Public().(ed25519.PublicKey)); got != fepPublic {
		t.Fatalf("public key %s, want %s", got, fepPublic)
	}
	at, _ := time.Parse(time.RFC3339, "2023-02-24T23:36:38Z")
	signed, err := SignObject([]byte(fepDocument), key, fepMethod, at)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Proof map[string]any `json:"proof"`
	}
	if err := json.Unmarshal(signed, &d); err != nil {
		t.Fatalf("%v: %s", err, signed)
	}
	want := map[string]string{"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "verificationMethod": fepMethod,
		"proofPurpose": "assertionMethod", "created": "2023-02-24T23:36:38Z", "proofValue": fepProofValue}
	for k, v := range want {
		if d.Proof[k] != v {
			t.Errorf("proof.%s = %q, want %q", k, d.Proof[k], v)
		}
	}
	pub, _ := DecodeMultikey(fepPublic)
	if ctx, _ := d.Proof["@context"].([]any); len(ctx) != 2 {
		t.Errorf("proof.@context = %v, want the document's", d.Proof["@context"])
	}
	if err := VerifyObject(signed, pub); err != nil {
		t.Fatalf("verify the vector: %v", err)
	}
	if err := VerifyObject([]byte(fepOldSigned), pub); err != nil {
		t.Fatalf("verify the first vector: %v", err)
	}
}

func TestIntegrityProofRejects(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := DeriveIntegrityKey(rk)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := DeriveIntegrityKey(rk)
	if !key.Equal(again) {
		t.Fatal("the derived key is not stable")
	}
	pub := key.Public().(ed25519.PublicKey)
	doc := `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/records/osm","type":"Service","name":"OpenStreetMap","commonsRecord":{"version":3}}`
	signed, err := SignObject([]byte(doc), key, "https://a.example/actor#ed25519-key", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyObject(signed, pub); err != nil {
		t.Fatalf("a fresh proof: %v", err)
	}
	// Re-encoding (key order, spacing) keeps the proof: it covers the
	// canonical form.
	var m map[string]any
	_ = json.Unmarshal(signed, &m)
	reencoded, _ := json.MarshalIndent(m, "", "  ")
	if err := VerifyObject(reencoded, pub); err != nil {
		t.Fatalf("re-encoded: %v", err)
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	cases := map[string]struct {
		doc  string
		pub  ed25519.PublicKey
		want string
	}{
		"changed name":    {strings.Replace(string(signed), "OpenStreetMap", "OpenStreetMop", 1), pub, "does not match"},
		"changed version": {strings.Replace(string(signed), `"version":3`, `"version":4`, 1), pub, "does not match"},
		"other key":       {string(signed), other.Public().(ed25519.PublicKey), "does not match"},
		"no proof":        {doc, pub, "has none"},
		"other suite":     {strings.Replace(string(signed), "eddsa-jcs-2022", "eddsa-rdfc-2022", 1), pub, "cryptosuite"},
		"other purpose":   {strings.Replace(string(signed), `"assertionMethod"`, `"authentication"`, 1), pub, "proofPurpose"},
		"not an object":   {`[1]`, pub, "not a JSON object"},
		"other context":   {strings.Replace(string(signed), `"proof":{"@context":"https://www.w3.org/ns/activitystreams"`, `"proof":{"@context":"https://example.org/ctx"`, 1), pub, "@context differs"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := VerifyObject([]byte(c.doc), c.pub)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
	if _, err := SignObject(signed, key, "x", time.Now()); err == nil {
		t.Error("signing a signed document again succeeded")
	}
}

// BenchmarkSignRecord is the cost a record adds to a page of the record
// collection: its document signed (JCS and Ed25519), and for a relayed
// one, the check at the receiver.
func BenchmarkSignRecord(b *testing.B) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	key, _ := DeriveIntegrityKey(rk)
	doc, _ := json.Marshal(map[string]any{"id": "https://a.example/records/osm", "type": "Service",
		"name": "OpenStreetMap", "commonsRecord": map[string]any{"name": map[string]string{"en": "OpenStreetMap", "fr": "OpenStreetMap"},
			"description": map[string]string{"en": strings.Repeat("A free, editable map of the whole world. ", 20)},
			"licences":    []map[string]string{{"expression": "ODbL-1.0"}}, "version": 3}})
	signed, _ := SignObject(doc, key, "https://a.example/actor#ed25519-key", time.Now())
	pub := key.Public().(ed25519.PublicKey)
	b.Run("sign", func(b *testing.B) {
		for b.Loop() {
			if _, err := SignObject(doc, key, "https://a.example/actor#ed25519-key", time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if err := VerifyObject(signed, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}
