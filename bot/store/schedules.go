package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Recurring operations: each schedule of a repository's .github/golive.yml
// opens a run at each time its cron expression names. A run is a row keyed
// by repository, schedule and the run's scheduled local date and time; the
// key is unique, so whichever worker of whichever replica claims the row
// (ClaimScheduleRun) is the only one that opens the run, and a run opens
// once across restarts. A worker that dies while opening leaves its claim to
// expire; the next claimer finds what the first one did (the run's issue
// carries a hidden marker) instead of doing it again. An opened run with an
// end of day is claimed once more, at its reminder time, for the Slack
// reminder listing what is still open (ClaimScheduleReminders).

// ScheduleRunState is where a run is.
type ScheduleRunState string

const (
	// ScheduleRunPending: not opened yet (claimed by the worker opening
	// it, or waiting for a retry).
	ScheduleRunPending ScheduleRunState = "pending"
	// ScheduleRunOpened: its issue (or Slack message) exists.
	ScheduleRunOpened ScheduleRunState = "opened"
	// ScheduleRunSkipped: a newer run of the schedule opened before this one
	// could; the newer one counts it as missed.
	ScheduleRunSkipped ScheduleRunState = "skipped"
	// ScheduleRunFailed: GitHub or Slack refused it for good; LastError
	// says why.
	ScheduleRunFailed ScheduleRunState = "failed"
)

// RemindState is where a run's end-of-day reminder is.
type RemindState string

const (
	RemindNone    RemindState = "none"    // the run has no reminder
	RemindPending RemindState = "pending" // due at RemindAt
	RemindSent    RemindState = "sent"
	RemindSkipped RemindState = "skipped" // nothing open, the issue closed, or too late
	RemindFailed  RemindState = "failed"  // Slack refused it for good
)

// ScheduleRunKey names one run of one schedule.
type ScheduleRunKey struct {
	RepoID     int64
	ScheduleID string
	// RunKey is the run's scheduled local date and time in the schedule's
	// zone, like "2026-11-23T09:00" (cron.Occurrence.Key).
	RunKey string
}

func (k ScheduleRunKey) what() string {
	return fmt.Sprintf("run %q of schedule %q of repository %d", k.RunKey, k.ScheduleID, k.RepoID)
}

// ScheduleRun is one run of a schedule.
type ScheduleRun struct {
	ScheduleRunKey
	ID             int64
	InstallationID int64
	Repo           string    // owner/name
	DueAt          time.Time // when it was due to open
	// Skipped counts the earlier runs, missed while golive was down, that
	// this one stands for.
	Skipped    int
	State      ScheduleRunState
	Attempts   int // how many times it was claimed to open
	LastError  string
	LeaseOwner string
	LeaseUntil time.Time
	// IssueNumber is the run's issue (0 for a run posted to Slack).
	IssueNumber int
	// SlackChannel is the channel as configured; SlackChannelID and SlackTS
	// the message of a run posted to Slack.
	SlackChannel   string
	SlackChannelID string
	SlackTS        string
	OpenedAt       time.Time
	EndsAt         time.Time // the run's end of day; zero when none
	// The end-of-day reminder.
	RemindState    RemindState
	RemindAt       time.Time
	RemindAttempts int
	RemindedAt     time.Time
	RemindTS       string
	RemindDetail   string // why it was skipped or failed
}

// ScheduleOpened is what opening a run produced.
type ScheduleOpened struct {
	IssueNumber                           int
	SlackChannel, SlackChannelID, SlackTS string
	OpenedAt                              time.Time
	EndsAt                                time.Time
	// RemindAt is when the end-of-day reminder is due; zero for none.
	RemindAt time.Time
}

const scheduleRunCols = `id, repo_id, schedule_id, run_key, installation_id, repo, due_at, skipped, state, attempts, last_error,
	lease_owner, lease_until, issue_number, slack_channel, slack_channel_id, slack_ts, opened_at, ends_at,
	remind_state, remind_at, remind_attempts, reminded_at, remind_ts, remind_detail`

func scanScheduleRun(sc rowScanner) (ScheduleRun, error) {
	var r ScheduleRun
	var state, remind string
	err := sc.Scan(&r.ID, &r.RepoID, &r.ScheduleID, &r.RunKey, &r.InstallationID, &r.Repo, scanTime(&r.DueAt), &r.Skipped,
		&state, &r.Attempts, &r.LastError, &r.LeaseOwner, scanTime(&r.LeaseUntil), &r.IssueNumber, &r.SlackChannel,
		&r.SlackChannelID, &r.SlackTS, scanTime(&r.OpenedAt), scanTime(&r.EndsAt), &remind, scanTime(&r.RemindAt),
		&r.RemindAttempts, scanTime(&r.RemindedAt), &r.RemindTS, &r.RemindDetail)
	r.State, r.RemindState = ScheduleRunState(state), RemindState(remind)
	return r, err
}

// NoteSchedule records that golive knows a schedule of a repository since
// now, unless it knew it already, and returns since when it does.
func (s *sqlStore) NoteSchedule(ctx context.Context, repoID int64, scheduleID string, now time.Time) (time.Time, error) {
	activity := fmt.Sprintf("note schedule %q of repository %d", scheduleID, repoID)
	if scheduleID == "" || now.IsZero() {
		return time.Time{}, fmt.Errorf("%s: a schedule id and the time are required", activity)
	}
	if _, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO schedules (repo_id, schedule_id, first_seen_at) VALUES (?, ?, ?)
		ON CONFLICT (repo_id, schedule_id) DO NOTHING`), repoID, scheduleID, s.d.timeArg(now)); err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", activity, err)
	}
	var since time.Time
	if err := s.w.QueryRowContext(ctx, s.d.rebind(`SELECT first_seen_at FROM schedules WHERE repo_id = ? AND schedule_id = ?`),
		repoID, scheduleID).Scan(scanTime(&since)); err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", activity, err)
	}
	return since, nil
}

// ClaimScheduleRun claims r's run for owner until now+lease and returns it
// and true: a new run is stored pending with r's InstallationID, Repo,
// DueAt and Skipped and Attempts 1; an existing pending run whose lease (or
// retry delay) has passed is claimed again, Attempts incremented, keeping
// its DueAt and Skipped. Otherwise (the run is opened, skipped or failed,
// or another claim holds it) nothing changes and it returns the run as
// stored and false. Of concurrent claimers exactly one gets true.
func (s *sqlStore) ClaimScheduleRun(ctx context.Context, r ScheduleRun, owner string, now time.Time, lease time.Duration) (ScheduleRun, bool, error) {
	activity := "claim " + r.ScheduleRunKey.what()
	if owner == "" || lease <= 0 || r.ScheduleID == "" || r.RunKey == "" || r.DueAt.IsZero() {
		return ScheduleRun{}, false, fmt.Errorf("%s: an owner, a positive lease, a schedule id, a run key and the due time are required", activity)
	}
	claimed, err := scanScheduleRun(s.w.QueryRowContext(ctx, s.d.rebind(`INSERT INTO schedule_runs
		(repo_id, schedule_id, run_key, installation_id, repo, due_at, skipped, state, attempts, lease_owner, lease_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?)
		ON CONFLICT (repo_id, schedule_id, run_key) DO UPDATE SET attempts = schedule_runs.attempts + 1,
			lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
		WHERE schedule_runs.state = 'pending' AND (schedule_runs.lease_until IS NULL OR schedule_runs.lease_until <= ?)
		RETURNING `+scheduleRunCols),
		r.RepoID, r.ScheduleID, r.RunKey, r.InstallationID, r.Repo, s.d.timeArg(r.DueAt), r.Skipped, owner,
		s.d.timeArg(now.Add(lease)), s.d.timeArg(now)))
	if err == nil {
		return claimed, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return ScheduleRun{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	stored, err := s.getScheduleRun(ctx, s.w, r.ScheduleRunKey)
	if err != nil {
		return ScheduleRun{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	return stored, false, nil
}

func (s *sqlStore) getScheduleRun(ctx context.Context, db *sql.DB, k ScheduleRunKey) (ScheduleRun, error) {
	r, err := scanScheduleRun(db.QueryRowContext(ctx, s.d.rebind(`SELECT `+scheduleRunCols+` FROM schedule_runs
		WHERE repo_id = ? AND schedule_id = ? AND run_key = ?`), k.RepoID, k.ScheduleID, k.RunKey))
	if errors.Is(err, sql.ErrNoRows) {
		return ScheduleRun{}, fmt.Errorf("get %s: %w", k.what(), ErrNotFound)
	}
	if err != nil {
		return ScheduleRun{}, fmt.Errorf("get %s: %w", k.what(), err)
	}
	return r, nil
}

// GetScheduleRun returns one run, or ErrNotFound.
func (s *sqlStore) GetScheduleRun(ctx context.Context, k ScheduleRunKey) (ScheduleRun, error) {
	return s.getScheduleRun(ctx, s.r, k)
}

// LatestScheduleRun returns the run of a schedule that was due last (of
// runs due at the same time, the greatest run key), whatever its state, or
// ErrNotFound when the schedule has none.
func (s *sqlStore) LatestScheduleRun(ctx context.Context, repoID int64, scheduleID string) (ScheduleRun, error) {
	r, err := scanScheduleRun(s.w.QueryRowContext(ctx, s.d.rebind(`SELECT `+scheduleRunCols+` FROM schedule_runs
		WHERE repo_id = ? AND schedule_id = ? ORDER BY due_at DESC, run_key`+s.d.bytewise+` DESC LIMIT 1`), repoID, scheduleID))
	if errors.Is(err, sql.ErrNoRows) {
		return ScheduleRun{}, fmt.Errorf("get the latest run of schedule %q of repository %d: %w", scheduleID, repoID, ErrNotFound)
	}
	if err != nil {
		return ScheduleRun{}, fmt.Errorf("get the latest run of schedule %q of repository %d: %w", scheduleID, repoID, err)
	}
	return r, nil
}

// ListScheduleRuns returns a schedule's runs, the earliest due first.
func (s *sqlStore) ListScheduleRuns(ctx context.Context, repoID int64, scheduleID string) ([]ScheduleRun, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+scheduleRunCols+` FROM schedule_runs
		WHERE repo_id = ? AND schedule_id = ? ORDER BY due_at, run_key`+s.d.bytewise), repoID, scheduleID)
	return collect(rows, err, fmt.Sprintf("list the runs of schedule %q of repository %d", scheduleID, repoID), scanScheduleRun)
}

// OpenScheduleRun records a run owner holds as opened (its issue or Slack
// message, its end of day and its reminder, pending when o.RemindAt is set)
// and releases it. In the same transaction, the schedule's pending runs due
// before it that no other claim holds at o.OpenedAt become skipped: this
// run stands for them. ErrLeaseLost when owner does not hold the run.
func (s *sqlStore) OpenScheduleRun(ctx context.Context, k ScheduleRunKey, owner string, o ScheduleOpened) error {
	activity := "record " + k.what() + " as opened"
	if o.OpenedAt.IsZero() {
		return fmt.Errorf("%s: the time it opened is required", activity)
	}
	remind := RemindNone
	if !o.RemindAt.IsZero() {
		remind = RemindPending
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", activity, err)
	}
	defer tx.Rollback()
	var dueAt time.Time
	err = tx.QueryRowContext(ctx, s.d.rebind(`UPDATE schedule_runs SET state = 'opened', issue_number = ?, slack_channel = ?,
			slack_channel_id = ?, slack_ts = ?, opened_at = ?, ends_at = ?, remind_state = ?, remind_at = ?, last_error = '',
			lease_owner = '', lease_until = NULL
		WHERE repo_id = ? AND schedule_id = ? AND run_key = ? AND state = 'pending' AND lease_owner = ? AND lease_owner <> ''
		RETURNING due_at`),
		o.IssueNumber, o.SlackChannel, o.SlackChannelID, o.SlackTS, s.d.timeArg(o.OpenedAt), s.d.timeArg(o.EndsAt),
		string(remind), s.d.timeArg(o.RemindAt), k.RepoID, k.ScheduleID, k.RunKey, owner).Scan(scanTime(&dueAt))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s by %q: %w", activity, owner, ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", activity, err)
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE schedule_runs SET state = 'skipped', lease_owner = '', lease_until = NULL
		WHERE repo_id = ? AND schedule_id = ? AND state = 'pending' AND due_at < ?
		  AND (lease_owner = '' OR lease_until IS NULL OR lease_until <= ?)`),
		k.RepoID, k.ScheduleID, s.d.timeArg(dueAt), s.d.timeArg(o.OpenedAt)); err != nil {
		return fmt.Errorf("%s: skip the runs it stands for: %w", activity, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", activity, err)
	}
	return nil
}

// finishScheduleRun changes a pending run owner holds; ErrLeaseLost when it
// does not.
func (s *sqlStore) finishScheduleRun(ctx context.Context, activity string, k ScheduleRunKey, owner, set string, args ...any) error {
	args = append(args, k.RepoID, k.ScheduleID, k.RunKey, owner)
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE schedule_runs SET `+set+`
		WHERE repo_id = ? AND schedule_id = ? AND run_key = ? AND state = 'pending' AND lease_owner = ? AND lease_owner <> ''`), args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", activity, k.what(), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s %s: %w", activity, k.what(), err)
	} else if n == 0 {
		return fmt.Errorf("%s %s by %q: %w", activity, k.what(), owner, ErrLeaseLost)
	}
	return nil
}

// RetryScheduleRun releases a run owner holds, to be claimed again from
// notBefore, keeping lastErr.
func (s *sqlStore) RetryScheduleRun(ctx context.Context, k ScheduleRunKey, owner string, notBefore time.Time, lastErr string) error {
	return s.finishScheduleRun(ctx, "release", k, owner, `last_error = ?, lease_owner = '', lease_until = ?`, lastErr, s.d.timeArg(notBefore))
}

// FailScheduleRun gives up on a run owner holds, with the reason.
func (s *sqlStore) FailScheduleRun(ctx context.Context, k ScheduleRunKey, owner, reason string) error {
	return s.finishScheduleRun(ctx, "fail", k, owner, `state = 'failed', last_error = ?, lease_owner = '', lease_until = NULL`, reason)
}

// ClaimScheduleReminders leases to owner until now+lease up to limit opened
// runs whose end-of-day reminder is pending and due at now and whose lease
// (or retry delay) has passed, the earliest due first, incrementing
// RemindAttempts. Concurrent claimers never get the same run.
func (s *sqlStore) ClaimScheduleReminders(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]ScheduleRun, error) {
	if owner == "" || lease <= 0 {
		return nil, errors.New("claim schedule reminders: an owner and a positive lease are required")
	}
	if limit <= 0 {
		return nil, nil
	}
	nowArg := s.d.timeArg(now)
	rows, err := s.w.QueryContext(ctx, s.d.rebind(`UPDATE schedule_runs SET remind_attempts = remind_attempts + 1, lease_owner = ?, lease_until = ?
		WHERE id `+s.d.in(`
			SELECT id FROM schedule_runs
			WHERE remind_state = 'pending' AND state = 'opened' AND remind_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY remind_at, id
			LIMIT ?`+s.d.claimLock)+`
		RETURNING `+scheduleRunCols), owner, s.d.timeArg(now.Add(lease)), nowArg, nowArg, limit)
	out, err := collect(rows, err, "claim schedule reminders", scanScheduleRun)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].RemindAt.Equal(out[j].RemindAt) {
			return out[i].RemindAt.Before(out[j].RemindAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// finishScheduleReminder changes a pending reminder owner holds;
// ErrLeaseLost when it does not.
func (s *sqlStore) finishScheduleReminder(ctx context.Context, activity string, k ScheduleRunKey, owner, set string, args ...any) error {
	args = append(args, k.RepoID, k.ScheduleID, k.RunKey, owner)
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE schedule_runs SET `+set+`
		WHERE repo_id = ? AND schedule_id = ? AND run_key = ? AND remind_state = 'pending' AND lease_owner = ? AND lease_owner <> ''`), args...)
	if err != nil {
		return fmt.Errorf("%s the reminder of %s: %w", activity, k.what(), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s the reminder of %s: %w", activity, k.what(), err)
	} else if n == 0 {
		return fmt.Errorf("%s the reminder of %s by %q: %w", activity, k.what(), owner, ErrLeaseLost)
	}
	return nil
}

// FinishScheduleReminder records the end-of-day reminder of a run owner
// holds as sent (ts is its Slack message), skipped or failed (detail says
// why) at at, and releases the run.
func (s *sqlStore) FinishScheduleReminder(ctx context.Context, k ScheduleRunKey, owner string, state RemindState, at time.Time, ts, detail string) error {
	if state != RemindSent && state != RemindSkipped && state != RemindFailed {
		return fmt.Errorf("finish the reminder of %s: state %q is not sent, skipped or failed", k.what(), state)
	}
	return s.finishScheduleReminder(ctx, "finish", k, owner,
		`remind_state = ?, reminded_at = ?, remind_ts = ?, remind_detail = ?, lease_owner = '', lease_until = NULL`,
		string(state), s.d.timeArg(at), ts, detail)
}

// RetryScheduleReminder releases the end-of-day reminder of a run owner
// holds, to be claimed again from notBefore.
func (s *sqlStore) RetryScheduleReminder(ctx context.Context, k ScheduleRunKey, owner string, notBefore time.Time, lastErr string) error {
	return s.finishScheduleReminder(ctx, "release", k, owner, `remind_detail = ?, lease_owner = '', lease_until = ?`, lastErr, s.d.timeArg(notBefore))
}
