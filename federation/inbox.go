package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// InboxStore keeps the activities that arrived until they are processed,
// and their ids against replays.
type InboxStore interface {
	AddInboxItem(ctx context.Context, it store.InboxItem) (bool, error)
	PendingInboxItems(ctx context.Context, limit int) ([]store.InboxItem, error)
	FinishInboxItem(ctx context.Context, id int64, procErr error) error
	PurgeInbox(ctx context.Context, before time.Time) (int64, error)
}

// MaxActivityBytes bounds an incoming activity.
const MaxActivityBytes = 1 << 20

// receive takes one activity for recipient (one of our actor IRIs, or
// "" for the shared inbox). In order: Host (421 unless it is ours, so that
// a delivery signed for another server cannot be replayed here), content
// type, size, parse, domain
// block, recipient (404 for an unknown record, 410 for a deleted one),
// signature (complete: see VerifyRequest), signer = actor, then the
// activity is stored — a replayed id is ignored — and answered 202. It is
// processed after, by the inbox worker. Errors carry the reason and map to
// 400, 401, 403, 404, 410, 413, 415 and 421; none is a 5xx unless the database
// fails.
func (f *Federation) receive(w http.ResponseWriter, r *http.Request, recipient string) error {
	ctx := r.Context()
	if err := CheckHost(r, f.host, f.scheme()); err != nil {
		return err
	}
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || !activityType(mt, params) {
		return commons.Errorf(commons.EUNSUPPORTED, "Content-Type must be application/activity+json or application/ld+json with the ActivityStreams profile, not %q", r.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxActivityBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return commons.Errorf(commons.ETOOLARGE, "the activity is larger than %d bytes", MaxActivityBytes)
	} else if err != nil {
		return commons.Errorf(commons.EINVALID, "the body could not be read: %v", err)
	}
	act, err := parseEnvelope(body)
	if err != nil {
		return err
	}
	if blocked, err := f.db.DomainBlocked(ctx, host(act.Actor)); err != nil {
		return err
	} else if blocked {
		return commons.Errorf(commons.EFORBIDDEN, "the domain %s is blocked", host(act.Actor))
	}
	if err := f.checkRecipient(ctx, recipient); err != nil {
		return err
	}
	keyID, owner, err := verifyRequest(ctx, r, body, f.now(), f.scheme(), f.resolveKey)
	if err != nil {
		if act.Type == "Delete" && act.ObjectID == act.Actor && commons.ErrorCode(err) == commons.EUNAUTHORIZED {
			// An account we never knew announces its own deletion: its key is
			// gone with it, and there is nothing of it here to delete.
			w.WriteHeader(http.StatusAccepted)
			return nil
		}
		return err
	}
	if owner != act.Actor {
		return commons.Errorf(commons.EUNAUTHORIZED, "the activity's actor is %s but it is signed by %s (key %s)", act.Actor, owner, keyID)
	}
	if err := checkAuthority(act); err != nil {
		f.log.Warn("activity refused: not the origin", "id", act.ID, "type", act.Type, "signer", owner, "object", act.ObjectID, "err", err)
		return err
	}
	fresh, err := f.db.AddInboxItem(ctx, store.InboxItem{
		ActivityID: act.ID, Actor: act.Actor, Type: act.Type, Recipient: recipient,
		Body: body, ReceivedAt: f.now(),
	})
	if err != nil {
		return fmt.Errorf("store activity %s: %w", act.ID, err)
	}
	if fresh {
		wake(f.wakeInbox)
	} else {
		f.log.LogAttrs(ctx, slog.LevelDebug, "duplicate activity ignored", slog.String("id", act.ID))
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// parseEnvelope reads what accepting an activity needs — id, type, actor
// and object — with the checks of ParseActivity on them, and leaves the
// rest (go-fed's typed reading of every property) to the inbox worker,
// which parses the stored activity with ParseActivity. Keys match exactly,
// as in ParseActivity, so both read the same actor.
func parseEnvelope(body []byte) (*Activity, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, commons.Errorf(commons.EINVALID, "activity: malformed JSON: %v", err)
	}
	a := &Activity{}
	a.ID, _ = rawValue(raw["id"]).(string)
	a.Type, _ = rawValue(raw["type"]).(string)
	a.Actor = idOf(rawValue(raw["actor"]))
	if err := a.checkEnvelope(); err != nil {
		return nil, err
	}
	if _, ok := raw["@context"]; !ok {
		return nil, commons.Errorf(commons.EINVALID, "activity: '@context' is missing")
	}
	obj := rawValue(raw["object"])
	a.ObjectID = idOf(obj)
	if m, ok := obj.(map[string]any); ok {
		a.Object = m
		a.ObjectType, _ = m["type"].(string)
	}
	return a, nil
}

// rawValue decodes one already validated JSON value; nil if absent.
func rawValue(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	if len(m) >= 2 && m[0] == '"' {
		if s := m[1 : len(m)-1]; bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
			return string(s) // a plain string: nothing to decode or replace
		}
	}
	var v any
	json.Unmarshal(m, &v) //nolint:errcheck // valid: it was part of a document that decoded
	return v
}

// checkAuthority refuses a Create, Update or Delete of an object that is
// not on the signer's own host: only a record's origin may create, change
// or delete it (and only a server its own posts and accounts). The signer
// is the actor, checked before.
func checkAuthority(act *Activity) error {
	switch act.Type {
	case "Create", "Update", "Delete":
	default:
		return nil
	}
	if act.ObjectID != "" && host(act.ObjectID) != host(act.Actor) {
		return commons.Errorf(commons.EFORBIDDEN, "%s of %s refused: only its origin, %s, may %s it", act.Type, act.ObjectID, host(act.ObjectID), strings.ToLower(act.Type))
	}
	if act.Object != nil {
		if rec, ok := act.Object["commonsRecord"].(map[string]any); ok {
			if id, _ := rec["id"].(string); id != act.ObjectID {
				return commons.Errorf(commons.EFORBIDDEN, "the record %s inside the object %s is not that object", id, act.ObjectID)
			}
		}
	}
	return nil
}

// checkRecipient answers ENOTFOUND or EGONE for the inbox of a record that
// does not exist or was deleted: nothing there can take the activity, and
// the sender should stop retrying (Mastodon drops a 4xx, and treats 410 as
// gone). The shared and instance inboxes always exist.
func (f *Federation) checkRecipient(ctx context.Context, recipient string) error {
	if t, ok := strings.CutPrefix(recipient, f.base+"/topics/"); ok {
		if !commons.IsTopic(t) {
			return commons.Errorf(commons.ENOTFOUND, "there is no topic %q here: its inbox does not exist", t)
		}
		return nil
	}
	slug, ok := strings.CutPrefix(recipient, f.base+"/records/")
	if recipient == "" || !ok {
		return nil
	}
	if _, err := f.db.Record(ctx, slug); err != nil {
		switch commons.ErrorCode(err) {
		case commons.ENOTFOUND:
			return commons.Errorf(commons.ENOTFOUND, "there is no record %q here: its inbox does not exist", slug)
		case commons.EGONE:
			return commons.Errorf(commons.EGONE, "the record %q was deleted: its inbox is gone", slug)
		}
		return fmt.Errorf("look up the recipient %s: %w", recipient, err)
	}
	return nil
}

// activityType reports whether a media type is one ActivityPub allows.
func activityType(mt string, params map[string]string) bool {
	switch mt {
	case "application/activity+json", "application/json":
		return true
	case "application/ld+json":
		return params["profile"] == "" || params["profile"] == "https://www.w3.org/ns/activitystreams"
	}
	return false
}
