package slackpace

import "time"

// Queue holds pending messages per channel and hands them out in an order
// that obeys a Pacer and is fair across channels:
//
//   - Within a channel, items leave in FIFO order (PushFront puts one back at
//     the head, for retries).
//   - Among channels whose Pacer slot is open at now, the channel that has
//     waited longest goes first: a channel's wait starts when it gets its
//     first pending item or when its previous item was handed out. This is
//     round-robin over ready channels, so a channel with a long backlog can
//     never delay another channel by more than one turn, and a channel that
//     is blocked (spacing or Retry-After) never delays a ready one.
//
// The Queue reserves slots through its Pacer; the dispatcher keeps reporting
// 429s to that same Pacer (Blocked, BlockWorkspace, RateLimited), and the
// Queue notices on its next call. Next is O(log c) amortised for c channels
// with pending items.
//
// A Queue is not safe for concurrent use, and neither is the Pacer it shares.
type Queue[T any] struct {
	p     *Pacer
	lanes map[string]*lane[T]
	// ready holds lanes whose channel was open when last checked,
	// ordered by seq (longest waiting first).
	ready laneHeap[T]
	// waiting holds lanes whose channel was closed when last checked,
	// ordered by at. at is a lower bound: the Pacer only ever pushes a
	// channel's next allowed time later, so keys are re-checked lazily.
	waiting laneHeap[T]
	seq     uint64
	n       int
}

// lane is one channel's backlog.
type lane[T any] struct {
	channel string
	items   []T
	head    int
	seq     uint64    // position in the round-robin; lower waited longer
	at      time.Time // key in the waiting heap
	dead    bool      // dropped; skip wherever found
}

// NewQueue returns an empty Queue that paces through p.
func NewQueue[T any](p *Pacer) *Queue[T] {
	return &Queue[T]{
		p:       p,
		lanes:   make(map[string]*lane[T]),
		ready:   laneHeap[T]{less: bySeq[T]},
		waiting: laneHeap[T]{less: byAt[T]},
	}
}

// Len returns the number of pending items across all channels.
func (q *Queue[T]) Len() int { return q.n }

// Pending returns the number of pending items for channel.
func (q *Queue[T]) Pending(channel string) int {
	if l := q.lanes[channel]; l != nil {
		return len(l.items) - l.head
	}
	return 0
}

// Push appends item to channel's backlog.
func (q *Queue[T]) Push(channel string, item T) {
	l := q.lane(channel)
	if len(l.items) == cap(l.items) && l.head > 0 {
		k := copy(l.items, l.items[l.head:])
		clear(l.items[k:])
		l.items = l.items[:k]
		l.head = 0
	}
	l.items = append(l.items, item)
	q.n++
}

// PushFront puts item at the head of channel's backlog, so it is the next
// one handed out for that channel. Use it to retry an item whose send hit a
// 429, after reporting the 429 to the Pacer.
func (q *Queue[T]) PushFront(channel string, item T) {
	l := q.lane(channel)
	if l.head > 0 {
		l.head--
		l.items[l.head] = item
	} else {
		var zero T
		l.items = append(l.items, zero)
		copy(l.items[1:], l.items)
		l.items[0] = item
	}
	q.n++
}

// Drop removes and returns channel's whole backlog, in order; for a channel
// Slack rejects permanently (channel_not_found, is_archived, ...).
func (q *Queue[T]) Drop(channel string) []T {
	l := q.lanes[channel]
	if l == nil {
		return nil
	}
	delete(q.lanes, channel)
	l.dead = true // it may still sit in a heap; Next skips it
	items := l.items[l.head:]
	q.n -= len(items)
	return items
}

// Release ends the Pacer's Hold on channel after its post finished at now
// (see Pacer.Release). The lane's key in the waiting heap only ever moves
// later, so a lane held while its post was in flight is re-keyed: it takes
// the newest place in the round-robin, which it would have anyway after
// just sending.
func (q *Queue[T]) Release(channel string, now time.Time) {
	q.p.Release(channel, now)
	if q.lanes[channel] == nil {
		return
	}
	items := q.Drop(channel)
	fresh := q.lane(channel)
	fresh.items = append(fresh.items, items...)
	q.n += len(items)
}

// Next hands out the next item that may be sent at now and reserves its slot
// in the Pacer: the item at the head of the longest-waiting channel among
// those the Pacer allows at now. The caller must send it (or PushFront it
// back); the slot is used up either way.
//
// When nothing may be sent at now, Next returns ok false and wakeAt, the
// earliest time (after now) at which Next could return an item, assuming no
// Push and no new block in between; a dispatcher sleeps until then or until
// something is pushed. When the queue is empty, wakeAt is the zero time.
// When ok is true, wakeAt is the zero time; call Next again.
func (q *Queue[T]) Next(now time.Time) (item T, channel string, ok bool, wakeAt time.Time) {
	// Promote lanes whose channel may have opened.
	for q.waiting.len() > 0 && !q.waiting.top().at.After(now) {
		l := q.waiting.pop()
		if l.dead {
			continue
		}
		if at := q.p.channelAt(l.channel); at.After(now) {
			l.at = at
			q.waiting.push(l)
			continue
		}
		q.ready.push(l)
	}
	// Drop ready lanes that were closed since (e.g. Blocked after a 429).
	for q.ready.len() > 0 {
		l := q.ready.top()
		if l.dead {
			q.ready.pop()
			continue
		}
		if at := q.p.channelAt(l.channel); at.After(now) {
			q.ready.pop()
			l.at = at
			q.waiting.push(l)
			continue
		}
		break
	}
	wsAt := q.p.workspaceAt()
	if q.ready.len() > 0 {
		if wsAt.After(now) {
			return item, "", false, wsAt
		}
		l := q.ready.pop()
		q.p.reserve(l.channel, now)
		item = l.popFront()
		q.n--
		if l.head == len(l.items) {
			delete(q.lanes, l.channel)
		} else {
			l.seq = q.nextSeq()
			l.at = q.p.channelAt(l.channel)
			q.waiting.push(l)
		}
		return item, l.channel, true, time.Time{}
	}
	// Nothing ready: refresh the earliest waiting key so wakeAt is exact.
	for q.waiting.len() > 0 {
		l := q.waiting.top()
		if l.dead {
			q.waiting.pop()
			continue
		}
		if at := q.p.channelAt(l.channel); at.After(l.at) {
			q.waiting.pop()
			l.at = at
			q.waiting.push(l)
			continue
		}
		return item, "", false, later(l.at, wsAt)
	}
	return item, "", false, time.Time{}
}

// lane returns channel's lane, creating it (as the newest in the
// round-robin, to be checked on the next call to Next) if needed.
func (q *Queue[T]) lane(channel string) *lane[T] {
	if l := q.lanes[channel]; l != nil {
		return l
	}
	l := &lane[T]{channel: channel, seq: q.nextSeq()}
	q.lanes[channel] = l
	q.waiting.push(l) // zero at: due at once
	return l
}

func (q *Queue[T]) nextSeq() uint64 {
	q.seq++
	return q.seq
}

func (l *lane[T]) popFront() T {
	item := l.items[l.head]
	var zero T
	l.items[l.head] = zero
	l.head++
	if l.head == len(l.items) {
		l.items = l.items[:0]
		l.head = 0
	}
	return item
}

func bySeq[T any](a, b *lane[T]) bool { return a.seq < b.seq }

func byAt[T any](a, b *lane[T]) bool {
	if a.at.Equal(b.at) {
		return a.seq < b.seq
	}
	return a.at.Before(b.at)
}

// laneHeap is a binary min-heap of lanes under less.
type laneHeap[T any] struct {
	s    []*lane[T]
	less func(a, b *lane[T]) bool
}

func (h *laneHeap[T]) len() int      { return len(h.s) }
func (h *laneHeap[T]) top() *lane[T] { return h.s[0] }

func (h *laneHeap[T]) push(l *lane[T]) {
	h.s = append(h.s, l)
	i := len(h.s) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(h.s[i], h.s[parent]) {
			break
		}
		h.s[i], h.s[parent] = h.s[parent], h.s[i]
		i = parent
	}
}

func (h *laneHeap[T]) pop() *lane[T] {
	top := h.s[0]
	last := len(h.s) - 1
	h.s[0] = h.s[last]
	h.s[last] = nil
	h.s = h.s[:last]
	i := 0
	for {
		l, r := 2*i+1, 2*i+2
		m := i
		if l < last && h.less(h.s[l], h.s[m]) {
			m = l
		}
		if r < last && h.less(h.s[r], h.s[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.s[i], h.s[m] = h.s[m], h.s[i]
		i = m
	}
	return top
}
