package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/commons-directory/commons/publiccode/pctest"
)

// TestRecordRoundTrip exports a directory as CSV and as JSON Lines,
// imports each file into an empty instance and exports again: the same
// bytes.
func TestRecordRoundTrip(t *testing.T) {
	a := newTestEnv(t)
	a.mustRun(osmLine+"\n"+banLine+"\n", "record", "import", "-")
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			first := filepath.Join(dir, "first."+format)
			a.mustRun("", "record", "export", "--output", first) // format from the extension
			b := newTestEnv(t)
			if out := b.mustRun("", "record", "import", first); !strings.Contains(out, "2 created") {
				t.Errorf("import printed %q", out)
			}
			second := b.mustRun("", "record", "export", "--format", format)
			want, err := os.ReadFile(first)
			if err != nil {
				t.Fatal(err)
			}
			if second != string(want) {
				t.Errorf("export → import → export differs:\n%s\n----\n%s", want, second)
			}
			if format == "csv" && !strings.HasPrefix(second, "slug,name.en,name.fr,summary.fr,kinds,") {
				t.Errorf("CSV header: %s", strings.SplitN(second, "\n", 2)[0])
			}
		})
	}
	t.Run("BadCSV", func(t *testing.T) {
		dir := t.TempDir()
		// The last file has a good row and a bad one, for --skip-invalid.
		for _, tt := range []struct{ csv, says string }{
			{"slug,colour\nx,red\n", `line 1: column 2 "colour" is not a column`},
			{"slug,name.en,kinds,status,licences\nok,OK,data,stable,\nbad,Bad,data,stable,\"[{\"\"expression\"\":\"\"GPL-9\"\"}]\"\n", `line 3 (bad): the record is invalid: licences[0].expression: "GPL-9"`},
			{"slug,name.en,kinds,status,countries\nok,OK,data,stable,\nbad,Bad,data,stable,FR\n", "line 3: countries: must be a JSON array"},
		} {
			path := filepath.Join(dir, "in.csv")
			os.WriteFile(path, []byte(tt.csv), 0o600)
			b := newTestEnv(t)
			_, _, err := b.run(context.Background(), "", "record", "import", path)
			if err == nil || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "nothing was imported") {
				t.Errorf("err = %v, want %q", err, tt.says)
			}
			if out := b.mustRun("", "record", "export"); out != "" {
				t.Errorf("a failed import stored records: %q", out)
			}
		}
		b := newTestEnv(t)
		_, errOut, err := b.run(context.Background(), "", "record", "import", "--skip-invalid", filepath.Join(dir, "in.csv"))
		if err != nil || !strings.Contains(errOut, "line 3") {
			t.Errorf("--skip-invalid: %v, %q", err, errOut)
		}
	})
	t.Run("RemoteCopyRefused", func(t *testing.T) {
		b := newTestEnv(t)
		line := strings.Replace(osmLine, `{"slug"`, `{"provenance":{"origin":"https://peer.example","source":"manual","created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z","version":1,"hash":""},"slug"`, 1)
		if _, _, err := b.run(context.Background(), line+"\n", "record", "import", "-"); err == nil || !strings.Contains(err.Error(), "copy of a record of https://peer.example") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestImportPubliccode(t *testing.T) {
	sample, err := os.ReadFile("../../publiccode/testdata/publiccode.yml")
	if err != nil {
		t.Fatal(err)
	}
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/medusa/publiccode.yml" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(strings.Replace(string(sample), "developmentStatus: development", "developmentStatus: stable", 1)))
	}))
	defer files.Close()
	e := newTestEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "publiccode.yml")
	os.WriteFile(file, sample, 0o600)

	out, errOut, err := e.run(context.Background(), "", "record", "import-publiccode", "--dry-run", file)
	if err != nil || !strings.Contains(out, "record medusa would be created") {
		t.Fatalf("dry run: %v %q %q", err, out, errOut)
	}
	out, errOut, err = e.run(context.Background(), "", "record", "import-publiccode", file)
	if err != nil || !strings.Contains(out, "record medusa created") || !strings.Contains(errOut, "warning: "+file+":10: platforms: not imported") {
		t.Fatalf("import: %v %q %q", err, out, errOut)
	}
	// By URL: refused on loopback unless the configuration allows it.
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("# sources\n"+files.URL+"/medusa/publiccode.yml\n"), 0o600)
	_, errOut, err = e.run(context.Background(), "", "record", "import-publiccode", "--list", list)
	if err == nil || !strings.Contains(errOut, "non-public address") {
		t.Errorf("loopback fetch: %v %q", err, errOut)
	}
	e.vars["COMMONSD_FEDERATION_ALLOW_PRIVATE_ADDRESSES"] = "true"
	out, errOut, err = e.run(context.Background(), "", "record", "import-publiccode", "--list", list)
	if err != nil || !strings.Contains(out, "record medusa updated") || !strings.Contains(out, "fields changed: status") {
		t.Fatalf("update by URL: %v %q %q", err, out, errOut)
	}
	if exp := e.mustRun("", "record", "export"); strings.Count(exp, "\n") != 1 || !strings.Contains(exp, `"source_url":"`+files.URL) {
		t.Errorf("export after two imports:\n%s", exp)
	}
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte(strings.Replace(string(sample), "AGPL-3.0-or-later", "GPL-9", 1)), 0o600)
	_, errOut, err = e.run(context.Background(), "", "record", "import-publiccode", bad, files.URL+"/missing.yml")
	if err == nil || !strings.Contains(err.Error(), "2 of 2") || !strings.Contains(errOut, bad+`:44: legal.license: "GPL-9" is not a valid SPDX expression`) || !strings.Contains(errOut, "404") {
		t.Errorf("bad files: %v\n%s", err, errOut)
	}
}

// TestImportPubliccodeCorpus runs record import-publiccode --dry-run on
// every file of the publiccode.yml corpus at once and checks each verdict
// in what the command prints: the record it would create, the warning
// (file:line: key: message) or the error.
func TestImportPubliccodeCorpus(t *testing.T) {
	e := newTestEnv(t)
	cases := pctest.Cases(t)
	args := []string{"record", "import-publiccode", "--dry-run"}
	failing := 0
	for _, c := range cases {
		args = append(args, filepath.Join(pctest.Dir(), c.File))
		if c.Verdict == "error" {
			failing++
		}
	}
	// The standard's other name for the file, publiccode.yaml, is read alike.
	yamlName := filepath.Join(t.TempDir(), "publiccode.yaml")
	if err := os.WriteFile(yamlName, cases[0].Read(t), 0o600); err != nil {
		t.Fatal(err)
	}
	args = append(args, yamlName)
	out, errOut, err := e.run(context.Background(), "", args...)
	if !strings.Contains(out, yamlName+": record ") {
		t.Errorf("%s: not accepted:\n%s", yamlName, errOut)
	}
	if want := fmt.Sprintf("%d of %d publiccode.yml files were not imported", failing, len(cases)+1); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	for _, c := range cases {
		name := filepath.Join(pctest.Dir(), c.File)
		where := name
		if c.Line > 0 {
			where += ":" + strconv.Itoa(c.Line)
		}
		if c.Key != "" {
			where += ": " + c.Key
		}
		switch c.Verdict {
		case "ok":
			if !strings.Contains(out, name+": record ") {
				t.Errorf("%s: not accepted:\n%s", c.File, errOut)
			}
		case "warning":
			if !strings.Contains(out, name+": record ") || !containsLine(errOut, "warning: "+where+": ", c.Message) {
				t.Errorf("%s: no warning %q … %q", c.File, where, c.Message)
			}
		case "error":
			if !containsLine(errOut, where+": ", c.Message) || !strings.Contains(errOut, name+": nothing was imported") {
				t.Errorf("%s: no error %q … %q", c.File, where, c.Message)
			}
		}
	}
}

// containsLine reports whether a line of s starts with prefix and holds
// part.
func containsLine(s, prefix, part string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, part) {
			return true
		}
	}
	return false
}
