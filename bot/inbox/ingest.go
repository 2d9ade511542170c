package inbox

import (
	"context"
	"errors"
	"sync"

	"github.com/golive-dev/golive/bot/store"
)

// IngestResult says what Ingest did with a delivery.
type IngestResult int

const (
	// Accepted: the delivery is new and its row is committed.
	Accepted IngestResult = iota + 1
	// Duplicate: a row with this delivery ID already existed; nothing changed.
	Duplicate
)

// ErrIngesterStopped is returned by Ingest after Stop.
var ErrIngesterStopped = errors.New("inbox ingester is stopped")

// Ingester writes deliveries to the store with group commit: concurrent Ingest
// calls that arrive while a commit is in flight are written together in the
// next transaction, so each caller still returns only after its own row is
// committed, while the database sees one commit per batch.
type Ingester struct {
	store    store.Store
	backlog  *Backlog
	wake     func()
	maxBatch int

	reqs chan *ingestReq
	// mu guards stopped: Ingest queues under the read lock, so once Stop
	// holds the write lock nothing more is queued and the committers can drain.
	mu      sync.RWMutex
	stopped bool
	stop    chan struct{}
	done    sync.WaitGroup
}

type ingestReq struct {
	d      store.Delivery
	result IngestResult
	err    error
	done   chan struct{}
}

// IngesterOptions configure NewIngester.
type IngesterOptions struct {
	Store   store.Store
	Backlog *Backlog
	// Wake is called after a batch with new rows commits (the Dispatcher's Wake).
	Wake func()
	// Committers is how many transactions may be in flight at once (1 suits
	// SQLite, which has one writer; more suit PostgreSQL).
	Committers int
	// MaxBatch bounds the deliveries written in one transaction.
	MaxBatch int
}

// NewIngester starts an Ingester's committers. Stop ends them.
func NewIngester(o IngesterOptions) *Ingester {
	if o.Committers < 1 {
		o.Committers = 1
	}
	if o.MaxBatch < 1 {
		o.MaxBatch = 128
	}
	if o.Wake == nil {
		o.Wake = func() {}
	}
	in := &Ingester{
		store: o.Store, backlog: o.Backlog, wake: o.Wake, maxBatch: o.MaxBatch,
		reqs: make(chan *ingestReq, o.MaxBatch*o.Committers),
		stop: make(chan struct{}),
	}
	for range o.Committers {
		in.done.Add(1)
		go in.commitLoop()
	}
	return in
}

// Ingest commits d to the inbox unless its ID is already there. It returns
// ErrBacklogFull without writing when the backlog is full, and a wrapped store
// error when the commit failed (nothing was written then).
func (in *Ingester) Ingest(ctx context.Context, d store.Delivery) (IngestResult, error) {
	if in.backlog.Full() {
		return 0, ErrBacklogFull
	}
	r := &ingestReq{d: d, done: make(chan struct{})}
	in.mu.RLock()
	if in.stopped {
		in.mu.RUnlock()
		return 0, ErrIngesterStopped
	}
	select {
	case in.reqs <- r:
		in.mu.RUnlock()
	case <-ctx.Done():
		in.mu.RUnlock()
		return 0, ctx.Err()
	}
	// Once queued, the commit goes ahead whatever happens to ctx; wait for it
	// so the answer is true.
	<-r.done
	return r.result, r.err
}

// Stop ends the committers after the queued deliveries are written. Callers
// must stop calling Ingest first (shut the HTTP server down before Stop).
func (in *Ingester) Stop() {
	in.mu.Lock()
	if !in.stopped {
		in.stopped = true
		close(in.stop)
	}
	in.mu.Unlock()
	in.done.Wait()
}

func (in *Ingester) commitLoop() {
	defer in.done.Done()
	for {
		var first *ingestReq
		select {
		case first = <-in.reqs:
		case <-in.stop:
			// Nothing is queued after stop closes; drain what was queued before.
			select {
			case first = <-in.reqs:
			default:
				return
			}
		}
		batch := []*ingestReq{first}
	fill:
		for len(batch) < in.maxBatch {
			select {
			case r := <-in.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		in.commit(batch)
	}
}

func (in *Ingester) commit(batch []*ingestReq) {
	ds := make([]store.Delivery, len(batch))
	for i, r := range batch {
		ds[i] = r.d
	}
	// The callers wait for this commit; it is not abandoned half-way.
	inserted, err := in.store.InsertDeliveries(context.Background(), ds)
	added := 0
	for i, r := range batch {
		switch {
		case err != nil:
			r.err = wrapf(err, "commit delivery %q to the inbox", r.d.ID)
		case inserted[i]:
			r.result = Accepted
			added++
		default:
			r.result = Duplicate
		}
	}
	if added > 0 {
		in.backlog.add(int64(added))
		in.wake()
	}
	for _, r := range batch {
		close(r.done)
	}
}
