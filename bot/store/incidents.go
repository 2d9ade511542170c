package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Incidents: an incident is opened by a command (its OpenKey), gets an
// issue, a Slack thread and a timeline, and SLA alerts that fire unless it
// is acknowledged or resolved in time. One replica sends each alert: it
// claims the due pending row, posts, and marks it sent.

// IncidentState is where an incident is.
type IncidentState string

const (
	IncidentOpen         IncidentState = "open"
	IncidentAcknowledged IncidentState = "acknowledged"
	IncidentResolved     IncidentState = "resolved"
)

// Incident is one incident.
type Incident struct {
	ID             int64
	OpenKey        string // what opened it: a redelivered opening finds it
	InstallationID int64
	RepoID         int64
	Repo           string // owner/name
	IssueNumber    int    // 0 until the issue exists
	Severity       string // P0–P3
	Title          string
	State          IncidentState
	GoLiveID       int64 // the go-live it came from, 0 when none
	OpenedBy       string
	OpenedAt       time.Time
	AckedBy        string
	AckedAt        time.Time // zero until acknowledged
	ResolvedBy     string
	ResolvedAt     time.Time // zero until resolved
	SlackChannel   string    // as configured, like #incidents
	SlackChannelID string
	SlackThreadTS  string // the thread's parent message
	// TimelineCommentID is the issue comment showing the timeline.
	TimelineCommentID int64
}

// IncidentEvent is one line of an incident's timeline.
type IncidentEvent struct {
	IncidentID int64
	At         time.Time
	Actor      string
	Action     string // opened, acknowledged, severity, resolved, alert, …
	Detail     string
	// DedupKey makes an event recorded twice (a redelivered command) count
	// once; required.
	DedupKey string
}

// AlertState is where an SLA alert is.
type AlertState string

const (
	AlertPending   AlertState = "pending"
	AlertSent      AlertState = "sent"
	AlertCancelled AlertState = "cancelled"
	AlertFailed    AlertState = "failed"
)

// IncidentAlert is one SLA alert of an incident, such as the response
// timer's warning.
type IncidentAlert struct {
	IncidentID int64
	Kind       string // like "response-warning", "response-breach"
	DueAt      time.Time
	State      AlertState
	Attempts   int
	LastError  string
	LeaseOwner string
	LeaseUntil time.Time
	SentAt     time.Time
	SlackTS    string
}

const incidentCols = `id, open_key, installation_id, repo_id, repo, issue_number, severity, title, state, golive_id,
	opened_by, opened_at, acked_by, acked_at, resolved_by, resolved_at, slack_channel, slack_channel_id, slack_thread_ts,
	timeline_comment_id`

func scanIncident(sc rowScanner) (Incident, error) {
	var i Incident
	var state string
	err := sc.Scan(&i.ID, &i.OpenKey, &i.InstallationID, &i.RepoID, &i.Repo, &i.IssueNumber, &i.Severity, &i.Title, &state,
		&i.GoLiveID, &i.OpenedBy, scanTime(&i.OpenedAt), &i.AckedBy, scanTime(&i.AckedAt), &i.ResolvedBy, scanTime(&i.ResolvedAt),
		&i.SlackChannel, &i.SlackChannelID, &i.SlackThreadTS, &i.TimelineCommentID)
	i.State = IncidentState(state)
	return i, err
}

const alertCols = `incident_id, kind, due_at, state, attempts, last_error, lease_owner, lease_until, sent_at, slack_ts`

func scanAlert(sc rowScanner) (IncidentAlert, error) {
	var a IncidentAlert
	var state string
	err := sc.Scan(&a.IncidentID, &a.Kind, scanTime(&a.DueAt), &state, &a.Attempts, &a.LastError, &a.LeaseOwner,
		scanTime(&a.LeaseUntil), scanTime(&a.SentAt), &a.SlackTS)
	a.State = AlertState(state)
	return a, err
}

// CreateIncident stores a new incident and returns it and true; when an
// incident with i's OpenKey exists it returns that one and false.
func (s *sqlStore) CreateIncident(ctx context.Context, i Incident) (Incident, bool, error) {
	activity := fmt.Sprintf("open incident %q of %s", i.Title, i.Repo)
	if i.OpenKey == "" || i.OpenedAt.IsZero() || i.State == "" {
		return Incident{}, false, fmt.Errorf("%s: an open key, a state and the opening time are required", activity)
	}
	stored, err := scanIncident(s.w.QueryRowContext(ctx, s.d.rebind(`INSERT INTO incidents
		(open_key, installation_id, repo_id, repo, issue_number, severity, title, state, golive_id, opened_by, opened_at,
		 slack_channel)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (open_key) DO NOTHING
		RETURNING `+incidentCols),
		i.OpenKey, i.InstallationID, i.RepoID, i.Repo, i.IssueNumber, i.Severity, i.Title, string(i.State), i.GoLiveID,
		i.OpenedBy, s.d.timeArg(i.OpenedAt), i.SlackChannel))
	if err == nil {
		return stored, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Incident{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	stored, err = scanIncident(s.w.QueryRowContext(ctx, s.d.rebind(`SELECT `+incidentCols+` FROM incidents WHERE open_key = ?`), i.OpenKey))
	if err != nil {
		return Incident{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	return stored, false, nil
}

// GetIncident returns an incident by id, or ErrNotFound.
func (s *sqlStore) GetIncident(ctx context.Context, id int64) (Incident, error) {
	i, err := scanIncident(s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+incidentCols+` FROM incidents WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("get incident %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("get incident %d: %w", id, err)
	}
	return i, nil
}

// GetIncidentByIssue returns the incident of an issue, or ErrNotFound.
func (s *sqlStore) GetIncidentByIssue(ctx context.Context, repoID int64, number int) (Incident, error) {
	i, err := scanIncident(s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+incidentCols+` FROM incidents
		WHERE repo_id = ? AND issue_number = ?`), repoID, number))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("get the incident of issue %d in repository %d: %w", number, repoID, ErrNotFound)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("get the incident of issue %d in repository %d: %w", number, repoID, err)
	}
	return i, nil
}

// ListIncidents returns a repository's incidents (every repository's when
// repoID is 0) opened at or after since, the oldest first.
func (s *sqlStore) ListIncidents(ctx context.Context, repoID int64, since time.Time) ([]Incident, error) {
	if since.IsZero() {
		since = time.Unix(0, 0) // the zero time is stored as NULL
	}
	where, args := `opened_at >= ?`, []any{s.d.timeArg(since)}
	if repoID != 0 {
		where, args = where+` AND repo_id = ?`, append(args, repoID)
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+incidentCols+` FROM incidents WHERE `+where+` ORDER BY opened_at, id`), args...)
	return collect(rows, err, fmt.Sprintf("list the incidents of repository %d", repoID), scanIncident)
}

// UpdateIncident writes i's issue number, severity, title, state,
// acknowledgement, resolution, Slack thread and timeline comment, and
// returns the stored incident; ErrNotFound when there is no such incident.
func (s *sqlStore) UpdateIncident(ctx context.Context, i Incident) (Incident, error) {
	stored, err := scanIncident(s.w.QueryRowContext(ctx, s.d.rebind(`UPDATE incidents SET issue_number = ?, severity = ?,
			title = ?, state = ?, acked_by = ?, acked_at = ?, resolved_by = ?, resolved_at = ?, slack_channel = ?,
			slack_channel_id = ?, slack_thread_ts = ?, timeline_comment_id = ?
		WHERE id = ? RETURNING `+incidentCols),
		i.IssueNumber, i.Severity, i.Title, string(i.State), i.AckedBy, s.d.timeArg(i.AckedAt), i.ResolvedBy,
		s.d.timeArg(i.ResolvedAt), i.SlackChannel, i.SlackChannelID, i.SlackThreadTS, i.TimelineCommentID, i.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("update incident %d: %w", i.ID, ErrNotFound)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("update incident %d: %w", i.ID, err)
	}
	return stored, nil
}

// AppendIncidentEvent adds an event to an incident's timeline and reports
// whether it was new (false: an event with its DedupKey was recorded).
func (s *sqlStore) AppendIncidentEvent(ctx context.Context, e IncidentEvent) (bool, error) {
	if e.DedupKey == "" || e.Action == "" || e.At.IsZero() {
		return false, fmt.Errorf("record an event of incident %d: an action, a time and a dedup key are required", e.IncidentID)
	}
	res, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO incident_events (incident_id, at, actor, action, detail, dedup_key)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, dedup_key) DO NOTHING`),
		e.IncidentID, s.d.timeArg(e.At), e.Actor, e.Action, e.Detail, e.DedupKey)
	if err != nil {
		return false, fmt.Errorf("record %s of incident %d: %w", e.Action, e.IncidentID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// IncidentEvents returns an incident's timeline, oldest first.
func (s *sqlStore) IncidentEvents(ctx context.Context, incidentID int64) ([]IncidentEvent, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT incident_id, at, actor, action, detail, dedup_key FROM incident_events
		WHERE incident_id = ? ORDER BY at, id`), incidentID)
	return collect(rows, err, fmt.Sprintf("read the timeline of incident %d", incidentID), func(sc rowScanner) (IncidentEvent, error) {
		var e IncidentEvent
		err := sc.Scan(&e.IncidentID, scanTime(&e.At), &e.Actor, &e.Action, &e.Detail, &e.DedupKey)
		return e, err
	})
}

// PlanIncidentAlerts makes an incident's pending alerts exactly due: each
// of due is added or moved (a cancelled one revived), and every other
// pending alert is cancelled. Sent and failed alerts stay as they are.
func (s *sqlStore) PlanIncidentAlerts(ctx context.Context, incidentID int64, due map[string]time.Time) error {
	activity := fmt.Sprintf("plan the alerts of incident %d", incidentID)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", activity, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE incident_alerts SET state = 'cancelled', lease_owner = '', lease_until = NULL
		WHERE incident_id = ? AND state = 'pending'`), incidentID); err != nil {
		return fmt.Errorf("%s: %w", activity, err)
	}
	for kind, at := range due {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO incident_alerts (incident_id, kind, due_at, state)
			VALUES (?, ?, ?, 'pending')
			ON CONFLICT (incident_id, kind) DO UPDATE SET due_at = excluded.due_at, state = 'pending', attempts = 0, last_error = ''
			WHERE incident_alerts.state = 'cancelled'`), incidentID, kind, s.d.timeArg(at)); err != nil {
			return fmt.Errorf("%s: %s: %w", activity, kind, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", activity, err)
	}
	return nil
}

// IncidentAlerts returns an incident's alerts, the earliest due first.
func (s *sqlStore) IncidentAlerts(ctx context.Context, incidentID int64) ([]IncidentAlert, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+alertCols+` FROM incident_alerts
		WHERE incident_id = ? ORDER BY due_at, kind`+s.d.bytewise), incidentID)
	return collect(rows, err, fmt.Sprintf("list the alerts of incident %d", incidentID), scanAlert)
}

// ClaimDueIncidentAlerts leases up to limit pending alerts due at now, and
// not held by a current lease, to owner until now+lease, counting an
// attempt on each, and returns them, the earliest due first.
func (s *sqlStore) ClaimDueIncidentAlerts(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]IncidentAlert, error) {
	if owner == "" || lease <= 0 || limit <= 0 {
		return nil, errors.New("claim due incident alerts: an owner, a positive lease and a positive limit are required")
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim due incident alerts: begin: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT incident_id, kind FROM incident_alerts
		WHERE state = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
		ORDER BY due_at, incident_id LIMIT ?`+s.d.claimLock), s.d.timeArg(now), s.d.timeArg(now), limit)
	type key struct {
		id   int64
		kind string
	}
	keys, err := collect(rows, err, "claim due incident alerts", func(sc rowScanner) (key, error) {
		var k key
		return k, sc.Scan(&k.id, &k.kind)
	})
	if err != nil {
		return nil, err
	}
	var out []IncidentAlert
	for _, k := range keys {
		a, err := scanAlert(tx.QueryRowContext(ctx, s.d.rebind(`UPDATE incident_alerts SET lease_owner = ?, lease_until = ?,
				attempts = attempts + 1
			WHERE incident_id = ? AND kind = ? AND state = 'pending' RETURNING `+alertCols),
			owner, s.d.timeArg(now.Add(lease)), k.id, k.kind))
		if err != nil {
			return nil, fmt.Errorf("claim alert %s of incident %d: %w", k.kind, k.id, err)
		}
		out = append(out, a)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim due incident alerts: commit: %w", err)
	}
	return out, nil
}

// FinishIncidentAlert records the end of owner's claim on an alert: sent
// (with the message's ts), failed (with why), or, with AlertPending, a retry
// not before retryAt. ErrLeaseLost when owner no longer holds it.
func (s *sqlStore) FinishIncidentAlert(ctx context.Context, a IncidentAlert, owner string, state AlertState, now, retryAt time.Time) error {
	activity := fmt.Sprintf("record alert %s of incident %d as %s", a.Kind, a.IncidentID, state)
	var res sql.Result
	var err error
	switch state {
	case AlertSent, AlertFailed:
		res, err = s.w.ExecContext(ctx, s.d.rebind(`UPDATE incident_alerts SET state = ?, sent_at = ?, slack_ts = ?, last_error = ?,
				lease_owner = '', lease_until = NULL
			WHERE incident_id = ? AND kind = ? AND state = 'pending' AND lease_owner = ?`),
			string(state), s.d.timeArg(now), a.SlackTS, a.LastError, a.IncidentID, a.Kind, owner)
	case AlertPending:
		res, err = s.w.ExecContext(ctx, s.d.rebind(`UPDATE incident_alerts SET last_error = ?, lease_owner = '', lease_until = ?
			WHERE incident_id = ? AND kind = ? AND state = 'pending' AND lease_owner = ?`),
			a.LastError, s.d.timeArg(retryAt), a.IncidentID, a.Kind, owner)
	default:
		return fmt.Errorf("%s: not a result", activity)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", activity, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%s: %w", activity, ErrLeaseLost)
	}
	return nil
}
