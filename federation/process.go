package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// FollowerStore keeps who follows our actors, and where to deliver to them.
type FollowerStore interface {
	AddFollower(ctx context.Context, f store.Follower) error
	RemoveFollower(ctx context.Context, actor, follower string) error
	RemoveFollowByID(ctx context.Context, followID, follower string) error
	Followers(ctx context.Context, actor, after string, limit int) ([]store.Follower, error)
	CountFollowers(ctx context.Context, actor string) (int, error)
	FollowerInboxes(ctx context.Context, actor string) ([]string, error)
}

// runInbox processes stored activities in arrival order. A failure is
// recorded on the row and retried a few times by the store's rules, at the
// next poll or arrival.
func (f *Federation) runInbox(ctx context.Context) {
	every(ctx, f.opts.PollInterval, f.wakeInbox, f.exclusive("inbox", func(ctx context.Context) {
		for ctx.Err() == nil {
			items, err := f.db.PendingInboxItems(ctx, 64)
			if err != nil {
				if ctx.Err() == nil {
					f.log.Error("read inbox", "err", err)
				}
				return
			}
			if len(items) == 0 {
				return
			}
			f.reviveSenders(ctx, items)
			failed := false
			for _, it := range items {
				perr := f.process(ctx, it)
				if perr != nil {
					failed = true
					f.log.Warn("activity not processed", "id", it.ActivityID, "type", it.Type, "actor", it.Actor, "err", perr)
				}
				if err := f.db.FinishInboxItem(context.WithoutCancel(ctx), it.ID, perr); err != nil {
					f.log.Error("finish inbox item", "id", it.ActivityID, "err", err)
					return
				}
			}
			if failed {
				// Try the failures again at the next poll or arrival, not at
				// once: what they lack (a record delivered with a post) may
				// be on its way.
				return
			}
		}
	}))
}

// reviveSenders marks reachable again the inboxes of a server we had given
// up on, now that it sent us something: it is back.
func (f *Federation) reviveSenders(ctx context.Context, items []store.InboxItem) {
	down, err := f.db.UnreachableHosts(ctx)
	if err != nil || len(down) == 0 {
		return
	}
	for _, it := range items {
		if h := host(it.Actor); down[h] {
			delete(down, h)
			if err := f.db.ReviveInboxes(ctx, h); err != nil {
				f.log.Error("revive inboxes", "host", h, "err", err)
				continue
			}
			f.log.Info("server is back; delivering to it again", "host", h)
		}
	}
}

// process acts on one activity. Types we do not act on are accepted and
// ignored.
func (f *Federation) process(ctx context.Context, it store.InboxItem) error {
	act, err := ParseActivity(it.Body)
	if err != nil {
		return err
	}
	switch act.Type {
	case "Follow":
		if act.ObjectID == f.InstanceActorID() {
			if peer, err := f.onPeerFollow(ctx, act); peer || err != nil {
				return err
			}
		}
		return f.onFollow(ctx, act)
	case "Accept", "Reject":
		return f.onAnswer(ctx, act, act.Type == "Accept")
	case "Undo":
		if act.ObjectType == "Follow" && idOf(act.Object["object"]) == f.InstanceActorID() {
			if err := f.onPeerUndo(ctx, act); err != nil {
				return err
			}
		}
		return f.onUndo(ctx, act)
	case "Create", "Update":
		if act.Object != nil && isRecordObject(act.Object) {
			return f.onReplica(ctx, act)
		}
		if act.Type == "Create" && act.ObjectType == "Note" {
			return f.onRemotePost(ctx, act)
		}
		if act.Type == "Update" {
			return f.onUpdate(ctx, act)
		}
	case "Delete":
		if act.ObjectID != act.Actor && host(act.ObjectID) == host(act.Actor) {
			if handled, err := f.onReplicaDelete(ctx, act); handled || err != nil {
				return err
			}
		}
		return f.onDelete(ctx, act)
	case "Block":
		return f.onBlock(ctx, act)
	case "Announce":
		if isRelayedRecord(act) {
			return f.onRelayed(ctx, act)
		}
		if act.Object == nil && act.ObjectID == act.Actor+"/records" {
			return f.onNotice(ctx, act)
		}
	}
	return nil
}

// followedPeer returns the peer whose instance actor sent act if this
// instance follows it (or asked to): only then are its records taken.
func (f *Federation) followedPeer(ctx context.Context, actor string) (*store.Peer, error) {
	p, err := f.db.Peer(ctx, actor)
	if commons.ErrorCode(err) == commons.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if p.Actor != actor || (p.Outgoing != commons.PeerAccepted && p.Outgoing != commons.PeerPending) {
		return nil, nil
	}
	return p, nil
}

// onReplica stores a record a followed peer created or changed. The inbox
// already refused a record not under the sender's host (see
// checkAuthority); the store refuses an older version.
func (f *Federation) onReplica(ctx context.Context, act *Activity) error {
	p, err := f.followedPeer(ctx, act.Actor)
	if err != nil || p == nil {
		if err == nil {
			f.log.Info("record from an instance this one does not follow ignored", "actor", act.Actor, "record", act.ObjectID)
		}
		return err
	}
	c, err := parseReplica(act.Object)
	if err != nil {
		return err
	}
	return f.applyReplica(ctx, p, c)
}

// onReplicaDelete tombstones a remote record its origin deleted. It
// reports false when the object is no record held here.
func (f *Federation) onReplicaDelete(ctx context.Context, act *Activity) (bool, error) {
	if _, err := f.db.RecordByID(ctx, act.ObjectID); err != nil {
		if code := commons.ErrorCode(err); code == commons.ENOTFOUND || code == commons.EGONE {
			return false, nil
		}
		return true, err
	}
	p, err := f.followedPeer(ctx, act.Actor)
	if err != nil || p == nil {
		return true, err
	}
	c := store.RemoteChange{ID: act.ObjectID}
	if act.Object != nil {
		if c, err = parseReplica(act.Object); err != nil {
			return true, err
		}
	}
	return true, f.applyReplica(ctx, p, c)
}

// onFollow records the follower and queues an Accept. Our actors never
// require approval.
func (f *Federation) onFollow(ctx context.Context, act *Activity) error {
	target := act.ObjectID
	if !f.isOurActor(ctx, target) {
		return commons.Errorf(commons.ENOTFOUND, "follow of %s: not an actor of this instance", target)
	}
	follower, err := f.remoteActor(ctx, act.Actor)
	if err != nil {
		return fmt.Errorf("follow by %s: %w", act.Actor, err)
	}
	inbox := follower.SharedInbox
	if inbox == "" {
		inbox = follower.Inbox
	}
	if err := f.db.AddFollower(ctx, store.Follower{Actor: target, Follower: act.Actor, Inbox: inbox, FollowID: act.ID, Created: f.now()}); err != nil {
		return err
	}
	raw := act.Raw
	if act.Object == nil {
		raw = map[string]any{"id": act.ID, "type": "Follow", "actor": act.Actor, "object": target}
	}
	id := target + "#accepts/" + shortHash(act.ID)
	body, err := AcceptDocument(id, target, raw)
	if err != nil {
		return err
	}
	// The Accept goes to the follower's own inbox: it concerns only them.
	if err := f.db.Enqueue(ctx, id, target, body, []string{follower.Inbox}); err != nil {
		return err
	}
	wake(f.wakeDeliver)
	f.log.Info("followed", "actor", target, "follower", act.Actor)
	return nil
}

// onUndo handles Undo{Follow}: the embedded or referenced Follow must be
// the same actor's.
func (f *Federation) onUndo(ctx context.Context, act *Activity) error {
	if act.ObjectType != "" && act.ObjectType != "Follow" {
		return nil // Undo of a Like, Announce…: nothing of ours to undo
	}
	if act.Object != nil {
		if idOf(act.Object["actor"]) != act.Actor {
			return commons.Errorf(commons.EFORBIDDEN, "undo by %s of a follow by %s", act.Actor, idOf(act.Object["actor"]))
		}
		return f.db.RemoveFollower(ctx, idOf(act.Object["object"]), act.Actor)
	}
	return f.db.RemoveFollowByID(ctx, act.ObjectID, act.Actor)
}

// onDelete handles the deletion of a remote actor: it disappears from
// every follower list and from the cache.
func (f *Federation) onDelete(ctx context.Context, act *Activity) error {
	if act.ObjectID != act.Actor {
		// A post of theirs: only those of the records we copy are kept.
		return f.db.DeleteCopyPost(ctx, act.Actor, act.ObjectID, f.now())
	}
	f.log.Info("remote actor deleted", "actor", act.Actor)
	f.pubKeys.forget(act.Actor)
	return f.db.DeleteRemoteActor(ctx, act.Actor)
}

// onUpdate refreshes a remote actor from the document it sent about
// itself; the signature proved it is theirs.
func (f *Federation) onUpdate(ctx context.Context, act *Activity) error {
	if act.Object == nil || act.ObjectID != act.Actor {
		return nil
	}
	b, err := json.Marshal(act.Object)
	if err != nil {
		return err
	}
	a, err := ParseActor(b, act.Actor)
	if err != nil {
		// A partial document (no key, no inbox): fetch the actor itself,
		// as Mastodon does.
		f.log.LogAttrs(ctx, slog.LevelDebug, "partial actor in Update; fetching it", slog.String("actor", act.Actor), slog.Any("err", err))
		body, gerr := f.get(ctx, act.Actor)
		if gerr != nil {
			return fmt.Errorf("update of %s: %w; fetch: %w", act.Actor, err, gerr)
		}
		if a, err = ParseActor(body, act.Actor); err != nil {
			return fmt.Errorf("update of %s: %w", act.Actor, err)
		}
	}
	f.pubKeys.forget(a.ID)
	return f.db.PutRemoteActor(ctx, storeActor(a, f.now()))
}

// onBlock respects a block of one of our actors: the blocker stops
// following it and gets nothing more from it.
func (f *Federation) onBlock(ctx context.Context, act *Activity) error {
	if !f.isOurActor(ctx, act.ObjectID) {
		return nil
	}
	f.log.Info("blocked by a remote actor", "actor", act.ObjectID, "by", act.Actor)
	return f.db.RemoveFollower(ctx, act.ObjectID, act.Actor)
}

// isOurActor reports whether iri is a live actor of this instance.
func (f *Federation) isOurActor(ctx context.Context, iri string) bool {
	if iri == f.InstanceActorID() {
		return true
	}
	if _, ok := f.topicOf(iri); ok {
		return true
	}
	slug, ok := strings.CutPrefix(iri, f.base+"/records/")
	if !ok || strings.Contains(slug, "/") {
		return false
	}
	_, err := f.db.Record(ctx, slug)
	if err != nil && commons.ErrorCode(err) != commons.ENOTFOUND && commons.ErrorCode(err) != commons.EGONE {
		f.log.LogAttrs(ctx, slog.LevelError, "look up actor", slog.String("iri", iri), slog.Any("err", err))
	}
	return err == nil
}
