package federation

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode"

	"github.com/go-fed/activity/streams"
)

// Post is a Note published by one of our actors: generated when a record
// changes, or written by an editor.
type Post struct {
	ID        string // IRI, also its HTML page
	Actor     string // the author's IRI
	Lang      string // BCP 47 tag of Content
	Content   string // HTML, already sanitised
	Tags      []Tag
	Published time.Time
	Updated   time.Time // zero unless edited
}

// Tag is a hashtag: a name without '#', linked to a page of ours.
type Tag struct{ Name, Href string }

// Hashtag turns a kind or country into a hashtag name Mastodon accepts
// (letters, digits and _): "ai-model" becomes "AiModel".
func Hashtag(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if up {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// ChangeContent renders a record change as the HTML of a post: the
// sentences, a link to the record page, then the hashtags.
func ChangeContent(recordName, recordURL string, sentences []string, tags []Tag) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<p><strong>%s</strong></p>", html.EscapeString(recordName))
	for _, s := range sentences {
		fmt.Fprintf(&b, "<p>%s</p>", html.EscapeString(s))
	}
	fmt.Fprintf(&b, `<p><a href="%s">%s</a></p>`, html.EscapeString(recordURL), html.EscapeString(strings.TrimPrefix(recordURL, "https://")))
	b.WriteString(tagsHTML(tags))
	return b.String()
}

// tagsHTML is the paragraph of hashtag links that ends a post.
func tagsHTML(tags []Tag) string {
	if len(tags) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<p>")
	for i, t := range tags {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, `<a href="%s" class="mention hashtag" rel="tag">#<span>%s</span></a>`, html.EscapeString(t.Href), html.EscapeString(t.Name))
	}
	b.WriteString("</p>")
	return b.String()
}

// noteMap builds the Note: public, copied to the author's followers, with
// content and a one-entry contentMap (Mastodon takes the language from its
// first key; GoToSocial only when it equals content).
func (p *Post) noteMap() (map[string]any, error) {
	note := streams.NewActivityStreamsNote()
	note.SetJSONLDId(idProp(p.ID))
	attr := streams.NewActivityStreamsAttributedToProperty()
	attr.AppendIRI(mustIRI(p.Actor))
	note.SetActivityStreamsAttributedTo(attr)
	content := streams.NewActivityStreamsContentProperty()
	content.AppendXMLSchemaString(p.Content)
	note.SetActivityStreamsContent(content)
	urlp := streams.NewActivityStreamsUrlProperty()
	urlp.AppendIRI(mustIRI(p.ID))
	note.SetActivityStreamsUrl(urlp)
	published, _ := timeProp(p.Published)
	note.SetActivityStreamsPublished(published)
	if !p.Updated.IsZero() {
		_, updated := timeProp(p.Updated)
		note.SetActivityStreamsUpdated(updated)
	}
	to := streams.NewActivityStreamsToProperty()
	to.AppendIRI(mustIRI(Public))
	note.SetActivityStreamsTo(to)
	cc := streams.NewActivityStreamsCcProperty()
	cc.AppendIRI(mustIRI(p.Actor + "/followers"))
	note.SetActivityStreamsCc(cc)
	m, err := serialize(note)
	if err != nil {
		return nil, err
	}
	m["published"] = stamp(p.Published)
	if !p.Updated.IsZero() {
		m["updated"] = stamp(p.Updated)
	}
	m["contentMap"] = map[string]string{p.Lang: p.Content}
	m["sensitive"] = false
	tags := make([]any, 0, len(p.Tags))
	for _, t := range p.Tags {
		tags = append(tags, map[string]any{"type": "Hashtag", "name": "#" + t.Name, "href": t.Href})
	}
	m["tag"] = tags
	return m, nil
}

// NoteDocument is the Note served at the post's URL.
func (p *Post) NoteDocument() ([]byte, error) {
	m, err := p.noteMap()
	if err != nil {
		return nil, err
	}
	return marshal(normalize(m))
}

// CreateDocument wraps the Note in the Create activity that announces it.
func (p *Post) CreateDocument() ([]byte, error) {
	note, err := p.noteMap()
	if err != nil {
		return nil, err
	}
	delete(note, "@context")
	return marshal(normalize(map[string]any{
		"id":        p.ID + "/activity",
		"type":      "Create",
		"actor":     p.Actor,
		"published": note["published"],
		"to":        []any{Public},
		"cc":        []any{p.Actor + "/followers"},
		"object":    note,
	}))
}
