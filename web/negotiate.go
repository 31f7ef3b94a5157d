package web

import (
	"mime"
	"strconv"
	"strings"
)

// Media types web produces. A new representation (ActivityPub's
// application/activity+json and application/ld+json with the
// ActivityStreams profile) is a constant here and an entry in an offer list.
const (
	mediaHTML    = "text/html; charset=utf-8"
	mediaJSON    = "application/json"
	mediaProblem = "application/problem+json"
	mediaPatch   = "application/merge-patch+json"
)

// Offer lists, best first: when the client has no preference (no Accept,
// or equal q-values) the first acceptable one wins.
var (
	pageOffers = []string{mediaHTML, mediaJSON}
	// An ActivityPub client (a peer paging /actor/records, a server
	// fetching an actor) gets its errors as problem documents, as any JSON
	// client does: only a browser gets the HTML page.
	errorOffers = []string{mediaHTML, mediaProblem, mediaJSON, mediaActivity, mediaLDAS}
)

// negotiate returns the offer the Accept header value prefers (RFC 9110
// §12.5.1): each offer takes the q-value of the most specific media range
// that matches it (type/subtype with parameters, then type/subtype, then
// type/*, then */*); the highest non-zero q wins, ties go to the earlier
// offer. With no Accept header, or when nothing is acceptable, it returns
// the first offer: RFC 9110 lets a server send its default rather than 406.
func negotiate(accept string, offers []string) string {
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	ranges := parseAccept(accept)
	best, bestQ := offers[0], 0.0
	for _, o := range offers {
		q := quality(ranges, o)
		if q > bestQ {
			best, bestQ = o, q
		}
	}
	return best
}

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string
	params   map[string]string // without q; lower-case names
	q        float64
}

// parseAccept splits an Accept value into media ranges. Malformed elements
// are skipped, as RFC 9110 allows a server to ignore what it cannot parse.
func parseAccept(accept string) []mediaRange {
	var out []mediaRange
	for _, part := range splitUnquoted(accept, ',') {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
			continue
		}
		m := mediaRange{typ: typ, sub: sub, q: 1}
		for k, v := range params {
			if k == "q" {
				q, err := strconv.ParseFloat(v, 64)
				if err != nil || q < 0 || q > 1 {
					q = 0
				}
				m.q = q
				continue
			}
			if m.params == nil {
				m.params = map[string]string{}
			}
			m.params[k] = v
		}
		out = append(out, m)
	}
	return out
}

// quality returns the q-value the ranges give to the media type offer.
func quality(ranges []mediaRange, offer string) float64 {
	mt, params, err := mime.ParseMediaType(offer)
	if err != nil {
		return 0
	}
	typ, sub, _ := strings.Cut(mt, "/")
	q, specificity := 0.0, -1
	for _, m := range ranges {
		var spec int
		switch {
		case m.typ == "*":
			spec = 0
		case m.typ != typ:
			continue
		case m.sub == "*":
			spec = 1
		case m.sub != sub:
			continue
		default:
			spec = 2
		}
		if len(m.params) > 0 {
			if !paramsMatch(m.params, params) {
				continue
			}
			spec = 3
		}
		if spec > specificity {
			q, specificity = m.q, spec
		}
	}
	return q
}

// paramsMatch reports whether every parameter the range asks for is on the
// offer with the same value. Charset compares case-insensitively.
func paramsMatch(want, have map[string]string) bool {
	for k, v := range want {
		h, ok := have[k]
		if !ok {
			return false
		}
		if k == "charset" && strings.EqualFold(h, v) {
			continue
		}
		if h != v {
			return false
		}
	}
	return true
}

// splitUnquoted splits s at sep, except inside double-quoted strings, so
// that a profile="a,b" parameter stays whole.
func splitUnquoted(s string, sep byte) []string {
	var parts []string
	inQuote, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && inQuote:
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case c == sep && !inQuote:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
