package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/commons-directory/commons"
)

// Activity is an incoming activity: the fields we act on, read through
// go-fed's streams where it knows the type, and the raw document for the
// terms v1.0.0 lacks.
type Activity struct {
	ID         string
	Type       string
	Actor      string
	ObjectID   string         // the object's IRI, embedded or not
	ObjectType string         // the embedded object's type, if embedded
	Object     map[string]any // the embedded object, if embedded
	Known      bool           // streams knows the type
	Raw        map[string]any
}

// ParseActivity reads an incoming activity. A malformed document or one
// without id, type or actor is an EINVALID error saying what is wrong; an
// activity of a type we do not know is returned with Known false, to be
// stored and ignored.
func ParseActivity(body []byte) (*Activity, error) {
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, commons.Errorf(commons.EINVALID, "activity: malformed JSON: %v", err)
	}
	a := &Activity{Raw: raw}
	a.ID, _ = raw["id"].(string)
	a.Type, _ = raw["type"].(string)
	a.Actor = idOf(raw["actor"])
	if err := a.checkEnvelope(); err != nil {
		return nil, err
	}
	a.ObjectID = idOf(raw["object"])
	if obj, ok := raw["object"].(map[string]any); ok {
		a.Object = obj
		a.ObjectType, _ = obj["type"].(string)
	}

	t, err := streams.ToType(context.Background(), raw)
	switch {
	case err == nil:
		a.Known = true
		if err := checkTyped(t, a); err != nil {
			return nil, err
		}
	case streams.IsUnmatchedErr(err):
		// A valid activity of a type go-fed does not know: accepted, ignored.
	default:
		return nil, commons.Errorf(commons.EINVALID, "activity: %v", err)
	}
	return a, nil
}

// checkTyped confirms through the typed value what the raw map said, so a
// document that only looks right (an actor array of two, say) is refused.
func checkTyped(t vocab.Type, a *Activity) error {
	type withActor interface {
		GetActivityStreamsActor() vocab.ActivityStreamsActorProperty
	}
	wa, ok := t.(withActor)
	if !ok {
		return nil // not an activity (a bare object): nothing more to check
	}
	p := wa.GetActivityStreamsActor()
	if p == nil || p.Len() != 1 {
		return commons.Errorf(commons.EINVALID, "activity: exactly one actor is required")
	}
	return nil
}

// idOf returns an IRI given as a string or as an object with an id.
func idOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		s, _ := v["id"].(string)
		return s
	case []any:
		if len(v) == 1 {
			return idOf(v[0])
		}
	}
	return ""
}

func absoluteIRI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// host returns the host (with port) of an IRI, lower-cased by url.Parse's
// rules, or "" if it is not one.
func host(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return u.Host
}

// RemoteActor is what we keep of another server's actor.
type RemoteActor struct {
	ID           string
	Type         string
	Username     string
	Name         string
	Inbox        string
	SharedInbox  string
	KeyID        string
	PublicKeyPEM string
}

// DeliveryInbox is where to POST to the actor: its shared inbox if any.
func (r *RemoteActor) DeliveryInbox() string {
	if r.SharedInbox != "" {
		return r.SharedInbox
	}
	return r.Inbox
}

// ParseActor reads a remote actor document fetched from fetchedURL. Its id
// must be the URL it was fetched from (Mastodon's rule), it must have an
// inbox and an RSA public key owned by itself.
func ParseActor(body []byte, fetchedURL string) (*RemoteActor, error) {
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("actor %s: malformed JSON: %w", fetchedURL, err)
	}
	a := &RemoteActor{}
	a.ID, _ = raw["id"].(string)
	a.Type, _ = raw["type"].(string)
	a.Username, _ = raw["preferredUsername"].(string)
	a.Name, _ = raw["name"].(string)
	a.Inbox, _ = raw["inbox"].(string)
	if ep, ok := raw["endpoints"].(map[string]any); ok {
		a.SharedInbox, _ = ep["sharedInbox"].(string)
	}
	if a.SharedInbox == "" {
		a.SharedInbox, _ = raw["sharedInbox"].(string)
	}
	if pk, ok := raw["publicKey"].(map[string]any); ok {
		a.KeyID, _ = pk["id"].(string)
		a.PublicKeyPEM, _ = pk["publicKeyPem"].(string)
		if owner := idOf(pk["owner"]); owner != "" && owner != a.ID {
			return nil, fmt.Errorf("actor %s: key %s is owned by %s", a.ID, a.KeyID, owner)
		}
	}
	switch {
	case a.ID != fetchedURL:
		return nil, fmt.Errorf("actor fetched from %s has id %q", fetchedURL, a.ID)
	case !absoluteIRI(a.Inbox):
		return nil, fmt.Errorf("actor %s has no inbox", a.ID)
	case a.SharedInbox != "" && !absoluteIRI(a.SharedInbox):
		return nil, fmt.Errorf("actor %s: sharedInbox %q is not an IRI", a.ID, a.SharedInbox)
	case a.KeyID == "" || a.PublicKeyPEM == "":
		return nil, fmt.Errorf("actor %s has no publicKey", a.ID)
	case !sameOrigin(a.KeyID, a.ID):
		// A key id on another origin would be cached under that origin's
		// name: it must be on the actor's own.
		return nil, fmt.Errorf("actor %s: key %s is on another origin", a.ID, a.KeyID)
	}
	if _, err := DecodePublicKey(a.PublicKeyPEM); err != nil {
		return nil, fmt.Errorf("actor %s: %w", a.ID, err)
	}
	return a, nil
}

// checkEnvelope checks what every activity must have before anything acts
// on it: a type, and an id on the host of an actor, both absolute IRIs.
func (a *Activity) checkEnvelope() error {
	switch {
	case a.Type == "":
		return commons.Errorf(commons.EINVALID, "activity: type is missing or not a string")
	case !absoluteIRI(a.ID):
		return commons.Errorf(commons.EINVALID, "activity: id %q is not an absolute http(s) IRI", a.ID)
	case !absoluteIRI(a.Actor):
		return commons.Errorf(commons.EINVALID, "activity: actor %q is not an absolute http(s) IRI", a.Actor)
	case host(a.ID) != host(a.Actor):
		return commons.Errorf(commons.EINVALID, "activity: id %s is not on the actor's host %s", a.ID, host(a.Actor))
	}
	return nil
}
