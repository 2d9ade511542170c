// Package tracking turns go-live issues into tracked checklists: it reads the
// issue form and the repository's configuration, writes the checklist into
// the issue body, records every tick in the audit log and keeps one tracker
// comment up to date. It is driven by issue events and has no HTTP of its own.
package tracking

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/issueform"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

// RepoAPI is what tracking needs of GitHub for one repository
// (ghclient.Repo implements it).
type RepoAPI interface {
	File(ctx context.Context, owner, repo, path string) ([]byte, bool, error)
	SetIssueBody(ctx context.Context, number int, body string) error
	CreateComment(ctx context.Context, number int, body string) (int64, error)
	EditComment(ctx context.Context, id int64, body string) error
	Comments(ctx context.Context, number int) ([]ghclient.Comment, error)
	Permission(ctx context.Context, user string) (string, error)
	Issue(ctx context.Context, number int) (ghclient.Issue, error)
}

// Repos gives the RepoAPI of a repository as an installation.
type Repos func(installationID int64, fullName string) (RepoAPI, error)

// IssueEvent is the part of an `issues` webhook tracking acts on.
type IssueEvent struct {
	DeliveryID     string
	Action         string // opened, edited, labeled, unlabeled, closed, reopened, …
	InstallationID int64
	RepoID         int64
	Repo           string // owner/name
	Number         int
	Body           string
	// OldBody is changes.body.from of an edit; nil when the body did not change.
	OldBody     *string
	Labels      []string
	State       string // open or closed
	StateReason string // completed, not_planned, reopened
	// UpdatedAt is the issue's updated_at: the version of Body. Events
	// handled out of order never replace a newer body's state.
	UpdatedAt   time.Time
	Sender      string
	SenderIsBot bool

	// planned: a /golive plan command made this issue a go-live, whatever
	// its labels. onGitHub is the body GitHub holds when it differs from
	// Body (the command's answers are not written yet).
	planned  bool
	onGitHub *string
}

// Service runs go-live tracking. Its methods are safe for concurrent use;
// state lives in the store, so several replicas may run it.
type Service struct {
	Store store.Store
	Repos Repos
	Clock clock.Clock
	// Coalesce is how long a tracker refresh waits for more changes, so a
	// burst of ticks becomes one edit. Default 2 s.
	Coalesce time.Duration
	// MinEditInterval is the least time between two edits of one tracker
	// comment, so any burst of ticks within it costs at most two edits.
	// Default 5 s.
	MinEditInterval time.Duration
	// Owner names this process in tracker-refresh leases.
	Owner string
	// Threads, when set, is told after a tracker refresh so the go-live's
	// Slack thread shows the same progress.
	Threads ThreadRefresher
	// OnReady, when set, is told after an issue event that leaves a
	// go-live's checklist ready (see ReadyListener).
	OnReady ReadyListener
}

// ReadyListener acts on go-lives whose checklist is ready (gate.Service
// implements it, approving the deployments that waited for it).
type ReadyListener interface {
	// GoLiveReady is called, holding the issue's lock, after every issue
	// event that leaves the go-live ready (Readiness reports Ready) — not
	// only the one that completed it, so it must be idempotent. An error
	// fails the event, which the inbox retries.
	GoLiveReady(ctx context.Context, goliveID int64) error
}

// Markers identify golive's own comments on an issue, so a comment posted
// just before a crash is found again rather than posted twice.
const (
	trackerMarker = "<!-- golive:tracker -->"
	problemMarker = "<!-- golive:problem -->"
)

// refreshAt is when a change at now should reach g's tracker comment: after
// the coalescing wait, and not sooner than MinEditInterval after its last edit.
func (s *Service) refreshAt(g store.GoLive, now time.Time) time.Time {
	coalesce, gap := s.Coalesce, s.MinEditInterval
	if coalesce <= 0 {
		coalesce = 2 * time.Second
	}
	if gap <= 0 {
		gap = 5 * time.Second
	}
	due := now.Add(coalesce)
	if earliest := g.TrackerEditedAt.Add(gap); !g.TrackerEditedAt.IsZero() && earliest.After(due) {
		due = earliest
	}
	return due
}

// HandleIssue applies one issue event. Issues that are not go-lives cost no
// API call. It is idempotent: a redelivered event changes nothing more.
func (s *Service) HandleIssue(ctx context.Context, ev IssueEvent) error {
	if ev.Action == "edited" && ev.SenderIsBot {
		// golive's own body update; nothing a person did.
		return nil
	}
	return s.withIssueLock(ctx, ev.RepoID, ev.Number, func() error { return s.handleIssue(ctx, ev) })
}

func (s *Service) handleIssue(ctx context.Context, ev IssueEvent) error {
	existing, err := s.Store.GetGoLive(ctx, ev.RepoID, ev.Number)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("look up the go-live of %s#%d: %w", ev.Repo, ev.Number, err)
	}
	if !known && !ev.planned && !mayBeGoLive(ev) {
		return nil
	}
	api, err := s.Repos(ev.InstallationID, ev.Repo)
	if err != nil {
		return err
	}
	owner, name, _ := strings.Cut(ev.Repo, "/")
	cfg, _, err := repoconfig.Load(ctx, fetcher{api}, owner, name)
	if err != nil {
		var loadErr *repoconfig.LoadError
		if errors.As(err, &loadErr) && ghclient.IsTransient(err) {
			return err // retried by the inbox
		}
		if !known && !ev.planned && !hasLabel(ev.Labels, repoconfig.DefaultLabel) {
			return nil
		}
		return s.reportProblems(ctx, api, ev, existing, configProblems(err))
	}
	if !known && !ev.planned && !hasLabel(ev.Labels, cfg.Label) {
		return nil
	}
	now := s.Clock.Now()

	if ev.Action == "closed" || ev.State == "closed" {
		if !known {
			return nil
		}
		return s.close(ctx, api, ev, existing, now)
	}

	// A go-live that has started is checked as of just before its start, so
	// its time is not "in the past" while its post-launch items are ticked;
	// a new time before it still is.
	planNow := now
	if known && !existing.At.IsZero() && !existing.At.After(now) {
		planNow = existing.At.Add(-time.Minute)
	}
	plan, problems := issueform.Parse(ev.Body).Plan(issueform.Defaults{Timezone: cfg.Timezone, Environments: cfg.EnvironmentNames()}, planNow)
	if len(problems) > 0 {
		// A running go-live stays as it is; only the problem comment changes.
		return s.reportProblems(ctx, api, ev, existing, formProblems(problems))
	}
	tmpl, err := TemplateFor(cfg)
	if err != nil {
		return s.reportProblems(ctx, api, ev, existing, []string{err.Error()})
	}
	if err := s.track(ctx, api, ev, existing, known, plan, cfg, tmpl, now); err != nil {
		return err
	}
	return s.tellReady(ctx, ev, tmpl)
}

// tellReady tells OnReady about the go-live of ev's issue when its stored
// checklist is ready, as Readiness (and so the tracker) evaluates it.
func (s *Service) tellReady(ctx context.Context, ev IssueEvent, tmpl checklist.Template) error {
	if s.OnReady == nil {
		return nil
	}
	g, err := s.Store.GetGoLive(ctx, ev.RepoID, ev.Number)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || g.State != store.GoLiveActive {
		return err
	}
	r, err := s.Readiness(ctx, g, tmpl)
	if err != nil || !r.Ready {
		return err
	}
	return s.OnReady.GoLiveReady(ctx, g.ID)
}

// track writes the checklist and records the plan and any ticks.
func (s *Service) track(ctx context.Context, api RepoAPI, ev IssueEvent, existing store.GoLive, known bool,
	plan issueform.Plan, cfg *repoconfig.Config, tmpl checklist.Template, now time.Time) error {
	log := logging.From(ctx)
	tasks := checklist.ParseTaskList(ev.Body)
	checked := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		checked[t.ID] = t.Checked
	}
	// Items people added by hand inside the checklist stay where they are.
	newBody, err := checklist.ApplyToBody(ev.Body, checklist.RenderKeeping(tmpl, plan.At, checked, tasks))
	if err != nil {
		return s.reportProblems(ctx, api, ev, existing, []string{"the checklist does not fit in the issue: " + err.Error() +
			". Shorten the issue text or the template in .github/golive.yml."})
	}

	g, created, err := s.Store.UpsertGoLive(ctx, store.GoLive{
		InstallationID: ev.InstallationID, RepoID: ev.RepoID, Repo: ev.Repo, IssueNumber: ev.Number,
		State: store.GoLiveActive, Environment: plan.Environment, At: plan.At.UTC(), Timezone: plan.Timezone,
		Release: plan.Release, SlackChannel: cmp.Or(plan.SlackChannel, cfg.Slack.Channel), Captain: plan.Captain,
	}, now)
	if err != nil {
		return err
	}
	if known && existing.SlackThreadTS != "" && existing.SlackChannel != g.SlackChannel {
		// A new channel gets a new thread (posted with the next reminder).
		if err := s.Store.SetSlackThread(ctx, g.ID, "", "", ""); err != nil {
			return err
		}
		if err := s.Store.SetSlackNote(ctx, g.ID, ""); err != nil {
			return err
		}
		g.SlackChannelID, g.SlackThreadTS, g.SlackParentText, g.SlackNote = "", "", "", ""
	}
	synced, err := s.syncReminders(ctx, g, cfg, tmpl, now)
	if err != nil {
		return err
	}
	onGitHub := ev.Body
	if ev.onGitHub != nil {
		onGitHub = *ev.onGitHub
	}
	if newBody != onGitHub {
		if err := api.SetIssueBody(ctx, ev.Number, newBody); err != nil {
			return err
		}
	}

	var audit []store.AuditEntry
	if created || (known && !existing.At.Equal(g.At)) || (known && existing.State != store.GoLiveActive) {
		action, detail := "plan", fmt.Sprintf("%s at %s", plan.Environment, formatTime(plan.At))
		if known && !existing.At.IsZero() && !existing.At.Equal(g.At) {
			loc := plan.At.Location()
			action, detail = "replan", fmt.Sprintf("moved from %s to %s", formatTime(existing.At.In(loc)), formatTime(plan.At))
			if r := synced.String(); r != "" {
				detail += "; " + r
			}
		}
		audit = append(audit, store.AuditEntry{GoLiveID: g.ID, At: now, Actor: ev.Sender, Action: action, Detail: detail,
			DedupKey: ev.DeliveryID + ":" + action})
	}
	if ev.OldBody != nil {
		for _, c := range checklist.Diff(checklist.ParseTaskList(*ev.OldBody), tasks) {
			action := "untick"
			if c.Checked {
				action = "tick"
			}
			audit = append(audit, store.AuditEntry{GoLiveID: g.ID, At: now, Actor: ev.Sender, Action: action,
				ItemID: c.ID, Detail: c.Text, DedupKey: ev.DeliveryID + ":" + c.ID})
		}
	}
	if len(audit) > 0 {
		if _, err := s.Store.AppendAudit(ctx, audit); err != nil {
			return err
		}
	}
	after := checklist.ParseTaskList(newBody)
	current, err := s.saveItems(ctx, g.ID, tmpl, after, ev.Sender, now, ev.UpdatedAt)
	if err != nil {
		return err
	}
	if !current {
		log.Info("older issue body handled after a newer one; its ticks are audited, its state is not kept",
			"repo", ev.Repo, "issue", ev.Number, "updated_at", ev.UpdatedAt)
		return nil
	}
	if g.ProblemCommentID != 0 {
		if err := api.EditComment(ctx, g.ProblemCommentID, problemMarker+"\n✅ The go-live form is complete; golive is tracking this issue."); err != nil &&
			!errors.Is(err, ghclient.ErrCommentGone) {
			return err
		}
		if err := s.Store.SetGoLiveComment(ctx, g.ID, store.ProblemComment, 0); err != nil {
			return err
		}
	}
	body, err := s.trackerBody(ctx, g, tmpl, after)
	if err != nil {
		return err
	}
	if g.TrackerCommentID == 0 {
		id, err := s.ensureComment(ctx, api, ev.Number, trackerMarker, body)
		if err != nil {
			return err
		}
		log.Info("go-live tracked", "repo", ev.Repo, "issue", ev.Number, "environment", plan.Environment, "at", plan.At)
		return s.Store.SetGoLiveComment(ctx, g.ID, store.TrackerComment, id)
	}
	if body == g.TrackerBody {
		return nil // already shown, or already scheduled
	}
	return s.Store.ScheduleTracker(ctx, g.ID, s.refreshAt(g, now), body, ev.UpdatedAt)
}

// saveItems stores the items read from the body as of asOf, keeping who
// ticked each item last and when; false when a newer body was saved already.
func (s *Service) saveItems(ctx context.Context, goliveID int64, tmpl checklist.Template, tasks []checklist.Task, sender string, now, asOf time.Time) (bool, error) {
	prev, err := s.Store.Items(ctx, goliveID)
	if err != nil {
		return false, err
	}
	before := make(map[string]store.Item, len(prev))
	for _, it := range prev {
		before[it.ID] = it
	}
	required := map[string]bool{}
	for _, it := range tmpl.Items() {
		required[it.ID] = it.Required
	}
	items := make([]store.Item, 0, len(tasks))
	for _, t := range tasks {
		it := store.Item{ID: t.ID, Phase: t.Phase, Text: t.Text, Owner: t.Owner, Required: required[t.ID], Manual: strings.HasPrefix(t.ID, "manual:"), Checked: t.Checked}
		if p, ok := before[t.ID]; ok && p.Checked == t.Checked {
			it.CheckedBy, it.CheckedAt = p.CheckedBy, p.CheckedAt
		} else if t.Checked {
			it.CheckedBy, it.CheckedAt = sender, now
		}
		items = append(items, it)
	}
	return s.Store.SaveItems(ctx, goliveID, items, asOf)
}

// close ends a go-live: done when the issue was closed as completed,
// cancelled otherwise.
func (s *Service) close(ctx context.Context, api RepoAPI, ev IssueEvent, g store.GoLive, now time.Time) error {
	state := store.GoLiveDone
	if ev.StateReason == "not_planned" {
		state = store.GoLiveCancelled
	}
	if g.State == state {
		return nil
	}
	g.State = state
	g, _, err := s.Store.UpsertGoLive(ctx, g, now)
	if err != nil {
		return err
	}
	if _, err := s.Store.CancelReminders(ctx, g.ID); err != nil {
		return err
	}
	if _, err := s.Store.AppendAudit(ctx, []store.AuditEntry{{GoLiveID: g.ID, At: now, Actor: ev.Sender, Action: "close",
		Detail: string(state), DedupKey: ev.DeliveryID + ":close"}}); err != nil {
		return err
	}
	if g.TrackerCommentID == 0 {
		return nil
	}
	items, err := s.Store.Items(ctx, g.ID)
	if err != nil {
		return err
	}
	body := fmt.Sprintf("%s\n## Go-live %s\nThis go-live ended: **%s** by @%s at %s. %s\n", trackerMarker,
		g.Environment, state, ev.Sender, formatTime(now.In(location(g.Timezone))), progressLine(items))
	return s.Store.ScheduleTracker(ctx, g.ID, now, body, time.Time{})
}

// reportProblems records the go-live as invalid (unless it is running) and
// puts the problems in golive's one problem comment on the issue.
func (s *Service) reportProblems(ctx context.Context, api RepoAPI, ev IssueEvent, existing store.GoLive, problems []string) error {
	now := s.Clock.Now()
	g := existing
	if g.ID == 0 || g.State != store.GoLiveActive {
		g.InstallationID, g.RepoID, g.Repo, g.IssueNumber, g.State = ev.InstallationID, ev.RepoID, ev.Repo, ev.Number, store.GoLiveInvalid
		var err error
		if g, _, err = s.Store.UpsertGoLive(ctx, g, now); err != nil {
			return err
		}
	}
	var b strings.Builder
	b.WriteString(problemMarker + "\n**golive cannot track this go-live yet.** Please fix:\n\n")
	for _, p := range problems {
		b.WriteString("- " + inertProblem(p) + "\n")
	}
	b.WriteString("\nEdit the issue to fix it; golive reads it again on every edit.")
	if g.ProblemCommentID != 0 {
		err := api.EditComment(ctx, g.ProblemCommentID, b.String())
		if err == nil || !errors.Is(err, ghclient.ErrCommentGone) {
			return err
		}
	}
	id, err := s.ensureComment(ctx, api, ev.Number, problemMarker, b.String())
	if err != nil {
		return err
	}
	logging.From(ctx).Info("go-live form problems reported", "repo", ev.Repo, "issue", ev.Number, "problems", len(problems))
	return s.Store.SetGoLiveComment(ctx, g.ID, store.ProblemComment, id)
}

// inertProblem keeps what a problem quotes — people's form answers, values
// from .github/golive.yml — from mentioning anyone or planting a link in
// golive's comment: every "@" is followed by a zero-width space, and outside
// code spans "[", "]", "<" and ">" are shown as they are rather than forming
// links or HTML.
func inertProblem(p string) string {
	p = strings.ReplaceAll(p, "@", "@\u200b")
	parts := strings.Split(p, "`")
	for i := range parts {
		// Even parts are outside code spans; so is the last one after an
		// unpaired backtick.
		if i%2 == 0 || (len(parts)%2 == 0 && i == len(parts)-1) {
			parts[i] = problemEscaper.Replace(parts[i])
		}
	}
	return strings.Join(parts, "`")
}

var problemEscaper = strings.NewReplacer("[", "\\[", "]", "\\]", "<", "&lt;", ">", "&gt;")

// ensureComment returns golive's comment carrying marker on the issue, editing
// it to body, or posts one. Looking first means a comment posted just before
// a crash is reused, never duplicated.
func (s *Service) ensureComment(ctx context.Context, api RepoAPI, number int, marker, body string) (int64, error) {
	cs, err := api.Comments(ctx, number)
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		if c.AuthorIsBot && strings.HasPrefix(c.Body, marker) {
			if c.Body != body {
				if err := api.EditComment(ctx, c.ID, body); err != nil {
					return 0, err
				}
			}
			return c.ID, nil
		}
	}
	return api.CreateComment(ctx, number, body)
}

// RefreshTrackers edits the tracker comments whose refresh is due and returns
// how many it edited.
func (s *Service) RefreshTrackers(ctx context.Context) (int, error) {
	claims, err := s.Store.ClaimDueTrackers(ctx, s.Owner, s.Clock.Now(), time.Minute, 20)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, c := range claims {
		api, err := s.Repos(c.InstallationID, c.Repo)
		if err == nil && c.TrackerCommentID != 0 {
			err = api.EditComment(ctx, c.TrackerCommentID, c.TrackerBody)
		}
		if err != nil && !errors.Is(err, ghclient.ErrCommentGone) {
			// Left due; the lease expires and the edit is tried again.
			errs = append(errs, fmt.Errorf("refresh the tracker of %s#%d: %w", c.Repo, c.IssueNumber, err))
			continue
		}
		if err := s.Store.FinishTracker(ctx, c, s.Owner, s.Clock.Now()); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
		if s.Threads != nil {
			// The Slack thread shows the same progress; Slack being down
			// must not hold the tracker back.
			if err := s.Threads.RefreshThread(ctx, c.ID); err != nil {
				logging.From(ctx).Warn("update the go-live's Slack thread", "golive", c.ID, "err", err)
			}
		}
	}
	return n, errors.Join(errs...)
}

// RunTrackerRefresher refreshes due trackers every interval until ctx ends.
func (s *Service) RunTrackerRefresher(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.RefreshTrackers(ctx); err != nil && ctx.Err() == nil {
			logging.From(ctx).Error("refresh trackers", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Readiness evaluates a go-live's checklist from its stored items, with the
// same code the tracker uses.
func (s *Service) Readiness(ctx context.Context, g store.GoLive, tmpl checklist.Template) (checklist.Readiness, error) {
	items, err := s.Store.Items(ctx, g.ID)
	if err != nil {
		return checklist.Readiness{}, err
	}
	return checklist.Evaluate(tmpl, g.At.In(location(g.Timezone)), Tasks(items)), nil
}

// Tasks are stored items as the checklist package reads them.
func Tasks(items []store.Item) []checklist.Task {
	tasks := make([]checklist.Task, len(items))
	for i, it := range items {
		tasks[i] = checklist.Task{ID: it.ID, Text: it.Text, Owner: it.Owner, Checked: it.Checked, Phase: it.Phase}
	}
	return tasks
}

// mayBeGoLive is the check that costs no API call: the default label, the
// form's first heading, or a label just added (it may be a repository's own
// go-live label, which only its configuration names).
func mayBeGoLive(ev IssueEvent) bool {
	return hasLabel(ev.Labels, repoconfig.DefaultLabel) || ev.Action == "labeled" ||
		strings.Contains(ev.Body, "### "+issueform.LabelTime)
}

func hasLabel(labels []string, want string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, want) {
			return true
		}
	}
	return false
}

type fetcher struct{ api RepoAPI }

func (f fetcher) GetFile(ctx context.Context, owner, repo, path string) ([]byte, bool, error) {
	return f.api.File(ctx, owner, repo, path)
}

func configProblems(err error) []string {
	var pe *repoconfig.ParseError
	if errors.As(err, &pe) {
		out := make([]string, 0, len(pe.Problems))
		for _, p := range pe.Problems {
			out = append(out, fmt.Sprintf("`%s` line %d: %s", pe.File, p.Line, p.Message))
		}
		return out
	}
	return []string{"golive could not read `.github/golive.yml`: " + err.Error()}
}

func formProblems(ps []issueform.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Message
	}
	return out
}

func location(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

func formatTime(t time.Time) string { return t.Format("2006-01-02 15:04 MST") }
