package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
)

// Atom feeds (RFC 4287).
const (
	mediaAtom     = "application/atom+xml; charset=utf-8"
	atomNS        = "http://www.w3.org/2005/Atom"
	feedLimit     = 50 // entries in a feed
	recordsFeed   = "/feeds/records.atom"
	atomTimestamp = time.RFC3339
)

// atomFeed is an Atom feed document. Elements are in the order RFC 4287
// lists them.
type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang      string      `xml:"xml:lang,attr,omitempty"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Author    atomPerson  `xml:"author"`
	Links     []atomLink  `xml:"link"`
	Generator string      `xml:"generator,omitempty"`
	Entries   []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomText struct {
	Lang string `xml:"xml:lang,attr,omitempty"`
	Text string `xml:",chardata"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published,omitempty"`
	Links      []atomLink     `xml:"link"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    *atomContent   `xml:"content,omitempty"`
	Categories []atomCategory `xml:"category"`
}

// atomContent is an entry's content; type "html" carries escaped HTML.
type atomContent struct {
	Type string `xml:"type,attr"`
	Lang string `xml:"xml:lang,attr,omitempty"`
	Text string `xml:",chardata"`
}

// recordsAtom builds the feed of the directory's newest and latest changed
// records (recs, newest first), with texts in lang. base is the instance's
// URL, name its display name.
func recordsAtom(base, name, lang string, recs []*commons.Record) *atomFeed {
	return recordListAtom(base, name, lang, recordsFeed, name+" — "+translate(lang, "feed.records"), base+"/", recs)
}

// recordListAtom builds a feed of records (newest first) whose own URL is
// base+self, titled title, and whose page is alternate.
func recordListAtom(base, name, lang, self, title, alternate string, recs []*commons.Record) *atomFeed {
	f := &atomFeed{
		Lang:  lang,
		ID:    base + self,
		Title: title,
		// An empty directory has never changed: the epoch is its date.
		Updated: time.Unix(0, 0).UTC().Format(atomTimestamp),
		Author:  atomPerson{Name: name, URI: base + "/"},
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + self},
			{Rel: "alternate", Type: "text/html", Href: alternate},
		},
		Generator: "Commons Directory",
	}
	var newest time.Time
	for _, rec := range recs {
		updated := rec.Provenance.Updated.UTC()
		if updated.After(newest) {
			newest = updated
			f.Updated = updated.Format(atomTimestamp)
		}
		title := textIn(rec.Name, lang)
		e := atomEntry{
			ID:        rec.ID,
			Title:     atomText{Lang: title.Lang, Text: title.Text},
			Updated:   updated.Format(atomTimestamp),
			Published: rec.Provenance.Created.UTC().Format(atomTimestamp),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: recordPageURL(base, rec)}},
		}
		if rec.Provenance.Origin == base || rec.ID == "" {
			e.Links = append(e.Links, atomLink{Rel: "alternate", Type: mediaJSONLD, Href: base + "/records/" + url.PathEscape(rec.Slug) + ".jsonld"})
		}
		if sum := textIn(rec.Summary, lang); sum.Text != "" {
			e.Summary = &atomText{Lang: sum.Lang, Text: sum.Text}
		}
		for _, k := range rec.Kinds {
			e.Categories = append(e.Categories, atomCategory{Term: k})
		}
		f.Entries = append(f.Entries, e)
	}
	return f
}

// marshalAtom encodes a feed as an XML document.
func marshalAtom(f *atomFeed) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode atom feed: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// handleRecordsFeed answers /feeds/records.atom: the 50 most recently
// created or changed records of the whole directory, local and remote.
func (s *server) handleRecordsFeed(w http.ResponseWriter, r *http.Request) error {
	page, err := s.dir.SearchRecords(r.Context(), commons.RecordFilter{
		Sort:          commons.SortUpdated,
		Limit:         feedLimit,
		IncludeRemote: true,
	})
	if err != nil {
		return fmt.Errorf("list records for the feed: %w", err)
	}
	lang := pageLanguage(r)
	b, err := marshalAtom(recordsAtom(s.base, s.nameIn(lang).Text, lang, page.Records))
	if err != nil {
		return err
	}
	h := w.Header()
	h["Vary"] = hdrVaryLanguage
	h.Set("Content-Language", lang)
	writeExport(w, r, mediaAtom, b)
	return nil
}

var hdrVaryLanguage = []string{"Accept-Language"}

// handleRecordFeed answers /feeds/records/{slug}.atom: the latest posts of
// a local record (its changes and its editors' notes), newest first.
func (s *server) handleRecordFeed(w http.ResponseWriter, r *http.Request) error {
	slug := mux.Vars(r)["slug"]
	rec, err := s.dir.Record(r.Context(), slug)
	if err != nil {
		return err
	}
	var posts []commons.PostSummary
	if s.fed != nil {
		social, err := s.fed.RecordSocial(r.Context(), rec, feedLimit)
		if err != nil {
			return fmt.Errorf("read the posts of %s: %w", slug, err)
		}
		posts = social.Posts
	}
	lang := pageLanguage(r)
	name := textIn(rec.Name, lang).Text
	page := s.base + "/records/" + url.PathEscape(slug)
	self := "/feeds/records/" + url.PathEscape(slug) + ".atom"
	f := &atomFeed{
		Lang:    lang,
		ID:      s.base + self,
		Title:   i18n.F(lang, "feed.record", name),
		Updated: rec.Provenance.Updated.UTC().Format(atomTimestamp),
		Author:  atomPerson{Name: name, URI: rec.ID},
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: s.base + self},
			{Rel: "alternate", Type: "text/html", Href: page},
		},
		Generator: "Commons Directory",
	}
	for _, p := range posts {
		published := p.Published.UTC().Format(atomTimestamp)
		if published > f.Updated {
			f.Updated = published
		}
		f.Entries = append(f.Entries, atomEntry{
			ID:         p.ID,
			Title:      atomText{Text: i18n.F(lang, "feed.post", name)},
			Updated:    published,
			Published:  published,
			Links:      []atomLink{{Rel: "alternate", Type: "text/html", Href: p.ID}},
			Content:    &atomContent{Type: "html", Lang: p.Lang, Text: p.Content},
			Categories: []atomCategory{{Term: p.Kind}},
		})
	}
	return s.writeFeed(w, r, lang, f)
}

// handleTopicFeed answers /feeds/topics/{topic}.atom: the newest and
// latest changed records, local and remote, of a kind ("geodata") or a
// country (lower-case code: "fr", "eu").
func (s *server) handleTopicFeed(w http.ResponseWriter, r *http.Request) error {
	topic := mux.Vars(r)["topic"]
	if !commons.IsTopic(topic) {
		return commons.Errorf(commons.ENOTFOUND, "%q is not a topic: a topic is a kind (%s) or a lower-case country code (fr, eu).", topic, strings.Join(commons.Kinds, ", "))
	}
	facet, value := commons.FacetKind, topic
	if !slices.Contains(commons.Kinds, topic) {
		facet, value = commons.FacetCountry, strings.ToUpper(topic)
	}
	page, err := s.dir.SearchRecords(r.Context(), commons.RecordFilter{
		Filters:       map[string][]string{facet: {value}},
		Sort:          commons.SortUpdated,
		Limit:         feedLimit,
		IncludeRemote: true,
	})
	if err != nil {
		return fmt.Errorf("list the records of topic %s: %w", topic, err)
	}
	lang := pageLanguage(r)
	self := "/feeds/topics/" + url.PathEscape(topic) + ".atom"
	alternate := s.base + "/?" + url.Values{facet: {value}}.Encode()
	name := s.nameIn(lang).Text
	f := recordListAtom(s.base, name, lang, self, i18n.F(lang, "feed.kind", name, topic), alternate, page.Records)
	return s.writeFeed(w, r, lang, f)
}

// writeFeed sends a feed in the request's language.
func (s *server) writeFeed(w http.ResponseWriter, r *http.Request, lang string, f *atomFeed) error {
	b, err := marshalAtom(f)
	if err != nil {
		return err
	}
	h := w.Header()
	h["Vary"] = hdrVaryLanguage
	h.Set("Content-Language", lang)
	writeExport(w, r, mediaAtom, b)
	return nil
}

// writeExport sends an export with a strong ETag (a hash of the body), or
// 304 when If-None-Match names it: feed readers and harvesters poll.
func writeExport(w http.ResponseWriter, r *http.Request, contentType string, b []byte) {
	sum := sha256.Sum256(b)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", tag)
	h["Cache-Control"] = hdrNoCache
	if inm := r.Header.Get("If-None-Match"); inm != "" && matchAny(inm, tag, true) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBody(w, http.StatusOK, contentType, b)
}
