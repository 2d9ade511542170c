package inbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/store"
)

// DeliverySource is GitHub's record of the App's webhook deliveries.
type DeliverySource interface {
	// FailedDeliveries lists deliveries since the given time whose GUID never
	// got a 2xx answer.
	FailedDeliveries(ctx context.Context, since time.Time) ([]ghclient.HookDelivery, error)
	// Redeliver asks GitHub to send a delivery again.
	Redeliver(ctx context.Context, id int64) error
}

// Sweeper recovers deliveries GitHub could not hand over (golive down, database
// down, backlog full): GitHub does not retry failed deliveries by itself, so
// the Sweeper asks for a redelivery of each failed GUID that has no inbox row.
type Sweeper struct {
	Source   DeliverySource
	Store    store.Store
	Clock    clock.Clock
	Logger   *slog.Logger
	Metrics  *metrics.Metrics
	Lookback time.Duration // how far back to look; GitHub keeps 3 days
	Interval time.Duration // between sweeps
	// MaxRedeliveries bounds how often one GUID is redelivered (counted from
	// GitHub's own list), so a delivery that always fails is not asked for forever.
	MaxRedeliveries int

	mu        sync.Mutex
	requested map[string]time.Time // GUID → when this process last asked
}

// RequestedRecently is how long the Sweeper waits for a redelivery it asked
// for before asking again.
const RequestedRecently = 15 * time.Minute

// Run sweeps at once and then every Interval until ctx is done.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		if n, err := s.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Error("redelivery sweep", "err", err)
		} else if n > 0 {
			s.Logger.Info("redelivery sweep asked GitHub to redeliver", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepOnce requests redelivery of every failed delivery missing from the
// inbox and returns how many it requested.
func (s *Sweeper) SweepOnce(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	failed, err := s.Source.FailedDeliveries(ctx, now.Add(-s.Lookback))
	if err != nil {
		return 0, wrapf(err, "list failed deliveries")
	}
	type candidate struct {
		latest       ghclient.HookDelivery
		redeliveries int
	}
	byGUID := map[string]*candidate{}
	var guids []string
	for _, d := range failed {
		c := byGUID[d.GUID]
		if c == nil {
			c = &candidate{latest: d}
			byGUID[d.GUID] = c
			guids = append(guids, d.GUID)
		}
		if d.Redelivery {
			c.redeliveries++
		}
		if d.DeliveredAt.After(c.latest.DeliveredAt) {
			c.latest = d
		}
	}
	if len(guids) == 0 {
		return 0, nil
	}
	known, err := s.Store.KnownDeliveryIDs(ctx, guids)
	if err != nil {
		return 0, wrapf(err, "look up failed deliveries in the inbox")
	}
	s.mu.Lock()
	if s.requested == nil {
		s.requested = map[string]time.Time{}
	}
	for g, at := range s.requested {
		if now.Sub(at) > RequestedRecently {
			delete(s.requested, g)
		}
	}
	s.mu.Unlock()

	n := 0
	for _, g := range guids {
		c := byGUID[g]
		s.mu.Lock()
		_, recent := s.requested[g]
		s.mu.Unlock()
		switch {
		case known[g] || recent:
			continue
		case c.redeliveries >= s.MaxRedeliveries:
			s.Logger.Warn("failed delivery not redelivered again", "delivery", g, "event", c.latest.Event,
				"redeliveries", c.redeliveries, "last_status", c.latest.StatusCode)
			continue
		}
		if err := s.Source.Redeliver(ctx, c.latest.ID); err != nil {
			s.count("failed")
			s.Logger.Error("request redelivery", "delivery", g, "hook_delivery_id", c.latest.ID, "err", err)
			continue
		}
		s.mu.Lock()
		s.requested[g] = now
		s.mu.Unlock()
		s.count("requested")
		s.Logger.Info("redelivery requested", "delivery", g, "event", c.latest.Event, "hook_delivery_id", c.latest.ID)
		n++
	}
	return n, nil
}

func (s *Sweeper) count(outcome string) {
	if s.Metrics != nil {
		s.Metrics.Redeliveries.WithLabelValues(outcome).Inc()
	}
}
