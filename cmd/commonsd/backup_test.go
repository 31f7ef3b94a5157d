package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupWhileServing takes a backup with the CLI while the server runs,
// then serves the copy as a second instance would after a restore.
func TestBackupWhileServing(t *testing.T) {
	e := newTestEnv(t)
	e.vars["COMMONSD_DEMO_LOAD_WHEN_EMPTY"] = "true"
	e.serve()

	dest := filepath.Join(t.TempDir(), "commons-backup.db")
	out := e.mustRun("", "backup", dest)
	if !strings.Contains(out, "wrote "+dest) || !strings.Contains(out, "checked") {
		t.Errorf("backup printed %q", out)
	}
	if _, _, err := e.run(context.Background(), "", "backup", dest); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second backup to the same file: err = %v, want one saying it exists", err)
	}
	if _, _, err := e.run(context.Background(), "", "backup"); err == nil || !strings.Contains(err.Error(), "FILE") {
		t.Errorf("backup without a file: err = %v", err)
	}

	// Restore: the copy is a whole database (same base URL, another port).
	r := newTestEnv(t)
	r.vars["COMMONSD_STORE_PATH"] = dest
	r.vars["COMMONSD_SERVER_BASE_URL"] = e.vars["COMMONSD_SERVER_BASE_URL"]
	r.url = "http://" + r.vars["COMMONSD_SERVER_LISTEN"]
	r.serve()
	resp, err := http.Get(r.url + "/api/v1/records/openstreetmap")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the restored copy answers %s for openstreetmap", resp.Status)
	}
}
