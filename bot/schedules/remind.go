package schedules

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golive-dev/golive/bot/cron"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// remindBatch is the most reminders one claim takes.
const remindBatch = 50

// remindRetry is the wait before a reminder that failed for a passing
// reason is tried again.
const remindRetry = time.Minute

// remindTick sends the end-of-day reminders due at now.
func (r *Runner) remindTick(ctx context.Context, now time.Time) {
	for ctx.Err() == nil {
		runs, err := r.Store.ClaimScheduleReminders(ctx, r.Owner, now, r.Lease, remindBatch)
		if err != nil {
			if ctx.Err() == nil {
				r.Logger.Error("claim end-of-day reminders", "err", err)
			}
			return
		}
		for _, run := range runs {
			if err := r.remind(ctx, run); err != nil && ctx.Err() == nil {
				r.Logger.Warn("send the end-of-day reminder of a scheduled run", "repo", run.Repo, "schedule", run.ScheduleID,
					"run", run.RunKey, "err", err)
			}
		}
		if len(runs) < remindBatch {
			return
		}
	}
}

// remind posts what is still open in a run's issue to Slack, once, and
// records it; a reminder with nothing to say (every item done, the issue
// closed, the end of day passed) is skipped.
func (r *Runner) remind(ctx context.Context, run store.ScheduleRun) error {
	now := r.Clock.Now()
	finish := func(state store.RemindState, ts, detail string) error {
		return r.Store.FinishScheduleReminder(ctx, run.ScheduleRunKey, r.Owner, state, r.Clock.Now(), ts, detail)
	}
	retry := func(cause error) error {
		notBefore := r.Clock.Now().Add(remindRetry)
		if d, ok := slackclient.RetryAfter(cause); ok {
			notBefore = r.Clock.Now().Add(d)
		}
		if err := r.Store.RetryScheduleReminder(ctx, run.ScheduleRunKey, r.Owner, notBefore, cause.Error()); err != nil {
			return fmt.Errorf("%w (and releasing it failed: %w)", cause, err)
		}
		return cause
	}
	if !run.EndsAt.IsZero() && !now.Before(run.EndsAt) {
		return finish(store.RemindSkipped, "", "the run's end of day passed before golive could remind")
	}
	repo := repoRef{installationID: run.InstallationID, id: run.RepoID, fullName: run.Repo}
	cfg, err := r.config(ctx, repo, now)
	if err != nil {
		return retry(err)
	}
	s, ok := cfg.Schedule(run.ScheduleID)
	if !ok {
		return finish(store.RemindSkipped, "", "the schedule is no longer configured")
	}
	channel := run.SlackChannel
	if channel == "" {
		channel = cfg.ScheduleChannel(s)
	}
	if channel == "" {
		return finish(store.RemindSkipped, "", "no Slack channel is configured")
	}
	api, err := r.Repos(run.InstallationID, run.Repo)
	if err != nil {
		return retry(err)
	}
	is, err := api.Issue(ctx, run.IssueNumber)
	switch {
	case issueGone(err):
		return finish(store.RemindSkipped, "", "the run's issue is gone")
	case err != nil:
		return retry(err)
	case is.State != "open":
		return finish(store.RemindSkipped, "", "the run's issue is closed")
	}
	open, total := openTasks(is.Body)
	if len(open) == 0 {
		return finish(store.RemindSkipped, "", "every item is done")
	}
	id, err := r.Slack.ResolveChannel(ctx, channel)
	if err != nil {
		if slackclient.IsPermanent(err) {
			return errors.Join(err, finish(store.RemindFailed, "", err.Error()))
		}
		return retry(err)
	}
	runID := RunID(run.ScheduleRunKey)
	if run.RemindAttempts > 1 {
		ts, found, err := r.Slack.FindByMetadata(ctx, id, "", RemindEvent, "run", runID)
		if err != nil {
			return retry(err)
		}
		if found {
			return finish(store.RemindSent, ts, "")
		}
	}
	if !r.holds(run) {
		return retry(errLeaseEnding)
	}
	wall, err := time.Parse(cron.KeyLayout, run.RunKey)
	if err != nil {
		return finish(store.RemindFailed, "", fmt.Sprintf("read run key %q: %v", run.RunKey, err))
	}
	v := view{s: s, repo: run.Repo, loc: cfg.ScheduleLocation(s), wall: wall, dueAt: run.DueAt, end: run.EndsAt}
	ts, _, err := r.Slack.PostMessage(ctx, slackclient.Message{Channel: id,
		Text:     v.slackReminder(r.IssueURL(run.Repo, run.IssueNumber), run.IssueNumber, open, total),
		Metadata: &slackclient.Metadata{EventType: RemindEvent, Payload: map[string]any{"run": runID, "schedule": run.ScheduleID, "repo": run.Repo}}})
	if err != nil {
		if slackclient.IsPermanent(err) {
			return errors.Join(err, finish(store.RemindFailed, "", err.Error()))
		}
		return retry(err)
	}
	if err := finish(store.RemindSent, ts, ""); err != nil {
		// The claim runs out; the next claimer finds the message.
		return fmt.Errorf("record the end-of-day reminder: %w", err)
	}
	return nil
}
