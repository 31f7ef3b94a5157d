package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// uiTool returns the path of a file of the pinned Node tools (html-validate,
// axe-core: web/testdata/ui-tools/package.json), skipping the test when they
// are not installed outside CI; under CI=true their absence is a failure.
func uiTool(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("testdata", "ui-tools", "node_modules", filepath.FromSlash(rel))
	_, err := os.Stat(p)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing (.ci/run installs it: npm ci --prefix web/testdata/ui-tools): %v", rel, err)
	}
	t.Skipf("%s is missing; npm ci --prefix web/testdata/ui-tools to run this test", rel)
	return ""
}

// uiPageKinds fetches one page of every kind the directory serves, public,
// editorial and operational, including forms showing errors, as a
// browser without JavaScript gets them: the public ones in every page
// language, the others in English and French. Keys are file-name-safe
// labels.
func uiPageKinds(t *testing.T, s *testServer) map[string]string {
	t.Helper()
	addRemote(t, s.db, "https://peer.example", "osm")
	pages := map[string]string{}
	for _, lang := range pageLanguageTags {
		b := s.browser(t)
		b.lang = lang
		for name, p := range map[string]string{
			"home": "/", "search": "/?q=map&kind=geodata", "record": "/records/osm", "record-fr": "/records/bano",
			"remote-record": "/instances/peer.example/records/osm", "instance": "/instances/peer.example",
			"topic-kind": "/topics/geodata", "topic-country": "/topics/fr", "about": "/about", "stats": "/stats",
			"legal": "/legal", "privacy": "/privacy", "accessibility": "/accessibility",
			"funding": "/funding?kind=geodata", "login": "/login", "history": "/records/osm/history",
			"remote-history": "/instances/peer.example/records/osm/history",
			"follow":         "/follow?target=" + url.QueryEscape(s.URL+"/records/osm"),
			"programmes":     "/funding/programmes", "find": "/funding/find?country=FR&kind=geodata&legal_form=association&purpose=maintenance",
			"find-none": "/funding/find?country=NO&kind=software", "programme": "/funding/programmes/geo-fund",
		} {
			pages[lang+"-"+name] = b.get(p, http.StatusOK)
		}
		_, pages[lang+"-notfound"] = b.do("GET", "/records/nope", nil)
		if lang != "en" && lang != "fr" {
			continue // English and French cover the editors' pages; every language the public ones
		}
		b.login("ada")
		for name, p := range map[string]string{
			"edit-new": "/edit/new", "edit": "/records/osm/edit", "delete": "/records/osm/delete", "post": "/records/osm/post",
			"account": "/account", "ops": "/ops", "users": "/ops/users",
			"edit-programme": "/records/geo-fund/edit", "new-programme": "/edit/new?programme=1",
		} {
			pages[lang+"-"+name] = b.get(p, http.StatusOK)
		}
		bad := url.Values{"slug": {"Bad Slug"}, "name.en": {""}, "countries[0].code": {"XX"}, "governance.community_size": {"many"}}
		_, pages[lang+"-edit-errors"] = b.post("/edit/new", bad, http.StatusUnprocessableEntity)
		_, pages[lang+"-ops-errors"] = b.post("/ops/blocks", url.Values{"domain": {"not a domain"}}, http.StatusUnprocessableEntity)
		_, pages[lang+"-users-errors"] = b.post("/ops/users", url.Values{"name": {"Bad Name"}, "password": {"short"}}, http.StatusUnprocessableEntity)
		_, pages[lang+"-token"] = b.post("/ops/tokens", url.Values{"user": {"ed"}, "label": {"ci " + lang}}, http.StatusOK)
	}
	return pages
}

// htmlValidateReport is what html-validate's JSON formatter prints.
type htmlValidateReport []struct {
	FilePath string `json:"filePath"`
	Messages []struct {
		RuleID   string `json:"ruleId"`
		Severity int    `json:"severity"`
		Message  string `json:"message"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
	} `json:"messages"`
}

// TestUIValidHTML checks every kind of page with html-validate (a real,
// offline HTML5 validator, pinned in web/testdata/ui-tools) under its
// recommended rules (web/testdata/ui-htmlvalidate.json). Any error fails.
func TestUIValidHTML(t *testing.T) {
	uiTool(t, "html-validate/bin/html-validate.mjs")
	s := newUIServer(t)
	validateHTML(t, uiPageKinds(t, s))
}

// validateHTML runs html-validate on pages (by file-name-safe label) and
// fails the test on each error. Without the tool it only logs, outside CI;
// tests that are about validation call uiTool first, to skip or fail.
func validateHTML(t *testing.T, pages map[string]string) {
	t.Helper()
	bin := filepath.Join("testdata", "ui-tools", "node_modules", "html-validate", "bin", "html-validate.mjs")
	if _, err := os.Stat(bin); err != nil && os.Getenv("CI") == "" {
		t.Logf("html-validate is not installed (npm ci --prefix web/testdata/ui-tools): pages not validated")
		return
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("html-validate needs node: %v", err)
	}
	dir := t.TempDir()
	var files []string
	for name, page := range pages {
		f := filepath.Join(dir, name+".html")
		if err := os.WriteFile(f, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	slices.Sort(files)
	cfg, err := filepath.Abs(filepath.Join("testdata", "ui-htmlvalidate.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The report goes to a file: node may exit before a large stdout is
	// flushed to a pipe.
	result := filepath.Join(dir, "report.json")
	cmd := exec.CommandContext(t.Context(), node, append([]string{bin, "--config", cfg, "--formatter", "json=" + result}, files...)...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err = cmd.Run()
	out, rerr := os.ReadFile(result)
	if rerr != nil {
		t.Fatalf("html-validate: %v, %v\n%s", err, rerr, stderr.String())
	}
	var report htmlValidateReport
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("html-validate output: %v\n%.2000s\n%s", err, out, stderr.String())
	}
	n := 0
	for _, f := range report {
		name := strings.TrimSuffix(filepath.Base(f.FilePath), ".html")
		lines := strings.Split(pages[name], "\n")
		for _, m := range f.Messages {
			if m.Severity < 2 {
				continue
			}
			n++
			src := ""
			if m.Line >= 1 && m.Line <= len(lines) {
				src = lines[m.Line-1]
			}
			t.Errorf("%s:%d:%d: %s (%s)\n\t%.200s", name, m.Line, m.Column, m.Message, m.RuleID, src)
		}
	}
	if err != nil && n == 0 {
		t.Errorf("html-validate failed without a message: %v\n%s", err, stderr.String())
	}
	t.Logf("html-validate checked %d pages: %d errors", len(pages), n)
}
