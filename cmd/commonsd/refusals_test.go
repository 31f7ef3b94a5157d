package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestInboxRefusalLogged: deliveries signed with a key whose server does
// not answer are refused with 401, in words that do not repeat what the
// dial said, and logged once a minute per sender and reason: three
// deliveries give one line; one with a stale date gives a second.
func TestInboxRefusalLogged(t *testing.T) {
	in := newInstance(t, t.TempDir(), "eu")
	const sender = "127.0.0.1:1" // nothing listens there
	inbox := in.url + "/inbox"
	send := func(date time.Time) (int, string) {
		body := []byte(`{"@context": "https://www.w3.org/ns/activitystreams", "id": "http://` + sender + `/follows/1", "type": "Follow",
			"actor": "http://` + sender + `/actor", "object": "` + in.url + `/actor"}`)
		req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
		sum := sha256.Sum256(body)
		req.Header.Set("Content-Type", "application/activity+json")
		req.Header.Set("Date", date.UTC().Format(http.TimeFormat))
		req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
		req.Header.Set("Signature", `keyId="http://`+sender+`/actor#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"`)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for range 3 {
		code, body := send(time.Now())
		if code != http.StatusUnauthorized || !strings.Contains(body, "cannot fetch the key") {
			t.Fatalf("delivery with an unreachable key: %d %s", code, body)
		}
		for _, internal := range []string{"dial", "connection refused", "connect:"} {
			if strings.Contains(body, internal) {
				t.Errorf("the answer repeats an internal error (%q): %s", internal, body)
			}
		}
	}
	if code, _ := send(time.Now().Add(-2 * time.Hour)); code != http.StatusUnauthorized {
		t.Fatalf("stale date: %d", code)
	}
	var lines []string
	for _, l := range strings.Split(in.logs.String(), "\n") {
		if strings.Contains(l, `msg="activity refused"`) && strings.Contains(l, "sender="+sender) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "reason=key") || !strings.Contains(lines[0], "level=INFO") ||
		!strings.Contains(lines[0], "connection refused") || !strings.Contains(lines[1], "reason=date") {
		t.Fatalf("refusal log lines:\n%s", strings.Join(lines, "\n"))
	}
}
