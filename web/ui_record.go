package web

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// recordView is what the record page shows.
type recordView struct {
	R               *commons.Record
	Local           bool
	Name, Summary   localText
	Description     template.HTML
	DescriptionLang string
	TextLangs       []langLink // the record's texts in other languages
	Links           []namedLink
	Identifiers     []namedLink // Label "scheme: value", URL when resolvable
	Relations       []relationView
	Social          *commons.Social
	AlsoListed      []namedLink
	Follow          followView
	Icon            string // the record's generated icon, served here (never an outside image)
	HistoryURL      string
	KeptBy          string // the name of the instance that keeps the record
	OriginName      string // the name of its home instance
	JSONURL, LDURL  string
	FeedURL         string
	PubliccodeURL   string
	Version         int
	Created         string
	Updated         string
	Received        string
	Harvested       string // a listed publiccode.yml fills the record: its last successful read
	CanEdit         bool
	EditURL         string
	Programmes      []programmeCard // that may fund it (ui_programmes.go)
	Calls           []callView      // open: deadline today or later, or none
	PastCalls       []callView
	JSONLD          template.JS // schema.org description, for a data block
}

type relationView struct {
	Type string
	namedLink
}

// renderRecord writes the page of a local or remote record. ?tl= picks the
// language of the record's texts when it has several.
func (s *server) renderRecord(w http.ResponseWriter, r *http.Request, rec *commons.Record) error {
	if rec.Programme != nil {
		return s.renderProgramme(w, r, rec)
	}
	d := s.newPage(w, r, "")
	tl := d.Lang
	if v := r.URL.Query().Get("tl"); v != "" && rec.Name[v] != "" {
		tl = v
	}
	ld, err := schemaOrgScript(rec)
	if err != nil {
		return err
	}
	slug := url.PathEscape(rec.Slug)
	host := hostOf(rec.Provenance.Origin)
	names := &originNames{s: s, r: r, lang: d.Lang}
	v := recordView{
		R:       rec,
		Local:   rec.IsLocal(s.base),
		JSONLD:  ld,
		Name:    textIn(rec.Name, tl),
		Summary: textIn(rec.Summary, tl),
		Version: rec.Provenance.Version,
		Created: formatDate(d.Lang, rec.Provenance.Created),
		Updated: formatDate(d.Lang, rec.Provenance.Updated),
		Follow:  followView{Handle: "@" + rec.Slug + "@" + host, Target: rec.ID, Record: true},
	}
	if !rec.Provenance.ReceivedAt.IsZero() {
		v.Received = formatDate(d.Lang, rec.Provenance.ReceivedAt)
	}
	if v.Local && s.harvests != nil {
		h, err := s.harvests.HarvestOf(r.Context(), rec.Slug)
		switch {
		case err == nil && !h.OKAt.IsZero():
			v.Harvested = h.OKAt.Format("2006-01-02 15:04 MST")
		case err != nil && commons.ErrorCode(err) != commons.ENOTFOUND:
			return err
		}
	}
	if v.Local {
		v.JSONURL = "/api/v1/records/" + slug
		v.LDURL = "/records/" + slug + ".jsonld"
		v.FeedURL = "/feeds/records/" + slug + ".atom"
		if slices.Contains(rec.Kinds, "software") {
			v.PubliccodeURL = "/records/" + slug + "/publiccode.yml"
		}
		v.CanEdit = d.User.CanEdit()
		if s.fed != nil {
			v.Icon = "/records/" + slug + "/icon.png"
		}
		v.EditURL = "/records/" + slug + "/edit"
		v.HistoryURL = "/records/" + slug + "/history"
		v.KeptBy = s.nameIn(d.Lang).Text
		d.Alternates = append(d.Alternates, alternate{mediaAtom, v.FeedURL, v.Name.Text},
			alternate{mediaJSON, v.JSONURL, d.T("record.json")}, alternate{"application/ld+json", v.LDURL, d.T("record.jsonld")})
	} else {
		page := copyURL(rec)
		v.JSONURL, v.HistoryURL, v.KeptBy = "/api/v1"+page, page+"/history", host
		if s.fed != nil {
			v.Icon = page + "/icon.png"
			if name := s.fed.InstanceName(r.Context(), rec.Provenance.Origin); name != "" {
				v.KeptBy = name
			}
		}
		d.Alternates = append(d.Alternates, alternate{mediaJSON, v.JSONURL, d.T("record.json")})
	}
	if s.fed != nil {
		// Where fediverse servers find the record's actor (Mastodon reads
		// this link when a pasted URL answers with a page).
		d.Alternates = append(d.Alternates, alternate{mediaActivity, rec.ID, v.Follow.Handle})
	}
	d.Title = v.Name.Text
	if v.Programmes, err = s.recordProgrammes(r, d.Lang, rec); err != nil {
		return err
	}
	for _, tag := range rec.Name.Languages() {
		if tag != v.Name.Lang {
			v.TextLangs = append(v.TextLangs, langLink{Tag: tag, Name: autonym(tag), URL: "?tl=" + url.QueryEscape(tag) + "&lang=" + d.Lang})
		}
	}
	if desc := textIn(rec.Description, tl); desc.Text != "" {
		v.Description, v.DescriptionLang = markdown(desc.Text), desc.Lang
	}
	for _, l := range recordLinks(rec.Links) {
		v.Links = append(v.Links, namedLink{Label: translate(d.Lang, "link."+l.key), URL: l.url})
	}
	for _, id := range rec.Identifiers {
		v.Identifiers = append(v.Identifiers, namedLink{Label: id.Scheme + ": " + id.Value, URL: identifierURL(id)})
	}
	held, err := s.dir.RelationTargets(r.Context(), rec)
	if err != nil {
		return err
	}
	for _, rel := range rec.Relations {
		link := s.targetLink(rel.Target)
		if l, ok := held[rel.Target]; ok {
			link = s.relatedLink(l, tl, names)
		}
		v.Relations = append(v.Relations, relationView{Type: translate(d.Lang, "rel."+rel.Type), namedLink: link})
	}
	reverse, err := s.dir.ReverseRelations(r.Context(), rec.ID)
	if err != nil {
		return err
	}
	for _, rel := range reverse {
		v.Relations = append(v.Relations, relationView{Type: translate(d.Lang, reverseRelation(rel.Type)), namedLink: s.relatedLink(rel.Listing, tl, names)})
	}
	if rec.Funding != nil {
		today := time.Now().UTC().Format("2006-01-02")
		for _, c := range rec.Funding.Calls {
			cv := callView{FundingCall: c, CallTitle: textIn(c.Title, d.Lang)}
			if c.Deadline == "" || c.Deadline >= today {
				v.Calls = append(v.Calls, cv)
			} else {
				v.PastCalls = append(v.PastCalls, cv)
			}
		}
	}
	v.OriginName = names.of(host)
	if s.fed != nil {
		social, err := s.fed.RecordSocial(r.Context(), rec, 5)
		if err != nil {
			// The page is still useful without its social part.
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "record social", slog.String("record", rec.ID), slog.Any("err", err))
		} else {
			v.Social = social
			for _, l := range social.AlsoListedBy {
				v.AlsoListed = append(v.AlsoListed, namedLink{Label: textIn(l.Name, tl).Text + " — " + names.of(hostOf(l.Origin)), URL: s.listingURL(l)})
			}
		}
	}
	d.Body = v
	return s.render(w, r, http.StatusOK, "record", d)
}

// listingURL is our page of another listing of the same commons.
func (s *server) listingURL(l commons.Listing) string {
	if l.Origin == s.base {
		return "/records/" + url.PathEscape(l.Slug)
	}
	return "/instances/" + url.PathEscape(hostOf(l.Origin)) + "/records/" + url.PathEscape(l.Slug)
}

// relatedLink is the link to a record the directory holds, named in lang
// and, for a copy, by its home instance.
func (s *server) relatedLink(l commons.Listing, lang string, names *originNames) namedLink {
	label := textIn(l.Name, lang).Text
	if l.Origin != s.base {
		label += " — " + names.of(hostOf(l.Origin))
	}
	return namedLink{Label: label, URL: s.listingURL(l)}
}

// reverseRelation is the key of the words that state a relation from the
// side of the record it names: what X "depends on", Y is "depended on by".
func reverseRelation(typ string) string {
	switch typ {
	case "part-of":
		return "rel.has-part"
	case "has-part":
		return "rel.part-of"
	case "alternative-to":
		return "rel.alternative-to"
	}
	return "rev." + typ
}

// targetLink turns a relation's target into a link: ours become our
// pages, a Wikidata item its page, any URL itself.
func (s *server) targetLink(target string) namedLink {
	switch {
	case strings.HasPrefix(target, s.base+"/records/"):
		slug := strings.TrimPrefix(target, s.base+"/records/")
		return namedLink{Label: slug, URL: "/records/" + url.PathEscape(slug)}
	case strings.HasPrefix(target, "Q") && identifierPatternWikidata(target):
		return namedLink{Label: target, URL: "https://www.wikidata.org/wiki/" + target}
	case strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://"):
		return namedLink{Label: target, URL: target}
	}
	return namedLink{Label: target}
}

func identifierPatternWikidata(s string) bool {
	if len(s) < 2 || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// identifierURL resolves an identifier to a page where registries have
// one, else "".
func identifierURL(id commons.Identifier) string {
	switch id.Scheme {
	case "wikidata":
		return "https://www.wikidata.org/wiki/" + url.PathEscape(id.Value)
	case "doi":
		return "https://doi.org/" + id.Value
	case "ror":
		return "https://ror.org/" + url.PathEscape(id.Value)
	case "swhid":
		return "https://archive.softwareheritage.org/" + id.Value
	case "isni":
		return "https://isni.org/isni/" + url.PathEscape(id.Value)
	case "url", "publiccode", "joinup", "dpg":
		if strings.HasPrefix(id.Value, "https://") || strings.HasPrefix(id.Value, "http://") {
			return id.Value
		}
	}
	return ""
}

type linkEntry struct{ key, url string }

// recordLinks lists a record's non-empty links in display order, keyed as
// in JSON.
func recordLinks(l commons.Links) []linkEntry {
	all := []linkEntry{
		{"homepage", l.Homepage}, {"repository", l.Repository}, {"documentation", l.Documentation},
		{"api_documentation", l.APIDocumentation}, {"data_portal", l.DataPortal},
		{"issue_tracker", l.IssueTracker}, {"roadmap", l.Roadmap}, {"forum", l.Forum},
		{"fediverse", l.Fediverse},
	}
	return slices.DeleteFunc(all, func(e linkEntry) bool { return e.url == "" })
}
