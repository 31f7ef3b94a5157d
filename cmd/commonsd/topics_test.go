package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/federation/fedtest"
)

// followActor looks handle up at in the way Mastodon does, follows the
// actor found and waits for the verified Accept. It returns the actor IRI.
func followActor(t *testing.T, in *instance, peer *fedtest.Peer, handle, tag string) string {
	t.Helper()
	ctx := context.Background()
	self, err := peer.WebFinger(ctx, in.url, handle)
	if err != nil {
		t.Fatalf("WebFinger %s: %v", handle, err)
	}
	actor, err := peer.Get(ctx, self)
	if err != nil {
		t.Fatalf("actor of %s: %v", handle, err)
	}
	inbox, _ := actor["inbox"].(string)
	f := follow(peer, self, tag)
	post(t, peer, inbox, f)
	d := peer.WaitFor(t, wait, "Accept of "+handle, func(a map[string]any) bool {
		obj, _ := a["object"].(map[string]any)
		return a["type"] == "Accept" && obj["id"] == f["id"] && a["actor"] == self
	})
	if d.Err != nil {
		t.Fatalf("Accept of %s: signature: %v", handle, d.Err)
	}
	return self
}

// announced matches an Announce by actor of a post of the record IRI.
func announced(actor, record string) func(map[string]any) bool {
	return func(a map[string]any) bool {
		obj, _ := a["object"].(string)
		return a["type"] == "Announce" && a["actor"] == actor && strings.HasPrefix(obj, record+"/posts/")
	}
}

// TestFediverseFollowsTopicsAndInstance: a fediverse account (not an
// instance) follows the topic @software@host and the instance actor
// @host@host, as Mastodon would. A new local record's post reaches it as
// an Announce from each; a peer's record's post reaches it from the topic
// only, since the instance actor announces its own records. The account
// can fetch the announced Note. NodeInfo and /actor/following list the
// peer.
func TestFediverseFollowsTopicsAndInstance(t *testing.T) {
	dir := t.TempDir()
	a := newInstanceWith(t, dir, openPeer("127.0.0.1:0"))
	b := newInstanceWith(t, dir, openPeer("127.0.0.2:0"))
	a.follow(t, b)
	alice := fedtest.NewPeer(t, "alice")
	host := strings.TrimPrefix(a.url, "http://")
	hostname, _, _ := strings.Cut(host, ":")

	topic := followActor(t, a, alice, "software@"+host, "software")
	if topic != a.url+"/topics/software" {
		t.Fatalf("@software@%s is %s", host, topic)
	}
	group, err := alice.Get(context.Background(), topic)
	if err != nil || group["type"] != "Group" {
		t.Fatalf("topic actor: %v, %v", group["type"], err)
	}
	instanceActor := followActor(t, a, alice, hostname+"@"+host, "instance")
	if instanceActor != a.url+"/actor" {
		t.Fatalf("@%s@%s is %s", hostname, host, instanceActor)
	}

	// A local record (software, France): announced by the topic and by
	// the instance actor; the account follows neither the record nor #fr.
	a.create(t, "topic-news", "Topic news")
	record := a.url + "/records/topic-news"
	for _, by := range []string{topic, instanceActor} {
		d := alice.WaitFor(t, converge, "Announce by "+by, announced(by, record))
		if d.Err != nil {
			t.Fatalf("Announce by %s: signature: %v", by, d.Err)
		}
		note, err := alice.Get(context.Background(), d.Activity["object"].(string))
		if err != nil || note["type"] != "Note" || note["attributedTo"] != record {
			t.Fatalf("announced object: %v %v, %v", note["type"], note["attributedTo"], err)
		}
	}
	if n := alice.Count(announced(a.url+"/topics/fr", record)); n != 0 {
		t.Errorf("%d Announces from #fr, which alice does not follow", n)
	}

	// A peer's record: A's topic announces its post; A's instance actor
	// does not, and alice gets no record document.
	b.create(t, "remote-news", "Remote news")
	remote := b.url + "/records/remote-news"
	if d := alice.WaitFor(t, converge, "Announce of B's post by A's topic", announced(topic, remote)); d.Err != nil {
		t.Fatalf("signature: %v", d.Err)
	}
	eventually(t, converge, func() bool {
		pending, _, err := a.db.DeliveryQueue(context.Background())
		return err == nil && pending == 0
	})
	if n := alice.Count(announced(instanceActor, remote)); n != 0 {
		t.Errorf("A's instance actor announced B's post %d times", n)
	}

	// B's instance actor, not the record, sends A a post attributed to
	// B's record: A's topic must not announce it. The post of a record
	// created after it is announced; by then the forged one has been
	// processed.
	forged := remote + "/posts/forged"
	postAs(t, b, b.url+"/actor", a.url+"/inbox", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       forged + "/activity", "type": "Create", "actor": b.url + "/actor",
		"object": map[string]any{"id": forged, "type": "Note", "attributedTo": remote, "content": "forged",
			"to": []any{"https://www.w3.org/ns/activitystreams#Public"}},
	})
	b.create(t, "later-news", "Later news")
	if d := alice.WaitFor(t, converge, "Announce of B's later post", announced(topic, b.url+"/records/later-news")); d.Err != nil {
		t.Fatalf("signature: %v", d.Err)
	}
	if n := alice.Count(func(m map[string]any) bool { return m["type"] == "Announce" && m["object"] == forged }); n != 0 {
		t.Errorf("A's topic announced a post its author did not send (%d times)", n)
	}
	if n := alice.Count(func(m map[string]any) bool {
		obj, _ := m["object"].(map[string]any)
		return obj["commonsRecord"] != nil
	}); n != 0 {
		t.Errorf("the account received %d record documents, meant for peers", n)
	}

	// Discovery: NodeInfo and the instance actor's following list B.
	resp, err := http.Get(a.url + "/nodeinfo/2.1")
	if err != nil {
		t.Fatal(err)
	}
	var ni struct {
		Metadata struct {
			Peers   []string       `json:"peers"`
			Records map[string]int `json:"records"`
		} `json:"metadata"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ni)
	resp.Body.Close()
	if err != nil || !slices.Contains(ni.Metadata.Peers, b.url+"/actor") || ni.Metadata.Records["remote"] == 0 {
		t.Fatalf("NodeInfo metadata: %+v, %v; want the peer %s/actor and its records", ni.Metadata, err, b.url)
	}
	following, err := alice.Get(context.Background(), a.url+"/actor/following")
	if err != nil {
		t.Fatal(err)
	}
	if items, _ := following["orderedItems"].([]any); !slices.Contains(items, any(b.url+"/actor")) {
		t.Fatalf("/actor/following: %v", following["orderedItems"])
	}

	// An editor's post, with a hashtag typed in it: announced by the topic
	// and the instance actor like a generated post, the hashtag a Hashtag
	// tag and a link.
	resp = a.api(t, "POST", "/api/v1/records/topic-news/posts", "application/json", `{"text": "We now map #bike_lanes too."}`)
	resp.Body.Close()
	post := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || post == "" {
		t.Fatalf("editor post: %d %q", resp.StatusCode, post)
	}
	for _, by := range []string{topic, instanceActor} {
		d := alice.WaitFor(t, converge, "Announce of the editor's post by "+by, func(m map[string]any) bool {
			return m["type"] == "Announce" && m["actor"] == by && m["object"] == post
		})
		if d.Err != nil {
			t.Fatalf("Announce by %s: signature: %v", by, d.Err)
		}
	}
	note, err := alice.Get(context.Background(), post)
	if err != nil {
		t.Fatal(err)
	}
	var hashtag bool
	for _, tag := range note["tag"].([]any) {
		m, _ := tag.(map[string]any)
		hashtag = hashtag || m["type"] == "Hashtag" && m["name"] == "#bike_lanes"
	}
	if content, _ := note["content"].(string); !hashtag || !strings.Contains(content, `rel="tag">#<span>bike_lanes</span></a>`) {
		t.Errorf("editor's hashtag: tags %v, content %v", note["tag"], note["content"])
	}
}

// postAs delivers activity to inbox signed by actor, one of in's own
// actors, with its key from in's database: a delivery only that instance
// could make.
func postAs(t *testing.T, in *instance, actor, inbox string, activity map[string]any) {
	t.Helper()
	ctx := context.Background()
	k, err := in.db.ActorKey(ctx, actor)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := federation.DecodePrivateKey(k.PrivatePEM)
	if err != nil {
		t.Fatal(err)
	}
	body := mustJSON(t, activity)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := federation.SignRequest(req, body, federation.SigningKey{ID: actor + "#main-key", Private: priv}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if status, p := send(t, req); status != http.StatusAccepted {
		t.Fatalf("%v by %s: %d %s", activity["type"], actor, status, p.Detail)
	}
}
