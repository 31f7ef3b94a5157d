package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// Live relaying. An instance that accepts a new state of another
// instance's record (from its origin, or relayed by a peer) passes the
// origin's signed document on, at once, in an Announce by its instance
// actor, to the peers that follow it and do not follow the origin
// themselves: the spokes of a hub hear of each other's changes within
// seconds, not at the next reconciliation. The document travels exactly
// as the origin signed it, so each receiver checks the origin's proof, as
// for a copy in a page of the record collection.
//
// No loops, no storms: a document goes neither to its origin nor back to
// the peer it came from, nor to a peer that follows the origin; and an
// instance passes a document on only when it changed what it holds — a
// state it holds already (same id, same or older version) stops there.
// So each instance relays each version at most once. Which instances a
// peer follows it says itself when it reads the record collection (its
// exclude parameter); a peer that never said gets nothing relayed and
// reads the changes at its next reconciliation.

// relay passes the signed document of a record of origin (a base URL),
// received from the instance actor from, on to the peers that should get
// it.
func (f *Federation) relay(ctx context.Context, origin, from string, doc []byte) error {
	inboxes, err := f.db.RelayTargets(ctx, origin, from)
	if err != nil || len(inboxes) == 0 {
		return err
	}
	id := f.InstanceActorID() + "#relays/" + shortHash(string(doc))
	body, err := marshal(withIntegrityContext(publicActivityMap(id, "Announce", f.InstanceActorID(), json.RawMessage(doc), f.now())))
	if err != nil {
		return err
	}
	if err := f.db.Enqueue(ctx, id, f.InstanceActorID(), body, inboxes); err != nil {
		return err
	}
	wake(f.wakeDeliver)
	return nil
}

// notice tells the peers that follow this instance, and may lack records
// of origins that a reconciliation with the peer from just brought here,
// that the record collection has new items: an Announce of the
// collection. A peer that follows this one reconciles with it at once
// (see onNotice); it then reads only what it lacks. So a hub's spokes
// get the records of a new spoke without waiting for their next
// scheduled reconciliation. A notice is sent only after a reconciliation
// that changed something here, so notices die out.
func (f *Federation) notice(ctx context.Context, from string, origins []string) error {
	inboxes, err := f.db.NoticeTargets(ctx, origins, from)
	if err != nil || len(inboxes) == 0 {
		return err
	}
	coll := f.InstanceActorID() + "/records"
	id := f.InstanceActorID() + "#notices/" + shortHash(fmt.Sprint(from, origins, f.now().UnixNano()))
	body, err := publicActivity(id, "Announce", f.InstanceActorID(), coll, f.now())
	if err != nil {
		return err
	}
	if err := f.db.Enqueue(ctx, id, f.InstanceActorID(), body, inboxes); err != nil {
		return err
	}
	wake(f.wakeDeliver)
	return nil
}

// onNotice reconciles with a followed peer that announces its record
// collection has new items.
func (f *Federation) onNotice(ctx context.Context, act *Activity) error {
	p, err := f.followedPeer(ctx, act.Actor)
	if err != nil || p == nil || p.Outgoing != commons.PeerAccepted {
		return err
	}
	if err := f.db.TouchPeer(ctx, p.Actor, f.now()); err != nil {
		return err
	}
	wake(f.wakeSync)
	return nil
}

// isRelayedRecord reports whether an Announce carries a record object or
// a tombstone of a record.
func isRelayedRecord(act *Activity) bool {
	return act.Object != nil && (isRecordObject(act.Object) || act.ObjectType == "Tombstone")
}

// onRelayed stores a record document a followed peer passes on from the
// record's origin, when the origin's proof holds, and passes it on in
// turn if it changed what this instance holds. Documents of this
// instance, of blocked domains and of instances this one follows itself
// (which send their changes directly) are ignored.
func (f *Federation) onRelayed(ctx context.Context, act *Activity) error {
	p, err := f.followedPeer(ctx, act.Actor)
	if err != nil || p == nil || p.Outgoing != commons.PeerAccepted {
		return err
	}
	c, err := parseReplica(act.Object)
	if err != nil {
		return err
	}
	if c.Signed == nil {
		return commons.Errorf(commons.EFORBIDDEN, "%s passed on by %s carries no proof by its origin", c.ID, act.Actor)
	}
	if strings.HasPrefix(c.ID, f.base+"/") {
		return nil
	}
	if blocked, err := f.db.DomainBlocked(ctx, hostname(host(c.ID))); err != nil || blocked {
		return err
	}
	if o, err := f.db.Peer(ctx, host(c.ID)); err == nil && o.Outgoing == commons.PeerAccepted && o.Actor != p.Actor {
		return nil // its origin sends it here itself
	}
	origin, err := f.verifyRelayed(ctx, c.Signed, c.ID)
	if err != nil {
		return err
	}
	c.Origin = origin
	return f.applyReplica(ctx, p, c)
}

// applyReplica stores one change from a followed peer, notes that the
// peer was heard from, and passes the change on when it is new here.
func (f *Federation) applyReplica(ctx context.Context, p *store.Peer, c store.RemoteChange) error {
	if err := f.db.TouchPeer(ctx, p.Actor, f.now()); err != nil {
		return err
	}
	res, err := f.db.ApplyRemote(ctx, originOf(p.Actor), []store.RemoteChange{c}, f.now(), "", "")
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		return res.Rejected[0].Err
	}
	if res.Applied() > 0 && c.Signed != nil {
		origin := c.Origin
		if origin == "" {
			origin = originOf(p.Actor)
		}
		if err := f.relay(ctx, origin, p.Actor, c.Signed); err != nil {
			f.log.Warn("pass a record on", "record", c.ID, "err", err)
		}
	}
	return nil
}
