package federation

import (
	"slices"
	"testing"

	"github.com/commons-directory/commons"
)

// TestDueCalls walks a programme's calls through the days, as the clock
// the job is given: the opening is due from its day until the deadline,
// the reminder in the two weeks before it; nothing after the deadline or
// for a closed programme. The ids stay the same from day to day, which
// is what makes each post go out once.
func TestDueCalls(t *testing.T) {
	p := &commons.Record{ID: "https://a.example/records/fund", Slug: "fund", Programme: &commons.Programme{Status: "open", Calls: []commons.ProgrammeCall{
		{Title: commons.Text{"en": "Spring"}, Opens: "2027-03-01", Deadline: "2027-04-01"},
		{Title: commons.Text{"en": "Anytime"}},
	}}}
	due := func(today string) []string {
		var out []string
		for _, d := range dueCalls(p, today, "en") {
			out = append(out, d.key+" "+d.arg[0].(string))
		}
		return out
	}
	for _, c := range []struct {
		today string
		want  []string
	}{
		{"2027-02-28", []string{"programme.post.open Anytime"}},
		{"2027-03-01", []string{"programme.post.openuntil Spring", "programme.post.open Anytime"}},
		{"2027-03-17", []string{"programme.post.openuntil Spring", "programme.post.open Anytime"}},
		{"2027-03-18", []string{"programme.post.openuntil Spring", "programme.post.reminder Spring", "programme.post.open Anytime"}},
		{"2027-04-01", []string{"programme.post.openuntil Spring", "programme.post.reminder Spring", "programme.post.open Anytime"}},
		{"2027-04-02", []string{"programme.post.open Anytime"}},
	} {
		if got := due(c.today); !slices.Equal(got, c.want) {
			t.Errorf("%s: due %v, want %v", c.today, got, c.want)
		}
	}
	a, b := dueCalls(p, "2027-03-20", "en"), dueCalls(p, "2027-03-25", "en")
	if len(a) != 3 || len(b) != 3 || a[0].id != b[0].id || a[1].id != b[1].id || a[0].id == a[1].id {
		t.Errorf("post ids move from day to day: %v / %v", a, b)
	}
	p.Programme.Status = "closed"
	if got := due("2027-03-20"); got != nil {
		t.Errorf("a closed programme owes %v", got)
	}
}
