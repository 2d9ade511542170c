package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/store"
)

// DispatcherOptions configure NewDispatcher. Zero values take the defaults
// noted on each field.
type DispatcherOptions struct {
	Store   store.Store
	Clock   clock.Clock      // default clock.System{}
	Logger  *slog.Logger     // default slog.Default()
	Metrics *metrics.Metrics // optional
	Backlog *Backlog         // required

	Workers        int           // concurrent handlers, default 8
	HandlerTimeout time.Duration // one attempt's limit, default 2m
	Lease          time.Duration // row lease, default HandlerTimeout + 1m
	MaxAttempts    int           // attempts before a transient failure is dead-lettered, default 8
	PollInterval   time.Duration // idle re-check for due retries and other replicas' rows, default 1s
	// Backoff is the delay before retry number attempt (1-based); default
	// 2s·2^(attempt-1), at most 5m.
	Backoff func(attempt int) time.Duration
}

// Dispatcher leases pending inbox rows and runs their event's handler.
type Dispatcher struct {
	o        DispatcherOptions
	handlers map[string]EventHandler
	owner    string
	wake     chan struct{}
	inflight atomic.Int64
}

// NewDispatcher builds a Dispatcher over the handlers. Two handlers claiming
// the same event type is an error.
func NewDispatcher(o DispatcherOptions, handlers ...EventHandler) (*Dispatcher, error) {
	if o.Store == nil || o.Backlog == nil {
		return nil, errors.New("new dispatcher: store and backlog are required")
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Workers < 1 {
		o.Workers = 8
	}
	if o.HandlerTimeout <= 0 {
		o.HandlerTimeout = 2 * time.Minute
	}
	if o.Lease <= o.HandlerTimeout {
		o.Lease = o.HandlerTimeout + time.Minute
	}
	if o.MaxAttempts < 1 {
		o.MaxAttempts = 8
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	d := &Dispatcher{o: o, handlers: map[string]EventHandler{}, owner: NewOwnerID(), wake: make(chan struct{}, 1)}
	for _, h := range handlers {
		for _, ev := range h.Handles() {
			if _, dup := d.handlers[ev]; dup {
				return nil, fmt.Errorf("new dispatcher: two handlers for event %q", ev)
			}
			d.handlers[ev] = h
		}
	}
	return d, nil
}

// DefaultBackoff is 2s·2^(attempt-1), capped at 5 minutes.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 9 {
		return 5 * time.Minute
	}
	return min(2*time.Second<<(attempt-1), 5*time.Minute)
}

// Events lists the event types that have a handler, sorted.
func (d *Dispatcher) Events() []string {
	evs := make([]string, 0, len(d.handlers))
	for ev := range d.handlers {
		evs = append(evs, ev)
	}
	sort.Strings(evs)
	return evs
}

// Wake makes an idle Dispatcher look for work at once.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run claims and processes deliveries until ctx is done, then waits for the
// handlers in flight, at most drain. Handlers still running after drain are
// cancelled and their rows released for the next start.
func (d *Dispatcher) Run(ctx context.Context, drain time.Duration) {
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	completions := make(chan completion, 4*d.o.Workers)
	completerDone := make(chan struct{})
	go func() { d.completeLoop(completions); close(completerDone) }()
	var wg sync.WaitGroup
	slotFreed := make(chan struct{}, 1)
	poll := time.NewTimer(0)
	defer poll.Stop()

	for ctx.Err() == nil {
		free := d.o.Workers - int(d.inflight.Load())
		claimed := 0
		if free > 0 {
			// A claim is not cut short by shutdown: rows it leases are handled,
			// never left leased with no worker until the lease runs out.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			rows, err := d.o.Store.ClaimDeliveries(cctx, d.owner, d.o.Clock.Now(), d.o.Lease, free)
			cancel()
			if err != nil {
				d.o.Logger.Error("claim deliveries", "err", err)
			}
			claimed = len(rows)
			for _, row := range rows {
				d.inflight.Add(1)
				wg.Add(1)
				go func() {
					defer wg.Done()
					d.process(work, row, completions)
					d.inflight.Add(-1)
					select {
					case slotFreed <- struct{}{}:
					default:
					}
				}()
			}
		}
		if claimed > 0 && claimed == free {
			// There may be more; loop once a slot frees up.
			select {
			case <-slotFreed:
			case <-ctx.Done():
			}
			continue
		}
		poll.Reset(d.o.PollInterval)
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-slotFreed:
		case <-poll.C:
		}
	}

	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(drain):
		d.o.Logger.Warn("shutdown drain deadline reached; cancelling handlers in flight", "in_flight", d.inflight.Load())
		cancelWork()
		<-finished
	}
	close(completions)
	<-completerDone
}

// completion is a row whose handler succeeded (or that no handler takes),
// waiting to be marked done.
type completion struct {
	id, event, outcome string
	logger             *slog.Logger
}

// maxCompletionBatch bounds the rows marked done in one transaction.
const maxCompletionBatch = 256

// completeLoop marks successful rows done in batches: one transaction for
// every row that finished while the previous one committed. Until then the row
// stays leased, so a crash in between only means the delivery is handled again.
func (d *Dispatcher) completeLoop(completions <-chan completion) {
	for first := range completions {
		batch := []completion{first}
	fill:
		for len(batch) < maxCompletionBatch {
			select {
			case c, ok := <-completions:
				if !ok {
					break fill
				}
				batch = append(batch, c)
			default:
				break fill
			}
		}
		ids := make([]string, len(batch))
		for i, c := range batch {
			ids[i] = c.id
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		notDone, err := d.o.Store.CompleteDeliveries(ctx, ids, d.owner, d.o.Clock.Now())
		cancel()
		if err != nil {
			// The leases expire and the deliveries are handled again; nothing is lost.
			d.o.Logger.Error("mark deliveries done", "count", len(ids), "err", err)
			continue
		}
		lost := make(map[string]bool, len(notDone))
		for _, id := range notDone {
			lost[id] = true
		}
		for _, c := range batch {
			if lost[c.id] {
				c.logger.Warn("delivery finished after its lease passed to another worker")
				continue
			}
			d.o.Backlog.add(-1)
			c.logger.Info("delivery processed", "outcome", c.outcome)
			if d.o.Metrics != nil {
				d.o.Metrics.DeliveriesProcessed.WithLabelValues(c.event, c.outcome).Inc()
			}
		}
	}
}

// process runs one leased row's handler and moves the row to its next state:
// retry or dead here, done through completions.
func (d *Dispatcher) process(ctx context.Context, row store.Delivery, completions chan<- completion) {
	logger := d.o.Logger.With("delivery", row.ID, "event", row.Event, "action", row.Action,
		"installation", row.InstallationID, "attempt", row.Attempts)
	h, ok := d.handlers[row.Event]
	var err error
	outcome := "ignored"
	if ok {
		hctx, cancel := context.WithTimeout(logging.With(ctx, logger), d.o.HandlerTimeout)
		started := d.o.Clock.Now()
		err = safeHandle(hctx, h, row)
		cancel()
		logger = logger.With("duration_ms", d.o.Clock.Now().Sub(started).Milliseconds())
		outcome = "done"
	}

	if err == nil {
		completions <- completion{id: row.ID, event: row.Event, outcome: outcome, logger: logger}
		return
	}
	// Finishing the row must not be cut short by shutdown.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := d.o.Clock.Now()
	var serr error
	switch {
	case ctx.Err() != nil:
		outcome = "interrupted"
		serr = d.o.Store.RetryDelivery(sctx, row.ID, d.owner, now, "interrupted by shutdown: "+err.Error())
		logger.Warn("delivery interrupted by shutdown; left for the next start", "err", err)
	case IsPermanent(err) || row.Attempts >= d.o.MaxAttempts:
		outcome = "dead"
		reason := err.Error()
		if !IsPermanent(err) {
			reason = fmt.Sprintf("gave up after %d attempts: %s", row.Attempts, reason)
		}
		serr = d.o.Store.DeadLetterDelivery(sctx, row.ID, d.owner, now, reason)
		if serr == nil {
			d.o.Backlog.add(-1)
			if d.o.Metrics != nil {
				d.o.Metrics.DeadLetters.Inc()
			}
		}
		logger.Error("delivery dead-lettered", "err", err)
	default:
		outcome = "retry"
		next := now.Add(d.o.Backoff(row.Attempts))
		serr = d.o.Store.RetryDelivery(sctx, row.ID, d.owner, next, err.Error())
		logger.Warn("delivery failed; will retry", "err", err, "retry_at", next)
	}
	if serr != nil {
		// The lease expires and another attempt follows; nothing is lost.
		logger.Error("record delivery outcome", "outcome", outcome, "err", serr)
	}
	if d.o.Metrics != nil {
		d.o.Metrics.DeliveriesProcessed.WithLabelValues(row.Event, outcome).Inc()
	}
}

// safeHandle turns a handler panic into a permanent error carrying the stack.
func safeHandle(ctx context.Context, h EventHandler, row store.Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("handler for %q panicked: %v\n%s", row.Event, r, debug.Stack()))
		}
	}()
	return h.Handle(ctx, row.Event, row.ID, row.Payload)
}

// NewOwnerID names this process (host, pid, random) in the leases it holds.
func NewOwnerID() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
