package federation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/commons-directory/commons"
)

// Describe says in words, in the language lang (en, fr or de; English
// otherwise), what changed between two versions of a record: one sentence
// a change, most important first. It returns nil when nothing a follower
// would care about changed. old is nil for a new record.
func Describe(old, cur *commons.Record, lang string) []string {
	w := wordsFor(lang)
	if old == nil {
		name, _ := cur.Name.Get(lang)
		return []string{fmt.Sprintf(w.listed, name)}
	}
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	if o, n := old.Status, cur.Status; o != n {
		add(w.status, o, n)
	}
	if o, n := licenceList(old), licenceList(cur); o != n {
		switch {
		case o == "":
			add(w.licenceSet, n)
		case n == "":
			add(w.licenceGone, o)
		default:
			add(w.licence, o, n)
		}
	}
	oldCalls := map[string]bool{}
	if old.Funding != nil {
		for _, c := range old.Funding.Calls {
			oldCalls[c.URL+c.Title] = true
		}
	}
	if cur.Funding != nil {
		for _, c := range cur.Funding.Calls {
			if !oldCalls[c.URL+c.Title] {
				if c.Deadline != "" {
					add(w.callDeadline, c.Title, c.Deadline)
				} else {
					add(w.call, c.Title)
				}
			}
		}
		if old.Funding == nil || len(cur.Funding.Channels) > len(old.Funding.Channels) {
			add("%s", w.channel)
		}
	}
	if o, n := governance(old), governance(cur); o != n && n != "" {
		add(w.governance, n)
	}
	if o, n := old.Links.Homepage, cur.Links.Homepage; o != n && n != "" {
		add(w.homepage, n)
	}
	if o, n := old.Links.Repository, cur.Links.Repository; o != n && n != "" {
		add(w.repository, n)
	}
	if !equalText(old.Name, cur.Name) {
		n, _ := cur.Name.Get(lang)
		add(w.name, n)
	}
	if added := missingFrom(countryCodes(cur), countryCodes(old)); len(added) > 0 {
		add(w.countries, strings.Join(added, ", "))
	}
	if added := missingFrom(cur.Kinds, old.Kinds); len(added) > 0 {
		add(w.kinds, strings.Join(added, ", "))
	}
	if !equalText(old.Summary, cur.Summary) || !equalText(old.Description, cur.Description) {
		add("%s", w.description)
	}
	if len(out) == 0 && old.ContentHash() != cur.ContentHash() {
		add("%s", w.other)
	}
	return out
}

type changeWords struct {
	listed, status, licence, licenceSet, licenceGone, call, callDeadline, channel,
	governance, homepage, repository, name, countries, kinds, description, other string
}

func wordsFor(lang string) changeWords {
	switch strings.SplitN(lang, "-", 2)[0] {
	case "fr":
		return changeWords{
			listed: "%s rejoint l’annuaire.", status: "Statut : %s → %s.",
			licence: "Licence modifiée : %s → %s.", licenceSet: "Licence indiquée : %s.", licenceGone: "Licence retirée : %s.",
			call: "Nouvel appel à financement : %s.", callDeadline: "Nouvel appel à financement : %s (date limite %s).",
			channel: "Nouveau moyen de soutenir ce commun.", governance: "Gouvernance : %s.",
			homepage: "Nouveau site web : %s", repository: "Nouveau dépôt de code : %s", name: "Nouveau nom : %s.",
			countries: "Nouveaux pays : %s.", kinds: "Nouvelles catégories : %s.",
			description: "Description mise à jour.", other: "Fiche mise à jour.",
		}
	case "de":
		return changeWords{
			listed: "%s ist neu im Verzeichnis.", status: "Status: %s → %s.",
			licence: "Lizenz geändert: %s → %s.", licenceSet: "Lizenz angegeben: %s.", licenceGone: "Lizenz entfernt: %s.",
			call: "Neue Förderausschreibung: %s.", callDeadline: "Neue Förderausschreibung: %s (Frist %s).",
			channel: "Neue Möglichkeit, dieses Gemeingut zu unterstützen.", governance: "Governance: %s.",
			homepage: "Neue Website: %s", repository: "Neues Code-Repository: %s", name: "Neuer Name: %s.",
			countries: "Neue Länder: %s.", kinds: "Neue Kategorien: %s.",
			description: "Beschreibung aktualisiert.", other: "Eintrag aktualisiert.",
		}
	}
	return changeWords{
		listed: "%s joins the directory.", status: "Status changed from %s to %s.",
		licence: "Licence changed from %s to %s.", licenceSet: "Licence stated: %s.", licenceGone: "Licence removed: %s.",
		call: "New funding call: %s.", callDeadline: "New funding call: %s (deadline %s).",
		channel: "A new way to support this commons.", governance: "Governance: %s.",
		homepage: "New homepage: %s", repository: "New code repository: %s", name: "New name: %s.",
		countries: "New countries: %s.", kinds: "New kinds: %s.",
		description: "Description updated.", other: "Record updated.",
	}
}

func licenceList(r *commons.Record) string {
	parts := make([]string, len(r.Licences))
	for i, l := range r.Licences {
		parts[i] = l.Expression
	}
	return strings.Join(parts, ", ")
}

func governance(r *commons.Record) string {
	if r.Governance == nil {
		return ""
	}
	return strings.TrimSpace(r.Governance.LegalEntity + " " + r.Governance.Model)
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
