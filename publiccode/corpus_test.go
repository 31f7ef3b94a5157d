package publiccode

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusCase is one line of testdata/corpus/cases.txt: a file and what the
// reference parser's rules make of it.
type corpusCase struct {
	File    string
	Verdict string // ok, warning or error
	Line    int
	Key     string
	Message string // a part of the message
}

// readCorpus reads testdata/corpus/cases.txt; other packages' tests read
// it too (through the CLI and the API).
func readCorpus(t testing.TB, dir string) []corpusCase {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, " | ")
		for len(parts) < 5 {
			parts = append(parts, "")
		}
		c := corpusCase{File: parts[0], Verdict: parts[1], Key: parts[3], Message: parts[4]}
		if parts[2] != "" {
			if c.Line, err = strconv.Atoi(parts[2]); err != nil {
				t.Fatalf("cases.txt: %q: bad line number", line)
			}
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatal("cases.txt lists no case")
	}
	return out
}

// matches reports whether one of problems is the case's: its line, key
// and message.
func (c corpusCase) matches(problems []Problem) bool {
	for _, p := range problems {
		if p.Line == c.Line && p.Field == c.Key && strings.Contains(p.Message, c.Message) {
			return true
		}
	}
	return false
}

// TestCorpus parses every file of the corpus and checks its verdict, and
// for a warning or an error the line, key and message the case names.
func TestCorpus(t *testing.T) {
	cases := readCorpus(t, "testdata/corpus")
	files, _ := filepath.Glob("testdata/corpus/*.yml")
	if len(files) != len(cases) {
		t.Errorf("%d files in the corpus, %d cases in cases.txt", len(files), len(cases))
	}
	for _, c := range cases {
		t.Run(c.File, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/corpus", c.File))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Parse(b, c.File)
			var pe *ParseError
			switch c.Verdict {
			case "ok", "warning":
				if err != nil {
					t.Fatalf("refused, want %s:\n%v", c.Verdict, err)
				}
				if c.Verdict == "warning" && !c.matches(res.Warnings) {
					t.Errorf("no warning at line %d on %s saying %q; warnings: %v", c.Line, c.Key, c.Message, res.Warnings)
				}
			case "error":
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v, want a *ParseError", err)
				}
				if !c.matches(pe.Problems) {
					t.Errorf("no error at line %d on %s saying %q:\n%v", c.Line, c.Key, c.Message, err)
				}
			default:
				t.Fatalf("verdict %q: want ok, warning or error", c.Verdict)
			}
		})
	}
}
