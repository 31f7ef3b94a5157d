package web

import "fmt"

// importMessages are the import page's messages, kept beside the page and
// added to the pages' messages (i18n_*.go) when the package starts.
var importMessages = map[string]map[string]string{
	"en": {
		"import.title":        "Import a publiccode.yml",
		"import.lead":         "Paste a publiccode.yml (versions 0.2 to 0.7) or give the address of one. The record that carries the same url is updated, or a new record is created. A file with a mistake changes nothing.",
		"import.link":         "Import a publiccode.yml",
		"import.yaml":         "publiccode.yml",
		"import.yamlhelp":     "The whole file, as it is in the repository.",
		"import.url":          "or its address",
		"import.urlhelp":      "The raw file, for example https://raw.githubusercontent.com/…/publiccode.yml",
		"import.dryrun":       "Only show what would change; save nothing",
		"import.submit":       "Import",
		"import.problems":     "The file was not imported",
		"import.line":         "line %d",
		"import.warnings":     "Keys the record has no place for",
		"import.created":      "The record %s was created.",
		"import.updated":      "The record %s was updated.",
		"import.unchanged":    "The record %s already says what the file says: nothing changed.",
		"import.drycreated":   "The file is valid: it would create the record %s. Nothing was saved.",
		"import.dryupdated":   "The file is valid: it would update the record %s. Nothing was saved.",
		"import.dryunchanged": "The file is valid and the record %s already says what it says.",
		"import.changes":      "What changed",
		"import.empty":        "Paste a publiccode.yml or give its address.",
		"import.both":         "Paste a file or give an address, not both.",
		"import.nofetch":      "This instance does not fetch files by address: paste the file instead.",
	},
	"fr": {
		"import.title":        "Importer un publiccode.yml",
		"import.lead":         "Collez un publiccode.yml (versions 0.2 à 0.7) ou donnez son adresse. La fiche qui porte la même url est mise à jour, sinon une fiche est créée. Un fichier qui contient une erreur ne change rien.",
		"import.link":         "Importer un publiccode.yml",
		"import.yaml":         "publiccode.yml",
		"import.yamlhelp":     "Le fichier entier, tel qu’il est dans le dépôt.",
		"import.url":          "ou son adresse",
		"import.urlhelp":      "Le fichier brut, par exemple https://raw.githubusercontent.com/…/publiccode.yml",
		"import.dryrun":       "Montrer seulement ce qui changerait, sans rien enregistrer",
		"import.submit":       "Importer",
		"import.problems":     "Le fichier n’a pas été importé",
		"import.line":         "ligne %d",
		"import.warnings":     "Clés que la fiche ne peut pas contenir",
		"import.created":      "La fiche %s a été créée.",
		"import.updated":      "La fiche %s a été mise à jour.",
		"import.unchanged":    "La fiche %s dit déjà ce que dit le fichier : rien n’a changé.",
		"import.drycreated":   "Le fichier est valide : il créerait la fiche %s. Rien n’a été enregistré.",
		"import.dryupdated":   "Le fichier est valide : il mettrait à jour la fiche %s. Rien n’a été enregistré.",
		"import.dryunchanged": "Le fichier est valide et la fiche %s dit déjà ce qu’il dit.",
		"import.changes":      "Ce qui a changé",
		"import.empty":        "Collez un publiccode.yml ou donnez son adresse.",
		"import.both":         "Collez un fichier ou donnez une adresse, pas les deux.",
		"import.nofetch":      "Cette instance ne télécharge pas de fichiers par adresse : collez plutôt le fichier.",
	},
	"de": {
		"import.title":        "Eine publiccode.yml importieren",
		"import.lead":         "Fügen Sie eine publiccode.yml (Versionen 0.2 bis 0.7) ein oder geben Sie ihre Adresse an. Der Eintrag mit derselben url wird aktualisiert, sonst wird ein neuer Eintrag angelegt. Eine fehlerhafte Datei ändert nichts.",
		"import.link":         "Eine publiccode.yml importieren",
		"import.yaml":         "publiccode.yml",
		"import.yamlhelp":     "Die ganze Datei, wie sie im Repository liegt.",
		"import.url":          "oder ihre Adresse",
		"import.urlhelp":      "Die Rohdatei, zum Beispiel https://raw.githubusercontent.com/…/publiccode.yml",
		"import.dryrun":       "Nur zeigen, was sich ändern würde; nichts speichern",
		"import.submit":       "Importieren",
		"import.problems":     "Die Datei wurde nicht importiert",
		"import.line":         "Zeile %d",
		"import.warnings":     "Schlüssel, für die der Eintrag keinen Platz hat",
		"import.created":      "Der Eintrag %s wurde angelegt.",
		"import.updated":      "Der Eintrag %s wurde aktualisiert.",
		"import.unchanged":    "Der Eintrag %s sagt schon, was die Datei sagt: nichts hat sich geändert.",
		"import.drycreated":   "Die Datei ist gültig: Sie würde den Eintrag %s anlegen. Nichts wurde gespeichert.",
		"import.dryupdated":   "Die Datei ist gültig: Sie würde den Eintrag %s aktualisieren. Nichts wurde gespeichert.",
		"import.dryunchanged": "Die Datei ist gültig, und der Eintrag %s sagt schon, was sie sagt.",
		"import.changes":      "Was sich geändert hat",
		"import.empty":        "Fügen Sie eine publiccode.yml ein oder geben Sie ihre Adresse an.",
		"import.both":         "Eine Datei einfügen oder eine Adresse angeben, nicht beides.",
		"import.nofetch":      "Diese Instanz lädt keine Dateien über eine Adresse: Fügen Sie die Datei ein.",
	},
}

func init() {
	for lang, msgs := range importMessages {
		for k, v := range msgs {
			if _, dup := messages[lang][k]; dup {
				panic(fmt.Sprintf("web: message %s/%s defined twice", lang, k))
			}
			messages[lang][k] = v
		}
	}
}
