package web

import (
	"net/http"

	"golang.org/x/text/language"
)

// Page languages. English first: it is the fallback.
var (
	pageLanguageTags = []string{"en", "fr", "de"}
	pageLanguages    = []language.Tag{language.English, language.French, language.German}
	langMatcher      = language.NewMatcher(pageLanguages)
)

// langCookie remembers a language chosen with the switcher.
const langCookie = "lang"

// pageLanguage picks the page language: ?lang= when it names one we have,
// else the language cookie, else the best match for Accept-Language, else
// English.
func pageLanguage(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		if _, ok := messages[l]; ok {
			return l
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := messages[c.Value]; ok {
			return c.Value
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

// messages holds every string the pages show, per language (i18n_en.go,
// i18n_fr.go, i18n_de.go). A key missing in one language falls back to
// English; a test keeps English and French complete, and German complete
// on the public pages.
var messages = map[string]map[string]string{"en": messagesEN, "fr": messagesFR, "de": messagesDE}

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
	"de": {
		400: "Die Anfrage ist ungültig", 401: "Anmeldung erforderlich", 403: "Nicht erlaubt",
		404: "Seite nicht gefunden", 405: "Methode nicht erlaubt", 410: "Dieser Eintrag wurde gelöscht",
		412: "Der Eintrag wurde geändert", 413: "Zu groß", 415: "Inhaltstyp nicht unterstützt",
		428: "Vorbedingung erforderlich", 429: "Zu viele Anfragen", 500: "Etwas ist schiefgegangen",
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
