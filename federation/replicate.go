package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/store"
)

// Records travel between instances as record objects: the record actor's
// identity (id, type, preferredUsername, name, url, published, updated)
// and the whole record as JSON under commonsRecord. Deletions travel as
// Tombstones. The same objects fill the instance actor's record
// collection, /actor/records, which peers page through to backfill and
// reconcile. Only Commons Directory instances receive them; Mastodon sees
// record actors and posts.

// recordObject is the document of a record sent to peers.
func recordObject(r *commons.Record) map[string]any {
	name, _ := r.Name.Get("en")
	return map[string]any{
		"id":                r.ID,
		"type":              "Service",
		"preferredUsername": r.Slug,
		"name":              name,
		"url":               r.ID,
		"published":         r.Provenance.Created.UTC().Format(time.RFC3339Nano),
		"updated":           r.Provenance.Updated.UTC().Format(time.RFC3339Nano),
		"commonsRecord":     r,
	}
}

// tombstoneObject is the document of a deleted record.
func tombstoneObject(id string, deleted time.Time) map[string]any {
	return map[string]any{"id": id, "type": "Tombstone", "formerType": "Service", "deleted": deleted.UTC().Format(time.RFC3339Nano)}
}

// replicaItem is a record object or tombstone as received.
type replicaItem struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Deleted       time.Time       `json:"deleted"`
	CommonsRecord *commons.Record `json:"commonsRecord"`
	Proof         *struct {
		VerificationMethod string `json:"verificationMethod"`
	} `json:"proof"`
}

// change turns a received item into a store change: EINVALID for an item
// that is neither a record object nor a tombstone.
func (it *replicaItem) change() (store.RemoteChange, error) {
	switch {
	case it.Type == "Tombstone":
		return store.RemoteChange{ID: it.ID, Deleted: it.Deleted}, nil
	case it.CommonsRecord != nil:
		return store.RemoteChange{ID: it.ID, Record: it.CommonsRecord}, nil
	}
	return store.RemoteChange{}, commons.Errorf(commons.EINVALID, "%s is neither a record object nor a Tombstone", it.ID)
}

// isRecordObject reports whether an embedded object is a record object.
func isRecordObject(obj map[string]any) bool {
	_, ok := obj["commonsRecord"]
	return ok
}

// parseReplica reads a record object or tombstone embedded in an activity
// from its origin. A document with a proof is kept, to be passed on (its
// proof covers the canonical form, which re-encoding does not change).
func parseReplica(obj map[string]any) (store.RemoteChange, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return store.RemoteChange{}, err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err == nil {
		if err := checkKeyCase(keys); err != nil {
			return store.RemoteChange{}, commons.Errorf(commons.EINVALID, "record object: %v", err)
		}
	}
	var it replicaItem
	if err := json.Unmarshal(b, &it); err != nil {
		return store.RemoteChange{}, commons.Errorf(commons.EINVALID, "record object: %v", err)
	}
	c, err := it.change()
	if _, signed := obj["proof"]; signed && err == nil {
		c.Signed = b
	}
	return c, err
}

// Record collection pages.
const (
	defaultRecordPage = 500
	maxRecordPage     = store.MaxChangePage
	// maxRecordPageBytes bounds a page of the record collection we fetch:
	// a thousand records of a few kilobytes each.
	maxRecordPageBytes = 16 << 20
)

// serveRecordCollection writes /actor/records: without page, the
// collection (its size and first page); with page=true, the records
// changed after the cursor since (0 for all), deletions included, oldest
// change first. commonsCursor on the page is the cursor to resume from.
// Local records come signed by this instance; copies of other instances'
// records come as their origin signed them (FEP-8b32), so a new peer gets
// the whole directory this instance holds and trusts each record only as
// far as its origin's proof. Copies held without a proof are left out.
func (f *Federation) serveRecordCollection(w http.ResponseWriter, r *http.Request) error {
	id := f.InstanceActorID() + "/records"
	q := r.URL.Query()
	if q.Get("page") == "" {
		n, err := f.db.CountRelayable(r.Context())
		if err != nil {
			return err
		}
		body, err := OrderedCollectionDocument(id, n, id+"?page=true&since=0")
		if err != nil {
			return err
		}
		return writeDoc(w, r, body, "")
	}
	since, sincePK, err := parseCursor(q.Get("since"))
	if err != nil {
		return err
	}
	limit := defaultRecordPage
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > maxRecordPage {
			return commons.Errorf(commons.EINVALID, "limit: %q must be a number from 1 to %d", l, maxRecordPage)
		}
	}
	changes, err := f.db.Changes(r.Context(), store.ChangeQuery{After: since, AfterPK: sincePK, Limit: limit, Relayable: true, IncludeDeleted: true})
	if err != nil {
		return err
	}
	items := make([]any, len(changes))
	cursor := formatCursor(since, sincePK)
	for i, c := range changes {
		switch {
		case c.Signed != nil:
			items[i] = json.RawMessage(c.Signed)
		case c.Deleted:
			items[i], err = f.signedObject(r.Context(), tombstoneObject(c.ID, c.Updated))
		default:
			items[i], err = f.signedObject(r.Context(), recordObject(c.Record))
		}
		if err != nil {
			return err
		}
		cursor = formatCursor(c.Seq, c.PK)
	}
	next := ""
	if len(changes) == limit {
		next = fmt.Sprintf("%s?page=true&since=%s&limit=%d", id, cursor, limit)
	}
	m := map[string]any{
		"id": fmt.Sprintf("%s?page=true&since=%s&limit=%d", id, formatCursor(since, sincePK), limit), "type": "OrderedCollectionPage",
		"partOf": id, "orderedItems": items, "commonsCursor": cursor,
	}
	if next != "" {
		m["next"] = next
	}
	body, err := marshal(withIntegrityContext(m))
	if err != nil {
		return err
	}
	return writeDoc(w, r, body, "")
}

// A cursor of the record collection is "<seq>-<pk>": the store's change
// counter and row of the last record read (see store.Changes). "0" and ""
// start from the beginning.
func parseCursor(s string) (seq, pk int64, err error) {
	if s == "" || s == "0" {
		return 0, 0, nil
	}
	a, b, _ := strings.Cut(s, "-")
	seq, err1 := strconv.ParseInt(a, 10, 64)
	pk, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || seq < 0 || pk < 0 {
		return 0, 0, commons.Errorf(commons.EINVALID, "since: %q is not a cursor from this collection", s)
	}
	return seq, pk, nil
}

func formatCursor(seq, pk int64) string {
	if seq == 0 && pk == 0 {
		return "0"
	}
	return strconv.FormatInt(seq, 10) + "-" + strconv.FormatInt(pk, 10)
}

// recordPage is a page of a peer's record collection as received.
type recordPage struct {
	Items  []json.RawMessage `json:"orderedItems"`
	Next   string            `json:"next"`
	Cursor string            `json:"commonsCursor"`
}

// originOf is the base URL of the instance whose instance actor is actor.
func originOf(actor string) string { return strings.TrimSuffix(actor, "/actor") }

// syncPeer brings this instance's copy of a followed peer's records up to
// date: it pages through the peer's record collection from the stored
// cursor, storing each page and the cursor after it in one transaction, so
// a reconciliation that stops resumes where it was. It returns how many
// records changed.
func (f *Federation) syncPeer(ctx context.Context, p *store.Peer) (int, error) {
	f.syncing.Lock()
	defer f.syncing.Unlock()
	origin := originOf(p.Actor)
	cursor := p.SyncCursor
	if cursor == "" {
		cursor = "0"
	}
	applied := 0
	// The next page is fetched while this one is stored: the peer reads
	// and encodes while this instance writes.
	type fetched struct {
		page recordPage
		err  error
	}
	fetch := func(iri string) <-chan fetched {
		ch := make(chan fetched, 1)
		if !strings.HasPrefix(iri, origin+"/") {
			ch <- fetched{err: commons.Errorf(commons.EFORBIDDEN, "the record collection of %s points to %s", p.Host, iri)}
			return ch
		}
		go func() {
			page, err := f.fetchRecordPage(ctx, iri)
			ch <- fetched{page, err}
		}()
		return ch
	}
	pending := fetch(p.Actor + "/records?page=true&since=" + url.QueryEscape(cursor) + "&limit=" + strconv.Itoa(defaultRecordPage))
	var err error
	for pending != nil && err == nil {
		got := <-pending
		pending = nil
		if err = got.err; err != nil {
			break
		}
		page := got.page
		if page.Next != "" && len(page.Items) > 0 {
			pending = fetch(page.Next)
		}
		changes := make([]store.RemoteChange, 0, len(page.Items))
		for _, raw := range page.Items {
			c, ok, cerr := f.pageItem(ctx, origin, raw)
			if cerr != nil {
				f.log.Warn("record from a peer skipped", "peer", p.Host, "err", cerr)
			}
			if ok {
				changes = append(changes, c)
			}
		}
		if page.Cursor == "" {
			page.Cursor = cursor
		}
		var res *store.RemoteResult
		if res, err = f.db.ApplyRemote(ctx, origin, changes, f.now(), p.Actor, page.Cursor); err != nil {
			break
		}
		for _, rj := range res.Rejected {
			f.log.Warn("record from a peer refused", "peer", p.Host, "record", rj.ID, "err", rj.Err)
		}
		applied += res.Applied()
		cursor = page.Cursor
	}
	if pending != nil {
		<-pending // let the prefetch finish before returning
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if _, uerr := f.db.UpdatePeer(context.WithoutCancel(ctx), p.Actor, func(sp *store.Peer) error {
		sp.LastError = msg
		if err == nil {
			sp.LastSync = f.now()
		}
		return nil
	}); uerr != nil && err == nil {
		err = uerr
	}
	if applied > 0 {
		f.log.Info("records synchronised", "peer", p.Host, "changed", applied)
	}
	return applied, err
}

// pageItem reads one item of a peer's record page: a record of the peer
// itself, or one it passes on from another instance, which is taken only
// with a valid proof by that origin. ok is false for an item to skip:
// this instance's own records coming back, records of blocked domains, and
// records of instances this one follows itself (their own collection is
// the fresher source).
func (f *Federation) pageItem(ctx context.Context, peer string, raw json.RawMessage) (c store.RemoteChange, ok bool, err error) {
	var it replicaItem
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return c, false, commons.Errorf(commons.EINVALID, "record page item: %v", err)
	}
	if err := checkKeyCase(keys); err != nil {
		return c, false, commons.Errorf(commons.EINVALID, "record page item: %v", err)
	}
	if err := json.Unmarshal(raw, &it); err != nil {
		return c, false, commons.Errorf(commons.EINVALID, "record page item: %v", err)
	}
	if c, err = it.change(); err != nil {
		return c, false, err
	}
	if strings.HasPrefix(it.ID, peer+"/") {
		if it.Proof != nil {
			c.Signed = raw
		}
		return c, true, nil
	}
	if strings.HasPrefix(it.ID, f.base+"/") {
		return c, false, nil
	}
	if blocked, err := f.db.DomainBlocked(ctx, host(it.ID)); err != nil || blocked {
		return c, false, err
	}
	if p, err := f.db.Peer(ctx, host(it.ID)); err == nil && p.Outgoing == commons.PeerAccepted {
		return c, false, nil
	}
	origin, err := f.verifyRelayed(ctx, raw, it.ID)
	if err != nil {
		return c, false, err
	}
	c.Origin, c.Signed = origin, raw
	return c, true, nil
}

// fetchRecordPage GETs one page of a record collection, signed.
func (f *Federation) fetchRecordPage(ctx context.Context, iri string) (recordPage, error) {
	var page recordPage
	body, err := f.getLimited(ctx, iri, maxRecordPageBytes)
	if err != nil {
		return page, err
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return page, commons.Errorf(commons.EINVALID, "record page %s: %v", iri, err)
	}
	return page, nil
}

// getLimited fetches an ActivityPub document of at most limit bytes with
// a GET signed by the instance actor, through the guarded client, and
// binds it to the origin that served it: the client follows redirects, so
// the document's id must have the origin (scheme, host and port) of the
// URL that finally answered, not of the one asked. When it does not, the
// document is fetched once more from its id, and that answer must be
// served from its own origin with the same id; else it is refused. So a
// server cannot present a document under another server's name, by a
// redirect or by an id it made up.
func (f *Federation) getLimited(ctx context.Context, iri string, limit int64) ([]byte, error) {
	body, served, err := f.fetch(ctx, iri, limit)
	if err != nil {
		return nil, err
	}
	id, err := documentID(body, iri)
	if err != nil {
		return nil, err
	}
	if sameOrigin(id, served) {
		return body, nil
	}
	body, served2, err := f.fetch(ctx, id, limit)
	if err != nil {
		return nil, fmt.Errorf("GET %s (served by %s) has the id %s; fetched from its id: %w", iri, served, id, err)
	}
	id2, err := documentID(body, id)
	if err != nil {
		return nil, err
	}
	if id2 != id || !sameOrigin(id2, served2) {
		return nil, commons.Errorf(commons.EFORBIDDEN, "GET %s: the document with the id %s is served by %s, another origin", iri, id, served2)
	}
	return body, nil
}

// fetch GETs iri, signed, and returns the body and the URL that finally
// answered. Each redirect is checked against the domain blocks and signed
// afresh for its own target.
func (f *Federation) fetch(ctx context.Context, iri string, limit int64) ([]byte, string, error) {
	if blocked, err := f.db.DomainBlocked(ctx, host(iri)); err != nil {
		return nil, "", err
	} else if blocked {
		return nil, "", commons.Errorf(commons.EFORBIDDEN, "the domain %s is blocked", host(iri))
	}
	key, _, err := f.signingKey(ctx, f.InstanceActorID())
	if err != nil {
		return nil, "", err
	}
	clientFor := func(scheme int) *http.Client {
		client := *f.client
		client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
			if err := f.client.CheckRedirect(next, via); err != nil {
				return err
			}
			if blocked, err := f.db.DomainBlocked(ctx, host(next.URL.String())); err != nil {
				return err
			} else if blocked {
				return commons.Errorf(commons.EFORBIDDEN, "redirected to the blocked domain %s", host(next.URL.String()))
			}
			next.Header.Del("Signature")
			next.Header.Del("Signature-Input")
			return signWith(scheme, next, nil, *key, f)
		}
		return &client
	}
	resp, err := f.sendSigned(ctx, http.MethodGet, iri, nil, *key, func(req *http.Request) {
		req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
		req.Header.Set("User-Agent", f.agent)
	}, clientFor)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", iri, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", iri, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", iri, err)
	}
	if int64(len(b)) > limit {
		return nil, "", commons.Errorf(commons.ETOOLARGE, "GET %s: response larger than %d bytes", iri, limit)
	}
	return b, resp.Request.URL.String(), nil
}

// documentID is the id of a fetched JSON document; one without an
// absolute id, or with a key that differs from a property we read only by
// letter case, is refused (see checkKeyCase).
func documentID(body []byte, iri string) (string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", commons.Errorf(commons.EINVALID, "GET %s: malformed JSON: %v", iri, err)
	}
	if err := checkKeyCase(doc); err != nil {
		return "", commons.Errorf(commons.EINVALID, "GET %s: %v", iri, err)
	}
	id, _ := rawValue(doc["id"]).(string)
	if !absoluteIRI(id) {
		return "", commons.Errorf(commons.EINVALID, "GET %s: the document has no id", iri)
	}
	return id, nil
}

// trustKeys are the properties whose value decides whom a document is
// trusted for.
var trustKeys = []string{"id", "type", "actor", "owner", "publicKey", "assertionMethod", "attributedTo", "commonsRecord", "commonsRecords", "proof"}

// checkKeyCase refuses a JSON object with a key that equals one of
// trustKeys but for letter case ("ID", "Owner"): Go decodes a struct
// field from any such spelling, a map lookup only from the exact one, so
// two readers of the same document could disagree on its id or owner.
func checkKeyCase(doc map[string]json.RawMessage) error {
	for k := range doc {
		for _, t := range trustKeys {
			if k != t && strings.EqualFold(k, t) {
				return fmt.Errorf("the property %q is ambiguous (it differs from %q only by case)", k, t)
			}
		}
	}
	return nil
}

// sameOrigin reports whether two absolute URLs have the same scheme, host
// and port (a default port and letter case aside).
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" || ub.Host == "" {
		return false
	}
	sa, sb := strings.ToLower(ua.Scheme), strings.ToLower(ub.Scheme)
	return sa == sb && (sa == "https" || sa == "http") && normalHost(ua.Host, sa) == normalHost(ub.Host, sb)
}

// syncRetry is how soon a reconciliation that failed is tried again, by
// consecutive failure; then every SyncInterval. A peer that was down, or
// a first backfill that timed out, should not wait an hour.
var syncRetry = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute}

// runSync reconciles every followed peer at start, every SyncInterval,
// when woken (a peer accepted, or an operator asked), and soon after a
// round in which a peer failed.
func (f *Federation) runSync(ctx context.Context) {
	failures := 0
	var retry *time.Timer
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()
	every(ctx, f.opts.SyncInterval, f.wakeSync, f.exclusive("sync", func(ctx context.Context) {
		peers, err := f.db.Peers(ctx)
		if err != nil {
			if ctx.Err() == nil {
				f.log.Error("list peers", "err", err)
			}
			return
		}
		failed := false
		for i := range peers {
			p := &peers[i]
			if p.Outgoing != commons.PeerAccepted {
				continue
			}
			if _, err := f.syncPeer(ctx, p); err != nil && !errors.Is(err, context.Canceled) {
				f.log.Warn("synchronise records", "peer", p.Host, "err", err)
				failed = true
			}
		}
		if !failed {
			failures = 0
			return
		}
		if d := syncRetry[min(failures, len(syncRetry)-1)]; d < f.opts.SyncInterval {
			if retry != nil {
				retry.Stop()
			}
			retry = time.AfterFunc(d, func() { wake(f.wakeSync) })
		}
		failures++
	}))
}
