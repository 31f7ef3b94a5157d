package federation

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/commons-directory/commons"
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

// topicNames are the names shown for topics in the instance language.
func topicName(topic, lang string) string {
	if len(topic) == 2 {
		return "#" + strings.ToUpper(topic)
	}
	return "#" + Hashtag(topic)
}

// TopicActor describes a topic as a Group.
func (f *Federation) topicActor(topic, publicKeyPEM string, created time.Time) *Actor {
	var summary commons.Text
	switch strings.SplitN(f.lang, "-", 2)[0] {
	case "fr":
		summary = commons.Text{"fr": fmt.Sprintf("Les nouvelles des communs %s de %s.", topicName(topic, "fr"), f.name)}
	case "de":
		summary = commons.Text{"de": fmt.Sprintf("Neuigkeiten der Gemeingüter %s von %s.", topicName(topic, "de"), f.name)}
	default:
		summary = commons.Text{"en": fmt.Sprintf("News of the %s commons listed by %s.", topicName(topic, "en"), f.name)}
	}
	return &Actor{
		Type: "Group", ID: f.TopicID(topic), Username: topic,
		Name: commons.Text{f.lang: topicName(topic, f.lang) + " · " + f.name}, Summary: summary, Lang: f.lang,
		PublicKeyPEM: publicKeyPEM, Published: created, Updated: created,
		IconURL: "", Fields: []Field{{Name: labelsFor(f.lang).homepage, HTML: linkHTML(f.TopicID(topic), false)}},
	}
}

// ServeTopicActor writes a topic's Group actor.
func (f *Federation) ServeTopicActor(w http.ResponseWriter, r *http.Request, topic string) error {
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
// actor, so a topic's followers hear of remote records too.
func (f *Federation) onRemotePost(ctx context.Context, act *Activity) error {
	author := idOf(act.Object["attributedTo"])
	if author == "" || host(author) != host(act.Actor) || host(act.ObjectID) != host(act.Actor) {
		return nil
	}
	rec, err := f.db.RecordByID(ctx, author)
	if err != nil || rec.Provenance.Origin == f.base {
		return nil // a record we do not hold (yet): its sync will not replay posts
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
