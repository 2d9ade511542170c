// Package store keeps golive's durable state: the webhook inbox, the
// installations the App is on, go-lives with their checklist items, audit
// log and tracker refresh schedule, go-lives' reminder occurrences, and
// deploys: environment locks, deploy queues, followed runs and the audit of
// commands, and the deployment gates golive's protection rule reviews.
//
// One Store interface has one implementation over database/sql with two
// dialects, SQLite (modernc.org/sqlite, the embedded default) and PostgreSQL
// (pgx, for several replicas). Schema migrations are embedded and applied by
// Open. The conformance suite in storetest runs against both.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrLeaseLost is returned when a worker finishes a delivery whose lease it no
// longer holds (it expired and another worker claimed the row).
var ErrLeaseLost = errors.New("lease lost")

// ErrDuplicate is returned when a row to create exists already (CreateDeploy
// of a correlation id that is taken).
var ErrDuplicate = errors.New("already exists")

// ErrSnoozeLimit is returned by SnoozeNextReminder when the go-live has used
// all the snoozes it may.
var ErrSnoozeLimit = errors.New("snooze limit reached")

// DeliveryStatus is the state of an inbox row.
type DeliveryStatus string

const (
	// DeliveryPending rows wait to be processed (possibly after a retry delay).
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryDone rows were processed successfully.
	DeliveryDone DeliveryStatus = "done"
	// DeliveryDead rows were given up on; LastError says why.
	DeliveryDead DeliveryStatus = "dead"
)

// Delivery is one GitHub webhook delivery in the durable inbox, keyed by the
// X-GitHub-Delivery GUID.
type Delivery struct {
	ID             string // X-GitHub-Delivery
	Event          string // X-GitHub-Event
	Action         string // payload "action", when present
	InstallationID int64  // payload installation.id, 0 when absent
	Payload        []byte // the raw, signature-checked body
	Status         DeliveryStatus
	Attempts       int    // how many times a worker has claimed it
	LastError      string // why the last attempt failed, or why it is dead
	ReceivedAt     time.Time
	NextAttemptAt  time.Time // pending rows are not claimed before this
	LeaseOwner     string    // worker holding the row, "" when none
	LeaseUntil     time.Time // the lease is void after this
	FinishedAt     time.Time // zero while pending
}

// Installation is one installation of the GitHub App.
type Installation struct {
	ID           int64
	AccountID    int64
	AccountLogin string
	AccountType  string // "User" or "Organization"
	Suspended    bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Repository is a repository an installation can access.
type Repository struct {
	ID             int64
	InstallationID int64
	FullName       string // owner/name
	Private        bool
}

// Store is golive's durable state. Every method is safe for concurrent use.
// Times passed in come from the caller's clock; the store never reads the wall
// clock itself, so behaviour is reproducible under a fake clock.
type Store interface {
	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
	// Dialect is "sqlite" or "postgres".
	Dialect() string

	// InsertDeliveries writes deliveries to the inbox in one transaction and
	// reports, per delivery in order, whether it was new (false: a row with that
	// ID already existed and was left untouched). Status, Attempts and lease
	// fields of the arguments are ignored: new rows are pending with
	// NextAttemptAt = ReceivedAt. Nothing is written when an error is returned.
	InsertDeliveries(ctx context.Context, ds []Delivery) ([]bool, error)
	// InsertDeadLetter records a delivery that cannot be processed (for example
	// a body that is not JSON) as dead with the reason. A duplicate ID is not an
	// error and leaves the existing row untouched.
	InsertDeadLetter(ctx context.Context, d Delivery, reason string) error
	// ClaimDeliveries leases up to limit pending rows that are due at now and
	// whose lease is absent or expired, oldest first, to owner until now+lease,
	// incrementing Attempts. On PostgreSQL concurrent claimers never get the
	// same row (FOR UPDATE SKIP LOCKED).
	ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// CompleteDelivery marks a leased row done. ErrLeaseLost when owner no
	// longer holds it.
	CompleteDelivery(ctx context.Context, id, owner string, now time.Time) error
	// CompleteDeliveries marks many leased rows done in one transaction and
	// returns the IDs it did not complete because owner does not hold them (or
	// they do not exist). It is the batch form of CompleteDelivery for busy
	// dispatchers.
	CompleteDeliveries(ctx context.Context, ids []string, owner string, now time.Time) (notCompleted []string, err error)
	// RetryDelivery releases a leased row for another attempt at next, keeping
	// lastErr. ErrLeaseLost when owner no longer holds it.
	RetryDelivery(ctx context.Context, id, owner string, next time.Time, lastErr string) error
	// DeadLetterDelivery marks a leased row dead with the reason. ErrLeaseLost
	// when owner no longer holds it.
	DeadLetterDelivery(ctx context.Context, id, owner string, now time.Time, reason string) error
	// ReleaseLeases clears every lease and named lock: deliveries, reminders
	// and tracker refreshes become claimable at once (a reminder's retry delay
	// stays). Environment locks, which people take, stay. Only a
	// single-process store (SQLite) calls it at start.
	ReleaseLeases(ctx context.Context) error
	// GetDelivery returns one inbox row, or ErrNotFound.
	GetDelivery(ctx context.Context, id string) (Delivery, error)
	// CountDeliveries counts inbox rows in a status.
	CountDeliveries(ctx context.Context, status DeliveryStatus) (int, error)
	// KnownDeliveryIDs reports which of ids have an inbox row (any status).
	KnownDeliveryIDs(ctx context.Context, ids []string) (map[string]bool, error)

	// UpsertInstallation creates or updates an installation.
	UpsertInstallation(ctx context.Context, in Installation) error
	// DeleteInstallation removes an installation and its repositories.
	DeleteInstallation(ctx context.Context, id int64) error
	// GetInstallation returns one installation, or ErrNotFound.
	GetInstallation(ctx context.Context, id int64) (Installation, error)
	// ListInstallations returns all installations ordered by ID.
	ListInstallations(ctx context.Context) ([]Installation, error)
	// AddRepositories adds (or updates) repositories of an installation.
	AddRepositories(ctx context.Context, installationID int64, repos []Repository) error
	// RemoveRepositories removes repositories, by ID, from an installation.
	RemoveRepositories(ctx context.Context, installationID int64, repoIDs []int64) error
	// ListRepositories returns an installation's repositories ordered by full name.
	ListRepositories(ctx context.Context, installationID int64) ([]Repository, error)

	// Go-lives: see golives.go for each method's contract.
	UpsertGoLive(ctx context.Context, g GoLive, now time.Time) (GoLive, bool, error)
	GetGoLive(ctx context.Context, repoID int64, issueNumber int) (GoLive, error)
	GetGoLiveByID(ctx context.Context, id int64) (GoLive, error)
	ListGoLives(ctx context.Context, state GoLiveState) ([]GoLive, error)
	SetGoLiveComment(ctx context.Context, goliveID int64, kind CommentKind, commentID int64) error
	SaveItems(ctx context.Context, goliveID int64, items []Item, asOf time.Time) (bool, error)
	Items(ctx context.Context, goliveID int64) ([]Item, error)
	AppendAudit(ctx context.Context, entries []AuditEntry) (int, error)
	Audit(ctx context.Context, goliveID int64) ([]AuditEntry, error)
	LatestAudit(ctx context.Context, goliveID int64, action string) (AuditEntry, bool, error)
	ScheduleTracker(ctx context.Context, goliveID int64, due time.Time, body string, asOf time.Time) error
	ClaimDueTrackers(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]TrackerClaim, error)
	FinishTracker(ctx context.Context, c TrackerClaim, owner string, now time.Time) error

	// Named locks: see locks.go.
	TryLock(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)
	Unlock(ctx context.Context, name, owner string) error

	// Reminders: see reminders.go for each method's contract.
	ApplyReminderChanges(ctx context.Context, goliveID int64, c ReminderChanges) (added, moved, cancelled int, err error)
	CancelReminders(ctx context.Context, goliveID int64) (int, error)
	ListReminders(ctx context.Context, goliveID int64) ([]Reminder, error)
	ClaimDueReminders(ctx context.Context, owner string, now time.Time, lease time.Duration, limit, perChannel int) ([]Reminder, error)
	MarkReminderSent(ctx context.Context, key, owner string, sentAt time.Time, ts string, late bool) error
	RetryReminder(ctx context.Context, key, owner string, notBefore time.Time, lastErr string) error
	ReleaseReminder(ctx context.Context, key, owner string, notBefore time.Time, why string) error
	FailReminder(ctx context.Context, key, owner, reason string) error
	MissReminder(ctx context.Context, key, owner string) error
	FoldMissedReminders(ctx context.Context, goliveID int64, owner string, now, dueBefore time.Time) ([]string, error)

	// Slack threads, snoozes and batched sends: see slack.go.
	BeginSlackThread(ctx context.Context, goliveID int64) (attempts int, err error)
	SetSlackThread(ctx context.Context, goliveID int64, channelID, threadTS, parentText string) error
	SetSlackParentText(ctx context.Context, goliveID int64, text string) error
	SetSlackNote(ctx context.Context, goliveID int64, note string) error
	SnoozeNextReminder(ctx context.Context, goliveID int64, now time.Time, by time.Duration, maxSnoozes int, kinds []string) (Reminder, int, error)
	MarkRemindersSent(ctx context.Context, owner string, sent []SentReminder) (lost []string, err error)

	// Deploys: environment locks, deploy queues, followed deploy runs and the
	// command audit; see deploys.go for each method's contract.
	AcquireEnvLock(ctx context.Context, l EnvLock, now time.Time) (current EnvLock, acquired bool, err error)
	ReleaseEnvLock(ctx context.Context, repoID int64, env, holderKey string, force bool) (released EnvLock, ok bool, err error)
	GetEnvLock(ctx context.Context, repoID int64, env string, now time.Time) (EnvLock, bool, error)
	EnqueueDeploy(ctx context.Context, q QueuedDeploy) (QueuedDeploy, int, error)
	PopQueuedDeploy(ctx context.Context, repoID int64, env string) (QueuedDeploy, bool, error)
	ListQueuedDeploys(ctx context.Context, repoID int64, env string) ([]QueuedDeploy, error)
	CancelQueuedDeploys(ctx context.Context, repoID int64, queuedBy string) ([]QueuedDeploy, error)
	CreateDeploy(ctx context.Context, d Deploy) (Deploy, error)
	GetDeploy(ctx context.Context, id int64) (Deploy, error)
	GetDeployByCorrelation(ctx context.Context, correlationID string) (Deploy, error)
	GetDeployByRun(ctx context.Context, repoID, runID int64) (Deploy, error)
	UpdateDeploy(ctx context.Context, d Deploy) (Deploy, error)
	ListActiveDeploys(ctx context.Context, dispatchedBefore time.Time) ([]Deploy, error)
	LatestDeploys(ctx context.Context, repoID int64, env string, limit int) ([]Deploy, error)
	AppendCommandAudit(ctx context.Context, a CommandAudit) (CommandAudit, error)
	ListCommandAudit(ctx context.Context, repo string, limit int) ([]CommandAudit, error)

	// Status page reads across a repository's environments; see status.go.
	ListEnvLocks(ctx context.Context, repoID int64, now time.Time) ([]EnvLock, error)
	RecentDeploys(ctx context.Context, repoID int64, limit int) ([]Deploy, error)
	// DeploysBetween feeds the weekly digest; see digest.go.
	DeploysBetween(ctx context.Context, repoID int64, from, to time.Time) ([]Deploy, error)

	// Deployment gates: the runs golive's deployment protection rule
	// reviews; see gates.go for each method's contract.
	PutGate(ctx context.Context, g Gate) (Gate, bool, error)
	GetGate(ctx context.Context, k GateKey) (Gate, error)
	PendingGates(ctx context.Context, goliveID int64) ([]Gate, error)
	NoteGate(ctx context.Context, k GateKey, request string, max int) (Gate, bool, error)
	UnnoteGate(ctx context.Context, k GateKey, request string) error
	ClaimGate(ctx context.Context, k GateKey, owner string, now time.Time, lease time.Duration) (Gate, bool, error)
	DecideGate(ctx context.Context, k GateKey, owner string, state GateState, detail string, now time.Time) (Gate, error)
	ReleaseGate(ctx context.Context, k GateKey, owner string) error

	// Recurring operations: schedules' runs and their end-of-day
	// reminders; see schedules.go for each method's contract.
	NoteSchedule(ctx context.Context, repoID int64, scheduleID string, now time.Time) (time.Time, error)
	ClaimScheduleRun(ctx context.Context, r ScheduleRun, owner string, now time.Time, lease time.Duration) (ScheduleRun, bool, error)
	GetScheduleRun(ctx context.Context, k ScheduleRunKey) (ScheduleRun, error)
	LatestScheduleRun(ctx context.Context, repoID int64, scheduleID string) (ScheduleRun, error)
	ListScheduleRuns(ctx context.Context, repoID int64, scheduleID string) ([]ScheduleRun, error)
	OpenScheduleRun(ctx context.Context, k ScheduleRunKey, owner string, o ScheduleOpened) error
	RetryScheduleRun(ctx context.Context, k ScheduleRunKey, owner string, notBefore time.Time, lastErr string) error
	FailScheduleRun(ctx context.Context, k ScheduleRunKey, owner, reason string) error
	ClaimScheduleReminders(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]ScheduleRun, error)
	FinishScheduleReminder(ctx context.Context, k ScheduleRunKey, owner string, state RemindState, at time.Time, ts, detail string) error
	RetryScheduleReminder(ctx context.Context, k ScheduleRunKey, owner string, notBefore time.Time, lastErr string) error

	// Incidents, their timelines and SLA alerts; see incidents.go for each
	// method's contract.
	CreateIncident(ctx context.Context, i Incident) (Incident, bool, error)
	GetIncident(ctx context.Context, id int64) (Incident, error)
	GetIncidentByIssue(ctx context.Context, repoID int64, number int) (Incident, error)
	ListIncidents(ctx context.Context, repoID int64, since time.Time) ([]Incident, error)
	UpdateIncident(ctx context.Context, i Incident) (Incident, error)
	AppendIncidentEvent(ctx context.Context, e IncidentEvent) (bool, error)
	IncidentEvents(ctx context.Context, incidentID int64) ([]IncidentEvent, error)
	PlanIncidentAlerts(ctx context.Context, incidentID int64, due map[string]time.Time) error
	IncidentAlerts(ctx context.Context, incidentID int64) ([]IncidentAlert, error)
	ClaimDueIncidentAlerts(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]IncidentAlert, error)
	FinishIncidentAlert(ctx context.Context, a IncidentAlert, owner string, state AlertState, now, retryAt time.Time) error
}
