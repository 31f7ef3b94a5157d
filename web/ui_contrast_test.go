package web

import (
	"regexp"
	"strings"
	"testing"
)

// TestStyleContrast reads the colour variables of the stylesheet, light
// and dark, and checks every text/background pair the pages use against
// WCAG 2's 4.5:1 for normal text.
func TestStyleContrast(t *testing.T) {
	css := string(mustParsePages().style)
	decl := regexp.MustCompile(`--([a-z]+): (#[0-9a-f]{6})`)
	blocks := strings.SplitN(css, "prefers-color-scheme: dark", 2)
	if len(blocks) != 2 {
		t.Fatal("no dark scheme in the stylesheet")
	}
	pairs := [][2]string{{"fg", "bg"}, {"accent", "bg"}, {"muted", "bg"}, {"err", "bg"}, {"ok", "bg"},
		{"fg", "soft"}, {"accent", "soft"}, {"muted", "soft"}, {"bg", "accent"}, {"fg", "mark"}}
	for i, scheme := range []string{"light", "dark"} {
		vars := map[string]string{}
		for _, m := range decl.FindAllStringSubmatch(blocks[i], -1) {
			if _, seen := vars[m[1]]; !seen {
				vars[m[1]] = m[2]
			}
		}
		for _, p := range pairs {
			fg, bg := vars[p[0]], vars[p[1]]
			if fg == "" || bg == "" {
				t.Fatalf("%s: --%s or --%s missing", scheme, p[0], p[1])
			}
			if c := contrast(fg, bg); c < 4.5 {
				t.Errorf("%s: --%s %s on --%s %s has contrast %.2f, want ≥ 4.5", scheme, p[0], fg, p[1], bg, c)
			}
		}
	}
}
