package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/commons-directory/commons"
)

// The programme part of the record form: shown when the record is a
// funding programme (or a new one, /edit/new?programme=1), its inputs
// named by the field paths Validate reports ("programme.kind").

// programmeCalls is the list of a programme's calls in the form.
var programmeCalls = listDef{"programme.calls", []colDef{{key: "title", typ: "text"}, {key: "opens", typ: "date"}, {key: "deadline", typ: "date"}, {key: "url", typ: "url"}}}

// checksView is a group of checkboxes for a list of vocabulary values.
type checksView struct {
	Name, ID, Legend, Error string
	Options                 []option
}

// programmeForm is the programme's fieldset.
type programmeForm struct {
	Cells  []cell
	Checks []checksView
}

func (f *formView) checks(lang, path, legendKey string, vocab, selected []string, label func(string) string) checksView {
	c := checksView{Name: path, ID: fieldID(path), Legend: translate(lang, legendKey), Error: f.Errors[path]}
	for i := range selected {
		if e := f.Errors[fmt.Sprintf("%s[%d]", path, i)]; e != "" && c.Error == "" {
			c.Error = e
		}
	}
	for _, v := range vocab {
		c.Options = append(c.Options, option{v, label(v), slices.Contains(selected, v)})
	}
	return c
}

// buildProgrammeForm lays out the programme part, its texts in langs.
func (f *formView) buildProgrammeForm(lang string, p *commons.Programme, langs []string) *programmeForm {
	pf := &programmeForm{}
	for _, l := range langs {
		c := f.newCell(lang, "programme.funder.name."+l, "funding.funder", "text", p.Funder.Name[l])
		c.Label += " (" + languageLabel(lang, l) + ")"
		pf.Cells = append(pf.Cells, c)
	}
	kind := f.newCell(lang, "programme.kind", "programme.kind", "select", p.Kind)
	kind.Options = vocabOptions(lang, commons.ProgrammeKinds, "progkind.", p.Kind)
	status := f.newCell(lang, "programme.status", "record.status", "select", p.Status)
	status.Options = vocabOptions(lang, commons.ProgrammeStatuses, "progstatus.", p.Status)
	a := p.Amount
	if a == nil {
		a = &commons.Amount{}
	}
	num := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	co := ""
	if p.CoFunding != nil {
		co = p.CoFunding.Required
	}
	cofund := f.newCell(lang, "programme.co_funding.required", "programme.cofunding", "select", co)
	cofund.Options = []option{{"", "—", co == ""}, {"yes", translate(lang, "yes"), co == "yes"}, {"no", translate(lang, "no"), co == "no"},
		{"unknown", translate(lang, "programme.unknown"), co == "unknown"}}
	pf.Cells = append(pf.Cells,
		f.newCell(lang, "programme.funder.url", "programme.funderurl", "url", p.Funder.URL),
		kind, status,
		f.newCell(lang, "programme.eligibility.countries", "programme.countries", "text", strings.Join(p.Eligibility.Countries, ", ")),
		f.newCell(lang, "programme.amount.min", "programme.min", "number", num(a.Min)),
		f.newCell(lang, "programme.amount.max", "programme.max", "number", num(a.Max)),
		f.newCell(lang, "programme.amount.currency", "programme.currency", "text", a.Currency),
		cofund,
		f.newCell(lang, "programme.apply_url", "programme.apply", "url", p.ApplyURL),
		f.newCell(lang, "programme.source_url", "programme.source", "url", p.SourceURL),
		f.newCell(lang, "programme.checked", "programme.checkedon", "date", p.Checked),
	)
	pf.Checks = []checksView{
		f.checks(lang, "programme.eligibility.kinds", "record.kinds", commons.Kinds, p.Eligibility.Kinds, func(v string) string { return translate(lang, "kind."+v) }),
		f.checks(lang, "programme.eligibility.legal_forms", "find.legalform", commons.LegalForms, p.Eligibility.LegalForms, func(v string) string { return legalFormLabel(lang, v) }),
		f.checks(lang, "programme.purposes", "programme.purposes", commons.FundingPurposes, p.Purposes, func(v string) string { return translate(lang, "purpose."+v) }),
	}
	return pf
}

// parseProgrammeForm reads the programme part of a posted form.
func parseProgrammeForm(form url.Values, langs []string, bad *[]commons.FieldError) *commons.Programme {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	p := &commons.Programme{Funder: commons.Funder{Name: commons.Text{}, URL: get("programme.funder.url")},
		Kind: get("programme.kind"), Status: get("programme.status"), ApplyURL: get("programme.apply_url"),
		SourceURL: get("programme.source_url"), Checked: get("programme.checked")}
	for _, l := range langs {
		if v := get("programme.funder.name." + l); v != "" {
			p.Funder.Name[l] = v
		}
	}
	for _, c := range commaList(get("programme.eligibility.countries")) {
		p.Eligibility.Countries = append(p.Eligibility.Countries, strings.ToUpper(c))
	}
	p.Eligibility.Kinds = form["programme.eligibility.kinds"]
	p.Eligibility.LegalForms = form["programme.eligibility.legal_forms"]
	p.Purposes = form["programme.purposes"]
	a := &commons.Amount{Currency: get("programme.amount.currency")}
	for _, b := range []struct {
		key string
		n   *int64
	}{{"programme.amount.min", &a.Min}, {"programme.amount.max", &a.Max}} {
		if v := get(b.key); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				*bad = append(*bad, commons.FieldError{Field: b.key, Message: "must be a whole number"})
			}
			*b.n = n
		}
	}
	p.Amount = a
	if v := get("programme.co_funding.required"); v != "" {
		p.CoFunding = &commons.CoFunding{Required: v}
	}
	return p
}
