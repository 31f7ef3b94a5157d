package store

import (
	"context"
	"sync"
	"testing"

	"github.com/commons-directory/commons"
)

// TestChangePeerConcurrent: our Follow of a peer and the processing of
// its Follow of us change the same row at the same moment; each change
// keeps the other's (a read then a PutPeer lost one of them in the demo).
func TestChangePeerConcurrent(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		ctx := context.Background()
		db, _ := openFed(t)
		const actor, host = "https://b.example/actor", "b.example"
		for round := range 20 {
			if err := db.DeletePeer(ctx, host); err != nil && commons.ErrorCode(err) != commons.ENOTFOUND {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, change := range []func(*Peer) error{
				func(p *Peer) error { p.Outgoing, p.OutgoingFollowID = commons.PeerPending, "ours"; return nil },
				func(p *Peer) error { p.Incoming, p.IncomingFollowID = commons.PeerAccepted, "theirs"; return nil },
			} {
				wg.Go(func() {
					if _, err := db.ChangePeer(ctx, actor, host, change); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			p, err := db.Peer(ctx, actor)
			if err != nil {
				t.Fatal(err)
			}
			if p.Outgoing != commons.PeerPending || p.OutgoingFollowID != "ours" || p.Incoming != commons.PeerAccepted || p.IncomingFollowID != "theirs" {
				t.Fatalf("round %d: %+v: one change undid the other", round, p.Peer)
			}
		}
	})
}
