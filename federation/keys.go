package federation

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
)

// KeyBits is the size of every actor key: RSA-2048, what Mastodon uses.
const KeyBits = 2048

// KeyPool keeps a few RSA keys generated ahead of need by one background
// goroutine. Generating an RSA-2048 key costs about 76 ms here, so actors
// get their key on first need (first fetch or first delivery) from the
// pool, and a bulk import never waits on key generation.
type KeyPool struct {
	keys chan *rsa.PrivateKey
	stop chan struct{}
	wg   sync.WaitGroup
}

// NewKeyPool starts filling a pool of size keys. Close stops it.
func NewKeyPool(size int) *KeyPool {
	p := &KeyPool{keys: make(chan *rsa.PrivateKey, size), stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			k, err := rsa.GenerateKey(rand.Reader, KeyBits)
			if err != nil {
				return // the system's randomness failed; Get generates inline and reports it
			}
			select {
			case p.keys <- k:
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

// Get returns a fresh key from the pool, or generates one if the pool is
// empty.
func (p *KeyPool) Get(ctx context.Context) (*rsa.PrivateKey, error) {
	select {
	case k := <-p.keys:
		return k, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	default:
	}
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// Close stops the background generation.
func (p *KeyPool) Close() {
	close(p.stop)
	p.wg.Wait()
}

// EncodePrivateKey returns the PKCS #8 PEM of k.
func EncodePrivateKey(k *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// EncodePublicKey returns the PKIX ("BEGIN PUBLIC KEY") PEM of k, the form
// Mastodon publishes and reads.
func EncodePublicKey(k *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// DecodePrivateKey reads a PKCS #8 or PKCS #1 RSA private key PEM.
func DecodePrivateKey(s string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("private key: no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key: %T is not RSA", k)
	}
	return rk, nil
}

// DecodePublicKey reads a PKIX or PKCS #1 RSA public key PEM, as remote
// actors publish it.
func DecodePublicKey(s string) (*rsa.PublicKey, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("public key: no PEM block")
	}
	if k, err := x509.ParsePKCS1PublicKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key: %T is not RSA", k)
	}
	return rk, nil
}
