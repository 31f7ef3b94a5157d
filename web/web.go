// Package web is the HTTP surface of a Commons Directory instance: the JSON
// API under /api/v1 (RFC 9457 problem details, described by an embedded
// OpenAPI 3.1 document), the small HTML pages, content negotiation, security
// headers, write rate limiting and the access log.
//
// It owns no data: it decodes a request, calls the Directory it is handed
// (in production the store's *store.DB) and encodes the answer. It imports
// only the domain package; cmd wires the concrete store in.
package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// Directory is what web needs from the store. *store.DB satisfies it.
type Directory interface {
	Record(ctx context.Context, slug string) (*commons.Record, error)
	// RecordVersion tells, without copying the record, whether an encoding
	// cached for (id, version, hash) is still the record's.
	RecordVersion(ctx context.Context, slug string) (id string, version int, hash string, err error)
	RecordHistory(ctx context.Context, slug string) ([]commons.Revision, error)
	RecordHistoryByID(ctx context.Context, id string) ([]commons.Revision, error) // local or copy
	SearchRecords(ctx context.Context, f commons.RecordFilter) (*commons.RecordPage, error)
	CreateRecord(ctx context.Context, r *commons.Record, actor string) error
	UpdateRecord(ctx context.Context, r *commons.Record, ifVersion int, actor string) error
	DeleteRecord(ctx context.Context, slug string, ifVersion int, actor string) error
	CountRecords(ctx context.Context) (local, remote int, err error)
	Ping(ctx context.Context) error // the store answers: /readyz
	UserByToken(ctx context.Context, token string) (*commons.User, error)
	// ExportRecords and LocalRecordByIdentifier serve the exports and the
	// publiccode.yml import (exports.go).
	ExportRecords(ctx context.Context, includeRemote bool, fn func(*commons.Record) error) error
	LocalRecordByIdentifier(ctx context.Context, scheme, value string) (*commons.Record, error)

	// The web directory (ui_*.go, session.go, editor*.go, ops*.go, stats.go).
	RecordByID(ctx context.Context, id string) (*commons.Record, error)
	// RelationTargets and ReverseRelations link records the directory
	// holds through their relations, both ways.
	RelationTargets(ctx context.Context, rec *commons.Record) (map[string]commons.Listing, error)
	ReverseRelations(ctx context.Context, id string) ([]commons.Related, error)
	RecordGrowth(ctx context.Context) ([]commons.FacetCount, error)
	FundingRecords(ctx context.Context, fn func(*commons.Record) error) error
	FundingChanges(ctx context.Context, after int64, limit int) (ids []string, recs []*commons.Record, ok bool, err error)
	RecordChanges(ctx context.Context, after int64, limit int) (ids []string, recs []*commons.Record, ok bool, err error)
	ChangeSeq(ctx context.Context) (int64, error)              // moves at every write; funding_cache.go
	Programmes(ctx context.Context) ([]*commons.Record, error) // programmes.go
	Authenticate(ctx context.Context, name, password string) (*commons.User, error)
	Users(ctx context.Context) ([]*commons.User, error)
	CreateUser(ctx context.Context, name, role, password string) (*commons.User, error)
	SetPassword(ctx context.Context, name, password string) error
	SetRole(ctx context.Context, name, role string) error
	CreateToken(ctx context.Context, userName, label string) (string, error)
	RevokeToken(ctx context.Context, token string) error
	Tokens(ctx context.Context) ([]commons.Token, error)
	RevokeTokenID(ctx context.Context, id int64) error
	CreateSession(ctx context.Context, userID int64, ttl time.Duration) (string, error)
	SessionUser(ctx context.Context, secret string) (*commons.User, error)
	DeleteSession(ctx context.Context, secret string) error
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)
	LoginLockedUntil(ctx context.Context, keys ...string) (time.Time, error)
	NoteLoginFailure(ctx context.Context, key string, limit int, window, lock time.Duration) (int, error)
	ClearLoginFailures(ctx context.Context, key string) error
}

// Options configure the handler New returns. Directory is required; every
// other field has a default.
type Options struct {
	Directory    Directory
	Federation   Federation // optional: without it the instance does not federate
	Operator     Operator   // optional: peers, blocks, deliveries (admin API and pages)
	Harvests     Harvests   // optional: the publiccode.yml files re-read on a schedule (operator page)
	BaseURL      string     // e.g. "https://commons.example.eu"; used for Location headers, links, problem types
	InstanceName string     // shown in pages; default "Commons Directory"
	// InstanceNames is the instance name per language (BCP 47 tag →
	// name): a page shows the one of its language, else the one of
	// Language, the instance language.
	InstanceNames commons.Text
	Language      string
	Version       string // software version, shown by /api/v1/instance
	Logger        *slog.Logger
	MaxBodyBytes  int64 // largest request body; default 1 MiB

	// WriteRate and WriteBurst size the per-client token bucket that write
	// requests (POST, PUT, PATCH, DELETE) draw from: WriteRate tokens a
	// second, at most WriteBurst at once. Defaults: 10 and 50.
	WriteRate  float64
	WriteBurst int

	// InboxRate and InboxBurst size the per-client bucket that POSTs to
	// ActivityPub inboxes draw from. Defaults: 100 a second, 1,000 at once,
	// far above what a busy server delivers to one instance; a negative
	// InboxRate turns the limit off.
	InboxRate  float64
	InboxBurst int

	// TrustForwardedFor makes the rate limiter and the access log take the
	// client address from the last X-Forwarded-For entry, which is the one
	// a reverse proxy in front of commonsd appends. Leave it off when
	// clients reach commonsd directly: they could forge the header.
	TrustForwardedFor bool

	// HTTPClient fetches what an editor names by URL (a publiccode.yml to
	// import). cmd passes the federation's guarded client; nil refuses
	// imports by URL.
	HTTPClient *http.Client

	// Metrics measures requests and searches and serves /metrics;
	// optional. The main listener serves /metrics only with a
	// MetricsToken, to its bearers: without one, cmd serves Metrics'
	// handler on a listener of its own, if at all.
	Metrics      Metrics
	MetricsToken string

	// RecordCacheSize bounds how many encoded records the GET cache keeps;
	// default 10,000. The cache is keyed by record id, version and content
	// hash, so it never serves a stale document.
	RecordCacheSize int

	// PageCacheSize bounds how many pages the anonymous visitors' page
	// cache keeps (pagecache.go); default 2,000; negative turns it off.
	PageCacheSize int

	// Site is the operator's identity and legal facts (site.go).
	Site Site
}

// Defaults for the zero Options fields.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultWriteRate       = 10
	DefaultWriteBurst      = 50
	DefaultInboxRate       = 100
	DefaultInboxBurst      = 1000
	DefaultRecordCacheSize = 10000
	defaultInstanceName    = "Commons Directory"
)

// server holds what every handler needs. It is immutable after New, except
// for the caches and limiters, which lock themselves.
type server struct {
	dir      Directory
	fed      Federation
	op       Operator
	harvests Harvests
	base     string // BaseURL without a trailing slash
	https    bool
	name     string       // the instance name, in the instance language
	names    commons.Text // the instance name per language, if any
	lang     string       // the instance language
	version  string
	log      *slog.Logger
	maxBody  int64
	trustXFF bool
	records  *recordCache
	limits   *limiter
	// inboxLimits is nil when inboxes are not limited.
	inboxLimits *limiter
	metrics     Metrics      // nil: nothing measured
	stats       *serverStats // the routes' measurements (metrics.go)
	noFast      bool         // tests: every request through the router, to compare with serveFast
	pages       *pages
	site        Site
	style       []byte         // the stylesheet with the site's accent colours
	pageCache   *pageCache     // nil when off (pagecache.go)
	funding     fundingCache   // funding_cache.go
	progs       programmeCache // programmes.go
	client      *http.Client   // may be nil
	// crossOrigin refuses forms that browsers mark as sent from another
	// site (Sec-Fetch-Site, Origin); checkForm also checks the token.
	crossOrigin *http.CrossOriginProtection
}

// New returns the instance's HTTP handler. It panics if opts.Directory is
// nil or the embedded templates do not parse, both programming errors.
func New(opts Options) http.Handler { return newServer(opts).routes() }

func newServer(opts Options) *server {
	if opts.Directory == nil {
		panic("web: Options.Directory is nil")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{
		dir:      opts.Directory,
		fed:      opts.Federation,
		op:       opts.Operator,
		harvests: opts.Harvests,
		base:     strings.TrimRight(opts.BaseURL, "/"),
		name:     opts.InstanceName,
		names:    opts.InstanceNames,
		lang:     opts.Language,
		version:  opts.Version,
		log:      opts.Logger.With("component", "web"),
		maxBody:  opts.MaxBodyBytes,
		trustXFF: opts.TrustForwardedFor,
		client:   opts.HTTPClient,
		site:     opts.Site,
	}
	s.metrics = opts.Metrics
	s.stats = newServerStats(opts.Metrics, opts.MetricsToken)
	s.https = strings.HasPrefix(s.base, "https://")
	s.crossOrigin = http.NewCrossOriginProtection()
	if s.base != "" {
		// Behind a proxy the Host may not be the public one.
		_ = s.crossOrigin.AddTrustedOrigin(s.base) // a base with a path is only not trusted
	}
	if s.name == "" {
		s.name = s.names.String()
	}
	if s.name == "" {
		s.name = defaultInstanceName
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	rate, burst := opts.WriteRate, opts.WriteBurst
	if rate <= 0 {
		rate = DefaultWriteRate
	}
	if burst <= 0 {
		burst = DefaultWriteBurst
	}
	s.limits = newLimiter(rate, burst, 10*time.Minute)
	if rate, burst := opts.InboxRate, opts.InboxBurst; rate >= 0 {
		if rate == 0 {
			rate = DefaultInboxRate
		}
		if burst <= 0 {
			burst = DefaultInboxBurst
		}
		s.inboxLimits = newLimiter(rate, burst, 10*time.Minute)
	}
	size := opts.RecordCacheSize
	if size <= 0 {
		size = DefaultRecordCacheSize
	}
	s.records = newRecordCache(size)
	switch n := opts.PageCacheSize; {
	case n == 0:
		s.pageCache = newPageCache(DefaultPageCacheSize)
	case n > 0:
		s.pageCache = newPageCache(n)
	}
	s.pages = mustParsePages()
	s.style = styleWith(s.pages.style, s.site.Accent, s.site.AccentDark)
	return s
}

// nameIn is the instance name in lang, else in the instance language,
// with the tag of the language it is in (none for the single name).
func (s *server) nameIn(lang string) localText {
	if len(s.names) == 0 {
		return localText{Text: s.name}
	}
	return textIn(s.names, lang, s.lang)
}

// instanceName is the instance name for a page in lang, and its language
// when that is not lang (for a lang attribute).
func (s *server) instanceName(lang string) (name, nameLang string) {
	t := s.nameIn(lang)
	if t.Lang == lang || t.Lang == "" || strings.HasPrefix(t.Lang, lang+"-") {
		return t.Text, ""
	}
	return t.Text, t.Lang
}
