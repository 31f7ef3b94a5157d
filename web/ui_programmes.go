package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// The funding programme pages: the list and the guided search
// (/funding/programmes, /funding/find), a programme's page, and the
// programmes section of every record page.

// programmeCard is a programme in a list: what it is, when to apply, and
// why it fits when it was matched.
type programmeCard struct {
	Name, Summary, Funder localText
	URL                   string
	Kind, Status          string // labels
	Next                  string // the soonest deadline to come, YYYY-MM-DD
	Closed                bool
	Reasons               []string
}

// findView is the body of the list and of the guided search.
type findView struct {
	Lead                              string
	Asked                             bool // the visitor answered something
	Country, Kind, LegalForm, Purpose []option
	Cards                             []programmeCard
}

// programmeView is the body of a programme's page.
type programmeView struct {
	R            *commons.Record
	P            *commons.Programme
	Name         localText
	Summary      localText
	Description  template.HTML
	DescLang     string
	Funder       localText
	Countries    []string // labels; empty: any country
	Kinds        []string
	LegalForms   []string
	Purposes     []string
	Amount       string
	AmountText   localText
	CoFunding    string
	CoFundText   localText
	Calls        []programmeCallView
	Suits        []suitView
	SuitsTotal   int // Suits holds the first maxSuited
	Follow       followView
	Local        bool
	HistoryURL   string
	EditURL      string
	CanEdit      bool
	JSONURL      string
	ProgrammeURL string
}

type programmeCallView struct {
	Title    localText
	Opens    string
	Deadline string
	URL      string
	Past     bool
}

type suitView struct {
	Name    localText
	URL     string
	Reasons []string
}

// legalFormLabel names a legal form in lang: the governance model's word
// where there is one.
func legalFormLabel(lang, f string) string {
	switch f {
	case "company", "informal-community":
		return translate(lang, "legalform."+f)
	}
	return translate(lang, "govmodel."+f)
}

// reasonText says one reason a programme fits, in lang.
func reasonText(lang string, r commons.MatchReason) string {
	t := func(key string, args ...any) string { return (&pageData{Lang: lang}).Tf(key, args...) }
	switch r.Code {
	case commons.ReasonCountry, commons.ReasonCountryEU:
		return t("reason."+r.Code, countryLabel(lang, r.Value))
	case commons.ReasonAnyCountry:
		return translate(lang, "reason.country-any")
	case commons.ReasonKind:
		return t("reason.kind", translate(lang, "kind."+r.Value))
	case commons.ReasonLegalForm:
		return t("reason.legal-form", legalFormLabel(lang, r.Value))
	case commons.ReasonPurpose:
		return t("reason.purpose", translate(lang, "purpose."+r.Value))
	}
	return r.Code
}

func (s *server) programmeCard(lang string, p *commons.Record, next string, reasons []commons.MatchReason) programmeCard {
	c := programmeCard{Name: textIn(p.Name, lang), Summary: textIn(p.Summary, lang), Funder: textIn(p.Programme.Funder.Name, lang),
		URL: s.programmeURL(p), Kind: translate(lang, "progkind."+p.Programme.Kind), Next: next, Closed: p.Programme.Status == "closed"}
	if p.Provenance.Origin == "" || p.IsLocal(s.base) {
		c.URL = "/funding/programmes/" + url.PathEscape(p.Slug) // ours: a path, like a record's
	}
	if st := p.Programme.Status; st != "" {
		c.Status = translate(lang, "progstatus."+st)
	}
	for _, r := range reasons {
		c.Reasons = append(c.Reasons, reasonText(lang, r))
	}
	return c
}

// findOptions builds a select's options from a vocabulary, "any" first.
func findOptions(lang string, values []string, selected string, label func(string) string, sorted bool) []option {
	out := make([]option, 0, len(values)+1)
	for _, v := range values {
		out = append(out, option{v, label(v), v == selected})
	}
	if sorted {
		sortByLabel(lang, out, func(o option) string { return o.Label })
	}
	return append([]option{{"", translate(lang, "find.any"), selected == ""}}, out...)
}

// handleFindPage answers /funding/find (the guided search: the programmes
// that fit the answers, soonest deadline first, with why) and
// /funding/programmes (every programme, the closed ones last).
func (s *server) handleFindPage(w http.ResponseWriter, r *http.Request) error {
	d := s.newPage(w, r, "")
	q := fundingQuery(r)
	if err := q.Validate(); err != nil {
		return err
	}
	ps, err := s.programmes(r.Context())
	if err != nil {
		return err
	}
	v := &findView{Asked: q != (commons.FundingQuery{})}
	countries := slices.Clone(commons.EUMembers)
	for _, p := range ps {
		for _, c := range p.Programme.Eligibility.Countries {
			if c != "EU" && !slices.Contains(countries, c) {
				countries = append(countries, c)
			}
		}
	}
	v.Country = findOptions(d.Lang, countries, q.Country, func(c string) string { return countryLabel(d.Lang, c) }, true)
	v.Kind = findOptions(d.Lang, commons.Kinds, q.Kind, func(k string) string { return translate(d.Lang, "kind."+k) }, false)
	v.LegalForm = findOptions(d.Lang, commons.LegalForms, q.LegalForm, func(f string) string { return legalFormLabel(d.Lang, f) }, false)
	v.Purpose = findOptions(d.Lang, commons.FundingPurposes, q.Purpose, func(p string) string { return translate(d.Lang, "purpose."+p) }, false)
	for _, m := range commons.MatchProgrammes(ps, q, s.today()) {
		v.Cards = append(v.Cards, s.programmeCard(d.Lang, m.Programme, m.NextDeadline, m.Reasons))
	}
	if r.URL.Path == "/funding/programmes" {
		d.Title, v.Lead = d.T("programmes.title"), d.T("programmes.lead")
		for _, p := range ps {
			if p.Programme.Status == "closed" {
				v.Cards = append(v.Cards, s.programmeCard(d.Lang, p, "", nil))
			}
		}
	} else {
		d.Title, v.Lead = d.T("find.title"), d.T("find.lead")
	}
	d.Body = v
	return s.render(w, r, http.StatusOK, "programmes", d)
}

// handleProgrammePage answers /funding/programmes/{slug}.
func (s *server) handleProgrammePage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.localProgramme(r)
	if err != nil {
		return err
	}
	return s.renderProgramme(w, r, p)
}

// formatAmount writes an amount's bounds as published: "5000–50000 EUR".
func formatAmount(lang string, a *commons.Amount) string {
	if a == nil || (a.Min == 0 && a.Max == 0) {
		return ""
	}
	n := func(v int64) string { return (&pageData{Lang: lang}).Num(int(v)) }
	switch {
	case a.Min > 0 && a.Max > 0:
		return fmt.Sprintf("%s–%s %s", n(a.Min), n(a.Max), a.Currency)
	case a.Max > 0:
		return fmt.Sprintf("≤ %s %s", n(a.Max), a.Currency)
	default:
		return fmt.Sprintf("≥ %s %s", n(a.Min), a.Currency)
	}
}

// renderProgramme writes a programme's page, local or a copy.
func (s *server) renderProgramme(w http.ResponseWriter, r *http.Request, p *commons.Record) error {
	d := s.newPage(w, r, "")
	pr := p.Programme
	v := &programmeView{R: p, P: pr, Name: textIn(p.Name, d.Lang), Summary: textIn(p.Summary, d.Lang), Funder: textIn(pr.Funder.Name, d.Lang),
		Amount: formatAmount(d.Lang, pr.Amount), Local: p.IsLocal(s.base),
		Follow: followView{Handle: "@" + p.Slug + "@" + hostOf(p.Provenance.Origin), Target: p.ID}}
	if desc := textIn(p.Description, d.Lang); desc.Text != "" {
		v.Description, v.DescLang = markdown(desc.Text), desc.Lang
	}
	for _, c := range pr.Eligibility.Countries {
		v.Countries = append(v.Countries, countryLabel(d.Lang, c))
	}
	for _, k := range pr.Eligibility.Kinds {
		v.Kinds = append(v.Kinds, translate(d.Lang, "kind."+k))
	}
	for _, f := range pr.Eligibility.LegalForms {
		v.LegalForms = append(v.LegalForms, legalFormLabel(d.Lang, f))
	}
	for _, f := range pr.Purposes {
		v.Purposes = append(v.Purposes, translate(d.Lang, "purpose."+f))
	}
	if a := pr.Amount; a != nil {
		v.AmountText = textIn(a.Text, d.Lang)
	}
	if c := pr.CoFunding; c != nil {
		switch c.Required {
		case "yes", "no":
			v.CoFunding = translate(d.Lang, c.Required)
		default:
			v.CoFunding = translate(d.Lang, "programme.unknown")
		}
		v.CoFundText = textIn(c.Text, d.Lang)
	}
	today := s.today()
	for _, c := range pr.Calls {
		v.Calls = append(v.Calls, programmeCallView{Title: textIn(c.Title, d.Lang), Opens: c.Opens, Deadline: c.Deadline, URL: c.URL,
			Past: c.Deadline != "" && c.Deadline < today})
	}
	suits, total, err := s.suitedCommons(r, p)
	if err != nil {
		return err
	}
	v.SuitsTotal = total
	for _, m := range suits {
		sv := suitView{Name: textIn(m.Record.Name, d.Lang), URL: s.recordURL(m.Record)}
		for _, why := range m.Reasons {
			sv.Reasons = append(sv.Reasons, reasonText(d.Lang, why))
		}
		v.Suits = append(v.Suits, sv)
	}
	if v.Local {
		slug := url.PathEscape(p.Slug)
		v.JSONURL = "/api/v1/programmes/" + slug
		v.HistoryURL = "/records/" + slug + "/history"
		v.EditURL = "/records/" + slug + "/edit"
		v.CanEdit = d.User.CanEdit()
		d.Alternates = append(d.Alternates, alternate{mediaJSON, v.JSONURL, d.T("record.json")})
	}
	if s.fed != nil {
		d.Alternates = append(d.Alternates, alternate{mediaActivity, p.ID, v.Follow.Handle})
	}
	d.Title = v.Name.Text
	d.Body = v
	return s.render(w, r, http.StatusOK, "programme", d)
}

// recordProgrammes are the cards of the programmes that may fund rec.
func (s *server) recordProgrammes(r *http.Request, lang string, rec *commons.Record) ([]programmeCard, error) {
	ps, err := s.programmes(r.Context())
	if err != nil {
		return nil, err
	}
	var out []programmeCard
	for _, m := range commons.ProgrammesFor(ps, rec, s.today()) {
		out = append(out, s.programmeCard(lang, m.Programme, m.NextDeadline, m.Reasons))
	}
	return out, nil
}

// programmeEntries are the funding feed's entries for the programmes
// that fit the page's country and kind: one per programme, then one per
// call still open, soonest deadline first; and the newest update.
func (s *server) programmeEntries(r *http.Request, lang string) ([]fundingEntry, time.Time, error) {
	q := r.URL.Query()
	fq := commons.FundingQuery{Country: strings.ToUpper(q.Get("country")), Kind: q.Get("kind")}
	if fq.Validate() != nil {
		return nil, time.Time{}, nil // the page's own filters name what the directory holds; nothing fits
	}
	ps, err := s.programmes(r.Context())
	if err != nil {
		return nil, time.Time{}, err
	}
	today := s.today()
	var newest time.Time
	var out []fundingEntry
	for _, m := range commons.MatchProgrammes(ps, fq, today) {
		p, pr := m.Programme, m.Programme.Programme
		if p.Provenance.Updated.After(newest) {
			newest = p.Provenance.Updated
		}
		page := s.programmeURL(p)
		updated := p.Provenance.Updated.UTC().Format(time.RFC3339)
		name := textIn(p.Name, lang)
		funder, _ := pr.Funder.Name.Get(lang)
		sum := funder + " · " + translate(lang, "progkind."+pr.Kind)
		if st := pr.Status; st != "" {
			sum += " · " + translate(lang, "progstatus."+st)
		}
		out = append(out, fundingEntry{ID: p.ID, Title: atomText{Lang: name.Lang, Text: name.Text}, Updated: updated,
			Link: []fundingLink{{Rel: "alternate", Href: page, Type: "text/html"}}, Summary: sum})
		for _, c := range pr.Calls {
			if c.Deadline != "" && c.Deadline < today {
				continue
			}
			title := textIn(c.Title, lang)
			csum := name.Text + " · " + funder
			if c.Deadline != "" {
				csum += " · " + translate(lang, "funding.deadline") + " " + formatDay(lang, c.Deadline)
			}
			links := []fundingLink{{Rel: "related", Href: page, Type: "text/html"}}
			if c.URL != "" {
				links = append([]fundingLink{{Rel: "alternate", Href: c.URL}}, links...)
			}
			out = append(out, fundingEntry{ID: p.ID + "#call-" + url.QueryEscape(c.Opens+"|"+c.Deadline+"|"+c.URL), Title: atomText{Lang: title.Lang, Text: title.Text},
				Updated: updated, Link: links, Summary: csum})
		}
	}
	return out, newest, nil
}
