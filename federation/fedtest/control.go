package fedtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// What a test can change in a running peer.

// SetGone makes the user's actor answer 410 Gone with a Tombstone, as a
// deleted account's does.
func (p *Peer) SetGone() {
	p.mu.Lock()
	p.gone = true
	p.mu.Unlock()
}

// RotateKey gives the user a new key pair, published at the same key id.
// Call it while nothing is being signed.
func (p *Peer) RotateKey(t testing.TB) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	p.mu.Lock()
	p.Key = key
	p.pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	p.mu.Unlock()
}

// KeyID is the id of the peer user's key.
func (p *Peer) KeyID() string {
	switch p.keyStyle {
	case KeyGoToSocial:
		return p.Actor + "/main-key"
	case KeyDocument:
		return p.Actor + "/key"
	}
	return p.Actor + "#main-key"
}

// ActorDocument is the peer user's actor, as served.
func (p *Peer) ActorDocument() map[string]any {
	p.mu.Lock()
	inbox, shared, pubPEM := p.inbox, p.sharedInbox, p.pubPEM
	p.mu.Unlock()
	return map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                p.Actor,
		"type":              "Person",
		"preferredUsername": p.name,
		"inbox":             inbox,
		"outbox":            p.Actor + "/outbox",
		"followers":         p.Actor + "/followers",
		"endpoints":         map[string]any{"sharedInbox": shared},
		"publicKey":         map[string]any{"id": p.KeyID(), "owner": p.Actor, "publicKeyPem": pubPEM},
	}
}

// SetInboxes changes the user's inbox and shared inbox (full URLs on the
// peer): the actor document says so from now on.
func (p *Peer) SetInboxes(inbox, shared string) {
	p.mu.Lock()
	p.inbox, p.sharedInbox = inbox, shared
	p.mu.Unlock()
}

// Respond scripts the inbox's next answers, in order, to deliveries whose
// signature verifies; after them it answers 202 again.
func (p *Peer) Respond(rs ...Response) {
	p.mu.Lock()
	p.responses = append(p.responses, rs...)
	p.mu.Unlock()
}

// Count returns how many deliveries so far satisfy match.
func (p *Peer) Count(match func(map[string]any) bool) int {
	n := 0
	for _, d := range p.Deliveries() {
		if match(d.Activity) {
			n++
		}
	}
	return n
}
