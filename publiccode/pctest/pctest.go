// Package pctest reads the publiccode.yml test corpus
// (publiccode/testdata/corpus), so that the parser's tests, the CLI's and
// the API's check the same files against the same verdicts.
package pctest

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Case is one line of cases.txt: a file of the corpus and what the
// standard's rules (as the reference parser applies them) make of it.
type Case struct {
	File    string
	Verdict string // ok, warning or error
	Line    int    // of the warning or error
	Key     string // its key path, as Problem.Field
	Message string // a part of its message
}

// Dir is the corpus directory, wherever the test runs from.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "corpus")
}

// Cases reads cases.txt.
func Cases(t testing.TB) []Case {
	t.Helper()
	f, err := os.Open(filepath.Join(Dir(), "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Case
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
		c := Case{File: parts[0], Verdict: parts[1], Key: parts[3], Message: parts[4]}
		if parts[2] != "" {
			if c.Line, err = strconv.Atoi(parts[2]); err != nil {
				t.Fatalf("cases.txt: %q: bad line number", line)
			}
		}
		if c.Verdict != "ok" && c.Verdict != "warning" && c.Verdict != "error" {
			t.Fatalf("cases.txt: %q: verdict must be ok, warning or error", line)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("cases.txt lists no case")
	}
	return out
}

// Read returns the case's file.
func (c Case) Read(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), c.File))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Is reports whether a problem (line, key, message) is the case's.
func (c Case) Is(line int, key, message string) bool {
	return line == c.Line && key == c.Key && strings.Contains(message, c.Message)
}
