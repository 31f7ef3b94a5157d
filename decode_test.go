package commons_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

func TestDecodeRecord(t *testing.T) {
	tests := []struct {
		name, doc string
		fields    []string // field paths named, in any order
		message   string   // or a message fragment when no field applies
	}{
		{"UnknownNested", `{"slug":"a","licences":[{"expression":"MIT"},{"expresion":"MIT"}]}`, []string{"licences[1].expresion"}, ""},
		{"WrongType", `{"slug":"a","kinds":"software","governance":{"community_size":"many"}}`, []string{"kinds", "governance.community_size"}, ""},
		{"Malformed", `{"slug":`, nil, "malformed JSON"},
		{"Empty", ``, nil, "empty"},
		{"Trailing", `{"slug":"a"} {"slug":"b"}`, nil, "more than one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := commons.DecodeRecord(strings.NewReader(tt.doc))
			if commons.ErrorCode(err) != commons.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			got := map[string]bool{}
			for _, f := range commons.ErrorFields(err) {
				got[f.Field] = true
			}
			for _, f := range tt.fields {
				if !got[f] {
					t.Errorf("field %s not named in %v", f, err)
				}
			}
			if len(got) != len(tt.fields) {
				t.Errorf("fields %v, want %v", got, tt.fields)
			}
			if tt.message != "" && !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err %q does not contain %q", err, tt.message)
			}
		})
	}
	if r, err := commons.DecodeRecord(strings.NewReader(`{"slug":"ok","name":{"en":"OK"}}`)); err != nil || r.Slug != "ok" {
		t.Fatalf("valid record: %v", err)
	}
}

// TestDecodeFundingCallTitles reads a call's title as a language map or,
// as before titles had languages, a string given the record's first
// language; a wrong field inside a call is still named with its path.
func TestDecodeFundingCallTitles(t *testing.T) {
	rec, err := commons.DecodeRecord(strings.NewReader(`{"languages": ["pl"], "funding": {"calls": [
		{"title": "Nabór", "url": "https://fund.example/a"},
		{"title": {"en": "Call", "pl": "Nabór"}, "url": "https://fund.example/b"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	rec.Normalize()
	if got := rec.Funding.Calls[0].Title; len(got) != 1 || got["pl"] != "Nabór" {
		t.Errorf("string title read as %v", got)
	}
	if got := rec.Funding.Calls[1].Title; len(got) != 2 || got["en"] != "Call" {
		t.Errorf("map title read as %v", got)
	}
	rec, err = commons.DecodeRecord(strings.NewReader(`{"name": {"sv": "S"}, "funding": {"calls": [{"title": "Utlysning", "url": "https://fund.example/a"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	rec.Normalize()
	if got := rec.Funding.Calls[0].Title; got["sv"] != "Utlysning" {
		t.Errorf("without languages, the name's language: %v", got)
	}
	_, err = commons.DecodeRecord(strings.NewReader(`{"funding": {"calls": [{"title": "x", "url": "https://fund.example/a", "amount": 3}, {"title": 7}]}}`))
	msg := fmt.Sprint(err)
	for _, want := range []string{"funding.calls[0].amount: is not a known field", "funding.calls[1].title: must be an object"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}
