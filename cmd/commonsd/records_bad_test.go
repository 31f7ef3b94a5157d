package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportBadInput checks the bad inputs at the command line:
// a malformed YAML, a publiccode.yml of an unknown version, a CSV with a
// wrong column, a bad JSON line. Each gives one message naming the line
// and the field or column, and nothing is imported.
func TestImportBadInput(t *testing.T) {
	sample, err := os.ReadFile("../../publiccode/testdata/publiccode.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	version := strings.Replace(string(sample), `publiccodeYmlVersion: "0.4"`, `publiccodeYmlVersion: "0.9"`, 1)
	if version == string(sample) {
		t.Fatal("the sample has no publiccodeYmlVersion line to change")
	}
	for _, tt := range []struct {
		name string
		args []string
		says []string // in the error or on standard error
	}{
		{"MalformedYAML", []string{"record", "import-publiccode", write("malformed.yml", "name: Medusa\nurl: \"https://example.com/medusa.git\n")},
			[]string{"malformed.yml:2: ", "malformed YAML"}},
		{"UnknownVersion", []string{"record", "import-publiccode", write("version.yml", version)},
			[]string{"version.yml:2: publiccodeYmlVersion: ", `"0.9"`}},
		{"CSVWrongColumn", []string{"record", "import", write("wrong.csv", "slug,name.en,licence\nosm,OpenStreetMap,ODbL-1.0\n")},
			[]string{`column 3 "licence" is not a column`, "nothing was imported"}},
		{"CSVBadCell", []string{"record", "import", write("cell.csv", "slug,name.en,kinds,status\nok,OK,data,stable\nbad,Bad,data,shiny\n")},
			[]string{"line 3 (bad)", "status", "nothing was imported"}},
		{"JSONLUnknownField", []string{"record", "import", write("field.jsonl", osmLine+"\n"+`{"slug":"x","colour":"red"}`+"\n")},
			[]string{"line 2", "colour"}},
		{"JSONLMalformed", []string{"record", "import", write("broken.jsonl", osmLine+"\n{\"slug\": \n")},
			[]string{"line 2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			_, errOut, err := e.run(context.Background(), "", tt.args...)
			if err == nil {
				t.Fatalf("%v succeeded", tt.args)
			}
			msg := err.Error() + "\n" + errOut
			for _, want := range tt.says {
				if !strings.Contains(msg, want) {
					t.Errorf("the message does not say %q:\n%s", want, msg)
				}
			}
			if out := e.mustRun("", "record", "export"); out != "" {
				t.Errorf("a refused import stored records:\n%s", out)
			}
		})
	}
}
