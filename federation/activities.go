package federation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/go-fed/activity/streams"
)

// AcceptDocument answers a Follow: actor accepts the Follow, embedded with
// its original id (Mastodon matches the request by that id).
func AcceptDocument(id, actor string, follow map[string]any) ([]byte, error) {
	f := make(map[string]any, len(follow))
	for k, v := range follow {
		if k != "@context" {
			f[k] = v
		}
	}
	accept := streams.NewActivityStreamsAccept()
	accept.SetJSONLDId(idProp(id))
	ap := streams.NewActivityStreamsActorProperty()
	ap.AppendIRI(mustIRI(actor))
	accept.SetActivityStreamsActor(ap)
	to := streams.NewActivityStreamsToProperty()
	to.AppendIRI(mustIRI(idOf(follow["actor"])))
	accept.SetActivityStreamsTo(to)
	m, err := serialize(accept)
	if err != nil {
		return nil, err
	}
	m["object"] = f
	return marshal(normalize(m))
}

// UpdateActorDocument tells followers that an actor's profile changed; the
// actor document is embedded so Mastodon refreshes it without a fetch.
func UpdateActorDocument(id string, actorDoc []byte, at time.Time) ([]byte, error) {
	actor, err := unmarshalMap(actorDoc)
	if err != nil {
		return nil, err
	}
	delete(actor, "@context")
	actorID, _ := actor["id"].(string)
	return publicActivity(id, "Update", actorID, actor, at)
}

// DeleteDocument announces that object (an actor or a post) is gone.
func DeleteDocument(id, actor, object string, at time.Time) ([]byte, error) {
	return publicActivity(id, "Delete", actor, object, at)
}

// TombstoneDocument is what a deleted object's URL answers, with 410.
func TombstoneDocument(id string, deleted time.Time) ([]byte, error) {
	return marshal(normalize(map[string]any{
		"id":      id,
		"type":    "Tombstone",
		"deleted": deleted.UTC().Format(time.RFC3339),
	}))
}

// AnnounceDocument re-shares object (by IRI) from actor, as a topic or the
// instance actor does: Mastodon fetches the object from its origin rather
// than trusting a forwarded copy.
func AnnounceDocument(id, actor, object string, at time.Time) ([]byte, error) {
	return publicActivity(id, "Announce", actor, object, at)
}

// publicActivity is an activity of actor addressed to the public and
// copied to the actor's followers.
func publicActivity(id, typ, actor string, object any, at time.Time) ([]byte, error) {
	return marshal(normalize(publicActivityMap(id, typ, actor, object, at)))
}

func publicActivityMap(id, typ, actor string, object any, at time.Time) map[string]any {
	return map[string]any{
		"id":        id,
		"type":      typ,
		"actor":     actor,
		"published": stamp(at),
		"to":        []any{Public},
		"cc":        []any{actor + "/followers"},
		"object":    object,
	}
}

// OrderedCollection is a collection's first document: its size and links
// to the first page (and last, when known).
func OrderedCollectionDocument(id string, total int, first string) ([]byte, error) {
	m := map[string]any{"id": id, "type": "OrderedCollection", "totalItems": total}
	if first != "" {
		m["first"] = first
	}
	return marshal(normalize(m))
}

// OrderedCollectionPageDocument is one page: items (IRIs or embedded
// documents), newest first, and the next page if any.
func OrderedCollectionPageDocument(id, partOf string, items []any, next string) ([]byte, error) {
	if items == nil {
		items = []any{}
	}
	m := map[string]any{"id": id, "type": "OrderedCollectionPage", "partOf": partOf, "orderedItems": items}
	if next != "" {
		m["next"] = next
	}
	return marshal(normalize(m))
}

func unmarshalMap(b []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// shortHash is a stable short id derived from s, for activity ids.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
