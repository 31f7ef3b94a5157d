package federation

import (
	"slices"
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
)

// Describe says in words, in the language lang (one of package i18n's
// catalogues; English otherwise), what changed between two versions of a record: one sentence
// a change, most important first. It returns nil when nothing a follower
// would care about changed. old is nil for a new record.
func Describe(old, cur *commons.Record, lang string) []string {
	c := i18n.For(lang)
	if old == nil {
		name, _ := cur.Name.Get(lang)
		return []string{c.F("change.listed", name)}
	}
	var out []string
	add := func(key string, args ...any) { out = append(out, c.F(key, args...)) }

	if o, n := old.Status, cur.Status; o != n {
		add("change.status", valueName(c, "status.", o), valueName(c, "status.", n))
	}
	if o, n := licenceList(old), licenceList(cur); o != n {
		switch {
		case o == "":
			add("change.licenceset", n)
		case n == "":
			add("change.licencegone", o)
		default:
			add("change.licence", o, n)
		}
	}
	oldCalls := map[string]bool{}
	if old.Funding != nil {
		for _, fc := range old.Funding.Calls {
			oldCalls[callKey(fc)] = true
		}
	}
	if cur.Funding != nil {
		for _, fc := range cur.Funding.Calls {
			if !oldCalls[callKey(fc)] {
				title, _ := fc.Title.Get(lang)
				if fc.Deadline != "" {
					add("change.calldeadline", title, fc.Deadline)
				} else {
					add("change.call", title)
				}
			}
		}
		if old.Funding == nil || len(cur.Funding.Channels) > len(old.Funding.Channels) {
			add("change.channel")
		}
	}
	if o, n := governance(old, c), governance(cur, c); o != n && n != "" {
		add("change.governance", n)
	}
	if o, n := old.Links.Homepage, cur.Links.Homepage; o != n && n != "" {
		add("change.homepage", n)
	}
	if o, n := old.Links.Repository, cur.Links.Repository; o != n && n != "" {
		add("change.repository", n)
	}
	if !equalText(old.Name, cur.Name) {
		n, _ := cur.Name.Get(lang)
		add("change.name", n)
	}
	if added := missingFrom(countryCodes(cur), countryCodes(old)); len(added) > 0 {
		names := make([]string, len(added))
		for i, code := range added {
			names[i] = i18n.CountryName(c.Lang(), code)
		}
		add("change.countries", strings.Join(names, ", "))
	}
	if added := missingFrom(cur.Kinds, old.Kinds); len(added) > 0 {
		names := make([]string, len(added))
		for i, k := range added {
			names[i] = valueName(c, "kind.", k)
		}
		add("change.kinds", strings.Join(names, ", "))
	}
	if !equalText(old.Summary, cur.Summary) || !equalText(old.Description, cur.Description) {
		add("change.description")
	}
	if len(out) == 0 && old.ContentHash() != cur.ContentHash() {
		add("change.other")
	}
	return out
}

// valueName is a value of a closed list (a kind, a status, a role) in the
// catalogue's language: the message prefix+v, or v when there is none.
func valueName(c *i18n.Catalogue, prefix, v string) string {
	if v == "" {
		return v
	}
	if s := c.T(prefix + v); s != prefix+v {
		return s
	}
	return v
}

func licenceList(r *commons.Record) string {
	parts := make([]string, len(r.Licences))
	for i, l := range r.Licences {
		parts[i] = l.Expression
	}
	return strings.Join(parts, ", ")
}

func governance(r *commons.Record, c *i18n.Catalogue) string {
	if r.Governance == nil {
		return ""
	}
	return strings.TrimSpace(r.Governance.LegalEntity + " " + valueName(c, "govmodel.", r.Governance.Model))
}

func countryCodes(r *commons.Record) []string {
	var cs []string
	for _, c := range r.Countries {
		if !slices.Contains(cs, c.Code) {
			cs = append(cs, c.Code)
		}
	}
	return cs
}

// missingFrom returns the elements of a that b lacks, in a's order.
func missingFrom(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func equalText(a, b commons.Text) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// callKey identifies a funding call: its address and every title.
func callKey(c commons.FundingCall) string {
	var b strings.Builder
	b.WriteString(c.URL)
	for _, l := range c.Title.Languages() {
		b.WriteString("\x00" + l + "\x00" + c.Title[l])
	}
	return b.String()
}
