package web

import (
	"context"

	"github.com/commons-directory/commons"
)

// Operator is what the operators' API and pages need to run the instance's
// federation: peers, domain blocks and the delivery queue. cmd passes the
// *federation.Federation. Each method returns *commons.Error codes:
// ENOTFOUND for an unknown peer, EINVALID for a bad address, and so on.
type Operator interface {
	// Peers lists every peer, in either direction, by host.
	Peers(ctx context.Context) ([]commons.Peer, error)
	// FollowPeer asks the instance at target (a URL or a host name) to
	// let this one follow it, and returns the peer as it now stands.
	FollowPeer(ctx context.Context, target string) (*commons.Peer, error)
	// UnfollowPeer stops following the peer at host (Undo Follow). Its
	// records stay, read-only, until it is blocked.
	UnfollowPeer(ctx context.Context, host string) error
	// ApprovePeer accepts the pending follow request of host.
	ApprovePeer(ctx context.Context, host string) error
	// RejectPeer refuses host's follow request, or ends its accepted one.
	RejectPeer(ctx context.Context, host string) error
	// SyncPeer reconciles this instance's copy of host's records with the
	// peer's record collection now, and returns when it is done.
	SyncPeer(ctx context.Context, host string) error

	BlockDomain(ctx context.Context, b commons.DomainBlock) error
	UnblockDomain(ctx context.Context, domain string) error
	DomainBlocks(ctx context.Context) ([]commons.DomainBlock, error)
	DeliveryQueue(ctx context.Context) (*commons.DeliveryQueue, error)
}
