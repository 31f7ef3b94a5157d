package publiccode

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commons-directory/commons/publiccode/pctest"
)

func matches(c pctest.Case, problems []Problem) bool {
	for _, p := range problems {
		if c.Is(p.Line, p.Field, p.Message) {
			return true
		}
	}
	return false
}

// TestCorpus parses every file of the corpus and checks its verdict, and
// for a warning or an error the line, key and message the case names.
func TestCorpus(t *testing.T) {
	cases := pctest.Cases(t)
	files, _ := filepath.Glob(filepath.Join(pctest.Dir(), "*.yml"))
	if len(files) != len(cases) {
		t.Errorf("%d files in the corpus, %d cases in cases.txt", len(files), len(cases))
	}
	for _, c := range cases {
		t.Run(c.File, func(t *testing.T) {
			res, err := Parse(c.Read(t), c.File)
			var pe *ParseError
			switch c.Verdict {
			case "ok", "warning":
				if err != nil {
					t.Fatalf("refused, want %s:\n%v", c.Verdict, err)
				}
				if c.Verdict == "warning" && !matches(c, res.Warnings) {
					t.Errorf("no warning at line %d on %s saying %q; warnings: %v", c.Line, c.Key, c.Message, res.Warnings)
				}
			case "error":
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v, want a *ParseError", err)
				}
				if !matches(c, pe.Problems) {
					t.Errorf("no error at line %d on %s saying %q:\n%v", c.Line, c.Key, c.Message, err)
				}
			}
		})
	}
}

// TestCorpusExport exports the record of every accepted file of the corpus
// and parses the export: no error, the version the file was read in, and
// the record's content (name, licence, relations) back.
func TestCorpusExport(t *testing.T) {
	for _, c := range pctest.Cases(t) {
		if c.Verdict == "error" {
			continue
		}
		t.Run(c.File, func(t *testing.T) {
			res, err := Parse(c.Read(t), c.File)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Marshal(res.Record, ExportOptions{Instance: "https://dir.example", RecordURL: "https://dir.example/records/" + res.Record.Slug})
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			back, err := Parse(out, "export.yml")
			if err != nil {
				t.Fatalf("our export is refused: %v\n%s", err, out)
			}
			if back.Version != res.Version {
				t.Errorf("exported in %s, read in %s", back.Version, res.Version)
			}
			if back.Record.Name.String() != res.Record.Name.String() || back.Record.Licences[0] != res.Record.Licences[0] ||
				len(back.Record.Relations) != len(res.Record.Relations) {
				t.Errorf("round trip: %+v\nfrom %+v", back.Record, res.Record)
			}
		})
	}
}

// TestAliasBomb refuses a file whose aliases expand to billions of values
// (a "billion laughs"), quickly, and reads nested merge keys.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("publiccodeYmlVersion: \"0.7\"\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	_, err := Parse([]byte(b.String()), "")
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "uses aliases that expand to more than") {
		t.Fatalf("err = %v", err)
	}

	// features reach description.en only through two merge keys.
	base := strings.Replace(string(pctest.Cases(t)[0].Read(t)), "    features:\n      - Publishes pages\n", "", 1)
	nested := strings.Replace(base, "description:\n  en:\n",
		"x-base: &base\n  features: [Publishes pages]\nx-mid: &mid\n  <<: *base\n  shortDescription: A content management system for small municipalities\ndescription:\n  en:\n    <<: *mid\n", 1)
	_, err = Parse([]byte(nested), "")
	if err == nil || !strings.Contains(err.Error(), "x-base: is not a key") || strings.Contains(err.Error(), "features: is required") {
		t.Errorf("nested merge keys: %v", err)
	}
}
