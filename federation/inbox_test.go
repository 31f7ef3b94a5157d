package federation

import (
	"testing"

	"github.com/commons-directory/commons"
)

// TestParseEnvelope checks that the inbox's light parse reads the same
// id, type, actor and object as ParseActivity, which the inbox worker
// uses on the stored activity, and refuses what it refuses on them.
func TestParseEnvelope(t *testing.T) {
	same := map[string]string{
		"Follow":       `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/8f2f2b1e","type":"Follow","actor":"https://mastodon.example/users/alice","object":"https://commons.example.eu/records/openstreetmap"}`,
		"EmbeddedUndo": `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/users/alice#follows/1/undo","type":"Undo","actor":{"id":"https://mastodon.example/users/alice"},"object":{"id":"https://mastodon.example/8f2f2b1e","type":"Follow","actor":"https://mastodon.example/users/alice","object":"https://commons.example.eu/records/openstreetmap"}}`,
		"ActorArray":   `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Like","actor":["https://a.example/u"],"object":"https://b.example/x"}`,
		"Escapes":      `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1?x=\u0026y","type":"Lik\u0065","actor":"https:\/\/a.example\/u","object":"https://b.example/\"x\""}`,
		"InvalidUTF8":  "{\"@context\":\"https://www.w3.org/ns/activitystreams\",\"id\":\"https://a.example/\xff\",\"type\":\"Like\",\"actor\":\"https://a.example/u\",\"object\":\"https://b.example/\xfe\"}",
		"CaseVariants": `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Like","actor":"https://a.example/u","ACTOR":"https://evil.example/u","Actor":"https://evil.example/v","object":"https://b.example/x"}`,
		"Duplicates":   `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Like","actor":"https://evil.example/u","actor":"https://a.example/u","object":"https://b.example/x"}`,
		"NumberObject": `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/1","type":"Like","actor":"https://a.example/u","object":5}`,
	}
	for name, doc := range same {
		t.Run(name, func(t *testing.T) {
			want, err := ParseActivity([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseEnvelope([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != want.ID || got.Type != want.Type || got.Actor != want.Actor || got.ObjectID != want.ObjectID || got.ObjectType != want.ObjectType || (got.Object == nil) != (want.Object == nil) {
				t.Errorf("parseEnvelope read %q %q %q %q %q; ParseActivity %q %q %q %q %q",
					got.ID, got.Type, got.Actor, got.ObjectID, got.ObjectType, want.ID, want.Type, want.Actor, want.ObjectID, want.ObjectType)
			}
		})
	}
	bad := map[string]string{
		"Malformed":   `{"id":`,
		"NoType":      `{"id":"https://a.example/1","actor":"https://a.example/u"}`,
		"TypeNumber":  `{"id":"https://a.example/1","type":1,"actor":"https://a.example/u"}`,
		"NoID":        `{"type":"Follow","actor":"https://a.example/u"}`,
		"RelativeID":  `{"id":"/1","type":"Follow","actor":"https://a.example/u"}`,
		"NoActor":     `{"id":"https://a.example/1","type":"Follow"}`,
		"ForeignID":   `{"id":"https://b.example/1","type":"Follow","actor":"https://a.example/u"}`,
		"TwoActors":   `{"id":"https://a.example/1","type":"Follow","actor":["https://a.example/u","https://a.example/v"]}`,
		"NotAnObject": `["Follow"]`,
		"ShortValue":  `{"id":"https://a.example/1","type":"Follow","actor":1}`,
		"NoContext":   `{"id":"https://a.example/1","type":"Like","actor":"https://a.example/u","object":"https://b.example/x"}`,
	}
	for name, doc := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := parseEnvelope([]byte(doc)); commons.ErrorCode(err) != commons.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if _, err := ParseActivity([]byte(doc)); commons.ErrorCode(err) != commons.EINVALID {
				t.Fatalf("ParseActivity: err = %v, want EINVALID", err)
			}
		})
	}
}
