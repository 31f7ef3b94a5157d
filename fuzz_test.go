package commons_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/commons-directory/commons"
)

// FuzzDecodeRecord feeds the record decoder arbitrary documents (seeds:
// testdata/fuzz/FuzzDecodeRecord, taken from the demo directory and the
// decoder's tests). Decoding, normalising and validating must never panic
// and must refuse with EINVALID; a record that validates must survive its
// own JSON: decoded again, it is the same record and still valid.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{
		`{"slug":"osm","name":{"en":"OpenStreetMap"},"kinds":["geodata"],"status":"stable","licences":[{"expression":"ODbL-1.0","applies_to":"data"}]}`,
		`{"slug":"a","licences":[{"expression":"MIT"},{"expresion":"MIT"}]}`,
		`{"slug":"a","kinds":"software","governance":{"community_size":"many"}}`,
		`{"slug":`, ``, `{"slug":"a"} {"slug":"b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		r, err := commons.DecodeRecord(bytes.NewReader(doc))
		if err != nil {
			if commons.ErrorCode(err) != commons.EINVALID {
				t.Fatalf("refused with %v, not EINVALID", err)
			}
			return
		}
		r.Normalize()
		if err := r.Validate(); err != nil {
			if commons.ErrorCode(err) != commons.EINVALID {
				t.Fatalf("invalid with %v, not EINVALID", err)
			}
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("a valid record does not encode: %v", err)
		}
		again, err := commons.DecodeRecord(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("a valid record's JSON does not decode: %v\n%s", err, b)
		}
		again.Normalize()
		if err := again.Validate(); err != nil {
			t.Fatalf("a valid record is invalid once encoded and decoded: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(r, again) {
			t.Fatalf("the record changes through its JSON:\n%s", b)
		}
	})
}
