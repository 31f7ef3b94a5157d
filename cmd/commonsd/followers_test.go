package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation/fedtest"
)

// wait bounds every network wait of these tests.
const wait = time.Minute

// follows makes peer's user follow the record slug and waits for the
// verified Accept. It returns the Follow.
func follows(t *testing.T, in *instance, peer *fedtest.Peer, slug, tag string) map[string]any {
	t.Helper()
	actor := in.url + "/records/" + slug
	f := follow(peer, actor, tag)
	resp, err := peer.Post(context.Background(), actor+"/inbox", f)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow of %s: %s", slug, resp.Status)
	}
	d := peer.WaitFor(t, wait, "Accept", func(a map[string]any) bool {
		obj, _ := a["object"].(map[string]any)
		return a["type"] == "Accept" && obj["id"] == f["id"]
	})
	if d.Err != nil {
		t.Fatalf("Accept signature: %v", d.Err)
	}
	return f
}

// followersOf lists a record's followers through the editor API.
func followersOf(t *testing.T, in *instance, slug string) []string {
	t.Helper()
	resp := in.api(t, "GET", "/api/v1/records/"+slug+"/followers", "", "")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("followers of %s: %s %s", slug, resp.Status, b)
	}
	var list struct {
		Items []struct{ Actor string } `json:"items"`
		Total int                      `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range list.Items {
		out = append(out, f.Actor)
	}
	return out
}

// waitFollowers polls the editor API until the followers of slug satisfy
// ok, or fails after wait.
func waitFollowers(t *testing.T, in *instance, slug, what string, ok func([]string) bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		got := followersOf(t, in, slug)
		if ok(got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("followers of %s: %s not reached within %s; got %v", slug, what, wait, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func post(t *testing.T, peer *fedtest.Peer, inbox string, act map[string]any) {
	t.Helper()
	resp, err := peer.Post(context.Background(), inbox, act)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("%v to %s: %s", act["type"], inbox, resp.Status)
	}
}

// TestKeyStubsFollow: peers whose key id is not actor#main-key are verified
// through the key's owner and accepted: GoToSocial's partial actor stub
// (id = the actor, no inbox) and a Key document of its own.
func TestKeyStubsFollow(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	for _, style := range []string{fedtest.KeyGoToSocial, fedtest.KeyDocument} {
		t.Run(style, func(t *testing.T) {
			peer := fedtest.NewPeerStyle(t, "bob", style)
			follows(t, in, peer, "openstreetmap", style)
			if got := followersOf(t, in, "openstreetmap"); !slices.Contains(got, peer.Actor) {
				t.Errorf("followers %v", got)
			}
		})
	}
}

// TestFollowerLifecycle: Undo{Follow}, Block, Delete and Update of remote
// actors, each seen through the editor API or the next delivery.
func TestFollowerLifecycle(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	const slug = "openstreetmap"
	record := in.url + "/records/" + slug
	has := func(actor string) func([]string) bool {
		return func(l []string) bool { return slices.Contains(l, actor) }
	}
	hasNot := func(actor string) func([]string) bool {
		return func(l []string) bool { return !slices.Contains(l, actor) }
	}

	t.Run("Undo Follow", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "undoer")
		f := follows(t, in, peer, slug, "undo")
		waitFollowers(t, in, slug, "follower added", has(peer.Actor))
		// A Follow embedded in an Undo by someone else is refused.
		impostor := fedtest.NewPeer(t, "mallory")
		post(t, impostor, record+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": impostor.URL + "/undo/1",
			"type": "Undo", "actor": impostor.Actor, "object": f,
		})
		// The inbox is processed in arrival order: once the impostor's own
		// Follow is accepted, its Undo has been processed.
		follows(t, in, impostor, slug, "marker")
		if got := followersOf(t, in, slug); !slices.Contains(got, peer.Actor) {
			t.Fatalf("an Undo by %s removed %s's follow: %v", impostor.Actor, peer.Actor, got)
		}
		post(t, peer, record+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.URL + "/undo/1",
			"type": "Undo", "actor": peer.Actor, "object": f,
		})
		waitFollowers(t, in, slug, "follower removed", hasNot(peer.Actor))
	})

	t.Run("Undo by Follow id", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "undoer2")
		f := follows(t, in, peer, slug, "undo2")
		waitFollowers(t, in, slug, "follower added", has(peer.Actor))
		post(t, peer, in.url+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.URL + "/undo/2",
			"type": "Undo", "actor": peer.Actor, "object": f["id"],
		})
		waitFollowers(t, in, slug, "follower removed", hasNot(peer.Actor))
	})

	t.Run("Block", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "blocker")
		follows(t, in, peer, slug, "block")
		follows(t, in, peer, "wikipedia", "block2")
		waitFollowers(t, in, slug, "follower added", has(peer.Actor))
		post(t, peer, record+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.URL + "/blocks/1",
			"type": "Block", "actor": peer.Actor, "object": record,
		})
		waitFollowers(t, in, slug, "blocker removed", hasNot(peer.Actor))
		// Only the blocked record loses the follower.
		if got := followersOf(t, in, "wikipedia"); !slices.Contains(got, peer.Actor) {
			t.Errorf("followers of wikipedia after a block of %s: %v", slug, got)
		}
	})

	t.Run("Delete of the actor", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "leaver")
		follows(t, in, peer, slug, "del")
		follows(t, in, peer, "wikipedia", "del2")
		post(t, peer, in.url+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.Actor + "#delete",
			"type": "Delete", "actor": peer.Actor, "object": peer.Actor,
			"to": []any{"https://www.w3.org/ns/activitystreams#Public"},
		})
		waitFollowers(t, in, slug, "deleted actor removed", hasNot(peer.Actor))
		waitFollowers(t, in, "wikipedia", "deleted actor removed", hasNot(peer.Actor))
		if _, err := in.db.RemoteActor(context.Background(), peer.Actor); err == nil {
			t.Errorf("the deleted actor is still cached")
		}
	})

	t.Run("Delete of an actor that answers 410", func(t *testing.T) {
		// Its key can no longer be fetched: the cached one verifies.
		peer := fedtest.NewPeer(t, "gone")
		follows(t, in, peer, slug, "gone")
		peer.SetGone()
		post(t, peer, in.url+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.Actor + "#delete",
			"type": "Delete", "actor": peer.Actor, "object": peer.Actor,
		})
		waitFollowers(t, in, slug, "deleted actor removed", hasNot(peer.Actor))
	})

	t.Run("Delete of an unknown actor that answers 410", func(t *testing.T) {
		// Mastodon sends account deletions far and wide; one we never knew,
		// whose key is gone, is answered 202 and dropped, not 401 (which
		// would make it retry).
		peer := fedtest.NewPeer(t, "stranger")
		peer.SetGone()
		post(t, peer, in.url+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.Actor + "#delete",
			"type": "Delete", "actor": peer.Actor, "object": peer.Actor,
		})
	})

	t.Run("Key rotation", func(t *testing.T) {
		// The cached key fails; the key is fetched once more and verifies.
		peer := fedtest.NewPeer(t, "rotator")
		f := follows(t, in, peer, slug, "rot")
		peer.RotateKey(t)
		post(t, peer, record+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.URL + "/undo/rot",
			"type": "Undo", "actor": peer.Actor, "object": f,
		})
		waitFollowers(t, in, slug, "follower removed", hasNot(peer.Actor))
	})

	t.Run("Update of another actor is ignored", func(t *testing.T) {
		victim := fedtest.NewPeer(t, "victim")
		follows(t, in, victim, slug, "victim")
		attacker := fedtest.NewPeer(t, "attacker")
		doc := victim.ActorDocument()
		doc["inbox"] = attacker.URL + "/stolen"
		doc["endpoints"] = map[string]any{"sharedInbox": attacker.URL + "/stolen"}
		// Refused at the door: only the victim's server may update it.
		resp, err := attacker.Post(context.Background(), in.url+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": attacker.URL + "/updates/1",
			"type": "Update", "actor": attacker.Actor, "object": doc,
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("Update of another server's actor: %s, want 403", resp.Status)
		}
		a, err := in.db.RemoteActor(context.Background(), victim.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if a.Inbox != victim.Actor+"/inbox" || a.SharedInbox != victim.URL+"/inbox" {
			t.Errorf("an Update by %s changed %s: inbox %s, shared %s", attacker.Actor, victim.Actor, a.Inbox, a.SharedInbox)
		}
	})

	t.Run("Update with a partial actor is fetched", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "partial")
		follows(t, in, peer, slug, "partial")
		peer.SetInboxes(peer.Actor+"/inbox2", peer.URL+"/shared2")
		post(t, peer, in.url+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.Actor + "#updates/p",
			"type": "Update", "actor": peer.Actor, "object": map[string]any{"id": peer.Actor, "type": "Person", "name": "New name"},
		})
		deadline := time.Now().Add(wait)
		for {
			a, err := in.db.RemoteActor(context.Background(), peer.Actor)
			if err == nil && a.SharedInbox == peer.URL+"/shared2" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the partial Update did not refresh the actor: %+v %v", a, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("Update with new inboxes", func(t *testing.T) {
		peer := fedtest.NewPeer(t, "mover")
		follows(t, in, peer, slug, "upd")
		peer.SetInboxes(peer.Actor+"/new-inbox", peer.URL+"/new-shared-inbox")
		post(t, peer, in.url+"/inbox", map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": peer.Actor + "#updates/1",
			"type": "Update", "actor": peer.Actor, "object": peer.ActorDocument(),
		})
		// Once the Update is processed, the cache has the new inboxes.
		deadline := time.Now().Add(wait)
		for {
			a, err := in.db.RemoteActor(context.Background(), peer.Actor)
			if err == nil && a.SharedInbox == peer.URL+"/new-shared-inbox" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the Update was not applied: %+v %v", a, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		text := "Moved? " + time.Now().Format(time.RFC3339Nano)
		resp := in.api(t, "POST", "/api/v1/records/"+slug+"/posts", "application/json", string(mustJSON(t, map[string]string{"text": text})))
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("post: %s", resp.Status)
		}
		d := peer.WaitFor(t, wait, "the post", func(a map[string]any) bool {
			obj, _ := a["object"].(map[string]any)
			c, _ := obj["content"].(string)
			return a["type"] == "Create" && strings.Contains(c, text)
		})
		var path string
		for _, got := range peer.Deliveries() {
			if got.Activity["id"] == d.Activity["id"] {
				path = got.Path
			}
		}
		if path != "/new-shared-inbox" {
			t.Errorf("the post after the Update went to %s, not the new shared inbox", path)
		}
	})
}

// TestDeletedRecord: deleting a record sends a signed Delete of its actor
// to its followers; then its actor and WebFinger answer 410.
func TestDeletedRecord(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	const slug = "openstreetmap"
	record := in.url + "/records/" + slug
	peer := fedtest.NewPeer(t, "alice")
	follows(t, in, peer, slug, "before-delete")

	resp := in.api(t, "GET", "/api/v1/records/"+slug, "", "")
	etag := resp.Header.Get("ETag")
	resp.Body.Close()
	resp = in.api(t, "DELETE", "/api/v1/records/"+slug, "", "", "If-Match", etag)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %s", resp.Status)
	}
	d := peer.WaitFor(t, wait, "Delete of the actor", func(a map[string]any) bool {
		return a["type"] == "Delete" && a["actor"] == record && (a["object"] == record || idOfMap(a["object"]) == record)
	})
	if d.Err != nil {
		t.Errorf("Delete signature: %v", d.Err)
	}
	if d.KeyID != record+"#main-key" {
		t.Errorf("Delete signed with %s", d.KeyID)
	}

	req, _ := http.NewRequest("GET", record, nil)
	req.Header.Set("Accept", "application/activity+json")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tomb map[string]any
	json.NewDecoder(r.Body).Decode(&tomb)
	r.Body.Close()
	if r.StatusCode != http.StatusGone || tomb["type"] != "Tombstone" || tomb["id"] != record {
		t.Errorf("GET actor after delete: %s %v", r.Status, tomb)
	}

	host := strings.TrimPrefix(in.url, "http://")
	r, err = http.Get(in.url + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+slug+"@"+host))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusGone {
		t.Errorf("WebFinger after delete: %s", r.Status)
	}

	// Its inbox is gone too.
	req, err = peer.SignedPost(context.Background(), record+"/inbox", mustJSON(t, follow(peer, record, "after-delete")))
	if err != nil {
		t.Fatal(err)
	}
	if status, p := send(t, req); status != http.StatusGone || !strings.Contains(p.Detail, "deleted") {
		t.Errorf("Follow of a deleted record: %d %q", status, p.Detail)
	}
}

func idOfMap(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["id"].(string)
	return s
}

// TestEditorPost: an editor's Markdown post reaches followers as
// Create{Note} in its language, without scripts.
func TestEditorPost(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	const slug = "openstreetmap"
	peer := fedtest.NewPeer(t, "alice")
	follows(t, in, peer, slug, "post")

	text := "Nouvelle **version** de la carte.\n\n<script>alert('x')</script>\n\n[détails](https://example.org/notes)"
	resp := in.api(t, "POST", "/api/v1/records/"+slug+"/posts", "application/json",
		string(mustJSON(t, map[string]string{"text": text, "lang": "fr"})))
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("post: %s %s", resp.Status, body)
	}
	d := peer.WaitFor(t, wait, "Create{Note}", func(a map[string]any) bool {
		obj, _ := a["object"].(map[string]any)
		return a["type"] == "Create" && obj["type"] == "Note"
	})
	if d.Err != nil {
		t.Errorf("Create signature: %v", d.Err)
	}
	note := d.Activity["object"].(map[string]any)
	content, _ := note["content"].(string)
	cmap, _ := note["contentMap"].(map[string]any)
	if len(cmap) != 1 || cmap["fr"] != content {
		t.Errorf("contentMap %v is not {fr: content}", cmap)
	}
	if !strings.Contains(content, "<strong>version</strong>") || !strings.Contains(content, `href="https://example.org/notes"`) {
		t.Errorf("content lost the Markdown: %s", content)
	}
	if strings.Contains(strings.ToLower(content), "<script") || strings.Contains(content, "alert(") {
		t.Errorf("content keeps the script: %s", content)
	}
}
