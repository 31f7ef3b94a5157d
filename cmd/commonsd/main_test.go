package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commons-directory/commons/demo"
)

// testEnv is a configuration given through the environment, as an operator
// would: a fresh database file and a free loopback port.
type testEnv struct {
	t    *testing.T
	vars map[string]string
	url  string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	port := freePorts(t, 1)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return &testEnv{t: t, url: "http://" + addr, vars: map[string]string{
		"COMMONSD_SERVER_LISTEN":        addr,
		"COMMONSD_SERVER_BASE_URL":      "http://" + addr,
		"COMMONSD_STORE_PATH":           filepath.Join(t.TempDir(), "commons.db"),
		"COMMONSD_LOG_LEVEL":            "warn",
		"COMMONSD_DEMO_LOAD_WHEN_EMPTY": "false",
	}}
}

func (e *testEnv) getenv(k string) string { return e.vars[k] }

// run runs one command in-process and returns its output and error.
func (e *testEnv) run(ctx context.Context, stdin string, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(ctx, append([]string{"commonsd"}, args...), e.getenv, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func (e *testEnv) mustRun(stdin string, args ...string) string {
	e.t.Helper()
	out, errOut, err := e.run(context.Background(), stdin, args...)
	if err != nil {
		e.t.Fatalf("commonsd %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// serve starts `commonsd serve` and waits until /healthz answers. The server
// stops (and must stop cleanly) when the test ends.
func (e *testEnv) serve() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var serveErr error
	var logs bytes.Buffer
	wg.Add(1)
	go func() {
		defer wg.Done()
		serveErr = run(ctx, []string{"commonsd", "serve"}, e.getenv, strings.NewReader(""), io.Discard, &logs)
	}()
	e.t.Cleanup(func() {
		cancel()
		wg.Wait()
		if serveErr != nil {
			e.t.Errorf("serve did not stop cleanly: %v\n%s", serveErr, logs.String())
		}
	})
	eventually(e.t, time.Minute, func() bool {
		resp, err := http.Get(e.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func eventually(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePorts finds n consecutive free loopback ports.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		ok := base+n <= 65535
		for i := 1; ok && i < n; i++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

const osmLine = `{"slug":"openstreetmap","name":{"en":"OpenStreetMap","fr":"OpenStreetMap"},"kinds":["geodata"],"status":"stable","licences":[{"expression":"ODbL-1.0","applies_to":"data"}]}`
const banLine = `{"slug":"base-adresse-nationale","name":{"fr":"Base Adresse Nationale"},"summary":{"fr":"La base de référence des adresses de l'État"},"kinds":["data"],"status":"stable","countries":[{"code":"FR","role":"origin"}]}`

func TestCommandLine(t *testing.T) {
	e := newTestEnv(t)
	dir := t.TempDir()

	t.Run("Help", func(t *testing.T) {
		// Each prints its usage once, to stdout, and nothing to stderr.
		for _, cmd := range commands() {
			for _, flag := range []string{"--help", "-h"} {
				args := append(strings.Fields(cmd.name), flag)
				out, errOut, err := e.run(context.Background(), "", args...)
				if err != nil || errOut != "" || strings.Count(out, "Usage: commonsd "+cmd.name) != 1 {
					t.Errorf("%s: err %v, stdout %q, stderr %q; want the usage once on stdout", strings.Join(args, " "), err, out, errOut)
				}
			}
		}
		for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
			out, errOut, err := e.run(context.Background(), "", args...)
			if err != nil || errOut != "" || strings.Count(out, "Usage: commonsd <command>") != 1 || !strings.Contains(out, "record import") {
				t.Errorf("%s: err %v, stdout %q, stderr %q; want the usage once on stdout", args, err, out, errOut)
			}
		}
		// A mistake prints the usage once, to stderr.
		out, errOut, err := e.run(context.Background(), "", "version", "--frobnicate")
		if _, ok := err.(usageError); !ok || out != "" || strings.Count(errOut, "Usage: commonsd version") != 1 || !strings.Contains(errOut, "frobnicate") {
			t.Errorf("version --frobnicate: err %v, stdout %q, stderr %q", err, out, errOut)
		}
	})
	t.Run("UnknownCommand", func(t *testing.T) {
		_, _, err := e.run(context.Background(), "", "frobnicate")
		if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), "frobnicate") {
			t.Errorf("err = %v, want a usage error naming the command", err)
		}
	})
	t.Run("Migrate", func(t *testing.T) {
		if out := e.mustRun("", "migrate"); !strings.Contains(out, "schema version") {
			t.Errorf("migrate printed %q", out)
		}
		if out := e.mustRun("", "migrate"); !strings.Contains(out, "up to date") {
			t.Errorf("second migrate printed %q", out)
		}
	})
	t.Run("UserAndToken", func(t *testing.T) {
		if out := e.mustRun("correct horse battery staple\n", "user", "add", "alice", "--role", "editor"); !strings.Contains(out, "created editor alice") {
			t.Errorf("user add printed %q", out)
		}
		if _, _, err := e.run(context.Background(), "short\n", "user", "add", "bob"); err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("short password: err = %v", err)
		}
		if _, _, err := e.run(context.Background(), "", "user", "add", "carol"); err == nil || !strings.Contains(err.Error(), "standard input is empty") {
			t.Errorf("no password: err = %v", err)
		}
		if _, _, err := e.run(context.Background(), "correct horse battery staple\n", "user", "add", "alice"); err == nil {
			t.Error("duplicate user accepted")
		}
		tok := strings.TrimSpace(e.mustRun("", "token", "create", "alice"))
		if !strings.HasPrefix(tok, "cdt_") || len(tok) < 40 {
			t.Errorf("token %q", tok)
		}
		if _, _, err := e.run(context.Background(), "", "token", "create", "nobody"); err == nil {
			t.Error("token for unknown user created")
		}
	})
	t.Run("ImportAllOrNothing", func(t *testing.T) {
		path := filepath.Join(dir, "bad.jsonl")
		bad := osmLine + "\n\n" + `{"slug":"x","name":{"en":"X"},"kinds":["data"],"status":"stable","licences":[{"expression":"GPL-9"}]}` + "\n"
		os.WriteFile(path, []byte(bad), 0o600)
		_, _, err := e.run(context.Background(), "", "record", "import", path)
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), `licences[0].expression: "GPL-9" is not a valid SPDX expression`) || !strings.Contains(err.Error(), "nothing was imported") {
			t.Fatalf("err = %v", err)
		}
		if out := e.mustRun("", "record", "export"); out != "" {
			t.Errorf("a failed import stored records: %q", out)
		}
		os.WriteFile(path, []byte(osmLine+"\n{not json}\n"), 0o600)
		if _, _, err := e.run(context.Background(), "", "record", "import", path); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("malformed line: err = %v", err)
		}
	})
	t.Run("ImportSkipInvalid", func(t *testing.T) {
		in := osmLine + "\n" + `{"slug":"y","name":{"en":"Y"},"kinds":["rocket"],"status":"stable"}` + "\n" + `{"slug":"z","nope":1}` + "\n" + banLine + "\n"
		out, errOut, err := e.run(context.Background(), in, "record", "import", "--skip-invalid", "-")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "2 created") || !strings.Contains(out, "2 rejected") {
			t.Errorf("stdout %q", out)
		}
		if !strings.Contains(errOut, "line 2 (y): ") || !strings.Contains(errOut, "kinds[0]") || !strings.Contains(errOut, "line 3: ") || !strings.Contains(errOut, "nope") {
			t.Errorf("stderr %q", errOut)
		}
		out = e.mustRun(osmLine+"\n", "record", "import", "-")
		if !strings.Contains(out, "1 unchanged") {
			t.Errorf("re-import printed %q", out)
		}
	})
	t.Run("Export", func(t *testing.T) {
		path := filepath.Join(dir, "out.jsonl")
		e.mustRun("", "record", "export", "--output", path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], `"slug":"base-adresse-nationale"`) || !strings.Contains(lines[1], `"slug":"openstreetmap"`) {
			t.Errorf("export:\n%s", b)
		}
	})
	t.Run("Blocks", func(t *testing.T) {
		if out := e.mustRun("", "block", "add", "spam.example", "--reason", "spam"); !strings.Contains(out, "blocked spam.example") {
			t.Errorf("block add printed %q", out)
		}
		if out := e.mustRun("", "block", "list"); !strings.Contains(out, "spam.example") || !strings.Contains(out, "spam") {
			t.Errorf("block list printed %q", out)
		}
		if _, _, err := e.run(context.Background(), "", "block", "add", "not a domain"); err == nil {
			t.Error("an invalid domain was blocked")
		}
		e.mustRun("", "block", "remove", "spam.example")
		if out := e.mustRun("", "block", "list"); strings.Contains(out, "spam.example") {
			t.Errorf("still blocked: %q", out)
		}
		if _, _, err := e.run(context.Background(), "", "block", "remove", "spam.example"); err == nil {
			t.Error("unblocking a domain that is not blocked succeeded")
		}
	})
	t.Run("Deliveries", func(t *testing.T) {
		if out := e.mustRun("", "deliveries"); !strings.Contains(out, "0 deliveries queued; 0 inboxes failing") {
			t.Errorf("deliveries printed %q", out)
		}
	})
	t.Run("Serve", func(t *testing.T) {
		e.serve()
		var page struct {
			Items []struct{ Slug string } `json:"items"`
			Total int                     `json:"total"`
		}
		if code := getJSON(t, e.url+"/api/v1/records?q=Etat", &page); code != 200 || page.Total != 1 || page.Items[0].Slug != "base-adresse-nationale" {
			t.Errorf("search Etat: %d %+v", code, page)
		}
		tok := strings.TrimSpace(e.mustRun("", "token", "create", "alice"))
		req, _ := http.NewRequest("POST", e.url+"/api/v1/records", strings.NewReader(`{"slug":"wikidata","name":{"en":"Wikidata"},"kinds":["knowledge"],"status":"stable","licences":[{"expression":"CC0-1.0","applies_to":"data"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST: %s", resp.Status)
		}
		// The CLI writes while the server runs; the server must see it.
		e.mustRun(`{"slug":"wikipedia","name":{"en":"Wikipedia"},"kinds":["knowledge"],"status":"stable"}`+"\n", "record", "import", "-")
		eventually(t, time.Minute, func() bool {
			return getJSON(t, e.url+"/api/v1/records/wikipedia", nil) == http.StatusOK
		})
	})
}

func TestServeLoadsDemoWhenEmpty(t *testing.T) {
	e := newTestEnv(t)
	e.vars["COMMONSD_DEMO_LOAD_WHEN_EMPTY"] = "true"
	e.serve()
	for q, want := range map[string]string{"openstreetmap": "openstreetmap", "adresse": "base-adresse-nationale", "Etat": ""} {
		var page struct {
			Items []struct{ Slug string } `json:"items"`
			Total int                     `json:"total"`
		}
		if code := getJSON(t, e.url+"/api/v1/records?q="+q, &page); code != 200 || page.Total == 0 {
			t.Errorf("search %q: status %d, %d results", q, code, page.Total)
			continue
		}
		if want != "" && page.Items[0].Slug != want {
			t.Errorf("search %q: first result %q, want %q", q, page.Items[0].Slug, want)
		}
	}
	var page struct{ Total int }
	getJSON(t, e.url+"/api/v1/records?limit=1", &page)
	if page.Total < 40 {
		t.Errorf("demo directory has %d records", page.Total)
	}
}

func TestDemo(t *testing.T) {
	port := freePorts(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	var mu sync.Mutex
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		w := &lockedWriter{w: &out, mu: &mu}
		done <- run(ctx, []string{"commonsd", "demo", "--port", fmt.Sprint(port), "--log-level", "info"}, noEnv, strings.NewReader(""), w, logs)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("demo log:\n%s", logs.String())
		}
	})
	recs, err := demo.Records()
	if err != nil {
		t.Fatal(err)
	}
	all := len(recs)
	for i := range 3 {
		url := fmt.Sprintf("http://127.0.0.1:%d", port+i)
		eventually(t, time.Minute, func() bool {
			resp, err := http.Get(url + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && resp.StatusCode == 200
		})
	}
	// The three peer at start: after a few seconds each shows the whole
	// demo directory, its own share local.
	for i := range 3 {
		url := fmt.Sprintf("http://127.0.0.1:%d", port+i)
		var page struct{ Total int }
		deadline := time.Now().Add(90 * time.Second) // generous: CI runs every package at once, under -race
		for getJSON(t, url+"/api/v1/records?limit=1", &page); page.Total != all; getJSON(t, url+"/api/v1/records?limit=1", &page) {
			if time.Now().After(deadline) {
				for j := range 3 {
					var inst struct{ Records struct{ Local, Remote int } }
					getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/api/v1/instance", port+j), &inst)
					t.Logf("instance %d: %+v", j, inst.Records)
				}
				t.Fatalf("%s shows %d records, not the %d of the demo directory, after 90 s", url, page.Total, all)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var inst struct {
			Records struct{ Local, Remote int }
		}
		getJSON(t, url+"/api/v1/instance", &inst)
		if inst.Records.Local < 10 || inst.Records.Local+inst.Records.Remote != all {
			t.Errorf("%s: %+v of %d records", url, inst.Records, all)
		}
	}
	mu.Lock()
	printed := out.String()
	mu.Unlock()
	if strings.Count(printed, "API token: cdt_") != 3 || strings.Count(printed, "editor login: editor / ") != 3 {
		t.Errorf("demo printed:\n%s", printed)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo stopped with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("demo did not stop within a minute")
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
