package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
)

// Federation is what web needs from the ActivityPub side; cmd passes the
// *federation.Federation. Each method writes its document or returns an
// error for the adapter to answer.
type Federation interface {
	ServeRecordActor(w http.ResponseWriter, r *http.Request, slug string) error
	ServeInstanceActor(w http.ResponseWriter, r *http.Request) error
	ServeInstanceCollection(w http.ResponseWriter, r *http.Request, which string) error
	ServeOutbox(w http.ResponseWriter, r *http.Request, slug string) error
	ServeFollowers(w http.ResponseWriter, r *http.Request, slug string) error
	ServeFollowing(w http.ResponseWriter, r *http.Request, slug, which string) error
	ServePost(w http.ResponseWriter, r *http.Request, slug, postID string) error
	ServeIcon(w http.ResponseWriter, r *http.Request, slug string) error
	// ServeRecordIcon draws the icon of any record, such as a copy.
	ServeRecordIcon(w http.ResponseWriter, r *http.Request, rec *commons.Record) error
	// InstanceName is the name another instance (origin, a base URL)
	// gives itself in its instance actor, or "" if unknown.
	InstanceName(ctx context.Context, origin string) string
	ServeWebFinger(w http.ResponseWriter, r *http.Request) error
	ServeHostMeta(w http.ResponseWriter, r *http.Request, asJSON bool) error
	ServeNodeInfoIndex(w http.ResponseWriter, r *http.Request) error
	ServeNodeInfo(w http.ResponseWriter, r *http.Request, version string) error
	PostInbox(w http.ResponseWriter, r *http.Request, recipient string) error
	RecordChanged()
	RecordFollowers(r *http.Request, slug string) ([]commons.Follower, error)
	PublishPost(r *http.Request, slug, lang, text string) (string, error)
	// RecordSocial returns the follower count, the latest posts (at most
	// posts of them) and the other listings of a record, local or remote.
	RecordSocial(ctx context.Context, rec *commons.Record, posts int) (*commons.Social, error)
	// RemoteFollowURL returns the page on a visitor's own server where
	// they confirm following target (one of this instance's actor IRIs);
	// handle is their account, "@alice@example.org". It returns "" and no
	// error when their server offers no such page.
	RemoteFollowURL(ctx context.Context, handle, target string) (string, error)
	// ServeTopicActor and ServeTopicCollection write a topic's Group actor
	// (/topics/{topic}, to ActivityPub clients) and its collections.
	ServeTopicActor(w http.ResponseWriter, r *http.Request, topic string) error
	ServeTopicCollection(w http.ResponseWriter, r *http.Request, topic, which string) error
}

// ActivityPub media types, offered on URLs that are also actors or objects.
const (
	mediaActivity = "application/activity+json"
	mediaLDAS     = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

var actorPageOffers = []string{mediaHTML, mediaJSON, mediaActivity, mediaLDAS}

// wantsActivity reports whether the request prefers an ActivityPub
// document to the page.
func wantsActivity(r *http.Request, offers []string) bool {
	accept := r.Header.Get("Accept")
	if accept == mediaActivity || accept == mediaLDAS {
		return true // what fediverse servers send: no parsing on the hot path
	}
	o := negotiate(accept, offers)
	return o == mediaActivity || o == mediaLDAS
}

// serveFast answers the requests made most often — a record from the API,
// a POST to the shared inbox, WebFinger, and a record's actor document
// asked for as ActivityPub — without the router (whose regular expressions
// cost more than the rest of such a request), and reports whether it did.
// It takes only requests the router would hand to the same handler with
// the same arguments: a GET or HEAD of /api/v1/records/{slug} with a slug
// without a dot or slash; a POST to exactly /inbox; a GET or HEAD of
// exactly /.well-known/webfinger, or of /records/{slug} with an Accept that is
// exactly an ActivityPub type and a slug without a dot (dotted paths may
// be exports, /records/{slug}.jsonld) or slash. Anything else, including
// every case the router treats differently, goes on to it.
func (s *server) serveFast(w *recorder, r *http.Request) bool {
	if s.noFast {
		return false
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, apiRecordPrefix) {
		// GET /api/v1/records/{slug}: a plain slug only; anything else
		// (a sub-resource, a path mux would clean) goes through the router.
		slug := r.URL.Path[len(apiRecordPrefix):]
		if slug == "" || strings.IndexByte(slug, '/') >= 0 || strings.IndexByte(slug, '.') >= 0 {
			return false
		}
		w.route = s.stats.apiRecord
		if err := s.getRecord(w, r, slug); err != nil {
			s.writeError(w, r, err)
		}
		return true
	}
	if s.fed == nil {
		return false
	}
	if r.Method == http.MethodPost && r.URL.Path == "/inbox" {
		w.route = s.stats.inbox
		if err := s.postInbox(w, r, ""); err != nil {
			s.writeError(w, r, err)
		}
		return true
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	var err error
	switch p := r.URL.Path; {
	case p == "/.well-known/webfinger":
		w.route = s.stats.webfinger
		err = s.fed.ServeWebFinger(w, r)
	case p == "/nodeinfo/2.1" || p == "/nodeinfo/2.0":
		w.route = s.stats.nodeinfo
		err = s.fed.ServeNodeInfo(w, r, p[len("/nodeinfo/"):])
	case strings.HasPrefix(p, "/records/"):
		slug := p[len("/records/"):]
		if slug == "" || strings.IndexByte(slug, '/') >= 0 || strings.IndexByte(slug, '.') >= 0 {
			return false
		}
		if accept := r.Header.Get("Accept"); accept != mediaActivity && accept != mediaLDAS {
			return false
		}
		setVary(w)
		w.route = s.stats.recordActor
		err = s.fed.ServeRecordActor(w, r, slug)
	default:
		return false
	}
	if err != nil {
		s.writeError(w, r, err)
	}
	return true
}

const apiRecordPrefix = "/api/v1/records/"

// postInbox hands a POST to an inbox to the federation, unless the client
// address has sent more than its bucket allows (Options.InboxRate): then
// 429 with Retry-After, before the signature is checked or anything is
// stored. A server that delivers honours it and tries again later.
func (s *server) postInbox(w http.ResponseWriter, r *http.Request, recipient string) error {
	if s.inboxLimits != nil {
		if wait := s.inboxLimits.reserve(s.clientIP(r), time.Now()); wait > 0 {
			return tooMany(w, wait, "Too many activities from this address; retry in %d s.")
		}
	}
	return s.fed.PostInbox(w, r, recipient)
}

// federationRoutes adds the ActivityPub and discovery URLs.
func (s *server) federationRoutes(r *mux.Router) {
	const get, head, post = http.MethodGet, http.MethodHead, http.MethodPost
	f := s.fed
	slug := func(r *http.Request) string { return mux.Vars(r)["slug"] }
	r.Handle("/.well-known/webfinger", s.handle(f.ServeWebFinger)).Methods(get, head)
	r.Handle("/.well-known/host-meta", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeHostMeta(w, r, negotiate(r.Header.Get("Accept"), []string{"application/xrd+xml", mediaJSON}) == mediaJSON)
	})).Methods(get, head)
	r.Handle("/.well-known/host-meta.json", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeHostMeta(w, r, true)
	})).Methods(get, head)
	r.Handle("/.well-known/nodeinfo", s.handle(f.ServeNodeInfoIndex)).Methods(get, head)
	r.Handle("/nodeinfo/{version}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeNodeInfo(w, r, mux.Vars(r)["version"])
	})).Methods(get, head)

	r.Handle("/actor", s.handle(f.ServeInstanceActor)).Methods(get, head)
	r.Handle("/actor/{which:outbox|followers|following|featured|records}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeInstanceCollection(w, r, mux.Vars(r)["which"])
	})).Methods(get, head)
	r.Handle("/actor/inbox", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.postInbox(w, r, s.base+"/actor")
	})).Methods(post)
	r.Handle("/inbox", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.postInbox(w, r, "")
	})).Methods(post)

	r.Handle("/records/{slug}/inbox", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.postInbox(w, r, s.base+"/records/"+slug(r))
	})).Methods(post)
	r.Handle("/records/{slug}/outbox", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeOutbox(w, r, slug(r))
	})).Methods(get, head)
	r.Handle("/records/{slug}/followers", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeFollowers(w, r, slug(r))
	})).Methods(get, head)
	r.Handle("/records/{slug}/{which:following|featured}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeFollowing(w, r, slug(r), mux.Vars(r)["which"])
	})).Methods(get, head)
	r.Handle("/records/{slug}/icon.png", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeIcon(w, r, slug(r))
	})).Methods(get, head)
	r.Handle("/records/{slug}/posts/{post}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		setVary(w)
		if !wantsActivity(r, actorPageOffers) {
			// The post's page is its record's page for now.
			http.Redirect(w, r, "/records/"+url.PathEscape(slug(r)), http.StatusSeeOther)
			return nil
		}
		return f.ServePost(w, r, slug(r), mux.Vars(r)["post"])
	})).Methods(get, head)
	r.Handle("/authorize_interaction", s.handle(s.handleAuthorizeInteraction)).Methods(get, head)

	// Topics: the Group actor answers ActivityPub requests; browsers get
	// the topic's page (pages.go), registered after this.
	topic := func(r *http.Request) string { return mux.Vars(r)["topic"] }
	r.Handle("/topics/{topic}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		setVary(w)
		return f.ServeTopicActor(w, r, topic(r))
	})).Methods(get, head).MatcherFunc(func(r *http.Request, _ *mux.RouteMatch) bool {
		return wantsActivity(r, actorPageOffers)
	})
	r.Handle("/topics/{topic}/inbox", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.postInbox(w, r, s.base+"/topics/"+topic(r))
	})).Methods(post)
	r.Handle("/topics/{topic}/{which:outbox|followers|following|featured}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return f.ServeTopicCollection(w, r, topic(r), mux.Vars(r)["which"])
	})).Methods(get, head)
}

// handleAuthorizeInteraction is the target of our WebFinger subscribe
// template. This instance has no fediverse accounts of its own to follow
// from, so a URI of ours goes to its page and any other is refused. It
// redirects only to a path of this site (see localPath): never to
// another host, however the URI is spelled.
func (s *server) handleAuthorizeInteraction(w http.ResponseWriter, r *http.Request) error {
	uri := r.URL.Query().Get("uri")
	if p, ok := localPath(s.base, uri); ok {
		http.Redirect(w, r, p, http.StatusSeeOther)
		return nil
	}
	return commons.Errorf(commons.ENOTFOUND, "uri: %q is not on this instance; follow it from your own server", uri)
}

// localPath returns the path and query of uri when it is an absolute URL
// on base's origin whose path a browser resolves on this site: it starts
// with one slash, and has no backslash, control character or encoded
// slash or backslash that a browser or a proxy could read as the start
// of another host ("//host", "/\host", "/\t/host", "/%2F/host").
func localPath(base, uri string) (string, bool) {
	b, err := url.Parse(base)
	if err != nil || strings.ContainsFunc(uri, func(c rune) bool { return c < 0x20 || c == 0x7f || c == '\\' }) {
		return "", false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != b.Scheme || !strings.EqualFold(u.Host, b.Host) || u.User != nil || u.Opaque != "" {
		return "", false
	}
	p := u.EscapedPath()
	lower := strings.ToLower(p)
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(lower, "/%2f") || strings.HasPrefix(lower, "/%5c") {
		return "", false
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p, true
}

// recordChanged wakes the publisher after a write through the API.
func (s *server) recordChanged() {
	if s.fed != nil {
		s.fed.RecordChanged()
	}
}

// handleRecordFollowers lists who follows a record (editors only).
func (s *server) handleRecordFollowers(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if s.fed == nil {
		return commons.Errorf(commons.ENOTFOUND, "this instance does not federate")
	}
	fs, err := s.fed.RecordFollowers(r, mux.Vars(r)["slug"])
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"items": fs, "total": len(fs)})
	return nil
}

// postRequest is the body of POST /api/v1/records/{slug}/posts.
type postRequest struct {
	Text string `json:"text"`
	Lang string `json:"lang,omitempty"`
}

// handlePostCreate publishes an editor's post for a record to its
// followers.
func (s *server) handlePostCreate(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if s.fed == nil {
		return commons.Errorf(commons.ENOTFOUND, "this instance does not federate")
	}
	b, err := s.readBody(w, r, mediaJSON)
	if err != nil {
		return err
	}
	var req postRequest
	if err := commons.DecodeStrict(bytes.NewReader(b), &req); err != nil {
		return err
	}
	id, err := s.fed.PublishPost(r, mux.Vars(r)["slug"], req.Lang, req.Text)
	if err != nil {
		return err
	}
	w.Header().Set("Location", id)
	s.writeJSON(w, r, http.StatusCreated, mediaJSON, map[string]string{"id": id})
	return nil
}
