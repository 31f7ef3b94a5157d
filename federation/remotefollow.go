package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/commons-directory/commons"
)

// WebFinger link relations that tell where an account follows something.
const (
	relFollowIntent = "https://w3id.org/fep/3b86/Follow" // FEP-3b86 activity intent; template has {object}
	relSubscribe    = "http://ostatus.org/schema/1.0/subscribe"
)

// RemoteFollowURL returns the page on the visitor's own server where they
// confirm following target (an actor IRI of this instance). handle is the
// visitor's account, "@alice@example.org" or "alice@example.org". It asks
// the visitor's server by WebFinger for its FEP-3b86 Follow intent, else
// its OStatus subscribe template (Mastodon, GoToSocial, Misskey…).
// EINVALID names a malformed handle; ENOTFOUND an account or server that
// offers neither.
func (f *Federation) RemoteFollowURL(ctx context.Context, handle, target string) (string, error) {
	user, domain, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(handle), "@"), "@")
	if !ok || user == "" || domain == "" || strings.ContainsAny(user+domain, "/?#@ ") {
		return "", &commons.Error{Code: commons.EINVALID, Message: fmt.Sprintf("%q is not a fediverse handle like @name@example.org", handle),
			Fields: []commons.FieldError{{Field: "handle", Message: "expected @name@server"}}}
	}
	domain = strings.ToLower(domain)
	if blocked, err := f.db.DomainBlocked(ctx, hostname(domain)); err != nil {
		return "", err
	} else if blocked {
		return "", commons.Errorf(commons.EFORBIDDEN, "the domain %s is blocked", domain)
	}
	u := url.URL{Scheme: f.schemeFor(domain), Host: domain, Path: "/.well-known/webfinger",
		RawQuery: url.Values{"resource": {"acct:" + user + "@" + domain}}.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", commons.Errorf(commons.EINVALID, "%q is not a fediverse handle", handle)
	}
	req.Header.Set("Accept", "application/jrd+json, application/json")
	req.Header.Set("User-Agent", f.agent)
	resp, err := f.client.Do(req)
	if err != nil {
		return "", commons.Errorf(commons.ENOTFOUND, "could not reach %s: %v", domain, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", commons.Errorf(commons.ENOTFOUND, "%s does not know the account %s (%s)", domain, handle, resp.Status)
	}
	body, err := readLimited(resp.Body)
	if err != nil {
		return "", commons.Errorf(commons.ENOTFOUND, "reading %s's answer: %v", domain, err)
	}
	var jrd struct {
		Links []struct {
			Rel      string `json:"rel"`
			Template string `json:"template"`
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return "", commons.Errorf(commons.ENOTFOUND, "%s answered WebFinger with invalid JSON", domain)
	}
	var intent, subscribe string
	for _, l := range jrd.Links {
		switch l.Rel {
		case relFollowIntent:
			intent = l.Template
		case relSubscribe:
			subscribe = l.Template
		}
	}
	var dest string
	switch {
	case intent != "" && strings.Contains(intent, "{object}"):
		dest = strings.ReplaceAll(intent, "{object}", url.QueryEscape(target))
	case subscribe != "" && strings.Contains(subscribe, "{uri}"):
		dest = strings.ReplaceAll(subscribe, "{uri}", url.QueryEscape(target))
	default:
		// GoToSocial, for one, offers neither: the visitor follows from
		// their app's search instead.
		return "", nil
	}
	if d, err := url.Parse(dest); err != nil || (d.Scheme != "https" && d.Scheme != "http") || d.Host == "" {
		return "", commons.Errorf(commons.ENOTFOUND, "%s gave an unusable follow address", domain)
	}
	return dest, nil
}

// schemeFor is https, except for loopback hosts when private addresses are
// allowed (tests and the demo serve plain HTTP on 127.0.0.1).
func (f *Federation) schemeFor(hostport string) string {
	if f.opts.AllowPrivate {
		h := hostname(hostport)
		if a, err := netip.ParseAddr(h); (err == nil && a.IsLoopback()) || h == "localhost" {
			return "http"
		}
	}
	return "https"
}

// hostname strips the port from host[:port].
func hostname(hostport string) string {
	if h, _, ok := strings.Cut(hostport, ":"); ok && !strings.Contains(hostport, "]") {
		return h
	}
	return strings.Trim(hostport, "[]")
}
