package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// funcHandler is a hand-written EventHandler whose behaviour a test sets.
type funcHandler struct {
	events []string
	fn     func(ctx context.Context, deliveryID string) error
	calls  atomic.Int64
}

func (h *funcHandler) Handles() []string { return h.events }
func (h *funcHandler) Handle(ctx context.Context, _, id string, _ []byte) error {
	h.calls.Add(1)
	return h.fn(ctx, id)
}

type harness struct {
	st      store.Store
	clk     *clock.Fake
	backlog *inbox.Backlog
	logs    *bytes.Buffer
	m       *metrics.Metrics
}

func newHarness(t *testing.T) *harness {
	return &harness{st: storetest.SQLite(t), clk: clock.NewFake(t0), backlog: inbox.NewBacklog(0, 1000, nil), logs: &bytes.Buffer{}, m: metrics.New()}
}

func (h *harness) insert(t *testing.T, ids ...string) {
	t.Helper()
	ds := make([]store.Delivery, len(ids))
	for i, id := range ids {
		ds[i] = store.Delivery{ID: id, Event: "issues", Payload: []byte(`{}`), ReceivedAt: h.clk.Now()}
	}
	if _, err := h.st.InsertDeliveries(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
}

// run runs a dispatcher until cond holds (or 10 s pass), then stops it.
func (h *harness) run(t *testing.T, o inbox.DispatcherOptions, cond func() bool, handlers ...inbox.EventHandler) {
	t.Helper()
	o.Store, o.Clock, o.Backlog, o.Metrics = h.st, h.clk, h.backlog, h.m
	o.Logger = slog.New(slog.NewTextHandler(h.logs, nil))
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Millisecond
	}
	d, err := inbox.NewDispatcher(o, handlers...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx, 2*time.Second); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func (h *harness) row(t *testing.T, id string) store.Delivery {
	t.Helper()
	d, err := h.st.GetDelivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (h *harness) status(id string) store.DeliveryStatus {
	d, err := h.st.GetDelivery(context.Background(), id)
	if err != nil {
		return ""
	}
	return d.Status
}

func TestDispatchSuccessAndIgnoredEvents(t *testing.T) {
	h := newHarness(t)
	h.insert(t, "a", "b")
	ds := []store.Delivery{{ID: "c", Event: "workflow_job", Payload: []byte(`{}`), ReceivedAt: t0}}
	if _, err := h.st.InsertDeliveries(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
	ok := &funcHandler{events: []string{"issues"}, fn: func(context.Context, string) error { return nil }}
	h.run(t, inbox.DispatcherOptions{}, func() bool {
		return h.status("a") == store.DeliveryDone && h.status("b") == store.DeliveryDone && h.status("c") == store.DeliveryDone
	}, ok)
	for _, id := range []string{"a", "b", "c"} {
		if s := h.status(id); s != store.DeliveryDone {
			t.Fatalf("%s: %s, want done", id, s)
		}
	}
	if ok.calls.Load() != 2 {
		t.Fatalf("handler called %d times, want 2 (the event without a handler is not passed to it)", ok.calls.Load())
	}
}

func TestDispatchRetriesTransientWithBackoff(t *testing.T) {
	h := newHarness(t)
	h.insert(t, "flaky")
	var fails atomic.Int64
	fails.Store(2)
	hd := &funcHandler{events: []string{"issues"}, fn: func(context.Context, string) error {
		if fails.Add(-1) >= 0 {
			return errors.New("github answered 502")
		}
		return nil
	}}
	// The first attempt fails; its retry is not due until the backoff passes.
	h.run(t, inbox.DispatcherOptions{}, func() bool { return hd.calls.Load() >= 1 && h.row(t, "flaky").LeaseOwner == "" }, hd)
	row := h.row(t, "flaky")
	if row.Status != store.DeliveryPending || !strings.Contains(row.LastError, "502") {
		t.Fatalf("after one failure: %+v", row)
	}
	if want := t0.Add(inbox.DefaultBackoff(1)); !row.NextAttemptAt.Equal(want) {
		t.Fatalf("next attempt at %s, want %s", row.NextAttemptAt, want)
	}
	// Nothing is due yet: a dispatcher running for a while must not call the handler.
	quiet := time.Now().Add(200 * time.Millisecond)
	h.run(t, inbox.DispatcherOptions{}, func() bool { return time.Now().After(quiet) }, hd)
	if hd.calls.Load() != 1 {
		t.Fatalf("retried before the backoff passed: %d calls", hd.calls.Load())
	}
	for i := 0; i < 2; i++ {
		h.clk.Advance(10 * time.Minute)
		want := int64(i + 2)
		h.run(t, inbox.DispatcherOptions{}, func() bool { return hd.calls.Load() >= want && h.row(t, "flaky").LeaseOwner == "" }, hd)
	}
	if row := h.row(t, "flaky"); row.Status != store.DeliveryDone || row.Attempts != 3 {
		t.Fatalf("after two failures and a success: %+v", row)
	}
}

func TestDispatchDeadLettersPermanentPanicAndExhausted(t *testing.T) {
	h := newHarness(t)
	h.insert(t, "permanent", "panics", "always-fails")
	hd := &funcHandler{events: []string{"issues"}, fn: func(_ context.Context, id string) error {
		switch id {
		case "permanent":
			return inbox.Permanent(errors.New("payload names no repository"))
		case "panics":
			var m map[string]int
			m["x"]++ // a nil-map write: a bug in a handler
		}
		return fmt.Errorf("still broken")
	}}
	for i := 0; i < 3; i++ {
		h.run(t, inbox.DispatcherOptions{MaxAttempts: 3}, func() bool {
			r := h.row(t, "always-fails") // one read: its lease and attempts belong together
			return h.status("permanent") == store.DeliveryDead && h.status("panics") == store.DeliveryDead &&
				r.LeaseOwner == "" && r.Attempts == i+1
		}, hd)
		h.clk.Advance(time.Hour)
	}
	if r := h.row(t, "permanent"); r.Status != store.DeliveryDead || r.Attempts != 1 || !strings.Contains(r.LastError, "no repository") {
		t.Fatalf("permanent error: %+v", r)
	}
	if r := h.row(t, "panics"); r.Status != store.DeliveryDead || !strings.Contains(r.LastError, "panicked") || !strings.Contains(r.LastError, "goroutine") {
		t.Fatalf("panic: %+v (want the panic and its stack kept)", r)
	}
	if r := h.row(t, "always-fails"); r.Status != store.DeliveryDead || r.Attempts != 3 || !strings.Contains(r.LastError, "gave up after 3 attempts") {
		t.Fatalf("exhausted retries: %+v", r)
	}
}

func TestShutdownLeavesUnfinishedRowsForNextStart(t *testing.T) {
	h := newHarness(t)
	h.insert(t, "slow")
	started := make(chan struct{})
	hd := &funcHandler{events: []string{"issues"}, fn: func(ctx context.Context, _ string) error {
		close(started)
		<-ctx.Done() // runs past the drain deadline
		return ctx.Err()
	}}
	d, err := inbox.NewDispatcher(inbox.DispatcherOptions{Store: h.st, Clock: h.clk, Backlog: h.backlog,
		Logger: slog.New(slog.NewTextHandler(h.logs, nil)), PollInterval: 5 * time.Millisecond}, hd)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx, 100*time.Millisecond); close(done) }()
	<-started
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the drain deadline")
	}
	r := h.row(t, "slow")
	if r.Status != store.DeliveryPending || r.LeaseOwner != "" || !r.NextAttemptAt.Equal(t0) {
		t.Fatalf("interrupted row %+v, want pending, unleased and due at once", r)
	}
}

func TestDuplicateHandlersRefused(t *testing.T) {
	a := &funcHandler{events: []string{"issues"}}
	b := &funcHandler{events: []string{"issue_comment", "issues"}}
	_, err := inbox.NewDispatcher(inbox.DispatcherOptions{Store: storetest.SQLite(t), Backlog: inbox.NewBacklog(0, 1, nil)}, a, b)
	if err == nil || !strings.Contains(err.Error(), `"issues"`) {
		t.Fatalf("error = %v, want one naming the event", err)
	}
}

func TestIsPermanent(t *testing.T) {
	base := errors.New("x")
	if inbox.IsPermanent(base) || inbox.IsPermanent(nil) {
		t.Fatal("a plain error is not permanent")
	}
	if !inbox.IsPermanent(fmt.Errorf("wrap: %w", inbox.Permanent(base))) {
		t.Fatal("wrapped permanent error not seen")
	}
	if !inbox.IsPermanent(errors.Join(base, inbox.Permanent(base))) {
		t.Fatal("joined permanent error not seen")
	}
	if !errors.Is(inbox.Permanent(base), base) {
		t.Fatal("Permanent hides its cause")
	}
}

// countingStore counts InsertDeliveries transactions.
type countingStore struct {
	store.Store
	txs atomic.Int64
}

func (c *countingStore) InsertDeliveries(ctx context.Context, ds []store.Delivery) ([]bool, error) {
	c.txs.Add(1)
	return c.Store.InsertDeliveries(ctx, ds)
}

func TestIngestGroupCommit(t *testing.T) {
	cs := &countingStore{Store: storetest.SQLite(t)}
	backlog := inbox.NewBacklog(0, 10000, nil)
	var woken atomic.Int64
	in := inbox.NewIngester(inbox.IngesterOptions{Store: cs, Backlog: backlog, Wake: func() { woken.Add(1) }})
	defer in.Stop()
	const n = 200
	var wg sync.WaitGroup
	results := make([]inbox.IngestResult, n+1)
	for i := 0; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint("g-", i)
			if i == n {
				id = "g-0" // the same delivery twice, concurrently
			}
			res, err := in.Ingest(context.Background(), store.Delivery{ID: id, Event: "ping", Payload: []byte(`{}`), ReceivedAt: t0})
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	accepted, dup := 0, 0
	for _, r := range results {
		switch r {
		case inbox.Accepted:
			accepted++
		case inbox.Duplicate:
			dup++
		}
	}
	if accepted != n || dup != 1 {
		t.Fatalf("accepted %d duplicate %d, want %d and 1", accepted, dup, n)
	}
	if got, _ := cs.CountDeliveries(context.Background(), store.DeliveryPending); got != n || backlog.Len() != n {
		t.Fatalf("rows %d backlog %d, want %d", got, backlog.Len(), n)
	}
	if cs.txs.Load() >= n {
		t.Fatalf("%d transactions for %d concurrent deliveries: no group commit", cs.txs.Load(), n)
	}
	if woken.Load() == 0 {
		t.Fatal("dispatcher never woken")
	}
	t.Logf("%d deliveries in %d transactions", n+1, cs.txs.Load())
}

func TestIngestRefusesWhenFullOrStopped(t *testing.T) {
	st := storetest.SQLite(t)
	in := inbox.NewIngester(inbox.IngesterOptions{Store: st, Backlog: inbox.NewBacklog(1, 1, nil)})
	if _, err := in.Ingest(context.Background(), store.Delivery{ID: "x", Event: "ping", ReceivedAt: t0}); !errors.Is(err, inbox.ErrBacklogFull) {
		t.Fatalf("full backlog: %v", err)
	}
	in2 := inbox.NewIngester(inbox.IngesterOptions{Store: st, Backlog: inbox.NewBacklog(0, 10, nil)})
	in2.Stop()
	if _, err := in2.Ingest(context.Background(), store.Delivery{ID: "y", Event: "ping", ReceivedAt: t0}); !errors.Is(err, inbox.ErrIngesterStopped) {
		t.Fatalf("stopped ingester: %v", err)
	}
}

// fakeSource is a hand-written DeliverySource.
type fakeSource struct {
	failed      []ghclient.HookDelivery
	redelivered []int64
	failOn      int64
}

func (f *fakeSource) FailedDeliveries(context.Context, time.Time) ([]ghclient.HookDelivery, error) {
	return f.failed, nil
}

func (f *fakeSource) Redeliver(_ context.Context, id int64) error {
	if id == f.failOn {
		return errors.New("github answered 500")
	}
	f.redelivered = append(f.redelivered, id)
	return nil
}

func TestSweepRedeliversWhatTheInboxLacks(t *testing.T) {
	h := newHarness(t)
	h.insert(t, "guid-known")
	src := &fakeSource{failOn: 50, failed: []ghclient.HookDelivery{
		{ID: 10, GUID: "guid-known", StatusCode: 503, DeliveredAt: t0},
		{ID: 20, GUID: "guid-missing", StatusCode: 503, DeliveredAt: t0.Add(-time.Hour)},
		{ID: 21, GUID: "guid-missing", StatusCode: 503, Redelivery: true, DeliveredAt: t0.Add(-time.Minute)},
		{ID: 30, GUID: "guid-hopeless", StatusCode: 401, DeliveredAt: t0.Add(-3 * time.Hour)},
		{ID: 31, GUID: "guid-hopeless", StatusCode: 401, Redelivery: true, DeliveredAt: t0.Add(-2 * time.Hour)},
		{ID: 32, GUID: "guid-hopeless", StatusCode: 401, Redelivery: true, DeliveredAt: t0.Add(-time.Hour)},
		{ID: 50, GUID: "guid-api-error", StatusCode: 500, DeliveredAt: t0},
	}}
	s := &inbox.Sweeper{Source: src, Store: h.st, Clock: h.clk, Logger: slog.New(slog.NewTextHandler(h.logs, nil)),
		Metrics: h.m, Lookback: 72 * time.Hour, Interval: time.Minute, MaxRedeliveries: 2}
	n, err := s.SweepOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || len(src.redelivered) != 1 || src.redelivered[0] != 21 {
		t.Fatalf("redelivered %v (n=%d), want only the latest attempt of guid-missing (21)", src.redelivered, n)
	}
	// Asked for moments ago: not asked again until RequestedRecently passes.
	if n, _ := s.SweepOnce(context.Background()); n != 0 {
		t.Fatalf("second sweep requested %d again", n)
	}
	h.clk.Advance(inbox.RequestedRecently + time.Second)
	if n, _ := s.SweepOnce(context.Background()); n != 1 {
		t.Fatalf("after the wait the missing delivery should be asked for again, got %d", n)
	}
}
