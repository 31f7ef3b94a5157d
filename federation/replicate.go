package federation

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// ReplicaStore is the change feed peers reconcile against, and applies
// and relays the records that peers send.
type ReplicaStore interface {
	Changes(ctx context.Context, q store.ChangeQuery) ([]store.Change, error)
	CountRelayable(ctx context.Context) (int, error)
	ApplyRemote(ctx context.Context, origin string, changes []store.RemoteChange, at time.Time, peer, cursor string) (*store.RemoteResult, error)
	Held(ctx context.Context, ids []string) (map[string]store.HeldState, error)
	RelayTargets(ctx context.Context, origin, from string) ([]string, error)
	NoticeTargets(ctx context.Context, origins []string, from string) ([]string, error)
}

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

// decodeItem reads a record object or tombstone, refusing one with a key
// that differs from a property we read only by letter case (see
// checkKeyCase).
func decodeItem(raw []byte) (replicaItem, error) {
	var it replicaItem
	if err := checkBodyKeyCase(raw); err != nil {
		return it, err
	}
	err := json.Unmarshal(raw, &it)
	return it, err
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
	it, err := decodeItem(b)
	if err != nil {
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
//
// Two parameters make reconciliation cheap. exclude=HOST,HOST leaves out
// the records of those origins: the reader follows them itself. (A reader
// whose signature verifies is remembered as following them, so that
// relayed changes are not sent to it twice, see relay.) form=index lists
// each record by id, version, updated time and content hash instead of
// its document, for the reader to fetch documents only for what it lacks.
// Pages of more than a few kilobytes are sent gzip-compressed to a reader
// that accepts it.
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
	exclude, err := parseExclude(q.Get("exclude"))
	if err != nil {
		return err
	}
	index := false
	switch form := q.Get("form"); form {
	case "":
	case "index":
		index = true
	default:
		return commons.Errorf(commons.EINVALID, "form: %q is not a form of this collection (index, or none for documents)", form)
	}
	if len(exclude) > 0 {
		f.notePeerFollows(r, exclude)
	}
	changes, err := f.db.Changes(r.Context(), store.ChangeQuery{After: since, AfterPK: sincePK, Limit: limit,
		Relayable: true, IncludeDeleted: true, ExcludeHosts: exclude, IndexOnly: index})
	if err != nil {
		return err
	}
	// Index entries are encoded with the page; documents, signed
	// already, are spliced into it as stored.
	var entries []any
	var docs [][]byte
	cursor := formatCursor(since, sincePK)
	for _, c := range changes {
		var doc json.RawMessage
		switch {
		case index:
			entries = append(entries, indexItem(c, formatCursor(c.Seq, c.PK)))
		case c.Signed != nil:
			doc = c.Signed
		case c.Deleted:
			doc, err = f.signedObject(r.Context(), tombstoneObject(c.ID, c.Updated))
		default:
			doc, err = f.signedObject(r.Context(), recordObject(c.Record))
		}
		if err != nil {
			return err
		}
		if doc != nil {
			docs = append(docs, doc)
		}
		cursor = formatCursor(c.Seq, c.PK)
	}
	if entries == nil {
		entries = []any{}
	}
	pageURL := func(from string) string {
		u := fmt.Sprintf("%s?page=true&since=%s&limit=%d", id, from, limit)
		if index {
			u += "&form=index"
		}
		if len(exclude) > 0 {
			u += "&exclude=" + url.QueryEscape(strings.Join(exclude, ","))
		}
		return u
	}
	m := map[string]any{
		"id": pageURL(formatCursor(since, sincePK)), "type": "OrderedCollectionPage",
		"partOf": id, "orderedItems": entries, "commonsCursor": cursor,
	}
	if len(changes) == limit {
		m["next"] = pageURL(cursor)
	}
	if index {
		m["commonsForm"] = "index"
	}
	body, err := marshal(withIntegrityContext(m))
	if err != nil {
		return err
	}
	if len(docs) > 0 {
		if body, err = spliceItems(body, docs); err != nil {
			return err
		}
	}
	return writePage(w, r, body)
}

// spliceItems puts documents into the empty orderedItems of an encoded
// page, as they are: encoding them with the page would only scan and copy
// them again (they are compact JSON, as this instance's encoder and its
// peers' wrote them).
func spliceItems(page []byte, docs [][]byte) ([]byte, error) {
	const hole = `"orderedItems":[]`
	i := bytes.Index(page, []byte(hole))
	if i < 0 {
		return nil, errors.New("record page: no place for the items")
	}
	i += len(hole) - 1
	n := len(page) + len(docs)
	for _, d := range docs {
		n += len(d)
	}
	out := make([]byte, 0, n)
	out = append(out, page[:i]...)
	for k, d := range docs {
		if k > 0 {
			out = append(out, ',')
		}
		out = append(out, d...)
	}
	return append(out, page[i:]...), nil
}

// indexItem is a record in the index form of the record collection: its
// id, version, updated time and the start of its content hash, or a
// Tombstone with its id and deletion time.
func indexItem(c store.Change, cursor string) map[string]any {
	if c.Deleted {
		return map[string]any{"id": c.ID, "type": "Tombstone", "deleted": stamp(c.Updated), "commonsCursor": cursor}
	}
	h := c.Hash
	if len(h) > indexHashLen {
		h = h[:indexHashLen]
	}
	return map[string]any{"id": c.ID, "commonsVersion": c.Version, "updated": stamp(c.Updated), "commonsHash": h, "commonsCursor": cursor}
}

// indexHashLen is how much of a record's content hash the index lists:
// enough to tell two versions apart, not to stand for the document.
const indexHashLen = 16

// maxExclude bounds the hosts a reader may exclude from a page.
const maxExclude = 1000

// parseExclude reads the exclude parameter: hosts (with port), separated
// by commas.
func parseExclude(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	hosts := strings.Split(strings.ToLower(s), ",")
	if len(hosts) > maxExclude {
		return nil, commons.Errorf(commons.EINVALID, "exclude: at most %d hosts", maxExclude)
	}
	for _, h := range hosts {
		if h == "" || strings.ContainsAny(h, "/?#@ \t") || normalHost(h, "https") == "" {
			return nil, commons.Errorf(commons.EINVALID, "exclude: %q is not a host", h)
		}
	}
	slices.Sort(hosts)
	return slices.Compact(hosts), nil
}

// notePeerFollows remembers the hosts a peer excludes from its reading of
// the record collection as the instances it follows itself, when the
// request's signature is its own and verifies. Anything else is ignored:
// the page is public.
func (f *Federation) notePeerFollows(r *http.Request, hosts []string) {
	if !is9421(r.Header) && r.Header.Get("Signature") == "" {
		return
	}
	_, owner, err := verifyRequest(r.Context(), r, nil, f.now(), f.scheme(), f.resolveKey)
	if err != nil || owner == "" {
		return
	}
	if err := f.db.NotePeerFollows(r.Context(), owner, hosts); err != nil && r.Context().Err() == nil {
		f.log.Warn("note the instances a peer follows", "peer", owner, "err", err)
	}
}

// writePage writes a page of the record collection, compressed with gzip
// when the reader accepts it and the page is worth it.
func writePage(w http.ResponseWriter, r *http.Request, body []byte) error {
	if len(body) < 1024 || !acceptsGzip(r) {
		return writeDoc(w, r, body, "")
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	zw, _ := gzipWriters.Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(&buf, gzip.BestSpeed); err != nil {
			return err
		}
	} else {
		zw.Reset(&buf)
	}
	if _, err := zw.Write(body); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	zw.Reset(io.Discard) // not to hold on to the page
	gzipWriters.Put(zw)
	h := w.Header()
	h["Content-Type"] = hdrActivity
	h["Cache-Control"] = hdrMaxAge60
	h.Set("Vary", "Accept, Accept-Encoding")
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// gzipWriters keeps the compressors of writePage for reuse: each holds
// about a megabyte of tables, which a new one allocates and clears.
var gzipWriters sync.Pool

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			if v, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if q, err := strconv.ParseFloat(v, 64); err == nil && q == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
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
	ID     string            `json:"id"`
	Items  []json.RawMessage `json:"orderedItems"`
	Next   string            `json:"next"`
	Cursor string            `json:"commonsCursor"`
	Form   string            `json:"commonsForm"` // "index" when the items are indexEntries
	// keysClear is set when a scan of the whole page found no key that
	// checkKeyCase could refuse, at any depth: its items need no check.
	keysClear bool
}

// indexEntry is an item of the index form of a record collection page.
type indexEntry struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"` // Tombstone, or none for a live record
	Version int       `json:"commonsVersion"`
	Updated time.Time `json:"updated"`
	Deleted time.Time `json:"deleted"`
	Cursor  string    `json:"commonsCursor"` // of the record in the collection
}

// syncStats is what a reconciliation with a peer cost: the requests made,
// the bytes received (as they travelled, compressed or not), and the
// record documents among them.
type syncStats struct {
	Requests  int
	Bytes     int64
	Documents int
}

func (s *syncStats) add(o syncStats) {
	s.Requests += o.Requests
	s.Bytes += o.Bytes
	s.Documents += o.Documents
}

// originOf is the base URL of the instance whose instance actor is actor.
func originOf(actor string) string { return strings.TrimSuffix(actor, "/actor") }

// syncExclude lists the hosts whose records this instance does not want
// from the peer p: its own, and those of the other peers it follows,
// whose own collections are the fresher source.
func (f *Federation) syncExclude(ctx context.Context, p *store.Peer) ([]string, error) {
	ps, err := f.db.FollowedPeers(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{strings.ToLower(f.host)}
	for _, o := range ps {
		if o.Outgoing == commons.PeerAccepted && o.Actor != p.Actor {
			out = append(out, strings.ToLower(o.Host))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// followedHosts is the set of the hosts (lower case) of the peers this
// instance follows.
func (f *Federation) followedHosts(ctx context.Context) (map[string]bool, error) {
	ps, err := f.db.FollowedPeers(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ps))
	for _, p := range ps {
		out[strings.ToLower(p.Host)] = true
	}
	return out, nil
}

// syncPeer brings this instance's copy of a followed peer's records up to
// date: it pages through the peer's record collection from the stored
// cursor (from the start when full is set), storing each page and the
// cursor after it in one transaction, so a reconciliation that stops
// resumes where it was. It returns how many records changed.
//
// It reads the index form of the collection, without the records of
// instances this one follows itself, and fetches the documents only of
// the records it lacks or holds in an older state: a record crosses each
// link once, and reconciling an unchanged peer costs a page of versions
// (none at all from the stored cursor). A peer that does not know the
// index form sends documents, which are read as before.
func (f *Federation) syncPeer(ctx context.Context, p *store.Peer, full bool) (int, error) {
	f.syncing.Lock()
	defer f.syncing.Unlock()
	origin := originOf(p.Actor)
	cursor := p.SyncCursor
	if cursor == "" || full {
		cursor = "0"
	}
	exclude, err := f.syncExclude(ctx, p)
	if err != nil {
		return 0, err
	}
	excl := url.QueryEscape(strings.Join(exclude, ","))
	var st syncStats
	applied := 0
	origins := map[string]bool{} // of the changes that altered what this instance holds
	// The next page of the index is fetched while this one's documents
	// are fetched and stored.
	type fetched struct {
		page recordPage
		st   syncStats
		err  error
	}
	fetch := func(iri string) <-chan fetched {
		ch := make(chan fetched, 1)
		if !strings.HasPrefix(iri, origin+"/") {
			ch <- fetched{err: commons.Errorf(commons.EFORBIDDEN, "the record collection of %s points to %s", p.Host, iri)}
			return ch
		}
		go func() {
			var st syncStats
			page, err := f.fetchRecordPage(ctx, iri, &st)
			ch <- fetched{page, st, err}
		}()
		return ch
	}
	pending := fetch(p.Actor + "/records?page=true&since=" + url.QueryEscape(cursor) + "&limit=" + strconv.Itoa(maxRecordPage) +
		"&form=index&exclude=" + excl)
	for pending != nil && err == nil {
		got := <-pending
		pending = nil
		st.add(got.st)
		if err = got.err; err != nil {
			break
		}
		page := got.page
		if page.Next != "" && len(page.Items) > 0 {
			pending = fetch(page.Next)
		}
		var docs []pageDoc
		if page.Form == "index" {
			if docs, err = f.fetchWanted(ctx, p, cursor, excl, page.Items, &st); err != nil {
				break
			}
		} else {
			docs = make([]pageDoc, len(page.Items))
			for i, raw := range page.Items {
				docs[i] = readPageDoc(raw, page.keysClear)
			}
		}
		st.Documents += len(docs)
		// Which instances this one follows is read again for each page:
		// a follow accepted meanwhile makes their copies here redundant.
		var followed map[string]bool
		if followed, err = f.followedHosts(ctx); err != nil {
			break
		}
		changes := make([]store.RemoteChange, 0, len(docs))
		for _, d := range docs {
			c, ok, cerr := f.pageItem(ctx, origin, followed, d)
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
		if len(changes) == 0 && page.Cursor == cursor && !full {
			continue // nothing new: no write
		}
		var res *store.RemoteResult
		if res, err = f.db.ApplyRemote(ctx, origin, changes, f.now(), p.Actor, page.Cursor); err != nil {
			break
		}
		for _, rj := range res.Rejected {
			f.log.Warn("record from a peer refused", "peer", p.Host, "record", rj.ID, "err", rj.Err)
		}
		applied += res.Applied()
		if res.Applied() > 0 {
			for _, c := range changes {
				if c.Origin == "" {
					c.Origin = origin
				}
				origins[c.Origin] = true
			}
		}
		cursor = page.Cursor
	}
	if pending != nil {
		got := <-pending // let the prefetch finish before returning
		st.add(got.st)
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if _, uerr := f.db.UpdatePeer(context.WithoutCancel(ctx), p.Actor, func(sp *store.Peer) error {
		sp.LastError = msg
		sp.SyncRequests, sp.SyncBytes, sp.SyncDocuments = st.Requests, st.Bytes, st.Documents
		if err == nil {
			sp.LastSync = f.now()
		}
		return nil
	}); uerr != nil && err == nil {
		err = uerr
	}
	if applied > 0 {
		f.log.Info("records synchronised", "peer", p.Host, "changed", applied, "requests", st.Requests, "bytes", st.Bytes)
		if nerr := f.notice(context.WithoutCancel(ctx), p.Actor, slices.Sorted(maps.Keys(origins))); nerr != nil {
			f.log.Warn("tell the peers of new records", "err", nerr)
		}
	}
	if !errors.Is(err, context.Canceled) {
		f.opts.Metrics.PeerSynced(p.Host, err)
	}
	return applied, err
}

// wantGap is how many records this instance holds already that a fetch
// of documents may span rather than be split in two.
const wantGap = 8

// fetchWanted reads a page of the index form of p's record collection,
// which starts after the cursor from, and fetches the documents of the
// records this instance lacks or holds in an older state, in as few
// ranges of the collection as it takes.
func (f *Federation) fetchWanted(ctx context.Context, p *store.Peer, from, excl string, items []json.RawMessage, st *syncStats) ([]pageDoc, error) {
	entries := make([]indexEntry, len(items))
	ids := make([]string, len(items))
	for i, raw := range items {
		if err := json.Unmarshal(raw, &entries[i]); err != nil || entries[i].ID == "" || entries[i].Cursor == "" {
			return nil, commons.Errorf(commons.EINVALID, "index of the record collection of %s: item %d is not an index entry", p.Host, i)
		}
		ids[i] = entries[i].ID
	}
	held, err := f.db.Held(ctx, ids)
	if err != nil {
		return nil, err
	}
	var want []int
	for i, e := range entries {
		if strings.HasPrefix(e.ID, f.base+"/") {
			continue
		}
		h, ok := held[e.ID]
		if store.Wants(h, ok, e.Type == "Tombstone", e.Version, e.Updated) {
			want = append(want, i)
		}
	}
	wanted := make(map[string]bool, len(want))
	for _, i := range want {
		wanted[entries[i].ID] = true
	}
	var docs []pageDoc
	for len(want) > 0 {
		n := 1
		for n < len(want) && want[n]-want[n-1] <= wantGap {
			n++
		}
		first, last := want[0], want[n-1]
		want = want[n:]
		since := from
		if first > 0 {
			since = entries[first-1].Cursor
		}
		iri := fmt.Sprintf("%s/records?page=true&since=%s&limit=%d&exclude=%s", p.Actor, url.QueryEscape(since), last-first+1, excl)
		page, err := f.fetchRecordPage(ctx, iri, st)
		if err != nil {
			return nil, err
		}
		// The records held already that the range spans are not kept
		// (nor their proofs checked).
		for _, raw := range page.Items {
			if d := readPageDoc(raw, page.keysClear); wanted[d.id] {
				docs = append(docs, d)
			}
		}
	}
	return docs, nil
}

// pageDoc is an item of a record page, decoded once (see decodeItem).
type pageDoc struct {
	raw json.RawMessage
	id  string
	it  replicaItem
	err error // from decoding it
}

// readPageDoc decodes an item of a record page; one that does not decode
// keeps its error, and its id when that can be read alone. keysClear is
// the page's (see recordPage).
func readPageDoc(raw json.RawMessage, keysClear bool) pageDoc {
	d := pageDoc{raw: raw}
	if keysClear {
		d.err = json.Unmarshal(raw, &d.it)
	} else {
		d.it, d.err = decodeItem(raw)
	}
	if d.err == nil {
		d.id = d.it.ID
		return d
	}
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &v) == nil {
		d.id = v.ID
	}
	return d
}

// pageItem reads one item of a peer's record page: a record of the peer
// itself, or one it passes on from another instance, which is taken only
// with a valid proof by that origin. ok is false for an item to skip:
// this instance's own records coming back, records of blocked domains, and
// records of instances this one follows itself, whose hosts (lower case)
// are in followed (their own collection is the fresher source).
func (f *Federation) pageItem(ctx context.Context, peer string, followed map[string]bool, d pageDoc) (c store.RemoteChange, ok bool, err error) {
	if d.err != nil {
		return c, false, commons.Errorf(commons.EINVALID, "record page item: %v", d.err)
	}
	it, raw := &d.it, d.raw
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
	if followed[strings.ToLower(host(it.ID))] {
		return c, false, nil
	}
	origin, err := f.verifyRelayed(ctx, raw, it.ID)
	if err != nil {
		return c, false, err
	}
	c.Origin, c.Signed = origin, raw
	return c, true, nil
}

// fetchRecordPage GETs one page of a record collection, signed, and
// counts it in st. The page is decoded once, as it is bound to its origin
// (see getRead).
func (f *Federation) fetchRecordPage(ctx context.Context, iri string, st *syncStats) (recordPage, error) {
	var page recordPage
	err := f.getRead(ctx, iri, maxRecordPageBytes, st, func(body []byte, iri string) (string, error) {
		keysClear := !keyCaseSuspect(body)
		if !keysClear {
			if err := checkTopKeyCase(body); err != nil {
				return "", commons.Errorf(commons.EINVALID, "GET %s: %v", iri, err)
			}
		}
		page = recordPage{keysClear: keysClear}
		if err := json.Unmarshal(body, &page); err != nil {
			return "", commons.Errorf(commons.EINVALID, "record page %s: %v", iri, err)
		}
		return page.ID, nil
	})
	return page, err
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
	return f.getCounted(ctx, iri, limit, nil)
}

// getCounted is getLimited, adding the requests made and the bytes
// received to st when it is not nil.
func (f *Federation) getCounted(ctx context.Context, iri string, limit int64, st *syncStats) ([]byte, error) {
	var body []byte
	err := f.getRead(ctx, iri, limit, st, func(b []byte, iri string) (string, error) {
		body = b
		return documentID(b, iri)
	})
	if err != nil {
		return nil, err
	}
	return body, nil
}

// getRead is getCounted for a caller that decodes the document itself:
// read gets each body fetched (a second one when the first's id is on
// another origin) and returns its id, having refused, like documentID, a
// key that differs from a property we read only by letter case. The
// document is the one read last, when getRead returns no error.
func (f *Federation) getRead(ctx context.Context, iri string, limit int64, st *syncStats, read func(body []byte, iri string) (string, error)) error {
	body, served, err := f.fetchCounted(ctx, iri, limit, st)
	if err != nil {
		return err
	}
	id, err := read(body, iri)
	if err != nil {
		return err
	}
	if !absoluteIRI(id) {
		return commons.Errorf(commons.EINVALID, "GET %s: the document has no id", iri)
	}
	if sameOrigin(id, served) {
		return nil
	}
	body, served2, err := f.fetchCounted(ctx, id, limit, st)
	if err != nil {
		return fmt.Errorf("GET %s (served by %s) has the id %s; fetched from its id: %w", iri, served, id, err)
	}
	id2, err := read(body, id)
	if err != nil {
		return err
	}
	if id2 != id || !sameOrigin(id2, served2) {
		return commons.Errorf(commons.EFORBIDDEN, "GET %s: the document with the id %s is served by %s, another origin", iri, id, served2)
	}
	return nil
}

// fetchCounted GETs iri, signed, and returns the body and the URL that finally
// answered. Each redirect is checked against the domain blocks and signed
// afresh for its own target.
//
// It adds the request and the bytes received to st when st is not nil,
// and then asks for gzip itself, to count the bytes as they travel.
func (f *Federation) fetchCounted(ctx context.Context, iri string, limit int64, st *syncStats) ([]byte, string, error) {
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
		if st != nil {
			req.Header.Set("Accept-Encoding", "gzip")
		}
	}, clientFor)
	if st != nil {
		st.Requests++
	}
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", iri, err)
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	size := resp.ContentLength // a guess of the body's size, to read it into one buffer
	if st != nil {
		cr := &countingReader{r: resp.Body}
		defer func() { st.Bytes += cr.n }()
		body = cr
		if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
			size *= 8 // record pages compress about 5 to 8 times
			zr, err := gzip.NewReader(cr)
			if err != nil {
				return nil, "", fmt.Errorf("GET %s: %w", iri, err)
			}
			defer zr.Close()
			body = zr
		}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", iri, resp.Status)
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(min(size, limit) + bytes.MinRead))
	}
	if _, err := buf.ReadFrom(io.LimitReader(body, limit+1)); err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", iri, err)
	}
	b := buf.Bytes()
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
		peers, err := f.db.FollowedPeers(ctx)
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
			if _, err := f.syncPeer(ctx, p, false); err != nil && !errors.Is(err, context.Canceled) {
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

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
