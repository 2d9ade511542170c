package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GoLiveState is where a go-live is in its life.
type GoLiveState string

const (
	// GoLiveInvalid: the issue is a go-live but its form has problems; the
	// problem comment says what to fix.
	GoLiveInvalid GoLiveState = "invalid"
	// GoLiveActive: planned and tracked.
	GoLiveActive GoLiveState = "active"
	// GoLiveDone: the issue was closed as completed.
	GoLiveDone GoLiveState = "done"
	// GoLiveCancelled: the issue was closed as not planned.
	GoLiveCancelled GoLiveState = "cancelled"
)

// GoLive is one tracked go-live issue, keyed by repository and issue number.
type GoLive struct {
	ID             int64
	InstallationID int64
	RepoID         int64
	Repo           string // owner/name
	IssueNumber    int
	State          GoLiveState
	Environment    string
	At             time.Time // the go-live instant (UTC); zero while invalid
	Timezone       string    // IANA zone the go-live is planned in
	Release        string
	SlackChannel   string
	Captain        string
	// BodyAsOf is the issue's updated_at of the newest body whose items
	// were saved; older bodies, handled late, change nothing (SaveItems).
	BodyAsOf time.Time
	// TrackerCommentID and ProblemCommentID are the bot's two comments on the
	// issue (0 until posted): the progress tracker and the one explanation of
	// what to fix in the form.
	TrackerCommentID int64
	ProblemCommentID int64
	// TrackerDueAt is when the tracker comment should next be refreshed; zero
	// when it is up to date. TrackerEditedAt is when it was last refreshed.
	TrackerDueAt    time.Time
	TrackerEditedAt time.Time
	// TrackerBody is the tracker text most recently scheduled ("" before the
	// first refresh request).
	TrackerBody string
	// The go-live's Slack thread: the channel's id, the parent message's ts
	// and its latest text ("" until posted; SetSlackThread,
	// SetSlackParentText), and how many times posting the parent was begun
	// (BeginSlackThread).
	SlackChannelID      string
	SlackThreadTS       string
	SlackParentText     string
	SlackThreadAttempts int
	// SlackNote is the go-live's current Slack problem, "" when none
	// (SetSlackNote).
	SlackNote string
	// Snoozes counts the reminders snoozed (SnoozeNextReminder).
	Snoozes   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Item is one checklist item's state as last seen in the issue body.
type Item struct {
	ID        string
	Phase     string
	Text      string
	Required  bool
	Manual    bool // added by hand, not from the template
	Checked   bool
	CheckedBy string // who last ticked it
	CheckedAt time.Time
	Owner     string // as written: "@alice", "@acme/sre"; "" when none
}

// AuditEntry records one thing someone did to a go-live.
type AuditEntry struct {
	ID       int64
	GoLiveID int64
	At       time.Time
	Actor    string // GitHub login, or "golive"
	Action   string // tick, untick, plan, replan, close, reopen, …
	ItemID   string
	Detail   string
	// DedupKey, when set, makes the entry idempotent: a second entry with the
	// same key is not written (a redelivered event is audited once).
	DedupKey string
}

// TrackerClaim is a go-live whose tracker refresh a worker has leased; its
// TrackerBody is the text to show.
type TrackerClaim struct {
	GoLive
	// Version identifies the refresh requests the claim covers; finishing
	// with it clears the due time only if no request arrived since.
	Version int64
}

const goliveCols = `id, installation_id, repo_id, repo, issue_number, state, environment, at, timezone,
	release, slack_channel, captain, body_as_of, tracker_comment_id, problem_comment_id, tracker_due_at, tracker_edited_at,
	tracker_body, slack_channel_id, slack_thread_ts, slack_parent_text, slack_thread_attempts, slack_note, snoozes,
	created_at, updated_at`

// scanGoLive reads goliveCols, then any extra columns into extra.
func scanGoLive(sc rowScanner, extra ...any) (GoLive, error) {
	var g GoLive
	var state string
	dest := append([]any{&g.ID, &g.InstallationID, &g.RepoID, &g.Repo, &g.IssueNumber, &state, &g.Environment,
		scanTime(&g.At), &g.Timezone, &g.Release, &g.SlackChannel, &g.Captain, scanTime(&g.BodyAsOf), &g.TrackerCommentID,
		&g.ProblemCommentID, scanTime(&g.TrackerDueAt), scanTime(&g.TrackerEditedAt), &g.TrackerBody, &g.SlackChannelID,
		&g.SlackThreadTS, &g.SlackParentText, &g.SlackThreadAttempts, &g.SlackNote, &g.Snoozes, scanTime(&g.CreatedAt),
		scanTime(&g.UpdatedAt)}, extra...)
	err := sc.Scan(dest...)
	g.State = GoLiveState(state)
	return g, err
}

// UpsertGoLive creates the go-live of (RepoID, IssueNumber) or updates its
// plan (installation, repo name, state, environment, time, zone, release,
// channel, captain) and UpdatedAt = now, leaving its comments, tracker
// schedule, Slack state (thread, note, snoozes: see slack.go) and CreatedAt
// as they are; g's Slack fields are ignored. It returns the stored row and
// whether it was created. Concurrent calls for one issue create one row.
func (s *sqlStore) UpsertGoLive(ctx context.Context, g GoLive, now time.Time) (GoLive, bool, error) {
	activity := fmt.Sprintf("save go-live %s#%d", g.Repo, g.IssueNumber)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return GoLive{}, false, fmt.Errorf("%s: begin: %w", activity, err)
	}
	defer tx.Rollback()
	nowArg := s.d.timeArg(now)
	res, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO golives
		(installation_id, repo_id, repo, issue_number, state, environment, at, timezone, release,
		 slack_channel, captain, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo_id, issue_number) DO NOTHING`),
		g.InstallationID, g.RepoID, g.Repo, g.IssueNumber, string(g.State), g.Environment, s.d.timeArg(g.At),
		g.Timezone, g.Release, g.SlackChannel, g.Captain, nowArg, nowArg)
	if err != nil {
		return GoLive{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return GoLive{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	created := n == 1
	if !created {
		_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE golives SET installation_id = ?, repo = ?, state = ?,
			environment = ?, at = ?, timezone = ?, release = ?, slack_channel = ?, captain = ?, updated_at = ?
			WHERE repo_id = ? AND issue_number = ?`),
			g.InstallationID, g.Repo, string(g.State), g.Environment, s.d.timeArg(g.At), g.Timezone, g.Release,
			g.SlackChannel, g.Captain, nowArg, g.RepoID, g.IssueNumber)
		if err != nil {
			return GoLive{}, false, fmt.Errorf("%s: %w", activity, err)
		}
	}
	stored, err := scanGoLive(tx.QueryRowContext(ctx, s.d.rebind(`SELECT `+goliveCols+`
		FROM golives WHERE repo_id = ? AND issue_number = ?`), g.RepoID, g.IssueNumber))
	if err != nil {
		return GoLive{}, false, fmt.Errorf("%s: read back: %w", activity, err)
	}
	if err := tx.Commit(); err != nil {
		return GoLive{}, false, fmt.Errorf("%s: commit: %w", activity, err)
	}
	return stored, created, nil
}

// GetGoLive returns the go-live of an issue, or ErrNotFound.
func (s *sqlStore) GetGoLive(ctx context.Context, repoID int64, issueNumber int) (GoLive, error) {
	g, err := scanGoLive(s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+goliveCols+`
		FROM golives WHERE repo_id = ? AND issue_number = ?`), repoID, issueNumber))
	if errors.Is(err, sql.ErrNoRows) {
		return GoLive{}, fmt.Errorf("get go-live of issue %d in repository %d: %w", issueNumber, repoID, ErrNotFound)
	}
	if err != nil {
		return GoLive{}, fmt.Errorf("get go-live of issue %d in repository %d: %w", issueNumber, repoID, err)
	}
	return g, nil
}

// GetGoLiveByID returns a go-live by its id, or ErrNotFound.
func (s *sqlStore) GetGoLiveByID(ctx context.Context, id int64) (GoLive, error) {
	g, err := scanGoLive(s.w.QueryRowContext(ctx, s.d.rebind(`SELECT `+goliveCols+` FROM golives WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return GoLive{}, fmt.Errorf("get go-live %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return GoLive{}, fmt.Errorf("get go-live %d: %w", id, err)
	}
	return g, nil
}

// ListGoLives returns the go-lives in a state, ordered by go-live time then id.
func (s *sqlStore) ListGoLives(ctx context.Context, state GoLiveState) ([]GoLive, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+goliveCols+` FROM golives WHERE state = ? ORDER BY at, id`), string(state))
	return collect(rows, err, fmt.Sprintf("list %s go-lives", state), func(sc rowScanner) (GoLive, error) { return scanGoLive(sc) })
}

// SetGoLiveComment records the id of the bot's tracker or problem comment.
func (s *sqlStore) SetGoLiveComment(ctx context.Context, goliveID int64, kind CommentKind, commentID int64) error {
	col := "tracker_comment_id"
	if kind == ProblemComment {
		col = "problem_comment_id"
	}
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE golives SET `+col+` = ? WHERE id = ?`), commentID, goliveID)
	if err != nil {
		return fmt.Errorf("record %s comment of go-live %d: %w", kind, goliveID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record %s comment of go-live %d: %w", kind, goliveID, err)
	} else if n == 0 {
		return fmt.Errorf("record %s comment of go-live %d: %w", kind, goliveID, ErrNotFound)
	}
	return nil
}

// CommentKind names one of the bot's comments on a go-live issue.
type CommentKind string

const (
	TrackerComment CommentKind = "tracker"
	ProblemComment CommentKind = "problem"
)

// SaveItems replaces a go-live's item states with items, in order, read
// from the issue body as of asOf (the issue's updated_at). A body older than
// the newest one saved changes nothing and SaveItems reports false: events
// handled out of order never bring back an older state.
func (s *sqlStore) SaveItems(ctx context.Context, goliveID int64, items []Item, asOf time.Time) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("save items of go-live %d: begin: %w", goliveID, err)
	}
	defer tx.Rollback()
	asOfArg := s.d.timeArg(asOf)
	res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE golives SET body_as_of = ?
		WHERE id = ? AND (body_as_of IS NULL OR body_as_of <= ?)`), asOfArg, goliveID, asOfArg)
	if err != nil {
		return false, fmt.Errorf("save items of go-live %d: %w", goliveID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("save items of go-live %d: %w", goliveID, err)
	} else if n == 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM golive_items WHERE golive_id = ?`), goliveID); err != nil {
		return false, fmt.Errorf("save items of go-live %d: %w", goliveID, err)
	}
	for i, it := range items {
		_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO golive_items
			(golive_id, position, item_id, phase, text, required, manual, checked, checked_by, checked_at, owner)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			goliveID, i, it.ID, it.Phase, it.Text, it.Required, it.Manual, it.Checked, it.CheckedBy, s.d.timeArg(it.CheckedAt), it.Owner)
		if err != nil {
			return false, fmt.Errorf("save item %q of go-live %d: %w", it.ID, goliveID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("save items of go-live %d: commit: %w", goliveID, err)
	}
	return true, nil
}

// Items returns a go-live's item states in body order.
func (s *sqlStore) Items(ctx context.Context, goliveID int64) ([]Item, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT item_id, phase, text, required, manual, checked, checked_by, checked_at, owner
		FROM golive_items WHERE golive_id = ? ORDER BY position`), goliveID)
	return collect(rows, err, fmt.Sprintf("read items of go-live %d", goliveID), func(sc rowScanner) (Item, error) {
		var it Item
		err := sc.Scan(&it.ID, &it.Phase, &it.Text, &it.Required, &it.Manual, &it.Checked, &it.CheckedBy, scanTime(&it.CheckedAt), &it.Owner)
		return it, err
	})
}

// AppendAudit writes entries in order in one transaction, skipping those whose
// DedupKey is already recorded, and returns how many it wrote.
func (s *sqlStore) AppendAudit(ctx context.Context, entries []AuditEntry) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("append audit: begin: %w", err)
	}
	defer tx.Rollback()
	written := 0
	for _, e := range entries {
		var key any
		if e.DedupKey != "" {
			key = e.DedupKey
		}
		res, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO golive_audit (golive_id, at, actor, action, item_id, detail, dedup_key)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING`),
			e.GoLiveID, s.d.timeArg(e.At), e.Actor, e.Action, e.ItemID, e.Detail, key)
		if err != nil {
			return 0, fmt.Errorf("append audit %q of go-live %d: %w", e.Action, e.GoLiveID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, fmt.Errorf("append audit: %w", err)
		} else {
			written += int(n)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("append audit: commit: %w", err)
	}
	return written, nil
}

// Audit returns a go-live's audit log, oldest first.
func (s *sqlStore) Audit(ctx context.Context, goliveID int64) ([]AuditEntry, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+auditCols+`
		FROM golive_audit WHERE golive_id = ? ORDER BY id`), goliveID)
	return collect(rows, err, fmt.Sprintf("read audit of go-live %d", goliveID), scanAudit)
}

// LatestAudit returns a go-live's most recent audit entry with action, and
// false when there is none.
func (s *sqlStore) LatestAudit(ctx context.Context, goliveID int64, action string) (AuditEntry, bool, error) {
	e, err := scanAudit(s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+auditCols+`
		FROM golive_audit WHERE golive_id = ? AND action = ? ORDER BY id DESC LIMIT 1`), goliveID, action))
	if errors.Is(err, sql.ErrNoRows) {
		return AuditEntry{}, false, nil
	}
	if err != nil {
		return AuditEntry{}, false, fmt.Errorf("read the latest %q of go-live %d: %w", action, goliveID, err)
	}
	return e, true, nil
}

// auditCols are read by scanAudit.
const auditCols = `id, golive_id, at, actor, action, item_id, detail, COALESCE(dedup_key, '')`

func scanAudit(sc rowScanner) (AuditEntry, error) {
	var e AuditEntry
	err := sc.Scan(&e.ID, &e.GoLiveID, scanTime(&e.At), &e.Actor, &e.Action, &e.ItemID, &e.Detail, &e.DedupKey)
	return e, err
}

// ScheduleTracker asks for the tracker comment to show body at due: the
// latest body and the earlier of due and any refresh already asked for
// stand, so a burst of changes is coalesced into one edit. Each call is a new
// request: a refresh claimed before it does not cover it (see FinishTracker).
//
// asOf is the issue's updated_at the body reflects: a body older than the
// newest saved items (SaveItems) is not scheduled; the zero time always is.
func (s *sqlStore) ScheduleTracker(ctx context.Context, goliveID int64, due time.Time, body string, asOf time.Time) error {
	dueArg, asOfArg := s.d.timeArg(due), s.d.timeArg(asOf)
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE golives SET
		tracker_due_at = CASE WHEN tracker_due_at IS NULL OR tracker_due_at > ? THEN ? ELSE tracker_due_at END,
		tracker_body = ?, tracker_version = tracker_version + 1
		WHERE id = ? AND (? OR body_as_of IS NULL OR body_as_of <= ?)`), dueArg, dueArg, body, goliveID, asOf.IsZero(), asOfArg)
	if err != nil {
		return fmt.Errorf("schedule tracker refresh of go-live %d: %w", goliveID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("schedule tracker refresh of go-live %d: %w", goliveID, err)
	} else if n == 0 {
		if _, err := s.GetGoLiveByID(ctx, goliveID); err != nil {
			return fmt.Errorf("schedule tracker refresh of go-live %d: %w", goliveID, err)
		}
		// The body is older than the newest one seen: nothing to show.
	}
	return nil
}

// ClaimDueTrackers leases up to limit go-lives whose tracker refresh is due at
// now and not leased by someone else, earliest first.
func (s *sqlStore) ClaimDueTrackers(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]TrackerClaim, error) {
	if owner == "" || lease <= 0 {
		return nil, errors.New("claim due trackers: owner and a positive lease are required")
	}
	nowArg := s.d.timeArg(now)
	rows, err := s.w.QueryContext(ctx, s.d.rebind(`UPDATE golives SET tracker_lease_owner = ?, tracker_lease_until = ?
		WHERE id IN (
			SELECT id FROM golives
			WHERE tracker_due_at IS NOT NULL AND tracker_due_at <= ?
			  AND (tracker_lease_until IS NULL OR tracker_lease_until <= ?)
			ORDER BY tracker_due_at, id
			LIMIT ?`+s.d.claimLock+`
		)
		RETURNING `+goliveCols+`, tracker_version`),
		owner, s.d.timeArg(now.Add(lease)), nowArg, nowArg, limit)
	return collect(rows, err, "claim due trackers", func(sc rowScanner) (TrackerClaim, error) {
		var c TrackerClaim
		g, err := scanGoLive(sc, &c.Version)
		c.GoLive = g
		return c, err
	})
}

// FinishTracker ends a claimed refresh done at now: it records the edit time,
// releases the lease and clears the due time unless a refresh was requested
// after the claim (the version moved), in which case that request stays due.
// ErrLeaseLost when owner no longer holds the lease.
func (s *sqlStore) FinishTracker(ctx context.Context, c TrackerClaim, owner string, now time.Time) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE golives SET
		tracker_due_at = CASE WHEN tracker_version = ? THEN NULL ELSE tracker_due_at END,
		tracker_edited_at = ?, tracker_lease_owner = '', tracker_lease_until = NULL
		WHERE id = ? AND tracker_lease_owner = ?`), c.Version, s.d.timeArg(now), c.ID, owner)
	if err != nil {
		return fmt.Errorf("finish tracker refresh of go-live %d: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("finish tracker refresh of go-live %d: %w", c.ID, err)
	} else if n == 0 {
		return fmt.Errorf("finish tracker refresh of go-live %d by %q: %w", c.ID, owner, ErrLeaseLost)
	}
	return nil
}
