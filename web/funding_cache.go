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

// fundingSet returns the directory's funding, from the cache when no write
// happened since it was built.
func (s *server) fundingSet(ctx context.Context) (*fundingSet, error) {
	// The counter is read before the records: a write in between makes the
	// set newer than its counter, never older, and the next request builds
	// it again.
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
	set := &fundingSet{}
	err = s.dir.FundingRecords(ctx, func(rec *commons.Record) error {
		if rec.Funding == nil || len(rec.Funding.Calls)+len(rec.Funding.Channels) == 0 {
			return nil
		}
		fr := &fundedRecord{name: rec.Name, url: s.recordURL(rec), id: rec.ID, updated: rec.Provenance.Updated,
			kinds: rec.Kinds, calls: rec.Funding.Calls, channels: rec.Funding.Channels}
		for _, co := range rec.Countries {
			fr.countries = append(fr.countries, co.Code)
		}
		set.records = append(set.records, fr)
		for _, call := range rec.Funding.Calls {
			set.calls = append(set.calls, fundedCall{FundingCall: call, rec: fr})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(set.calls, func(a, b fundedCall) int {
		if (a.Deadline == "") != (b.Deadline == "") {
			if a.Deadline == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(strings.Compare(a.Deadline, b.Deadline), strings.Compare(a.Title, b.Title))
	})
	c.set, c.seq = set, seq
	return set, nil
}
