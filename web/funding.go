package web

import (
	"encoding/xml"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// fundingView is the one-stop funding page: open calls and support
// channels across the whole federated directory.
type fundingView struct {
	Calls    []callView
	Channels []channelView
	Country  []option
	Kind     []option
	Funder   []option
	FeedURL  string
	Filtered bool
	NextURL  string // the next page of calls and channels, if any
	PrevURL  string
}

type callView struct {
	commons.FundingCall
	CallTitle         localText // the title in the page language, or another
	Record, RecordURL string
	Updated           time.Time
	ID                string
}

type channelView struct {
	commons.FundingChannel
	Record, RecordURL string
}

// fundingFilter is the page's filter: country, kind and funder.
type fundingFilter struct{ country, kind, funder string }

func (f fundingFilter) holds(rec *fundedRecord) bool {
	if f.kind != "" && !slices.Contains(rec.kinds, f.kind) {
		return false
	}
	if f.country != "" && !slices.Contains(rec.countries, f.country) {
		return false
	}
	return true
}

// fundingPageSize is how many calls, and how many channels, one page (and
// the feed) lists.
const fundingPageSize = 100

// collectFunding lists the open calls (deadline today or later, or none)
// and the channels of every record, local and remote, soonest deadline
// first, one page of each (?page=, from 1). The directory's funding comes
// from the cache (funding_cache.go); this only filters it.
func (s *server) collectFunding(r *http.Request, lang string) (*fundingView, error) {
	q := r.URL.Query()
	f := fundingFilter{country: strings.ToUpper(q.Get("country")), kind: q.Get("kind"), funder: q.Get("funder")}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	set, err := s.fundingSet(r.Context())
	if err != nil {
		return nil, err
	}
	today := time.Now().UTC().Format("2006-01-02")
	v := &fundingView{Filtered: f != (fundingFilter{})}
	countries, kinds, funders := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, rec := range set.records {
		open := false
		for _, c := range rec.calls {
			if openCall(c, today) {
				open = true
				if c.Funder != "" {
					funders[c.Funder] = true
				}
			}
		}
		if !open && len(rec.channels) == 0 {
			continue
		}
		for _, c := range rec.countries {
			countries[c] = true
		}
		for _, k := range rec.kinds {
			kinds[k] = true
		}
	}
	from, to := (page-1)*fundingPageSize, page*fundingPageSize
	n := 0 // open calls that match, counted to know if there is a next page
	for _, c := range set.calls {
		if !openCall(c.FundingCall, today) || !f.holds(c.rec) || (f.funder != "" && c.Funder != f.funder) {
			continue
		}
		if n >= from && n < to {
			name, _ := c.rec.name.Get(lang)
			v.Calls = append(v.Calls, callView{FundingCall: c.FundingCall, CallTitle: textIn(c.Title, lang), Record: name, RecordURL: c.rec.url, Updated: c.rec.updated, ID: c.rec.id})
		}
		n++
		if n > to {
			break
		}
	}
	m := 0 // channels that match, likewise
	if f.funder == "" {
		for _, c := range set.channelsIn(lang) {
			if !f.holds(c.rec) {
				continue
			}
			if m >= from && m < to {
				v.Channels = append(v.Channels, c.channelView)
			}
			m++
			if m > to {
				break
			}
		}
	}
	if n > to || m > to {
		v.NextURL = pageURL(r, page+1)
	}
	if page > 1 {
		v.PrevURL = pageURL(r, page-1)
	}
	v.Country = choices(lang, countries, f.country, func(s string) string { return countryLabel(lang, s) })
	v.Kind = choices(lang, kinds, f.kind, func(s string) string { return translate(lang, "kind."+s) })
	v.Funder = choices(lang, funders, f.funder, func(s string) string { return s })
	v.FeedURL = "/funding.atom"
	if r.URL.RawQuery != "" {
		v.FeedURL += "?" + r.URL.RawQuery
	}
	return v, nil
}

// pageURL is the request's URL with its page parameter set to n.
func pageURL(r *http.Request, n int) string {
	q := r.URL.Query()
	q.Del("page")
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

func choices(lang string, seen map[string]bool, selected string, label func(string) string) []option {
	var out []option
	for _, k := range slices.Sorted(maps.Keys(seen)) {
		out = append(out, option{k, label(k), k == selected})
	}
	sortByLabel(lang, out, func(o option) string { return o.Label })
	return append([]option{{"", "—", selected == ""}}, out...)
}

// handleFundingPage answers /funding.
func (s *server) handleFundingPage(w http.ResponseWriter, r *http.Request) error {
	d := s.newPage(w, r, "")
	v, err := s.collectFunding(r, d.Lang)
	if err != nil {
		return err
	}
	d.Title = d.T("funding.title")
	d.Body = v
	d.Alternates = append(d.Alternates, alternate{mediaAtom, v.FeedURL, d.T("funding.title")})
	return s.render(w, r, http.StatusOK, "funding", d)
}

// fundingFeed is the Atom feed of open calls.
type fundingFeed struct {
	XMLName xml.Name      `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string        `xml:"xml:lang,attr"`
	ID      string        `xml:"id"`
	Title   string        `xml:"title"`
	Updated string        `xml:"updated"`
	Links   []fundingLink `xml:"link"`
	Author  struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Entries []fundingEntry `xml:"entry"`
}

type fundingLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type fundingEntry struct {
	ID      string        `xml:"id"`
	Title   atomText      `xml:"title"`
	Updated string        `xml:"updated"`
	Link    []fundingLink `xml:"link"`
	Summary string        `xml:"summary"`
}

// handleFundingFeed answers /funding.atom: the open calls, soonest first,
// with the page's filters.
func (s *server) handleFundingFeed(w http.ResponseWriter, r *http.Request) error {
	lang := pageLanguage(r)
	v, err := s.collectFunding(r, lang)
	if err != nil {
		return err
	}
	feed := fundingFeed{Lang: lang, ID: s.base + "/funding.atom", Title: translate(lang, "funding.title") + " · " + s.nameIn(lang).Text,
		Links: []fundingLink{{Rel: "self", Href: s.base + r.URL.RequestURI(), Type: mediaAtom}, {Rel: "alternate", Href: s.base + "/funding", Type: "text/html"}}}
	feed.Author.Name = s.nameIn(lang).Text
	var newest time.Time
	for _, c := range v.Calls {
		if c.Updated.After(newest) {
			newest = c.Updated
		}
		sum := c.Record
		if c.Funder != "" {
			sum += " · " + c.Funder
		}
		if c.Deadline != "" {
			sum += " · " + translate(lang, "funding.deadline") + " " + formatDay(lang, c.Deadline)
		}
		feed.Entries = append(feed.Entries, fundingEntry{
			ID: c.ID + "#call-" + url.QueryEscape(c.URL), Title: atomText{Lang: c.CallTitle.Lang, Text: c.CallTitle.Text}, Updated: c.Updated.UTC().Format(time.RFC3339),
			Link:    []fundingLink{{Rel: "alternate", Href: c.URL}, {Rel: "related", Href: s.base + c.RecordURL}},
			Summary: sum,
		})
	}
	entries, at, err := s.programmeEntries(r, lang)
	if err != nil {
		return err
	}
	feed.Entries = append(feed.Entries, entries...)
	if at.After(newest) {
		newest = at
	}
	if newest.IsZero() {
		newest = time.Unix(0, 0)
	}
	feed.Updated = newest.UTC().Format(time.RFC3339)
	b, err := xml.MarshalIndent(feed, "", " ")
	if err != nil {
		return err
	}
	h := w.Header()
	h["Vary"] = hdrVaryPage
	h.Set("Content-Language", lang)
	writeBody(w, http.StatusOK, mediaAtom, append([]byte(xml.Header), b...))
	return nil
}
