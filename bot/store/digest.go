package store

import (
	"context"
	"fmt"
	"time"
)

// DeploysBetween returns a repository's deploys and rollbacks dispatched
// in [from, to), the earliest first, for the weekly digest.
func (s *sqlStore) DeploysBetween(ctx context.Context, repoID int64, from, to time.Time) ([]Deploy, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT `+deployCols+` FROM deploys
		WHERE repo_id = ? AND dispatched_at >= ? AND dispatched_at < ? ORDER BY dispatched_at, id`),
		repoID, s.d.timeArg(from), s.d.timeArg(to))
	return collect(rows, err, fmt.Sprintf("list the deploys of repository %d from %s", repoID, from.Format(time.RFC3339)), scanDeploy)
}
