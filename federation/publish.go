package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// PostStore follows the record history to publish it, and keeps our
// actors' posts with the activities that carry them.
type PostStore interface {
	PublishCursor(ctx context.Context) (int64, error)
	HistoryAfter(ctx context.Context, hid int64, limit int) (_ []store.HistoryEntry, last int64, _ error)
	Publish(ctx context.Context, hid int64, posts []store.Post, out []store.OutActivity, docs ...store.RecordDocument) error
	PublishPost(ctx context.Context, p store.Post, out []store.OutActivity) error
	PublishPostOnce(ctx context.Context, p store.Post, out []store.OutActivity) (bool, error)
	Post(ctx context.Context, id string) (*store.Post, error)
	Posts(ctx context.Context, actor string, before time.Time, limit int) ([]store.Post, error)
	CountPosts(ctx context.Context, actor string) (int, error)
}

// runPublisher turns every change of a local record into posts and
// deliveries. It reads the record history after its cursor — the history is
// written in the same transaction as the change, from the API, the web UI
// or a CLI import in another process — and moves the cursor in the same
// transaction as it enqueues, so no change is published twice or lost.
func (f *Federation) runPublisher(ctx context.Context) {
	every(ctx, f.opts.PollInterval, f.wakePublish, f.exclusive("publish", func(ctx context.Context) {
		for ctx.Err() == nil {
			n, err := f.publishBatch(ctx, 200)
			if err != nil {
				if ctx.Err() == nil {
					f.log.Error("publish record changes", "err", err)
				}
				return
			}
			if n == 0 {
				return
			}
		}
	}))
}

// publishBatch publishes up to limit history entries and reports how many.
func (f *Federation) publishBatch(ctx context.Context, limit int) (int, error) {
	cursor, err := f.db.PublishCursor(ctx)
	if err != nil {
		return 0, err
	}
	entries, last, err := f.db.HistoryAfter(ctx, cursor, limit)
	if err != nil || last == cursor {
		return 0, err
	}
	var (
		posts []store.Post
		out   []store.OutActivity
		docs  []store.RecordDocument
	)
	var peers []string
	if len(entries) > 0 {
		if peers, err = f.db.PeerInboxes(ctx); err != nil {
			return 0, err
		}
	}
	for _, e := range entries {
		var doc json.RawMessage
		if e.Action != "delete" {
			// Signed once here, kept for the record collection.
			if doc, err = f.signedObject(ctx, recordObject(e.Record)); err != nil {
				return 0, fmt.Errorf("publish change %d of %s: %w", e.HID, e.Record.ID, err)
			}
			docs = append(docs, store.RecordDocument{ID: e.Record.ID, Version: e.Record.Provenance.Version, Doc: doc})
		}
		p, acts, err := f.publication(ctx, e, peers, doc)
		if err != nil {
			return 0, fmt.Errorf("publish change %d of %s: %w", e.HID, e.Record.ID, err)
		}
		posts = append(posts, p...)
		out = append(out, acts...)
	}
	if err := f.db.Publish(ctx, last, posts, out, docs...); err != nil {
		return 0, err
	}
	if len(out) > 0 {
		wake(f.wakeDeliver)
	}
	return int(last - cursor), nil
}

// publication is what one change produces. For peer instances (peers,
// their inboxes): the record document, created, updated or deleted, from
// the instance actor. For the fediverse: on a create or an update that a
// follower would care about, a post and its Create — to the record's
// followers and to peers, whose topics announce it — an Update of the
// actor, and the Announces of the post by the record's topics and the
// instance actor; on a delete, a Delete of the actor.
func (f *Federation) publication(ctx context.Context, e store.HistoryEntry, peers []string, doc json.RawMessage) ([]store.Post, []store.OutActivity, error) {
	r := e.Record
	inboxes, err := f.db.FollowerInboxes(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	at := e.At
	replica, err := f.replication(ctx, e, peers, doc)
	if err != nil {
		return nil, nil, err
	}
	if e.Action == "delete" {
		body, err := DeleteDocument(fmt.Sprintf("%s#delete-%d", r.ID, e.HID), r.ID, r.ID, at)
		if err != nil {
			return nil, nil, err
		}
		return nil, append(replica, outActivity(r.ID, fmt.Sprintf("%s#delete-%d", r.ID, e.HID), body, inboxes)...), nil
	}
	sentences := Describe(e.Previous, r, f.lang)
	if len(sentences) == 0 {
		return nil, replica, nil
	}
	tags := f.recordTags(r)
	name, _ := r.Name.Get(f.lang)
	post := &Post{
		ID:        fmt.Sprintf("%s/posts/%d", r.ID, e.HID),
		Actor:     r.ID,
		Lang:      f.lang,
		Content:   ChangeContent(name, r.ID, sentences, tags),
		Tags:      tags,
		Published: at,
	}
	create, err := post.CreateDocument()
	if err != nil {
		return nil, nil, err
	}
	acts := outActivity(r.ID, post.ID+"/activity", create, union(inboxes, peers))
	if e.Action == "update" && len(inboxes) > 0 {
		doc, err := f.recordActorDocument(ctx, r)
		if err != nil {
			return nil, nil, err
		}
		upd, err := UpdateActorDocument(fmt.Sprintf("%s#updates/%d", r.ID, e.HID), doc, at)
		if err != nil {
			return nil, nil, err
		}
		// The profile first, so the post arrives under the fresh profile.
		acts = append(outActivity(r.ID, fmt.Sprintf("%s#updates/%d", r.ID, e.HID), upd, inboxes), acts...)
	}
	announces, err := f.announcements(ctx, post.ID, r, true, at)
	if err != nil {
		return nil, nil, err
	}
	acts = append(append(replica, acts...), announces...)
	return []store.Post{storePost(post, e.RecordPK, "change")}, acts, nil
}

// replication is the record document of a change, for peer instances.
// doc is the signed record document of a create or an update.
func (f *Federation) replication(ctx context.Context, e store.HistoryEntry, peers []string, doc json.RawMessage) ([]store.OutActivity, error) {
	if len(peers) == 0 {
		return nil, nil
	}
	r := e.Record
	id := fmt.Sprintf("%s#replicas/%d", r.ID, e.HID)
	typ := map[string]string{"create": "Create", "update": "Update", "delete": "Delete"}[e.Action]
	if e.Action == "delete" {
		// Signed too, so that peers can pass the deletion on (FEP-8b32).
		var err error
		if doc, err = f.signedObject(ctx, tombstoneObject(r.ID, e.At)); err != nil {
			return nil, err
		}
	}
	body, err := marshal(withIntegrityContext(publicActivityMap(id, typ, f.InstanceActorID(), doc, e.At)))
	if err != nil {
		return nil, err
	}
	return outActivity(f.InstanceActorID(), id, body, peers), nil
}

// union is a followed by the elements of b not in a.
func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append([]string(nil), a...)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func outActivity(sender, id string, body []byte, inboxes []string) []store.OutActivity {
	if len(inboxes) == 0 {
		return nil
	}
	return []store.OutActivity{{ID: id, Sender: sender, Body: body, Inboxes: inboxes}}
}

// recordTags are the hashtags of a record's posts: its kinds and countries,
// linked to their topic pages.
func (f *Federation) recordTags(r *commons.Record) []Tag {
	var tags []Tag
	for _, k := range r.Kinds {
		tags = append(tags, Tag{Hashtag(k), f.base + "/topics/" + k})
	}
	seen := map[string]bool{}
	for _, c := range r.Countries {
		if !seen[c.Code] {
			seen[c.Code] = true
			tags = append(tags, Tag{c.Code, f.base + "/topics/" + strings.ToLower(c.Code)})
		}
	}
	return tags
}

func storePost(p *Post, recordPK int64, kind string) store.Post {
	tags := make([]store.PostTag, len(p.Tags))
	for i, t := range p.Tags {
		tags[i] = store.PostTag{Name: t.Name, Href: t.Href}
	}
	return store.Post{ID: p.ID, Actor: p.Actor, RecordPK: recordPK, Kind: kind, Lang: p.Lang,
		Content: p.Content, Tags: tags, Published: p.Published, Updated: p.Updated}
}

func fromStorePost(sp *store.Post) *Post {
	tags := make([]Tag, len(sp.Tags))
	for i, t := range sp.Tags {
		tags[i] = Tag{Name: t.Name, Href: t.Href}
	}
	return &Post{ID: sp.ID, Actor: sp.Actor, Lang: sp.Lang, Content: sp.Content, Tags: tags,
		Published: sp.Published, Updated: sp.Updated}
}
