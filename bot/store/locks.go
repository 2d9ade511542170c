package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TryLock takes the named lock for owner until now+ttl when it is free (never
// taken, expired, or already owner's) and reports whether owner holds it.
// Locks serialise work on one subject across workers and replicas; the expiry
// frees the lock of a process that died holding it.
func (s *sqlStore) TryLock(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if name == "" || owner == "" || ttl <= 0 {
		return false, errors.New("take a lock: name, owner and a positive ttl are required")
	}
	res, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO locks (name, owner, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE locks.until <= ? OR locks.owner = excluded.owner`),
		name, owner, s.d.timeArg(now.Add(ttl)), s.d.timeArg(now))
	if err != nil {
		return false, fmt.Errorf("take lock %q: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("take lock %q: %w", name, err)
	}
	return n == 1, nil
}

// Unlock releases the named lock if owner holds it.
func (s *sqlStore) Unlock(ctx context.Context, name, owner string) error {
	if _, err := s.w.ExecContext(ctx, s.d.rebind(`DELETE FROM locks WHERE name = ? AND owner = ?`), name, owner); err != nil {
		return fmt.Errorf("release lock %q: %w", name, err)
	}
	return nil
}
