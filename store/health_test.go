package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestSizeAndPing: the size counts the pages and the write-ahead log and
// grows with the data; a closed database fails Ping.
func TestSizeAndPing(t *testing.T) {
	eachStore(t, testSizeAndPing)
}

func testSizeAndPing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "commons.db")
	db, err := Open(ctx, testOptions(t, path, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping an open database: %v", err)
	}
	before, err := db.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); !onPostgres(t) && (err != nil || before < fi.Size()) {
		t.Fatalf("size %d is less than the file (%v, %v)", before, fi, err)
	}
	for i := range 200 {
		if err := db.CreateRecord(ctx, newRecord(fmt.Sprintf("r%d", i), "Record with a name long enough to take room"), "test"); err != nil {
			t.Fatal(err)
		}
	}
	after, err := db.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Errorf("size after 200 records = %d, not more than %d before", after, before)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err == nil {
		t.Error("ping a closed database: no error")
	}
	if _, err := db.Size(ctx); err == nil {
		t.Error("size of a closed database: no error")
	}
}
