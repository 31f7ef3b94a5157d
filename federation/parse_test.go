package federation

import (
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

func TestParseActivity(t *testing.T) {
	const follow = `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/8f2f2b1e","type":"Follow","actor":"https://mastodon.example/users/alice","object":"https://commons.example.eu/records/openstreetmap"}`
	a, err := ParseActivity([]byte(follow))
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != "Follow" || a.Actor != "https://mastodon.example/users/alice" || a.ObjectID != "https://commons.example.eu/records/openstreetmap" || !a.Known {
		t.Errorf("parsed %+v", a)
	}
	const undo = `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/users/alice#follows/1/undo","type":"Undo","actor":"https://mastodon.example/users/alice","object":{"id":"https://mastodon.example/8f2f2b1e","type":"Follow","actor":"https://mastodon.example/users/alice","object":"https://commons.example.eu/records/openstreetmap"}}`
	a, err = ParseActivity([]byte(undo))
	if err != nil || a.ObjectType != "Follow" || a.ObjectID != "https://mastodon.example/8f2f2b1e" {
		t.Fatalf("undo: %+v, %v", a, err)
	}
	const react = `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://misskey.example/r/1","type":"EmojiReact","actor":"https://misskey.example/users/1","object":"https://commons.example.eu/records/osm/posts/1","content":"⭐"}`
	if a, err = ParseActivity([]byte(react)); err != nil || a.Known {
		t.Fatalf("unknown type: %+v, %v", a, err)
	}

	bad := map[string]string{
		"Malformed":   `{"id":`,
		"NoType":      `{"id":"https://a.example/1","actor":"https://a.example/u"}`,
		"NoID":        `{"type":"Follow","actor":"https://a.example/u"}`,
		"RelativeID":  `{"id":"/1","type":"Follow","actor":"https://a.example/u"}`,
		"NoActor":     `{"id":"https://a.example/1","type":"Follow"}`,
		"ForeignID":   `{"id":"https://b.example/1","type":"Follow","actor":"https://a.example/u"}`,
		"TwoActors":   `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Follow","actor":["https://a.example/u","https://a.example/v"]}`,
		"NotAnObject": `["Follow"]`,
	}
	for name, doc := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := ParseActivity([]byte(doc))
			if commons.ErrorCode(err) != commons.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
}

func TestParseActor(t *testing.T) {
	pub, _ := EncodePublicKey(&testKey(t, 0).PublicKey)
	pemJSON := strings.ReplaceAll(pub, "\n", `\n`)
	doc := `{"id":"https://gts.example/users/bob","type":"Person","preferredUsername":"bob","inbox":"https://gts.example/users/bob/inbox","endpoints":{"sharedInbox":"https://gts.example/inbox"},"publicKey":{"id":"https://gts.example/users/bob/main-key","owner":"https://gts.example/users/bob","publicKeyPem":"` + pemJSON + `"}}`
	a, err := ParseActor([]byte(doc), "https://gts.example/users/bob")
	if err != nil {
		t.Fatal(err)
	}
	if a.DeliveryInbox() != "https://gts.example/inbox" || a.KeyID != "https://gts.example/users/bob/main-key" {
		t.Errorf("parsed %+v", a)
	}
	for name, tc := range map[string]struct{ doc, url string }{
		"IDMismatch":   {doc, "https://gts.example/users/eve"},
		"NoInbox":      {strings.Replace(doc, `"inbox":"https://gts.example/users/bob/inbox",`, "", 1), "https://gts.example/users/bob"},
		"ForeignOwner": {strings.Replace(doc, `"owner":"https://gts.example/users/bob"`, `"owner":"https://gts.example/users/eve"`, 1), "https://gts.example/users/bob"},
		"BadKey":       {strings.Replace(doc, pemJSON, "garbage", 1), "https://gts.example/users/bob"},
		"ForeignKeyID": {strings.Replace(doc, `"id":"https://gts.example/users/bob/main-key"`, `"id":"https://victim.example/users/alice#main-key"`, 1), "https://gts.example/users/bob"},
	} {
		if _, err := ParseActor([]byte(tc.doc), tc.url); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
