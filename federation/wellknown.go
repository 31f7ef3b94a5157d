package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// ServeWebFinger answers /.well-known/webfinger for acct:slug@host,
// acct:host@host (the instance actor, FEP-d556; with a port, the host part
// may carry it on both sides) or an actor URL: 404 for an unknown
// resource, 410 for a deleted record.
func (f *Federation) ServeWebFinger(w http.ResponseWriter, r *http.Request) error {
	resource := queryParam(r.URL.RawQuery, "resource")
	if resource == "" {
		return commons.Errorf(commons.EINVALID, "resource: the query parameter is required, e.g. acct:openstreetmap@%s", f.host)
	}
	var user string
	switch {
	case strings.HasPrefix(resource, "acct:"):
		u, h, ok := strings.Cut(strings.TrimPrefix(resource, "acct:"), "@")
		if !ok || !strings.EqualFold(h, f.host) && !strings.EqualFold(h, f.hostname()) {
			return commons.Errorf(commons.ENOTFOUND, "%s is not an account of %s", resource, f.host)
		}
		user = strings.ToLower(u)
		if strings.EqualFold(u, f.host) {
			// The instance actor's handle as a host with a port writes it:
			// acct:127.0.0.1:8081@127.0.0.1:8081.
			user = f.hostname()
		}
	case resource == f.InstanceActorID() || resource == f.base || resource == f.base+"/":
		user = f.hostname()
	case strings.HasPrefix(resource, f.base+"/records/"):
		user = strings.TrimPrefix(resource, f.base+"/records/")
	case strings.HasPrefix(resource, f.base+"/topics/"):
		user = strings.TrimPrefix(resource, f.base+"/topics/")
	default:
		return commons.Errorf(commons.ENOTFOUND, "%s is not a resource of %s", resource, f.host)
	}

	var actorID, profile string
	if user == f.hostname() {
		actorID, profile = f.InstanceActorID(), f.base+"/"
	} else if commons.IsTopic(user) {
		actorID, profile = f.TopicID(user), f.TopicID(user)
	} else {
		ref, err := f.db.RecordRef(r.Context(), user)
		if err != nil {
			return err // ENOTFOUND → 404, EGONE → 410
		}
		actorID, profile = ref.ID, ref.ID
	}
	// The answer depends only on the user and its actor IRI: it is encoded
	// once and served from the document cache after.
	key := "webfinger:" + user
	d, ok := f.docs.get(key, actorID)
	if !ok {
		body, err := f.webFingerJRD(user, actorID, profile)
		if err != nil {
			return err
		}
		d = f.docs.put(key, actorID, body)
	}
	w.Header()["Access-Control-Allow-Origin"] = hdrAnyOrigin
	return writePrepared(w, r, &d, hdrJRD, hdrMaxAge300)
}

// Header values of WebFinger answers, shared so that serving allocates
// nothing for them.
var (
	hdrAnyOrigin = []string{"*"}
	hdrJRD       = []string{"application/jrd+json"}
	hdrMaxAge300 = []string{"max-age=300"}
)

// webFingerJRD encodes the JRD of one account.
func (f *Federation) webFingerJRD(user, actorID, profile string) ([]byte, error) {
	jrd := map[string]any{
		"subject": "acct:" + user + "@" + f.host,
		"aliases": []string{actorID},
		"links": []map[string]any{
			{"rel": "self", "type": ContentType, "href": actorID},
			{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
			{"rel": "http://ostatus.org/schema/1.0/subscribe", "template": f.base + "/authorize_interaction?uri={uri}"},
		},
	}
	if user == f.hostname() {
		jrd["links"] = append(jrd["links"].([]map[string]any),
			map[string]any{"rel": "https://www.w3.org/ns/activitystreams#Application", "type": ContentType, "href": actorID})
	}
	b, err := json.Marshal(jrd)
	if err != nil {
		return nil, fmt.Errorf("encode the WebFinger answer for %s: %w", user, err)
	}
	return b, nil
}

// queryParam returns the first value of name in a raw query, unescaped,
// without building the map url.Values would.
func queryParam(rawQuery, name string) string {
	for rawQuery != "" {
		var kv string
		kv, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != name {
			if uk, err := url.QueryUnescape(k); err != nil || uk != name {
				continue
			}
		}
		if !strings.ContainsAny(v, "%+") {
			return v
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			return uv
		}
		return ""
	}
	return ""
}

// ServeHostMeta answers /.well-known/host-meta in XRD, or in JSON when the
// client asks for it (or calls host-meta.json).
func (f *Federation) ServeHostMeta(w http.ResponseWriter, r *http.Request, asJSON bool) error {
	template := f.base + "/.well-known/webfinger?resource={uri}"
	if asJSON {
		return writeJSON(w, "application/json", map[string]any{
			"links": []map[string]string{{"rel": "lrdd", "template": template}},
		})
	}
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	_, err := fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="%s"/>
</XRD>
`, html.EscapeString(template))
	return err
}

// ServeNodeInfoIndex answers /.well-known/nodeinfo: links to NodeInfo 2.1
// and 2.0, and to the instance actor (FEP-2677).
func (f *Federation) ServeNodeInfoIndex(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, "application/json", map[string]any{"links": []map[string]string{
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": f.base + "/nodeinfo/2.1"},
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f.base + "/nodeinfo/2.0"},
		{"rel": "https://www.w3.org/ns/activitystreams#Application", "href": f.InstanceActorID()},
	}})
}

// ServeNodeInfo answers /nodeinfo/2.1 or /nodeinfo/2.0. Records are the
// "users" of a directory: each is a followable account.
//
// The encoded document is kept in the document cache, keyed by the store's
// change sequence (record counts) and the current second (the peers, which
// change rarely and move no sequence): crawlers poll NodeInfo, and most
// answers are a map lookup.
func (f *Federation) ServeNodeInfo(w http.ResponseWriter, r *http.Request, version string) error {
	var contentType []string
	var name string
	switch version {
	case "2.1":
		contentType, name = hdrNodeInfo21, "nodeinfo:2.1"
	case "2.0":
		contentType, name = hdrNodeInfo20, "nodeinfo:2.0"
	default:
		return commons.Errorf(commons.ENOTFOUND, "NodeInfo %s is not served; use 2.1 or 2.0", version)
	}
	var buf [40]byte
	key := strconv.AppendInt(buf[:0], f.db.Seq(r.Context()), 10)
	key = append(key, '/')
	key = strconv.AppendInt(key, time.Now().Unix(), 10) // the real clock, even under a test's
	hash := string(key)
	d, ok := f.docs.get(name, hash)
	if !ok {
		body, err := f.nodeInfo(r.Context(), version)
		if err != nil {
			return err
		}
		d = f.docs.put(name, hash, body)
	}
	return writePrepared(w, r, &d, contentType, hdrMaxAge300)
}

// Content types of NodeInfo answers, shared so that serving allocates
// nothing for them.
var (
	hdrNodeInfo21 = []string{`application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"`}
	hdrNodeInfo20 = []string{`application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"`}
)

// nodeInfo encodes the NodeInfo document of one version.
func (f *Federation) nodeInfo(ctx context.Context, version string) ([]byte, error) {
	local, remote, err := f.db.CountRecords(ctx)
	if err != nil {
		return nil, err
	}
	peers, err := f.followedPeers(ctx)
	if err != nil {
		return nil, err
	}
	software := map[string]any{"name": "commonsd", "version": f.version}
	if version == "2.1" {
		software["repository"] = "https://github.com/commons-directory/commons"
		software["homepage"] = "https://github.com/commons-directory/commons"
	}
	doc := map[string]any{
		"version":           version,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []string{}, "outbound": []string{"atom1.0"}},
		"openRegistrations": false,
		"usage":             map[string]any{"users": map[string]any{"total": local}, "localPosts": 0},
		"metadata": map[string]any{
			"nodeName":        f.name,
			"nodeDescription": f.desc,
			"records":         map[string]int{"local": local, "remote": remote},
			"peers":           peers,
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode NodeInfo %s: %w", version, err)
	}
	return b, nil
}

func writeJSON(w http.ResponseWriter, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "max-age=300")
	_, err = w.Write(b)
	return err
}
