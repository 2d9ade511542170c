package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ReminderState is where a reminder occurrence is in its life.
type ReminderState string

const (
	// ReminderPending: waiting for its due time (or a retry).
	ReminderPending ReminderState = "pending"
	// ReminderSent: posted to Slack.
	ReminderSent ReminderState = "sent"
	// ReminderCancelled: re-planning or closing the go-live removed it.
	ReminderCancelled ReminderState = "cancelled"
	// ReminderMissed: too late to send alone; folded into a catch-up message.
	ReminderMissed ReminderState = "missed"
	// ReminderFailed: Slack refused it for good (for example channel_not_found).
	ReminderFailed ReminderState = "failed"
)

// Reminder is one reminder occurrence of a go-live.
type Reminder struct {
	Key      string // deterministic: "<go-live>@<offset>"
	GoLiveID int64
	Offset   string // "T-7d", "T+1h15m", …
	Kind     string
	// Phases are the names of the template phases due at this occurrence,
	// nil when none. A name is not empty and has no newline.
	Phases     []string
	DueAt      time.Time
	State      ReminderState
	Late       bool // sent after its due time, within the grace period
	Attempts   int
	LastError  string
	LeaseOwner string
	LeaseUntil time.Time
	SentAt     time.Time
	SlackTS    string // the posted message's ts
}

// ReminderChanges are what re-planning a go-live does to its reminders.
type ReminderChanges struct {
	Add    []Reminder // new occurrences; a cancelled one is revived, others left alone
	Move   []Reminder // pending occurrences with a new DueAt, Kind and Phases
	Cancel []string   // keys of pending occurrences that no longer apply
}

const reminderCols = `occurrence_key, golive_id, offset_text, kind, phases, due_at, state, late, attempts, last_error,
	lease_owner, lease_until, sent_at, slack_ts`

func scanReminder(sc rowScanner) (Reminder, error) {
	var r Reminder
	var state, phases string
	err := sc.Scan(&r.Key, &r.GoLiveID, &r.Offset, &r.Kind, &phases, scanTime(&r.DueAt), &state, &r.Late, &r.Attempts,
		&r.LastError, &r.LeaseOwner, scanTime(&r.LeaseUntil), scanTime(&r.SentAt), &r.SlackTS)
	r.State = ReminderState(state)
	if phases != "" {
		r.Phases = strings.Split(phases, "\n")
	}
	return r, err
}

// phasesArg is the stored form of a reminder's phase names: joined by
// newlines, "" when there are none. A name that is empty or holds a newline
// would not read back as written and is refused.
func phasesArg(r Reminder) (string, error) {
	for _, p := range r.Phases {
		if p == "" || strings.Contains(p, "\n") {
			return "", fmt.Errorf("reminder %q: phase name %q is empty or has a newline", r.Key, p)
		}
	}
	return strings.Join(r.Phases, "\n"), nil
}

// ApplyReminderChanges applies re-planning in one transaction. Only pending
// occurrences move (taking the new DueAt, Kind and Phases) or are cancelled:
// a sent (or missed, failed) one is never touched, so it is never sent again.
// An added occurrence is stored with its Kind and Phases, also when a
// cancelled one is revived. It returns how many rows each part changed.
func (s *sqlStore) ApplyReminderChanges(ctx context.Context, goliveID int64, c ReminderChanges) (added, moved, cancelled int, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("apply reminder changes of go-live %d: begin: %w", goliveID, err)
	}
	defer tx.Rollback()
	count := func(activity, query string, args ...any) (int, error) {
		res, err := tx.ExecContext(ctx, s.d.rebind(query), args...)
		if err != nil {
			return 0, fmt.Errorf("%s of go-live %d: %w", activity, goliveID, err)
		}
		n, err := res.RowsAffected()
		return int(n), err
	}
	for _, r := range c.Add {
		phases, err := phasesArg(r)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("add reminder of go-live %d: %w", goliveID, err)
		}
		// A cancelled occurrence that applies again is revived; any other
		// existing one (pending, sent, missed, failed) is left alone.
		n, err := count("add reminder "+r.Key, `INSERT INTO reminders (occurrence_key, golive_id, offset_text, kind, phases, due_at, state)
			VALUES (?, ?, ?, ?, ?, ?, 'pending')
			ON CONFLICT (occurrence_key) DO UPDATE SET state = 'pending', due_at = excluded.due_at, kind = excluded.kind,
				phases = excluded.phases, attempts = 0, last_error = ''
			WHERE reminders.state = 'cancelled'`,
			r.Key, goliveID, r.Offset, r.Kind, phases, s.d.timeArg(r.DueAt))
		if err != nil {
			return 0, 0, 0, err
		}
		added += n
	}
	for _, r := range c.Move {
		phases, err := phasesArg(r)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("move reminder of go-live %d: %w", goliveID, err)
		}
		n, err := count("move reminder "+r.Key, `UPDATE reminders SET due_at = ?, kind = ?, phases = ?
			WHERE occurrence_key = ? AND golive_id = ? AND state = 'pending'`, s.d.timeArg(r.DueAt), r.Kind, phases, r.Key, goliveID)
		if err != nil {
			return 0, 0, 0, err
		}
		moved += n
	}
	for _, key := range c.Cancel {
		n, err := count("cancel reminder "+key, `UPDATE reminders SET state = 'cancelled', lease_owner = '', lease_until = NULL
			WHERE occurrence_key = ? AND golive_id = ? AND state = 'pending'`, key, goliveID)
		if err != nil {
			return 0, 0, 0, err
		}
		cancelled += n
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, 0, fmt.Errorf("apply reminder changes of go-live %d: commit: %w", goliveID, err)
	}
	return added, moved, cancelled, nil
}

// CancelReminders cancels every pending reminder of a go-live (it ended) and
// returns how many.
func (s *sqlStore) CancelReminders(ctx context.Context, goliveID int64) (int, error) {
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE reminders SET state = 'cancelled', lease_owner = '', lease_until = NULL
		WHERE golive_id = ? AND state = 'pending'`), goliveID)
	if err != nil {
		return 0, fmt.Errorf("cancel reminders of go-live %d: %w", goliveID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ListReminders returns a go-live's reminders by due time.
func (s *sqlStore) ListReminders(ctx context.Context, goliveID int64) ([]Reminder, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+reminderCols+` FROM reminders WHERE golive_id = ? ORDER BY due_at, occurrence_key`), goliveID)
	return collect(rows, err, fmt.Sprintf("list reminders of go-live %d", goliveID), scanReminder)
}

// ClaimDueReminders leases up to limit pending reminders due at now whose
// lease (or retry delay) has passed, earliest first, incrementing Attempts,
// to owner until now+lease. With perChannel > 0 it takes at most perChannel
// of them per channel (the go-live's SlackChannel; go-lives without one share
// the channel ""), the earliest of each: a dispatcher claiming in batches then
// holds a few reminders of every channel that has some due rather than one
// busy channel's backlog. perChannel <= 0 sets no such cap. Concurrent
// claimers never get the same row (FOR UPDATE SKIP LOCKED on PostgreSQL); a
// claimer whose picks another one locked first gets fewer rows.
func (s *sqlStore) ClaimDueReminders(ctx context.Context, owner string, now time.Time, lease time.Duration, limit, perChannel int) ([]Reminder, error) {
	if owner == "" || lease <= 0 {
		return nil, errors.New("claim due reminders: owner and a positive lease are required")
	}
	if limit <= 0 {
		return nil, nil
	}
	nowArg := s.d.timeArg(now)
	args := []any{owner, s.d.timeArg(now.Add(lease)), nowArg, nowArg, limit}
	if perChannel > 0 {
		args = []any{owner, s.d.timeArg(now.Add(lease)), nowArg, nowArg, perChannel, limit, nowArg, nowArg}
	}
	rows, err := s.w.QueryContext(ctx, s.d.rebind(s.claimRemindersSQL(perChannel > 0)), args...)
	out, err := collect(rows, err, "claim due reminders", scanReminder)
	if err != nil {
		return nil, err
	}
	sortReminders(out)
	return out, nil
}

// claimRemindersSQL is ClaimDueReminders' statement. Its arguments are
// owner, lease end, now, now, limit; capped per channel: owner, lease end,
// now, now, perChannel, limit, now, now.
//
// The capped form ranks every claimable row in its channel, so its cost
// grows with the due backlog, not with limit; the partial index
// reminders_pending_due_idx (0005) keeps that a scan of the pending rows
// alone, without reading the table on SQLite.
func (s *sqlStore) claimRemindersSQL(perChannel bool) string {
	b := s.d.bytewise
	if !perChannel {
		return `UPDATE reminders SET attempts = attempts + 1, lease_owner = ?, lease_until = ?
			WHERE occurrence_key ` + s.d.in(`
				SELECT occurrence_key FROM reminders
				WHERE state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
				ORDER BY due_at, occurrence_key`+b+`
				LIMIT ?`+s.d.claimLock+`
			`) + `
			RETURNING ` + reminderCols
	}
	// The innermost query ranks each channel's claimable rows; PostgreSQL
	// allows no FOR UPDATE at a level with window functions, so the level
	// above locks the picks in reminders itself and checks them again: a
	// row another claimer leased since this statement's snapshot fails the
	// check once it is locked.
	return `UPDATE reminders SET attempts = attempts + 1, lease_owner = ?, lease_until = ?
		WHERE occurrence_key ` + s.d.in(`
			SELECT occurrence_key FROM reminders
			WHERE occurrence_key `+s.d.in(`
				SELECT occurrence_key FROM (
					SELECT r.occurrence_key, r.due_at,
						ROW_NUMBER() OVER (PARTITION BY g.slack_channel`+b+` ORDER BY r.due_at, r.occurrence_key`+b+`) AS channel_rank
					FROM reminders r JOIN golives g ON g.id = r.golive_id
					WHERE r.state = 'pending' AND r.due_at <= ? AND (r.lease_until IS NULL OR r.lease_until <= ?)
				) ranked
				WHERE channel_rank <= ?
				ORDER BY due_at, occurrence_key`+b+`
				LIMIT ?
			`)+`
			AND state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)`+s.d.claimLock+`
		`) + `
		RETURNING ` + reminderCols
}

// sortReminders orders claimed rows, which RETURNING gives in no set order.
func sortReminders(rs []Reminder) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].DueAt.Equal(rs[j].DueAt) {
			return rs[i].DueAt.Before(rs[j].DueAt)
		}
		return rs[i].Key < rs[j].Key
	})
}

// finishReminder moves a leased reminder on; ErrLeaseLost when owner no
// longer holds it (or it is no longer pending).
func (s *sqlStore) finishReminder(ctx context.Context, activity, key, owner, set string, args ...any) error {
	args = append(args, key, owner)
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE reminders SET `+set+`
		WHERE occurrence_key = ? AND state = 'pending' AND lease_owner = ? AND lease_owner <> ''`), args...)
	if err != nil {
		return fmt.Errorf("%s %q: %w", activity, key, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s %q: %w", activity, key, err)
	} else if n == 0 {
		return fmt.Errorf("%s %q by %q: %w", activity, key, owner, ErrLeaseLost)
	}
	return nil
}

// MarkReminderSent records a leased reminder as posted at sentAt as Slack
// message ts; late when it went out after its due time. It is
// MarkRemindersSent of one reminder, with ErrLeaseLost when owner no longer
// holds it.
func (s *sqlStore) MarkReminderSent(ctx context.Context, key, owner string, sentAt time.Time, ts string, late bool) error {
	lost, err := s.MarkRemindersSent(ctx, owner, []SentReminder{{Key: key, SentAt: sentAt, TS: ts, Late: late}})
	if err != nil {
		return err
	}
	if len(lost) > 0 {
		return fmt.Errorf("mark reminder sent %q by %q: %w", key, owner, ErrLeaseLost)
	}
	return nil
}

// RetryReminder releases a leased reminder to be tried again at notBefore.
func (s *sqlStore) RetryReminder(ctx context.Context, key, owner string, notBefore time.Time, lastErr string) error {
	return s.finishReminder(ctx, "retry reminder", key, owner,
		`last_error = ?, lease_owner = '', lease_until = ?`, lastErr, s.d.timeArg(notBefore))
}

// ReleaseReminder gives a leased reminder back unattempted, to be claimed
// again at notBefore: its claim is not counted, so the next claim does not
// look for an earlier post that never happened. Use it only for a reminder
// whose holder did not try to post it (its channel's queue was full).
func (s *sqlStore) ReleaseReminder(ctx context.Context, key, owner string, notBefore time.Time, why string) error {
	return s.finishReminder(ctx, "release reminder", key, owner,
		`last_error = ?, lease_owner = '', lease_until = ?, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END`,
		why, s.d.timeArg(notBefore))
}

// FailReminder gives up on a leased reminder (Slack refused it for good).
func (s *sqlStore) FailReminder(ctx context.Context, key, owner, reason string) error {
	return s.finishReminder(ctx, "fail reminder", key, owner,
		`state = 'failed', last_error = ?, lease_owner = '', lease_until = NULL`, reason)
}

// MissReminder records a leased reminder as folded into a catch-up message.
func (s *sqlStore) MissReminder(ctx context.Context, key, owner string) error {
	return s.finishReminder(ctx, "mark reminder missed", key, owner, `state = 'missed', lease_owner = '', lease_until = NULL`)
}

// FoldMissedReminders records as missed (folded into the catch-up message
// just posted) every pending reminder of a go-live due before dueBefore that
// is not leased to another owner at now, and returns their keys.
func (s *sqlStore) FoldMissedReminders(ctx context.Context, goliveID int64, owner string, now, dueBefore time.Time) ([]string, error) {
	rows, err := s.w.QueryContext(ctx, s.d.rebind(`UPDATE reminders SET state = 'missed', lease_owner = '', lease_until = NULL
		WHERE golive_id = ? AND state = 'pending' AND due_at < ?
		  AND (lease_owner = ? OR lease_owner = '' OR lease_until IS NULL OR lease_until <= ?)
		RETURNING occurrence_key`), goliveID, s.d.timeArg(dueBefore), owner, s.d.timeArg(now))
	keys, err := collect(rows, err, fmt.Sprintf("fold missed reminders of go-live %d", goliveID), func(sc rowScanner) (string, error) {
		var k string
		return k, sc.Scan(&k)
	})
	sort.Strings(keys)
	return keys, err
}
