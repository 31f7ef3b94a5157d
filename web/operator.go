package web

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"

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

// operatorRoutes adds the admin API: peers, domain blocks, the delivery
// queue, and the other listings of a record. The routes exist on every
// instance; without an Operator they answer 404.
func (s *server) operatorRoutes(r *mux.Router) {
	const get, head, post, del = http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete
	r.Handle("/api/v1/peers", s.handle(s.admin(s.handlePeers))).Methods(get, head)
	r.Handle("/api/v1/peers", s.handle(s.admin(s.handlePeerFollow))).Methods(post)
	r.Handle("/api/v1/peers/{host}", s.handle(s.admin(s.handlePeerUnfollow))).Methods(del)
	for _, action := range []string{"approve", "reject", "sync"} {
		r.Handle("/api/v1/peers/{host}/"+action, s.handle(s.admin(func(w http.ResponseWriter, r *http.Request, u *commons.User) error {
			return s.handlePeerAction(w, r, action)
		}))).Methods(post)
	}
	r.Handle("/api/v1/blocks", s.handle(s.admin(s.handleBlocks))).Methods(get, head)
	r.Handle("/api/v1/blocks", s.handle(s.admin(s.handleBlockAdd))).Methods(post)
	r.Handle("/api/v1/blocks/{domain}", s.handle(s.admin(s.handleBlockRemove))).Methods(del)
	r.Handle("/api/v1/deliveries", s.handle(s.admin(s.handleDeliveries))).Methods(get, head)
	r.Handle("/api/v1/records/{slug}/listings", s.handle(s.handleRecordListings)).Methods(get, head)
}

// admin guards an operator endpoint: an admin's bearer token; writes also
// draw from the client's rate-limit bucket.
func (s *server) admin(h userHandler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := s.allowWrite(w, r); err != nil {
				return err
			}
		}
		u, err := s.authenticate(r.Context(), r)
		if err != nil {
			return err
		}
		if !u.IsAdmin() {
			return commons.Errorf(commons.EFORBIDDEN, "User %s (%s) may not operate the instance; an admin may.", u.Name, u.Role)
		}
		if s.op == nil {
			return commons.Errorf(commons.ENOTFOUND, "this instance does not federate")
		}
		return h(w, r, u)
	}
}

func (s *server) handlePeers(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	ps, err := s.op.Peers(r.Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []commons.Peer{}
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"items": ps, "total": len(ps)})
	return nil
}

// peerRequest is the body of POST /api/v1/peers.
type peerRequest struct {
	URL string `json:"url"`
}

func (s *server) handlePeerFollow(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	b, err := s.readBody(w, r, mediaJSON)
	if err != nil {
		return err
	}
	var req peerRequest
	if err := commons.DecodeStrict(bytes.NewReader(b), &req); err != nil {
		return err
	}
	p, err := s.op.FollowPeer(r.Context(), req.URL)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.base+"/api/v1/peers/"+url.PathEscape(p.Host))
	s.writeJSON(w, r, http.StatusAccepted, mediaJSON, p)
	return nil
}

func (s *server) handlePeerUnfollow(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if err := s.op.UnfollowPeer(r.Context(), mux.Vars(r)["host"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handlePeerAction approves, rejects or synchronises a peer, and answers
// the peer as it then stands.
func (s *server) handlePeerAction(w http.ResponseWriter, r *http.Request, action string) error {
	ctx, host := r.Context(), mux.Vars(r)["host"]
	var err error
	switch action {
	case "approve":
		err = s.op.ApprovePeer(ctx, host)
	case "reject":
		err = s.op.RejectPeer(ctx, host)
	case "sync":
		// A first sync of a large peer takes a while: let it.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(10 * time.Minute))
		err = s.op.SyncPeer(ctx, host)
	}
	if err != nil {
		return err
	}
	ps, err := s.op.Peers(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Host == host || p.Actor == host {
			s.writeJSON(w, r, http.StatusOK, mediaJSON, p)
			return nil
		}
	}
	return commons.Errorf(commons.ENOTFOUND, "no peer %s", host)
}

func (s *server) handleBlocks(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	bs, err := s.op.DomainBlocks(r.Context())
	if err != nil {
		return err
	}
	if bs == nil {
		bs = []commons.DomainBlock{}
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"items": bs, "total": len(bs)})
	return nil
}

// blockRequest is the JSON body of POST /api/v1/blocks.
type blockRequest struct {
	Domain string `json:"domain"`
	Reason string `json:"reason,omitempty"`
}

// handleBlockAdd blocks one domain (JSON) or every domain of a Mastodon
// domain-block CSV (text/csv), all or nothing.
func (s *server) handleBlockAdd(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	var blocks []commons.DomainBlock
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" {
		b, err := s.readBody(w, r, "text/csv")
		if err != nil {
			return err
		}
		if blocks, err = commons.ParseDomainBlocksCSV(bytes.NewReader(b)); err != nil {
			return err
		}
	} else {
		b, err := s.readBody(w, r, mediaJSON)
		if err != nil {
			return err
		}
		var req blockRequest
		if err := commons.DecodeStrict(bytes.NewReader(b), &req); err != nil {
			return err
		}
		if req.Domain == "" {
			return &commons.Error{Code: commons.EINVALID, Message: "the block is invalid",
				Fields: []commons.FieldError{{Field: "domain", Message: "is required"}}}
		}
		blocks = []commons.DomainBlock{{Domain: req.Domain, Severity: "suspend", Reason: req.Reason}}
	}
	for _, b := range blocks {
		if err := s.op.BlockDomain(r.Context(), b); err != nil {
			return err
		}
	}
	s.writeJSON(w, r, http.StatusCreated, mediaJSON, map[string]any{"items": blocks, "total": len(blocks)})
	return nil
}

func (s *server) handleBlockRemove(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if err := s.op.UnblockDomain(r.Context(), mux.Vars(r)["domain"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) handleDeliveries(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	q, err := s.op.DeliveryQueue(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, q)
	return nil
}

// handleRecordListings answers the other listings of a local record: the
// records, here or at peers, that share one of its identifiers.
func (s *server) handleRecordListings(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.dir.Record(r.Context(), mux.Vars(r)["slug"])
	if err != nil {
		return err
	}
	return s.writeListings(w, r, rec)
}

// writeListings sends the other listings of rec.
func (s *server) writeListings(w http.ResponseWriter, r *http.Request, rec *commons.Record) error {
	also := []commons.Listing{}
	if s.fed != nil {
		soc, err := s.fed.RecordSocial(r.Context(), rec, 0)
		if err != nil {
			return err
		}
		also = soc.AlsoListedBy
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"items": also, "total": len(also)})
	return nil
}
