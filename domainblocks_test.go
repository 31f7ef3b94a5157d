package commons_test

import (
	"strings"
	"testing"

	"github.com/commons-directory/commons"
)

func TestParseDomainBlocksCSV(t *testing.T) {
	const mastodon = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n" +
		"spam.example,suspend,true,true,Spam,false\n" +
		"loud.example,silence,false,false,\"Loud, rude\",false\n" +
		"media.example,noop,true,false,,false\n"
	got, err := commons.ParseDomainBlocksCSV(strings.NewReader(mastodon))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Domain != "spam.example" || got[0].Reason != "Spam" || got[1].Domain != "loud.example" || got[1].Reason != "Loud, rude" || got[1].Severity != "suspend" {
		t.Errorf("mastodon export: %+v", got)
	}
	got, err = commons.ParseDomainBlocksCSV(strings.NewReader("a.example\nB.example\n"))
	if err != nil || len(got) != 2 || got[1].Domain != "b.example" {
		t.Errorf("plain list: %+v, %v", got, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"#domain,#severity\nok.example,suspend\nbad domain,suspend\n", "line 3: #domain"},
		{"#domain,#severity\nok.example,explode\n", "line 2: #severity"},
		{"", "no domain"},
		{"#domain,#severity\n\"unterminated,suspend\n", "line"},
	} {
		_, err := commons.ParseDomainBlocksCSV(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) || commons.ErrorCode(err) != commons.EINVALID {
			t.Errorf("%q: %v, want an error with %q", tt.in, err, tt.want)
		}
	}
}
