// Package status builds the view of golive's status page: every active
// go-live with its checklist's progress and readiness, its next reminder,
// its repository's environment locks and latest deploys. It reads the store
// and has no HTTP of its own (handlers renders the view).
package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/reminders"
	"github.com/golive-dev/golive/bot/store"
)

// Store is what the status page reads (store.Store implements it).
type Store interface {
	ListGoLives(ctx context.Context, state store.GoLiveState) ([]store.GoLive, error)
	Items(ctx context.Context, goliveID int64) ([]store.Item, error)
	ListReminders(ctx context.Context, goliveID int64) ([]store.Reminder, error)
	ListEnvLocks(ctx context.Context, repoID int64, now time.Time) ([]store.EnvLock, error)
	RecentDeploys(ctx context.Context, repoID int64, limit int) ([]store.Deploy, error)
}

// Checklist evaluates a go-live's readiness (tracking.Service implements
// it): the same evaluation the tracker comment and the deployment gate use.
type Checklist interface {
	Readiness(ctx context.Context, g store.GoLive, tmpl checklist.Template) (checklist.Readiness, error)
}

// Templates gives the checklist template of a go-live's repository (its
// .github/golive.yml); callers should cache it, since the page asks for it
// on every view.
type Templates func(ctx context.Context, g store.GoLive) (checklist.Template, error)

// Builder builds the status page's view. Its fields are required but
// IssueURL, Deploys and MaxBlocking.
type Builder struct {
	Store     Store
	Checklist Checklist
	Templates Templates
	Clock     clock.Clock
	// IssueURL is the web address of an issue; default github.com's.
	IssueURL func(repo string, number int) string
	// Deploys is how many of a repository's latest deploys are shown;
	// default 5.
	Deploys int
	// MaxBlocking is how many blocking items are listed by name; default 10.
	MaxBlocking int
}

// Page is the status page's view.
type Page struct {
	Now     time.Time // when it was built (UTC)
	GoLives []GoLive  // active go-lives, the soonest first
}

// GoLive is one active go-live on the page.
type GoLive struct {
	ID          int64
	Repo        string // owner/name
	IssueNumber int
	IssueURL    string
	Environment string
	Release     string
	Captain     string
	// At is the go-live instant in UTC; Local is it in the go-live's own
	// zone ("2026-12-01 14:00 CET"), Timezone the zone's name, and Until
	// how far it is from the page's time ("in 3d 4h", "2h 5m ago").
	At       time.Time
	Local    string
	Timezone string
	Until    string
	// Ready, Decision (checklist.DecisionReady or DecisionNotReady) and the
	// required items still open, counted in Blocking and the first
	// MaxBlocking of them listed in BlockingItems.
	Ready         bool
	Decision      string
	Blocking      int
	BlockingItems []Task
	// Done and Total count every item; Phases the template's phases.
	Done, Total int
	Phases      []Phase
	// NextReminder is the earliest pending reminder, nil when none.
	NextReminder *Reminder
	// Locks are the repository's environment locks now.
	Locks []Lock
	// Deploys are the repository's latest deploys and rollbacks, newest
	// first, to any environment.
	Deploys []Deploy
	// Note says what could not be read, "" when all went well.
	Note string
}

// Task is an open required checklist item.
type Task struct {
	Phase, Text, Owner string
}

// Phase is one checklist phase's progress.
type Phase struct {
	Name        string
	Offset      string    // "T-7d"; "" when unknown
	Due         time.Time // UTC; zero when unknown
	Done, Total int
	Open        int // required items still open
}

// Percent is the phase's done share, 0 to 100, rounded down; 100 for a
// phase without items.
func (p Phase) Percent() int { return percent(p.Done, p.Total) }

// Percent is the go-live's done share, 0 to 100, rounded down.
func (g GoLive) Percent() int { return percent(g.Done, g.Total) }

func percent(done, total int) int {
	if total <= 0 {
		return 100
	}
	return done * 100 / total
}

// Reminder is a go-live's next pending reminder.
type Reminder struct {
	Offset string // "T-1d"
	Kind   string
	Phases []string // the phases due at it
	DueAt  time.Time
	Until  string
}

// Lock is an environment lock.
type Lock struct {
	Environment string
	Holder      string
	Reason      string
	Since       time.Time
	Expires     time.Time // zero: until unlocked
	Until       string    // how long until it expires, "" without expiry
}

// Deploy is one deploy or rollback.
type Deploy struct {
	Kind        string // deploy, rollback
	Environment string
	Ref         string
	SHA         string // the first 7 characters
	State       string
	RequestedBy string
	At          time.Time // dispatched
	Ago         string
	RunURL      string
}

// Build reads the store and returns the page as of the builder's clock. A
// go-live whose checklist template cannot be read is shown with its
// progress from the stored items alone and a Note saying so; a store error
// fails the page.
func (b *Builder) Build(ctx context.Context) (Page, error) {
	now := b.Clock.Now().UTC()
	gs, err := b.Store.ListGoLives(ctx, store.GoLiveActive)
	if err != nil {
		return Page{}, fmt.Errorf("build the status page: %w", err)
	}
	page := Page{Now: now, GoLives: make([]GoLive, 0, len(gs))}
	type repoState struct {
		locks   []Lock
		deploys []Deploy
	}
	repos := map[int64]*repoState{}
	for _, g := range gs {
		v, err := b.goLive(ctx, g, now)
		if err != nil {
			return Page{}, fmt.Errorf("build the status page: %w", err)
		}
		rs, ok := repos[g.RepoID]
		if !ok {
			rs = &repoState{}
			if rs.locks, err = b.locks(ctx, g.RepoID, now); err != nil {
				return Page{}, fmt.Errorf("build the status page: %w", err)
			}
			if rs.deploys, err = b.deploys(ctx, g.RepoID, now); err != nil {
				return Page{}, fmt.Errorf("build the status page: %w", err)
			}
			repos[g.RepoID] = rs
		}
		v.Locks, v.Deploys = rs.locks, rs.deploys
		page.GoLives = append(page.GoLives, v)
	}
	return page, nil
}

func (b *Builder) goLive(ctx context.Context, g store.GoLive, now time.Time) (GoLive, error) {
	loc := location(g.Timezone)
	v := GoLive{
		ID: g.ID, Repo: g.Repo, IssueNumber: g.IssueNumber, IssueURL: b.issueURL(g.Repo, g.IssueNumber),
		Environment: g.Environment, Release: g.Release, Captain: g.Captain,
		At: g.At.UTC(), Local: g.At.In(loc).Format("2006-01-02 15:04 MST"), Timezone: loc.String(),
		Until: Relative(now, g.At),
	}
	tmpl, err := b.Templates(ctx, g)
	if err != nil {
		// The repository's configuration is unreadable (GitHub down, a
		// broken golive.yml): the stored items still tell the progress.
		items, ierr := b.Store.Items(ctx, g.ID)
		if ierr != nil {
			return GoLive{}, fmt.Errorf("read the checklist of %s#%d: %w", g.Repo, g.IssueNumber, ierr)
		}
		tmpl = templateFromItems(items)
		v.Note = "The checklist configuration could not be read (" + oneLine(err.Error()) +
			"); progress and readiness are from the items stored at the last issue event."
	}
	r, err := b.Checklist.Readiness(ctx, g, tmpl)
	if err != nil {
		return GoLive{}, fmt.Errorf("evaluate the checklist of %s#%d: %w", g.Repo, g.IssueNumber, err)
	}
	v.Ready, v.Decision, v.Blocking, v.Done, v.Total = r.Ready, r.Decision(), len(r.Blocking), r.Done, r.Total
	limit := b.MaxBlocking
	if limit <= 0 {
		limit = 10
	}
	for _, t := range r.Blocking[:min(limit, len(r.Blocking))] {
		v.BlockingItems = append(v.BlockingItems, Task{Phase: t.Phase, Text: t.Text, Owner: t.Owner})
	}
	for i, p := range r.Phases {
		ph := Phase{Name: p.Name, Done: p.Done, Total: p.Total, Open: len(p.RequiredOpen)}
		if v.Note == "" {
			ph.Offset, ph.Due = tmpl.Phases[i].Offset.String(), p.Due.UTC()
		}
		v.Phases = append(v.Phases, ph)
	}

	rs, err := b.Store.ListReminders(ctx, g.ID)
	if err != nil {
		return GoLive{}, fmt.Errorf("read the reminders of %s#%d: %w", g.Repo, g.IssueNumber, err)
	}
	for _, r := range rs { // by due time
		// The start occurrence opens the Slack thread; it reminds of nothing.
		if r.State == store.ReminderPending && r.Offset != reminders.StartOffset {
			v.NextReminder = &Reminder{Offset: r.Offset, Kind: r.Kind, Phases: r.Phases, DueAt: r.DueAt.UTC(), Until: Relative(now, r.DueAt)}
			break
		}
	}
	return v, nil
}

func (b *Builder) locks(ctx context.Context, repoID int64, now time.Time) ([]Lock, error) {
	ls, err := b.Store.ListEnvLocks(ctx, repoID, now)
	if err != nil {
		return nil, err
	}
	out := make([]Lock, len(ls))
	for i, l := range ls {
		out[i] = Lock{Environment: l.Environment, Holder: l.Holder, Reason: l.Reason, Since: l.CreatedAt.UTC(), Expires: l.ExpiresAt.UTC()}
		if !l.ExpiresAt.IsZero() {
			out[i].Until = Relative(now, l.ExpiresAt)
		}
	}
	return out, nil
}

func (b *Builder) deploys(ctx context.Context, repoID int64, now time.Time) ([]Deploy, error) {
	n := b.Deploys
	if n <= 0 {
		n = 5
	}
	ds, err := b.Store.RecentDeploys(ctx, repoID, n)
	if err != nil {
		return nil, err
	}
	out := make([]Deploy, len(ds))
	for i, d := range ds {
		out[i] = Deploy{Kind: d.Kind, Environment: d.Environment, Ref: d.Ref, SHA: shortSHA(d.SHA), State: string(d.State),
			RequestedBy: d.RequestedBy, At: d.DispatchedAt.UTC(), Ago: Relative(now, d.DispatchedAt), RunURL: d.RunURL}
	}
	return out, nil
}

func (b *Builder) issueURL(repo string, n int) string {
	if b.IssueURL != nil {
		return b.IssueURL(repo, n)
	}
	return fmt.Sprintf("https://github.com/%s/issues/%d", repo, n)
}

// templateFromItems is the checklist the stored items describe: their
// phases in order, each with its template items. Manual items are left out;
// checklist.Evaluate counts them under their phase.
func templateFromItems(items []store.Item) checklist.Template {
	var t checklist.Template
	index := map[string]int{}
	for _, it := range items {
		i, ok := index[it.Phase]
		if !ok {
			i = len(t.Phases)
			index[it.Phase] = i
			t.Phases = append(t.Phases, checklist.Phase{Name: it.Phase})
		}
		if !it.Manual {
			t.Phases[i].Items = append(t.Phases[i].Items, checklist.Item{ID: it.ID, Text: it.Text, Owner: it.Owner, Required: it.Required})
		}
	}
	return t
}

// Relative says how far t is from now, to the two largest units: "in 3d
// 4h", "in 12m", "2h 5m ago", "now" within a minute.
func Relative(now, t time.Time) string {
	d := t.Sub(now)
	if d > -time.Minute && d < time.Minute {
		return "now"
	}
	past := d < 0
	if past {
		d = -d
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var s string
	switch {
	case days > 0 && hours > 0:
		s = fmt.Sprintf("%dd %dh", days, hours)
	case days > 0:
		s = fmt.Sprintf("%dd", days)
	case hours > 0 && mins > 0:
		s = fmt.Sprintf("%dh %dm", hours, mins)
	case hours > 0:
		s = fmt.Sprintf("%dh", hours)
	default:
		s = fmt.Sprintf("%dm", mins)
	}
	if past {
		return s + " ago"
	}
	return "in " + s
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func location(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}
