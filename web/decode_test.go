package web

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/commons-directory/commons"
)

func TestDecodeRecordNamesFields(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // field paths, any order
	}{
		{"UnknownTop", `{"slug":"a","colour":"red"}`, []string{"colour"}},
		{"UnknownNested", `{"licences":[{"expression":"MIT"},{"expresion":"MIT"}]}`, []string{"licences[1].expresion"}},
		{"WrongTypeInList", `{"licences":[{"expression":"MIT"},{"expression":7}]}`, []string{"licences[1].expression"}},
		{"WrongTypeInText", `{"name":{"fr":2}}`, []string{"name.fr"}},
		{"WrongTypeObject", `{"governance":[]}`, []string{"governance"}},
		{"Several", `{"kinds":"software","x":1,"links":{"homepage":1}}`, []string{"kinds", "x", "links.homepage"}},
		{"NotAnObject", `[1]`, []string{"(document)"}},
		{"BadTime", `{"provenance":{"created":"yesterday"}}`, []string{"provenance.created"}},
		{"FloatForInt", `{"governance":{"community_size":1.5}}`, []string{"governance.community_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeRecord([]byte(tt.body))
			if code := commons.ErrorCode(err); code != commons.EINVALID {
				t.Fatalf("code = %q (%v), want %q", code, err, commons.EINVALID)
			}
			var got []string
			for _, f := range commons.ErrorFields(err) {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("fields = %v, want %v (%v)", got, want, err)
			}
		})
	}
	t.Run("CaseInsensitiveKeyIsKnown", func(t *testing.T) {
		rec, err := decodeRecord([]byte(`{"Slug":"osm"}`))
		if err != nil || rec.Slug != "osm" {
			t.Fatalf("decodeRecord = %+v, %v", rec, err)
		}
	})
	for _, body := range []string{``, `{`, `{"slug":"a"} {}`, `nul`} {
		if _, err := decodeRecord([]byte(body)); commons.ErrorCode(err) != commons.EINVALID {
			t.Errorf("decodeRecord(%q) = %v, want EINVALID", body, err)
		}
	}
}

func TestFieldPointer(t *testing.T) {
	for field, want := range map[string]string{
		"slug":                      "/slug",
		"licences[1].expression":    "/licences/1/expression",
		"name.pt-BR":                "/name/pt-BR",
		"funding.calls[0].deadline": "/funding/calls/0/deadline",
		"countries[2]":              "/countries/2",
		"(document)":                "",
		"links.a/b~c":               "/links/a~1b~0c",
	} {
		if got := fieldPointer(field); got != want {
			t.Errorf("fieldPointer(%q) = %q, want %q", field, got, want)
		}
	}
}

func TestMergePatch(t *testing.T) {
	// Cases from RFC 7396 appendix A.
	tests := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, tt := range tests {
		var target, patch, want any
		for _, p := range []struct {
			s string
			v *any
		}{{tt.target, &target}, {tt.patch, &patch}, {tt.want, &want}} {
			if err := json.Unmarshal([]byte(p.s), p.v); err != nil {
				t.Fatal(err)
			}
		}
		if got := mergePatch(target, patch); !reflect.DeepEqual(got, want) {
			t.Errorf("mergePatch(%s, %s) = %v, want %s", tt.target, tt.patch, got, tt.want)
		}
	}
}
