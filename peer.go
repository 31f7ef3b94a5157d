package commons

import "time"

// PeerState is where one direction of a peering stands.
type PeerState string

// Peering states. A follow request is pending until the other side
// accepts or rejects it; PeerNone means no request was made.
const (
	PeerNone     PeerState = ""
	PeerPending  PeerState = "pending"
	PeerAccepted PeerState = "accepted"
	PeerRejected PeerState = "rejected"
)

// PeerPolicies are the answers an instance gives to other instances that
// ask to follow it: accept at once, hold for an operator, or refuse.
var PeerPolicies = []string{"open", "approval", "closed"}

// Peer is another Commons Directory instance this one federates with, in
// either direction.
type Peer struct {
	Actor       string    `json:"actor"` // its instance actor's IRI
	Host        string    `json:"host"`
	Name        string    `json:"name,omitempty"`
	Outgoing    PeerState `json:"outgoing"` // this instance's follow of the peer
	Incoming    PeerState `json:"incoming"` // the peer's follow of this instance
	Records     int       `json:"records"`  // the peer's records held here
	Since       time.Time `json:"since"`
	LastContact time.Time `json:"last_contact,omitzero"` // last activity received from it
	LastSync    time.Time `json:"last_sync,omitzero"`    // last completed reconciliation
	LastError   string    `json:"last_error,omitempty"`  // of the last failed sync or delivery
	// What the last reconciliation with the peer cost: the requests made,
	// the bytes of the responses, and the record documents received.
	SyncRequests  int   `json:"sync_requests"`
	SyncBytes     int64 `json:"sync_bytes"`
	SyncDocuments int   `json:"sync_documents"`
}

// Behind is how long ago the last completed reconciliation with the peer
// was, at now: how far behind this instance's copy of its records may be
// in the worst case (live deliveries usually keep it current). Zero when
// none has completed.
func (p *Peer) Behind(now time.Time) time.Duration {
	if p.LastSync.IsZero() {
		return 0
	}
	return now.Sub(p.LastSync).Round(time.Second)
}

// DomainBlock cuts a domain and its subdomains off: nothing from them is
// accepted, nothing is sent to them, and what came from them is purged.
type DomainBlock struct {
	Domain   string    `json:"domain"`
	Severity string    `json:"severity"` // "suspend"; Mastodon's "silence" is treated alike
	Reason   string    `json:"reason,omitempty"`
	Created  time.Time `json:"created"`
}

// InboxHealth is the state of a remote inbox deliveries have failed to.
type InboxHealth struct {
	Inbox        string    `json:"inbox"`
	Failures     int       `json:"failures"` // failed attempts since the last success
	FirstFailure time.Time `json:"first_failure"`
	LastFailure  time.Time `json:"last_failure"`
	LastError    string    `json:"last_error,omitempty"`
	Unreachable  bool      `json:"unreachable"` // given up; nothing more is queued for it
}

// DeliveryQueue is the state of outgoing deliveries.
type DeliveryQueue struct {
	Pending int           `json:"pending"` // deliveries waiting or being retried
	Failing []InboxHealth `json:"failing"`
}

// Listing is another record, at this instance or another, of the same
// commons: it shares an identifier (a Wikidata item, a repository, a
// publiccode.yml URL) with the record at hand. Listings are shown side by
// side and never merged.
type Listing struct {
	ID     string `json:"id"`     // the record's IRI
	Slug   string `json:"slug"`   // at its origin
	Origin string `json:"origin"` // its home instance's base URL
	Name   Text   `json:"name"`
	Key    string `json:"key"` // the shared identifier, e.g. "wikidata:Q936"
}

// Related is a record the directory holds that a relation names, or that
// names a record in one of its relations (a reverse relation): Type is the
// relation's type as stated by the record that states it.
type Related struct {
	Type string `json:"type"`
	Listing
}

// PostSummary is one of a record actor's posts, for pages and feeds.
type PostSummary struct {
	ID        string    `json:"id"` // the Note's IRI
	Lang      string    `json:"lang"`
	Content   string    `json:"content"` // sanitised HTML
	Published time.Time `json:"published"`
	Kind      string    `json:"kind"` // "change" or "editor"
}

// Social is what the fediverse adds to a record: who follows it, what it
// posted, where else the same commons is listed.
type Social struct {
	Followers int `json:"followers"`
	// FollowersUnknown is set for a remote copy whose origin has not
	// told its follower count yet (Followers is then -1).
	FollowersUnknown bool          `json:"-"`
	Posts            []PostSummary `json:"posts"` // newest first
	AlsoListedBy     []Listing     `json:"also_listed_by"`
}
