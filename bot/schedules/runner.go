// Package schedules runs the recurring operations checklists of
// .github/golive.yml's schedules section: at each time a schedule's cron
// expression names (in its time zone, see package cron), a run opens an
// issue with the schedule's checklist (or posts it to Slack), rolls the
// previous run's open issue over into it, and, before the run's end of day,
// posts to Slack what is still open.
//
// # Exactly once
//
// A run is a store row keyed by repository, schedule and the run's
// scheduled local date and time (store.ScheduleRunKey). A Runner opens a
// run only while it holds the row's claim (a lease, as for reminders), so of
// any number of Runners on one database exactly one opens it, and a run
// recorded as opened is never opened again. A Runner that dies between
// creating the run's issue and recording it leaves its claim to expire; the
// next claimer first looks for the issue among the open issues labelled
// golive-ops, by the hidden marker every run's issue carries
// (<!-- golive:ops schedule=ID run=KEY -->), and records the one it finds
// instead of opening a second. Runs posted to Slack, and end-of-day
// reminders, carry the run in their message metadata and are looked up in
// the channel the same way.
//
// # Missed runs
//
// A schedule is noted in the store the first time a Runner sees it; runs
// due before that (less the grace of the repository's reminders, 15
// minutes by default) never open. After downtime, only the latest
// run due of each schedule opens (late), and it says how many earlier runs
// were missed; they are not opened. This is the reminders' catch-up rule:
// one message for everything missed, never a burst of stale ones.
//
// # Configuration
//
// Repositories come from the store (installations and their repositories).
// Each repository's configuration is read through repoconfig.Load and
// cached: ConfigTTL (5 minutes) for repositories that have schedules or a
// broken configuration, IdleConfigTTL (30 minutes) for those without, each
// with a little jitter so refreshes spread out; the owner's .github file,
// which many repositories share, is read once per owner per ConfigTTL.
// Reads of an unchanged file are conditional (a 304 costs no rate limit).
// Invalidate drops a repository's entry at once (for a push to its default
// branch).
package schedules

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// RepoAPI is what runs need of a repository's GitHub API (ghclient.Repo
// implements it).
type RepoAPI interface {
	File(ctx context.Context, owner, repo, path string) ([]byte, bool, error)
	OpenIssues(ctx context.Context, label string) ([]ghclient.Issue, error)
	Issue(ctx context.Context, number int) (ghclient.Issue, error)
	CreateIssue(ctx context.Context, title, body string, labels []string) (int, error)
	CreateComment(ctx context.Context, number int, body string) (int64, error)
	Comments(ctx context.Context, number int) ([]ghclient.Comment, error)
	CloseIssue(ctx context.Context, number int, reason string) error
}

// Repos gives the RepoAPI of a repository as an installation.
type Repos func(installationID int64, fullName string) (RepoAPI, error)

// Slack is what runs need of Slack (slackclient.Client implements it).
type Slack interface {
	PostMessage(ctx context.Context, m slackclient.Message) (ts, channelID string, err error)
	FindByMetadata(ctx context.Context, channel, threadTS, eventType, key, value string) (string, bool, error)
	ResolveChannel(ctx context.Context, channel string) (string, error)
}

// Defaults of a Runner.
const (
	DefaultLease         = 2 * time.Minute
	DefaultPoll          = 15 * time.Second
	DefaultConfigTTL     = 5 * time.Minute
	DefaultIdleConfigTTL = 30 * time.Minute
	DefaultRepoTTL       = time.Minute
	DefaultWorkers       = 4
)

// leaseMargin: a run whose claim ends sooner than this is not changed on
// GitHub or Slack but released, so two claimers never work on it at once.
const leaseMargin = 45 * time.Second

// Runner opens schedules' runs and sends their end-of-day reminders. Run it
// in one goroutine per process; any number of processes may share a
// PostgreSQL store.
type Runner struct {
	Store store.Store
	Repos Repos
	// Slack posts runs with post: slack and end-of-day reminders; nil when
	// Slack is not configured (runs posted to Slack then wait, and no
	// reminders are sent).
	Slack Slack
	Clock clock.Clock
	// Owner names this process in claims.
	Owner  string
	Logger *slog.Logger
	// IssueURL is the web address of an issue, for Slack messages.
	IssueURL func(repo string, number int) string
	// Lease is how long a claim lasts (DefaultLease).
	Lease time.Duration
	// Grace is how long before a schedule was first seen a run may be due
	// and still open, and how late a run may open without being called
	// late; when zero, the repository's reminders.grace (default 15
	// minutes), the grace of its reminders.
	Grace time.Duration
	// Poll is the time between two ticks of Run (DefaultPoll).
	Poll time.Duration
	// ConfigTTL and IdleConfigTTL are how long a repository's configuration
	// is cached when it has schedules (or cannot be read) and when it has
	// none (DefaultConfigTTL, DefaultIdleConfigTTL). RepoTTL is how long
	// the list of repositories is (DefaultRepoTTL).
	ConfigTTL, IdleConfigTTL, RepoTTL time.Duration
	// Workers is how many repositories are handled at once (DefaultWorkers).
	Workers int
	// Metrics, when set, counts the runs opened and failed.
	Metrics *metrics.Metrics

	once     sync.Once
	mu       sync.Mutex
	repos    []repoRef
	reposAt  time.Time
	configs  map[string]configEntry
	orgFiles map[string]orgFile
	states   map[string]*scheduleState
}

type repoRef struct {
	installationID int64
	id             int64
	fullName       string
}

type configEntry struct {
	cfg     *repoconfig.Config
	err     error
	expires time.Time
}

type orgFile struct {
	data    []byte
	found   bool
	expires time.Time
}

// scheduleState is what a Runner remembers of one schedule.
type scheduleState struct {
	// done is the key of the latest run known to be settled (opened,
	// skipped, failed, or before the schedule was seen).
	done      string
	firstSeen time.Time
}

func (r *Runner) defaults() {
	if r.Lease <= 0 {
		r.Lease = DefaultLease
	}
	if r.Poll <= 0 {
		r.Poll = DefaultPoll
	}
	if r.ConfigTTL <= 0 {
		r.ConfigTTL = DefaultConfigTTL
	}
	if r.IdleConfigTTL <= 0 {
		r.IdleConfigTTL = DefaultIdleConfigTTL
	}
	if r.RepoTTL <= 0 {
		r.RepoTTL = DefaultRepoTTL
	}
	if r.Workers <= 0 {
		r.Workers = DefaultWorkers
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.IssueURL == nil {
		r.IssueURL = func(repo string, n int) string { return fmt.Sprintf("https://github.com/%s/issues/%d", repo, n) }
	}
	r.configs, r.orgFiles, r.states = map[string]configEntry{}, map[string]orgFile{}, map[string]*scheduleState{}
}

// Run ticks every Poll until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	r.once.Do(r.defaults)
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		if err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Error("recurring operations", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick does what is due now: it opens every schedule's latest run not
// opened yet, then sends the end-of-day reminders due. It returns when
// that work is done (or handed back to the store to retry).
func (r *Runner) Tick(ctx context.Context) error {
	r.once.Do(r.defaults)
	now := r.Clock.Now()
	repos, err := r.repositories(ctx, now)
	if err != nil {
		return err
	}
	sem := make(chan struct{}, r.Workers)
	var wg sync.WaitGroup
	for _, repo := range repos {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r.repoTick(ctx, repo, now)
		}()
	}
	wg.Wait()
	if r.Slack != nil && ctx.Err() == nil {
		r.remindTick(ctx, now)
	}
	return nil
}

// Invalidate drops the cached configuration of repo (owner/name), so the
// next tick reads it again.
func (r *Runner) Invalidate(repo string) {
	r.once.Do(r.defaults)
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.configs, repo)
	owner, name, _ := strings.Cut(repo, "/")
	if name == repoconfig.OrganizationRepo {
		delete(r.orgFiles, owner)
		for k := range r.configs {
			if strings.HasPrefix(k, owner+"/") {
				delete(r.configs, k)
			}
		}
	}
}

// repositories lists the repositories of the installations that are not
// suspended, cached for RepoTTL.
func (r *Runner) repositories(ctx context.Context, now time.Time) ([]repoRef, error) {
	r.mu.Lock()
	if !r.reposAt.IsZero() && now.Sub(r.reposAt) < r.RepoTTL && now.After(r.reposAt.Add(-time.Second)) {
		out := r.repos
		r.mu.Unlock()
		return out, nil
	}
	r.mu.Unlock()
	insts, err := r.Store.ListInstallations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the installations: %w", err)
	}
	var out []repoRef
	for _, in := range insts {
		if in.Suspended {
			continue
		}
		rs, err := r.Store.ListRepositories(ctx, in.ID)
		if err != nil {
			return nil, fmt.Errorf("list the repositories of installation %d: %w", in.ID, err)
		}
		for _, rp := range rs {
			out = append(out, repoRef{installationID: in.ID, id: rp.ID, fullName: rp.FullName})
		}
	}
	r.mu.Lock()
	r.repos, r.reposAt = out, now
	r.mu.Unlock()
	return out, nil
}

// jitter spreads the refreshes of many repositories' configurations over
// a fifth of ttl, the same for a repository every time.
func jitter(repo string, ttl time.Duration) time.Duration {
	h := fnv.New32a()
	h.Write([]byte(repo))
	return time.Duration(h.Sum32()%1000) * (ttl / 5) / 1000
}

// config returns repo's configuration from the cache, reading it when the
// entry expired.
func (r *Runner) config(ctx context.Context, repo repoRef, now time.Time) (*repoconfig.Config, error) {
	r.mu.Lock()
	e, ok := r.configs[repo.fullName]
	r.mu.Unlock()
	// (An entry from the future, after the clock went back, is stale.)
	if ok && now.Before(e.expires) && !now.Before(e.expires.Add(-2*max(r.ConfigTTL, r.IdleConfigTTL))) {
		return e.cfg, e.err
	}
	cfg, err := r.loadConfig(ctx, repo, now)
	ttl := r.IdleConfigTTL
	if err != nil || len(cfg.Schedules) > 0 {
		ttl = r.ConfigTTL
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // cut short: not worth caching
		}
		var pe *repoconfig.ParseError
		if !errors.As(err, &pe) {
			// GitHub could not be asked: try again soon, so a passing
			// failure does not keep a run from opening on time.
			ttl = min(ttl, time.Minute)
		}
		r.Logger.Warn("read the configuration of a repository for its schedules", "repo", repo.fullName, "err", err)
	}
	r.mu.Lock()
	r.configs[repo.fullName] = configEntry{cfg: cfg, err: err, expires: now.Add(ttl + jitter(repo.fullName, ttl))}
	r.mu.Unlock()
	return cfg, err
}

func (r *Runner) loadConfig(ctx context.Context, repo repoRef, now time.Time) (*repoconfig.Config, error) {
	api, err := r.Repos(repo.installationID, repo.fullName)
	if err != nil {
		return nil, err
	}
	owner, name, _ := strings.Cut(repo.fullName, "/")
	cfg, _, err := repoconfig.Load(ctx, &fetcher{r: r, api: api, now: now}, owner, name)
	return cfg, err
}

// fetcher reads configuration files, sharing the owner's .github file
// between the owner's repositories.
type fetcher struct {
	r   *Runner
	api RepoAPI
	now time.Time
}

func (f *fetcher) GetFile(ctx context.Context, owner, repo, path string) ([]byte, bool, error) {
	if repo != repoconfig.OrganizationRepo || path != repoconfig.Path {
		return f.api.File(ctx, owner, repo, path)
	}
	f.r.mu.Lock()
	of, ok := f.r.orgFiles[owner]
	f.r.mu.Unlock()
	if ok && f.now.Before(of.expires) && !f.now.Before(of.expires.Add(-2*f.r.ConfigTTL)) {
		return of.data, of.found, nil
	}
	data, found, err := f.api.File(ctx, owner, repo, path)
	if err != nil {
		return nil, false, err
	}
	f.r.mu.Lock()
	f.r.orgFiles[owner] = orgFile{data: data, found: found, expires: f.now.Add(f.r.ConfigTTL)}
	f.r.mu.Unlock()
	return data, found, nil
}

func (r *Runner) state(repoID int64, scheduleID string) *scheduleState {
	key := fmt.Sprintf("%d/%s", repoID, scheduleID)
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.states[key]
	if !ok {
		st = &scheduleState{}
		r.states[key] = st
	}
	return st
}

// repoTick opens the runs due of one repository's schedules.
func (r *Runner) repoTick(ctx context.Context, repo repoRef, now time.Time) {
	cfg, err := r.config(ctx, repo, now)
	if err != nil || cfg == nil {
		return
	}
	for _, s := range cfg.Schedules {
		if ctx.Err() != nil {
			return
		}
		if err := r.scheduleTick(ctx, repo, cfg, s, now); err != nil && ctx.Err() == nil {
			r.Logger.Error("open a scheduled run", "repo", repo.fullName, "schedule", s.ID, "err", err)
		}
	}
}

// scheduleTick opens the latest run of s due at now, unless it is settled.
func (r *Runner) scheduleTick(ctx context.Context, repo repoRef, cfg *repoconfig.Config, s repoconfig.Schedule, now time.Time) error {
	loc := cfg.ScheduleLocation(s)
	occ, ok := s.Cron.Prev(now, loc)
	if !ok {
		return nil
	}
	key := occ.Key()
	st := r.state(repo.id, s.ID)
	r.mu.Lock()
	done, firstSeen := st.done, st.firstSeen
	r.mu.Unlock()
	if done == key {
		return nil
	}
	settle := func() {
		r.mu.Lock()
		st.done = key
		r.mu.Unlock()
	}
	if firstSeen.IsZero() {
		fs, err := r.Store.NoteSchedule(ctx, repo.id, s.ID, now)
		if err != nil {
			return err
		}
		firstSeen = fs
		r.mu.Lock()
		st.firstSeen = fs
		r.mu.Unlock()
	}
	since := firstSeen.Add(-r.grace(cfg))
	if occ.At.Before(since) {
		settle() // due before golive knew the schedule
		return nil
	}
	latest, err := r.Store.LatestScheduleRun(ctx, repo.id, s.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	case latest.RunKey == key && latest.State != store.ScheduleRunPending:
		settle()
		return nil
	case latest.DueAt.After(occ.At):
		settle() // a run due later exists (the expression changed)
		return nil
	case latest.RunKey == key:
		// Pending: claimed again below (once its claim ran out).
	case latest.State == store.ScheduleRunOpened && latest.DueAt.After(since):
		since = latest.DueAt
	case latest.DueAt.After(since):
		// A run that did not open (still pending, or failed) counts as
		// missed too.
		since = latest.DueAt.Add(-time.Nanosecond)
	}
	skipped, _ := s.Cron.Count(since, occ.At, loc, 100000)
	run, claimed, err := r.Store.ClaimScheduleRun(ctx, store.ScheduleRun{
		ScheduleRunKey: store.ScheduleRunKey{RepoID: repo.id, ScheduleID: s.ID, RunKey: key},
		InstallationID: repo.installationID, Repo: repo.fullName, DueAt: occ.At, Skipped: skipped,
	}, r.Owner, now, r.Lease)
	if err != nil {
		return err
	}
	if !claimed {
		if run.State != store.ScheduleRunPending {
			settle()
		}
		return nil // another claim holds it, or it waits for a retry
	}
	if err := r.open(ctx, repo, cfg, s, occ.Wall, run); err != nil {
		return r.release(ctx, run, err)
	}
	settle()
	return nil
}

// grace is Grace, else the repository's reminders.grace.
func (r *Runner) grace(cfg *repoconfig.Config) time.Duration {
	if r.Grace > 0 {
		return r.Grace
	}
	return cfg.ReminderGrace()
}

// errLeaseEnding: the claim ends too soon to change anything safely.
var errLeaseEnding = errors.New("the run's claim ends before it could be opened")

// errRecord: the run was opened but could not be recorded; its claim runs
// out and the next claimer finds what was opened.
type errRecord struct{ err error }

func (e errRecord) Error() string { return "record the opened run: " + e.err.Error() }
func (e errRecord) Unwrap() error { return e.err }

// release hands a run whose opening failed back to the store: to be tried
// again later, or failed for good when GitHub or Slack refused it.
func (r *Runner) release(ctx context.Context, run store.ScheduleRun, cause error) error {
	var rec errRecord
	if errors.As(cause, &rec) {
		return cause // leave the claim to run out
	}
	now := r.Clock.Now()
	if permanent(cause) {
		if err := r.Store.FailScheduleRun(ctx, run.ScheduleRunKey, r.Owner, cause.Error()); err != nil {
			return fmt.Errorf("%w (and recording it failed: %w)", cause, err)
		}
		r.Metrics.ScheduleRun(metrics.ScheduleRunFailed)
		return cause
	}
	notBefore := now.Add(backoff(run.Attempts))
	if errors.Is(cause, errLeaseEnding) {
		notBefore = now
	} else if d, ok := slackclient.RetryAfter(cause); ok && now.Add(d).After(notBefore) {
		notBefore = now.Add(d)
	}
	if err := r.Store.RetryScheduleRun(ctx, run.ScheduleRunKey, r.Owner, notBefore, cause.Error()); err != nil {
		return fmt.Errorf("%w (and releasing it failed: %w)", cause, err)
	}
	return cause
}

// permanent reports whether GitHub or Slack refused for good (a missing
// repository, no permission, issues disabled, a channel golive is not in).
func permanent(err error) bool {
	var gh gitHubError
	switch {
	case errors.Is(err, errLeaseEnding), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &gh):
		return !ghclient.IsTransient(gh.err)
	}
	return slackclient.IsPermanent(err)
}

// gitHubError marks an error of a GitHub call, so that it is judged by
// ghclient.IsTransient.
type gitHubError struct{ err error }

func (e gitHubError) Error() string { return e.err.Error() }
func (e gitHubError) Unwrap() error { return e.err }

// github marks err as a GitHub call's.
func github(err error) error {
	if err == nil {
		return nil
	}
	return gitHubError{err}
}

// backoff is the wait before the attempt after attempts: 30 s doubling, at
// most 15 minutes.
func backoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < 15*time.Minute; i++ {
		d *= 2
	}
	return min(d, 15*time.Minute)
}
