package schedules

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// Reasons GitHub knows for closing an issue.
const (
	closedCompleted  = "completed"
	closedNotPlanned = "not_planned"
)

// open opens a run this Runner holds the claim of: its issue (rolling the
// schedule's earlier open issues over) or its Slack message, then records
// it. Nothing is done twice when an earlier claim did it already.
func (r *Runner) open(ctx context.Context, repo repoRef, cfg *repoconfig.Config, s repoconfig.Schedule, wall time.Time, run store.ScheduleRun) error {
	loc := cfg.ScheduleLocation(s)
	now := r.Clock.Now()
	v := view{s: s, repo: repo.fullName, loc: loc, wall: wall, dueAt: run.DueAt, openedAt: now, skipped: run.Skipped,
		late: now.Sub(run.DueAt) > r.grace(cfg)}
	if end, ok := s.End(wall, run.DueAt, loc); ok {
		v.end = end
	}
	channel := cfg.ScheduleChannel(s)
	opened := store.ScheduleOpened{SlackChannel: channel, EndsAt: v.end}
	var err error
	if s.Post == repoconfig.PostSlack {
		err = r.openSlack(ctx, v, run, channel, &opened)
	} else {
		err = r.openIssue(ctx, repo, v, run, &opened)
		// The reminder lists the issue's open items; a run opened after
		// its reminder time gets none.
		if remindAt := v.end.Add(-s.RemindBefore); err == nil && !v.end.IsZero() && channel != "" && remindAt.After(run.DueAt) && remindAt.After(now) {
			opened.RemindAt = remindAt
		}
	}
	if err != nil {
		return err
	}
	opened.OpenedAt = r.Clock.Now()
	if err := r.Store.OpenScheduleRun(ctx, run.ScheduleRunKey, r.Owner, opened); err != nil {
		return errRecord{err}
	}
	r.Metrics.ScheduleRun(metrics.ScheduleRunOpened)
	r.Logger.Info("opened a scheduled run", "repo", repo.fullName, "schedule", s.ID, "run", run.RunKey,
		"issue", opened.IssueNumber, "skipped", run.Skipped, "late", v.late)
	return nil
}

// holds reports whether the claim on run lasts long enough to change
// something on GitHub or Slack.
func (r *Runner) holds(run store.ScheduleRun) bool {
	return r.Clock.Now().Before(run.LeaseUntil.Add(-leaseMargin))
}

// openIssue finds or creates the run's issue and rolls the schedule's
// earlier open issues over into it.
func (r *Runner) openIssue(ctx context.Context, repo repoRef, v view, run store.ScheduleRun, opened *store.ScheduleOpened) error {
	api, err := r.Repos(repo.installationID, repo.fullName)
	if err != nil {
		return github(err)
	}
	issues, err := api.OpenIssues(ctx, repoconfig.ScheduleLabel)
	if err != nil {
		return github(err)
	}
	var (
		number int
		prev   []carried
	)
	for _, is := range issues {
		id, key, ok := ParseMarker(is.Body)
		switch {
		case !ok || id != v.s.ID:
		case key == run.RunKey:
			if number == 0 || is.Number < number {
				number = is.Number // created by an earlier claim
			}
		case key < run.RunKey:
			open, _ := openTasks(is.Body)
			prev = append(prev, carried{number: is.Number, runKey: key, open: open})
		}
	}
	if number == 0 {
		if !r.holds(run) {
			return errLeaseEnding
		}
		if number, err = api.CreateIssue(ctx, v.title(), v.issueBody(prev), []string{repoconfig.ScheduleLabel, v.s.ID}); err != nil {
			return github(err)
		}
	}
	opened.IssueNumber = number
	for _, c := range prev {
		if err := r.rollOver(ctx, api, v.s.ID, c, number, run); err != nil {
			return err
		}
	}
	return nil
}

// rollOver comments on an earlier run's issue what it left open (once) and
// closes it: as completed when everything was done, else as not planned.
func (r *Runner) rollOver(ctx context.Context, api RepoAPI, scheduleID string, c carried, next int, run store.ScheduleRun) error {
	commented := false
	if run.Attempts > 1 {
		// An earlier claim may have commented before it died.
		comments, err := api.Comments(ctx, c.number)
		if err != nil {
			return github(err)
		}
		for _, cm := range comments {
			if hasRollover(cm.Body, scheduleID, c.runKey) {
				commented = true
				break
			}
		}
	}
	if !r.holds(run) {
		return errLeaseEnding
	}
	if !commented {
		if _, err := api.CreateComment(ctx, c.number, rolloverComment(scheduleID, c, next)); err != nil {
			return github(err)
		}
	}
	reason := closedNotPlanned
	if len(c.open) == 0 {
		reason = closedCompleted
	}
	if err := api.CloseIssue(ctx, c.number, reason); err != nil {
		return github(err)
	}
	return nil
}

// errNoSlack: a run posts to Slack, which is not configured; it is tried
// again later (until a newer run replaces it).
var errNoSlack = errors.New("the schedule posts to Slack, but SLACK_BOT_TOKEN is not set")

// openSlack finds or posts the run's Slack message.
func (r *Runner) openSlack(ctx context.Context, v view, run store.ScheduleRun, channel string, opened *store.ScheduleOpened) error {
	if r.Slack == nil {
		return errNoSlack
	}
	if channel == "" {
		return fmt.Errorf("schedule %q posts to Slack but has no channel", v.s.ID)
	}
	id, err := r.Slack.ResolveChannel(ctx, channel)
	if err != nil {
		return err
	}
	runID := RunID(run.ScheduleRunKey)
	if run.Attempts > 1 {
		ts, found, err := r.Slack.FindByMetadata(ctx, id, "", RunEvent, "run", runID)
		if err != nil {
			return err
		}
		if found {
			opened.SlackChannelID, opened.SlackTS = id, ts
			return nil
		}
	}
	if !r.holds(run) {
		return errLeaseEnding
	}
	ts, chID, err := r.Slack.PostMessage(ctx, slackclient.Message{Channel: id, Text: v.slackRun(),
		Metadata: &slackclient.Metadata{EventType: RunEvent, Payload: map[string]any{"run": runID, "schedule": v.s.ID, "repo": v.repo}}})
	if err != nil {
		return err
	}
	if chID == "" {
		chID = id
	}
	opened.SlackChannelID, opened.SlackTS = chID, ts
	return nil
}

// issueGone reports whether GitHub says the issue does not exist.
func issueGone(err error) bool { return errors.Is(err, ghclient.ErrIssueNotFound) }
