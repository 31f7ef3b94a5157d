package federation

import (
	"strings"
	"testing"
)

func TestLinkHashtags(t *testing.T) {
	f := &Federation{base: "https://commons.example.eu"}
	link := func(name string) string {
		return `<a href="https://commons.example.eu/?q=` + name + `" class="mention hashtag" rel="tag">#<span>` + name + `</span></a>`
	}
	tests := []struct {
		in, want string
		tags     []string
	}{
		{"<p>New #maps and #Cartes.</p>", "<p>New " + link("maps") + " and " + link("Cartes") + ".</p>", []string{"maps", "Cartes"}},
		{"<p>#géodonnées first</p>", `<p><a href="https://commons.example.eu/?q=g%C3%A9odonn%C3%A9es" class="mention hashtag" rel="tag">#<span>géodonnées</span></a> first</p>`, []string{"géodonnées"}},
		{`<p><a href="https://x.example/#frag">see #inlink</a> <code>#code</code></p><pre>#pre</pre>`, `<p><a href="https://x.example/#frag">see #inlink</a> <code>#code</code></p><pre>#pre</pre>`, nil},
		{"<p>issue#12, #123, it&#39;s, x/#y</p>", "<p>issue#12, #123, it&#39;s, x/#y</p>", nil},
		{"<p>#Software twice: #software</p>", "<p>" + link("Software") + " twice: " + link("software") + "</p>", nil},
	}
	for _, tt := range tests {
		got, tags := f.linkHashtags(tt.in, []Tag{{Name: "Software"}})
		if got != tt.want {
			t.Errorf("linkHashtags(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
		var names []string
		for _, tag := range tags {
			names = append(names, tag.Name)
		}
		if strings.Join(names, ",") != strings.Join(tt.tags, ",") {
			t.Errorf("linkHashtags(%q) tags %v, want %v", tt.in, names, tt.tags)
		}
	}
}
