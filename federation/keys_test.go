package federation

import (
	"context"
	"testing"
)

func TestKeyPEMRoundTrip(t *testing.T) {
	k := testKey(t, 0)
	priv, err := EncodePrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodePrivateKey(priv)
	if err != nil || !back.Equal(k) {
		t.Fatalf("private key round trip: %v", err)
	}
	pub, err := EncodePublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := DecodePublicKey(pub)
	if err != nil || !pk.Equal(&k.PublicKey) {
		t.Fatalf("public key round trip: %v", err)
	}
	if _, err := DecodePublicKey("not a key"); err == nil {
		t.Error("garbage accepted")
	}
}

func TestKeyPool(t *testing.T) {
	p := NewKeyPool(2)
	defer p.Close()
	a, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a.Equal(b) || a.N.BitLen() != KeyBits {
		t.Fatal("pool returned the same key twice or a key of the wrong size")
	}
}
