package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/commons-directory/commons"
)

// The record form: every field of a record as plain inputs named by the
// field paths Validate reports ("countries[1].code"), so that each error
// lands beside its input. Lists are rows with one blank row to add
// another; a "more rows" button adds blank rows without saving, so the
// form works without JavaScript.

// colDef is one column of a list of rows.
type colDef struct {
	key    string
	typ    string   // input type: text, url, date; "select" with vocab
	vocab  []string // the accepted values of a select
	prefix string   // message prefix for the labels of vocab values
}

// listDef is an editable list of the record.
type listDef struct {
	path string // field path: "countries", "funding.calls"
	cols []colDef
}

var formLists = []listDef{
	{"countries", []colDef{{key: "code", typ: "text"}, {key: "role", typ: "select", vocab: commons.CountryRoles, prefix: "countryrole."}}},
	{"licences", []colDef{{key: "expression", typ: "text"}, {key: "applies_to", typ: "select", vocab: commons.LicenceScopes, prefix: "scope."}}},
	{"organisations", []colDef{{key: "name", typ: "text"}, {key: "url", typ: "url"}, {key: "role", typ: "select", vocab: commons.OrganisationRoles, prefix: "orgrole."}}},
	{"funding.channels", []colDef{{key: "kind", typ: "select", vocab: commons.FundingKinds, prefix: "fundkind."}, {key: "url", typ: "url"}, {key: "label", typ: "text"}}},
	{"funding.calls", []colDef{{key: "title", typ: "text"}, {key: "funder", typ: "text"}, {key: "url", typ: "url"}, {key: "deadline", typ: "date"}}},
	{"identifiers", []colDef{{key: "scheme", typ: "select", vocab: commons.IdentifierSchemes, prefix: "idscheme."}, {key: "value", typ: "text"}}},
	{"relations", []colDef{{key: "type", typ: "select", vocab: commons.RelationTypes, prefix: "rel."}, {key: "target", typ: "text"}}},
}

// formView is what the edit template shows.
type formView struct {
	New                                          bool
	Action                                       string
	Slug                                         string
	Version                                      int
	Conflict                                     bool
	Texts                                        []textRow
	NewLang                                      []cell // a text in one more language: its tag, name, summary, description
	Kinds                                        []option
	Statuses                                     []option
	Sectors, Keywords, Languages, Logo, Manifest string
	Links                                        []cell
	Gov                                          []cell
	Lists                                        []listView
	Programme                                    *programmeForm    // a funding programme's part (editor_programme.go)
	Errors                                       map[string]string // field path → message
	Summary                                      []errItem         // every error, linking to its input
}

type textRow struct {
	Lang                       string
	Name, Summary, Description cell
}

type option struct {
	Value, Label string
	Selected     bool
}

// cell is one input: Name is the field path, ID its element id.
type cell struct {
	Name, ID, Label, Type, Value, Error string
	Options                             []option
}

type listView struct {
	Path, ID, Legend string
	Cols             []string // column labels
	Rows             [][]cell
	Count            int
	Error            string
}

type errItem struct{ ID, Field, Message string }

// fieldID turns a field path into an element id: "countries[1].code" →
// "f-countries-1-code".
func fieldID(path string) string {
	return "f-" + strings.NewReplacer("[", "-", "]", "", ".", "-").Replace(path)
}

// newCell builds an input for path with its value and error.
func (f *formView) newCell(lang, path, labelKey, typ, value string) cell {
	c := cell{Name: path, ID: fieldID(path), Label: translate(lang, labelKey), Type: typ, Value: value, Error: f.Errors[path]}
	return c
}

// buildForm lays out rec as a form in lang. extra adds blank rows to the
// list whose path it names.
func buildForm(lang string, rec *commons.Record, errs []commons.FieldError, extra string) *formView {
	f := &formView{Slug: rec.Slug, Version: rec.Provenance.Version, Errors: map[string]string{}}
	for _, e := range errs {
		if prev, ok := f.Errors[e.Field]; ok {
			f.Errors[e.Field] = prev + "; " + e.Message
		} else {
			f.Errors[e.Field] = e.Message
		}
	}
	// The texts: in the page language and English, then in every language
	// the record has a text in (another is one "Another language" away).
	langs := []string{lang}
	if lang != "en" {
		langs = append(langs, "en")
	}
	texts := []commons.Text{rec.Name, rec.Summary, rec.Description}
	if rec.Funding != nil {
		for _, c := range rec.Funding.Calls {
			texts = append(texts, c.Title)
		}
	}
	if rec.Programme != nil {
		texts = append(texts, rec.Programme.Funder.Name)
		for _, c := range rec.Programme.Calls {
			texts = append(texts, c.Title)
		}
	}
	for _, t := range texts {
		for _, l := range t.Languages() {
			if !slices.Contains(langs, l) {
				langs = append(langs, l)
			}
		}
	}
	for _, l := range langs {
		f.Texts = append(f.Texts, textRow{Lang: l,
			Name:        f.newCell(lang, "name."+l, "field.name", "text", rec.Name[l]),
			Summary:     f.newCell(lang, "summary."+l, "field.summary", "text", rec.Summary[l]),
			Description: f.newCell(lang, "description."+l, "field.description", "textarea", rec.Description[l]),
		})
	}
	f.NewLang = []cell{f.newCell(lang, "newlang", "field.newlang", "text", ""),
		f.newCell(lang, "newlang.name", "field.name", "text", ""),
		f.newCell(lang, "newlang.summary", "field.summary", "text", ""),
		f.newCell(lang, "newlang.description", "field.description", "textarea", "")}
	for _, k := range commons.Kinds {
		f.Kinds = append(f.Kinds, option{k, translate(lang, "kind."+k), slices.Contains(rec.Kinds, k)})
	}
	for _, st := range commons.Statuses {
		f.Statuses = append(f.Statuses, option{st, translate(lang, "status."+st), rec.Status == st})
	}
	f.Sectors, f.Keywords, f.Languages = strings.Join(rec.Sectors, ", "), strings.Join(rec.Keywords, ", "), strings.Join(rec.Languages, ", ")
	f.Logo = rec.Logo
	links := linkValues(&rec.Links)
	for _, key := range formLinkKeys {
		f.Links = append(f.Links, f.newCell(lang, "links."+key, "link."+key, "url", *links[key]))
	}
	g := rec.Governance
	if g == nil {
		g = &commons.Governance{}
	}
	size := ""
	if g.CommunitySize != 0 {
		size = strconv.Itoa(g.CommunitySize)
	}
	open := ""
	if g.OpenMembership != nil {
		open = strconv.FormatBool(*g.OpenMembership)
	}
	model := f.newCell(lang, "governance.model", "gov.model", "select", g.Model)
	model.Options = vocabOptions(lang, commons.GovernanceModels, "govmodel.", g.Model)
	member := f.newCell(lang, "governance.open_membership", "gov.open_membership", "select", open)
	member.Options = []option{{"", "—", open == ""}, {"true", translate(lang, "yes"), open == "true"}, {"false", translate(lang, "no"), open == "false"}}
	f.Gov = []cell{model,
		f.newCell(lang, "governance.legal_entity", "gov.legal_entity", "text", g.LegalEntity),
		f.newCell(lang, "governance.decision_process_url", "gov.decision_process_url", "url", g.DecisionProcessURL),
		f.newCell(lang, "governance.code_of_conduct_url", "gov.code_of_conduct_url", "url", g.CodeOfConductURL),
		f.newCell(lang, "governance.contributing_url", "gov.contributing_url", "url", g.ContributingURL),
		member,
		f.newCell(lang, "governance.community_size", "gov.community_size", "number", size),
	}
	if rec.Funding != nil {
		f.Manifest = rec.Funding.ManifestURL
	}
	lists := formLists
	if rec.Programme != nil {
		f.Programme = f.buildProgrammeForm(lang, rec.Programme, langs)
		lists = append(slices.Clone(formLists), programmeCalls)
	}
	for _, ld := range lists {
		ld.cols = listCols(ld, langs)
		rows := listRows(rec, ld.path)
		lv := listView{Path: ld.path, ID: fieldID(ld.path), Legend: listLegend(lang, ld.path), Error: f.Errors[ld.path]}
		for _, c := range ld.cols {
			lv.Cols = append(lv.Cols, colLabel(lang, ld.path, c.key))
		}
		blank := 1
		if extra == ld.path {
			blank = 3
		}
		for i := range len(rows) + blank {
			var row []cell
			for j, c := range ld.cols {
				v := ""
				if i < len(rows) {
					v = rows[i][c.key]
				}
				path := ld.path + "[" + strconv.Itoa(i) + "]." + c.key
				cl := f.newCell(lang, path, "", c.typ, v)
				cl.Label = lv.Cols[j] + " " + strconv.Itoa(i+1)
				if c.vocab != nil {
					cl.Options = vocabOptions(lang, c.vocab, c.prefix, v)
				}
				row = append(row, cl)
			}
			lv.Rows = append(lv.Rows, row)
		}
		lv.Count = len(lv.Rows)
		f.Lists = append(f.Lists, lv)
	}
	for _, e := range errs {
		f.Summary = append(f.Summary, errItem{ID: errorAnchor(f, e.Field), Field: fieldLabel(lang, e.Field), Message: e.Message})
	}
	return f
}

// errorAnchor finds the input an error belongs to: its own, else that of
// its nearest enclosing field shown.
func errorAnchor(f *formView, path string) string {
	switch path {
	case "name", "summary", "description":
		return fieldID(path + ".en")
	case "kinds", "status", "slug", "sectors", "keywords", "languages", "logo":
		return fieldID(path)
	}
	return fieldID(path)
}

func vocabOptions(lang string, vocab []string, prefix, selected string) []option {
	out := []option{{"", "—", selected == ""}}
	for _, v := range vocab {
		out = append(out, option{v, translate(lang, prefix+v), v == selected})
	}
	return out
}

// formLinkKeys are the record's links in form order, keyed as in JSON.
var formLinkKeys = []string{"homepage", "repository", "documentation", "api_documentation", "data_portal", "issue_tracker", "roadmap", "forum", "fediverse"}

func linkValues(l *commons.Links) map[string]*string {
	return map[string]*string{"homepage": &l.Homepage, "repository": &l.Repository, "documentation": &l.Documentation,
		"api_documentation": &l.APIDocumentation, "data_portal": &l.DataPortal, "issue_tracker": &l.IssueTracker,
		"roadmap": &l.Roadmap, "forum": &l.Forum, "fediverse": &l.Fediverse}
}

// listRows returns the rows of one list of rec as column maps.
func listRows(rec *commons.Record, path string) []map[string]string {
	var out []map[string]string
	switch path {
	case "countries":
		for _, c := range rec.Countries {
			out = append(out, map[string]string{"code": c.Code, "role": c.Role})
		}
	case "licences":
		for _, l := range rec.Licences {
			out = append(out, map[string]string{"expression": l.Expression, "applies_to": l.AppliesTo})
		}
	case "organisations":
		for _, o := range rec.Organisations {
			out = append(out, map[string]string{"name": o.Name, "url": o.URL, "role": o.Role})
		}
	case "funding.channels":
		if rec.Funding != nil {
			for _, c := range rec.Funding.Channels {
				out = append(out, map[string]string{"kind": c.Kind, "url": c.URL, "label": c.Label})
			}
		}
	case "funding.calls":
		if rec.Funding != nil {
			for _, c := range rec.Funding.Calls {
				row := map[string]string{"funder": c.Funder, "url": c.URL, "deadline": c.Deadline}
				for l, t := range c.Title {
					row["title."+l] = t
				}
				out = append(out, row)
			}
		}
	case "identifiers":
		for _, id := range rec.Identifiers {
			out = append(out, map[string]string{"scheme": id.Scheme, "value": id.Value})
		}
	case "relations":
		for _, rel := range rec.Relations {
			out = append(out, map[string]string{"type": rel.Type, "target": rel.Target})
		}
	case "programme.calls":
		if rec.Programme != nil {
			for _, c := range rec.Programme.Calls {
				row := map[string]string{"opens": c.Opens, "deadline": c.Deadline, "url": c.URL}
				for l, t := range c.Title {
					row["title."+l] = t
				}
				out = append(out, row)
			}
		}
	}
	return out
}

// parseForm reads a posted record form into a record. Blank rows are
// dropped, so row numbers in errors match the form built from the result.
// Values that cannot even be parsed are returned as field errors.
func parseRecordForm(form url.Values) (*commons.Record, []commons.FieldError) {
	var bad []commons.FieldError
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	rec := &commons.Record{Slug: get("slug"), Name: commons.Text{}, Summary: commons.Text{}, Description: commons.Text{}}
	for _, l := range strings.Split(form.Get("textlangs"), ",") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		rec.Name[l], rec.Summary[l], rec.Description[l] = get("name."+l), get("summary."+l), form.Get("description."+l)
	}
	if tag := get("newlang"); tag != "" {
		if canon, err := commons.CanonicalLanguage(tag); err != nil {
			bad = append(bad, commons.FieldError{Field: "newlang", Message: fmt.Sprintf("%q is not a language tag such as es, it or pt-BR", tag)})
		} else {
			rec.Name[canon], rec.Summary[canon], rec.Description[canon] = get("newlang.name"), get("newlang.summary"), form.Get("newlang.description")
		}
	}
	rec.Kinds = form["kinds"]
	rec.Status = get("status")
	rec.Sectors, rec.Keywords, rec.Languages = commaList(get("sectors")), commaList(get("keywords")), commaList(get("languages"))
	rec.Logo = get("logo")
	links := linkValues(&rec.Links)
	for _, key := range formLinkKeys {
		*links[key] = get("links." + key)
	}
	g := &commons.Governance{Model: get("governance.model"), LegalEntity: get("governance.legal_entity"),
		DecisionProcessURL: get("governance.decision_process_url"), CodeOfConductURL: get("governance.code_of_conduct_url"),
		ContributingURL: get("governance.contributing_url")}
	switch get("governance.open_membership") {
	case "true":
		t := true
		g.OpenMembership = &t
	case "false":
		f := false
		g.OpenMembership = &f
	}
	if v := get("governance.community_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad = append(bad, commons.FieldError{Field: "governance.community_size", Message: "must be a whole number"})
		}
		g.CommunitySize = n
	}
	rec.Governance = g
	rec.Funding = &commons.Funding{ManifestURL: get("funding.manifest_url")}
	var textLangs []string
	for _, l := range strings.Split(form.Get("textlangs"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			textLangs = append(textLangs, l)
		}
	}
	lists := formLists
	if form.Get("programme") == "1" {
		rec.Programme = parseProgrammeForm(form, textLangs, &bad)
		lists = append(slices.Clone(formLists), programmeCalls)
	}
	for _, ld := range lists {
		ld.cols = listCols(ld, textLangs)
		n, _ := strconv.Atoi(form.Get("rows." + ld.path))
		for i := range min(n, commons.MaxListItems+10) {
			row := map[string]string{}
			blank := true
			for _, c := range ld.cols {
				v := get(ld.path + "[" + strconv.Itoa(i) + "]." + c.key)
				row[c.key] = v
				blank = blank && v == ""
			}
			if !blank {
				addRow(rec, ld.path, row)
			}
		}
	}
	rec.Normalize()
	return rec, bad
}

func addRow(rec *commons.Record, path string, v map[string]string) {
	switch path {
	case "countries":
		rec.Countries = append(rec.Countries, commons.Country{Code: strings.ToUpper(v["code"]), Role: v["role"]})
	case "licences":
		rec.Licences = append(rec.Licences, commons.Licence{Expression: v["expression"], AppliesTo: v["applies_to"]})
	case "organisations":
		rec.Organisations = append(rec.Organisations, commons.Organisation{Name: v["name"], URL: v["url"], Role: v["role"]})
	case "funding.channels":
		rec.Funding.Channels = append(rec.Funding.Channels, commons.FundingChannel{Kind: v["kind"], URL: v["url"], Label: v["label"]})
	case "funding.calls":
		title := commons.Text{}
		for k, t := range v {
			if l, ok := strings.CutPrefix(k, "title."); ok && t != "" {
				title[l] = t
			}
		}
		rec.Funding.Calls = append(rec.Funding.Calls, commons.FundingCall{Title: title, Funder: v["funder"], URL: v["url"], Deadline: v["deadline"]})
	case "identifiers":
		rec.Identifiers = append(rec.Identifiers, commons.Identifier{Scheme: v["scheme"], Value: v["value"]})
	case "relations":
		rec.Relations = append(rec.Relations, commons.Relation{Type: v["type"], Target: v["target"]})
	case "programme.calls":
		title := commons.Text{}
		for k, t := range v {
			if l, ok := strings.CutPrefix(k, "title."); ok && t != "" {
				title[l] = t
			}
		}
		rec.Programme.Calls = append(rec.Programme.Calls, commons.ProgrammeCall{Title: title, Opens: v["opens"], Deadline: v["deadline"], URL: v["url"]})
	}
}

func commaList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// fieldLabel names a field path for people: "countries[0].code" →
// "Countries, row 1: Country code", "name.fr" → "Name (Français)".
func fieldLabel(lang, path string) string {
	for _, ld := range append(slices.Clone(formLists), programmeCalls) {
		rest, ok := strings.CutPrefix(path, ld.path+"[")
		if !ok {
			continue
		}
		idx, col, _ := strings.Cut(rest, "].")
		n, err := strconv.Atoi(idx)
		if err != nil {
			break
		}
		label := listLegend(lang, ld.path) + ", " + fmt.Sprintf(translate(lang, "edit.row"), n+1)
		if col != "" {
			label += translate(lang, "punct.colon") + colLabel(lang, ld.path, col)
		}
		return label
	}
	head, tail, _ := strings.Cut(path, ".")
	switch head {
	case "name", "summary", "description":
		label := translate(lang, "field."+head)
		if tail != "" {
			label += " (" + languageLabel(lang, tail) + ")"
		}
		return label
	case "links":
		return translate(lang, "record.links") + translate(lang, "punct.colon") + translate(lang, "link."+tail)
	case "governance":
		return translate(lang, "record.governance") + translate(lang, "punct.colon") + translate(lang, "gov."+tail)
	case "organisations":
		return translate(lang, "record.orgs")
	case "newlang":
		return translate(lang, "field.newlang")
	case "slug", "logo":
		return translate(lang, "field."+head)
	case "kinds", "status", "sectors", "keywords", "languages", "countries", "licences", "identifiers", "relations":
		return translate(lang, "record."+head)
	}
	return path
}

// listCols are the columns of a list in a form whose texts are in langs:
// a funding call's title has one column per language.
func listCols(ld listDef, langs []string) []colDef {
	if ld.path != "funding.calls" && ld.path != "programme.calls" {
		return ld.cols
	}
	var out []colDef
	for _, c := range ld.cols {
		if c.key != "title" {
			out = append(out, c)
			continue
		}
		for _, l := range langs {
			out = append(out, colDef{key: "title." + l, typ: c.typ})
		}
	}
	return out
}

// colLabel names a column of a list: "Title", or "Title (French)" for a
// title in one language.
func colLabel(lang, path, col string) string {
	if path == "programme.calls" {
		// A programme's call has the columns of a record's, and its opening.
		if col == "opens" {
			return translate(lang, "programme.opensat")
		}
		path = "funding.calls"
	}
	if base, l, ok := strings.Cut(col, "."); ok {
		return translate(lang, "col."+path+"."+base) + " (" + languageLabel(lang, l) + ")"
	}
	return translate(lang, "col."+path+"."+col)
}

// listLegend names a list of the form.
func listLegend(lang, path string) string {
	if path == "programme.calls" {
		return translate(lang, "programme.calls")
	}
	return translate(lang, "list."+path)
}
