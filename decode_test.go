package commons_test

import (
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
