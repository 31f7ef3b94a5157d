// Package federation speaks ActivityPub for Commons Directory: it turns
// records into actor documents and posts, verifies and stores what arrives
// in inboxes, and delivers what leaves through a durable queue.
//
// It uses go-fed/activity's streams vocabulary to build and parse, behind a
// normalisation layer that keeps the JSON Mastodon and GoToSocial need
// (arrays stay arrays, content and contentMap both present, our own
// @context), and go-fed/httpsig behind a wrapper that checks what httpsig
// does not: the digest, the date window and the list of signed headers. It
// does not use go-fed's pub package for inboxes or delivery. HTTP routing
// belongs to web/, storage to store/.
package federation
