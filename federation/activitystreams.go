package federation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// This file is the one place where our documents meet go-fed's streams:
// the vocabulary v1.0.0 knows is built with its typed API, then serialised
// and normalised, because its output breaks Mastodon in places (one-element
// arrays collapse, content and contentMap merge, a dead @context entry) and
// it lacks terms Mastodon needs (endpoints, PropertyValue, Hashtag,
// manuallyApprovesFollowers, indexable). The golden files in testdata pin
// the result.

// Public is the ActivityStreams public collection.
const Public = "https://www.w3.org/ns/activitystreams#Public"

// ldContext is the @context of every document we serve: AS2, the security
// vocabulary for publicKey (and the Multikey terms of FEP-521a for the
// integrity key), and the extension terms we use, with
// Mastodon's (historically wrong, but expected) schema.org IRI.
var ldContext = []any{
	"https://www.w3.org/ns/activitystreams",
	"https://w3id.org/security/v1",
	map[string]any{
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"sensitive":                 "as:sensitive",
		"Hashtag":                   "as:Hashtag",
		"toot":                      "http://joinmastodon.org/ns#",
		"discoverable":              "toot:discoverable",
		"indexable":                 "toot:indexable",
		"featured":                  map[string]any{"@id": "toot:featured", "@type": "@id"},
		"commons":                   "https://w3id.org/commons-directory#",
		"commonsRecord":             map[string]any{"@id": "commons:record", "@type": "@json"},
		"commonsRecords":            map[string]any{"@id": "commons:records", "@type": "@id"},
		"commonsCursor":             "commons:cursor",
		"assertionMethod":           map[string]any{"@id": "sec:assertionMethod", "@type": "@id", "@container": "@set"},
		"Multikey":                  "sec:Multikey",
		"controller":                map[string]any{"@id": "sec:controller", "@type": "@id"},
		"publicKeyMultibase":        "sec:publicKeyMultibase",
		"schema":                    "http://schema.org#",
		"PropertyValue":             "schema:PropertyValue",
		"value":                     "schema:value",
	},
}

// arrayProps must be JSON arrays even with one element: Mastodon ignores a
// non-array attachment, and clients expect arrays for the others.
var arrayProps = []string{"attachment", "tag", "to", "cc", "orderedItems", "items", "alsoKnownAs"}

// normalize fixes a go-fed serialisation for the fediverse: our @context,
// arrays kept as arrays, and no content/contentMap merged into one value.
func normalize(m map[string]any) map[string]any {
	m["@context"] = ldContext
	forceArrays(m)
	return m
}

func forceArrays(m map[string]any) {
	for _, k := range arrayProps {
		if v, ok := m[k]; ok {
			if _, isArr := v.([]any); !isArr {
				m[k] = []any{v}
			}
		}
	}
	for k, v := range m {
		if k == "@context" {
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			forceArrays(v)
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					forceArrays(em)
				}
			}
		}
	}
}

// serialize turns a streams value into a JSON map.
func serialize(t vocab.Type) (map[string]any, error) {
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", t.GetTypeName(), err)
	}
	return m, nil
}

// marshal encodes a document without HTML escaping (our HTML fields hold
// markup that must survive as is).
func marshal(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func mustIRI(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(fmt.Sprintf("federation: bad IRI %q: %v", s, err)) // we build every IRI ourselves
	}
	return u
}

func idProp(s string) vocab.JSONLDIdProperty {
	p := streams.NewJSONLDIdProperty()
	p.Set(mustIRI(s))
	return p
}

func timeProp(t time.Time) (vocab.ActivityStreamsPublishedProperty, vocab.ActivityStreamsUpdatedProperty) {
	p := streams.NewActivityStreamsPublishedProperty()
	p.Set(t.UTC().Truncate(time.Second))
	u := streams.NewActivityStreamsUpdatedProperty()
	u.Set(t.UTC().Truncate(time.Second))
	return p, u
}

// stamp writes a time as our documents carry it: UTC with milliseconds,
// as Mastodon writes its own. go-fed's serialisation drops the fraction,
// so the builders overwrite what it wrote.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
