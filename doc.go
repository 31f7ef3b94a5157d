// Package commons is the domain of Commons Directory: the record of one
// digital commons and its parts, the users who curate records, the filters
// that search them, and the error codes every other package speaks.
//
// It performs no I/O. Storage lives in store/, ActivityPub in federation/,
// HTTP in web/, and cmd/commonsd wires them together. Imports point inward:
// every package may import this one; this one imports none of them.
package commons
