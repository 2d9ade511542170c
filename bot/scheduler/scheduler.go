// Package scheduler sends go-lives' reminder occurrences to Slack, each
// exactly once and on time, in one thread per go-live.
//
// A Dispatcher claims due occurrences from the store with a lease, puts them
// in per-channel lanes paced by slackpace (one message per second per
// channel, a workspace-wide pace, Retry-After honoured for the channel that
// got it), posts them from a pool of senders and marks them sent in
// batches. Every message carries Slack metadata with its occurrence key; an
// occurrence claimed a second time (its first claimer died between posting
// and marking) is looked up in the thread before it is posted, so a crash
// never posts it twice.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/reminders"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/slackpace"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/tracking"
)

// Metadata event types of golive's Slack messages.
const (
	ThreadEvent   = "golive_thread"
	ReminderEvent = "golive_reminder"
)

// Slack is what the scheduler needs of Slack (slackclient.Client implements
// it).
type Slack interface {
	PostMessage(ctx context.Context, m slackclient.Message) (ts, channelID string, err error)
	UpdateMessage(ctx context.Context, channel, ts string, m slackclient.Message) error
	FindByMetadata(ctx context.Context, channel, threadTS, eventType, key, value string) (string, bool, error)
	ResolveChannel(ctx context.Context, channel string) (string, error)
}

// Settings are a go-live's repository settings the messages depend on.
type Settings struct {
	Template checklist.Template
	// Grace is how late a reminder is still sent on its own.
	Grace      time.Duration
	Escalation []string
	// SlackID maps a GitHub owner to a Slack user or group id.
	SlackID func(github string) (string, bool)
}

// Dispatcher sends due reminders. Run it in one goroutine per process; any
// number of processes may share a PostgreSQL store.
type Dispatcher struct {
	Store store.Store
	Slack Slack
	Clock clock.Clock
	// Owner names this process in reminder leases.
	Owner string
	// Settings gives a go-live's settings; errors fall back to defaults
	// (reminders are sent on time rather than not at all).
	Settings func(ctx context.Context, g store.GoLive) (Settings, error)
	// IssueURL is the web address of an issue.
	IssueURL func(repo string, number int) string
	// Changed is told when a go-live's Slack state changed (a reminder
	// went out, or Slack refused one), so its tracker can show it.
	Changed func(ctx context.Context, goliveID int64)
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Pace    slackpace.Options
	// Lease is how long a claimed occurrence is reserved; default 1 min.
	Lease time.Duration
	// Batch is the most occurrences one claim takes; default 4,000 (with
	// PerChannel 4, a claim can give each of 1,000 channels its next
	// seconds of work).
	Batch int
	// PerChannel is the most occurrences one claim takes per channel, so a
	// claim spreads over the channels with work rather than filling one
	// channel's lane; default 4.
	PerChannel int
	// MaxLane is the most jobs a channel's lane holds: at one message per
	// second, how far ahead a claim may reserve a channel's time. An
	// occurrence claimed beyond it is released to be claimed again when
	// the lane has room, so a busy channel neither holds leases it cannot
	// use nor keeps other channels' occurrences from being claimed.
	// Default 20.
	MaxLane int
	// Senders is how many posts may be in flight; default 32.
	Senders int
	// Poll is the longest wait between two claims; default 250 ms.
	Poll time.Duration

	once       sync.Once
	mu         sync.Mutex
	threads    map[int64]thread // go-live id → its thread, once known
	threadErrs map[int64]error  // go-live id → why Slack refused its thread
	parents    map[int64]string // go-live id → its parent's text as last posted
	changes    chan int64       // go-lives to tell Changed about
}

// thread is a go-live's Slack thread, posted while the go-live's channel
// was configured.
type thread struct{ configured, channel, ts string }

// jobKind is what a sender does with a job.
type jobKind int

const (
	postThread jobKind = iota + 1
	postReminder
	postCatchUp
	// postStart: the go-live's start occurrence; posting its thread is all
	// it does.
	postStart
)

// job is one message to post.
type job struct {
	kind     jobKind
	lane     string
	g        store.GoLive
	settings Settings
	r        store.Reminder // postReminder, postCatchUp: the claimed occurrence
	late     bool
}

// result is what became of a job.
type result struct {
	job  job
	sent *store.SentReminder // a reminder to mark sent
	// retryAfter > 0: Slack rate-limited the lane; the job goes back.
	retryAfter time.Duration
	err        error
}

func (d *Dispatcher) defaults() {
	if d.Lease <= 0 {
		d.Lease = time.Minute
	}
	if d.Batch <= 0 {
		d.Batch = 4000
	}
	if d.MaxLane <= 0 {
		d.MaxLane = 20
	}
	if d.PerChannel <= 0 {
		d.PerChannel = 4
	}
	if d.Senders <= 0 {
		d.Senders = 32
	}
	if d.Poll <= 0 {
		d.Poll = 250 * time.Millisecond
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.IssueURL == nil {
		d.IssueURL = func(repo string, n int) string { return fmt.Sprintf("https://github.com/%s/issues/%d", repo, n) }
	}
	if d.Settings == nil {
		d.Settings = func(context.Context, store.GoLive) (Settings, error) {
			return Settings{Template: checklist.Default(), Grace: reminders.DefaultGrace}, nil
		}
	}
	d.threads, d.threadErrs, d.parents = map[int64]thread{}, map[int64]error{}, map[int64]string{}
	d.changes = make(chan int64, 1024)
}

// leaseMargin: a job whose lease ends sooner than this is not posted but
// released, so it can never be posted by two processes.
const leaseMargin = 10 * time.Second

// Run sends reminders until ctx ends, then lets posts in flight finish and
// marks them.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.once.Do(d.defaults)
	pacer, err := slackpace.New(d.Pace)
	if err != nil {
		return fmt.Errorf("start the reminder dispatcher: %w", err)
	}
	queue := slackpace.NewQueue[job](pacer)
	work := make(chan job)
	results := make(chan result, d.Senders)
	var senders sync.WaitGroup
	sendCtx := context.WithoutCancel(ctx)
	if d.Changed != nil {
		stop, stopped := make(chan struct{}), make(chan struct{})
		defer func() { close(stop); <-stopped }()
		go func() {
			defer close(stopped)
			for {
				select {
				case id := <-d.changes:
					d.Changed(sendCtx, id)
				case <-stop:
					return
				}
			}
		}()
	}
	for range d.Senders {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for j := range work {
				results <- d.send(sendCtx, j)
			}
		}()
	}
	// The loop hands out channel slots; claiming and marking, which wait on
	// the database, run beside it so a slow statement never delays a post.
	claimCtx, stopClaims := context.WithCancel(ctx)
	defer stopClaims()
	want := make(chan struct{}, 1)
	claimed := make(chan []job, 1)
	go d.claimer(claimCtx, want, claimed)
	marks := make(chan markedJob, 4*d.Senders+1024)
	markerDone := make(chan struct{})
	go func() { defer close(markerDone); d.marker(sendCtx, marks) }()

	var (
		inflight   int
		claiming   bool
		nextClaim  time.Time
		pendingFor = map[int64]bool{} // go-lives with a thread job queued or in flight
	)
	handle := func(res result) {
		inflight--
		now := d.Clock.Now()
		queue.Release(res.job.lane, now)
		switch {
		case res.job.kind == postThread || (res.job.kind == postStart && res.sent == nil && res.retryAfter == 0):
			delete(pendingFor, res.job.g.ID)
			if res.job.kind == postStart {
				d.settleFailure(ctx, res.job, res.err, now)
				if slackclient.IsPermanent(res.err) {
					d.setThreadErr(res.job.g.ID, res.err)
				}
			}
			if res.retryAfter > 0 {
				pacer.RateLimited(res.job.lane, now, res.retryAfter)
			}
			if res.err != nil {
				d.Logger.Warn("post go-live thread", "golive", res.job.g.ID, "err", res.err)
				d.noteSlackError(ctx, res.job.g, res.err)
				if slackclient.IsPermanent(res.err) {
					// The go-live's queued reminders fail with it.
					d.setThreadErr(res.job.g.ID, res.err)
				}
			}
		case res.retryAfter > 0:
			pacer.RateLimited(res.job.lane, now, res.retryAfter)
			queue.PushFront(res.job.lane, res.job)
		case res.sent != nil:
			if res.job.kind == postStart {
				delete(pendingFor, res.job.g.ID)
			}
			marks <- markedJob{goliveID: res.job.g.ID, sent: *res.sent}
			d.observeSent(res.job, res.sent)
		case res.err != nil:
			d.settleFailure(ctx, res.job, res.err, now)
		default:
			d.changed(res.job.g.ID) // a catch-up went out
		}
	}
	enqueue := func(jobs []job, now time.Time) {
		for _, j := range jobs {
			if j.kind == postStart {
				pendingFor[j.g.ID] = true
			}
			if depth := queue.Pending(j.lane); depth >= d.MaxLane {
				// Back to the store until the lane has room.
				notBefore := now.Add(time.Duration(depth) * slackpace.DefaultPerChannel)
				d.settle(ctx, "release a reminder for a busy channel", j.r, func() error {
					return d.Store.ReleaseReminder(ctx, j.r.Key, d.Owner, notBefore, "channel backlog")
				})
				continue
			}
			if j.kind == postReminder || j.kind == postCatchUp {
				if _, ok := d.thread(j.g); !ok && j.g.SlackThreadTS == "" && !pendingFor[j.g.ID] {
					pendingFor[j.g.ID] = true
					queue.Push(j.lane, job{kind: postThread, lane: j.lane, g: j.g, settings: j.settings})
				}
			}
			queue.Push(j.lane, j)
		}
	}

	for {
		now := d.Clock.Now()
		if ctx.Err() == nil && !claiming && queue.Len() < d.Batch/2 && !now.Before(nextClaim) {
			claiming = true
			want <- struct{}{}
		}
		if ctx.Err() != nil {
			// Leave queued jobs to their leases; finish what is in flight.
			stopClaims()
			close(work)
			for inflight > 0 {
				handle(<-results)
			}
			senders.Wait()
			close(marks)
			<-markerDone
			return nil
		}
		wake := nextClaim
		if claiming {
			wake = now.Add(d.Poll)
		}
		for inflight < d.Senders {
			j, _, ok, wakeAt := queue.Next(now)
			if !ok {
				if !wakeAt.IsZero() && wakeAt.Before(wake) {
					wake = wakeAt
				}
				break
			}
			inflight++
			pacer.Hold(j.lane)
			work <- j
		}
		timer := time.NewTimer(max(wake.Sub(d.Clock.Now()), time.Millisecond))
		select {
		case res := <-results:
			handle(res)
		case jobs := <-claimed:
			claiming = false
			now := d.Clock.Now()
			enqueue(jobs, now)
			nextClaim = now.Add(d.Poll)
			if len(jobs) >= d.Batch {
				nextClaim = now
			}
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
}

// claimer claims due occurrences whenever the loop asks (on want) and hands
// the prepared jobs back on claimed.
func (d *Dispatcher) claimer(ctx context.Context, want <-chan struct{}, claimed chan<- []job) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-want:
		}
		now := d.Clock.Now()
		rs, err := d.Store.ClaimDueReminders(ctx, d.Owner, now, d.Lease, d.Batch, d.PerChannel)
		if err != nil && ctx.Err() == nil {
			d.Logger.Error("claim due reminders", "err", err)
		}
		jobs := d.prepare(ctx, rs, now)
		select {
		case claimed <- jobs:
		case <-ctx.Done():
			return // the claimed rows' leases end and they are claimed again
		}
	}
}

// markedJob is a posted occurrence to mark sent.
type markedJob struct {
	goliveID int64
	sent     store.SentReminder
}

// marker marks posted occurrences sent in batches until marks is closed,
// then tells Changed about their go-lives.
func (d *Dispatcher) marker(ctx context.Context, marks <-chan markedJob) {
	var batch []store.SentReminder
	golives := map[int64]bool{}
	flush := func() {
		if len(batch) == 0 {
			return
		}
		lost, err := d.Store.MarkRemindersSent(ctx, d.Owner, batch)
		if err != nil {
			// The rows stay leased; when the lease ends they are claimed
			// again and found in Slack by their metadata, not re-posted.
			d.Logger.Error("mark reminders sent", "count", len(batch), "err", err)
		}
		for _, k := range lost {
			d.Logger.Warn("reminder lease lost before it was marked sent; its next claimer finds it in Slack", "key", k)
		}
		batch = batch[:0]
		for id := range golives {
			d.changed(id)
		}
		clear(golives)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case m, ok := <-marks:
			if !ok {
				flush()
				return
			}
			batch = append(batch, m.sent)
			golives[m.goliveID] = true
			if len(batch) >= 200 {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// prepare turns claimed occurrences into jobs: missed ones of a go-live fold
// into one catch-up, ones due before the go-live existed are skipped.
func (d *Dispatcher) prepare(ctx context.Context, claimed []store.Reminder, now time.Time) []job {
	var jobs []job
	golives := map[int64]store.GoLive{}
	settings := map[int64]Settings{}
	catchUp := map[int64]bool{}
	for _, r := range claimed {
		g, ok := golives[r.GoLiveID]
		if !ok {
			var err error
			if g, err = d.Store.GetGoLiveByID(ctx, r.GoLiveID); err != nil {
				d.Logger.Error("load the go-live of a reminder", "key", r.Key, "err", err)
				continue // the lease ends and it is claimed again
			}
			golives[r.GoLiveID] = g
			settings[g.ID] = d.settingsFor(ctx, g)
		}
		s := settings[g.ID]
		lane := g.SlackChannel
		if r.Offset == reminders.StartOffset {
			jobs = append(jobs, job{kind: postStart, lane: lane, g: g, settings: s, r: r})
			continue
		}
		switch reminders.Classify(r.DueAt, now, g.CreatedAt, s.Grace) {
		case reminders.BeforeCreation:
			d.settle(ctx, "skip a reminder due before its go-live existed", r, func() error { return d.Store.MissReminder(ctx, r.Key, d.Owner) })
			d.count("skipped")
		case reminders.Missed:
			if catchUp[g.ID] {
				// The go-live's catch-up folds it in.
				continue
			}
			catchUp[g.ID] = true
			jobs = append(jobs, job{kind: postCatchUp, lane: lane, g: g, settings: s, r: r})
		case reminders.Late:
			jobs = append(jobs, job{kind: postReminder, lane: lane, g: g, settings: s, r: r, late: true})
		default:
			jobs = append(jobs, job{kind: postReminder, lane: lane, g: g, settings: s, r: r})
		}
	}
	return jobs
}

func (d *Dispatcher) settingsFor(ctx context.Context, g store.GoLive) Settings {
	s, err := d.Settings(ctx, g)
	if err != nil {
		d.Logger.Warn("read the go-live's repository settings; using the defaults", "golive", g.ID, "repo", g.Repo, "err", err)
		s = Settings{}
	}
	if len(s.Template.Phases) == 0 {
		s.Template = checklist.Default()
	}
	if s.Grace <= 0 {
		s.Grace = reminders.DefaultGrace
	}
	return s
}

// thread is g's thread as this process knows it, unless g's channel
// changed since.
func (d *Dispatcher) thread(g store.GoLive) (thread, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.threads[g.ID]
	return t, ok && t.configured == g.SlackChannel
}

func (d *Dispatcher) setThread(goliveID int64, t thread) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.threads[goliveID] = t
	delete(d.threadErrs, goliveID)
}

func (d *Dispatcher) setThreadErr(goliveID int64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.threadErrs[goliveID] = err
}

func (d *Dispatcher) threadErr(goliveID int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.threadErrs[goliveID]
}

// errNoThread: the go-live's thread is not posted yet; the reminder waits.
var errNoThread = errors.New("the go-live's Slack thread is not posted yet")

// send posts one job's message. It runs on a sender goroutine.
func (d *Dispatcher) send(ctx context.Context, j job) result {
	res := result{job: j}
	if j.kind == postThread {
		res.err = d.ensureThread(ctx, j.g, j.settings)
		res.retryAfter, _ = slackclient.RetryAfter(res.err)
		return res
	}
	if d.Clock.Now().After(j.r.LeaseUntil.Add(-leaseMargin)) {
		res.err = errLeaseEnding
		return res
	}
	if j.kind == postStart {
		if res.err = d.ensureThread(ctx, j.g, j.settings); res.err != nil {
			res.retryAfter, _ = slackclient.RetryAfter(res.err)
			return res
		}
		t, _ := d.thread(j.g)
		res.sent = &store.SentReminder{Key: j.r.Key, SentAt: d.Clock.Now(), TS: t.ts}
		return res
	}
	t, ok := d.thread(j.g)
	if !ok && j.g.SlackThreadTS != "" {
		t, ok = thread{j.g.SlackChannel, j.g.SlackChannelID, j.g.SlackThreadTS}, true
		d.setThread(j.g.ID, t)
	}
	if !ok {
		res.err = errNoThread
		if err := d.threadErr(j.g.ID); err != nil {
			res.err = err
		}
		return res
	}
	key := j.r.Key
	if j.kind == postCatchUp {
		key = "catch-up:" + j.r.Key
	}
	if j.r.Attempts > 1 {
		// An earlier claim may have posted it and died before marking it.
		ts, found, err := d.Slack.FindByMetadata(ctx, t.channel, t.ts, ReminderEvent, "key", key)
		if err != nil {
			res.err = err
			res.retryAfter, _ = slackclient.RetryAfter(err)
			return res
		}
		if found {
			res.sent = &store.SentReminder{Key: j.r.Key, SentAt: d.Clock.Now(), TS: ts, Late: j.late}
			return d.afterPost(ctx, j, res, nil)
		}
	}
	view, err := d.view(ctx, j.g, j.settings)
	if err != nil {
		res.err = err
		return res
	}
	m := slackclient.Message{Channel: t.channel, ThreadTS: t.ts,
		Metadata: &slackclient.Metadata{EventType: ReminderEvent, Payload: map[string]any{"key": key, "golive": strconv.FormatInt(j.g.ID, 10)}}}
	now := d.Clock.Now()
	if j.kind == postCatchUp {
		missed, err := d.missedOf(ctx, j.g, now, j.settings.Grace)
		if err != nil {
			res.err = err
			return res
		}
		if !slices.ContainsFunc(missed, func(r store.Reminder) bool { return r.Key == j.r.Key }) {
			// An earlier catch-up of this go-live folded it already.
			return res
		}
		m.Text = CatchUpText(view, missed)
	} else {
		o, err := checklist.ParseOffset(j.r.Offset)
		if err != nil {
			res.err = fmt.Errorf("read reminder %q: %w", j.r.Key, err)
			return res
		}
		msg := ReminderText(view, o, now)
		m.Text = msg.Text
		if msg.Snooze && len(msg.Text) < 2900 {
			m.Blocks = snoozeBlocks(msg.Text, j.g.ID)
		}
		m.Broadcast = reminders.KindOf(o) == reminders.TDay
	}
	ts, _, err := d.Slack.PostMessage(ctx, m)
	if err != nil {
		res.err = err
		res.retryAfter, _ = slackclient.RetryAfter(err)
		return res
	}
	res.sent = &store.SentReminder{Key: j.r.Key, SentAt: d.Clock.Now(), TS: ts, Late: j.late}
	return d.afterPost(ctx, j, res, &view)
}

var lockSeq atomic.Int64

var errLeaseEnding = errors.New("the reminder's lease ends before it could be posted")

// afterPost folds a catch-up's missed occurrences and, given the view the
// message was rendered from, edits the thread's parent when the go-live's
// progress or phase changed.
func (d *Dispatcher) afterPost(ctx context.Context, j job, res result, view *View) result {
	if j.kind == postCatchUp {
		// The catch-up stands for its occurrences, the claimed one
		// included: they are folded, not marked sent. If folding fails
		// they are claimed again and the catch-up is found by its key.
		res.sent = nil
		now := d.Clock.Now()
		folded, err := d.Store.FoldMissedReminders(ctx, j.g.ID, d.Owner, now, now.Add(-j.settings.Grace))
		if err != nil {
			d.Logger.Error("fold missed reminders into the catch-up", "golive", j.g.ID, "err", err)
		}
		for range folded {
			d.count("missed")
		}
	}
	if view != nil {
		if err := d.updateParent(ctx, *view); err != nil {
			d.Logger.Warn("update the go-live's thread", "golive", j.g.ID, "err", err)
		}
	}
	return res
}

// missedOf lists the go-live's pending occurrences past the grace period.
func (d *Dispatcher) missedOf(ctx context.Context, g store.GoLive, now time.Time, grace time.Duration) ([]store.Reminder, error) {
	all, err := d.Store.ListReminders(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	var out []store.Reminder
	for _, r := range all {
		if r.State == store.ReminderPending && reminders.Classify(r.DueAt, now, g.CreatedAt, grace) == reminders.Missed {
			out = append(out, r)
		}
	}
	return out, nil
}

// view loads what a go-live's messages show.
func (d *Dispatcher) view(ctx context.Context, g store.GoLive, s Settings) (View, error) {
	items, err := d.Store.Items(ctx, g.ID)
	if err != nil {
		return View{}, err
	}
	loc := time.UTC
	if l, err := time.LoadLocation(g.Timezone); err == nil {
		loc = l
	}
	return View{
		GoLive: g, Location: loc, Readiness: checklist.Evaluate(s.Template, g.At.In(loc), tracking.Tasks(items)),
		IssueURL: d.IssueURL(g.Repo, g.IssueNumber), Escalation: s.Escalation,
		Mention: func(owner string) string { return Mention(owner, s.SlackID) },
	}, nil
}

// Mention renders a GitHub owner for Slack: a mention when slackID maps it
// (a user id U…/W…, or a user group S…), escaped text otherwise.
func Mention(owner string, slackID func(string) (string, bool)) string {
	if slackID != nil {
		if id, ok := slackID(owner); ok {
			if len(id) > 0 && id[0] == 'S' {
				return "<!subteam^" + id + ">"
			}
			return "<@" + id + ">"
		}
	}
	return slackclient.EscapeText(owner)
}

// ensureThread posts the go-live's parent message unless it exists. An
// earlier attempt that may have posted it is looked up by its metadata
// first, so the parent is posted once.
func (d *Dispatcher) ensureThread(ctx context.Context, g store.GoLive, s Settings) error {
	if _, ok := d.thread(g); ok {
		return nil
	}
	// Another process may be posting this go-live's parent right now; the
	// lock makes the look-ups below see its result.
	lock, owner := "slack-thread:"+strconv.FormatInt(g.ID, 10), d.Owner+"/"+strconv.FormatInt(lockSeq.Add(1), 10)
	ok, err := d.Store.TryLock(ctx, lock, owner, d.Clock.Now(), time.Minute)
	if err != nil {
		return err
	}
	if !ok {
		return errNoThread
	}
	defer d.Store.Unlock(context.WithoutCancel(ctx), lock, owner) //nolint:errcheck // it expires anyway
	fresh, err := d.Store.GetGoLiveByID(ctx, g.ID)
	if err != nil {
		return err
	}
	if fresh.SlackThreadTS != "" {
		d.setThread(g.ID, thread{fresh.SlackChannel, fresh.SlackChannelID, fresh.SlackThreadTS})
		return nil
	}
	attempts, err := d.Store.BeginSlackThread(ctx, g.ID)
	if err != nil {
		return err
	}
	view, err := d.view(ctx, fresh, s)
	if err != nil {
		return err
	}
	text := ParentText(view, d.Clock.Now())
	id := strconv.FormatInt(g.ID, 10)
	if attempts > 1 {
		channelID, err := d.Slack.ResolveChannel(ctx, fresh.SlackChannel)
		if err != nil {
			return err
		}
		ts, found, err := d.Slack.FindByMetadata(ctx, channelID, "", ThreadEvent, "golive", id)
		if err != nil {
			return err
		}
		if found {
			d.setThread(g.ID, thread{fresh.SlackChannel, channelID, ts})
			return d.Store.SetSlackThread(ctx, g.ID, channelID, ts, "")
		}
	}
	ts, channelID, err := d.Slack.PostMessage(ctx, slackclient.Message{Channel: fresh.SlackChannel, Text: text,
		Metadata: &slackclient.Metadata{EventType: ThreadEvent, Payload: map[string]any{"golive": id}}})
	if err != nil {
		return err
	}
	d.setThread(g.ID, thread{fresh.SlackChannel, channelID, ts})
	if fresh.SlackNote != "" {
		if err := d.Store.SetSlackNote(ctx, g.ID, ""); err != nil {
			return err
		}
	}
	return d.Store.SetSlackThread(ctx, g.ID, channelID, ts, text)
}

// updateParent edits the parent of view's go-live when its text changed.
func (d *Dispatcher) updateParent(ctx context.Context, view View) error {
	g := view.GoLive
	t, ok := d.thread(g)
	if !ok {
		return nil
	}
	text := ParentText(view, d.Clock.Now())
	d.mu.Lock()
	last, known := d.parents[g.ID]
	d.mu.Unlock()
	if !known {
		last = g.SlackParentText
	}
	if text == last {
		return nil
	}
	if err := d.Slack.UpdateMessage(ctx, t.channel, t.ts, slackclient.Message{Text: text}); err != nil {
		return err
	}
	d.mu.Lock()
	d.parents[g.ID] = text
	d.mu.Unlock()
	return d.Store.SetSlackParentText(ctx, g.ID, text)
}

// RefreshThread edits a go-live's thread parent to its current progress;
// tracking calls it when the checklist changed. A go-live without a thread
// is left alone.
func (d *Dispatcher) RefreshThread(ctx context.Context, goliveID int64) error {
	d.once.Do(d.defaults)
	g, err := d.Store.GetGoLiveByID(ctx, goliveID)
	if err != nil || g.SlackThreadTS == "" {
		return err
	}
	d.setThread(g.ID, thread{g.SlackChannel, g.SlackChannelID, g.SlackThreadTS})
	view, err := d.view(ctx, g, d.settingsFor(ctx, g))
	if err != nil {
		return err
	}
	return d.updateParent(ctx, view)
}

// settleFailure decides what a failed post means for its occurrence.
func (d *Dispatcher) settleFailure(ctx context.Context, j job, err error, now time.Time) {
	r := j.r
	switch {
	case errors.Is(err, errLeaseEnding):
		d.settle(ctx, "release a reminder whose lease ends", r, func() error { return d.Store.RetryReminder(ctx, r.Key, d.Owner, now, err.Error()) })
	case errors.Is(err, errNoThread):
		wait := min(time.Duration(r.Attempts)*time.Second, time.Minute)
		d.settle(ctx, "wait for the go-live's thread", r, func() error {
			return d.Store.RetryReminder(ctx, r.Key, d.Owner, now.Add(wait), err.Error())
		})
	case slackclient.IsPermanent(err) && slackclient.ErrorCode(err) != "invalid_auth" && slackclient.ErrorCode(err) != "token_revoked":
		d.Logger.Error("Slack refused a reminder", "key", r.Key, "slack_error", slackclient.ErrorCode(err), "err", err)
		d.settle(ctx, "fail a reminder Slack refused", r, func() error { return d.Store.FailReminder(ctx, r.Key, d.Owner, err.Error()) })
		d.count("failed")
		d.noteSlackError(ctx, j.g, err)
	default:
		// Transient, or a token problem an operator can fix: try again.
		backoff := min(time.Duration(1<<min(r.Attempts, 6))*time.Second, time.Minute)
		d.Logger.Warn("reminder not sent; retrying", "key", r.Key, "in", backoff, "slack_error", slackclient.ErrorCode(err), "err", err)
		d.settle(ctx, "retry a reminder", r, func() error { return d.Store.RetryReminder(ctx, r.Key, d.Owner, now.Add(backoff), err.Error()) })
		if slackclient.IsPermanent(err) {
			d.noteSlackError(ctx, j.g, err)
		}
	}
}

// noteSlackError records why Slack refused a go-live's messages, for its
// tracker comment.
func (d *Dispatcher) noteSlackError(ctx context.Context, g store.GoLive, err error) {
	if !slackclient.IsPermanent(err) {
		return
	}
	note := SlackNote(g.SlackChannel, slackclient.ErrorCode(err))
	if err := d.Store.SetSlackNote(context.WithoutCancel(ctx), g.ID, note); err != nil {
		d.Logger.Error("record the go-live's Slack problem", "golive", g.ID, "err", err)
		return
	}
	d.changed(g.ID)
}

// changed tells Changed about a go-live, off the dispatcher's goroutine;
// when the notices back up, this one is dropped (the next one covers it).
func (d *Dispatcher) changed(goliveID int64) {
	if d.Changed == nil {
		return
	}
	select {
	case d.changes <- goliveID:
	default:
		d.Logger.Warn("tracker updates backed up; skipping one", "golive", goliveID)
	}
}

// SlackNote explains a Slack error code to the people on the issue.
func SlackNote(channel, code string) string {
	switch code {
	case "channel_not_found":
		return fmt.Sprintf("Slack cannot find the channel `%s` (`channel_not_found`): check the name, and invite the golive app if it is private.", channel)
	case "not_in_channel":
		return fmt.Sprintf("golive is not a member of `%s` (`not_in_channel`): invite it with `/invite @golive` in that channel.", channel)
	case "is_archived":
		return fmt.Sprintf("The channel `%s` is archived (`is_archived`): choose another channel.", channel)
	case "invalid_auth", "token_revoked", "not_authed", "account_inactive":
		return fmt.Sprintf("Slack refused golive's token (`%s`): the operator must set a valid SLACK_BOT_TOKEN. Reminders are retried.", code)
	case "":
		return "Slack refused golive's message."
	}
	return fmt.Sprintf("Slack refused golive's message to `%s` (`%s`).", channel, code)
}

func (d *Dispatcher) settle(ctx context.Context, activity string, r store.Reminder, fn func() error) {
	if err := fn(); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		d.Logger.Error(activity, "key", r.Key, "err", err)
	}
}

func (d *Dispatcher) count(outcome string) {
	if d.Metrics != nil {
		d.Metrics.Reminders.WithLabelValues(outcome).Inc()
	}
}

func (d *Dispatcher) observeSent(j job, s *store.SentReminder) {
	if j.kind == postStart {
		return // it opened the thread; no reminder went out
	}
	if j.late {
		d.count("late")
	} else {
		d.count("sent")
	}
	if d.Metrics != nil && j.kind == postReminder {
		d.Metrics.ReminderLatenessSeconds.Observe(max(s.SentAt.Sub(j.r.DueAt), 0).Seconds())
	}
}

// Snooze limits: each press delays the go-live's next non-critical reminder
// by SnoozeBy, at most MaxSnoozes times per go-live.
const (
	SnoozeBy   = time.Hour
	MaxSnoozes = 3
)

// snoozable are the kinds a snooze may delay: never the T-day steps or the
// first post-launch hours.
var snoozable = []string{reminders.Countdown.String(), reminders.Stabilization.String(), reminders.Daily.String()}

// Snooze delays the go-live's next non-critical reminder by SnoozeBy for
// the Slack user who asked, records it in the audit log, and says what
// happened.
func (d *Dispatcher) Snooze(ctx context.Context, goliveID int64, slackUser string) (string, error) {
	d.once.Do(d.defaults)
	now := d.Clock.Now()
	r, n, err := d.Store.SnoozeNextReminder(ctx, goliveID, now, SnoozeBy, MaxSnoozes, snoozable)
	switch {
	case errors.Is(err, store.ErrSnoozeLimit):
		return fmt.Sprintf("This go-live's reminders were snoozed %d times already; that is the limit.", MaxSnoozes), nil
	case errors.Is(err, store.ErrNotFound):
		return "There is no upcoming reminder to snooze: the T-day steps and the first hours after launch are never snoozed.", nil
	case err != nil:
		return "", err
	}
	if _, err := d.Store.AppendAudit(ctx, []store.AuditEntry{{GoLiveID: goliveID, At: now, Actor: "slack:" + slackUser,
		Action: "snooze", Detail: fmt.Sprintf("%s moved to %s", r.Offset, r.DueAt.UTC().Format(time.RFC3339)),
		DedupKey: fmt.Sprintf("snooze:%s:%d", r.Key, n)}}); err != nil {
		return "", err
	}
	d.changed(goliveID)
	return fmt.Sprintf("Snoozed: the %s reminder now comes at <!date^%d^{date_short_pretty} {time}|%s> (%d of %d snoozes used).",
		r.Offset, r.DueAt.Unix(), r.DueAt.UTC().Format("2006-01-02 15:04 UTC"), n, MaxSnoozes), nil
}
