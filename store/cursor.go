package store

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
)

// sortKey is where a record falls in a search's order.
type sortKey struct {
	pk      int64
	score   float64 // SortRelevance: higher first
	name    string  // SortName: folded name, ascending
	updated int64   // SortUpdated: newest first,
	seq     int64   // then last written first (two writes may share a millisecond)
}

// sortOrder is a total order on sort keys: the sort, then pk to break ties
// (for SortUpdated, the change sequence first: the order of the writes).
type sortOrder byte

const (
	orderRelevance sortOrder = 'r'
	orderName      sortOrder = 'n'
	orderUpdated   sortOrder = 'u'
)

// before reports whether a comes before b.
func (o sortOrder) before(a, b *sortKey) bool {
	switch o {
	case orderRelevance:
		if a.score != b.score {
			return a.score > b.score
		}
	case orderName:
		if a.name != b.name {
			return a.name < b.name
		}
	case orderUpdated:
		if a.updated != b.updated {
			return a.updated > b.updated
		}
		if a.seq != b.seq {
			return a.seq > b.seq
		}
		return a.pk > b.pk
	}
	return a.pk < b.pk
}

// A cursor is the sort key of the last record of a page, with the order it
// belongs to and a fingerprint of the search, base64url-encoded with a
// checksum. It is opaque to clients; a damaged or foreign cursor is refused
// rather than silently starting over.
const cursorVersion = 2

// cursorSalt keeps the checksum from being the plain CRC of the payload, so
// a hand-edited cursor is refused too.
const cursorSalt = 0x5ca1ab1e

func encodeCursor(o sortOrder, fingerprint uint32, k *sortKey) string {
	b := []byte{cursorVersion, byte(o)}
	b = binary.BigEndian.AppendUint32(b, fingerprint)
	b = binary.AppendVarint(b, k.pk)
	switch o {
	case orderRelevance:
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(k.score))
	case orderName:
		b = append(b, k.name...)
	case orderUpdated:
		b = binary.AppendVarint(b, k.updated)
		b = binary.AppendVarint(b, k.seq)
	}
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b)^cursorSalt)
	return base64.RawURLEncoding.EncodeToString(b)
}

var (
	errCursorMalformed = errors.New("is not a cursor this directory issued")
	errCursorForeign   = errors.New("belongs to another search (query, filters or sort changed)")
)

func decodeCursor(s string, o sortOrder, fingerprint uint32) (*sortKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2+4+1+4 {
		return nil, errCursorMalformed
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body)^cursorSalt != sum || body[0] != cursorVersion {
		return nil, errCursorMalformed
	}
	if sortOrder(body[1]) != o || binary.BigEndian.Uint32(body[2:6]) != fingerprint {
		return nil, errCursorForeign
	}
	rest := body[6:]
	k := &sortKey{}
	var n int
	if k.pk, n = binary.Varint(rest); n <= 0 {
		return nil, errCursorMalformed
	}
	rest = rest[n:]
	switch o {
	case orderRelevance:
		if len(rest) != 8 {
			return nil, errCursorMalformed
		}
		k.score = math.Float64frombits(binary.BigEndian.Uint64(rest))
	case orderName:
		k.name = string(rest)
	case orderUpdated:
		if k.updated, n = binary.Varint(rest); n <= 0 {
			return nil, errCursorMalformed
		}
		rest = rest[n:]
		if k.seq, n = binary.Varint(rest); n <= 0 || n != len(rest) {
			return nil, errCursorMalformed
		}
	}
	return k, nil
}

// fingerprint identifies a search apart from its page: a cursor is only
// valid for the search that issued it.
func (s *search) fingerprint() uint32 {
	h := fnv.New32a()
	w := func(str string) { h.Write([]byte(str)); h.Write([]byte{0}) }
	w(string(s.order))
	w(s.lang)
	for _, word := range s.words {
		w(word)
	}
	w(strconv.FormatBool(s.remote))
	w(strconv.FormatInt(s.since, 10))
	for f, vs := range s.filters {
		if vs == nil {
			continue
		}
		w(strconv.Itoa(f))
		sorted := slices.Clone(vs)
		slices.Sort(sorted)
		for _, v := range sorted {
			w(v)
		}
	}
	return h.Sum32()
}
