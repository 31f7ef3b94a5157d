package federation

import (
	"context"
	"fmt"
	"time"

	"github.com/commons-directory/commons"
)

// RecordSocial returns what the record page shows of a record's life on
// the fediverse. For a remote copy, the follower count is the one its
// origin last reported and the posts are those it sent (copies.go).
func (f *Federation) RecordSocial(ctx context.Context, rec *commons.Record, posts int) (*commons.Social, error) {
	s := &commons.Social{Posts: []commons.PostSummary{}, AlsoListedBy: []commons.Listing{}}
	if rec.Provenance.Origin == f.base {
		n, err := f.db.CountFollowers(ctx, rec.ID)
		if err != nil {
			return nil, err
		}
		s.Followers = n
		ps, err := f.db.Posts(ctx, rec.ID, time.Time{}, posts)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			s.Posts = append(s.Posts, commons.PostSummary{ID: p.ID, Lang: p.Lang, Content: p.Content, Published: p.Published, Kind: p.Kind})
		}
	} else if err := f.copySocial(ctx, rec, posts, s); err != nil {
		return nil, fmt.Errorf("record %s: %w", rec.Slug, err)
	}
	also, err := f.db.AlsoListed(ctx, rec.ID)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", rec.Slug, err)
	}
	if also != nil {
		s.AlsoListedBy = also
	}
	return s, nil
}
