package federation

import (
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// ActorStore keeps the keys of our actors and the remote actors (and
// their keys) we have fetched.
type ActorStore interface {
	ActorKey(ctx context.Context, actor string) (*store.ActorKey, error)
	PutActorKey(ctx context.Context, k store.ActorKey) (*store.ActorKey, error)
	RemoteActor(ctx context.Context, id string) (*store.RemoteActor, error)
	RemoteActorByKey(ctx context.Context, keyID string) (*store.RemoteActor, error)
	PutRemoteActor(ctx context.Context, a store.RemoteActor) error
	DeleteRemoteActor(ctx context.Context, id string) error
}

// signingKey returns the key of one of our actors, creating it on first
// need from the key pool. Keys are parsed once and kept in memory.
func (f *Federation) signingKey(ctx context.Context, actor string) (*SigningKey, string, error) {
	f.mu.Lock()
	k, ok := f.privKeys[actor]
	f.mu.Unlock()
	if ok {
		return k, k.publicPEM, nil
	}
	stored, err := f.db.ActorKey(ctx, actor)
	if commons.ErrorCode(err) == commons.ENOTFOUND {
		priv, gerr := f.keys.Get(ctx)
		if gerr != nil {
			return nil, "", gerr
		}
		privPEM, _ := EncodePrivateKey(priv)
		pubPEM, _ := EncodePublicKey(&priv.PublicKey)
		stored, err = f.db.PutActorKey(ctx, store.ActorKey{Actor: actor, PrivatePEM: privPEM, PublicPEM: pubPEM, Created: f.now()})
	}
	if err != nil {
		return nil, "", fmt.Errorf("key of %s: %w", actor, err)
	}
	priv, err := DecodePrivateKey(stored.PrivatePEM)
	if err != nil {
		return nil, "", fmt.Errorf("key of %s: %w", actor, err)
	}
	k = &SigningKey{ID: actor + "#main-key", Private: priv, publicPEM: stored.PublicPEM}
	f.mu.Lock()
	f.privKeys[actor] = k
	f.mu.Unlock()
	return k, k.publicPEM, nil
}

// resolveKey is the KeyResolver of our inbox: the owner and key of a key
// id, from the remote actor cache unless refresh, else fetched with a GET
// signed by the instance actor. GoToSocial's key ids return a stub whose
// owner we then fetch; Mastodon's (actor#main-key) return the actor.
func (f *Federation) resolveKey(ctx context.Context, keyID string, refresh bool) (string, crypto.PublicKey, error) {
	owner, key, err := f.resolveRSAKey(ctx, keyID, refresh)
	if err == nil || commons.ErrorCode(err) == commons.EFORBIDDEN || !strings.Contains(keyID, "#") {
		return owner, key, err
	}
	// Not the actor's RSA key: an Ed25519 key of its assertionMethod
	// (FEP-521a), which RFC 9421 signatures may use.
	if pub, kerr := f.originKey(ctx, keyID, refresh); kerr == nil {
		actor, _, _ := strings.Cut(keyID, "#")
		return actor, pub, nil
	}
	return "", nil, err
}

// resolveRSAKey resolves a key id to its owner's RSA key (publicKey).
func (f *Federation) resolveRSAKey(ctx context.Context, keyID string, refresh bool) (string, *rsa.PublicKey, error) {
	if blocked, err := f.db.DomainBlocked(ctx, host(keyID)); err != nil {
		return "", nil, err
	} else if blocked {
		return "", nil, commons.Errorf(commons.EFORBIDDEN, "the domain %s is blocked", host(keyID))
	}
	if !refresh {
		if k, ok := f.pubKeys.get(keyID, f.now()); ok {
			return k.owner, k.key, nil
		}
		if a, err := f.db.RemoteActorByKey(ctx, keyID); err == nil {
			pub, err := DecodePublicKey(a.PublicPEM)
			if err == nil {
				f.pubKeys.put(keyID, a.ID, pub, f.now())
			}
			return a.ID, pub, err
		} else if commons.ErrorCode(err) != commons.ENOTFOUND {
			return "", nil, err
		}
	}
	a, err := f.fetchActorForKey(ctx, keyID)
	if err != nil {
		return "", nil, commons.Errorf(commons.EUNAUTHORIZED, "cannot fetch the key %s: %v", keyID, err)
	}
	pub, err := DecodePublicKey(a.PublicKeyPEM)
	if err != nil {
		return "", nil, commons.Errorf(commons.EUNAUTHORIZED, "key %s: %v", keyID, err)
	}
	f.pubKeys.put(keyID, a.ID, pub, f.now())
	return a.ID, pub, nil
}

// keyCache keeps parsed remote keys in memory: every incoming request
// needs one, and reading and parsing it from the store costs more than
// the RSA verification itself. Entries live keyTTL; a key that fails to
// verify is fetched again anyway (VerifyRequest's refresh), so a rotated
// key is never stuck here.
type keyCache struct {
	mu   sync.RWMutex
	keys map[string]cachedKey
}

type cachedKey struct {
	owner string
	key   *rsa.PublicKey
	at    time.Time
}

const (
	keyTTL       = time.Hour
	maxCachedKey = 50_000
)

func (c *keyCache) get(id string, now time.Time) (cachedKey, bool) {
	c.mu.RLock()
	k, ok := c.keys[id]
	c.mu.RUnlock()
	return k, ok && now.Sub(k.at) < keyTTL
}

func (c *keyCache) put(id, owner string, key *rsa.PublicKey, now time.Time) {
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedKey {
		c.keys = map[string]cachedKey{}
	}
	c.keys[id] = cachedKey{owner, key, now}
	c.mu.Unlock()
}

// forget drops the keys an actor owns, when it is deleted or updated.
func (c *keyCache) forget(owner string) {
	c.mu.Lock()
	for id, k := range c.keys {
		if k.owner == owner {
			delete(c.keys, id)
		}
	}
	c.mu.Unlock()
}

// fetchActorForKey fetches the document a key id names and returns the
// actor that owns the key, stored in the cache. The key document, the
// actor and the key id share one origin, and each document was served by
// that origin (getLimited).
func (f *Federation) fetchActorForKey(ctx context.Context, keyID string) (*RemoteActor, error) {
	docURL, _, _ := strings.Cut(keyID, "#")
	body, err := f.get(ctx, docURL)
	if err != nil {
		return nil, err
	}
	var probe struct {
		ID        string `json:"id"`
		Owner     any    `json:"owner"`
		PublicKey any    `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, fmt.Errorf("%s: malformed JSON", docURL)
	}
	if !sameOrigin(probe.ID, keyID) {
		return nil, fmt.Errorf("the key %s is served as %s, on another origin", keyID, probe.ID)
	}
	// Mastodon's key id (actor#main-key) returns the actor itself. Other
	// servers return a stub: a Key {id, owner, publicKeyPem}, or, like
	// GoToSocial at actor/main-key, a partial actor {id: actor, publicKey}
	// without an inbox. Either way the actor is the key's owner, fetched in
	// full; it must publish this very key (checked below).
	actorURL := docURL
	switch owner := keyOwner(probe.PublicKey); {
	case probe.PublicKey == nil && idOf(probe.Owner) != "":
		actorURL = idOf(probe.Owner)
	case probe.ID != docURL && owner != "":
		actorURL = owner
	}
	if actorURL != docURL {
		if body, err = f.get(ctx, actorURL); err != nil {
			return nil, err
		}
	}
	a, err := ParseActor(body, actorURL)
	if err != nil {
		return nil, err
	}
	if a.KeyID != keyID {
		return nil, fmt.Errorf("actor %s publishes key %s, not %s", a.ID, a.KeyID, keyID)
	}
	if !sameOrigin(a.ID, keyID) {
		return nil, fmt.Errorf("the key %s is owned by %s, on another origin", keyID, a.ID)
	}
	if err := f.db.PutRemoteActor(ctx, storeActor(a, f.now())); err != nil {
		return nil, err
	}
	return a, nil
}

// keyOwner is the owner named by a publicKey value, "" if none.
func keyOwner(pk any) string {
	m, ok := pk.(map[string]any)
	if !ok {
		return ""
	}
	return idOf(m["owner"])
}

// remoteActor returns a cached remote actor, fetching it if unknown.
func (f *Federation) remoteActor(ctx context.Context, id string) (*store.RemoteActor, error) {
	a, err := f.db.RemoteActor(ctx, id)
	if commons.ErrorCode(err) != commons.ENOTFOUND {
		return a, err
	}
	body, err := f.get(ctx, id)
	if err != nil {
		return nil, err
	}
	ra, err := ParseActor(body, id)
	if err != nil {
		return nil, err
	}
	sa := storeActor(ra, f.now())
	if err := f.db.PutRemoteActor(ctx, sa); err != nil {
		return nil, err
	}
	return &sa, nil
}

func storeActor(a *RemoteActor, at time.Time) store.RemoteActor {
	return store.RemoteActor{
		ID: a.ID, Type: a.Type, Username: a.Username, Name: a.Name, Inbox: a.Inbox,
		SharedInbox: a.SharedInbox, KeyID: a.KeyID, PublicPEM: a.PublicKeyPEM, FetchedAt: at,
	}
}

// get fetches an ActivityPub document with a GET signed by the instance
// actor (servers in secure mode require it), through the guarded client.
func (f *Federation) get(ctx context.Context, iri string) ([]byte, error) {
	return f.getLimited(ctx, iri, MaxResponseBytes)
}
