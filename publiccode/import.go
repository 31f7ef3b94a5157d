package publiccode

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// Store is what Import needs of the directory; *store.DB has it.
type Store interface {
	LocalRecordByIdentifier(ctx context.Context, scheme, value string) (*commons.Record, error)
	CreateRecord(ctx context.Context, r *commons.Record, actor string) error
	UpdateRecord(ctx context.Context, r *commons.Record, ifVersion int, actor string) error
}

// What Import did with a file.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
)

// ImportOptions say where a file comes from and who imports it.
type ImportOptions struct {
	Name      string // how problems name the file; default DefaultName
	SourceURL string // where it was fetched from, kept as provenance.source_url
	Actor     string // recorded in the history
	DryRun    bool   // parse and compare, store nothing
	// Origin is the instance's base URL: on a dry run the outcome's record
	// gets the id and provenance it would have.
	Origin string
	Now    func() time.Time // for a dry run's dates; default time.Now
}

// Outcome is what importing one file did (or, on a dry run, would do).
type Outcome struct {
	Action   string          `json:"result"` // Created, Updated or Unchanged
	Record   *commons.Record `json:"record"`
	Previous *commons.Record `json:"-"`       // the record before an update
	Changes  []string        `json:"changes"` // fields that changed, in record order
	Warnings []Problem       `json:"warnings"`
}

// Import parses one publiccode.yml and creates or updates the local record
// that carries its `url` as a publiccode identifier: the same file imported
// twice updates one record. All or nothing: an invalid file stores nothing
// (the error is a *ParseError). An update keeps the record's slug and its
// fields a publiccode.yml cannot express (sectors outside the standard's
// scope list, funding, other identifiers, …) are replaced by what the file
// says: the file is the source.
func Import(ctx context.Context, st Store, b []byte, o ImportOptions) (*Outcome, error) {
	res, err := Parse(b, o.Name)
	if err != nil {
		return nil, err
	}
	rec := res.Record
	rec.Provenance.SourceURL = o.SourceURL
	out := &Outcome{Record: rec, Warnings: res.Warnings}
	if out.Warnings == nil {
		out.Warnings = []Problem{}
	}
	old, err := st.LocalRecordByIdentifier(ctx, "publiccode", res.URL)
	switch code := commons.ErrorCode(err); {
	case code == commons.ENOTFOUND:
		out.Action, out.Changes = Created, []string{}
		if o.DryRun {
			o.wouldBe(rec, nil)
			return out, nil
		}
		return out, create(ctx, st, rec, o.Actor)
	case err != nil:
		return nil, fmt.Errorf("find the record of %s: %w", res.URL, err)
	}
	rec.Slug = old.Slug
	// Identifiers from other registries (Wikidata, …) stay: they are not
	// the file's to remove.
	for _, id := range old.Identifiers {
		if id.Scheme != "publiccode" {
			rec.Identifiers = append(rec.Identifiers, id)
		}
	}
	rec.Normalize()
	out.Previous = old
	out.Changes = Diff(old, rec)
	if old.ContentHash() == rec.ContentHash() {
		out.Action, out.Record = Unchanged, old
		return out, nil
	}
	out.Action = Updated
	if o.DryRun {
		o.wouldBe(rec, old)
		return out, nil
	}
	if err := st.UpdateRecord(ctx, rec, old.Provenance.Version, o.Actor); err != nil {
		return nil, fmt.Errorf("update record %s from %s: %w", rec.Slug, res.URL, err)
	}
	return out, nil
}

// wouldBe fills in the id and provenance a dry run's record would get
// from the store: a creation's, or old's moved on by one version.
func (o *ImportOptions) wouldBe(rec, old *commons.Record) {
	if o.Origin == "" {
		return
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	t := now().UTC().Truncate(time.Millisecond)
	p := commons.Provenance{Origin: o.Origin, Source: "publiccode", SourceURL: rec.Provenance.SourceURL, Created: t, Updated: t, Version: 1, Hash: rec.ContentHash()}
	rec.ID = o.Origin + "/records/" + rec.Slug
	if old != nil {
		rec.ID, p.Created, p.Version = old.ID, old.Provenance.Created, old.Provenance.Version+1
	}
	rec.Provenance = p
}

// create stores a new record, moving to slug-2, slug-3… when the name's
// slug belongs to another record.
func create(ctx context.Context, st Store, rec *commons.Record, actor string) error {
	base := rec.Slug
	for i := 2; ; i++ {
		err := st.CreateRecord(ctx, rec, actor)
		if commons.ErrorCode(err) != commons.ECONFLICT || i > 9 {
			if err != nil {
				return fmt.Errorf("create record %s: %w", rec.Slug, err)
			}
			return nil
		}
		suffix := fmt.Sprintf("-%d", i)
		rec.Slug = strings.TrimRight(base[:min(len(base), commons.MaxSlug-len(suffix))], "-") + suffix
	}
}

// Diff names the content fields (JSON names: "summary", "licences", …)
// whose values differ between two records, in the record's field order.
func Diff(old, cur *commons.Record) []string {
	a, b := reflect.ValueOf(old).Elem(), reflect.ValueOf(cur).Elem()
	t := a.Type()
	out := []string{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "id" || name == "provenance" {
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			out = append(out, name)
		}
	}
	return out
}

// Fetch gets a publiccode.yml over HTTP with client (the guarded one:
// federation.NewHTTPClient), at most MaxFileBytes. A status other than 200
// or a body that is HTML is an EINVALID error naming the URL.
func Fetch(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	f, err := FetchIfChanged(ctx, client, url, "", "")
	if err != nil {
		return nil, err
	}
	return f.Body, nil
}

// Fetched is a file read by FetchIfChanged.
type Fetched struct {
	Body         []byte // nil when NotModified
	NotModified  bool   // the server answered 304: the file is the one last read
	ETag         string // the validators to send next time
	LastModified string
	Gone         bool // the server answered 404 or 410 (the error says so too)
}

// FetchIfChanged gets a publiccode.yml as Fetch does, conditionally: with
// the ETag and Last-Modified of the last read (If-None-Match,
// If-Modified-Since), a server whose file did not change answers 304 and
// nothing is read.
func FetchIfChanged(ctx context.Context, client *http.Client, url, etag, lastModified string) (*Fetched, error) {
	if !validURL(url) {
		return nil, commons.Errorf(commons.EINVALID, "%q is not an absolute http(s) URL", url)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, commons.Errorf(commons.EINVALID, "%q is not a URL that can be fetched: %v", url, err)
	}
	req.Header.Set("Accept", "application/yaml, text/yaml, text/plain;q=0.8, */*;q=0.5")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		if commons.ErrorCode(err) != commons.EINTERNAL {
			return nil, fmt.Errorf("fetch %s: %w", url, err)
		}
		return nil, commons.Errorf(commons.EINVALID, "fetch %s: %v", url, err)
	}
	defer resp.Body.Close()
	f := &Fetched{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified && (etag != "" || lastModified != ""):
		f.NotModified = true
		if f.ETag == "" {
			f.ETag = etag
		}
		if f.LastModified == "" {
			f.LastModified = lastModified
		}
		return f, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return f, &GoneError{URL: url, Status: resp.Status}
	case resp.StatusCode != http.StatusOK:
		return nil, commons.Errorf(commons.EINVALID, "fetch %s: the server answered %s", url, resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
		return nil, commons.Errorf(commons.EINVALID, "fetch %s: the server sent an HTML page, not a publiccode.yml (use the file's raw URL)", url)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxFileBytes+1))
	if err != nil {
		return nil, commons.Errorf(commons.EINVALID, "fetch %s: %v", url, err)
	}
	if len(b) > MaxFileBytes {
		return nil, commons.Errorf(commons.ETOOLARGE, "fetch %s: larger than %d bytes", url, MaxFileBytes)
	}
	f.Body = b
	return f, nil
}

// GoneError is a file the server says is not there (404 or 410).
type GoneError struct {
	URL, Status string
}

func (e *GoneError) Error() string {
	return fmt.Sprintf("fetch %s: the server answered %s", e.URL, e.Status)
}

// Unwrap makes it an EINVALID error for the API.
func (e *GoneError) Unwrap() error { return commons.Errorf(commons.EINVALID, "%s", e.Error()) }
