package federation

import (
	"bytes"
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// checkBodyKeyCase is checkKeyCase on the top-level object of a JSON
// document. Most documents pass a scan of their bytes (see
// keyCaseSuspect) without being decoded; the others are decoded as a map
// and checked key by key. An error is either JSON's or checkKeyCase's.
func checkBodyKeyCase(body []byte) error {
	if !keyCaseSuspect(body) {
		return nil
	}
	return checkTopKeyCase(body)
}

// checkTopKeyCase decodes a document's top-level object as a map and
// checks its keys (checkKeyCase), for one that keyCaseSuspect flagged.
func checkTopKeyCase(body []byte) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return err
	}
	return checkKeyCase(doc)
}

// keyCaseSuspect reports whether a JSON document may hold, anywhere in
// it, a string that checkKeyCase would refuse as a key: one that equals
// one of trustKeys but for letter case, with Unicode's simple case
// folding (the folding Go's decoder matches struct fields with, under
// which "ſ" is an "s" and the Kelvin sign "K" a "k"). False means that
// no object in the document, at any depth, has such a key.
//
// It does not parse the document. A key that folds to a trust key holds
// no quote, so its raw form (escapes and all) is the whole run of bytes
// between two consecutive quotes; each such run is looked at, whether it
// is a string or the punctuation between two strings. A run is suspect
// when its first byte can start a trust key's raw form, and then either
// it holds no escape and folds to a trust key without being one, or it
// holds escapes and, once unescaped, does so.
func keyCaseSuspect(body []byte) bool {
	for {
		i := bytes.IndexByte(body, '"')
		if i < 0 {
			return false
		}
		body = body[i+1:]
		j := bytes.IndexByte(body, '"')
		if j < 0 {
			return false
		}
		if run := body[:j]; len(run) >= minTrustRun && len(run) <= maxTrustRun && trustFirst[run[0]] && suspectRun(run) {
			return true
		}
		body = body[j:] // this run's closing quote opens the next run
	}
}

// suspectRun reports whether a run of bytes between two quotes, read as
// the inside of a JSON string, equals a trust key but for letter case.
func suspectRun(run []byte) bool {
	s := run
	if bytes.IndexByte(run, '\\') >= 0 {
		var v string
		if json.Unmarshal(append(append([]byte{'"'}, run...), '"'), &v) != nil {
			return false // not the inside of a string: no key
		}
		s = []byte(v)
	}
	for _, t := range trustKeys {
		if bytes.EqualFold(s, []byte(t)) && string(s) != t {
			return true
		}
	}
	return false
}

// trustFirst says which bytes may open the raw form of a key that folds
// to a trust key: the ASCII letters its first letter folds with, a
// backslash (an escape), and every non-ASCII byte when a letter folds
// with a non-ASCII one. minTrustRun and maxTrustRun bound the run's
// length: a rune is at most 4 bytes of UTF-8 or 12 of escapes (a
// surrogate pair).
var trustFirst, minTrustRun, maxTrustRun = func() (first [256]bool, lo, hi int) {
	first['\\'] = true
	lo = 1 << 30
	for _, t := range trustKeys {
		n := utf8.RuneCountInString(t)
		lo, hi = min(lo, n), max(hi, 12*n)
		r, _ := utf8.DecodeRuneInString(t)
		for f := r; ; {
			if f < utf8.RuneSelf {
				first[f] = true
			} else {
				for b := utf8.RuneSelf; b < 256; b++ {
					first[b] = true
				}
			}
			if f = unicode.SimpleFold(f); f == r {
				break
			}
		}
	}
	return first, lo, hi
}()
