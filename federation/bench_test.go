package federation

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// BenchmarkRSAVerify is the ceiling of a signed inbox: one bare RSA-2048
// PKCS #1 v1.5 SHA-256 verification (hash included), on every core.
//
//	go test ./federation -run '^$' -bench 'RSA' -cpu 2
func BenchmarkRSAVerify(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte("(request-target): post /inbox\nhost: 127.0.0.1:8080\ndate: Mon, 23 Nov 2026 19:43:20 GMT\ndigest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	sum := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sum := sha256.Sum256(msg)
			if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRSASign is the cost of signing one delivery, on every core: the
// bound on outgoing deliveries per second.
func BenchmarkRSASign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte("(request-target): post /inbox\nhost: 127.0.0.1:8080\ndate: Mon, 23 Nov 2026 19:43:20 GMT")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sum := sha256.Sum256(msg)
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
