package federation

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
	"github.com/commons-directory/commons/store"
)

// Topic actors are Groups in the manner of FEP-1b12: @geodata@host or
// @fr@host. They never write; they Announce the posts of their records,
// local and remote, to their followers, so that following a topic fills a
// home timeline with its records' news. The instance actor does the same
// for every local record's posts, for the accounts that follow it (peer
// instances get record documents instead).

// TopicID is the actor IRI of a topic.
func (f *Federation) TopicID(topic string) string { return f.base + "/topics/" + topic }

// topicOf returns the topic an IRI of this instance names, if any.
func (f *Federation) topicOf(iri string) (string, bool) {
	t, ok := strings.CutPrefix(iri, f.base+"/topics/")
	return t, ok && commons.IsTopic(t)
}

// topicName is a topic's name in lang: a kind's label ("Geodata") or a
// country's name ("France").
func topicName(topic, lang string) string {
	if len(topic) == 2 {
		return i18n.CountryName(lang, topic)
	}
	return i18n.T(lang, "kind."+topic)
}

// topicActor describes a topic as a Group, named and summarised in the
// instance language.
func (f *Federation) topicActor(topic, publicKeyPEM string, created time.Time) *Actor {
	key := "topic.kindsummary"
	if len(topic) == 2 {
		key = "topic.countrysummary"
	}
	return &Actor{
		Type: "Group", ID: f.TopicID(topic), Username: topic,
		Name:    commons.Text{f.lang: topicName(topic, f.lang) + " · " + f.name},
		Summary: commons.Text{f.lang: i18n.F(f.lang, key, topicName(topic, f.lang), f.name)}, Lang: f.lang,
		PublicKeyPEM: publicKeyPEM, Published: created, Updated: created,
		IconURL: "", Fields: []Field{{Name: i18n.T(f.lang, "profile.homepage"), HTML: linkHTML(f.TopicID(topic), false)}},
	}
}

// ServeTopicActor writes a topic's Group actor.
func (f *Federation) ServeTopicActor(w http.ResponseWriter, r *http.Request, topic string) error {
	if err := f.authorizeGet(r); err != nil {
		return err
	}
	if !commons.IsTopic(topic) {
		return commons.Errorf(commons.ENOTFOUND, "there is no topic %q: topics are kinds (%s) and country codes", topic, strings.Join(commons.Kinds, ", "))
	}
	return f.serveOwnActor(w, r, f.TopicID(topic), "topic", func(pub string, created time.Time) *Actor {
		return f.topicActor(topic, pub, created)
	})
}

// ServeTopicCollection writes a topic's outbox, followers or following
// collection: sizes only.
func (f *Federation) ServeTopicCollection(w http.ResponseWriter, r *http.Request, topic, which string) error {
	if err := f.authorizeGet(r); err != nil {
		return err
	}
	if !commons.IsTopic(topic) {
		return commons.Errorf(commons.ENOTFOUND, "there is no topic %q", topic)
	}
	id := f.TopicID(topic)
	n := 0
	switch which {
	case "followers":
		c, err := f.db.CountFollowers(r.Context(), id)
		if err != nil {
			return err
		}
		n = c
	case "outbox", "following", "featured":
	default:
		return commons.Errorf(commons.ENOTFOUND, "a topic has no %s collection", which)
	}
	body, err := OrderedCollectionDocument(id+"/"+which, n, "")
	if err != nil {
		return err
	}
	return writeDoc(w, r, body, "")
}

// announcements are the Announces of a post by the topics of its record
// and, for a local record, by the instance actor: one activity per actor
// that has followers.
func (f *Federation) announcements(ctx context.Context, postID string, r *commons.Record, local bool, at time.Time) ([]store.OutActivity, error) {
	actors := make([]string, 0, 4)
	for _, t := range r.Topics() {
		actors = append(actors, f.TopicID(t))
	}
	if local {
		actors = append(actors, f.InstanceActorID())
	}
	var out []store.OutActivity
	for _, a := range actors {
		inboxes, err := f.db.FollowerInboxes(ctx, a)
		if err != nil {
			return nil, err
		}
		if len(inboxes) == 0 {
			continue
		}
		id := a + "#announces/" + shortHash(postID)
		body, err := AnnounceDocument(id, a, postID, at)
		if err != nil {
			return nil, err
		}
		out = append(out, store.OutActivity{ID: id, Sender: a, Body: body, Inboxes: inboxes})
	}
	return out, nil
}

// onRemotePost has the topics announce a post of a followed peer's record
// actor, so a topic's followers hear of remote records too. Only a post
// its author sent itself is announced: the actor who signed the Create
// must be the Note's attributedTo, not another actor of the same server.
func (f *Federation) onRemotePost(ctx context.Context, act *Activity) error {
	author := idOf(act.Object["attributedTo"])
	if author == "" || author != act.Actor || !sameOrigin(act.ObjectID, act.Actor) {
		if author != "" {
			f.log.Warn("post not announced: not sent by its author", "post", act.ObjectID, "author", author, "sender", act.Actor)
		}
		return nil
	}
	rec, err := f.db.RecordByID(ctx, author)
	if commons.ErrorCode(err) == commons.ENOTFOUND {
		// A new record's first post can overtake the record itself: the
		// origin delivers both at once. When the origin is a peer we
		// follow, fail, so that the inbox worker tries the post again after
		// the activities received with it; its sync will not replay posts.
		if u, perr := url.Parse(author); perr == nil {
			if p, _ := f.followedPeer(ctx, u.Scheme+"://"+u.Host+"/actor"); p != nil {
				return commons.Errorf(commons.ENOTFOUND, "post %s of %s: the record has not arrived yet", act.ObjectID, author)
			}
		}
		return nil
	}
	if err != nil || rec.Provenance.Origin == f.base {
		return nil // a record we do not hold: its sync will not replay posts
	}
	p, err := f.followedPeer(ctx, rec.Provenance.Origin+"/actor")
	if err != nil || p == nil {
		return err
	}
	// The copy's page shows it, as the record's home page does.
	if post, ok := copyPost(author, act.Object); ok {
		if err := f.db.PutCopyPost(ctx, author, post); err != nil {
			return err
		}
	}
	out, err := f.announcements(ctx, act.ObjectID, rec, false, f.now())
	if err != nil {
		return err
	}
	for _, a := range out {
		if err := f.db.Enqueue(ctx, a.ID, a.Sender, a.Body, a.Inboxes); err != nil {
			return err
		}
	}
	if len(out) > 0 {
		wake(f.wakeDeliver)
	}
	return nil
}
