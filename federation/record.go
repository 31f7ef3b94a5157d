package federation

import (
	"fmt"
	"strings"

	"github.com/commons-directory/commons"
)

// RecordActor describes a local record as a Service actor: its posts are
// automated, so Mastodon shows it as a bot. base is the instance's base
// URL, lang its default language.
func RecordActor(base, lang string, r *commons.Record, publicKeyPEM string) *Actor {
	a := &Actor{
		Type:         "Service",
		ID:           r.ID,
		Username:     r.Slug,
		Name:         r.Name,
		Summary:      r.Summary,
		Lang:         lang,
		PublicKeyPEM: publicKeyPEM,
		Published:    r.Provenance.Created,
		Updated:      r.Provenance.Updated,
		Fields:       recordFields(r, lang),
	}
	if r.Logo != "" {
		a.IconURL, a.IconType = r.Logo, mediaTypeOf(r.Logo)
	} else {
		n, _ := r.Name.Get(lang)
		a.IconURL, a.IconType = IconURL(r.ID, n), "image/png"
	}
	return a
}

// recordFields are the profile fields of a record actor, most important
// first: clients show four.
func recordFields(r *commons.Record, lang string) []Field {
	l := labelsFor(lang)
	var fs []Field
	if r.Links.Homepage != "" {
		fs = append(fs, Field{l.homepage, linkHTML(r.Links.Homepage, true)})
	}
	if len(r.Licences) > 0 {
		parts := make([]string, len(r.Licences))
		for i, lic := range r.Licences {
			parts[i] = lic.Expression
			if lic.AppliesTo != "" {
				parts[i] += " (" + lic.AppliesTo + ")"
			}
		}
		fs = append(fs, Field{l.licence, escape(strings.Join(parts, ", "))})
	}
	if g := r.Governance; g != nil && (g.Model != "" || g.LegalEntity != "") {
		v := g.LegalEntity
		switch {
		case v == "":
			v = g.Model
		case g.Model != "":
			v += " (" + g.Model + ")"
		}
		fs = append(fs, Field{l.governance, escape(v)})
	}
	if f := r.Funding; f != nil && len(f.Channels) > 0 {
		fs = append(fs, Field{l.funding, linkHTML(f.Channels[0].URL, false)})
	}
	if len(r.Countries) > 0 {
		parts := make([]string, len(r.Countries))
		for i, c := range r.Countries {
			parts[i] = fmt.Sprintf("%s (%s)", c.Code, c.Role)
		}
		fs = append(fs, Field{l.countries, escape(strings.Join(parts, ", "))})
	}
	if r.Links.Repository != "" {
		fs = append(fs, Field{l.repository, linkHTML(r.Links.Repository, false)})
	}
	return fs
}

type fieldLabels struct{ homepage, licence, governance, funding, countries, repository string }

func labelsFor(lang string) fieldLabels {
	switch strings.SplitN(lang, "-", 2)[0] {
	case "fr":
		return fieldLabels{"Site web", "Licence", "Gouvernance", "Financement", "Pays", "Code source"}
	case "de":
		return fieldLabels{"Website", "Lizenz", "Governance", "Förderung", "Länder", "Quellcode"}
	}
	return fieldLabels{"Homepage", "Licence", "Governance", "Funding", "Countries", "Repository"}
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

func mediaTypeOf(u string) string {
	switch {
	case strings.HasSuffix(u, ".svg"):
		return "image/svg+xml"
	case strings.HasSuffix(u, ".jpg"), strings.HasSuffix(u, ".jpeg"):
		return "image/jpeg"
	case strings.HasSuffix(u, ".webp"):
		return "image/webp"
	case strings.HasSuffix(u, ".gif"):
		return "image/gif"
	}
	return "image/png"
}
