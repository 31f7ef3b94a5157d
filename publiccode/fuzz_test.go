package publiccode

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/commons-directory/commons"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with the corpus: it never
// panics, a refusal is a *ParseError (or a too-large file) whose every
// problem has a message, and an accepted file gives a valid record that
// Marshal writes back as a file Parse accepts.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.yml")
	files = append(files, "testdata/publiccode.yml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Parse(b, "")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				if commons.ErrorCode(err) != commons.ETOOLARGE {
					t.Fatalf("error %v is not a *ParseError", err)
				}
				return
			}
			if len(pe.Problems) == 0 {
				t.Fatal("a *ParseError with no problem")
			}
			for _, p := range pe.Problems {
				if p.Message == "" {
					t.Fatalf("a problem without a message: %+v", p)
				}
			}
			return
		}
		if err := res.Record.Validate(); err != nil {
			t.Fatalf("accepted file gives an invalid record: %v", err)
		}
		out, err := Marshal(res.Record, ExportOptions{Instance: "https://dir.example"})
		if err != nil {
			return // a record without a licence has no file; Parse requires one, so this is only defensive
		}
		if _, err := Parse(out, ""); err != nil {
			t.Fatalf("our export of an accepted file is refused: %v\n%s", err, out)
		}
	})
}
