// Package inbox turns accepted webhook deliveries into processed ones without
// losing or repeating any: the Ingester commits each delivery to the store
// before it is acknowledged (group commit), the Dispatcher's workers lease
// rows and hand them to the one EventHandler for their event, retrying
// transient failures with backoff and dead-lettering permanent ones, and the
// Sweeper asks GitHub to redeliver what failed while golive was down.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// EventHandler handles the deliveries of one or more GitHub event types.
// Handle must be idempotent: after a crash a delivery may be handled again.
// Returning an error marked Permanent dead-letters the delivery; any other
// error is retried with backoff.
type EventHandler interface {
	// Handles lists the X-GitHub-Event values this handler takes.
	Handles() []string
	// Handle processes one delivery's raw JSON payload.
	Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error
}

// PermanentError marks an error that retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string   { return e.Err.Error() }
func (e *PermanentError) Unwrap() error   { return e.Err }
func (e *PermanentError) Permanent() bool { return true }

// Permanent marks err as not worth retrying. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether any error in err's chain says, through a
// Permanent() bool method, that retrying cannot fix it.
func IsPermanent(err error) bool {
	for err != nil {
		if p, ok := err.(interface{ Permanent() bool }); ok && p.Permanent() {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if IsPermanent(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// ErrBacklogFull is returned by Ingest when more deliveries are pending than
// the process accepts; the webhook answers 503 and GitHub's failed delivery is
// recovered by the Sweeper later.
var ErrBacklogFull = errors.New("inbox backlog is full")

// Backlog counts the pending deliveries this process knows of and bounds them.
type Backlog struct {
	n     atomic.Int64
	max   int64
	gauge prometheus.Gauge
}

// NewBacklog returns a Backlog that starts at pending and refuses more than max.
// gauge may be nil.
func NewBacklog(pending, max int, gauge prometheus.Gauge) *Backlog {
	b := &Backlog{max: int64(max), gauge: gauge}
	b.add(int64(pending))
	return b
}

// Len is the number of pending deliveries.
func (b *Backlog) Len() int { return int(b.n.Load()) }

// Full reports whether no more deliveries may be accepted.
func (b *Backlog) Full() bool { return b.n.Load() >= b.max }

func (b *Backlog) add(d int64) {
	v := b.n.Add(d)
	if v < 0 {
		// Another replica finished rows this process counted; never go negative.
		b.n.CompareAndSwap(v, 0)
		v = 0
	}
	if b.gauge != nil {
		b.gauge.Set(float64(v))
	}
}

func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
