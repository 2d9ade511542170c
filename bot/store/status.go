package store

import (
	"context"
	"fmt"
	"time"
)

// Reads for the status page: what a repository's environments look like
// now, across environments, where deploys.go answers one environment at a
// time.

// ListEnvLocks returns the locks of a repository's environments at now,
// ordered by environment; an expired lock is not returned.
func (s *sqlStore) ListEnvLocks(ctx context.Context, repoID int64, now time.Time) ([]EnvLock, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+envLockCols+` FROM env_locks
		WHERE repo_id = ? AND (expires_at IS NULL OR expires_at > ?)
		ORDER BY environment`+s.d.bytewise), repoID, s.d.timeArg(now))
	return collect(rows, err, fmt.Sprintf("list the environment locks of repository %d", repoID), scanEnvLock)
}

// RecentDeploys returns up to limit deploys (and rollbacks) of a repository
// to any environment, the most recently created first; none when limit <= 0.
func (s *sqlStore) RecentDeploys(ctx context.Context, repoID int64, limit int) ([]Deploy, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+deployCols+` FROM deploys
		WHERE repo_id = ? ORDER BY id DESC LIMIT ?`), repoID, limit)
	return collect(rows, err, fmt.Sprintf("list the recent deploys of repository %d", repoID), scanDeploy)
}
