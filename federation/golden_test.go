package federation

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got (JSON) with testdata/name, indented; -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: output is not JSON: %v\n%s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n got: %s\nwant: %s", name, buf.Bytes(), want)
	}
}

const testPEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest\n-----END PUBLIC KEY-----\n"

func goldenRecord() *commons.Record {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &commons.Record{
		ID:          "https://commons.example.eu/records/openstreetmap",
		Slug:        "openstreetmap",
		Name:        commons.Text{"en": "OpenStreetMap", "fr": "OpenStreetMap"},
		Summary:     commons.Text{"en": "The free map of the world, made by <everyone>.", "fr": "La carte libre du monde."},
		Kinds:       []string{"geodata"},
		Status:      "stable",
		Countries:   []commons.Country{{Code: "GB", Role: "origin"}},
		Licences:    []commons.Licence{{Expression: "ODbL-1.0", AppliesTo: "data"}},
		Governance:  &commons.Governance{Model: "foundation", LegalEntity: "OpenStreetMap Foundation"},
		Funding:     &commons.Funding{Channels: []commons.FundingChannel{{Kind: "donation", URL: "https://supporting.openstreetmap.org/"}}},
		Links:       commons.Links{Homepage: "https://www.openstreetmap.org/"},
		Identifiers: []commons.Identifier{{Scheme: "wikidata", Value: "Q936"}},
		Provenance:  commons.Provenance{Origin: "https://commons.example.eu", Created: at, Updated: at.Add(24 * time.Hour), Version: 2},
	}
}

func TestGoldenRecordActor(t *testing.T) {
	doc, err := RecordActor("https://commons.example.eu", "en", goldenRecord(), testPEM).Document("https://commons.example.eu/inbox")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "actor-record.json", doc)

	// What Mastodon requires, checked on the document itself as well.
	var m map[string]any
	json.Unmarshal(doc, &m)
	if _, ok := m["attachment"].([]any); !ok {
		t.Error("attachment is not an array")
	}
	if m["id"] != "https://commons.example.eu/records/openstreetmap" || m["type"] != "Service" || m["preferredUsername"] != "openstreetmap" {
		t.Errorf("id/type/preferredUsername wrong: %v %v %v", m["id"], m["type"], m["preferredUsername"])
	}
	key, _ := m["publicKey"].(map[string]any)
	if key["id"] != "https://commons.example.eu/records/openstreetmap#main-key" || key["owner"] != m["id"] || key["publicKeyPem"] != testPEM {
		t.Errorf("publicKey wrong: %v", key)
	}
}

func TestGoldenRecordActorOneField(t *testing.T) {
	r := goldenRecord()
	r.Licences, r.Governance, r.Funding, r.Countries = nil, nil, nil, nil
	doc, err := RecordActor("https://commons.example.eu", "fr", r, testPEM).Document("https://commons.example.eu/inbox")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "actor-record-one-field.json", doc)
}

func goldenPost() *Post {
	r := goldenRecord()
	tags := []Tag{{Hashtag("geodata"), "https://commons.example.eu/topics/geodata"}, {Hashtag("GB"), "https://commons.example.eu/topics/gb"}}
	return &Post{
		ID:        r.ID + "/posts/01J0000000000000000000000A",
		Actor:     r.ID,
		Lang:      "en",
		Content:   ChangeContent("OpenStreetMap", r.ID, []string{"Licence changed from ODbL-1.0 to CC-BY-SA-4.0."}, tags),
		Tags:      tags,
		Published: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC),
	}
}

func TestGoldenNote(t *testing.T) {
	note, err := goldenPost().NoteDocument()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "note.json", note)
	create, err := goldenPost().CreateDocument()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "create-note.json", create)

	var m struct {
		To         []string          `json:"to"`
		Cc         []string          `json:"cc"`
		Content    string            `json:"content"`
		ContentMap map[string]string `json:"contentMap"`
		Tag        []map[string]any  `json:"tag"`
	}
	if err := json.Unmarshal(note, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.To) != 1 || m.To[0] != Public || len(m.Cc) != 1 || m.ContentMap["en"] != m.Content || len(m.Tag) != 2 {
		t.Errorf("note addressing/content/tags wrong: %+v", m)
	}
}

func TestHashtag(t *testing.T) {
	for in, want := range map[string]string{"ai-model": "AiModel", "geodata": "Geodata", "FR": "FR", "maintained-only": "MaintainedOnly"} {
		if got := Hashtag(in); got != want {
			t.Errorf("Hashtag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGoldenActivities(t *testing.T) {
	at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	const rec = "https://commons.example.eu/records/openstreetmap"
	follow := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       "https://mastodon.example/8f2f2b1e", "type": "Follow",
		"actor": "https://mastodon.example/users/alice", "object": rec,
	}
	actorDoc, err := RecordActor("https://commons.example.eu", "en", goldenRecord(), testPEM).Document("https://commons.example.eu/inbox")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]func() ([]byte, error){
		"accept.json":       func() ([]byte, error) { return AcceptDocument(rec+"#accepts/1", rec, follow) },
		"update-actor.json": func() ([]byte, error) { return UpdateActorDocument(rec+"#updates/2", actorDoc, at) },
		"delete-actor.json": func() ([]byte, error) { return DeleteDocument(rec+"#delete", rec, rec, at) },
		"tombstone.json":    func() ([]byte, error) { return TombstoneDocument(rec, at) },
		"announce.json": func() ([]byte, error) {
			return AnnounceDocument("https://commons.example.eu/topics/geodata/announces/1", "https://commons.example.eu/topics/geodata", rec+"/posts/1", at)
		},
		"outbox.json": func() ([]byte, error) { return OrderedCollectionDocument(rec+"/outbox", 1, rec+"/outbox?page=true") },
		"outbox-page.json": func() ([]byte, error) {
			return OrderedCollectionPageDocument(rec+"/outbox?page=true", rec+"/outbox", []any{rec + "/posts/1/activity"}, "")
		},
	}
	for name, build := range docs {
		t.Run(name, func(t *testing.T) {
			b, err := build()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, b)
		})
	}
}

func TestGoldenInstanceActor(t *testing.T) {
	created := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	doc, err := InstanceActor("https://commons.example.eu", "commons.example.eu", commons.Text{"fr": "Annuaire des communs"}, commons.Text{"fr": "Les communs numériques de France."}, "fr", testPEM, created).Document("https://commons.example.eu/inbox")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "actor-instance.json", doc)
}

// TestRecordActorIconAndTimes: a renamed record's generated icon gets a new
// URL, so that servers fetch the new avatar; an unchanged one keeps it;
// times carry milliseconds.
func TestRecordActorIconAndTimes(t *testing.T) {
	r := goldenRecord()
	r.Provenance.Updated = time.Date(2026, 3, 2, 12, 0, 0, 123_456_789, time.UTC)
	doc := func(r *commons.Record) map[string]any {
		t.Helper()
		b, err := RecordActor("https://commons.example.eu", "en", r, testPEM).Document("https://commons.example.eu/inbox")
		if err != nil {
			t.Fatal(err)
		}
		m, err := unmarshalMap(b)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	icon := func(m map[string]any) string { return m["icon"].(map[string]any)["url"].(string) }
	before := doc(r)
	if got := before["updated"]; got != "2026-03-02T12:00:00.123Z" {
		t.Errorf("updated %v, want milliseconds", got)
	}
	if again := doc(goldenRecord()); icon(again) != icon(before) {
		t.Errorf("same name, new icon URL: %s, %s", icon(again), icon(before))
	}
	renamed := goldenRecord()
	renamed.Name = commons.Text{"en": "Open Maps"}
	if icon(doc(renamed)) == icon(before) {
		t.Errorf("renamed record kept its icon URL %s", icon(before))
	}
	if !strings.HasPrefix(icon(before), r.ID+"/icon.png?v=") {
		t.Errorf("icon URL %s", icon(before))
	}
}
