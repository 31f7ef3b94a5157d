package federation

import (
	"context"
	"net/url"
	"time"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
)

// ReminderLead is how long before a call's deadline its programme posts
// a reminder.
const ReminderLead = 14 * 24 * time.Hour

// callsInterval is how often the calls of the local programmes are looked
// at for posts that are due.
const callsInterval = time.Hour

// runCalls posts the due announcements of the local programmes' calls:
// at start, hourly (a reminder falls due as days pass), and when a record
// was written (a programme's call may have become due).
func (f *Federation) runCalls(ctx context.Context) {
	every(ctx, callsInterval, f.wakeCalls, func(ctx context.Context) {
		if _, err := f.PostDueCalls(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("post programme calls", "err", err)
		}
	})
}

// dueCall is one post a call owes: that it is open, or that its deadline
// is two weeks away.
type dueCall struct {
	id  string // the post's IRI, which also marks it as sent
	key string // catalogue key of its sentence
	arg []any
}

// dueCalls lists what a programme's calls owe on the day today
// (YYYY-MM-DD): the opening of each call that is open (its opening day
// passed, its deadline not), and a reminder for each deadline within
// ReminderLead. A closed programme owes nothing.
func dueCalls(p *commons.Record, today, lang string) []dueCall {
	if p.Programme == nil || p.Programme.Status == "closed" {
		return nil
	}
	day, err := time.Parse(time.DateOnly, today)
	if err != nil {
		return nil
	}
	var out []dueCall
	for _, c := range p.Programme.Calls {
		if c.Deadline != "" && c.Deadline < today {
			continue
		}
		title, _ := c.Title.Get(lang)
		base := p.ID + "/posts/call-" + shortHash(c.Opens+"|"+c.Deadline+"|"+c.URL)
		if c.Opens <= today {
			if c.Deadline != "" {
				out = append(out, dueCall{base + "-open", "programme.post.openuntil", []any{title, c.Deadline}})
			} else {
				out = append(out, dueCall{base + "-open", "programme.post.open", []any{title}})
			}
		}
		if c.Deadline != "" && day.Add(ReminderLead).Format(time.DateOnly) >= c.Deadline {
			out = append(out, dueCall{base + "-reminder", "programme.post.reminder", []any{title, c.Deadline}})
		}
	}
	return out
}

// PostDueCalls publishes, once each, what the local programmes' calls owe
// today by the federation's clock: to the programme's followers, to the
// peers, and announced by the topics of the kinds and countries it is
// open to. It returns how many posts it published.
func (f *Federation) PostDueCalls(ctx context.Context) (int, error) {
	ps, err := f.db.Programmes(ctx)
	if err != nil {
		return 0, err
	}
	now := f.now().UTC()
	today := now.Format(time.DateOnly)
	n := 0
	for _, p := range ps {
		if !p.IsLocal(f.base) {
			continue
		}
		due := dueCalls(p, today, f.lang)
		if len(due) == 0 {
			continue
		}
		inboxes, err := f.db.FollowerInboxes(ctx, p.ID)
		if err != nil {
			return n, err
		}
		peers, err := f.db.PeerInboxes(ctx)
		if err != nil {
			return n, err
		}
		c := i18n.For(f.lang)
		name, _ := p.Name.Get(f.lang)
		page := f.base + "/funding/programmes/" + url.PathEscape(p.Slug)
		tags := f.recordTags(p)
		for _, d := range due {
			post := &Post{ID: d.id, Actor: p.ID, Lang: f.lang, Published: now, Tags: tags,
				Content: ChangeContent(name, page, []string{c.F(d.key, d.arg...)}, tags)}
			create, err := post.CreateDocument()
			if err != nil {
				return n, err
			}
			acts := outActivity(p.ID, post.ID+"/activity", create, union(inboxes, peers))
			announces, err := f.announcements(ctx, post.ID, p, true, now)
			if err != nil {
				return n, err
			}
			fresh, err := f.db.PublishPostOnce(ctx, storePost(post, 0, "editor"), append(acts, announces...))
			if err != nil {
				return n, err
			}
			if fresh {
				n++
				f.log.Info("programme call posted", "programme", p.ID, "post", post.ID)
			}
		}
	}
	if n > 0 {
		wake(f.wakeDeliver)
	}
	return n, nil
}
