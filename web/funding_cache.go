package web

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/commons-directory/commons"
)

// fundingCache keeps what the funding page needs of every record that
// lists funding, computed again only when the store's change counter has
// moved: reading and decoding those records takes most of a second in a
// directory of 100,000 (BENCHMARKS.md), while filtering the kept slices
// takes a few milliseconds. Its zero value is ready to use.
type fundingCache struct {
	mu  sync.Mutex // held while building, so that one request builds and the others wait
	seq int64
	set *fundingSet // nil until first built
}

// fundingSet is the funding of the whole directory at one change count.
// It is shared by concurrent requests: read only.
type fundingSet struct {
	records []*fundedRecord
	calls   []fundedCall // every call, dated first by deadline, then undated; by title within

	mu       sync.Mutex
	channels map[string][]fundedChannel // by language, sorted by the record's name in it; built on first use
}

// fundedChannel is a support channel with its record's name in one language.
type fundedChannel struct {
	channelView
	rec *fundedRecord
}

// channelsIn returns every channel, sorted by its record's name in the
// language, computed once per language.
func (set *fundingSet) channelsIn(lang string) []fundedChannel {
	set.mu.Lock()
	defer set.mu.Unlock()
	if cs, ok := set.channels[lang]; ok {
		return cs
	}
	var cs []fundedChannel
	for _, rec := range set.records {
		name, _ := rec.name.Get(lang)
		for _, c := range rec.channels {
			cs = append(cs, fundedChannel{channelView{FundingChannel: c, Record: name, RecordURL: rec.url}, rec})
		}
	}
	slices.SortStableFunc(cs, func(a, b fundedChannel) int { return strings.Compare(a.Record, b.Record) })
	if set.channels == nil {
		set.channels = map[string][]fundedChannel{}
	}
	set.channels[lang] = cs
	return cs
}

// fundedRecord is what the funding page shows of a record.
type fundedRecord struct {
	name      commons.Text
	url, id   string
	slug      string // with origin, the order of the records
	origin    string
	updated   time.Time
	kinds     []string
	countries []string
	calls     []commons.FundingCall
	channels  []commons.FundingChannel
}

type fundedCall struct {
	commons.FundingCall
	rec *fundedRecord
}

// openCall reports whether a call is still open on the day (YYYY-MM-DD):
// its deadline is that day or later, or it has none.
func openCall(c commons.FundingCall, today string) bool {
	return c.Deadline == "" || c.Deadline >= today
}

// fundingPatchMax is how many records written since the set was built
// it patches; beyond, it reads every funded record again.
const fundingPatchMax = 1000

// fundingSet returns the directory's funding, from the cache when no write
// happened since it was built. After writes, the records written since are
// read and the set patched: an edit that touches no funding (most of them)
// keeps it whole; reading every funded record again takes most of a second
// at 100,000 records.
func (s *server) fundingSet(ctx context.Context) (*fundingSet, error) {
	// The counter is read before the records: a write in between makes the
	// set newer than its counter, never older, and the next request reads
	// that write again (patching is idempotent).
	seq, err := s.dir.ChangeSeq(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.funding
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set != nil && c.seq == seq {
		return c.set, nil
	}
	if c.set != nil {
		ids, recs, ok, err := s.dir.FundingChanges(ctx, c.seq, fundingPatchMax)
		if err != nil {
			return nil, err
		}
		if ok {
			c.set, c.seq = c.set.patched(s, ids, recs), seq
			return c.set, nil
		}
	}
	var records []*fundedRecord
	err = s.dir.FundingRecords(ctx, func(rec *commons.Record) error {
		if fr := s.fundedRecord(rec); fr != nil {
			records = append(records, fr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.set, c.seq = newFundingSet(records), seq
	return c.set, nil
}

// fundedRecord is what the funding page keeps of a record; nil when it
// lists no funding.
func (s *server) fundedRecord(rec *commons.Record) *fundedRecord {
	if rec.Funding == nil || len(rec.Funding.Calls)+len(rec.Funding.Channels) == 0 {
		return nil
	}
	fr := &fundedRecord{name: rec.Name, url: s.recordURL(rec), id: rec.ID, slug: rec.Slug, origin: rec.Provenance.Origin,
		updated: rec.Provenance.Updated, kinds: rec.Kinds, calls: rec.Funding.Calls, channels: rec.Funding.Channels}
	for _, co := range rec.Countries {
		fr.countries = append(fr.countries, co.Code)
	}
	return fr
}

// newFundingSet builds the set of funded records, given in slug order.
func newFundingSet(records []*fundedRecord) *fundingSet {
	set := &fundingSet{records: records}
	for _, fr := range records {
		for _, call := range fr.calls {
			set.calls = append(set.calls, fundedCall{FundingCall: call, rec: fr})
		}
	}
	slices.SortStableFunc(set.calls, func(a, b fundedCall) int {
		if (a.Deadline == "") != (b.Deadline == "") {
			if a.Deadline == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(strings.Compare(a.Deadline, b.Deadline), strings.Compare(a.Title.String(), b.Title.String()))
	})
	return set
}

// patched returns the set with the records written since it was built:
// ids[i] was written, recs[i] is its funded state now (nil: deleted or no
// funding). When none of them lists funding now or did before, it is the
// set itself.
func (set *fundingSet) patched(s *server, ids []string, recs []*commons.Record) *fundingSet {
	changed := make(map[string]*commons.Record, len(ids))
	touches := false
	for i, id := range ids {
		changed[id] = recs[i]
		touches = touches || recs[i] != nil
	}
	var records []*fundedRecord
	for _, fr := range set.records {
		if _, ok := changed[fr.id]; ok {
			touches = true
			continue
		}
		records = append(records, fr)
	}
	if !touches {
		return set
	}
	for _, r := range changed {
		if r == nil {
			continue
		}
		if fr := s.fundedRecord(r); fr != nil {
			records = append(records, fr)
		}
	}
	// The order FundingRecords reads them in.
	slices.SortFunc(records, func(a, b *fundedRecord) int {
		return cmp.Or(strings.Compare(a.slug, b.slug), strings.Compare(a.origin, b.origin))
	})
	return newFundingSet(records)
}
