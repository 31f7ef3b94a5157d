package federation

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/commons-directory/commons"
)

// Actor describes one of our actors — a record (Service), the instance
// (Application) or a topic (Group) — independently of where it comes from.
type Actor struct {
	Type         string // "Service", "Application" or "Group"
	ID           string // IRI; also the HTML page's URL
	Username     string // preferredUsername: the part before @host
	Name         commons.Text
	Summary      commons.Text // plain text; turned into escaped HTML paragraphs
	Lang         string       // preferred language for name and summary
	IconURL      string
	IconType     string // media type of the icon
	PublicKeyPEM string
	Fields       []Field // profile fields, in display order
	Published    time.Time
	Updated      time.Time
	Locked       bool           // manuallyApprovesFollowers
	Extra        map[string]any // extension properties, e.g. commonsRecords (terms in ldContext)
}

// Field is one profile field: a PropertyValue whose value is HTML.
type Field struct{ Name, HTML string }

// Inbox and the other collection IRIs of an actor follow one scheme.
func (a *Actor) Inbox() string     { return a.ID + "/inbox" }
func (a *Actor) Outbox() string    { return a.ID + "/outbox" }
func (a *Actor) Followers() string { return a.ID + "/followers" }
func (a *Actor) Following() string { return a.ID + "/following" }
func (a *Actor) KeyID() string     { return a.ID + "#main-key" }

// Document builds the actor's JSON document. sharedInbox is the
// instance's shared inbox IRI.
func (a *Actor) Document(sharedInbox string) ([]byte, error) {
	var t vocab.Type
	name := streams.NewActivityStreamsNameProperty()
	n, _ := a.Name.Get(a.Lang)
	name.AppendXMLSchemaString(n)
	summary := streams.NewActivityStreamsSummaryProperty()
	s, _ := a.Summary.Get(a.Lang)
	summary.AppendXMLSchemaString(textToHTML(s))
	user := streams.NewActivityStreamsPreferredUsernameProperty()
	user.SetXMLSchemaString(a.Username)
	inbox := streams.NewActivityStreamsInboxProperty()
	inbox.SetIRI(mustIRI(a.Inbox()))
	outbox := streams.NewActivityStreamsOutboxProperty()
	outbox.SetIRI(mustIRI(a.Outbox()))
	followers := streams.NewActivityStreamsFollowersProperty()
	followers.SetIRI(mustIRI(a.Followers()))
	following := streams.NewActivityStreamsFollowingProperty()
	following.SetIRI(mustIRI(a.Following()))
	urlp := streams.NewActivityStreamsUrlProperty()
	urlp.AppendIRI(mustIRI(a.ID))
	published, _ := timeProp(a.Published)
	_, updated := timeProp(a.Updated)

	key := streams.NewW3IDSecurityV1PublicKey()
	key.SetJSONLDId(idProp(a.KeyID()))
	owner := streams.NewW3IDSecurityV1OwnerProperty()
	owner.Set(mustIRI(a.ID))
	key.SetW3IDSecurityV1Owner(owner)
	pem := streams.NewW3IDSecurityV1PublicKeyPemProperty()
	pem.Set(a.PublicKeyPEM)
	key.SetW3IDSecurityV1PublicKeyPem(pem)
	keyProp := streams.NewW3IDSecurityV1PublicKeyProperty()
	keyProp.AppendW3IDSecurityV1PublicKey(key)

	discoverable := streams.NewTootDiscoverableProperty()
	discoverable.Set(true)

	icon := streams.NewActivityStreamsIconProperty()
	if a.IconURL != "" {
		img := streams.NewActivityStreamsImage()
		iu := streams.NewActivityStreamsUrlProperty()
		iu.AppendIRI(mustIRI(a.IconURL))
		img.SetActivityStreamsUrl(iu)
		mt := streams.NewActivityStreamsMediaTypeProperty()
		mt.Set(a.IconType)
		img.SetActivityStreamsMediaType(mt)
		icon.AppendActivityStreamsImage(img)
	}

	type actorSetters interface {
		vocab.Type
		SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
		SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
		SetActivityStreamsPreferredUsername(vocab.ActivityStreamsPreferredUsernameProperty)
		SetActivityStreamsInbox(vocab.ActivityStreamsInboxProperty)
		SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
		SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
		SetActivityStreamsFollowing(vocab.ActivityStreamsFollowingProperty)
		SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
		SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
		SetActivityStreamsUpdated(vocab.ActivityStreamsUpdatedProperty)
		SetActivityStreamsIcon(vocab.ActivityStreamsIconProperty)
		SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
		SetTootDiscoverable(vocab.TootDiscoverableProperty)
	}
	var o actorSetters
	switch a.Type {
	case "Service":
		o = streams.NewActivityStreamsService()
	case "Application":
		o = streams.NewActivityStreamsApplication()
	case "Group":
		o = streams.NewActivityStreamsGroup()
	default:
		return nil, fmt.Errorf("actor %s: unsupported type %q", a.ID, a.Type)
	}
	t = o
	o.SetJSONLDId(idProp(a.ID))
	o.SetActivityStreamsName(name)
	o.SetActivityStreamsSummary(summary)
	o.SetActivityStreamsPreferredUsername(user)
	o.SetActivityStreamsInbox(inbox)
	o.SetActivityStreamsOutbox(outbox)
	o.SetActivityStreamsFollowers(followers)
	o.SetActivityStreamsFollowing(following)
	o.SetActivityStreamsUrl(urlp)
	o.SetActivityStreamsPublished(published)
	o.SetActivityStreamsUpdated(updated)
	if a.IconURL != "" {
		o.SetActivityStreamsIcon(icon)
	}
	o.SetW3IDSecurityV1PublicKey(keyProp)
	o.SetTootDiscoverable(discoverable)

	m, err := serialize(t)
	if err != nil {
		return nil, err
	}
	// What go-fed v1.0.0 cannot express.
	m["published"], m["updated"] = stamp(a.Published), stamp(a.Updated)
	m["nameMap"] = map[string]string(a.Name)
	if len(a.Summary) > 0 {
		sm := make(map[string]string, len(a.Summary))
		for k, v := range a.Summary {
			sm[k] = textToHTML(v)
		}
		m["summaryMap"] = sm
	}
	m["endpoints"] = map[string]any{"sharedInbox": sharedInbox}
	// Empty, but expected: GoToSocial logs an error for an actor without it.
	m["featured"] = a.ID + "/featured"
	m["manuallyApprovesFollowers"] = a.Locked
	m["indexable"] = true
	fields := make([]any, 0, len(a.Fields))
	for _, f := range a.Fields {
		fields = append(fields, map[string]any{"type": "PropertyValue", "name": f.Name, "value": f.HTML})
	}
	m["attachment"] = fields
	for k, v := range a.Extra {
		m[k] = v
	}
	return marshal(normalize(m))
}

// textToHTML turns plain text into HTML paragraphs, escaped.
func textToHTML(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(p), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// linkHTML is a profile-field link as Mastodon writes them; rel="me" asks
// Mastodon to verify the link back (a green check for official sites).
func linkHTML(u string, me bool) string {
	rel := "nofollow noopener noreferrer"
	if me {
		rel = "me " + rel
	}
	shown := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://"), "/")
	return fmt.Sprintf(`<a href="%s" rel="%s" target="_blank" translate="no">%s</a>`, html.EscapeString(u), rel, html.EscapeString(shown))
}
