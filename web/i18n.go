package web

import (
	"net/http"

	"golang.org/x/text/language"
)

// Page languages. English first: it is the fallback.
var (
	pageLanguages = []language.Tag{language.English, language.French}
	langMatcher   = language.NewMatcher(pageLanguages)
)

// pageLanguage picks the page language: ?lang= when it names one we have,
// else the best match for Accept-Language, else English.
func pageLanguage(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if _, ok := messages[l]; ok {
			return l
		}
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	base, _ := pageLanguages[i].Base()
	return base.String()
}

// messages holds every string the pages show, per language. A key missing
// in one language falls back to English (a test keeps them complete).
var messages = map[string]map[string]string{
	"en": {
		"search.label":           "Search the directory",
		"search.button":          "Search",
		"search.placeholder":     "e.g. maps, encyclopedia, addresses",
		"results.count":          "%d commons found",
		"results.none":           "No commons match this search.",
		"results.next":           "Next page",
		"facets":                 "Refine",
		"facet.kind":             "Kind",
		"facet.country":          "Country",
		"facet.licence":          "Licence",
		"facet.language":         "Language",
		"facet.status":           "Status",
		"facet.origin":           "Instance",
		"facet.remove":           "remove filter",
		"record.kinds":           "Kinds",
		"record.status":          "Status",
		"record.countries":       "Countries",
		"record.languages":       "Languages",
		"record.licences":        "Licences",
		"record.links":           "Links",
		"record.orgs":            "Organisations",
		"record.governance":      "Governance",
		"record.funding":         "Funding",
		"record.identifiers":     "Identifiers",
		"record.relations":       "Related commons",
		"record.keywords":        "Keywords",
		"record.sectors":         "Sectors",
		"record.provenance":      "Provenance",
		"record.origin":          "Home instance",
		"record.version":         "Version %d, updated %s",
		"record.json":            "This record as JSON",
		"record.jsonld":          "as schema.org JSON-LD",
		"record.whole":           "whole commons",
		"error.back":             "Back to the directory",
		"nav.home":               "Directory home",
		"nav.skip":               "Skip to content",
		"nav.language":           "Language",
		"footer.api":             "JSON API (OpenAPI)",
		"feed.records":           "new and changed records",
		"link.homepage":          "Homepage",
		"link.repository":        "Source repository",
		"link.documentation":     "Documentation",
		"link.api_documentation": "API documentation",
		"link.data_portal":       "Data portal",
		"link.issue_tracker":     "Issue tracker",
		"link.roadmap":           "Roadmap",
		"link.forum":             "Forum",
		"link.fediverse":         "Fediverse account",
	},
	"fr": {
		"search.label":           "Rechercher dans l’annuaire",
		"search.button":          "Rechercher",
		"search.placeholder":     "p. ex. cartes, encyclopédie, adresses",
		"results.count":          "%d communs trouvés",
		"results.none":           "Aucun commun ne correspond à cette recherche.",
		"results.next":           "Page suivante",
		"facets":                 "Affiner",
		"facet.kind":             "Type",
		"facet.country":          "Pays",
		"facet.licence":          "Licence",
		"facet.language":         "Langue",
		"facet.status":           "État",
		"facet.origin":           "Instance",
		"facet.remove":           "retirer le filtre",
		"record.kinds":           "Types",
		"record.status":          "État",
		"record.countries":       "Pays",
		"record.languages":       "Langues",
		"record.licences":        "Licences",
		"record.links":           "Liens",
		"record.orgs":            "Organisations",
		"record.governance":      "Gouvernance",
		"record.funding":         "Financement",
		"record.identifiers":     "Identifiants",
		"record.relations":       "Communs liés",
		"record.keywords":        "Mots-clés",
		"record.sectors":         "Secteurs",
		"record.provenance":      "Provenance",
		"record.origin":          "Instance d’origine",
		"record.version":         "Version %d, mise à jour le %s",
		"record.json":            "Cette fiche en JSON",
		"record.jsonld":          "en JSON-LD schema.org",
		"record.whole":           "l’ensemble du commun",
		"error.back":             "Retour à l’annuaire",
		"nav.home":               "Accueil de l’annuaire",
		"nav.skip":               "Aller au contenu",
		"nav.language":           "Langue",
		"footer.api":             "API JSON (OpenAPI)",
		"feed.records":           "fiches nouvelles et modifiées",
		"link.homepage":          "Site web",
		"link.repository":        "Dépôt des sources",
		"link.documentation":     "Documentation",
		"link.api_documentation": "Documentation de l’API",
		"link.data_portal":       "Portail de données",
		"link.issue_tracker":     "Suivi des tickets",
		"link.roadmap":           "Feuille de route",
		"link.forum":             "Forum",
		"link.fediverse":         "Compte sur le fédivers",
	},
}

// errorTitles are the page titles of error pages, by status.
var errorTitles = map[string]map[int]string{
	"en": {
		400: "The request is not valid", 401: "Sign-in needed", 403: "Not allowed",
		404: "Page not found", 405: "Method not allowed", 410: "This record was deleted",
		412: "The record has changed", 413: "Too large", 415: "Unsupported content type",
		428: "Precondition required", 429: "Too many requests", 500: "Something went wrong",
	},
	"fr": {
		400: "La requête n’est pas valide", 401: "Connexion nécessaire", 403: "Non autorisé",
		404: "Page introuvable", 405: "Méthode non autorisée", 410: "Cette fiche a été supprimée",
		412: "La fiche a changé", 413: "Trop volumineux", 415: "Type de contenu non pris en charge",
		428: "Condition préalable requise", 429: "Trop de requêtes", 500: "Une erreur est survenue",
	},
}

// translate returns the message key in lang, or in English.
func translate(lang, key string) string {
	if s, ok := messages[lang][key]; ok {
		return s
	}
	if s, ok := messages["en"][key]; ok {
		return s
	}
	return key
}
