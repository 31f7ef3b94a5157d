package web

import (
	"bytes"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/commons-directory/commons"
)

const fuzzBase = "https://commons.example.eu"

// FuzzReadCSV feeds the CSV import arbitrary files (seeds:
// testdata/fuzz/FuzzReadCSV, an export of the demo directory among them).
// It must never panic and must refuse with EINVALID; the rows it reads
// that are valid records must survive an export and a second import.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"slug,name.en,kinds,status\nosm,OpenStreetMap,geodata,stable\n",
		"slug,name.en,name.fr,countries,licences\na,A,Ah,\"[{\"\"code\"\":\"\"FR\"\",\"\"role\"\":\"\"origin\"\"}]\",\"[{\"\"expression\"\":\"\"MIT\"\"}]\"\n",
		"slug,slug\n", "name.en\nx\n", "", "slug\n\"unterminated\n",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		rows, bad, err := ReadCSV(bytes.NewReader(data), fuzzBase, skip)
		if err != nil {
			if commons.ErrorCode(err) != commons.EINVALID {
				t.Fatalf("refused with %v, not EINVALID", err)
			}
			return
		}
		for _, e := range bad {
			if commons.ErrorCode(e) != commons.EINVALID {
				t.Fatalf("row refused with %v, not EINVALID", e)
			}
		}
		var valid []*commons.Record
		for _, row := range rows {
			if row.Record == nil || row.Line < 2 {
				t.Fatalf("row %+v", row)
			}
			row.Record.Normalize()
			if row.Record.Validate() == nil {
				valid = append(valid, row.Record)
			}
		}
		var out bytes.Buffer
		if err := WriteCSV(&out, valid, fuzzBase); err != nil {
			t.Fatalf("valid records do not export: %v", err)
		}
		again, _, err := ReadCSV(&out, fuzzBase, false)
		if err != nil {
			t.Fatalf("an export does not import: %v\n%s", err, out.String())
		}
		if len(again) != len(valid) {
			t.Fatalf("%d records exported, %d imported", len(valid), len(again))
		}
		for i, row := range again {
			row.Record.Normalize()
			if !reflect.DeepEqual(row.Record, valid[i]) {
				t.Fatalf("record %d changes through the CSV:\n%+v\n%+v\n%s", i, valid[i], row.Record, out.String())
			}
		}
	})
}

// FuzzMarkdown renders arbitrary descriptions as record pages do: the HTML
// must hold only the elements markdownPolicy allows, and no attribute but
// a link's href (http, https, mailto or relative) and rel.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{
		"# Title\n\nSome **bold** and _em_ text, a [link](https://example.org) and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
		"<script>alert(1)</script>",
		"[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](data:text/html,<b>)",
		"![img](https://tracker.example/p.gif) <img src=x onerror=alert(1)>",
		"<a href=\"https://x\" style=\"color:red\" onclick=\"y()\">a</a>",
	} {
		f.Add(s)
	}
	allowed := map[string]bool{"p": true, "br": true, "hr": true, "strong": true, "em": true, "del": true, "code": true,
		"pre": true, "blockquote": true, "ul": true, "ol": true, "li": true, "h1": true, "h2": true, "h3": true, "h4": true,
		"h5": true, "h6": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "a": true}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(markdown(src))
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			switch z.Next() {
			case html.ErrorToken:
				return
			case html.StartTagToken, html.SelfClosingTagToken:
				tok := z.Token()
				if !allowed[tok.Data] {
					t.Fatalf("rendered HTML holds <%s>:\n%s", tok.Data, out)
				}
				for _, a := range tok.Attr {
					switch {
					case tok.Data == "a" && a.Key == "href":
						u, err := url.Parse(a.Val)
						if err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
							t.Fatalf("rendered HTML links to %q:\n%s", a.Val, out)
						}
					case tok.Data == "a" && a.Key == "rel":
					default:
						t.Fatalf("rendered HTML holds %s=%q on <%s>:\n%s", a.Key, a.Val, tok.Data, out)
					}
				}
			}
		}
	})
}
