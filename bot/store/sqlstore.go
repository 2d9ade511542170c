package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// sqlStore is the Store for both dialects. Writes go to w, reads to r; they
// are the same pool on PostgreSQL, and on SQLite w is a single connection and
// r a read-only pool.
//
// Leases: a claim holds a row while now < LeaseUntil; from LeaseUntil on the
// row can be claimed again. CompleteDelivery, RetryDelivery and
// DeadLetterDelivery succeed as long as the row is pending and still leased
// to owner — a lease that ran out but that nobody has re-claimed is still
// owner's — and they clear the lease, so a second call by the same owner
// fails with ErrLeaseLost. They report ErrNotFound for an unknown id.
//
// Times are stored in UTC, truncated to the microsecond; the zero time is
// stored as NULL and read back as the zero time.
type sqlStore struct {
	d *dialect
	w *sql.DB
	r *sql.DB

	// stmts caches the write statements of the hot paths (ingest, claim,
	// complete), prepared once on w and keyed by their SQL text.
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
}

// prepared returns query, rebound for the dialect, prepared on the write
// database once and reused.
func (s *sqlStore) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.w.PrepareContext(ctx, s.d.rebind(query))
	if err != nil {
		return nil, err
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[query] = st
	return st, nil
}

func newSQLStore(d *dialect, w, r *sql.DB) *sqlStore {
	return &sqlStore{d: d, w: w, r: r}
}

// maxInParams bounds the placeholders in one IN (…) list; longer lists are
// split. Both SQLite (32766) and PostgreSQL (65535) allow more.
const maxInParams = 500

// deliveryCols are a delivery's columns but its payload, which is kept in
// delivery_payloads and filled in by attachPayloads.
const deliveryCols = `id, event, action, installation_id, status, attempts, last_error,
	received_at, next_attempt_at, lease_owner, lease_until, finished_at`

type rowScanner interface{ Scan(dest ...any) error }

// collect reads rows to the end with scan and closes them. err is the
// query's own error; every error returned names activity.
func collect[T any](rows *sql.Rows, err error, activity string, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", activity, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: scan: %w", activity, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", activity, err)
	}
	return out, nil
}

func scanDelivery(sc rowScanner) (Delivery, error) {
	var d Delivery
	var status string
	err := sc.Scan(&d.ID, &d.Event, &d.Action, &d.InstallationID, &status, &d.Attempts, &d.LastError,
		scanTime(&d.ReceivedAt), scanTime(&d.NextAttemptAt), &d.LeaseOwner, scanTime(&d.LeaseUntil), scanTime(&d.FinishedAt))
	d.Status = DeliveryStatus(status)
	return d, err
}

// attachPayloads reads the payloads of ds from delivery_payloads.
func (s *sqlStore) attachPayloads(ctx context.Context, ds []Delivery) error {
	at := make(map[string]int, len(ds))
	ids := make([]any, len(ds))
	for i, d := range ds {
		at[d.ID] = i
		ids[i] = d.ID
	}
	for start := 0; start < len(ids); start += maxInParams {
		chunk := ids[start:min(start+maxInParams, len(ids))]
		rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT id, payload FROM delivery_payloads WHERE id IN (`+placeholders(len(chunk))+`)`), chunk...)
		if err != nil {
			return fmt.Errorf("read payloads: %w", err)
		}
		for rows.Next() {
			var id string
			var p []byte
			if err := rows.Scan(&id, &p); err != nil {
				rows.Close()
				return fmt.Errorf("read payloads: scan: %w", err)
			}
			ds[at[id]].Payload = p
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read payloads: %w", err)
		}
	}
	for i := range ds {
		if ds[i].Payload == nil {
			ds[i].Payload = []byte{}
		}
	}
	return nil
}

// payloadArg keeps a nil payload from becoming NULL.
func payloadArg(p []byte) []byte {
	if p == nil {
		return []byte{}
	}
	return p
}

func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.d.name, err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("ping %s: %w", s.d.name, err)
		}
	}
	return nil
}

func (s *sqlStore) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", s.d.name, err)
	}
	return nil
}

func (s *sqlStore) Dialect() string { return s.d.name }

func (s *sqlStore) InsertDeliveries(ctx context.Context, ds []Delivery) ([]bool, error) {
	inserted := make([]bool, len(ds))
	if len(ds) == 0 {
		return inserted, nil
	}
	rowStmt, err := s.prepared(ctx, `INSERT INTO deliveries
		(id, event, action, installation_id, status, attempts, last_error,
		 received_at, next_attempt_at, lease_owner, lease_until, finished_at)
		VALUES (?, ?, ?, ?, 'pending', 0, '', ?, ?, '', NULL, NULL)
		ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return nil, fmt.Errorf("insert deliveries: prepare: %w", err)
	}
	payStmt, err := s.prepared(ctx, `INSERT INTO delivery_payloads (id, payload) VALUES (?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("insert deliveries: prepare: %w", err)
	}
	// Prepared before the transaction: SQLite has one write connection, and
	// the transaction holds it.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("insert deliveries: begin: %w", err)
	}
	defer tx.Rollback()
	stmt, payloadStmt := tx.StmtContext(ctx, rowStmt), tx.StmtContext(ctx, payStmt)
	defer stmt.Close()
	defer payloadStmt.Close()
	for i, d := range ds {
		received := s.d.timeArg(d.ReceivedAt)
		res, err := stmt.ExecContext(ctx, d.ID, d.Event, d.Action, d.InstallationID, received, received)
		if err != nil {
			return nil, fmt.Errorf("insert deliveries: delivery %q: %w", d.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("insert deliveries: delivery %q: %w", d.ID, err)
		}
		inserted[i] = n == 1
		if inserted[i] {
			if _, err := payloadStmt.ExecContext(ctx, d.ID, payloadArg(d.Payload)); err != nil {
				return nil, fmt.Errorf("insert deliveries: payload of %q: %w", d.ID, err)
			}
		}
	}
	if err := stmt.Close(); err != nil {
		return nil, fmt.Errorf("insert deliveries: close statement: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("insert deliveries: commit: %w", err)
	}
	return inserted, nil
}

// InsertDeadLetter stores the row with FinishedAt = d.FinishedAt, or
// d.ReceivedAt when that is zero.
func (s *sqlStore) InsertDeadLetter(ctx context.Context, d Delivery, reason string) error {
	finished := d.FinishedAt
	if finished.IsZero() {
		finished = d.ReceivedAt
	}
	received := s.d.timeArg(d.ReceivedAt)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("insert dead letter %q: begin: %w", d.ID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO deliveries
		(id, event, action, installation_id, status, attempts, last_error,
		 received_at, next_attempt_at, lease_owner, lease_until, finished_at)
		VALUES (?, ?, ?, ?, 'dead', 0, ?, ?, ?, '', NULL, ?)
		ON CONFLICT (id) DO NOTHING`),
		d.ID, d.Event, d.Action, d.InstallationID, reason, received, received, s.d.timeArg(finished))
	if err != nil {
		return fmt.Errorf("insert dead letter %q: %w", d.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("insert dead letter %q: %w", d.ID, err)
	} else if n == 1 {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO delivery_payloads (id, payload) VALUES (?, ?)`), d.ID, payloadArg(d.Payload)); err != nil {
			return fmt.Errorf("insert dead letter %q: payload: %w", d.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("insert dead letter %q: commit: %w", d.ID, err)
	}
	return nil
}

func (s *sqlStore) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	if owner == "" {
		return nil, errors.New("claim deliveries: empty owner")
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim deliveries: lease %v is not positive", lease)
	}
	if limit <= 0 {
		return nil, nil
	}
	nowArg := s.d.timeArg(now)
	claim, err := s.prepared(ctx, `UPDATE deliveries
		SET attempts = attempts + 1, lease_owner = ?, lease_until = ?
		WHERE id IN (
			SELECT id FROM deliveries
			WHERE status = 'pending' AND next_attempt_at <= ?
			  AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY received_at, id
			LIMIT ?`+s.d.claimLock+`
		)
		RETURNING `+deliveryCols)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: prepare: %w", err)
	}
	rows, err := claim.QueryContext(ctx, owner, s.d.timeArg(now.Add(lease)), nowArg, nowArg, limit)
	ds, err := collect(rows, err, "claim deliveries", scanDelivery)
	if err != nil {
		return nil, err
	}
	// RETURNING does not promise an order.
	sort.Slice(ds, func(i, j int) bool {
		if !ds[i].ReceivedAt.Equal(ds[j].ReceivedAt) {
			return ds[i].ReceivedAt.Before(ds[j].ReceivedAt)
		}
		return ds[i].ID < ds[j].ID
	})
	if err := s.attachPayloads(ctx, ds); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return ds, nil
}

// finishLeased runs update, whose first WHERE clauses must restrict it to the
// pending row id leased to owner, and maps "no row changed" to ErrLeaseLost
// or ErrNotFound.
func (s *sqlStore) finishLeased(ctx context.Context, activity, id, owner, update string, args ...any) error {
	args = append(args, id, owner)
	res, err := s.w.ExecContext(ctx, s.d.rebind(update+`
		WHERE id = ? AND status = 'pending' AND lease_owner = ? AND lease_owner <> ''`), args...)
	if err != nil {
		return fmt.Errorf("%s %q: %w", activity, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %q: %w", activity, id, err)
	}
	if n == 1 {
		return nil
	}
	var one int
	err = s.w.QueryRowContext(ctx, s.d.rebind(`SELECT 1 FROM deliveries WHERE id = ?`), id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s %q: %w", activity, id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s %q: %w", activity, id, err)
	}
	return fmt.Errorf("%s %q by %q: %w", activity, id, owner, ErrLeaseLost)
}

func (s *sqlStore) CompleteDelivery(ctx context.Context, id, owner string, now time.Time) error {
	return s.finishLeased(ctx, "complete delivery", id, owner,
		`UPDATE deliveries SET status = 'done', finished_at = ?, lease_owner = '', lease_until = NULL`,
		s.d.timeArg(now))
}

// CompleteDeliveries updates row by row through the primary key inside one
// transaction: one commit for the batch, and no plan that scans the pending
// rows (an IN list over ids let SQLite prefer the claim index).
func (s *sqlStore) CompleteDeliveries(ctx context.Context, ids []string, owner string, now time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	completeStmt, err := s.prepared(ctx, `UPDATE deliveries
		SET status = 'done', finished_at = ?, lease_owner = '', lease_until = NULL
		WHERE id = ? AND status = 'pending' AND lease_owner = ? AND lease_owner <> ''`)
	if err != nil {
		return nil, fmt.Errorf("complete deliveries: prepare: %w", err)
	}
	// Prepared before the transaction: SQLite has one write connection, and
	// the transaction holds it.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("complete deliveries: begin: %w", err)
	}
	defer tx.Rollback()
	stmt := tx.StmtContext(ctx, completeStmt)
	defer stmt.Close()
	var notCompleted []string
	finished := s.d.timeArg(now)
	for _, id := range ids {
		res, err := stmt.ExecContext(ctx, finished, id, owner)
		if err != nil {
			return nil, fmt.Errorf("complete delivery %q: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("complete delivery %q: %w", id, err)
		} else if n == 0 {
			notCompleted = append(notCompleted, id)
		}
	}
	if err := stmt.Close(); err != nil {
		return nil, fmt.Errorf("complete deliveries: close statement: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("complete deliveries: commit: %w", err)
	}
	return notCompleted, nil
}

func (s *sqlStore) RetryDelivery(ctx context.Context, id, owner string, next time.Time, lastErr string) error {
	return s.finishLeased(ctx, "retry delivery", id, owner,
		`UPDATE deliveries SET next_attempt_at = ?, last_error = ?, lease_owner = '', lease_until = NULL`,
		s.d.timeArg(next), lastErr)
}

func (s *sqlStore) DeadLetterDelivery(ctx context.Context, id, owner string, now time.Time, reason string) error {
	return s.finishLeased(ctx, "dead-letter delivery", id, owner,
		`UPDATE deliveries SET status = 'dead', last_error = ?, finished_at = ?, lease_owner = '', lease_until = NULL`,
		reason, s.d.timeArg(now))
}

func (s *sqlStore) ReleaseLeases(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("release leases: begin: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`UPDATE deliveries SET lease_owner = '', lease_until = NULL WHERE lease_owner <> '' OR lease_until IS NOT NULL`,
		// A reminder's lease_until without an owner is a retry's not-before.
		`UPDATE reminders SET lease_owner = '', lease_until = NULL WHERE lease_owner <> ''`,
		`UPDATE golives SET tracker_lease_owner = '', tracker_lease_until = NULL WHERE tracker_lease_owner <> ''`,
		`UPDATE deployment_gates SET lease_owner = '', lease_until = NULL WHERE lease_owner <> ''`,
		// As for reminders, an alert's lease_until without an owner is a retry's not-before.
		`UPDATE incident_alerts SET lease_owner = '', lease_until = NULL WHERE lease_owner <> ''`,
		// A schedule run's lease_until without an owner is a retry's not-before.
		`UPDATE schedule_runs SET lease_owner = '', lease_until = NULL WHERE lease_owner <> ''`,
		`DELETE FROM locks`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("release leases: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("release leases: commit: %w", err)
	}
	return nil
}

func (s *sqlStore) GetDelivery(ctx context.Context, id string) (Delivery, error) {
	row := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+deliveryCols+` FROM deliveries WHERE id = ?`), id)
	d, err := scanDelivery(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, fmt.Errorf("get delivery %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %q: %w", id, err)
	}
	ds := []Delivery{d}
	if err := s.attachPayloads(ctx, ds); err != nil {
		return Delivery{}, fmt.Errorf("get delivery %q: %w", id, err)
	}
	return ds[0], nil
}

func (s *sqlStore) CountDeliveries(ctx context.Context, status DeliveryStatus) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM deliveries WHERE status = ?`), string(status)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %q deliveries: %w", status, err)
	}
	return n, nil
}

// KnownDeliveryIDs maps each known id to true; unknown ids are absent.
func (s *sqlStore) KnownDeliveryIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	known := make(map[string]bool)
	for start := 0; start < len(ids); start += maxInParams {
		chunk := ids[start:min(start+maxInParams, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT id FROM deliveries WHERE id IN (`+placeholders(len(chunk))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("look up delivery ids: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up delivery ids: scan: %w", err)
			}
			known[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("look up delivery ids: %w", err)
		}
	}
	return known, nil
}

// UpsertInstallation makes the row equal to in, all fields included.
func (s *sqlStore) UpsertInstallation(ctx context.Context, in Installation) error {
	_, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO installations
		(id, account_id, account_login, account_type, suspended, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			account_id = excluded.account_id,
			account_login = excluded.account_login,
			account_type = excluded.account_type,
			suspended = excluded.suspended,
			created_at = excluded.created_at,
			updated_at = excluded.updated_at`),
		in.ID, in.AccountID, in.AccountLogin, in.AccountType, in.Suspended, s.d.timeArg(in.CreatedAt), s.d.timeArg(in.UpdatedAt))
	if err != nil {
		return fmt.Errorf("upsert installation %d: %w", in.ID, err)
	}
	return nil
}

// DeleteInstallation of an unknown id is not an error.
func (s *sqlStore) DeleteInstallation(ctx context.Context, id int64) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete installation %d: begin: %w", id, err)
	}
	defer tx.Rollback()
	// The foreign key cascades too; deleting explicitly does not depend on it.
	if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM repositories WHERE installation_id = ?`), id); err != nil {
		return fmt.Errorf("delete installation %d: repositories: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM installations WHERE id = ?`), id); err != nil {
		return fmt.Errorf("delete installation %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete installation %d: commit: %w", id, err)
	}
	return nil
}

const installationCols = `id, account_id, account_login, account_type, suspended, created_at, updated_at`

func scanInstallation(sc rowScanner) (Installation, error) {
	var in Installation
	err := sc.Scan(&in.ID, &in.AccountID, &in.AccountLogin, &in.AccountType, &in.Suspended,
		scanTime(&in.CreatedAt), scanTime(&in.UpdatedAt))
	return in, err
}

func (s *sqlStore) GetInstallation(ctx context.Context, id int64) (Installation, error) {
	row := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+installationCols+` FROM installations WHERE id = ?`), id)
	in, err := scanInstallation(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Installation{}, fmt.Errorf("get installation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Installation{}, fmt.Errorf("get installation %d: %w", id, err)
	}
	return in, nil
}

func (s *sqlStore) ListInstallations(ctx context.Context) ([]Installation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+installationCols+` FROM installations ORDER BY id`)
	return collect(rows, err, "list installations", scanInstallation)
}

// AddRepositories sets each repository's InstallationID to installationID
// (moving it there if another installation had it). It returns ErrNotFound
// when the installation does not exist, and writes nothing on error.
func (s *sqlStore) AddRepositories(ctx context.Context, installationID int64, repos []Repository) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add repositories to installation %d: begin: %w", installationID, err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT 1 FROM installations WHERE id = ?`), installationID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("add repositories to installation %d: %w", installationID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add repositories to installation %d: %w", installationID, err)
	}
	if len(repos) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, s.d.rebind(`INSERT INTO repositories (id, installation_id, full_name, private)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			installation_id = excluded.installation_id,
			full_name = excluded.full_name,
			private = excluded.private`))
	if err != nil {
		return fmt.Errorf("add repositories to installation %d: prepare: %w", installationID, err)
	}
	defer stmt.Close()
	for _, r := range repos {
		if _, err := stmt.ExecContext(ctx, r.ID, installationID, r.FullName, r.Private); err != nil {
			return fmt.Errorf("add repository %d %q to installation %d: %w", r.ID, r.FullName, installationID, err)
		}
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("add repositories to installation %d: close statement: %w", installationID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add repositories to installation %d: commit: %w", installationID, err)
	}
	return nil
}

// RemoveRepositories ignores ids the installation does not have.
func (s *sqlStore) RemoveRepositories(ctx context.Context, installationID int64, repoIDs []int64) error {
	if len(repoIDs) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remove repositories from installation %d: begin: %w", installationID, err)
	}
	defer tx.Rollback()
	for start := 0; start < len(repoIDs); start += maxInParams {
		chunk := repoIDs[start:min(start+maxInParams, len(repoIDs))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, installationID)
		for _, id := range chunk {
			args = append(args, id)
		}
		_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM repositories
			WHERE installation_id = ? AND id IN (`+placeholders(len(chunk))+`)`), args...)
		if err != nil {
			return fmt.Errorf("remove repositories from installation %d: %w", installationID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("remove repositories from installation %d: commit: %w", installationID, err)
	}
	return nil
}

// ListRepositories orders by full name bytewise, then by ID.
func (s *sqlStore) ListRepositories(ctx context.Context, installationID int64) ([]Repository, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT id, installation_id, full_name, private
		FROM repositories WHERE installation_id = ? ORDER BY full_name, id`), installationID)
	return collect(rows, err, fmt.Sprintf("list repositories of installation %d", installationID), func(sc rowScanner) (Repository, error) {
		var r Repository
		err := sc.Scan(&r.ID, &r.InstallationID, &r.FullName, &r.Private)
		return r, err
	})
}

var _ Store = (*sqlStore)(nil)
