package tracking

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Issue locks serialise the handling of one issue across workers and
// replicas: two events for one issue handled together would each find no
// comment of golive's and each post one.
const (
	issueLockTTL  = 2 * time.Minute
	issueLockWait = 10 * time.Second
	issueLockPoll = 20 * time.Millisecond
)

var lockCalls atomic.Int64

// ErrIssueBusy is returned when another worker held an issue's lock for the
// whole wait; the event is retried later.
var ErrIssueBusy = fmt.Errorf("another worker is handling the issue")

// withIssueLock runs fn holding the lock of repoID's issue number.
func (s *Service) withIssueLock(ctx context.Context, repoID int64, number int, fn func() error) error {
	name := "issue:" + strconv.FormatInt(repoID, 10) + "#" + strconv.Itoa(number)
	owner := s.Owner + "/" + strconv.FormatInt(lockCalls.Add(1), 10)
	wait := time.NewTimer(issueLockWait)
	defer wait.Stop()
	for {
		ok, err := s.Store.TryLock(ctx, name, owner, s.Clock.Now(), issueLockTTL)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait.C:
			return fmt.Errorf("handle issue %d of repository %d: %w", number, repoID, ErrIssueBusy)
		case <-time.After(issueLockPoll):
		}
	}
	defer s.Store.Unlock(context.WithoutCancel(ctx), name, owner) //nolint:errcheck // the lock expires anyway
	return fn()
}
