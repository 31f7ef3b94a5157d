package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
	"github.com/commons-directory/commons/store"
)

// RecordStore reads the records that the documents we serve and the posts
// we publish are made of.
type RecordStore interface {
	Record(ctx context.Context, slug string) (*commons.Record, error)
	RecordByID(ctx context.Context, id string) (*commons.Record, error)
	RecordRef(ctx context.Context, slug string) (store.RecordRef, error)
	AlsoListed(ctx context.Context, id string) ([]commons.Listing, error)
	Programmes(ctx context.Context) ([]*commons.Record, error)
	CountRecords(ctx context.Context) (local, remote int, err error)
	Seq(ctx context.Context) int64
}

// ContentType is the media type of every ActivityPub document we serve.
const ContentType = "application/activity+json"

// docCache keeps serialised actor documents: a record's document changes
// only with the record (its hash), so a fetch storm costs no JSON work.
type docCache struct {
	mu   sync.RWMutex
	docs map[string]cachedDoc
}

type cachedDoc struct {
	hash string
	body []byte
	etag string
	hdr  docHeaders
}

// docHeaders are the header values of a cached document, built once so
// that serving it allocates nothing for them.
type docHeaders struct {
	etag, length []string
}

func newDocHeaders(body []byte, etag string) docHeaders {
	h := docHeaders{length: []string{strconv.Itoa(len(body))}}
	if etag != "" {
		h.etag = []string{etag}
	}
	return h
}

func (c *docCache) get(id, hash string) (cachedDoc, bool) {
	c.mu.RLock()
	d, ok := c.docs[id]
	c.mu.RUnlock()
	return d, ok && d.hash == hash
}

func (c *docCache) put(id, hash string, body []byte) cachedDoc {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	d := cachedDoc{hash: hash, body: body, etag: etag, hdr: newDocHeaders(body, etag)}
	c.mu.Lock()
	if c.docs == nil || len(c.docs) > 100_000 {
		c.docs = map[string]cachedDoc{}
	}
	c.docs[id] = d
	c.mu.Unlock()
	return d
}

// recordActorDocument returns the actor document of a local record.
func (f *Federation) recordActorDocument(ctx context.Context, r *commons.Record) ([]byte, error) {
	d, err := f.recordActorCached(ctx, r)
	return d.body, err
}

func (f *Federation) recordActorCached(ctx context.Context, r *commons.Record) (cachedDoc, error) {
	if d, ok := f.docs.get(r.ID, r.Provenance.Hash); ok {
		return d, nil
	}
	_, pub, err := f.signingKey(ctx, r.ID)
	if err != nil {
		return cachedDoc{}, err
	}
	body, err := RecordActor(f.base, f.lang, r, pub).Document(f.SharedInbox())
	if err != nil {
		return cachedDoc{}, err
	}
	return f.docs.put(r.ID, r.Provenance.Hash, body), nil
}

// ServeRecordActor writes the actor document of a local record, or a
// Tombstone with 410 if it was deleted.
//
// The prepared document is served when the record's hash still matches,
// which the store tells without copying the record.
func (f *Federation) ServeRecordActor(w http.ResponseWriter, r *http.Request, slug string) error {
	if err := f.authorizeGet(r); err != nil {
		return err
	}
	ref, err := f.db.RecordRef(r.Context(), slug)
	if err != nil {
		if commons.ErrorCode(err) == commons.EGONE {
			return f.writeTombstone(w, f.base+"/records/"+slug)
		}
		return err
	}
	if d, ok := f.docs.get(ref.ID, ref.Hash); ok {
		return writeCached(w, r, &d)
	}
	rec, err := f.db.Record(r.Context(), slug)
	if err != nil {
		if commons.ErrorCode(err) == commons.EGONE {
			return f.writeTombstone(w, f.base+"/records/"+slug)
		}
		return err
	}
	d, err := f.recordActorCached(r.Context(), rec)
	if err != nil {
		return err
	}
	return writeCached(w, r, &d)
}

// ServeInstanceActor writes the instance actor: an Application that signs
// our fetches, follows peers and is found as host@host. Its record
// collection (commonsRecords) is what makes it a Commons Directory
// instance to its peers.
func (f *Federation) ServeInstanceActor(w http.ResponseWriter, r *http.Request) error {
	return f.serveOwnActor(w, r, f.InstanceActorID(), "instance", func(pub string, created time.Time) *Actor {
		a := InstanceActor(f.base, f.hostname(), f.names, f.descs, f.lang, pub, created)
		a.Extra = map[string]any{"commonsRecords": a.ID + "/records"}
		// The key that signs our record documents (FEP-8b32), so peers
		// can pass them on and their peers can still check them.
		if am, err := f.assertionMethod(r.Context()); err == nil {
			a.Extra["assertionMethod"] = am
		} else {
			f.log.Error("instance actor: integrity key", "err", err)
		}
		return a
	})
}

// serveOwnActor writes one of the instance's own non-record actors (the
// instance actor, a topic), built on first request from its key and kept
// in the document cache.
func (f *Federation) serveOwnActor(w http.ResponseWriter, r *http.Request, id, kind string, build func(pub string, created time.Time) *Actor) error {
	if d, ok := f.docs.get(id, kind); ok {
		return writeCached(w, r, &d)
	}
	_, pub, err := f.signingKey(r.Context(), id)
	if err != nil {
		return err
	}
	created := time.Unix(0, 0)
	if k, err := f.db.ActorKey(r.Context(), id); err == nil {
		created = k.Created
	}
	body, err := build(pub, created).Document(f.SharedInbox())
	if err != nil {
		return err
	}
	d := f.docs.put(id, kind, body)
	return writeCached(w, r, &d)
}

// InstanceActor describes the instance actor: an Application whose
// username is the host name (so it is found as host@host), created with
// the instance, named and described in every language it has a text in.
func InstanceActor(base, hostname string, names, descs commons.Text, lang, publicKeyPEM string, created time.Time) *Actor {
	return &Actor{
		Type: "Application", ID: base + "/actor", Username: hostname,
		Name: names, Summary: descs, Lang: lang,
		PublicKeyPEM: publicKeyPEM, Published: created, Updated: created,
		Fields: []Field{{Name: i18n.T(lang, "profile.homepage"), HTML: linkHTML(base+"/", true)}},
	}
}

// ServeInstanceCollection writes the instance actor's outbox, followers,
// following or records collection. Following lists the peers this instance
// follows, so that operators find the rest of the network; followers is a
// count (peers and accounts); records is the record collection peers
// replicate from (see serveRecordCollection).
func (f *Federation) ServeInstanceCollection(w http.ResponseWriter, r *http.Request, which string) error {
	if err := f.authorizeGet(r); err != nil {
		return err
	}
	id := f.InstanceActorID() + "/" + which
	n := 0
	switch which {
	case "records":
		return f.serveRecordCollection(w, r)
	case "following":
		peers, err := f.followedPeers(r.Context())
		if err != nil {
			return err
		}
		items := make([]any, len(peers))
		for i, p := range peers {
			items[i] = p
		}
		body, err := marshal(normalize(map[string]any{"id": id, "type": "OrderedCollection", "totalItems": len(items), "orderedItems": items}))
		if err != nil {
			return err
		}
		return writeDoc(w, r, body, "")
	case "followers":
		c, err := f.db.CountFollowers(r.Context(), f.InstanceActorID())
		if err != nil {
			return err
		}
		peers, err := f.db.PeerInboxes(r.Context())
		if err != nil {
			return err
		}
		n = c + len(peers)
	case "outbox", "featured":
	default:
		return commons.Errorf(commons.ENOTFOUND, "the instance actor has no %s collection", which)
	}
	body, err := OrderedCollectionDocument(id, n, "")
	if err != nil {
		return err
	}
	return writeDoc(w, r, body, "")
}

// followedPeers lists the instance actors of the peers this instance
// follows.
func (f *Federation) followedPeers(ctx context.Context) ([]string, error) {
	ps, err := f.db.FollowedPeers(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, p := range ps {
		if p.Outgoing == commons.PeerAccepted {
			out = append(out, p.Actor)
		}
	}
	return out, nil
}

// ServeOutbox writes a record's outbox: the collection, or with ?page=true
// (and ?before=<unix ms>) a page of its Create activities, newest first.
func (f *Federation) ServeOutbox(w http.ResponseWriter, r *http.Request, slug string) error {
	if err := f.authorizeGet(r); err != nil {
		return err
	}
	rec, err := f.liveRecord(r.Context(), slug)
	if err != nil {
		return err
	}
	id := rec.ID + "/outbox"
	if r.URL.Query().Get("page") == "" {
		n, err := f.db.CountPosts(r.Context(), rec.ID)
		if err != nil {
			return err
		}
		body, err := OrderedCollectionDocument(id, n, id+"?page=true")
		if err != nil {
			return err
		}
		return writeDoc(w, r, body, "")
	}
	before := f.now().Add(time.Hour)
	if b := r.URL.Query().Get("before"); b != "" {
		ms, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return commons.Errorf(commons.EINVALID, "before: %q is not a Unix time in milliseconds", b)
		}
		before = time.UnixMilli(ms)
	}
	const pageSize = 20
	posts, err := f.db.Posts(r.Context(), rec.ID, before, pageSize)
	if err != nil {
		return err
	}
	items := make([]any, 0, len(posts))
	for i := range posts {
		doc, err := fromStorePost(&posts[i]).CreateDocument()
		if err != nil {
			return err
		}
		m, err := unmarshalMap(doc)
		if err != nil {
			return err
		}
		delete(m, "@context")
		items = append(items, m)
	}
	next := ""
	if len(posts) == pageSize {
		next = id + "?page=true&before=" + strconv.FormatInt(posts[len(posts)-1].Published.UnixMilli(), 10)
	}
	pageID := id + "?" + r.URL.RawQuery
	body, err := OrderedCollectionPageDocument(pageID, id, items, next)
	if err != nil {
		return err
	}
	return writeDoc(w, r, body, "")
}

// ServeFollowers writes the size of a record's follower collection. Like
// Mastodon by default, it does not list who follows.
func (f *Federation) ServeFollowers(w http.ResponseWriter, r *http.Request, slug string) error {
	if err := f.authorizeGet(r); err != nil {
		return err
	}
	rec, err := f.liveRecord(r.Context(), slug)
	if err != nil {
		return err
	}
	n, err := f.db.CountFollowers(r.Context(), rec.ID)
	if err != nil {
		return err
	}
	body, err := OrderedCollectionDocument(rec.ID+"/followers", n, "")
	if err != nil {
		return err
	}
	return writeDoc(w, r, body, "")
}

// ServeFollowing writes a record's following collection (records follow
// no one) or, with which "featured", its featured collection (no post is
// pinned): both empty, both served because servers such as GoToSocial
// expect them on every actor.
func (f *Federation) ServeFollowing(w http.ResponseWriter, r *http.Request, slug, which string) error {
	if err := f.authorizeGet(r); err != nil {
		return err
	}
	rec, err := f.liveRecord(r.Context(), slug)
	if err != nil {
		return err
	}
	body, err := OrderedCollectionDocument(rec.ID+"/"+which, 0, "")
	if err != nil {
		return err
	}
	return writeDoc(w, r, body, "")
}

// ServePost writes one post of a record as a Note.
func (f *Federation) ServePost(w http.ResponseWriter, r *http.Request, slug, postID string) error {
	if err := f.authorizeGet(r); err != nil {
		return err
	}
	id := f.base + "/records/" + slug + "/posts/" + postID
	p, err := f.db.Post(r.Context(), id)
	if commons.ErrorCode(err) == commons.EGONE {
		return f.writeTombstone(w, id)
	} else if err != nil {
		return err
	}
	body, err := fromStorePost(p).NoteDocument()
	if err != nil {
		return err
	}
	return writeDoc(w, r, body, "")
}

// ServeIcon writes the generated avatar of a record without a logo.
func (f *Federation) ServeIcon(w http.ResponseWriter, r *http.Request, slug string) error {
	rec, err := f.liveRecord(r.Context(), slug)
	if err != nil {
		return err
	}
	return f.ServeRecordIcon(w, r, rec)
}

// ServeRecordIcon writes the icon of any record, local or a copy: a copy's
// page shows it as its origin draws it, without an outside image.
func (f *Federation) ServeRecordIcon(w http.ResponseWriter, r *http.Request, rec *commons.Record) error {
	name, _ := rec.Name.Get(f.lang)
	png, err := Icon(name)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	if v := r.URL.Query().Get("v"); v != "" && IconURL(rec.ID, name) == rec.ID+"/icon.png?v="+v {
		// This URL names this drawing: it never changes.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=86400")
	}
	_, err = w.Write(png)
	return err
}

func (f *Federation) liveRecord(ctx context.Context, slug string) (*commons.Record, error) {
	return f.db.Record(ctx, slug)
}

func (f *Federation) writeTombstone(w http.ResponseWriter, id string) error {
	body, err := TombstoneDocument(id, f.now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(http.StatusGone)
	_, err = w.Write(body)
	return err
}

// Header values shared by every document response: assigned, not Set, so
// the hot path neither canonicalises nor allocates.
var (
	hdrActivity = []string{ContentType}
	hdrVary     = []string{"Accept"}
	hdrMaxAge60 = []string{"max-age=60"}
)

// writeDoc writes an ActivityPub document, with its ETag if given.
func writeDoc(w http.ResponseWriter, r *http.Request, body []byte, etag string) error {
	d := cachedDoc{body: body, etag: etag, hdr: newDocHeaders(body, etag)}
	return writeCached(w, r, &d)
}

// writeCached writes a document with its prepared headers, or 304 Not
// Modified when the client's If-None-Match names its ETag.
func writeCached(w http.ResponseWriter, r *http.Request, d *cachedDoc) error {
	h := w.Header()
	if _, ok := h["Vary"]; !ok {
		h["Vary"] = hdrVary
	}
	return writePrepared(w, r, d, hdrActivity, hdrMaxAge60)
}

// writePrepared writes a cached document with the given Content-Type and
// Cache-Control values, its ETag and length, or 304 Not Modified.
func writePrepared(w http.ResponseWriter, r *http.Request, d *cachedDoc, contentType, cacheControl []string) error {
	h := w.Header()
	h["Content-Type"] = contentType
	h["Cache-Control"] = cacheControl
	if d.etag != "" {
		h["Etag"] = d.hdr.etag
		if inm, ok := r.Header["If-None-Match"]; ok && etagMatch(inm, d.etag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	h["Content-Length"] = d.hdr.length
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(d.body)
	return err
}

// etagMatch reports whether If-None-Match values name etag, or "*". The
// comparison is weak (RFC 9110 §13.1.2): W/"x" matches "x".
func etagMatch(values []string, etag string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == etag || t == "*" {
				return true
			}
		}
	}
	return false
}

// authorizeGet enforces Options.AuthorizedFetch on a GET of one of our
// ActivityPub documents: the request must be addressed to this instance
// and signed (draft-cavage or RFC 9421) by a key we can fetch, whose
// domain is not blocked (resolveKey refuses those with 403). Without the
// option it lets everything through.
func (f *Federation) authorizeGet(r *http.Request) error {
	if !f.opts.AuthorizedFetch {
		return nil
	}
	if err := CheckHost(r, f.host, f.scheme()); err != nil {
		return err
	}
	_, _, err := verifyRequest(r.Context(), r, nil, f.now(), f.scheme(), f.resolveKey)
	return err
}
