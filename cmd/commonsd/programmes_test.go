package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation/fedtest"
)

// programmeBody is a programme open to EU commons, with a call that
// opens in a month: nothing is due yet.
func programmeBody(slug, name string) string {
	now := time.Now().UTC()
	return fmt.Sprintf(`{"slug": %q, "name": {"en": %q}, "countries": [{"code": "NL", "role": "origin"}],
		"programme": {"funder": {"name": {"en": "A Foundation"}}, "kind": "grant", "status": "open",
			"eligibility": {"countries": ["EU"], "kinds": ["software"]},
			"calls": [{"title": {"en": "Spring call"}, "opens": %q, "deadline": %q}],
			"source_url": "https://fund.example/", "checked": %q}}`,
		slug, name, now.AddDate(0, 1, 0).Format(time.DateOnly), now.AddDate(0, 2, 0).Format(time.DateOnly), now.Format(time.DateOnly))
}

// programmeSlugs lists the programmes an instance's API gives, as
// "origin slug name".
func (in *instance) programmeSlugs(t *testing.T) []string {
	t.Helper()
	var v struct {
		Items []struct {
			Slug       string
			Name       map[string]string
			Provenance struct{ Origin string }
		}
	}
	if code := getJSON(t, in.url+"/api/v1/programmes", &v); code != http.StatusOK {
		t.Fatalf("%s: programmes: %d", in.url, code)
	}
	var out []string
	for _, p := range v.Items {
		out = append(out, p.Provenance.Origin+" "+p.Slug+" "+p.Name["en"])
	}
	return out
}

// TestProgrammesFederate: a programme travels as a record does. A's
// programme reaches B by backfill when B follows A, and C through B with
// A's proof; A's change and deletion follow; neither B nor C counts it as
// a commons. A fediverse account that follows the programme hears of its
// call opening and of the deadline as soon as the call is moved so that
// both are due, each once, even after a restart.
func TestProgrammesFederate(t *testing.T) {
	dir := t.TempDir()
	a := newInstanceWith(t, dir, openPeer("127.0.0.1:0"))
	b := newInstanceWith(t, dir, openPeer("127.0.0.2:0"))
	c := newInstanceWith(t, dir, openPeer("127.0.0.3:0"))
	ctx := context.Background()

	resp := a.api(t, "POST", "/api/v1/records", "application/json", programmeBody("ngi-zero", "NGI Zero"))
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("create programme: %s %s", resp.Status, body)
	}
	resp.Body.Close()

	// Backfill: B follows A after the programme exists; C follows B only.
	b.follow(t, a)
	want := a.url + " ngi-zero NGI Zero"
	eventually(t, converge, func() bool { s := b.programmeSlugs(t); return len(s) == 1 && s[0] == want })
	c.follow(t, b)
	eventually(t, converge, func() bool { s := c.programmeSlugs(t); return len(s) == 1 && s[0] == want })
	for _, in := range []*instance{b, c} {
		if local, remote, err := in.db.CountRecords(ctx); err != nil || local != 0 || remote != 0 {
			t.Errorf("%s counts %d local and %d remote commons (%v); a programme is none", in.url, local, remote, err)
		}
	}

	// A change reaches B by delivery, and C when it reconciles with B.
	a.rename(t, "ngi-zero", "NGI Zero Commons Fund")
	want = a.url + " ngi-zero NGI Zero Commons Fund"
	eventually(t, converge, func() bool { s := b.programmeSlugs(t); return len(s) == 1 && s[0] == want })
	c.syncWith(t, b)
	if s := c.programmeSlugs(t); len(s) != 1 || s[0] != want {
		t.Fatalf("C after the change: %v", s)
	}
	// B matches A's programme for a commons of its own.
	var m struct{ Items []struct{ URL string } }
	if code := getJSON(t, b.url+"/api/v1/funding/match?country=FR&kind=software", &m); code != 200 || len(m.Items) != 1 || m.Items[0].URL != a.url+"/funding/programmes/ngi-zero" {
		t.Fatalf("B's match: %d %+v", code, m)
	}

	// A fediverse account follows the programme by its handle.
	peer := fedtest.NewPeer(t, "community")
	host := strings.TrimPrefix(a.url, "http://")
	actorURL, err := peer.WebFinger(ctx, a.url, "ngi-zero@"+host)
	if err != nil || actorURL != a.url+"/records/ngi-zero" {
		t.Fatalf("WebFinger: %s, %v", actorURL, err)
	}
	resp, err = peer.Post(ctx, actorURL+"/inbox", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       peer.URL + "/follows/1", "type": "Follow", "actor": peer.Actor, "object": actorURL,
	})
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: %v %v", resp, err)
	}
	peer.WaitFor(t, time.Minute, "Accept", func(x map[string]any) bool { return x["type"] == "Accept" })
	// Another account follows the topic of the kind the programme funds.
	topicPeer := fedtest.NewPeer(t, "softwarefan")
	topic := a.url + "/topics/software"
	resp, err = topicPeer.Post(ctx, topic+"/inbox", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       topicPeer.URL + "/follows/1", "type": "Follow", "actor": topicPeer.Actor, "object": topic,
	})
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow the topic: %v %v", resp, err)
	}
	topicPeer.WaitFor(t, time.Minute, "Accept", func(x map[string]any) bool { return x["type"] == "Accept" })
	if n, err := a.fed.PostDueCalls(ctx); err != nil || n != 0 {
		t.Fatalf("PostDueCalls before the call opens = %d, %v; want 0", n, err)
	}

	// The call now opened twenty days ago and closes in ten: the write
	// wakes the job, which posts the opening and the reminder.
	now := time.Now().UTC()
	resp = a.api(t, "PATCH", "/api/v1/records/ngi-zero", "application/merge-patch+json",
		fmt.Sprintf(`{"programme": {"calls": [{"title": {"en": "Spring call"}, "opens": %q, "deadline": %q}]}}`,
			now.AddDate(0, 0, -20).Format(time.DateOnly), now.AddDate(0, 0, 10).Format(time.DateOnly)),
		"If-Match", a.etag(t, "ngi-zero"))
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("move the call: %s %s", resp.Status, body)
	}
	resp.Body.Close()
	for _, text := range []string{"is open until", "Two weeks left"} {
		got := peer.WaitFor(t, time.Minute, text, func(x map[string]any) bool {
			obj, _ := x["object"].(map[string]any)
			content, _ := obj["content"].(string)
			return x["type"] == "Create" && strings.Contains(content, text) && strings.Contains(content, "Spring call")
		})
		if got.Err != nil {
			t.Errorf("%s: signature: %v", text, got.Err)
		}
	}
	// The topic announces the reminder to its followers.
	topicPeer.WaitFor(t, time.Minute, "Announce of the reminder", func(x map[string]any) bool {
		return x["type"] == "Announce" && x["actor"] == topic && strings.HasPrefix(fmt.Sprint(x["object"]), actorURL+"/posts/call-") &&
			strings.HasSuffix(fmt.Sprint(x["object"]), "-reminder")
	})
	// Once: again, and after a restart on the same database, nothing is due.
	if n, err := a.fed.PostDueCalls(ctx); err != nil || n != 0 {
		t.Fatalf("PostDueCalls again = %d, %v; want 0", n, err)
	}
	addr := strings.TrimPrefix(a.url, "http://")
	a.stop()
	a = newInstanceWith(t, dir, instanceOptions{addr: addr, config: openPeer(addr).config})
	if n, err := a.fed.PostDueCalls(ctx); err != nil || n != 0 {
		t.Fatalf("PostDueCalls after a restart = %d, %v; want 0", n, err)
	}

	// Deletion: B's copy becomes a tombstone, and C's after it reconciles.
	a.remove(t, "ngi-zero")
	eventually(t, converge, func() bool { return b.copyName(a, "ngi-zero") == "(deleted)" })
	c.syncWith(t, b)
	if got := c.copyName(a, "ngi-zero"); got != "(deleted)" {
		t.Fatalf("C's copy after the deletion: %q", got)
	}
	if s := c.programmeSlugs(t); len(s) != 0 {
		t.Fatalf("C still lists %v", s)
	}
}
