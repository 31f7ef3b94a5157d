package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commons-directory/commons/federation/fedtest"
)

// TestMain lets the test binary be commonsd itself: with COMMONSD_TEST_MAIN
// set it runs the command line in its arguments, so a test can start a
// real child process and kill it with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("COMMONSD_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := checkEnviron(os.Environ()) // as main does
		if err == nil {
			err = run(ctx, append([]string{"commonsd"}, os.Args[1:]...), os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		}
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "commonsd:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is a commonsd serve process.
type child struct {
	cmd  *exec.Cmd
	logs *syncBuffer
}

func startChild(t *testing.T, e *testEnv) *child {
	t.Helper()
	return startChildAt(t, e.vars, e.url)
}

// startChildAt starts commonsd serve with the variables and waits until
// it answers at url.
func startChildAt(t *testing.T, vars map[string]string, url string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "COMMONSD_TEST_MAIN=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &child{cmd: cmd, logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = c.logs, c.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			t.Logf("child log:\n%s", c.logs.String())
		}
	})
	eventually(t, time.Minute, func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return c
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	}
}

// A process killed with deliveries pending delivers them after a restart:
// the queue is rows in the database, not memory.
func TestDeliveriesSurviveKill(t *testing.T) {
	e := newTestEnv(t)
	e.vars["COMMONSD_DEMO_LOAD_WHEN_EMPTY"] = "true"
	e.vars["COMMONSD_FEDERATION_ALLOW_PRIVATE_ADDRESSES"] = "true"
	// The first retry comes late enough that the process is killed before
	// it, even on a loaded machine: a retry before the kill would deliver
	// (and the test would wait in vain for another), or be in flight at the
	// kill and leave its row leased for two minutes. Later ones come soon.
	e.vars["COMMONSD_FEDERATION_RETRY_SCHEDULE"] = "30s,2s,2s"
	e.vars["COMMONSD_LOG_LEVEL"] = "debug"
	ctx := context.Background()
	peer := fedtest.NewPeer(t, "alice")
	first := startChild(t, e)

	actor := e.url + "/records/openstreetmap"
	// Let the publisher post the demo records' arrival first, so that the
	// only deliveries to the follower are those of the change below.
	eventually(t, time.Minute, func() bool {
		outbox, err := peer.Get(ctx, actor+"/outbox")
		return err == nil && outbox["totalItems"] == 1.0
	})
	resp, err := peer.Post(ctx, actor+"/inbox", map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       peer.URL + "/follows/1", "type": "Follow", "actor": peer.Actor, "object": actor,
	})
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: %v %v", resp, err)
	}
	peer.WaitFor(t, time.Minute, "Accept", func(a map[string]any) bool { return a["type"] == "Accept" })

	// The follower's server is down for the first attempts of the change.
	peer.Respond(fedtest.Response{Status: 503}, fedtest.Response{Status: 503})
	e.mustRun("correct horse battery staple\n", "user", "add", "ed")
	token := strings.TrimSpace(e.mustRun("", "token", "create", "ed"))
	req, _ := http.NewRequest("GET", e.url+"/api/v1/records/openstreetmap", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("PATCH", e.url+"/api/v1/records/openstreetmap", strings.NewReader(`{"status":"maintained-only"}`))
	req.Header.Set("Content-Type", "application/merge-patch+json")
	req.Header.Set("If-Match", resp.Header.Get("ETag"))
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %v %v", resp, err)
	}
	resp.Body.Close()

	// Both deliveries (Update, Create) failed once and wait for their retry.
	var queue string
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(queue, "2 deliveries queued; 1 inboxes failing") {
		if time.Now().After(deadline) {
			t.Fatalf("the two failed deliveries are not waiting for their retry; commonsd deliveries says:\n%s", queue)
		}
		time.Sleep(20 * time.Millisecond)
		queue = e.mustRun("", "deliveries")
	}
	first.kill()
	creates := func(a map[string]any) bool {
		obj, _ := a["object"].(map[string]any)
		return a["type"] == "Create" && obj["type"] == "Note" && strings.Contains(fmt.Sprint(obj["content"]), "Maintained only")
	}
	before := peer.Count(creates) // the attempt answered 503

	startChild(t, e)
	eventually(t, 2*time.Minute, func() bool { return peer.Count(creates) > before })
	eventually(t, time.Minute, func() bool {
		return strings.Contains(e.mustRun("", "deliveries"), "0 deliveries queued; 0 inboxes failing")
	})
}
