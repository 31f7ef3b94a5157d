package federation

import (
	"html"
	"net/url"
	"regexp"
	"strings"
)

// hashtagRE finds a hashtag as Mastodon does: # after a start or a
// character that cannot end a word or a URL, then letters, digits and _,
// with at least one letter or _.
var hashtagRE = regexp.MustCompile(`(^|[^\p{L}\p{N}_/)&#])#([\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)`)

// linkHashtags turns the hashtags an editor typed in a post's HTML into
// the links Mastodon writes, pointing at this directory's search, and
// returns them as tags. Text inside links, code and pre is left alone;
// a tag already in have (case-insensitive) is linked but not added again.
func (f *Federation) linkHashtags(s string, have []Tag) (string, []Tag) {
	seen := make(map[string]bool, len(have))
	for _, t := range have {
		seen[strings.ToLower(t.Name)] = true
	}
	var out strings.Builder
	var tags []Tag
	skip := 0 // depth of a, code and pre elements
	for s != "" {
		lt := strings.IndexByte(s, '<')
		text := s
		if lt >= 0 {
			text = s[:lt]
		}
		if skip == 0 && strings.IndexByte(text, '#') >= 0 {
			text = hashtagRE.ReplaceAllStringFunc(text, func(m string) string {
				sub := hashtagRE.FindStringSubmatch(m)
				name := html.UnescapeString(sub[2])
				href := f.base + "/?q=" + url.QueryEscape(name)
				if !seen[strings.ToLower(name)] {
					seen[strings.ToLower(name)] = true
					tags = append(tags, Tag{Name: name, Href: href})
				}
				return sub[1] + `<a href="` + html.EscapeString(href) + `" class="mention hashtag" rel="tag">#<span>` + sub[2] + `</span></a>`
			})
		}
		out.WriteString(text)
		if lt < 0 {
			break
		}
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			out.WriteString(s[lt:])
			break
		}
		tag := s[lt : lt+gt+1]
		out.WriteString(tag)
		switch name := elementName(tag); name {
		case "a", "code", "pre":
			skip++
		case "/a", "/code", "/pre":
			if skip > 0 {
				skip--
			}
		}
		s = s[lt+gt+1:]
	}
	return out.String(), tags
}

// elementName is the lower-case name of an HTML tag, "/p" for a closing one.
func elementName(tag string) string {
	t := strings.TrimPrefix(tag, "<")
	end := strings.IndexAny(t, " \t\n/>")
	if strings.HasPrefix(t, "/") {
		end = strings.IndexAny(t[1:], " \t\n>")
		if end >= 0 {
			end++
		}
	}
	if end < 0 {
		end = len(t)
	}
	return strings.ToLower(t[:end])
}
