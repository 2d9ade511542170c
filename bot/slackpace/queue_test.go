package slackpace

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/slackclient"
)

// send is one item handed out by a Queue, at an offset from t0.
type send struct {
	at   time.Duration
	ch   string
	item string
}

func (s send) String() string { return fmt.Sprintf("%s@%s", s.item, s.at) }

// drain plays a dispatcher from start until q is empty, jumping simulated
// time to each wakeAt. post sends one item and returns a Slack error (nil for
// success); a rate-limit error is reported to p and the item is put back.
// It returns every attempt, including rate-limited ones.
func drain(t *testing.T, p *Pacer, q *Queue[string], start time.Time, post func(s send) error) []send {
	t.Helper()
	var out []send
	now := start
	for steps := 0; q.Len() > 0; steps++ {
		if steps > 1_000_000 {
			t.Fatal("drain does not terminate")
		}
		item, ch, ok, wake := q.Next(now)
		if !ok {
			if !wake.After(now) {
				t.Fatalf("Next(%s) = not ok, wakeAt %s: not in the future", now.Sub(t0), wake.Sub(t0))
			}
			now = wake
			continue
		}
		s := send{at: now.Sub(t0), ch: ch, item: item}
		out = append(out, s)
		if post == nil {
			continue
		}
		if err := post(s); err != nil {
			d, limited := slackclient.RetryAfter(err)
			if !limited {
				t.Fatalf("post: %v", err)
			}
			p.RateLimited(ch, now, d)
			q.PushFront(ch, item)
		}
	}
	return out
}

func sends(ss ...any) []send {
	var out []send
	for i := 0; i < len(ss); i += 2 {
		item := ss[i].(string)
		out = append(out, send{at: ss[i+1].(time.Duration), ch: item[:1], item: item})
	}
	return out
}

func TestQueuePerChannelSpacing(t *testing.T) {
	p := mustNew(t, Options{})
	q := NewQueue[string](p)
	for _, m := range []string{"A1", "A2", "A3"} {
		q.Push("A", m)
	}
	got := drain(t, p, q, t0, nil)
	want := sends("A1", 0*time.Second, "A2", 1*time.Second, "A3", 2*time.Second)
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestQueueTwoChannelsInterleave(t *testing.T) {
	p := mustNew(t, Options{})
	q := NewQueue[string](p)
	for _, m := range []string{"A1", "A2", "A3"} {
		q.Push("A", m)
	}
	for _, m := range []string{"B1", "B2", "B3"} {
		q.Push("B", m)
	}
	got := drain(t, p, q, t0, nil)
	want := sends("A1", 0*time.Second, "B1", 0*time.Second,
		"A2", 1*time.Second, "B2", 1*time.Second,
		"A3", 2*time.Second, "B3", 2*time.Second)
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// A 429 with Retry-After 2s on channel A delays only A; B keeps its 1/s
// pace, and A's held-back message goes first when A reopens.
func TestQueueRetryAfterDelaysOnlyThatChannel(t *testing.T) {
	p := mustNew(t, Options{})
	q := NewQueue[string](p)
	for _, m := range []string{"A1", "A2", "A3"} {
		q.Push("A", m)
	}
	for _, m := range []string{"B1", "B2", "B3", "B4"} {
		q.Push("B", m)
	}
	limited := false
	got := drain(t, p, q, t0, func(s send) error {
		if s.item == "A1" && !limited {
			limited = true
			return &slackclient.RateLimitedError{Method: "chat.postMessage", RetryAfter: 2 * time.Second}
		}
		return nil
	})
	want := sends("A1", 0*time.Second, "B1", 0*time.Second, // A1 gets the 429
		"B2", 1*time.Second, // A still blocked; B unaffected
		"A1", 2*time.Second, "B3", 2*time.Second,
		"A2", 3*time.Second, "B4", 3*time.Second,
		"A3", 4*time.Second)
	if !slices.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestQueueWorkspaceCapsAcross100Channels(t *testing.T) {
	for _, burst := range []int{1, 5} {
		t.Run("burst="+strconv.Itoa(burst), func(t *testing.T) {
			p := mustNew(t, Options{Workspace: 20, Burst: burst})
			q := NewQueue[string](p)
			for i := range 5 {
				for c := range 100 {
					q.Push(fmt.Sprintf("C%03d", c), fmt.Sprintf("C%03d-%d", c, i))
				}
			}
			got := drain(t, p, q, t0, nil)
			if len(got) != 500 {
				t.Fatalf("%d sends, want 500", len(got))
			}
			checkChannelSpacing(t, got, time.Second)
			checkWorkspaceBucket(t, got, 50*time.Millisecond, burst)
			// Per whole second, at most 20 plus the burst headroom.
			perSecond := map[time.Duration]int{}
			for _, s := range got {
				perSecond[s.at.Truncate(time.Second)]++
			}
			for sec, n := range perSecond {
				if n > 20+burst-1 {
					t.Errorf("%d messages in second %s, want <= %d", n, sec, 20+burst-1)
				}
			}
			// And the pace is used, not wasted: 500 messages at 20/s
			// after an initial burst end at (500-burst)*50ms.
			if last, want := got[len(got)-1].at, time.Duration(500-burst)*50*time.Millisecond; last != want {
				t.Errorf("last send at %s, want %s", last, want)
			}
		})
	}
}

func TestQueueBlockWorkspace(t *testing.T) {
	p := mustNew(t, Options{})
	q := NewQueue[string](p)
	q.Push("A", "A1")
	q.Push("A", "A2")
	q.Push("B", "B1")
	q.Push("B", "B2")
	if _, ch, ok, _ := q.Next(at(0)); !ok || ch != "A" {
		t.Fatalf("first Next = %q, %v; want A", ch, ok)
	}
	// A 429 from a method with no channel context: block everything 3s.
	p.RateLimited("", at(0), 3*time.Second)
	if _, _, ok, wake := q.Next(at(0)); ok || !wake.Equal(at(3*time.Second)) {
		t.Fatalf("Next during workspace block = %v, wake %s; want false, 3s", ok, wake.Sub(t0))
	}
	if _, _, ok, _ := q.Next(at(3*time.Second - 1)); ok {
		t.Fatal("Next succeeded before the workspace block ended")
	}
	got := drain(t, p, q, at(3*time.Second), nil)
	want := sends("B1", 3*time.Second, "A2", 3*time.Second, "B2", 4*time.Second)
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// A channel with 1,000 queued messages does not delay a channel with one
// message beyond that channel's own spacing.
func TestQueueBacklogDoesNotDelayOthers(t *testing.T) {
	for _, o := range []Options{{}, {Workspace: 20, Burst: 1}} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			p := mustNew(t, o)
			q := NewQueue[string](p)
			for i := range 1000 {
				q.Push("A", fmt.Sprintf("A%d", i))
			}
			q.Push("B", "B1")
			var times []time.Duration
			pushB2, pushed := at(300*time.Millisecond), false
			for now := t0; now.Before(at(5 * time.Second)); {
				if !pushed && !now.Before(pushB2) {
					q.Push("B", "B2")
					pushed = true
				}
				_, ch, ok, wake := q.Next(now)
				if ok {
					if ch == "B" {
						times = append(times, now.Sub(t0))
					}
					continue
				}
				if !pushed && wake.After(pushB2) {
					wake = pushB2
				}
				now = wake
			}
			// B1: immediately, or one workspace interval behind A's first.
			// B2 (pushed at 0.3s): at B's own next slot, 1s after B1.
			wantB1 := time.Duration(0)
			if o.Burst == 1 {
				wantB1 = 50 * time.Millisecond
			}
			want := []time.Duration{wantB1, wantB1 + time.Second}
			if !slices.Equal(times, want) {
				t.Errorf("B sent at %v, want %v", times, want)
			}
			if n := q.Pending("A"); n < 994 {
				t.Errorf("A has %d pending after 5s; it should have sent at 1/s", n)
			}
		})
	}
}

// When the workspace pace is the bottleneck, ready channels take strict
// turns: no channel ever gets two messages ahead of another.
func TestQueueRoundRobinUnderSaturation(t *testing.T) {
	p := mustNew(t, Options{Workspace: 20, Burst: 1})
	q := NewQueue[string](p)
	const channels, each = 50, 20
	for i := range each {
		for c := range channels {
			q.Push(strconv.Itoa(c), strconv.Itoa(i))
		}
	}
	count := map[string]int{}
	for _, s := range drain(t, p, q, t0, nil) {
		count[s.ch]++
		lo, hi := each, 0
		for c := range channels {
			n := count[strconv.Itoa(c)]
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi-lo > 1 {
			t.Fatalf("at %s channel counts range %d..%d: not round-robin", s.at, lo, hi)
		}
	}
}

func TestQueueDropAndPushFront(t *testing.T) {
	p := mustNew(t, Options{})
	q := NewQueue[string](p)
	q.Push("A", "A2")
	q.PushFront("A", "A1")
	q.Push("X", "X1")
	q.Push("X", "X2")
	q.Push("B", "B1")
	if got := q.Drop("X"); !slices.Equal(got, []string{"X1", "X2"}) {
		t.Errorf("Drop(X) = %v", got)
	}
	if q.Drop("nope") != nil || q.Len() != 3 || q.Pending("X") != 0 {
		t.Errorf("after Drop: Len %d, Pending(X) %d", q.Len(), q.Pending("X"))
	}
	q.Push("X", "X3") // a dropped channel can come back
	got := drain(t, p, q, t0, nil)
	want := sends("A1", 0*time.Second, "B1", 0*time.Second, "X3", 0*time.Second, "A2", 1*time.Second)
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, _, ok, wake := q.Next(at(time.Hour)); ok || !wake.IsZero() {
		t.Errorf("empty queue: Next = %v, wake %v; want false, zero", ok, wake)
	}
}

// TestQueueProperties drives random pushes, random per-channel 429s (on the
// send just made, and late ones on any channel), random workspace blocks and
// random Prune calls through a simulated dispatcher and checks the invariants: per-channel spacing, blocks honoured, workspace
// bucket never exceeded, FIFO per channel, every item delivered exactly once,
// wakeAt never early (Next succeeds at it) and the queue work-conserving
// (whenever Next refuses, no pending channel is actually allowed).
func TestQueueProperties(t *testing.T) {
	for seed := range uint64(60) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) { runProperty(t, seed) })
	}
}

type event struct {
	at   time.Duration
	ch   string // "" for a workspace block
	item string
	d    time.Duration // workspace block length
}

type block struct {
	ch          string // "" for the workspace
	from, until time.Duration
}

func runProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5ace))
	o := Options{
		PerChannel: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}[rng.IntN(3)],
		Workspace:  []float64{3, 20, 50}[rng.IntN(3)],
		Burst:      1 + rng.IntN(5),
	}
	p := mustNew(t, o)
	q := NewQueue[string](p)
	nch := 1 + rng.IntN(40)
	var events []event
	for i := range 400 {
		ch := "C" + strconv.Itoa(rng.IntN(nch))
		events = append(events, event{
			at:   time.Duration(rng.Int64N(int64(20 * time.Second))).Truncate(10 * time.Millisecond),
			ch:   ch,
			item: ch + "#" + strconv.Itoa(i),
		})
	}
	for range 3 {
		events = append(events, event{
			at: time.Duration(rng.Int64N(int64(20 * time.Second))),
			d:  time.Duration(rng.Int64N(int64(3 * time.Second))),
		})
	}
	slices.SortStableFunc(events, func(a, b event) int { return int(a.at - b.at) })

	pending := map[string][]string{} // model of the queue
	var attempts []send
	var blocks []block
	delivered := map[string]int{}
	var order = map[string][]string{} // delivered per channel
	pushed := map[string][]string{}

	now := t0
	expectOK := false
	for steps := 0; ; steps++ {
		if steps > 1_000_000 {
			t.Fatal("simulation does not terminate")
		}
		for len(events) > 0 && !at(events[0].at).After(now) {
			e := events[0]
			events = events[1:]
			if e.ch == "" {
				p.RateLimited("", now, e.d)
				blocks = append(blocks, block{from: now.Sub(t0), until: now.Add(retryAfter(e.d)).Sub(t0)})
				continue
			}
			q.Push(e.ch, e.item)
			pending[e.ch] = append(pending[e.ch], e.item)
			pushed[e.ch] = append(pushed[e.ch], e.item)
		}
		if rng.IntN(10) == 0 {
			p.Prune(now)
		}
		if rng.IntN(10) == 0 { // a late 429 for an earlier send, on any channel
			ch := "C" + strconv.Itoa(rng.IntN(nch))
			d := time.Duration(rng.Int64N(int64(3 * time.Second)))
			p.RateLimited(ch, now, d)
			blocks = append(blocks, block{ch: ch, from: now.Sub(t0) - 1, until: now.Add(retryAfter(d)).Sub(t0)})
			expectOK = false
		}
		first := true
		for {
			item, ch, ok, wake := q.Next(now)
			if first && expectOK && !ok {
				t.Fatalf("at %s: Next refused at the wakeAt it promised", now.Sub(t0))
			}
			first = false
			if !ok {
				for c, items := range pending {
					if len(items) > 0 && !p.When(c, now).After(now) {
						t.Fatalf("at %s: Next refused but %s is allowed with %d pending", now.Sub(t0), c, len(items))
					}
				}
				if q.Len() != countPending(pending) {
					t.Fatalf("Len %d, model %d", q.Len(), countPending(pending))
				}
				switch {
				case wake.IsZero() && len(events) == 0:
					if q.Len() != 0 {
						t.Fatal("zero wakeAt with items pending")
					}
					goto done
				case wake.IsZero():
					now, expectOK = at(events[0].at), false
				case len(events) == 0 || wake.Before(at(events[0].at)):
					now, expectOK = wake, true
				default:
					now, expectOK = at(events[0].at), false
				}
				break
			}
			if len(pending[ch]) == 0 || pending[ch][0] != item {
				t.Fatalf("at %s: got %s on %s, model head %v", now.Sub(t0), item, ch, pending[ch])
			}
			attempts = append(attempts, send{at: now.Sub(t0), ch: ch, item: item})
			if rng.IntN(8) == 0 { // 429 on this channel
				d := time.Duration(rng.Int64N(int64(3 * time.Second)))
				p.RateLimited(ch, now, d)
				blocks = append(blocks, block{ch: ch, from: now.Sub(t0), until: now.Add(retryAfter(d)).Sub(t0)})
				q.PushFront(ch, item)
				continue
			}
			pending[ch] = pending[ch][1:]
			delivered[item]++
			order[ch] = append(order[ch], item)
		}
	}
done:
	for ch, want := range pushed {
		if !slices.Equal(order[ch], want) {
			t.Errorf("channel %s delivered %v, pushed %v", ch, order[ch], want)
		}
	}
	for item, n := range delivered {
		if n != 1 {
			t.Errorf("%s delivered %d times", item, n)
		}
	}
	checkChannelSpacing(t, attempts, o.PerChannel)
	checkWorkspaceBucket(t, attempts, p.interval, o.Burst)
	for _, b := range blocks {
		for _, a := range attempts {
			if b.ch == "" && a.at >= b.from && a.at < b.until {
				t.Errorf("%s sent during workspace block %s..%s", a, b.from, b.until)
			}
			if b.ch != "" && a.ch == b.ch && a.at > b.from && a.at < b.until {
				t.Errorf("%s sent during its channel's block %s..%s", a, b.from, b.until)
			}
		}
	}
}

// retryAfter is the block length RateLimited applies for d.
func retryAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultRetryAfter
	}
	return d
}

func countPending(m map[string][]string) int {
	n := 0
	for _, items := range m {
		n += len(items)
	}
	return n
}

// checkChannelSpacing fails if any channel got two sends less than gap apart.
func checkChannelSpacing(t *testing.T, ss []send, gap time.Duration) {
	t.Helper()
	last := map[string]time.Duration{}
	for _, s := range ss {
		if prev, ok := last[s.ch]; ok && s.at-prev < gap {
			t.Errorf("channel %s: sends at %s and %s, less than %s apart", s.ch, prev, s.at, gap)
		}
		last[s.ch] = s.at
	}
}

// checkWorkspaceBucket fails if the sends (in time order) ever exceed a
// token bucket of the given emission interval and burst: any k consecutive
// sends must span at least (k-burst)*interval.
func checkWorkspaceBucket(t *testing.T, ss []send, interval time.Duration, burst int) {
	t.Helper()
	for j := range ss {
		for i := j - burst; i >= 0; i-- {
			k := j - i + 1
			if span, need := ss[j].at-ss[i].at, time.Duration(k-burst)*interval; span < need {
				t.Fatalf("%d sends in %s (%s..%s): bucket of %s/msg burst %d allows %s", k, span, ss[i].at, ss[j].at, interval, burst, need)
			}
		}
	}
}

// BenchmarkQueue1000Channels schedules 100,000 items over 1,000 channels with
// the default Options, advancing simulated time to each wakeAt, and reports
// the scheduling throughput in items/s (of CPU time, not simulated time).
func BenchmarkQueue1000Channels(b *testing.B) {
	const channels, items = 1000, 100_000
	names := make([]string, channels)
	for i := range names {
		names[i] = fmt.Sprintf("C%04d", i)
	}
	b.ReportAllocs()
	iters := 0
	for b.Loop() {
		iters++
		p, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		q := NewQueue[int](p)
		for i := range items {
			q.Push(names[i%channels], i)
		}
		now, sent := t0, 0
		for sent < items {
			_, _, ok, wake := q.Next(now)
			if ok {
				sent++
				continue
			}
			now = wake
		}
	}
	b.ReportMetric(float64(iters*items)/b.Elapsed().Seconds(), "items/s")
}

// A lane held while its post is in flight is handed out again one
// PerChannel after the answer, not when the hold's placeholder time ends.
func TestQueueReleaseReopensTheLane(t *testing.T) {
	p, err := New(Options{Workspace: 1000})
	if err != nil {
		t.Fatal(err)
	}
	q := NewQueue[int](p)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	q.Push("C1", 1)
	q.Push("C1", 2)
	if item, _, ok, _ := q.Next(t0); !ok || item != 1 {
		t.Fatalf("first item: %d %v", item, ok)
	}
	p.Hold("C1")
	if _, _, ok, wake := q.Next(t0.Add(2 * time.Second)); ok || wake.Year() < 9999 {
		t.Fatalf("C1 handed out while held (ok %v, wake %s)", ok, wake)
	}
	done := t0.Add(2*time.Second + 300*time.Millisecond)
	q.Release("C1", done)
	if _, _, ok, wake := q.Next(done); ok || !wake.Equal(done.Add(time.Second)) {
		t.Fatalf("after release: ok %v, wake %s, want one second after the answer", ok, wake.Sub(t0))
	}
	if item, _, ok, _ := q.Next(done.Add(time.Second)); !ok || item != 2 {
		t.Fatalf("second item: %d %v", item, ok)
	}
	if q.Len() != 0 {
		t.Fatalf("%d items left", q.Len())
	}
}
