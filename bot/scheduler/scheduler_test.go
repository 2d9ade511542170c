package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/reminders"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

// shiftedClock is the wall clock moved by an offset a test can change, so a
// due time can be reached without waiting for it.
type shiftedClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *shiftedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *shiftedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

type rig struct {
	st      store.Store
	slack   *fakeslack.Server
	client  *slackclient.Client
	clock   *shiftedClock
	metrics *metrics.Metrics
	logs    *strings.Builder
	logMu   sync.Mutex
}

func newRig(t *testing.T, st store.Store) *rig {
	t.Helper()
	clk := &shiftedClock{}
	sl := fakeslack.New(fakeslack.Options{T: t, Clock: clk, Channels: []fakeslack.Channel{
		{ID: "CDEPLOYS", Name: "deploys", Member: true},
		{ID: "CRELEASE", Name: "release", Member: true},
		{ID: "COUTSIDE", Name: "outside", Member: false},
	}})
	return &rig{st: st, slack: sl, clock: clk, metrics: metrics.New(), logs: &strings.Builder{},
		client: slackclient.New(slackclient.Config{Token: sl.Token(), APIURL: sl.APIURL(), Clock: clk})}
}

func (r *rig) Write(p []byte) (int, error) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.logs.Write(p)
}

func (r *rig) dispatcher(owner string) *scheduler.Dispatcher {
	return &scheduler.Dispatcher{Store: r.st, Slack: r.client, Clock: r.clock, Owner: owner, Metrics: r.metrics,
		Logger: slog.New(slog.NewTextHandler(r, nil)), Poll: 20 * time.Millisecond}
}

// run runs d until the test ends (or stop is called) and returns stop.
func (r *rig) run(t *testing.T, d *scheduler.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// goLive stores an active go-live at at, with the default checklist's items
// (none ticked) and owners.
func (r *rig) goLive(t *testing.T, number int, channel string, at time.Time) store.GoLive {
	t.Helper()
	ctx := context.Background()
	g, _, err := r.st.UpsertGoLive(ctx, store.GoLive{InstallationID: 1, RepoID: 10, Repo: "acme/api", IssueNumber: number,
		State: store.GoLiveActive, Environment: "production", At: at.UTC(), Timezone: "Europe/Berlin", SlackChannel: channel}, r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var items []store.Item
	for _, p := range checklist.Default().Phases {
		for _, it := range p.Items {
			items = append(items, store.Item{ID: it.ID, Phase: p.Name, Text: it.Text, Owner: it.Owner, Required: it.Required})
		}
	}
	if _, err := r.st.SaveItems(ctx, g.ID, items, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return g
}

// schedule stores g's occurrences at offsets.
func (r *rig) schedule(t *testing.T, g store.GoLive, offsets ...string) {
	t.Helper()
	var os []checklist.Offset
	for _, o := range offsets {
		os = append(os, checklist.MustParseOffset(o))
	}
	var add []store.Reminder
	for _, o := range reminders.Schedule(fmt.Sprint(g.ID), g.At, os, checklist.Default(), reminders.Rules{}) {
		add = append(add, store.Reminder{Key: o.Key, GoLiveID: g.ID, Offset: o.Offset.String(), Kind: o.Kind.String(), DueAt: o.Due, Phases: o.Phases})
	}
	if _, _, _, err := r.st.ApplyReminderChanges(context.Background(), g.ID, store.ReminderChanges{Add: add}); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) reminder(t *testing.T, key string) store.Reminder {
	t.Helper()
	var goliveID int64
	fmt.Sscanf(key, "%d@", &goliveID)
	rs, err := r.st.ListReminders(context.Background(), goliveID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rs {
		if x.Key == key {
			return x
		}
	}
	t.Fatalf("no reminder %q", key)
	return store.Reminder{}
}

// posts returns the messages in channel carrying metadata key.
func (r *rig) posts(channel, key string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range r.slack.Messages(channel) {
		if m.Metadata != nil && m.Metadata.EventPayload["key"] == key {
			out = append(out, m)
		}
	}
	return out
}

func (r *rig) parents(channel string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range r.slack.Messages(channel) {
		if m.Metadata != nil && m.Metadata.EventType == scheduler.ThreadEvent {
			out = append(out, m)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool, show ...*rig) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			for _, r := range show {
				r.logMu.Lock()
				t.Logf("dispatcher log:\n%s", r.logs)
				r.logMu.Unlock()
				for _, m := range r.slack.Messages("CDEPLOYS") {
					t.Logf("slack: %s %q", m.TS, m.Text)
				}
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A go-live whose T-20m falls 30 s after it was created: the reminder comes
// once, at its time, in the go-live's thread, listing its phase's open items.
func TestReminderArrivesOnceInTheThread(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	at := r.clock.Now().Add(20*time.Minute + 30*time.Second)
	g := r.goLive(t, 7, "#deploys", at)
	r.schedule(t, g, "T-20m", "T-10m")
	r.run(t, r.dispatcher("a"))

	key := fmt.Sprintf("%d@T-20m", g.ID)
	time.Sleep(300 * time.Millisecond)
	if n := len(r.posts("CDEPLOYS", key)); n != 0 {
		t.Fatalf("the T-20m reminder was posted %d times 30 s early", n)
	}
	r.clock.Advance(30 * time.Second)
	waitFor(t, "the T-20m reminder", 5*time.Second, func() bool { return r.reminder(t, key).State == store.ReminderSent })
	time.Sleep(200 * time.Millisecond)

	parents := r.parents("CDEPLOYS")
	posts := r.posts("CDEPLOYS", key)
	if len(parents) != 1 || len(posts) != 1 {
		t.Fatalf("%d thread parents and %d T-20m reminders, want 1 and 1", len(parents), len(posts))
	}
	p, m := parents[0], posts[0]
	if !strings.Contains(p.Text, "Go-live: <https://github.com/acme/api/issues/7|acme/api#7> → production at <!date^") {
		t.Fatalf("thread parent: %s", p.Text)
	}
	if m.ThreadTS != p.TS || !m.Broadcast {
		t.Fatalf("the T-20m reminder is not a broadcast reply in the go-live's thread: thread %q (parent %q), broadcast %v", m.ThreadTS, p.TS, m.Broadcast)
	}
	var migration checklist.Phase
	for _, ph := range checklist.Default().Phases {
		if ph.Offset.String() == "T-20m" {
			migration = ph
		}
	}
	for _, it := range migration.Items {
		if it.Required && !strings.Contains(m.Text, slackclient.EscapeText(it.Text)) {
			t.Errorf("the reminder does not list the open required item %q:\n%s", it.Text, m.Text)
		}
	}
	if !strings.Contains(m.Text, migration.Name) {
		t.Errorf("the reminder does not name its phase %q:\n%s", migration.Name, m.Text)
	}
	got := r.reminder(t, key)
	if got.SlackTS != m.TS || got.Late {
		t.Fatalf("stored reminder: ts %q late %v, want ts %q on time", got.SlackTS, got.Late, m.TS)
	}
	if lateness := r.clock.Now().Sub(got.DueAt); lateness > 5*time.Second {
		t.Fatalf("sent %s after its due time", lateness)
	}
	if n := testutil.ToFloat64(r.metrics.Reminders.WithLabelValues("sent")); n != 1 {
		t.Fatalf("golive_reminders_total{outcome=\"sent\"} = %v, want 1", n)
	}
	if n := testutil.CollectAndCount(r.metrics.ReminderLatenessSeconds); n != 1 {
		t.Fatalf("lateness histogram has %d series", n)
	}
}

// A finished phase gets a one-line ✅ instead of a list.
func TestDonePhaseGetsOneLine(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	at := r.clock.Now().Add(20*time.Minute + time.Second)
	g := r.goLive(t, 8, "#deploys", at)
	items, _ := r.st.Items(context.Background(), g.ID)
	for i := range items {
		if items[i].Phase == "Database migration" {
			items[i].Checked = true
		}
	}
	if _, err := r.st.SaveItems(context.Background(), g.ID, items, r.clock.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	r.schedule(t, g, "T-20m")
	r.run(t, r.dispatcher("a"))
	key := fmt.Sprintf("%d@T-20m", g.ID)
	waitFor(t, "the T-20m reminder", 5*time.Second, func() bool { return len(r.posts("CDEPLOYS", key)) == 1 })
	text := r.posts("CDEPLOYS", key)[0].Text
	if !strings.Contains(text, "✅ Database migration is done.") || strings.Contains(text, "•") {
		t.Fatalf("a done phase's reminder:\n%s", text)
	}
}

// failingMarks makes marking reminders sent fail, as if the process died
// right after posting them.
type failingMarks struct {
	store.Store
}

func (f failingMarks) MarkRemindersSent(context.Context, string, []store.SentReminder) ([]string, error) {
	return nil, errors.New("the process died before it could mark")
}

// A claimer that dies between posting and marking: the next claimer finds
// the message by its metadata and marks it, never posting it again.
func TestCrashBetweenPostAndMarkPostsOnce(t *testing.T) {
	st := storetest.SQLite(t)
	r := newRig(t, st)
	g := r.goLive(t, 9, "#deploys", r.clock.Now().Add(10*time.Minute+time.Second))
	r.schedule(t, g, "T-10m")
	key := fmt.Sprintf("%d@T-10m", g.ID)

	first := r.dispatcher("dies")
	first.Store = failingMarks{st}
	first.Lease = 15 * time.Second
	stop := r.run(t, first)
	waitFor(t, "the first post", 5*time.Second, func() bool { return len(r.posts("CDEPLOYS", key)) == 1 })
	stop()
	if got := r.reminder(t, key); got.State != store.ReminderPending {
		t.Fatalf("reminder %s after a failed mark, want pending", got.State)
	}

	r.clock.Advance(16 * time.Second) // the dead claimer's lease ends
	r.run(t, r.dispatcher("next"))
	waitFor(t, "the reminder to be marked sent", 5*time.Second, func() bool { return r.reminder(t, key).State == store.ReminderSent })
	if n := len(r.posts("CDEPLOYS", key)); n != 1 {
		t.Fatalf("reminder posted %d times across the crash, want 1", n)
	}
	if got := r.reminder(t, key); got.Attempts != 2 || got.SlackTS != r.posts("CDEPLOYS", key)[0].TS {
		t.Fatalf("reminder after recovery: attempts %d ts %q", got.Attempts, got.SlackTS)
	}
	if n := len(r.parents("CDEPLOYS")); n != 1 {
		t.Fatalf("%d thread parents, want 1", n)
	}
}

// A 429 with Retry-After 2 on one channel holds back that channel only.
func TestRateLimitDelaysOnlyThatChannel(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	now := r.clock.Now()
	var slow, fast []string
	for i := range 3 {
		g1 := r.goLive(t, 100+i, "#deploys", now.Add(10*time.Minute+time.Duration(i+1)*time.Second))
		g2 := r.goLive(t, 200+i, "#release", now.Add(10*time.Minute+time.Duration(i+1)*time.Second))
		r.schedule(t, g1, "T-10m")
		r.schedule(t, g2, "T-10m")
		slow = append(slow, fmt.Sprintf("%d@T-10m", g1.ID))
		fast = append(fast, fmt.Sprintf("%d@T-10m", g2.ID))
	}
	// The first post to #deploys (a thread parent) gets the 429.
	start := time.Now()
	r.slack.RateLimit(fakeslack.RateLimit{Method: "chat.postMessage", Channel: "CDEPLOYS", Times: 1, RetryAfter: 2 * time.Second})
	r.run(t, r.dispatcher("a"))
	waitFor(t, "#release's reminders", 10*time.Second, func() bool {
		for _, k := range fast {
			if len(r.posts("CRELEASE", k)) != 1 {
				return false
			}
		}
		return true
	})
	releaseDone := time.Since(start)
	waitFor(t, "#deploys' reminders", 15*time.Second, func() bool {
		for _, k := range slow {
			if len(r.posts("CDEPLOYS", k)) != 1 {
				return false
			}
		}
		return true
	})
	deploysDone := time.Since(start)
	t.Logf("#release done after %s, #deploys after %s", releaseDone, deploysDone)
	// Six messages per channel (3 parents, 3 replies) at one per second take
	// about 5 s; the 429 adds its 2 s to #deploys only.
	if deploysDone < releaseDone+time.Second {
		t.Fatalf("#deploys (429, Retry-After 2) finished after %s, #release after %s: the wait did not fall on #deploys", deploysDone, releaseDone)
	}
	// One message per second per channel, measured at Slack; #deploys
	// waited out the Retry-After once, #release never waited that long
	// (gaps measured per channel, so a slow machine does not blur them).
	maxGap := map[string]time.Duration{}
	for _, ch := range []string{"CDEPLOYS", "CRELEASE"} {
		var last, lastAny time.Time
		for _, c := range r.slack.Calls() {
			if c.Method != "chat.postMessage" || (c.Params.Get("channel") != ch && c.Params.Get("channel") != "#"+strings.ToLower(map[string]string{"CDEPLOYS": "deploys", "CRELEASE": "release"}[ch])) {
				continue
			}
			if !lastAny.IsZero() {
				maxGap[ch] = max(maxGap[ch], c.Time.Sub(lastAny))
			}
			lastAny = c.Time
			if !c.OK {
				continue
			}
			if !last.IsZero() && c.Time.Sub(last) < 900*time.Millisecond {
				t.Fatalf("two posts to %s %s apart", ch, c.Time.Sub(last))
			}
			last = c.Time
		}
	}
	// #deploys' gap after the 429 spans the Retry-After: at least 2 s.
	// #release's gaps are its pace.
	if maxGap["CDEPLOYS"] < 2*time.Second || maxGap["CRELEASE"] >= 2*time.Second {
		t.Fatalf("longest gap between posts: #deploys %s (want ≥ 2 s, the Retry-After), #release %s (want < 2 s)",
			maxGap["CDEPLOYS"], maxGap["CRELEASE"])
	}
}

// Slack refusing a channel becomes a failed reminder and a note for the
// tracker, not a silent loss.
func TestSlackRefusalBecomesANote(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	g := r.goLive(t, 11, "#outside", r.clock.Now().Add(10*time.Minute+time.Second))
	r.schedule(t, g, "T-10m")
	d := r.dispatcher("a")
	var changed sync.Map
	d.Changed = func(_ context.Context, id int64) { changed.Store(id, true) }
	r.run(t, d)
	key := fmt.Sprintf("%d@T-10m", g.ID)
	waitFor(t, "the reminder to fail", 5*time.Second, func() bool { return r.reminder(t, key).State == store.ReminderFailed })
	got, err := r.st.GetGoLiveByID(context.Background(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.SlackNote, "not_in_channel") || !strings.Contains(got.SlackNote, "/invite") {
		t.Fatalf("Slack note: %q", got.SlackNote)
	}
	waitFor(t, "the tracker to be told", 2*time.Second, func() bool { _, ok := changed.Load(g.ID); return ok })
}

// After downtime: a reminder missed by less than the grace period is sent
// late; older ones fold into one catch-up message.
func TestDowntimeCatchUp(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	now := r.clock.Now()
	// Created two hours ago; golive was down since. T-1h was 70 min ago,
	// T-30m 40 min ago, T-20m 30 min ago (missed); T-10m 5 min ago (late).
	r.clock.Advance(-2 * time.Hour)
	g := r.goLive(t, 12, "#deploys", now.Add(5*time.Minute))
	r.schedule(t, g, "T-1h", "T-30m", "T-20m", "T-10m", "T+10m")
	r.clock.Advance(2 * time.Hour)
	r.run(t, r.dispatcher("a"))

	late := fmt.Sprintf("%d@T-10m", g.ID)
	waitFor(t, "the late reminder", 5*time.Second, func() bool { return r.reminder(t, late).State == store.ReminderSent }, r)
	waitFor(t, "the catch-up", 5*time.Second, func() bool {
		return r.reminder(t, fmt.Sprintf("%d@T-1h", g.ID)).State == store.ReminderMissed
	})
	if got := r.reminder(t, late); !got.Late {
		t.Fatalf("the T-10m reminder, 5 min late, is not marked late")
	}
	var catchUps []fakeslack.Message
	for _, m := range r.slack.Messages("CDEPLOYS") {
		if strings.HasPrefix(m.Text, "*Catch-up*") {
			catchUps = append(catchUps, m)
		}
	}
	if len(catchUps) != 1 {
		t.Fatalf("%d catch-up messages, want 1", len(catchUps))
	}
	for _, o := range []string{"T-1h", "T-30m", "T-20m"} {
		if !strings.Contains(catchUps[0].Text, o) {
			t.Errorf("catch-up does not mention %s:\n%s", o, catchUps[0].Text)
		}
		if s := r.reminder(t, fmt.Sprintf("%d@%s", g.ID, o)).State; s != store.ReminderMissed {
			t.Errorf("%s is %s, want missed", o, s)
		}
		if n := len(r.posts("CDEPLOYS", fmt.Sprintf("%d@%s", g.ID, o))); n != 0 {
			t.Errorf("%s was posted on its own %d times", o, n)
		}
	}
	if s := r.reminder(t, fmt.Sprintf("%d@T+10m", g.ID)).State; s != store.ReminderPending {
		t.Errorf("T+10m, not due yet, is %s", s)
	}
	// The default template's phases add T-2h (missed too) and T-7d, T-3d,
	// T-1d, which were past when the go-live was created (skipped).
	for outcome, want := range map[string]float64{"late": 1, "missed": 4, "sent": 0, "skipped": 3} {
		if got := testutil.ToFloat64(r.metrics.Reminders.WithLabelValues(outcome)); got != want {
			t.Errorf("golive_reminders_total{outcome=%q} = %v, want %v", outcome, got, want)
		}
	}
}

// Snoozing delays the next non-critical reminder by an hour, at most three
// times, and never a T-day step.
func TestSnooze(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	g := r.goLive(t, 13, "#deploys", r.clock.Now().Add(8*24*time.Hour))
	r.schedule(t, g, "T-7d", "T-3d", "T-2h")
	d := r.dispatcher("a")
	ctx := context.Background()
	before := r.reminder(t, fmt.Sprintf("%d@T-7d", g.ID)).DueAt
	for i := 1; i <= 3; i++ {
		text, err := d.Snooze(ctx, g.ID, "U1")
		if err != nil || !strings.Contains(text, fmt.Sprintf("(%d of 3 snoozes used)", i)) {
			t.Fatalf("snooze %d: %q, %v", i, text, err)
		}
	}
	if got := r.reminder(t, fmt.Sprintf("%d@T-7d", g.ID)).DueAt; !got.Equal(before.Add(3 * time.Hour)) {
		t.Fatalf("T-7d due %s after three snoozes, want %s", got, before.Add(3*time.Hour))
	}
	text, err := d.Snooze(ctx, g.ID, "U1")
	if err != nil || !strings.Contains(text, "limit") {
		t.Fatalf("fourth snooze: %q, %v", text, err)
	}
	audit, _ := r.st.Audit(ctx, g.ID)
	n := 0
	for _, a := range audit {
		if a.Action == "snooze" && a.Actor == "slack:U1" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d snoozes audited, want 3", n)
	}
	if got := r.reminder(t, fmt.Sprintf("%d@T-2h", g.ID)); !got.DueAt.Equal(g.At.Add(-2 * time.Hour)) {
		t.Fatalf("the T-day step T-2h moved to %s", got.DueAt)
	}
}

// A go-live's start occurrence opens its thread at once, long before its
// first reminder, and posts nothing else.
func TestStartOpensTheThread(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	g := r.goLive(t, 14, "#deploys", r.clock.Now().Add(10*24*time.Hour))
	start := store.Reminder{Key: reminders.StartKey(fmt.Sprint(g.ID)), GoLiveID: g.ID, Offset: reminders.StartOffset,
		Kind: reminders.StartOffset, DueAt: r.clock.Now()}
	if _, _, _, err := r.st.ApplyReminderChanges(context.Background(), g.ID, store.ReminderChanges{Add: []store.Reminder{start}}); err != nil {
		t.Fatal(err)
	}
	r.schedule(t, g, "T-7d")
	r.run(t, r.dispatcher("a"))
	waitFor(t, "the start occurrence", 5*time.Second, func() bool { return r.reminder(t, start.Key).State == store.ReminderSent }, r)
	parents := r.parents("CDEPLOYS")
	if len(parents) != 1 || len(r.slack.Messages("CDEPLOYS")) != 1 {
		t.Fatalf("%d parents and %d messages in the channel, want the one parent", len(parents), len(r.slack.Messages("CDEPLOYS")))
	}
	if got := r.reminder(t, start.Key); got.SlackTS != parents[0].TS {
		t.Fatalf("start occurrence recorded ts %q, the parent is %q", got.SlackTS, parents[0].TS)
	}
	if s := r.reminder(t, fmt.Sprintf("%d@T-7d", g.ID)).State; s != store.ReminderPending {
		t.Fatalf("T-7d, three days away, is %s", s)
	}
}

// A go-live moved to another channel gets a new thread there, even from a
// dispatcher that remembers the old one; the old thread is left as it was.
func TestChannelChangeOpensANewThread(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	ctx := context.Background()
	g := r.goLive(t, 15, "#deploys", r.clock.Now().Add(20*time.Minute+time.Second))
	r.schedule(t, g, "T-20m", "T-10m")
	d := r.dispatcher("a")
	stop := r.run(t, d)
	first := fmt.Sprintf("%d@T-20m", g.ID)
	waitFor(t, "the T-20m reminder", 5*time.Second, func() bool { return r.reminder(t, first).State == store.ReminderSent })
	stop()

	// What tracking does when the form names another channel.
	g.SlackChannel = "#release"
	if _, _, err := r.st.UpsertGoLive(ctx, g, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := r.st.SetSlackThread(ctx, g.ID, "", "", ""); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(10 * time.Minute)
	r.run(t, d) // it remembers the old thread; the channel tells it apart
	second := fmt.Sprintf("%d@T-10m", g.ID)
	waitFor(t, "the T-10m reminder", 5*time.Second, func() bool { return r.reminder(t, second).State == store.ReminderSent }, r)
	parents := r.parents("CRELEASE")
	posts := r.posts("CRELEASE", second)
	if len(parents) != 1 || len(posts) != 1 || posts[0].ThreadTS != parents[0].TS {
		t.Fatalf("#release: %d parents, %d T-10m replies (want one reply in one new thread)", len(parents), len(posts))
	}
	if n := len(r.slack.Messages("CDEPLOYS")); n != 2 {
		t.Fatalf("#deploys has %d messages, want its parent and the T-20m reply only", n)
	}
}

// Reminders beyond a channel's MaxLane go back to the store unattempted:
// each reaches Slack once, and none is looked up in Slack first as if an
// earlier claim might have posted it.
func TestFullLaneReleasesWithoutLookups(t *testing.T) {
	r := newRig(t, storetest.SQLite(t))
	at := r.clock.Now().Add(45 * time.Minute)
	g := r.goLive(t, 9, "#deploys", at)
	offsets := []string{"T-42m", "T-40m", "T-38m", "T-36m", "T-34m", "T-32m", "T-30m"}
	r.schedule(t, g, offsets...)
	// All seven due at once, each within the grace: seven posts for one
	// channel whose lane holds two.
	r.clock.Advance(16 * time.Minute)
	d := r.dispatcher("a")
	d.MaxLane = 2
	r.run(t, d)
	for _, o := range offsets {
		key := fmt.Sprintf("%d@%s", g.ID, o)
		waitFor(t, "reminder "+key, 20*time.Second, func() bool { return r.reminder(t, key).State != store.ReminderPending })
	}
	for _, o := range offsets {
		key := fmt.Sprintf("%d@%s", g.ID, o)
		if n := len(r.posts("CDEPLOYS", key)); n != 1 {
			t.Fatalf("%s posted %d times (state %s)", key, n, r.reminder(t, key).State)
		}
	}
	if n := r.slack.CallCount("conversations.replies"); n != 0 {
		t.Fatalf("%d conversations.replies look-ups for reminders released from a full lane", n)
	}
}
