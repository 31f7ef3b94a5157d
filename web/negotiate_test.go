package web

import "testing"

func TestNegotiate(t *testing.T) {
	const ldProfile = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	tests := []struct {
		name, accept string
		offers       []string
		want         string
	}{
		{"NoHeader", "", pageOffers, mediaHTML},
		{"Browser", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", pageOffers, mediaHTML},
		{"JSON", "application/json", pageOffers, mediaJSON},
		{"JSONPreferred", "text/html;q=0.5, application/json", pageOffers, mediaJSON},
		{"HTMLPreferred", "application/json;q=0.5, text/html", pageOffers, mediaHTML},
		{"Wildcard", "*/*", pageOffers, mediaHTML},
		{"TypeWildcard", "application/*", pageOffers, mediaJSON},
		{"SpecificBeatsWildcard", "*/*;q=0.9, text/html;q=0.1", pageOffers, mediaJSON},
		{"ZeroExcludes", "text/html;q=0, */*", pageOffers, mediaJSON},
		{"NothingAcceptable", "image/png", pageOffers, mediaHTML},
		{"CaseInsensitive", "Application/JSON", pageOffers, mediaJSON},
		{"NoSubstringMatch", "application/jsonx", pageOffers, mediaHTML},
		{"CharsetParam", "text/html; charset=UTF-8;q=0.4, application/json;q=0.3", pageOffers, mediaHTML},
		{"ParamMismatch", "text/html; level=1, application/json;q=0.5", pageOffers, mediaJSON},
		{"BadQ", "application/json;q=abc, text/html;q=0.1", pageOffers, mediaHTML},
		{"Malformed", "garbage, application/json", pageOffers, mediaJSON},
		{"ErrorToJSONClient", "application/json", errorOffers, mediaJSON},
		{"ProblemExplicit", "application/problem+json", errorOffers, mediaProblem},
		{"ProfileMatches", ldProfile, []string{mediaHTML, ldProfile}, ldProfile},
		{"ProfileQuotedComma", `application/ld+json; profile="a,b", text/html;q=0.1`, []string{mediaHTML, `application/ld+json; profile="a,b"`}, `application/ld+json; profile="a,b"`},
		{"ProfileMismatch", `application/ld+json; profile="other"`, []string{mediaHTML, ldProfile}, mediaHTML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := negotiate(tt.accept, tt.offers); got != tt.want {
				t.Errorf("negotiate(%q) = %q, want %q", tt.accept, got, tt.want)
			}
		})
	}
}

func TestMatchAny(t *testing.T) {
	const tag = `"3-abc"`
	tests := []struct {
		header string
		weak   bool
		want   bool
	}{
		{`"3-abc"`, false, true},
		{`"2-abc", "3-abc"`, false, true},
		{`W/"3-abc"`, false, false},
		{`W/"3-abc"`, true, true},
		{`*`, false, true},
		{`"3-abd"`, true, false},
		{`3-abc`, false, false},
	}
	for _, tt := range tests {
		if got := matchAny(tt.header, tag, tt.weak); got != tt.want {
			t.Errorf("matchAny(%q, weak=%v) = %v, want %v", tt.header, tt.weak, got, tt.want)
		}
	}
}
