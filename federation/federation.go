package federation

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/commons-directory/commons"
)

// Store is what the federation needs from the store, one part per
// concern; *store.DB satisfies it on both SQL dialects.
type Store interface {
	ActorStore
	FollowerStore
	DeliveryStore
	InboxStore
	PeerStore
	BlockStore
	ReplicaStore
	RecordStore
	PostStore
	CopyStore
	SchemeStore
	Coordinator
}

// Coordinator lets one of several processes over one database run a
// piece of background work while the others skip it.
type Coordinator interface {
	Exclusive(ctx context.Context, name string, fn func(context.Context)) (bool, error)
}

// Options configure New. DB and BaseURL are required.
type Options struct {
	DB           Store
	BaseURL      string // e.g. "https://commons.example.eu"
	InstanceName string
	Description  string // one line about the instance, for NodeInfo and the instance actor
	// InstanceNames and Descriptions give the name and the description in
	// several languages (BCP 47 tag → text) for the instance actor, which
	// carries them all; InstanceName and Description, in Lang, stay the
	// ones of NodeInfo and of the topic accounts.
	InstanceNames, Descriptions commons.Text
	Lang                        string // language of generated posts and labels; default "en"
	Version                     string // software version, for NodeInfo and the User-Agent
	Logger                      *slog.Logger
	Now                         func() time.Time // injectable clock; default time.Now

	// AllowPrivate lets outgoing requests reach loopback and private
	// addresses. Only tests and `commonsd demo` set it.
	AllowPrivate bool
	// Workers is the number of concurrent deliveries; default 16.
	Workers int
	// DeliveryLease is how long a claimed delivery belongs to the process
	// that claimed it: one killed mid-delivery leaves its claims to the
	// others after it. Default 2 minutes.
	DeliveryLease time.Duration
	// Schedule is the wait before each retry of a failed delivery, after
	// which it gives up; default RetrySchedule. Jitter of ±10% is added.
	Schedule []time.Duration
	// PollInterval is how often the queues are checked for work written by
	// another process (the CLI); work from this process starts at once.
	// Default 1 s.
	PollInterval time.Duration

	// AuthorizedFetch requires a valid HTTP signature on every GET of an
	// ActivityPub document except the instance actor (which signatures
	// are checked against), and refuses a signer whose domain is blocked;
	// like Mastodon's secure mode. Off by default.
	AuthorizedFetch bool

	// PeerPolicy answers other instances that ask to follow this one:
	// "open" accepts at once, "approval" (the default) holds the request
	// for an operator, "closed" refuses.
	PeerPolicy string
	// Metrics counts inbox refusals, deliveries and reconciliations for
	// the operator's Prometheus; nil counts nothing.
	Metrics Metrics

	// SyncInterval is how often the records of every followed peer are
	// reconciled with its record collection, repairing missed deliveries;
	// default 1 h. Followed peers are also reconciled when they accept and
	// at start.
	SyncInterval time.Duration
}

// Metrics receives what the federation counts; cmd passes the metrics
// package's.
type Metrics interface {
	InboxAccepted()
	InboxRefused(reason string)  // a reason of refusalReason
	DeliveryDone(outcome string) // "sent", "retry", "refused" or "gave_up"
	PeerSynced(host string, err error)
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) InboxAccepted()           {}
func (noMetrics) InboxRefused(string)      {}
func (noMetrics) DeliveryDone(string)      {}
func (noMetrics) PeerSynced(string, error) {}

// Peer policies.
const (
	PolicyOpen     = "open"
	PolicyApproval = "approval"
	PolicyClosed   = "closed"
)

// RetrySchedule is the default wait before each retry of a failed
// delivery: about three and a half days in all, then the inbox is marked
// unreachable.
var RetrySchedule = []time.Duration{
	5 * time.Minute, 10 * time.Minute, 15 * time.Minute, time.Hour, 2 * time.Hour,
	3 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour,
}

// Federation is the ActivityPub side of one instance: the documents it
// serves, its inbox, and the workers that process what arrived and deliver
// what leaves.
type Federation struct {
	db      Store
	base    string
	host    string // host[:port] of base
	name    string
	desc    string
	names   commons.Text // name per language, with name in lang
	descs   commons.Text // description per language, with desc in lang
	lang    string
	version string
	log     *slog.Logger
	now     func() time.Time
	client  *http.Client
	agent   string
	keys    *KeyPool
	opts    Options

	mu        sync.Mutex
	privKeys  map[string]*SigningKey // our actors' keys, parsed once
	integrity originKeys             // our Ed25519 key and origins' keys (FEP-8b32)
	pubKeys   keyCache               // remote actors' keys, parsed
	sigPrefs  sigPrefs               // the signature scheme each host accepts (knock.go)
	docs      docCache
	refusals  refusalLog // refusals.go

	wakeInbox, wakeDeliver, wakePublish, wakeSync chan struct{}
	wakeCalls                                     chan struct{}   // programmes.go
	copyQueue                                     chan string     // copies to refresh (copies.go)
	copyPending                                   map[string]bool // queued or being refreshed, under mu
	syncing                                       sync.Mutex      // one reconciliation at a time
}

// New builds the federation of one instance. Run starts its workers.
func New(o Options) *Federation {
	if o.Lang == "" {
		o.Lang = "en"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.DeliveryLease <= 0 {
		o.DeliveryLease = deliveryLease
	}
	if o.Schedule == nil {
		o.Schedule = RetrySchedule
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.PeerPolicy == "" {
		o.PeerPolicy = PolicyApproval
	}
	if o.Metrics == nil {
		o.Metrics = noMetrics{}
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Hour
	}
	base := strings.TrimRight(o.BaseURL, "/")
	u, _ := url.Parse(base)
	agent := "commonsd/" + o.Version + " (+" + base + "/)"
	return &Federation{
		db: o.DB, base: base, host: u.Host, name: o.InstanceName, desc: o.Description,
		names: withText(o.InstanceNames, o.Lang, o.InstanceName), descs: withText(o.Descriptions, o.Lang, o.Description),
		lang: o.Lang, version: o.Version, log: o.Logger.With("component", "federation"),
		now: o.Now, agent: agent, opts: o,
		client:      newHTTPClient(ClientOptions{AllowPrivate: o.AllowPrivate, UserAgent: agent}),
		keys:        NewKeyPool(4),
		privKeys:    map[string]*SigningKey{},
		wakeInbox:   make(chan struct{}, 1),
		wakeDeliver: make(chan struct{}, 1),
		wakePublish: make(chan struct{}, 1),
		wakeSync:    make(chan struct{}, 1),
		wakeCalls:   make(chan struct{}, 1),
		copyQueue:   make(chan string, 64),
		copyPending: map[string]bool{},
	}
}

// Close stops the key pool. Run's workers stop with its context.
func (f *Federation) Close() { f.keys.Close() }

// Run processes the inbox, publishes record changes and delivers until ctx
// ends, then waits for in-flight deliveries to finish.
func (f *Federation) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){f.runInbox, f.runPublisher, f.runDelivery, f.runMaintenance, f.runSync, f.runCopies, f.runCalls} {
		wg.Add(1)
		go func() { defer wg.Done(); loop(ctx) }()
	}
	wg.Wait()
}

// inboxRetention is how long processed activities are kept, and so how
// long their ids guard against replays; far beyond the signature's date
// window, past which a replay fails verification anyway.
const inboxRetention = 7 * 24 * time.Hour

// runMaintenance purges old processed activities and delivered activity
// bodies, hourly.
func (f *Federation) runMaintenance(ctx context.Context) {
	every(ctx, time.Hour, nil, f.exclusive("maintenance", func(ctx context.Context) {
		if n, err := f.db.PurgeInbox(ctx, f.now().Add(-inboxRetention)); err != nil {
			if ctx.Err() == nil {
				f.log.Error("purge inbox", "err", err)
			}
		} else if n > 0 {
			f.log.Info("purged old activities", "count", n)
		}
		if err := f.db.GarbageCollectActivities(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("collect delivered activities", "err", err)
		}
	}))
}

// RecordChanged wakes the publisher, and the job that posts programmes'
// calls, at once; without it the change is found at the next poll. web
// calls it after every write.
func (f *Federation) RecordChanged() { wake(f.wakePublish); wake(f.wakeCalls) }

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// every calls fn when woken or at each interval, until ctx ends.
// exclusive wraps fn, the work of one round of a background loop, so that
// of several processes over one database only one runs it at a time; the
// others skip the round (Coordinator).
func (f *Federation) exclusive(name string, fn func(context.Context)) func(context.Context) {
	return func(ctx context.Context) {
		if _, err := f.db.Exclusive(ctx, name, fn); err != nil && ctx.Err() == nil {
			f.log.Error("background work", "work", name, "err", err)
		}
	}
}

func every(ctx context.Context, interval time.Duration, wakeup <-chan struct{}, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wakeup:
		}
	}
}

// scheme is the scheme of the base URL, "https" or "http".
func (f *Federation) scheme() string {
	s, _, _ := strings.Cut(f.base, "://")
	return s
}

// Host is the host[:port] of the instance.
func (f *Federation) Host() string { return f.host }

// Hostname is the host without a port: the instance actor's username.
func (f *Federation) hostname() string {
	h := f.host
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	return h
}

// InstanceActorID is the IRI of the instance actor.
func (f *Federation) InstanceActorID() string { return f.base + "/actor" }

// SharedInbox is the IRI of the shared inbox.
func (f *Federation) SharedInbox() string { return f.base + "/inbox" }

// withText is t with s as its text in lang unless t has one (a new map);
// an empty s adds nothing.
func withText(t commons.Text, lang, s string) commons.Text {
	out := commons.Text{}
	for k, v := range t {
		out[k] = v
	}
	if _, ok := out[lang]; !ok && s != "" {
		out[lang] = s
	}
	return out
}
