package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// A copy of a peer's record shows what its home page shows: the follower
// count its origin reports and its recent posts. Posts arrive as the
// origin publishes them (every post of a record goes to the peers, whose
// topics announce it, see onRemotePost); the follower count, and the posts
// a copy had before this instance held it, are fetched from the origin's
// actor, followers collection and outbox with signed GETs, by one worker,
// when a page asks for a copy whose facts are missing, older than
// copyTTL, or fetched for another version of the record.

// CopyStore keeps what origins tell of the life of the records we copy:
// their posts and follower counts.
type CopyStore interface {
	CopySocial(ctx context.Context, id string) (*store.CopySocial, error)
	PutCopySocial(ctx context.Context, id string, c store.CopySocial, posts []store.Post) error
	PutCopyPost(ctx context.Context, id string, p store.Post) error
	DeleteCopyPost(ctx context.Context, actor, id string, at time.Time) error
}

// copyTTL is how long a copy's fetched facts are shown without asking the
// origin again.
const copyTTL = time.Hour

// copyPosts is how many of the origin's latest posts a refresh keeps.
const copyPosts = 20

// copySocial fills s for the remote record rec from what is stored, and
// asks for a refresh when that is missing or stale.
func (f *Federation) copySocial(ctx context.Context, rec *commons.Record, posts int, s *commons.Social) error {
	c, err := f.db.CopySocial(ctx, rec.ID)
	switch {
	case commons.ErrorCode(err) == commons.ENOTFOUND:
		s.Followers, s.FollowersUnknown = -1, true
		f.refreshCopy(rec.ID)
	case err != nil:
		return err
	default:
		s.Followers, s.FollowersUnknown = c.Followers, c.Followers < 0
		if c.Version != rec.Provenance.Version || f.now().Sub(c.FetchedAt) > copyTTL {
			f.refreshCopy(rec.ID)
		}
	}
	if posts <= 0 {
		return nil
	}
	ps, err := f.db.Posts(ctx, rec.ID, time.Time{}, posts)
	if err != nil {
		return err
	}
	for _, p := range ps {
		s.Posts = append(s.Posts, commons.PostSummary{ID: p.ID, Lang: p.Lang, Content: p.Content, Published: p.Published, Kind: p.Kind})
	}
	return nil
}

// refreshCopy queues the copy id for the worker, unless it is queued
// already or the queue is full (a later view asks again).
func (f *Federation) refreshCopy(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.copyPending[id] {
		return
	}
	select {
	case f.copyQueue <- id:
		f.copyPending[id] = true
	default:
	}
}

// runCopies refreshes the queued copies one at a time until ctx ends.
func (f *Federation) runCopies(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-f.copyQueue:
			if err := f.fetchCopy(ctx, id); err != nil && ctx.Err() == nil {
				f.log.LogAttrs(ctx, slog.LevelInfo, "copy not refreshed", slog.String("record", id), slog.Any("err", err))
			}
			f.mu.Lock()
			delete(f.copyPending, id)
			f.mu.Unlock()
		}
	}
}

// fetchCopy asks the origin of the remote record id for its follower
// count and latest posts, and stores them. A failure still stores the
// attempt (with the count known before, if any), so that a dead origin is
// asked again only after copyTTL or a change of the record.
func (f *Federation) fetchCopy(ctx context.Context, id string) error {
	rec, err := f.db.RecordByID(ctx, id)
	if err != nil || rec.Provenance.Origin == f.base {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c := store.CopySocial{Followers: -1, Version: rec.Provenance.Version, FetchedAt: f.now()}
	if old, err := f.db.CopySocial(ctx, id); err == nil {
		c.Followers = old.Followers
	}
	n, posts, ferr := f.fetchOrigin(ctx, id)
	if ferr == nil {
		c.Followers = n
	}
	if err := f.db.PutCopySocial(context.WithoutCancel(ctx), id, c, posts); err != nil {
		return err
	}
	return ferr
}

// fetchOrigin reads the follower count and the latest posts of the actor
// id from its own server.
func (f *Federation) fetchOrigin(ctx context.Context, id string) (int, []store.Post, error) {
	actor, err := f.getMap(ctx, id)
	if err != nil {
		return 0, nil, err
	}
	n := -1
	if iri := idOf(actor["followers"]); iri != "" && host(iri) == host(id) {
		coll, err := f.getMap(ctx, iri)
		if err != nil {
			return 0, nil, err
		}
		if t, ok := coll["totalItems"].(float64); ok && t >= 0 {
			n = int(t)
		}
	}
	var posts []store.Post
	if iri := idOf(actor["outbox"]); iri != "" && host(iri) == host(id) {
		coll, err := f.getMap(ctx, iri)
		if err != nil {
			return n, nil, err
		}
		page := coll
		if first := coll["first"]; first != nil {
			if m, ok := first.(map[string]any); ok {
				page = m
			} else if iri := idOf(first); iri != "" && host(iri) == host(id) {
				if page, err = f.getMap(ctx, iri); err != nil {
					return n, nil, err
				}
			}
		}
		items, _ := page["orderedItems"].([]any)
		for _, it := range items {
			act, _ := it.(map[string]any)
			if act == nil || act["type"] != "Create" || idOf(act["actor"]) != id {
				continue
			}
			if note, _ := act["object"].(map[string]any); note != nil {
				if p, ok := copyPost(id, note); ok && len(posts) < copyPosts {
					posts = append(posts, p)
				}
			}
		}
	}
	return n, posts, nil
}

func (f *Federation) getMap(ctx context.Context, iri string) (map[string]any, error) {
	b, err := f.get(ctx, iri)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: malformed JSON: %w", iri, err)
	}
	return m, nil
}

// copyPost reads a Note of the remote record actor: its own, under its
// host, with content; the content is sanitised as editors' posts are.
func copyPost(actor string, note map[string]any) (store.Post, bool) {
	id := idOf(note["id"])
	if note["type"] != "Note" || id == "" || host(id) != host(actor) || idOf(note["attributedTo"]) != actor {
		return store.Post{}, false
	}
	content, _ := note["content"].(string)
	lang := ""
	if cm, ok := note["contentMap"].(map[string]any); ok {
		for k, v := range cm {
			if s, ok := v.(string); ok && (content == "" || s == content) {
				lang, content = k, s
				break
			}
		}
	}
	published, err := time.Parse(time.RFC3339Nano, fmt.Sprint(note["published"]))
	if content == "" || err != nil {
		return store.Post{}, false
	}
	kind := "change"
	if strings.Contains(id, "/posts/e") {
		kind = "editor" // an editor's post, as our instances name them
	}
	p := store.Post{ID: id, Actor: actor, Kind: kind, Lang: lang, Content: postPolicy.Sanitize(content), Published: published.UTC()}
	if u, err := time.Parse(time.RFC3339Nano, fmt.Sprint(note["updated"])); err == nil {
		p.Updated = u.UTC()
	}
	return p, true
}

// InstanceName is the name the instance at origin (a base URL) gives
// itself in its instance actor, as last fetched, or "" if unknown.
func (f *Federation) InstanceName(ctx context.Context, origin string) string {
	if a, err := f.db.RemoteActor(ctx, origin+"/actor"); err == nil && a.Name != "" {
		return a.Name
	}
	if p, err := f.db.Peer(ctx, origin+"/actor"); err == nil {
		return p.Name
	}
	return ""
}
