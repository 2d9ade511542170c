package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A go-live's timeline in Slack is one thread: a parent message that sums the
// go-live up, kept current by edits, with the reminders posted as replies.
// The methods here keep what that needs across restarts and replicas: the
// thread, the go-live's Slack problem, snoozes and the batch form of
// MarkReminderSent. UpsertGoLive never writes these columns.

// SentReminder is one posted reminder for MarkRemindersSent.
type SentReminder struct {
	Key    string    // the reminder's occurrence key
	SentAt time.Time // when Slack accepted it
	TS     string    // the posted message's ts
	Late   bool      // it went out after its due time
}

// BeginSlackThread counts an attempt to post the parent message of the
// go-live's thread and returns how many there have been, this one included.
// Call it before posting: more than one means an earlier attempt may have
// posted a parent whose ts was never recorded (the process died between
// posting and SetSlackThread), which the caller can look for before posting
// another. ErrNotFound for an unknown go-live.
func (s *sqlStore) BeginSlackThread(ctx context.Context, goliveID int64) (int, error) {
	var attempts int
	err := s.w.QueryRowContext(ctx, s.d.rebind(`UPDATE golives SET slack_thread_attempts = slack_thread_attempts + 1
		WHERE id = ? RETURNING slack_thread_attempts`), goliveID).Scan(&attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("begin Slack thread of go-live %d: %w", goliveID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("begin Slack thread of go-live %d: %w", goliveID, err)
	}
	return attempts, nil
}

// SetSlackThread records the posted parent message of the go-live's thread:
// the channel's id, the message's ts and the text it was posted with.
// ErrNotFound for an unknown go-live.
func (s *sqlStore) SetSlackThread(ctx context.Context, goliveID int64, channelID, threadTS, parentText string) error {
	return s.setGoLive(ctx, "record Slack thread", goliveID,
		`slack_channel_id = ?, slack_thread_ts = ?, slack_parent_text = ?`, channelID, threadTS, parentText)
}

// SetSlackParentText records the parent message's text after an edit, so that
// an unchanged text needs no edit. ErrNotFound for an unknown go-live.
func (s *sqlStore) SetSlackParentText(ctx context.Context, goliveID int64, text string) error {
	return s.setGoLive(ctx, "record Slack parent text", goliveID, `slack_parent_text = ?`, text)
}

// SetSlackNote records the go-live's current Slack problem (for example that
// the bot is not in the channel) for the tracker to show; "" clears it.
// ErrNotFound for an unknown go-live.
func (s *sqlStore) SetSlackNote(ctx context.Context, goliveID int64, note string) error {
	return s.setGoLive(ctx, "record Slack note", goliveID, `slack_note = ?`, note)
}

// setGoLive runs UPDATE golives SET set for one go-live, ErrNotFound when it
// does not exist.
func (s *sqlStore) setGoLive(ctx context.Context, activity string, goliveID int64, set string, args ...any) error {
	args = append(args, goliveID)
	res, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE golives SET `+set+` WHERE id = ?`), args...)
	if err != nil {
		return fmt.Errorf("%s of go-live %d: %w", activity, goliveID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s of go-live %d: %w", activity, goliveID, err)
	} else if n == 0 {
		return fmt.Errorf("%s of go-live %d: %w", activity, goliveID, ErrNotFound)
	}
	return nil
}

// SnoozeNextReminder makes the go-live's next reminder due by later: the
// earliest pending one of a kind in kinds that is due at or after now and
// that nobody holds a lease on (nor a retry delay). It returns the moved
// reminder and how many snoozes the go-live has used, this one included.
// Nothing else of the reminder changes.
//
// When the go-live has used maxSnoozes or more, it changes nothing and
// returns ErrSnoozeLimit with the count. ErrNotFound when the go-live does
// not exist or has no reminder to snooze (empty kinds match none). The check
// and the move are one transaction, and concurrent calls for one go-live are
// serialised, so the limit holds under concurrency.
func (s *sqlStore) SnoozeNextReminder(ctx context.Context, goliveID int64, now time.Time, by time.Duration, maxSnoozes int, kinds []string) (Reminder, int, error) {
	activity := fmt.Sprintf("snooze the next reminder of go-live %d", goliveID)
	if by <= 0 {
		return Reminder{}, 0, fmt.Errorf("%s: snooze of %v is not positive", activity, by)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Reminder{}, 0, fmt.Errorf("%s: begin: %w", activity, err)
	}
	defer tx.Rollback()
	// Locking the go-live serialises snoozes of it on PostgreSQL; SQLite
	// transactions begin IMMEDIATE and are serialised already.
	var snoozes int
	err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT snoozes FROM golives WHERE id = ?`+s.d.rowLock), goliveID).Scan(&snoozes)
	if errors.Is(err, sql.ErrNoRows) {
		return Reminder{}, 0, fmt.Errorf("%s: %w", activity, ErrNotFound)
	}
	if err != nil {
		return Reminder{}, 0, fmt.Errorf("%s: %w", activity, err)
	}
	if snoozes >= maxSnoozes {
		return Reminder{}, snoozes, fmt.Errorf("%s: %d of %d snoozes used: %w", activity, snoozes, maxSnoozes, ErrSnoozeLimit)
	}
	if len(kinds) == 0 {
		return Reminder{}, 0, fmt.Errorf("%s: no kinds to snooze: %w", activity, ErrNotFound)
	}
	nowArg := s.d.timeArg(now)
	args := []any{goliveID, nowArg, nowArg}
	for _, k := range kinds {
		args = append(args, k)
	}
	// The reminder is locked too: a claimer that leased it meanwhile makes
	// it fail the conditions, and one that comes later skips it.
	next, err := scanReminder(tx.QueryRowContext(ctx, s.d.rebind(`SELECT `+reminderCols+` FROM reminders
		WHERE golive_id = ? AND state = 'pending' AND due_at >= ? AND (lease_until IS NULL OR lease_until <= ?)
		  AND kind IN (`+placeholders(len(kinds))+`)
		ORDER BY due_at, occurrence_key
		LIMIT 1`+s.d.rowLock), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Reminder{}, 0, fmt.Errorf("%s: no pending reminder of kinds %q from %s: %w", activity, kinds, now.UTC().Format(time.RFC3339), ErrNotFound)
	}
	if err != nil {
		return Reminder{}, 0, fmt.Errorf("%s: %w", activity, err)
	}
	moved, err := scanReminder(tx.QueryRowContext(ctx, s.d.rebind(`UPDATE reminders SET due_at = ?
		WHERE occurrence_key = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ?)
		RETURNING `+reminderCols), s.d.timeArg(next.DueAt.Add(by)), next.Key, nowArg))
	if err != nil {
		// sql.ErrNoRows too: the row was locked or the transaction holds
		// the only writer, so nobody can have leased it since.
		return Reminder{}, 0, fmt.Errorf("%s: move %q: %w", activity, next.Key, err)
	}
	if err := tx.QueryRowContext(ctx, s.d.rebind(`UPDATE golives SET snoozes = snoozes + 1 WHERE id = ? RETURNING snoozes`), goliveID).Scan(&snoozes); err != nil {
		return Reminder{}, 0, fmt.Errorf("%s: count the snooze: %w", activity, err)
	}
	if err := tx.Commit(); err != nil {
		return Reminder{}, 0, fmt.Errorf("%s: commit: %w", activity, err)
	}
	return moved, snoozes, nil
}

// MarkRemindersSent records many leased reminders as posted, each as
// MarkReminderSent does, in one transaction. It returns the keys it did not
// mark because owner does not hold them (their lease was lost, they are no
// longer pending, a key repeats or does not exist); that is not an error.
// Nothing is written when an error is returned.
func (s *sqlStore) MarkRemindersSent(ctx context.Context, owner string, sent []SentReminder) ([]string, error) {
	if len(sent) == 0 {
		return nil, nil
	}
	markStmt, err := s.prepared(ctx, `UPDATE reminders
		SET state = 'sent', sent_at = ?, slack_ts = ?, late = ?, lease_owner = '', lease_until = NULL
		WHERE occurrence_key = ? AND state = 'pending' AND lease_owner = ? AND lease_owner <> ''`)
	if err != nil {
		return nil, fmt.Errorf("mark reminders sent: prepare: %w", err)
	}
	// Prepared before the transaction: SQLite has one write connection, and
	// the transaction holds it.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("mark reminders sent: begin: %w", err)
	}
	defer tx.Rollback()
	stmt := tx.StmtContext(ctx, markStmt)
	defer stmt.Close()
	var lost []string
	for _, r := range sent {
		res, err := stmt.ExecContext(ctx, s.d.timeArg(r.SentAt), r.TS, r.Late, r.Key, owner)
		if err != nil {
			return nil, fmt.Errorf("mark reminder sent %q: %w", r.Key, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("mark reminder sent %q: %w", r.Key, err)
		} else if n == 0 {
			lost = append(lost, r.Key)
		}
	}
	if err := stmt.Close(); err != nil {
		return nil, fmt.Errorf("mark reminders sent: close statement: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("mark reminders sent: commit: %w", err)
	}
	return lost, nil
}
