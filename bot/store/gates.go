package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Deployment gates: golive is a custom deployment protection rule. GitHub
// asks it to review a workflow run's deployment to an environment
// (deployment_protection_rule "requested"); golive answers at once, or
// remembers the run (a pending Gate) and approves it when the go-live's
// checklist becomes ready. One replica answers each gate: it claims the
// pending row (ClaimGate), tells GitHub, and records the verdict
// (DecideGate).

// GateState is where a deployment gate is.
type GateState string

const (
	// GatePending: not answered yet (waiting for the go-live, or being
	// answered by the worker holding its claim).
	GatePending GateState = "pending"
	// GateApproved and GateRejected: golive told GitHub so.
	GateApproved GateState = "approved"
	GateRejected GateState = "rejected"
	// GateFailed: GitHub refused golive's answer (the run was cancelled, or
	// the rule removed); Detail says why.
	GateFailed GateState = "failed"
)

// GateKey names a deployment gate: one environment of one workflow run.
type GateKey struct {
	RepoID      int64
	RunID       int64
	Environment string
}

// Gate is the review of one workflow run's deployment to one environment.
type Gate struct {
	GateKey
	InstallationID int64
	Repo           string // owner/name
	SHA            string // the commit the run deploys, as the request named it
	Ref            string // the ref the run ran on, as the request named it
	Sender         string // the GitHub login the request names
	GoLiveID       int64  // the go-live gating the environment, 0 when none
	// RequestID is the webhook delivery that asked last.
	RequestID string
	// Notes counts the progress notes posted on the run; NotedRequest is the
	// request that posted the last ("" when none).
	Notes        int
	NotedRequest string
	State        GateState
	Detail       string // the answer's comment, or why GitHub refused it
	// LeaseOwner and LeaseUntil are the claim of the worker answering it
	// ("" and zero when none).
	LeaseOwner  string
	LeaseUntil  time.Time
	RequestedAt time.Time
	DecidedAt   time.Time // zero while pending
}

const gateCols = `repo_id, run_id, environment, installation_id, repo, sha, ref, sender, golive_id, request_id,
	notes, noted_request, state, detail, lease_owner, lease_until, requested_at, decided_at`

func scanGate(sc rowScanner) (Gate, error) {
	var g Gate
	var state string
	err := sc.Scan(&g.RepoID, &g.RunID, &g.Environment, &g.InstallationID, &g.Repo, &g.SHA, &g.Ref, &g.Sender,
		&g.GoLiveID, &g.RequestID, &g.Notes, &g.NotedRequest, &state, &g.Detail, &g.LeaseOwner,
		scanTime(&g.LeaseUntil), scanTime(&g.RequestedAt), scanTime(&g.DecidedAt))
	g.State = GateState(state)
	return g, err
}

// what names the gate in errors.
func (k GateKey) what() string {
	return fmt.Sprintf("the gate of environment %q of run %d in repository %d", k.Environment, k.RunID, k.RepoID)
}

// PutGate records a request to review g's gate and returns the stored gate
// and true when this request opened it: the gate was new, or the last request
// was another one (GitHub asks again when a run is re-run). Then the gate is
// pending with g's InstallationID, Repo, SHA, Ref, Sender, GoLiveID,
// RequestID and RequestedAt, no verdict and no claim; Notes and NotedRequest
// stay, GitHub's limit on notes being per run. The same request again (a
// redelivery) changes nothing and returns the gate as it is and false.
// Environment, RequestID and RequestedAt are required.
func (s *sqlStore) PutGate(ctx context.Context, g Gate) (Gate, bool, error) {
	activity := "record a request to review " + g.GateKey.what()
	if g.Environment == "" || g.RequestID == "" || g.RequestedAt.IsZero() {
		return Gate{}, false, fmt.Errorf("%s: an environment, a request id and the request time are required", activity)
	}
	stored, err := scanGate(s.w.QueryRowContext(ctx, s.d.rebind(`INSERT INTO deployment_gates
		(repo_id, run_id, environment, installation_id, repo, sha, ref, sender, golive_id, request_id, state, requested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
		ON CONFLICT (repo_id, run_id, environment) DO UPDATE SET
			installation_id = excluded.installation_id, repo = excluded.repo, sha = excluded.sha, ref = excluded.ref,
			sender = excluded.sender, golive_id = excluded.golive_id, request_id = excluded.request_id,
			state = 'pending', detail = '', lease_owner = '', lease_until = NULL,
			requested_at = excluded.requested_at, decided_at = NULL
		WHERE deployment_gates.request_id <> excluded.request_id
		RETURNING `+gateCols),
		g.RepoID, g.RunID, g.Environment, g.InstallationID, g.Repo, g.SHA, g.Ref, g.Sender, g.GoLiveID, g.RequestID,
		s.d.timeArg(g.RequestedAt)))
	if err == nil {
		return stored, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Gate{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	stored, err = s.getGate(ctx, s.w, g.GateKey)
	if err != nil {
		return Gate{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	return stored, false, nil
}

func (s *sqlStore) getGate(ctx context.Context, db *sql.DB, k GateKey) (Gate, error) {
	g, err := scanGate(db.QueryRowContext(ctx, s.d.rebind(`SELECT `+gateCols+` FROM deployment_gates
		WHERE repo_id = ? AND run_id = ? AND environment = ?`), k.RepoID, k.RunID, k.Environment))
	if errors.Is(err, sql.ErrNoRows) {
		return Gate{}, fmt.Errorf("get %s: %w", k.what(), ErrNotFound)
	}
	if err != nil {
		return Gate{}, fmt.Errorf("get %s: %w", k.what(), err)
	}
	return g, nil
}

// GetGate returns a gate, or ErrNotFound.
func (s *sqlStore) GetGate(ctx context.Context, k GateKey) (Gate, error) {
	return s.getGate(ctx, s.r, k)
}

// PendingGates returns the pending gates a go-live gates, the oldest request
// first; claimed ones included.
func (s *sqlStore) PendingGates(ctx context.Context, goliveID int64) ([]Gate, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+gateCols+` FROM deployment_gates
		WHERE golive_id = ? AND state = 'pending' ORDER BY requested_at, repo_id, run_id, environment`+s.d.bytewise), goliveID)
	return collect(rows, err, fmt.Sprintf("list the gates waiting for go-live %d", goliveID), scanGate)
}

// NoteGate counts a progress note of request on a pending gate, when the
// gate has fewer than max notes and request has posted none since it last
// opened the gate, and returns the gate and true: the caller may post one.
// Otherwise it changes nothing and returns false (and the zero Gate). Of
// concurrent calls for one request, at most one succeeds.
func (s *sqlStore) NoteGate(ctx context.Context, k GateKey, request string, max int) (Gate, bool, error) {
	if request == "" {
		return Gate{}, false, fmt.Errorf("note on %s: a request id is required", k.what())
	}
	g, err := scanGate(s.w.QueryRowContext(ctx, s.d.rebind(`UPDATE deployment_gates SET notes = notes + 1, noted_request = ?
		WHERE repo_id = ? AND run_id = ? AND environment = ? AND state = 'pending' AND notes < ? AND noted_request <> ?
		RETURNING `+gateCols), request, k.RepoID, k.RunID, k.Environment, max, request))
	if errors.Is(err, sql.ErrNoRows) {
		return Gate{}, false, nil
	}
	if err != nil {
		return Gate{}, false, fmt.Errorf("note on %s: %w", k.what(), err)
	}
	return g, true, nil
}

// UnnoteGate takes back request's note counted by NoteGate (posting it
// failed), so that request may note again; nothing changes when request did
// not post the gate's last note.
func (s *sqlStore) UnnoteGate(ctx context.Context, k GateKey, request string) error {
	if _, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE deployment_gates SET notes = notes - 1, noted_request = ''
		WHERE repo_id = ? AND run_id = ? AND environment = ? AND noted_request = ? AND notes > 0`),
		k.RepoID, k.RunID, k.Environment, request); err != nil {
		return fmt.Errorf("take back the note on %s: %w", k.what(), err)
	}
	return nil
}

// ClaimGate leases a pending gate to owner until now+lease, when no other
// claim on it is current (its lease_until is past), and returns it and true.
// Otherwise — the gate is decided, or another worker holds it — it returns
// false and the gate as stored, or ErrNotFound. Of concurrent claims exactly
// one succeeds: only the holder answers GitHub.
func (s *sqlStore) ClaimGate(ctx context.Context, k GateKey, owner string, now time.Time, lease time.Duration) (Gate, bool, error) {
	activity := "claim " + k.what()
	if owner == "" || lease <= 0 {
		return Gate{}, false, fmt.Errorf("%s: an owner and a positive lease are required", activity)
	}
	g, err := scanGate(s.w.QueryRowContext(ctx, s.d.rebind(`UPDATE deployment_gates SET lease_owner = ?, lease_until = ?
		WHERE repo_id = ? AND run_id = ? AND environment = ? AND state = 'pending'
			AND (lease_until IS NULL OR lease_until <= ?)
		RETURNING `+gateCols), owner, s.d.timeArg(now.Add(lease)), k.RepoID, k.RunID, k.Environment, s.d.timeArg(now)))
	if err == nil {
		return g, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Gate{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	g, err = s.getGate(ctx, s.w, k)
	if err != nil {
		return Gate{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	return g, false, nil
}

// DecideGate records the verdict (GateApproved, GateRejected or GateFailed)
// and detail of a gate owner has claimed, at now, ending the claim, and
// returns the gate as stored. ErrLeaseLost when owner no longer holds the
// claim (it expired and another worker claimed it, or the gate was decided
// or reopened); its lease is not checked against the time, so a slow holder
// still records what it told GitHub unless another claimed the gate since.
func (s *sqlStore) DecideGate(ctx context.Context, k GateKey, owner string, state GateState, detail string, now time.Time) (Gate, error) {
	activity := fmt.Sprintf("record %s for %s", state, k.what())
	if state != GateApproved && state != GateRejected && state != GateFailed {
		return Gate{}, fmt.Errorf("%s: %q is no verdict", activity, state)
	}
	if owner == "" || now.IsZero() {
		return Gate{}, fmt.Errorf("%s: an owner and the time are required", activity)
	}
	g, err := scanGate(s.w.QueryRowContext(ctx, s.d.rebind(`UPDATE deployment_gates SET state = ?, detail = ?, decided_at = ?,
			lease_owner = '', lease_until = NULL
		WHERE repo_id = ? AND run_id = ? AND environment = ? AND state = 'pending' AND lease_owner = ?
		RETURNING `+gateCols), string(state), detail, s.d.timeArg(now), k.RepoID, k.RunID, k.Environment, owner))
	if errors.Is(err, sql.ErrNoRows) {
		return Gate{}, fmt.Errorf("%s: %w", activity, ErrLeaseLost)
	}
	if err != nil {
		return Gate{}, fmt.Errorf("%s: %w", activity, err)
	}
	return g, nil
}

// ReleaseGate ends owner's claim on a gate without a verdict, so it can be
// claimed again at once; nothing changes when owner does not hold it.
func (s *sqlStore) ReleaseGate(ctx context.Context, k GateKey, owner string) error {
	if _, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE deployment_gates SET lease_owner = '', lease_until = NULL
		WHERE repo_id = ? AND run_id = ? AND environment = ? AND lease_owner = ?`),
		k.RepoID, k.RunID, k.Environment, owner); err != nil {
		return fmt.Errorf("release %s: %w", k.what(), err)
	}
	return nil
}
