package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// Instances peer through their instance actors: this one's Follow of
// another's asks for its record documents; the other accepts per its
// PeerPolicy. A peer is recognised by the record collection its instance
// actor names (commonsRecords); any other account that follows the
// instance actor is an ordinary follower and receives posts.

// PeerStore keeps the instances we follow or that follow us, and their
// inboxes.
type PeerStore interface {
	Peer(ctx context.Context, key string) (*store.Peer, error)
	Peers(ctx context.Context) ([]store.Peer, error)
	FollowedPeers(ctx context.Context) ([]store.Peer, error)
	ChangePeer(ctx context.Context, actor, host string, fn func(*store.Peer) error) (*store.Peer, error)
	UpdatePeer(ctx context.Context, key string, fn func(*store.Peer) error) (*store.Peer, error)
	TouchPeer(ctx context.Context, actor string, at time.Time) error
	NotePeerFollows(ctx context.Context, actor string, hosts []string) error
	PeerInboxes(ctx context.Context) ([]string, error)
}

// BlockStore keeps the blocked domains.
type BlockStore interface {
	DomainBlocked(ctx context.Context, host string) (bool, error)
	DomainBlocks(ctx context.Context) ([]store.DomainBlock, error)
	BlockDomain(ctx context.Context, b store.DomainBlock) error
	UnblockDomain(ctx context.Context, domain string) error
}

// peerActorURL turns what an operator typed — a host, a base URL or the
// instance actor's IRI — into the instance actor's IRI.
func (f *Federation) peerActorURL(target string) (string, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return "", commons.Errorf(commons.EINVALID, "url: the address of the instance to follow is required")
	}
	if !strings.Contains(t, "://") {
		t = f.schemeFor(strings.SplitN(t, "/", 2)[0]) + "://" + t
	}
	u, err := url.Parse(t)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", commons.Errorf(commons.EINVALID, "url: %q is not the address of an instance", target)
	}
	u.Host = strings.ToLower(u.Host)
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/actor") {
		p += "/actor"
	}
	u.Path = p
	return u.String(), nil
}

// FollowPeer asks the instance at target to let this one follow it: it
// fetches the peer's instance actor, checks that it is a Commons Directory
// instance, and queues a Follow. The peer's answer (Accept or Reject)
// arrives in the inbox; an Accept starts the backfill.
func (f *Federation) FollowPeer(ctx context.Context, target string) (*commons.Peer, error) {
	actorID, err := f.peerActorURL(target)
	if err != nil {
		return nil, err
	}
	if host(actorID) == f.host {
		return nil, commons.Errorf(commons.EINVALID, "url: %s is this instance", target)
	}
	if blocked, err := f.db.DomainBlocked(ctx, hostname(host(actorID))); err != nil {
		return nil, err
	} else if blocked {
		return nil, commons.Errorf(commons.EFORBIDDEN, "the domain %s is blocked; unblock it first", host(actorID))
	}
	a, err := f.fetchPeerActor(ctx, actorID)
	if err != nil {
		return nil, err
	}
	followID := fmt.Sprintf("%s#follows/%s", f.InstanceActorID(), shortHash(actorID+f.now().String()))
	p, err := f.db.ChangePeer(ctx, actorID, host(actorID), func(p *store.Peer) error {
		p.Name, p.Inbox = a.Name, a.DeliveryInbox()
		p.Outgoing, p.OutgoingFollowID, p.LastError = commons.PeerPending, followID, ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	body, err := marshal(normalize(map[string]any{"id": followID, "type": "Follow", "actor": f.InstanceActorID(), "object": actorID}))
	if err != nil {
		return nil, err
	}
	if err := f.db.Enqueue(ctx, followID, f.InstanceActorID(), body, []string{a.Inbox}); err != nil {
		return nil, err
	}
	wake(f.wakeDeliver)
	f.log.Info("asked to follow a peer", "peer", actorID)
	return &p.Peer, nil
}

// fetchPeerActor fetches an instance actor and checks that it belongs to
// a Commons Directory instance; the actor is cached for its key.
func (f *Federation) fetchPeerActor(ctx context.Context, actorID string) (*RemoteActor, error) {
	body, err := f.get(ctx, actorID)
	if err != nil {
		return nil, commons.Errorf(commons.ENOTFOUND, "could not fetch the instance actor %s: %v", actorID, err)
	}
	a, err := ParseActor(body, actorID)
	if err != nil {
		return nil, commons.Errorf(commons.EINVALID, "%s: %v", actorID, err)
	}
	if !isDirectoryActor(body) {
		return nil, commons.Errorf(commons.EINVALID, "url: %s is not a Commons Directory instance (its actor has no record collection)", actorID)
	}
	if err := f.db.PutRemoteActor(ctx, storeActor(a, f.now())); err != nil {
		return nil, err
	}
	return a, nil
}

// isDirectoryActor reports whether an actor document is a Commons
// Directory instance actor: it names a record collection on its own host.
func isDirectoryActor(body []byte) bool {
	var probe struct {
		ID      string `json:"id"`
		Records string `json:"commonsRecords"`
	}
	return json.Unmarshal(body, &probe) == nil && probe.Records != "" && host(probe.Records) == host(probe.ID)
}

// UnfollowPeer stops following a peer (Undo of our Follow). Its records
// stay, read-only, until the domain is blocked.
func (f *Federation) UnfollowPeer(ctx context.Context, key string) error {
	p, err := f.db.Peer(ctx, key)
	if err != nil {
		return err
	}
	if p.Outgoing == commons.PeerNone {
		return commons.Errorf(commons.EPRECONDITION, "this instance does not follow %s", p.Host)
	}
	follow := map[string]any{"id": p.OutgoingFollowID, "type": "Follow", "actor": f.InstanceActorID(), "object": p.Actor}
	undoID := p.OutgoingFollowID + "/undo"
	body, err := marshal(normalize(map[string]any{"id": undoID, "type": "Undo", "actor": f.InstanceActorID(), "object": follow}))
	if err != nil {
		return err
	}
	if err := f.db.Enqueue(ctx, undoID, f.InstanceActorID(), body, []string{p.Inbox}); err != nil {
		return err
	}
	wake(f.wakeDeliver)
	_, err = f.db.UpdatePeer(ctx, p.Actor, func(sp *store.Peer) error {
		sp.Outgoing, sp.OutgoingFollowID = commons.PeerNone, ""
		return nil
	})
	return err
}

// ApprovePeer accepts a peer's pending (or earlier rejected) request to
// follow this instance.
func (f *Federation) ApprovePeer(ctx context.Context, key string) error {
	return f.answerPeer(ctx, key, true)
}

// RejectPeer refuses a peer's request to follow this instance, or ends
// its accepted follow: it gets no more record documents.
func (f *Federation) RejectPeer(ctx context.Context, key string) error {
	return f.answerPeer(ctx, key, false)
}

func (f *Federation) answerPeer(ctx context.Context, key string, accept bool) error {
	p, err := f.db.Peer(ctx, key)
	if err != nil {
		return err
	}
	if p.Incoming == commons.PeerNone || p.IncomingFollowID == "" {
		return commons.Errorf(commons.EPRECONDITION, "%s has not asked to follow this instance", p.Host)
	}
	state := commons.PeerRejected
	if accept {
		state = commons.PeerAccepted
	}
	if p.Incoming == state {
		return nil
	}
	if err := f.sendAnswer(ctx, p, accept); err != nil {
		return err
	}
	_, err = f.db.UpdatePeer(ctx, p.Actor, func(sp *store.Peer) error {
		sp.Incoming = state
		return nil
	})
	if err == nil {
		f.log.Info("answered a peer", "peer", p.Actor, "state", state)
	}
	return err
}

// sendAnswer queues the Accept or Reject of the peer's Follow.
func (f *Federation) sendAnswer(ctx context.Context, p *store.Peer, accept bool) error {
	follow := map[string]any{"id": p.IncomingFollowID, "type": "Follow", "actor": p.Actor, "object": f.InstanceActorID()}
	kind := "accepts"
	if !accept {
		kind = "rejects"
	}
	id := fmt.Sprintf("%s#%s/%s", f.InstanceActorID(), kind, shortHash(p.IncomingFollowID))
	body, err := AcceptDocument(id, f.InstanceActorID(), follow)
	if err != nil {
		return err
	}
	if !accept {
		m, err := unmarshalMap(body)
		if err != nil {
			return err
		}
		m["type"] = "Reject"
		if body, err = marshal(m); err != nil {
			return err
		}
	}
	if err := f.db.Enqueue(ctx, id, f.InstanceActorID(), body, []string{p.Inbox}); err != nil {
		return err
	}
	wake(f.wakeDeliver)
	return nil
}

// SyncPeer reconciles this instance's copy of a followed peer's records
// now, from where the last reconciliation stopped, and returns when done.
func (f *Federation) SyncPeer(ctx context.Context, key string) error {
	return f.syncPeerKey(ctx, key, false)
}

// SyncPeerFull reconciles this instance's copy of a followed peer's
// records with the whole of the peer's collection, not only what changed
// since the last reconciliation: the peer's versions are compared with
// those held here, and the documents of the records that differ fetched.
func (f *Federation) SyncPeerFull(ctx context.Context, key string) error {
	return f.syncPeerKey(ctx, key, true)
}

func (f *Federation) syncPeerKey(ctx context.Context, key string, full bool) error {
	p, err := f.db.Peer(ctx, key)
	if err != nil {
		return err
	}
	if p.Outgoing != commons.PeerAccepted {
		return commons.Errorf(commons.EPRECONDITION, "this instance does not follow %s (state %q): nothing to synchronise", p.Host, p.Outgoing)
	}
	_, err = f.syncPeer(ctx, p, full)
	return err
}

// Peers lists the peers in both directions, by host.
func (f *Federation) Peers(ctx context.Context) ([]commons.Peer, error) {
	ps, err := f.db.Peers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]commons.Peer, len(ps))
	for i := range ps {
		out[i] = ps[i].Peer
	}
	return out, nil
}

// onPeerFollow handles a Follow of the instance actor by another
// instance, per the peer policy. It reports false when the follower is not
// a Commons Directory instance, for the caller to treat as an ordinary
// follower.
func (f *Federation) onPeerFollow(ctx context.Context, act *Activity) (bool, error) {
	body, err := f.get(ctx, act.Actor)
	if err != nil {
		return false, fmt.Errorf("follow by %s: %w", act.Actor, err)
	}
	if !isDirectoryActor(body) {
		return false, nil
	}
	a, err := ParseActor(body, act.Actor)
	if err != nil {
		return false, fmt.Errorf("follow by %s: %w", act.Actor, err)
	}
	if err := f.db.PutRemoteActor(ctx, storeActor(a, f.now())); err != nil {
		return true, err
	}
	p, err := f.db.ChangePeer(ctx, act.Actor, host(act.Actor), func(p *store.Peer) error {
		p.Name, p.Inbox, p.IncomingFollowID, p.LastContact = a.Name, a.DeliveryInbox(), act.ID, f.now()
		switch {
		case p.Incoming == commons.PeerAccepted, f.opts.PeerPolicy == PolicyOpen:
			p.Incoming = commons.PeerAccepted
		case f.opts.PeerPolicy == PolicyClosed:
			p.Incoming = commons.PeerRejected
		default:
			p.Incoming = commons.PeerPending
		}
		return nil
	})
	if err != nil {
		return true, err
	}
	f.log.Info("an instance asks to follow this one", "peer", act.Actor, "state", p.Incoming, "policy", f.opts.PeerPolicy)
	if p.Incoming == commons.PeerPending {
		return true, nil // an operator answers
	}
	return true, f.sendAnswer(ctx, p, p.Incoming == commons.PeerAccepted)
}

// onAnswer handles a peer's Accept or Reject of our Follow.
func (f *Federation) onAnswer(ctx context.Context, act *Activity, accepted bool) error {
	p, err := f.db.Peer(ctx, act.Actor)
	if commons.ErrorCode(err) == commons.ENOTFOUND {
		return nil // not an answer to a peering request of ours
	} else if err != nil {
		return err
	}
	matches := act.ObjectID != "" && act.ObjectID == p.OutgoingFollowID
	if act.Object != nil {
		matches = matches || (idOf(act.Object["actor"]) == f.InstanceActorID() && idOf(act.Object["object"]) == p.Actor)
	}
	if !matches || p.Outgoing == commons.PeerNone {
		return nil
	}
	state := commons.PeerRejected
	if accepted {
		state = commons.PeerAccepted
	}
	if _, err := f.db.UpdatePeer(ctx, p.Actor, func(sp *store.Peer) error {
		sp.Outgoing, sp.LastContact = state, f.now()
		return nil
	}); err != nil {
		return err
	}
	f.log.Info("peer answered our follow", "peer", p.Actor, "state", state)
	if accepted {
		wake(f.wakeSync) // backfill
	}
	return nil
}

// onPeerUndo handles a peer's Undo of its Follow of this instance.
func (f *Federation) onPeerUndo(ctx context.Context, act *Activity) error {
	p, err := f.db.Peer(ctx, act.Actor)
	if err != nil {
		return nil // not a peer
	}
	_, err = f.db.UpdatePeer(ctx, p.Actor, func(sp *store.Peer) error {
		sp.Incoming, sp.IncomingFollowID = commons.PeerNone, ""
		return nil
	})
	return err
}

// BlockDomain blocks a domain (see store.DB.BlockDomain): its requests
// are refused, nothing more is delivered to it, and its followers, peering
// and records are purged.
func (f *Federation) BlockDomain(ctx context.Context, b commons.DomainBlock) error {
	if b.Severity == "" {
		b.Severity = "suspend"
	}
	if err := f.db.BlockDomain(ctx, b); err != nil {
		return err
	}
	f.log.Info("domain blocked", "domain", b.Domain)
	return nil
}

// UnblockDomain lifts a block. Nothing comes back by itself: following
// the peer again, or a sync, does.
func (f *Federation) UnblockDomain(ctx context.Context, domain string) error {
	return f.db.UnblockDomain(ctx, domain)
}

// DomainBlocks lists the blocks.
func (f *Federation) DomainBlocks(ctx context.Context) ([]commons.DomainBlock, error) {
	return f.db.DomainBlocks(ctx)
}

// DeliveryQueue reports the pending deliveries and the failing inboxes.
func (f *Federation) DeliveryQueue(ctx context.Context) (*commons.DeliveryQueue, error) {
	pending, failing, err := f.db.DeliveryQueue(ctx)
	if err != nil {
		return nil, err
	}
	if failing == nil {
		failing = []commons.InboxHealth{}
	}
	return &commons.DeliveryQueue{Pending: pending, Failing: failing}, nil
}
