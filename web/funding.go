package web

import (
	"cmp"
	"encoding/xml"
	"maps"
	"net/http"
	"net/url"
	"slices"
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
}

type callView struct {
	commons.FundingCall
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

func (f fundingFilter) holds(rec *commons.Record) bool {
	if f.kind != "" && !slices.Contains(rec.Kinds, f.kind) {
		return false
	}
	if f.country != "" && !slices.ContainsFunc(rec.Countries, func(c commons.Country) bool { return c.Code == f.country }) {
		return false
	}
	return true
}

// collectFunding reads every record, local and remote, for open calls
// (deadline today or later, or none) and channels, soonest deadline first.
func (s *server) collectFunding(r *http.Request, lang string) (*fundingView, error) {
	q := r.URL.Query()
	f := fundingFilter{country: strings.ToUpper(q.Get("country")), kind: q.Get("kind"), funder: q.Get("funder")}
	today := time.Now().UTC().Format("2006-01-02")
	v := &fundingView{Filtered: f != (fundingFilter{})}
	countries, kinds, funders := map[string]bool{}, map[string]bool{}, map[string]bool{}
	err := s.dir.FundingRecords(r.Context(), func(rec *commons.Record) error {
		if rec.Funding == nil {
			return nil
		}
		open := false
		for _, c := range rec.Funding.Calls {
			if c.Deadline == "" || c.Deadline >= today {
				open = true
				if c.Funder != "" {
					funders[c.Funder] = true
				}
			}
		}
		if !open && len(rec.Funding.Channels) == 0 {
			return nil
		}
		for _, c := range rec.Countries {
			countries[c.Code] = true
		}
		for _, k := range rec.Kinds {
			kinds[k] = true
		}
		if !f.holds(rec) {
			return nil
		}
		name, _ := rec.Name.Get(lang)
		u := s.recordURL(rec)
		for _, c := range rec.Funding.Calls {
			if (c.Deadline == "" || c.Deadline >= today) && (f.funder == "" || c.Funder == f.funder) {
				v.Calls = append(v.Calls, callView{FundingCall: c, Record: name, RecordURL: u, Updated: rec.Provenance.Updated, ID: rec.ID})
			}
		}
		if f.funder == "" {
			for _, c := range rec.Funding.Channels {
				v.Channels = append(v.Channels, channelView{FundingChannel: c, Record: name, RecordURL: u})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(v.Calls, func(a, b callView) int {
		if (a.Deadline == "") != (b.Deadline == "") {
			if a.Deadline == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(strings.Compare(a.Deadline, b.Deadline), strings.Compare(a.Title, b.Title))
	})
	slices.SortStableFunc(v.Channels, func(a, b channelView) int { return strings.Compare(a.Record, b.Record) })
	v.Country = choices(countries, f.country, func(s string) string { return s })
	v.Kind = choices(kinds, f.kind, func(s string) string { return translate(lang, "kind."+s) })
	v.Funder = choices(funders, f.funder, func(s string) string { return s })
	v.FeedURL = "/funding.atom"
	if r.URL.RawQuery != "" {
		v.FeedURL += "?" + r.URL.RawQuery
	}
	return v, nil
}

func choices(seen map[string]bool, selected string, label func(string) string) []option {
	out := []option{{"", "—", selected == ""}}
	for _, k := range slices.Sorted(maps.Keys(seen)) {
		out = append(out, option{k, label(k), k == selected})
	}
	return out
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
	Title   string        `xml:"title"`
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
	feed := fundingFeed{Lang: lang, ID: s.base + "/funding.atom", Title: translate(lang, "funding.title") + " · " + s.name,
		Links: []fundingLink{{Rel: "self", Href: s.base + r.URL.RequestURI(), Type: mediaAtom}, {Rel: "alternate", Href: s.base + "/funding", Type: "text/html"}}}
	feed.Author.Name = s.name
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
			sum += " · " + translate(lang, "funding.deadline") + " " + c.Deadline
		}
		feed.Entries = append(feed.Entries, fundingEntry{
			ID: c.ID + "#call-" + url.QueryEscape(c.URL), Title: c.Title, Updated: c.Updated.UTC().Format(time.RFC3339),
			Link:    []fundingLink{{Rel: "alternate", Href: c.URL}, {Rel: "related", Href: s.base + c.RecordURL}},
			Summary: sum,
		})
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
