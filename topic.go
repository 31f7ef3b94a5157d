package commons

import (
	"slices"
	"strings"
)

// Topics group records for followers: one per kind ("geodata") and one
// per country, by its lower-case code ("fr", and "eu" for the European
// Union). Each is a fediverse Group actor, @geodata@host, that announces
// the posts of its records; so no record slug may be a topic's name.

// IsTopic reports whether name is a topic: a kind, or a valid country code
// in lower case.
func IsTopic(name string) bool {
	if slices.Contains(Kinds, name) {
		return true
	}
	return len(name) == 2 && strings.ToLower(name) == name && ValidCountry(strings.ToUpper(name))
}

// Topics returns the topics of a record: its kinds, then its countries.
// A programme's are also the kinds of commons and the countries it is
// open to, so that a topic's followers hear of its calls.
func (r *Record) Topics() []string {
	out := slices.Clone(r.Kinds)
	var countries []string
	if p := r.Programme; p != nil {
		for _, k := range p.Eligibility.Kinds {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
		countries = append(countries, p.Eligibility.Countries...)
	}
	for _, c := range r.Countries {
		countries = append(countries, c.Code)
	}
	for _, c := range countries {
		if t := strings.ToLower(c); !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
