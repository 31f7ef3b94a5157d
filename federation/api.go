package federation

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"

	"github.com/commons-directory/commons"
)

// MaxPostChars bounds an editor's post, as Mastodon bounds its own.
const MaxPostChars = 5000

// RecordFollowers lists who follows a record, oldest first (at most 1,000).
func (f *Federation) RecordFollowers(r *http.Request, slug string) ([]commons.Follower, error) {
	rec, err := f.db.Record(r.Context(), slug)
	if err != nil {
		return nil, err
	}
	fs, err := f.db.Followers(r.Context(), rec.ID, "", 1000)
	if err != nil {
		return nil, err
	}
	out := make([]commons.Follower, len(fs))
	for i, fl := range fs {
		out[i] = commons.Follower{Actor: fl.Follower, Since: fl.Created}
	}
	return out, nil
}

// postPolicy keeps what Mastodon keeps of a post's HTML.
var postPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// postHTML renders an editor's Markdown and sanitises it with postPolicy.
func postHTML(text string) (string, error) {
	var buf strings.Builder
	if err := goldmark.Convert([]byte(text), &buf); err != nil {
		return "", fmt.Errorf("render post: %w", err)
	}
	return postPolicy.Sanitize(buf.String()), nil
}

// PublishPost publishes an editor's post for a record: Markdown, rendered
// and sanitised to the HTML Mastodon accepts, sent to the record's
// followers. It returns the post's IRI.
func (f *Federation) PublishPost(r *http.Request, slug, lang, text string) (string, error) {
	ctx := r.Context()
	rec, err := f.db.Record(ctx, slug)
	if err != nil {
		return "", err
	}
	text = strings.TrimSpace(text)
	var p commons.Error
	p.Code = commons.EINVALID
	p.Message = "the post is invalid"
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		p.Fields = append(p.Fields, commons.FieldError{Field: "text", Message: "is required"})
	case n > MaxPostChars:
		p.Fields = append(p.Fields, commons.FieldError{Field: "text", Message: fmt.Sprintf("is %d characters long; the limit is %d", n, MaxPostChars)})
	}
	if lang == "" {
		lang = f.lang
	} else if c, err := commons.CanonicalLanguage(lang); err != nil {
		p.Fields = append(p.Fields, commons.FieldError{Field: "lang", Message: fmt.Sprintf("%q is not a BCP 47 language tag", lang)})
	} else {
		lang = c
	}
	if len(p.Fields) > 0 {
		return "", &p
	}
	body, err := postHTML(text)
	if err != nil {
		return "", err
	}
	tags := f.recordTags(rec)
	name, _ := rec.Name.Get(lang)
	body, typed := f.linkHashtags(body, tags)
	content := fmt.Sprintf("<p><strong>%s</strong></p>", escape(name)) + body
	post := &Post{ID: rec.ID + "/posts/e" + randomID(), Actor: rec.ID, Lang: lang,
		Content: content + tagsHTML(tags), Tags: append(tags, typed...), Published: f.now().UTC()}
	create, err := post.CreateDocument()
	if err != nil {
		return "", err
	}
	inboxes, err := f.db.FollowerInboxes(ctx, rec.ID)
	if err != nil {
		return "", err
	}
	// Like a generated post: to the followers, to the peers (whose topics
	// announce it), and announced by this instance's topics and actor.
	peers, err := f.db.PeerInboxes(ctx)
	if err != nil {
		return "", err
	}
	acts := outActivity(rec.ID, post.ID+"/activity", create, union(inboxes, peers))
	announces, err := f.announcements(ctx, post.ID, rec, true, post.Published)
	if err != nil {
		return "", err
	}
	if err := f.db.PublishPost(ctx, storePost(post, 0, "editor"), append(acts, announces...)); err != nil {
		return "", err
	}
	wake(f.wakeDeliver)
	return post.ID, nil
}

func randomID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return hex.EncodeToString(b)
}
