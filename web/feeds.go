package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/commons-directory/commons"
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
	Categories []atomCategory `xml:"category"`
}

// recordsAtom builds the feed of the directory's newest and latest changed
// records (recs, newest first), with texts in lang. base is the instance's
// URL, name its display name.
func recordsAtom(base, name, lang string, recs []*commons.Record) *atomFeed {
	f := &atomFeed{
		Lang:  lang,
		ID:    base + recordsFeed,
		Title: name + " — " + translate(lang, "feed.records"),
		// An empty directory has never changed: the epoch is its date.
		Updated: time.Unix(0, 0).UTC().Format(atomTimestamp),
		Author:  atomPerson{Name: name, URI: base + "/"},
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + recordsFeed},
			{Rel: "alternate", Type: "text/html", Href: base + "/"},
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
			Links: []atomLink{
				{Rel: "alternate", Type: "text/html", Href: base + "/records/" + url.PathEscape(rec.Slug)},
				{Rel: "alternate", Type: mediaJSONLD, Href: base + "/records/" + url.PathEscape(rec.Slug) + ".jsonld"},
			},
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
	b, err := marshalAtom(recordsAtom(s.base, s.name, lang, page.Records))
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
