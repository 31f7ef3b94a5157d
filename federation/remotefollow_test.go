package federation

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/federation/fedtest"
)

func TestRemoteFollowURL(t *testing.T) {
	guarded := newServeFederation(t)
	f := New(Options{DB: guarded.db, BaseURL: guarded.base, InstanceName: "test", AllowPrivate: true})
	t.Cleanup(f.Close)
	ctx := context.Background()
	alice := fedtest.NewPeer(t, "alice")
	host := strings.TrimPrefix(alice.URL, "http://")
	target := f.base + "/records/osm"

	// By default the visitor's server must be a public address.
	if _, err := guarded.RemoteFollowURL(ctx, "@alice@"+host, target); err == nil || !strings.Contains(err.Error(), "non-public") {
		t.Errorf("loopback handle without AllowPrivate: %v, want refused", err)
	}

	got, err := f.RemoteFollowURL(ctx, "@alice@"+host, target)
	if err != nil {
		t.Fatal(err)
	}
	if want := alice.URL + "/authorize_interaction?uri=" + url.QueryEscape(target); got != want {
		t.Errorf("follow URL = %s, want %s", got, want)
	}
	for _, tt := range []struct{ handle, code string }{
		{"alice", commons.EINVALID},
		{"@alice@", commons.EINVALID},
		{"@a/b@" + host, commons.EINVALID},
		{"@bob@" + host, commons.ENOTFOUND},       // no such account
		{"@alice@127.0.0.1:1", commons.ENOTFOUND}, // nothing listens
	} {
		_, err := f.RemoteFollowURL(ctx, tt.handle, target)
		if got := commons.ErrorCode(err); got != tt.code {
			t.Errorf("%q: %v (code %s), want %s", tt.handle, err, got, tt.code)
		}
	}
}
