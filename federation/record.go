package federation

import (
	"strings"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
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
	c := i18n.For(lang)
	var fs []Field
	if r.Links.Homepage != "" {
		fs = append(fs, Field{c.T("profile.homepage"), linkHTML(r.Links.Homepage, true)})
	}
	if len(r.Licences) > 0 {
		parts := make([]string, len(r.Licences))
		for i, lic := range r.Licences {
			parts[i] = lic.Expression
			if lic.AppliesTo != "" {
				parts[i] += " (" + valueName(c, "scope.", lic.AppliesTo) + ")"
			}
		}
		fs = append(fs, Field{c.T("profile.licence"), escape(strings.Join(parts, ", "))})
	}
	if g := r.Governance; g != nil && (g.Model != "" || g.LegalEntity != "") {
		v := g.LegalEntity
		switch {
		case v == "":
			v = valueName(c, "govmodel.", g.Model)
		case g.Model != "":
			v += " (" + valueName(c, "govmodel.", g.Model) + ")"
		}
		fs = append(fs, Field{c.T("profile.governance"), escape(v)})
	}
	if f := r.Funding; f != nil && len(f.Channels) > 0 {
		fs = append(fs, Field{c.T("profile.funding"), linkHTML(f.Channels[0].URL, false)})
	}
	if len(r.Countries) > 0 {
		parts := make([]string, len(r.Countries))
		for i, co := range r.Countries {
			parts[i] = i18n.CountryName(lang, co.Code) + " (" + valueName(c, "countryrole.", co.Role) + ")"
		}
		fs = append(fs, Field{c.T("profile.countries"), escape(strings.Join(parts, ", "))})
	}
	if r.Links.Repository != "" {
		fs = append(fs, Field{c.T("profile.repository"), linkHTML(r.Links.Repository, false)})
	}
	return fs
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
