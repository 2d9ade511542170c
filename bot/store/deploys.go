package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Deploys: the state behind /golive deploy, rollback, lock and unlock, shared
// by every replica. People lock environments (EnvLock); deploys that find
// their environment busy wait in a first-in-first-out queue per repository
// and environment (QueuedDeploy); each dispatched deploy or rollback is
// followed until its workflow run finishes (Deploy); and every command on
// every surface is audited (CommandAudit).

// EnvLock is a person's lock on one environment of a repository.
type EnvLock struct {
	RepoID      int64
	Environment string
	Holder      string // who holds it, as shown to people: "@alice", "slack:U123"
	HolderKey   string // the holder's stable identity, which ownership is checked against
	Reason      string
	CreatedAt   time.Time // when the holder took it
	ExpiresAt   time.Time // the lock is free from then on; zero: until unlocked
}

// QueuedDeploy is a deploy waiting for its environment.
type QueuedDeploy struct {
	ID          int64 // assigned by EnqueueDeploy, growing in queue order
	RepoID      int64
	Environment string
	Request     []byte // the caller's JSON, kept as is
	QueuedBy    string
	QueuedAt    time.Time
}

// DeployState is where a followed deploy is in its life.
type DeployState string

const (
	// DeployDispatched: the workflow was dispatched; its run is not seen yet.
	DeployDispatched DeployState = "dispatched"
	// DeployRunning: the run was seen and has not finished.
	DeployRunning DeployState = "running"
	// DeploySuccess, DeployFailure and DeployCancelled: the run finished so.
	DeploySuccess   DeployState = "success"
	DeployFailure   DeployState = "failure"
	DeployCancelled DeployState = "cancelled"
	// DeployTimedOut: no run appeared, or it did not finish, in time.
	DeployTimedOut DeployState = "timed_out"
	// DeployError: golive could not dispatch or follow it; Detail says why.
	DeployError DeployState = "error"
)

// Finished reports whether st is a final state: success, failure, cancelled,
// timed_out or error.
func (st DeployState) Finished() bool {
	switch st {
	case DeploySuccess, DeployFailure, DeployCancelled, DeployTimedOut, DeployError:
		return true
	}
	return false
}

// finishedStatesSQL lists the states DeployState.Finished reports, for SQL.
const finishedStatesSQL = `('success', 'failure', 'cancelled', 'timed_out', 'error')`

// Deploy is one deploy or rollback command's workflow run, followed from
// dispatch to its end.
type Deploy struct {
	ID             int64  // assigned by CreateDeploy
	CorrelationID  string // unique; the dispatched workflow carries it
	Kind           string // "deploy" or "rollback"
	InstallationID int64
	RepoID         int64
	Repo           string // owner/name
	Environment    string
	Ref            string
	SHA            string
	Workflow       string
	RequestedBy    string
	Surface        string // where the command came from: "github" or "slack"
	GoLiveID       int64  // the go-live it belongs to, 0 when none
	// The GitHub surface: the issue or pull request commented on, the
	// command's comment and the bot's reply (0 until posted).
	IssueNumber      int
	TriggerCommentID int64
	ReplyCommentID   int64
	// The Slack surface: the channel, the bot's message and the slash
	// command's response URL.
	SlackChannel string
	SlackTS      string
	ResponseURL  string
	State        DeployState
	RunID        int64 // the workflow run, 0 until seen
	RunURL       string
	Detail       string
	DispatchedAt time.Time
	UpdatedAt    time.Time
	FinishedAt   time.Time // zero until finished
}

// Decisions a CommandAudit records.
const (
	CommandAccepted = "accepted"
	CommandRefused  = "refused"
	CommandError    = "error"
)

// CommandAudit records one command someone gave on some surface.
type CommandAudit struct {
	ID            int64 // assigned by AppendCommandAudit, growing in append order
	At            time.Time
	Surface       string // "github", "slack"
	Actor         string
	Repo          string // owner/name, "" when the command named none
	Text          string // the command as given
	Decision      string // CommandAccepted, CommandRefused or CommandError
	Reason        string
	CorrelationID string // the deploy it started, "" when none
	// DedupKey, when set, makes the entry idempotent: a second entry with
	// the same key is not written (a command handled again is audited once).
	DedupKey string
}

const envLockCols = `repo_id, environment, holder, holder_key, reason, created_at, expires_at`

func scanEnvLock(sc rowScanner) (EnvLock, error) {
	var l EnvLock
	err := sc.Scan(&l.RepoID, &l.Environment, &l.Holder, &l.HolderKey, &l.Reason, scanTime(&l.CreatedAt), scanTime(&l.ExpiresAt))
	return l, err
}

// AcquireEnvLock takes the lock l describes for l.HolderKey at now when the
// environment is not locked, its lock expired (ExpiresAt <= now) or
// l.HolderKey holds it already, and returns the stored lock and true. A
// holder taking its own lock again renews it: Holder, Reason and ExpiresAt
// become l's and CreatedAt stays. Otherwise it changes nothing and returns
// the current holder's lock and false. A zero l.CreatedAt means now.
//
// Environment and HolderKey are required, and a non-zero ExpiresAt must be
// after now (to the microsecond, the precision stored). Of concurrent calls
// for one free environment by different holders, exactly one acquires it.
func (s *sqlStore) AcquireEnvLock(ctx context.Context, l EnvLock, now time.Time) (EnvLock, bool, error) {
	activity := fmt.Sprintf("lock environment %q of repository %d", l.Environment, l.RepoID)
	if l.Environment == "" || l.HolderKey == "" {
		return EnvLock{}, false, fmt.Errorf("%s: an environment and a holder key are required", activity)
	}
	if !l.ExpiresAt.IsZero() && !toUTCMicro(l.ExpiresAt).After(toUTCMicro(now)) {
		return EnvLock{}, false, fmt.Errorf("%s: expiry %s is not after now, %s", activity,
			l.ExpiresAt.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	created := l.CreatedAt
	if created.IsZero() {
		created = now
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return EnvLock{}, false, fmt.Errorf("%s: begin: %w", activity, err)
	}
	defer tx.Rollback()
	nowArg := s.d.timeArg(now)
	// On a conflict PostgreSQL locks the existing row, also when the WHERE
	// clause then refuses the update, so the holder read below is the one
	// that refused it.
	got, err := scanEnvLock(tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO env_locks
		(repo_id, environment, holder, holder_key, reason, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo_id, environment) DO UPDATE SET
			holder = excluded.holder, holder_key = excluded.holder_key, reason = excluded.reason,
			created_at = CASE
				WHEN env_locks.holder_key = excluded.holder_key AND (env_locks.expires_at IS NULL OR env_locks.expires_at > ?)
				THEN env_locks.created_at ELSE excluded.created_at END,
			expires_at = excluded.expires_at
		WHERE env_locks.holder_key = excluded.holder_key OR env_locks.expires_at <= ?
		RETURNING `+envLockCols),
		l.RepoID, l.Environment, l.Holder, l.HolderKey, l.Reason, s.d.timeArg(created), s.d.timeArg(l.ExpiresAt),
		nowArg, nowArg))
	acquired := true
	if errors.Is(err, sql.ErrNoRows) {
		acquired = false
		got, err = scanEnvLock(tx.QueryRowContext(ctx, s.d.rebind(`SELECT `+envLockCols+`
			FROM env_locks WHERE repo_id = ? AND environment = ?`), l.RepoID, l.Environment))
		if err != nil {
			return EnvLock{}, false, fmt.Errorf("%s: read the holder: %w", activity, err)
		}
	} else if err != nil {
		return EnvLock{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	if err := tx.Commit(); err != nil {
		return EnvLock{}, false, fmt.Errorf("%s: commit: %w", activity, err)
	}
	return got, acquired, nil
}

// ReleaseEnvLock removes the environment's lock when holderKey holds it, or
// whoever does with force, and returns it and true. When the environment is
// not locked it returns false and the zero EnvLock; when another holds it
// (and not force), false and that lock, so the caller can say who. Expiry is
// not considered: a holder may release its expired lock, and another's
// expired lock is returned as held (its ExpiresAt tells).
func (s *sqlStore) ReleaseEnvLock(ctx context.Context, repoID int64, env, holderKey string, force bool) (EnvLock, bool, error) {
	activity := fmt.Sprintf("unlock environment %q of repository %d", env, repoID)
	released, err := scanEnvLock(s.w.QueryRowContext(ctx, s.d.rebind(`DELETE FROM env_locks
		WHERE repo_id = ? AND environment = ? AND (? OR holder_key = ?)
		RETURNING `+envLockCols), repoID, env, force, holderKey))
	if err == nil {
		return released, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return EnvLock{}, false, fmt.Errorf("%s: %w", activity, err)
	}
	current, err := scanEnvLock(s.w.QueryRowContext(ctx, s.d.rebind(`SELECT `+envLockCols+`
		FROM env_locks WHERE repo_id = ? AND environment = ?`), repoID, env))
	if errors.Is(err, sql.ErrNoRows) {
		return EnvLock{}, false, nil
	}
	if err != nil {
		return EnvLock{}, false, fmt.Errorf("%s: read the holder: %w", activity, err)
	}
	return current, false, nil
}

// GetEnvLock returns the environment's lock at now and true, or false when it
// is not locked (an expired lock is not returned).
func (s *sqlStore) GetEnvLock(ctx context.Context, repoID int64, env string, now time.Time) (EnvLock, bool, error) {
	l, err := scanEnvLock(s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+envLockCols+`
		FROM env_locks WHERE repo_id = ? AND environment = ? AND (expires_at IS NULL OR expires_at > ?)`),
		repoID, env, s.d.timeArg(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return EnvLock{}, false, nil
	}
	if err != nil {
		return EnvLock{}, false, fmt.Errorf("read the lock of environment %q of repository %d: %w", env, repoID, err)
	}
	return l, true, nil
}

const queuedDeployCols = `id, repo_id, environment, request, queued_by, queued_at`

func scanQueuedDeploy(sc rowScanner) (QueuedDeploy, error) {
	var q QueuedDeploy
	err := sc.Scan(&q.ID, &q.RepoID, &q.Environment, &q.Request, &q.QueuedBy, scanTime(&q.QueuedAt))
	if q.Request == nil {
		q.Request = []byte{}
	}
	return q, err
}

// EnqueueDeploy appends q to the queue of its repository and environment and
// returns it as stored (ID assigned) with its 1-based position in the queue.
// Environment and QueuedAt are required; q.ID is ignored. Concurrent enqueues
// of one queue are serialised: each gets a position of its own, and the
// queue's order is the order they committed in.
func (s *sqlStore) EnqueueDeploy(ctx context.Context, q QueuedDeploy) (QueuedDeploy, int, error) {
	activity := fmt.Sprintf("queue a deploy to environment %q of repository %d", q.Environment, q.RepoID)
	if q.Environment == "" || q.QueuedAt.IsZero() {
		return QueuedDeploy{}, 0, fmt.Errorf("%s: an environment and the time queued are required", activity)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return QueuedDeploy{}, 0, fmt.Errorf("%s: begin: %w", activity, err)
	}
	defer tx.Rollback()
	// Writing the queue's row locks it until commit (PostgreSQL; SQLite
	// transactions are serialised anyway): the next enqueue of this queue
	// takes its id, and counts, after this one committed.
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO deploy_queues (repo_id, environment, enqueued) VALUES (?, ?, 1)
		ON CONFLICT (repo_id, environment) DO UPDATE SET enqueued = deploy_queues.enqueued + 1`),
		q.RepoID, q.Environment); err != nil {
		return QueuedDeploy{}, 0, fmt.Errorf("%s: %w", activity, err)
	}
	stored, err := scanQueuedDeploy(tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO queued_deploys
		(repo_id, environment, request, queued_by, queued_at) VALUES (?, ?, ?, ?, ?)
		RETURNING `+queuedDeployCols),
		q.RepoID, q.Environment, payloadArg(q.Request), q.QueuedBy, s.d.timeArg(q.QueuedAt)))
	if err != nil {
		return QueuedDeploy{}, 0, fmt.Errorf("%s: %w", activity, err)
	}
	var position int
	if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM queued_deploys
		WHERE repo_id = ? AND environment = ? AND id <= ?`), q.RepoID, q.Environment, stored.ID).Scan(&position); err != nil {
		return QueuedDeploy{}, 0, fmt.Errorf("%s: count the queue: %w", activity, err)
	}
	if err := tx.Commit(); err != nil {
		return QueuedDeploy{}, 0, fmt.Errorf("%s: commit: %w", activity, err)
	}
	return stored, position, nil
}

// PopQueuedDeploy removes the head of the queue of a repository and
// environment and returns it and true, or false when the queue is empty.
// Concurrent pops never get the same deploy (FOR UPDATE SKIP LOCKED on
// PostgreSQL: a pop that finds the head taken by another in flight gets the
// next one).
func (s *sqlStore) PopQueuedDeploy(ctx context.Context, repoID int64, env string) (QueuedDeploy, bool, error) {
	q, err := scanQueuedDeploy(s.w.QueryRowContext(ctx, s.d.rebind(`DELETE FROM queued_deploys
		WHERE id IN (
			SELECT id FROM queued_deploys WHERE repo_id = ? AND environment = ?
			ORDER BY id
			LIMIT 1`+s.d.claimLock+`
		)
		RETURNING `+queuedDeployCols), repoID, env))
	if errors.Is(err, sql.ErrNoRows) {
		return QueuedDeploy{}, false, nil
	}
	if err != nil {
		return QueuedDeploy{}, false, fmt.Errorf("take the next deploy queued for environment %q of repository %d: %w", env, repoID, err)
	}
	return q, true, nil
}

// ListQueuedDeploys returns the queue of a repository and environment, head
// first.
func (s *sqlStore) ListQueuedDeploys(ctx context.Context, repoID int64, env string) ([]QueuedDeploy, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+queuedDeployCols+` FROM queued_deploys
		WHERE repo_id = ? AND environment = ? ORDER BY id`), repoID, env)
	return collect(rows, err, fmt.Sprintf("list deploys queued for environment %q of repository %d", env, repoID), scanQueuedDeploy)
}

// CancelQueuedDeploys removes every deploy queuedBy queued in a repository
// and returns them, oldest first.
func (s *sqlStore) CancelQueuedDeploys(ctx context.Context, repoID int64, queuedBy string) ([]QueuedDeploy, error) {
	rows, err := s.w.QueryContext(ctx, s.d.rebind(`DELETE FROM queued_deploys WHERE repo_id = ? AND queued_by = ?
		RETURNING `+queuedDeployCols), repoID, queuedBy)
	out, err := collect(rows, err, fmt.Sprintf("cancel the deploys %q queued in repository %d", queuedBy, repoID), scanQueuedDeploy)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

const deployCols = `id, correlation_id, kind, installation_id, repo_id, repo, environment, ref, sha, workflow,
	requested_by, surface, golive_id, issue_number, trigger_comment_id, reply_comment_id, slack_channel, slack_ts,
	response_url, state, run_id, run_url, detail, dispatched_at, updated_at, finished_at`

func scanDeploy(sc rowScanner) (Deploy, error) {
	var d Deploy
	var state string
	err := sc.Scan(&d.ID, &d.CorrelationID, &d.Kind, &d.InstallationID, &d.RepoID, &d.Repo, &d.Environment, &d.Ref,
		&d.SHA, &d.Workflow, &d.RequestedBy, &d.Surface, &d.GoLiveID, &d.IssueNumber, &d.TriggerCommentID,
		&d.ReplyCommentID, &d.SlackChannel, &d.SlackTS, &d.ResponseURL, &state, &d.RunID, &d.RunURL, &d.Detail,
		scanTime(&d.DispatchedAt), scanTime(&d.UpdatedAt), scanTime(&d.FinishedAt))
	d.State = DeployState(state)
	return d, err
}

// CreateDeploy stores a new deploy and returns it as stored, with its ID
// assigned. CorrelationID and DispatchedAt are required; an empty State is
// DeployDispatched and a zero UpdatedAt is DispatchedAt. A CorrelationID
// already stored is refused with an error wrapping ErrDuplicate, and the
// stored deploy is left as it is.
func (s *sqlStore) CreateDeploy(ctx context.Context, d Deploy) (Deploy, error) {
	activity := fmt.Sprintf("create deploy %q", d.CorrelationID)
	if d.CorrelationID == "" || d.DispatchedAt.IsZero() {
		return Deploy{}, fmt.Errorf("%s: a correlation id and the dispatch time are required", activity)
	}
	if d.State == "" {
		d.State = DeployDispatched
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.DispatchedAt
	}
	stored, err := scanDeploy(s.w.QueryRowContext(ctx, s.d.rebind(`INSERT INTO deploys
		(correlation_id, kind, installation_id, repo_id, repo, environment, ref, sha, workflow,
		 requested_by, surface, golive_id, issue_number, trigger_comment_id, reply_comment_id, slack_channel, slack_ts,
		 response_url, state, run_id, run_url, detail, dispatched_at, updated_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (correlation_id) DO NOTHING
		RETURNING `+deployCols),
		d.CorrelationID, d.Kind, d.InstallationID, d.RepoID, d.Repo, d.Environment, d.Ref, d.SHA, d.Workflow,
		d.RequestedBy, d.Surface, d.GoLiveID, d.IssueNumber, d.TriggerCommentID, d.ReplyCommentID, d.SlackChannel, d.SlackTS,
		d.ResponseURL, string(d.State), d.RunID, d.RunURL, d.Detail, s.d.timeArg(d.DispatchedAt), s.d.timeArg(d.UpdatedAt),
		s.d.timeArg(d.FinishedAt)))
	if errors.Is(err, sql.ErrNoRows) {
		return Deploy{}, fmt.Errorf("%s: %w", activity, ErrDuplicate)
	}
	if err != nil {
		return Deploy{}, fmt.Errorf("%s: %w", activity, err)
	}
	return stored, nil
}

// getDeploy reads one deploy from db; what names it in errors.
func (s *sqlStore) getDeploy(ctx context.Context, db *sql.DB, what, where string, args ...any) (Deploy, error) {
	d, err := scanDeploy(db.QueryRowContext(ctx, s.d.rebind(`SELECT `+deployCols+` FROM deploys WHERE `+where), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Deploy{}, fmt.Errorf("get deploy %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return Deploy{}, fmt.Errorf("get deploy %s: %w", what, err)
	}
	return d, nil
}

// GetDeploy returns a deploy by its ID, or ErrNotFound.
func (s *sqlStore) GetDeploy(ctx context.Context, id int64) (Deploy, error) {
	return s.getDeploy(ctx, s.r, fmt.Sprint(id), `id = ?`, id)
}

// GetDeployByCorrelation returns the deploy with a correlation id, or
// ErrNotFound.
func (s *sqlStore) GetDeployByCorrelation(ctx context.Context, correlationID string) (Deploy, error) {
	return s.getDeploy(ctx, s.r, fmt.Sprintf("%q", correlationID), `correlation_id = ?`, correlationID)
}

// GetDeployByRun returns the deploy followed by a workflow run of a
// repository (the newest, should several have the run), or ErrNotFound; run
// 0, which deploys have until their run is seen, finds none.
func (s *sqlStore) GetDeployByRun(ctx context.Context, repoID, runID int64) (Deploy, error) {
	what := fmt.Sprintf("of run %d in repository %d", runID, repoID)
	if runID == 0 {
		return Deploy{}, fmt.Errorf("get deploy %s: %w", what, ErrNotFound)
	}
	return s.getDeploy(ctx, s.r, what, `repo_id = ? AND run_id = ? ORDER BY id DESC LIMIT 1`, repoID, runID)
}

// UpdateDeploy writes d's State, RunID, RunURL, Detail, ReplyCommentID,
// SlackChannel, SlackTS, FinishedAt and UpdatedAt (required) to the deploy
// d.ID, as they are, and returns the stored deploy; ErrNotFound when there is
// none. A finished deploy (see DeployState.Finished) never goes back to
// dispatched or running: such an update changes nothing and returns the
// stored deploy without an error, so that webhook events handled out of
// order cannot reopen it. A finished deploy may take another final state.
func (s *sqlStore) UpdateDeploy(ctx context.Context, d Deploy) (Deploy, error) {
	activity := fmt.Sprintf("update deploy %d", d.ID)
	if d.UpdatedAt.IsZero() {
		return Deploy{}, fmt.Errorf("%s: the update time is required", activity)
	}
	stored, err := scanDeploy(s.w.QueryRowContext(ctx, s.d.rebind(`UPDATE deploys SET
		state = ?, run_id = ?, run_url = ?, detail = ?, reply_comment_id = ?, slack_channel = ?, slack_ts = ?,
		finished_at = ?, updated_at = ?
		WHERE id = ? AND (? OR state NOT IN `+finishedStatesSQL+`)
		RETURNING `+deployCols),
		string(d.State), d.RunID, d.RunURL, d.Detail, d.ReplyCommentID, d.SlackChannel, d.SlackTS,
		s.d.timeArg(d.FinishedAt), s.d.timeArg(d.UpdatedAt), d.ID, d.State.Finished()))
	if errors.Is(err, sql.ErrNoRows) {
		// Finished already, or not there.
		stored, err := s.getDeploy(ctx, s.w, fmt.Sprint(d.ID), `id = ?`, d.ID)
		if err != nil {
			return Deploy{}, fmt.Errorf("%s: %w", activity, err)
		}
		return stored, nil
	}
	if err != nil {
		return Deploy{}, fmt.Errorf("%s: %w", activity, err)
	}
	return stored, nil
}

// ListActiveDeploys returns the deploys still dispatched without a run seen
// (RunID 0) that were dispatched before dispatchedBefore, oldest first: the
// runs that never appeared, to time out.
func (s *sqlStore) ListActiveDeploys(ctx context.Context, dispatchedBefore time.Time) ([]Deploy, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+deployCols+` FROM deploys
		WHERE state = 'dispatched' AND run_id = 0 AND dispatched_at < ?
		ORDER BY dispatched_at, id`), s.d.timeArg(dispatchedBefore))
	return collect(rows, err, "list dispatched deploys without a run", scanDeploy)
}

// LatestDeploys returns up to limit deploys (and rollbacks) of an environment
// of a repository, the most recently created first; none when limit <= 0.
func (s *sqlStore) LatestDeploys(ctx context.Context, repoID int64, env string, limit int) ([]Deploy, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+deployCols+` FROM deploys
		WHERE repo_id = ? AND environment = ? ORDER BY id DESC LIMIT ?`), repoID, env, limit)
	return collect(rows, err, fmt.Sprintf("list the latest deploys to environment %q of repository %d", env, repoID), scanDeploy)
}

const commandAuditCols = `id, at, surface, actor, repo, text, decision, reason, correlation_id, COALESCE(dedup_key, '')`

func scanCommandAudit(sc rowScanner) (CommandAudit, error) {
	var a CommandAudit
	err := sc.Scan(&a.ID, scanTime(&a.At), &a.Surface, &a.Actor, &a.Repo, &a.Text, &a.Decision, &a.Reason, &a.CorrelationID, &a.DedupKey)
	return a, err
}

// AppendCommandAudit records a command and returns the entry as stored, with
// its ID assigned. At is required and Decision must be CommandAccepted,
// CommandRefused or CommandError. An entry whose DedupKey was appended
// before is not written again; the earlier entry is returned.
func (s *sqlStore) AppendCommandAudit(ctx context.Context, a CommandAudit) (CommandAudit, error) {
	activity := fmt.Sprintf("audit command %q by %q", a.Text, a.Actor)
	switch {
	case a.At.IsZero():
		return CommandAudit{}, fmt.Errorf("%s: the time is required", activity)
	case a.Decision != CommandAccepted && a.Decision != CommandRefused && a.Decision != CommandError:
		return CommandAudit{}, fmt.Errorf("%s: decision %q is not %q, %q or %q", activity, a.Decision, CommandAccepted, CommandRefused, CommandError)
	}
	stored, err := scanCommandAudit(s.w.QueryRowContext(ctx, s.d.rebind(`INSERT INTO command_audit
		(at, surface, actor, repo, text, decision, reason, correlation_id, dedup_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))
		ON CONFLICT (dedup_key) DO NOTHING
		RETURNING `+commandAuditCols),
		s.d.timeArg(a.At), a.Surface, a.Actor, a.Repo, a.Text, a.Decision, a.Reason, a.CorrelationID, a.DedupKey))
	if errors.Is(err, sql.ErrNoRows) && a.DedupKey != "" {
		// Audited before: the entry as first written.
		stored, err = scanCommandAudit(s.w.QueryRowContext(ctx, s.d.rebind(`SELECT `+commandAuditCols+`
			FROM command_audit WHERE dedup_key = ?`), a.DedupKey))
	}
	if err != nil {
		return CommandAudit{}, fmt.Errorf("%s: %w", activity, err)
	}
	return stored, nil
}

// ListCommandAudit returns up to limit audited commands of a repository
// (owner/name; "" lists those that named none), the most recently appended
// first; none when limit <= 0.
func (s *sqlStore) ListCommandAudit(ctx context.Context, repo string, limit int) ([]CommandAudit, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+commandAuditCols+` FROM command_audit
		WHERE repo = ? ORDER BY id DESC LIMIT ?`), repo, limit)
	return collect(rows, err, fmt.Sprintf("list audited commands of %q", repo), scanCommandAudit)
}
