package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// reminderByKey returns the go-live's reminder with key, failing the test
// when there is none.
func reminderByKey(t *testing.T, s store.Store, goliveID int64, key string) store.Reminder {
	t.Helper()
	list, err := s.ListReminders(t.Context(), goliveID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("go-live %d has no reminder %q", goliveID, key)
	return store.Reminder{}
}

func testReminderPhases(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(51, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := reminder(g.ID, "T-1d", t0.Add(time.Hour)), reminder(g.ID, "T-2h", t0.Add(2*time.Hour)), reminder(g.ID, "T-1h", t0.Add(3*time.Hour))
	a.Phases = []string{"Pre-launch", "Freeze check"}
	c.Phases = []string{"Sign-off"}
	if added, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{a, b, c}}); err != nil || added != 3 {
		t.Fatalf("add = %d, %v", added, err)
	}
	if got := reminderByKey(t, s, g.ID, a.Key).Phases; !slices.Equal(got, a.Phases) {
		t.Fatalf("phases of %s = %q, want %q", a.Key, got, a.Phases)
	}
	if got := reminderByKey(t, s, g.ID, b.Key).Phases; got != nil {
		t.Fatalf("phases of %s = %#v, want nil", b.Key, got)
	}
	claimed, err := s.ClaimDueReminders(ctx, "w", t0.Add(time.Hour), time.Minute, 10, 0)
	if err != nil || len(claimed) != 1 || !slices.Equal(claimed[0].Phases, a.Phases) {
		t.Fatalf("claim = %+v, %v; want %s with its phases", claimed, err, a.Key)
	}
	if err := s.MarkReminderSent(ctx, a.Key, "w", t0.Add(time.Hour), "ts", false); err != nil {
		t.Fatal(err)
	}

	// A move takes the new due time, kind and phases, but only of a
	// pending occurrence.
	moveA, moveB := a, b
	moveA.Phases, moveA.Kind = []string{"Changed"}, "golive"
	moveB.DueAt, moveB.Kind, moveB.Phases = b.DueAt.Add(time.Minute), "golive", []string{"Launch", "Smoke tests"}
	if _, moved, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Move: []store.Reminder{moveA, moveB}}); err != nil || moved != 1 {
		t.Fatalf("move = %d, %v; want only the pending one", moved, err)
	}
	if got := reminderByKey(t, s, g.ID, b.Key); !got.DueAt.Equal(moveB.DueAt) || got.Kind != "golive" || !slices.Equal(got.Phases, moveB.Phases) {
		t.Fatalf("moved reminder = %+v, want due %s, kind golive, phases %q", got, moveB.DueAt, moveB.Phases)
	}
	if got := reminderByKey(t, s, g.ID, a.Key); got.Kind != "countdown" || !slices.Equal(got.Phases, a.Phases) {
		t.Fatalf("sent reminder changed by a move: %+v", got)
	}
	// Moving the phases away leaves none.
	moveB.Phases = nil
	if _, moved, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Move: []store.Reminder{moveB}}); err != nil || moved != 1 {
		t.Fatalf("move = %d, %v", moved, err)
	}
	if got := reminderByKey(t, s, g.ID, b.Key).Phases; got != nil {
		t.Fatalf("phases after moving them away = %#v, want nil", got)
	}

	// A revived occurrence takes the phases it is added with.
	if _, _, n, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Cancel: []string{c.Key}}); err != nil || n != 1 {
		t.Fatalf("cancel = %d, %v", n, err)
	}
	c.Phases, c.Kind = []string{"Sign-off", "Go/no-go"}, "golive"
	if added, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{c}}); err != nil || added != 1 {
		t.Fatalf("revive = %d, %v", added, err)
	}
	if got := reminderByKey(t, s, g.ID, c.Key); got.State != store.ReminderPending || got.Kind != "golive" || !slices.Equal(got.Phases, c.Phases) {
		t.Fatalf("revived reminder = %+v, want kind golive, phases %q", got, c.Phases)
	}

	// A phase name that would not read back is refused, and nothing of the
	// changes is written.
	d := reminder(g.ID, "T+1h", t0.Add(4*time.Hour))
	for _, bad := range [][]string{{"two\nlines"}, {"ok", ""}} {
		bd := moveB
		bd.Phases = bad
		_, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{d}, Move: []store.Reminder{bd}})
		if err == nil {
			t.Fatalf("phases %q accepted", bad)
		}
	}
	if list, _ := s.ListReminders(ctx, g.ID); len(list) != 3 {
		t.Fatalf("a refused change wrote %d reminders, want the 3 there were", len(list))
	}
}

func testSlackColumns(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(52, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	if g.SlackChannelID != "" || g.SlackThreadTS != "" || g.SlackParentText != "" || g.SlackThreadAttempts != 0 || g.SlackNote != "" || g.Snoozes != 0 {
		t.Fatalf("a new go-live has Slack state: %+v", g)
	}
	for want := 1; want <= 3; want++ {
		if n, err := s.BeginSlackThread(ctx, g.ID); err != nil || n != want {
			t.Fatalf("BeginSlackThread = %d, %v; want %d", n, err, want)
		}
	}
	if err := s.SetSlackThread(ctx, g.ID, "C0123", "1700000000.000100", "Go-live acme/api#1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSlackNote(ctx, g.ID, "not_in_channel"); err != nil {
		t.Fatal(err)
	}
	check := func(what string, got store.GoLive, parent, note string) {
		t.Helper()
		if got.SlackChannelID != "C0123" || got.SlackThreadTS != "1700000000.000100" || got.SlackParentText != parent ||
			got.SlackThreadAttempts != 3 || got.SlackNote != note {
			t.Fatalf("%s: Slack state %q %q %q %d %q, want C0123 1700000000.000100 %q 3 %q", what,
				got.SlackChannelID, got.SlackThreadTS, got.SlackParentText, got.SlackThreadAttempts, got.SlackNote, parent, note)
		}
	}
	got, err := s.GetGoLiveByID(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	check("GetGoLiveByID", got, "Go-live acme/api#1", "not_in_channel")

	if err := s.SetSlackParentText(ctx, g.ID, "Go-live acme/api#1 — moved"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSlackNote(ctx, g.ID, ""); err != nil {
		t.Fatal(err)
	}
	// Every method returning a go-live returns the Slack state.
	got, err = s.GetGoLive(ctx, 52, 1)
	if err != nil {
		t.Fatal(err)
	}
	check("GetGoLive", got, "Go-live acme/api#1 — moved", "")
	list, err := s.ListGoLives(ctx, store.GoLiveActive)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListGoLives = %+v, %v", list, err)
	}
	check("ListGoLives", list[0], "Go-live acme/api#1 — moved", "")
	if err := s.ScheduleTracker(ctx, g.ID, t0, "body", time.Time{}); err != nil {
		t.Fatal(err)
	}
	claims, err := s.ClaimDueTrackers(ctx, "w", t0, time.Minute, 10)
	if err != nil || len(claims) != 1 {
		t.Fatalf("ClaimDueTrackers = %+v, %v", claims, err)
	}
	check("ClaimDueTrackers", claims[0].GoLive, "Go-live acme/api#1 — moved", "")

	// A snooze is counted on the go-live.
	r := reminder(g.ID, "T-1h", t0.Add(time.Hour))
	if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{r}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SnoozeNextReminder(ctx, g.ID, t0, time.Minute, 3, []string{"countdown"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSlackNote(ctx, g.ID, "channel_not_found"); err != nil {
		t.Fatal(err)
	}

	// UpsertGoLive leaves all of it alone, whatever its argument says.
	replan := newGoLive(52, 1)
	replan.At = replan.At.Add(time.Hour)
	replan.SlackChannel = "#elsewhere"
	replan.SlackChannelID, replan.SlackThreadTS, replan.SlackParentText = "C999", "1.2", "other"
	replan.SlackThreadAttempts, replan.SlackNote, replan.Snoozes = 9, "other", 9
	up, created, err := s.UpsertGoLive(ctx, replan, t0.Add(time.Minute))
	if err != nil || created {
		t.Fatalf("upsert = %v, %v", created, err)
	}
	if up.SlackChannel != "#elsewhere" || !up.At.Equal(replan.At) {
		t.Fatalf("upsert did not apply the plan: %+v", up)
	}
	check("UpsertGoLive", up, "Go-live acme/api#1 — moved", "channel_not_found")
	if up.Snoozes != 1 {
		t.Fatalf("Snoozes after an upsert = %d, want 1", up.Snoozes)
	}
	if got, _ := s.GetGoLiveByID(ctx, g.ID); got != up {
		t.Fatalf("GetGoLiveByID = %+v, want the upsert's %+v", got, up)
	}

	unknown := g.ID + 100
	_, err = s.BeginSlackThread(ctx, unknown)
	wantErrIs(t, "BeginSlackThread of an unknown go-live", err, store.ErrNotFound)
	wantErrIs(t, "SetSlackThread of an unknown go-live", s.SetSlackThread(ctx, unknown, "C1", "1.1", "x"), store.ErrNotFound)
	wantErrIs(t, "SetSlackParentText of an unknown go-live", s.SetSlackParentText(ctx, unknown, "x"), store.ErrNotFound)
	wantErrIs(t, "SetSlackNote of an unknown go-live", s.SetSlackNote(ctx, unknown, "x"), store.ErrNotFound)
}

func testSnoozeNextReminder(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(53, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Hour)
	past := reminder(g.ID, "T-3h", now.Add(-time.Minute))    // already due: not snoozed
	leased := reminder(g.ID, "T-2h", now.Add(time.Minute))   // leased below: not snoozed
	nudge := reminder(g.ID, "T-90m", now.Add(2*time.Minute)) // another kind
	next := reminder(g.ID, "T-1h", now.Add(3*time.Minute))
	later := reminder(g.ID, "T-30m", now.Add(4*time.Minute))
	nudge.Kind = "nudge"
	next.Phases = []string{"Launch"}
	if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{past, leased, nudge, next, later}}); err != nil {
		t.Fatal(err)
	}
	// Claim both due by now+1m, then give "past" back for a retry before
	// now: it is pending and free but was due before now; "leased" stays
	// leased for an hour.
	claimed, err := s.ClaimDueReminders(ctx, "w", now.Add(time.Minute), time.Hour, 10, 0)
	if err != nil || fmt.Sprint(keysOf(claimed)) != fmt.Sprint([]string{past.Key, leased.Key}) {
		t.Fatalf("claim = %v, %v", keysOf(claimed), err)
	}
	if err := s.RetryReminder(ctx, past.Key, "w", now.Add(-time.Second), "x"); err != nil {
		t.Fatal(err)
	}

	r, n, err := s.SnoozeNextReminder(ctx, g.ID, now, 10*time.Minute, 2, []string{"countdown"})
	if err != nil || n != 1 || r.Key != next.Key || !r.DueAt.Equal(next.DueAt.Add(10*time.Minute)) ||
		r.State != store.ReminderPending || !slices.Equal(r.Phases, next.Phases) || r.Kind != "countdown" {
		t.Fatalf("SnoozeNextReminder = %+v, %d, %v; want %s due %s, 1 snooze", r, n, err, next.Key, next.DueAt.Add(10*time.Minute))
	}
	if got := reminderByKey(t, s, g.ID, next.Key); !got.DueAt.Equal(r.DueAt) {
		t.Fatalf("stored due time %s, want %s", got.DueAt, r.DueAt)
	}
	for _, k := range []store.Reminder{past, leased, nudge, later} {
		if got := reminderByKey(t, s, g.ID, k.Key); !got.DueAt.Equal(k.DueAt) {
			t.Fatalf("%s moved to %s by a snooze of another reminder", k.Key, got.DueAt)
		}
	}
	// With both kinds the nudge is the earliest.
	r, n, err = s.SnoozeNextReminder(ctx, g.ID, now, time.Minute, 2, []string{"countdown", "nudge"})
	if err != nil || n != 2 || r.Key != nudge.Key || !r.DueAt.Equal(nudge.DueAt.Add(time.Minute)) {
		t.Fatalf("second snooze = %+v, %d, %v; want %s, 2 snoozes", r, n, err, nudge.Key)
	}
	_, n, err = s.SnoozeNextReminder(ctx, g.ID, now, time.Minute, 2, []string{"countdown"})
	wantErrIs(t, "a snooze over the limit", err, store.ErrSnoozeLimit)
	if n != 2 {
		t.Errorf("snoozes used at the limit = %d, want 2", n)
	}
	if got, _ := s.GetGoLiveByID(ctx, g.ID); got.Snoozes != 2 {
		t.Fatalf("Snoozes = %d, want 2", got.Snoozes)
	}
	if got := reminderByKey(t, s, g.ID, later.Key); !got.DueAt.Equal(later.DueAt) {
		t.Fatalf("a refused snooze moved %s", later.Key)
	}
	// A higher limit allows more.
	if r, n, err := s.SnoozeNextReminder(ctx, g.ID, now, time.Minute, 3, []string{"countdown"}); err != nil || n != 3 || r.Key != later.Key {
		t.Fatalf("third snooze = %s, %d, %v; want %s", r.Key, n, err, later.Key)
	}

	// Nothing to snooze: no reminder of the kind, none from now on, or no
	// kinds at all. The count does not change.
	_, _, err = s.SnoozeNextReminder(ctx, g.ID, now, time.Minute, 10, []string{"golive"})
	wantErrIs(t, "snoozing a kind without reminders", err, store.ErrNotFound)
	_, _, err = s.SnoozeNextReminder(ctx, g.ID, now.Add(time.Hour), time.Minute, 10, []string{"countdown", "nudge"})
	wantErrIs(t, "snoozing after the last reminder", err, store.ErrNotFound)
	_, _, err = s.SnoozeNextReminder(ctx, g.ID, now, time.Minute, 10, nil)
	wantErrIs(t, "snoozing no kinds", err, store.ErrNotFound)
	if got, _ := s.GetGoLiveByID(ctx, g.ID); got.Snoozes != 3 {
		t.Fatalf("Snoozes after failed snoozes = %d, want 3", got.Snoozes)
	}
	// Sent and cancelled reminders are not snoozed.
	if n, err := s.CancelReminders(ctx, g.ID); err != nil || n == 0 {
		t.Fatalf("CancelReminders = %d, %v", n, err)
	}
	_, _, err = s.SnoozeNextReminder(ctx, g.ID, now, time.Minute, 10, []string{"countdown", "nudge"})
	wantErrIs(t, "snoozing cancelled reminders", err, store.ErrNotFound)

	_, _, err = s.SnoozeNextReminder(ctx, g.ID+100, now, time.Minute, 10, []string{"countdown"})
	wantErrIs(t, "snoozing an unknown go-live", err, store.ErrNotFound)
	if _, _, err := s.SnoozeNextReminder(ctx, g.ID, now, 0, 10, []string{"countdown"}); err == nil {
		t.Fatal("a snooze of 0 was accepted")
	}
}

// testSnoozeConcurrent: with one snooze allowed, concurrent snoozes of one
// go-live succeed once.
func testSnoozeConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	for round, limit := range []int{1, 3} {
		g, _, err := s.UpsertGoLive(ctx, newGoLive(54, round+1), t0)
		if err != nil {
			t.Fatal(err)
		}
		var add []store.Reminder
		for i := range 5 {
			add = append(add, reminder(g.ID, fmt.Sprintf("T-%dh", 5-i), t0.Add(time.Duration(i+1)*time.Hour)))
		}
		if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: add}); err != nil {
			t.Fatal(err)
		}
		const callers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		var counts []int
		limited := 0
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, n, err := s.SnoozeNextReminder(ctx, g.ID, t0, 30*time.Minute, limit, []string{"countdown"})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					counts = append(counts, n)
				case errors.Is(err, store.ErrSnoozeLimit):
					limited++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		sort.Ints(counts)
		want := make([]int, limit)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(counts, want) || limited != callers-limit {
			t.Fatalf("limit %d: %d concurrent snoozes succeeded with counts %v and %d hit the limit; want counts %v", limit, len(counts), counts, limited, want)
		}
		if got, _ := s.GetGoLiveByID(ctx, g.ID); got.Snoozes != limit {
			t.Fatalf("limit %d: Snoozes = %d", limit, got.Snoozes)
		}
		// Each success moved one reminder by 30 minutes.
		originally := map[string]time.Time{}
		for _, r := range add {
			originally[r.Key] = r.DueAt
		}
		list, _ := s.ListReminders(ctx, g.ID)
		var moved time.Duration
		for _, r := range list {
			moved += r.DueAt.Sub(originally[r.Key])
		}
		if want := time.Duration(limit) * 30 * time.Minute; moved != want {
			t.Fatalf("limit %d: reminders moved %v in all, want %v", limit, moved, want)
		}
	}
}

func testMarkRemindersSent(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(55, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	var add []store.Reminder
	for i := range 5 {
		add = append(add, reminder(g.ID, fmt.Sprintf("T-%dm", 50-10*i), t0.Add(time.Duration(i)*time.Minute)))
	}
	if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: add}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(10 * time.Minute)
	if got, err := s.ClaimDueReminders(ctx, "w", now, time.Minute, 10, 0); err != nil || len(got) != 5 {
		t.Fatalf("claim = %v, %v", keysOf(got), err)
	}
	// add[3]'s lease runs out and v takes it over.
	if err := s.RetryReminder(ctx, add[3].Key, "w", now, "timeout"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimDueReminders(ctx, "v", now, time.Minute, 10, 0); err != nil || len(got) != 1 || got[0].Key != add[3].Key {
		t.Fatalf("re-claim = %v, %v", keysOf(got), err)
	}
	sent := []store.SentReminder{
		{Key: add[0].Key, SentAt: now.Add(time.Second), TS: "1.1", Late: true},
		{Key: add[1].Key, SentAt: now.Add(2 * time.Second), TS: "1.2"},
		{Key: add[3].Key, SentAt: now.Add(3 * time.Second), TS: "1.3"},
		{Key: "g0@nowhere", SentAt: now, TS: "1.4"},
		{Key: add[4].Key, SentAt: now.Add(4 * time.Second), TS: "1.5", Late: true},
	}
	lost, err := s.MarkRemindersSent(ctx, "w", sent)
	if err != nil {
		t.Fatalf("MarkRemindersSent: %v", err)
	}
	if want := []string{add[3].Key, "g0@nowhere"}; !slices.Equal(lost, want) {
		t.Fatalf("lost = %q, want %q", lost, want)
	}
	for _, sr := range []store.SentReminder{sent[0], sent[1], sent[4]} {
		r := reminderByKey(t, s, g.ID, sr.Key)
		if r.State != store.ReminderSent || !r.SentAt.Equal(sr.SentAt) || r.SlackTS != sr.TS || r.Late != sr.Late || r.LeaseOwner != "" || !r.LeaseUntil.IsZero() {
			t.Fatalf("%s after MarkRemindersSent: %+v, want sent as %+v with no lease", sr.Key, r, sr)
		}
	}
	if r := reminderByKey(t, s, g.ID, add[3].Key); r.State != store.ReminderPending || r.LeaseOwner != "v" {
		t.Fatalf("a reminder w lost was marked: %+v", r)
	}
	if r := reminderByKey(t, s, g.ID, add[2].Key); r.State != store.ReminderPending || r.LeaseOwner != "w" {
		t.Fatalf("a reminder not in the batch changed: %+v", r)
	}
	// Marking again: all lost, nothing changes.
	if lost, err := s.MarkRemindersSent(ctx, "w", sent[:2]); err != nil || len(lost) != 2 {
		t.Fatalf("marking sent ones again = %q, %v; want both lost", lost, err)
	}
	if r := reminderByKey(t, s, g.ID, add[0].Key); r.SlackTS != "1.1" {
		t.Fatalf("a second mark changed the ts to %q", r.SlackTS)
	}
	if lost, err := s.MarkRemindersSent(ctx, "w", nil); err != nil || lost != nil {
		t.Fatalf("an empty batch = %q, %v", lost, err)
	}
	// The single form still reports a lost lease as an error.
	wantErrIs(t, "MarkReminderSent of another's", s.MarkReminderSent(ctx, add[3].Key, "w", now, "x", false), store.ErrLeaseLost)
	if err := s.MarkReminderSent(ctx, add[3].Key, "v", now, "1.6", false); err != nil {
		t.Fatal(err)
	}
}

// channelGoLives creates one go-live per entry of channels, in its channel.
func channelGoLives(t *testing.T, s store.Store, repoID int64, channels ...string) []store.GoLive {
	t.Helper()
	var out []store.GoLive
	for i, ch := range channels {
		g := newGoLive(repoID, i+1)
		g.SlackChannel = ch
		stored, _, err := s.UpsertGoLive(t.Context(), g, t0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, stored)
	}
	return out
}

// perChannel counts claimed reminders by channel, given each go-live's.
func perChannel(rs []store.Reminder, channel map[int64]string) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[channel[r.GoLiveID]]++
	}
	return out
}

func testClaimPerChannel(t *testing.T, s store.Store) {
	ctx := t.Context()
	// #a has two go-lives that share its cap; #a's reminders are due
	// first, then #b's, then #c's, so that without a cap a claim takes
	// #a's backlog.
	gs := channelGoLives(t, s, 56, "#a", "#a", "#b", "#c")
	channel := map[int64]string{}
	for _, g := range gs {
		channel[g.ID] = g.SlackChannel
	}
	due := t0
	byChannel := map[string][]string{}
	add := func(g store.GoLive, n int) {
		var rs []store.Reminder
		for i := range n {
			due = due.Add(time.Second)
			r := reminder(g.ID, fmt.Sprintf("T-%dm", 100-i), due)
			rs = append(rs, r)
			byChannel[g.SlackChannel] = append(byChannel[g.SlackChannel], r.Key)
		}
		if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: rs}); err != nil {
			t.Fatal(err)
		}
	}
	add(gs[0], 3)
	add(gs[1], 2)
	add(gs[2], 5)
	add(gs[3], 5)
	// One not due yet: never claimed.
	if _, _, _, err := s.ApplyReminderChanges(ctx, gs[3].ID, store.ReminderChanges{Add: []store.Reminder{reminder(gs[3].ID, "T+1d", t0.Add(time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	want := func(round int) []string {
		var out []string
		for _, ch := range []string{"#a", "#b", "#c"} {
			out = append(out, byChannel[ch][2*round:min(2*round+2, len(byChannel[ch]))]...)
		}
		return out
	}
	for round, owner := range []string{"w1", "w2", "w3"} {
		got, err := s.ClaimDueReminders(ctx, owner, now, time.Minute, 100, 2)
		if err != nil {
			t.Fatal(err)
		}
		// #a's reminders are due first, #b's next, #c's last: the claim's
		// order (by due time) is the channels' in turn.
		if w := want(round); !slices.Equal(keysOf(got), w) {
			t.Fatalf("claim %d with 2 per channel = %v (per channel %v), want %v", round+1, keysOf(got), perChannel(got, channel), w)
		}
		for _, r := range got {
			if r.LeaseOwner != owner || r.Attempts != 1 {
				t.Fatalf("claimed %+v, want leased to %s, attempt 1", r, owner)
			}
		}
	}
	if got, err := s.ClaimDueReminders(ctx, "w4", now, time.Minute, 100, 2); err != nil || len(got) != 0 {
		t.Fatalf("claim after all = %v, %v", keysOf(got), err)
	}

	// The limit still applies, to the earliest of the capped rows; without
	// a cap the earliest rows are taken whatever their channel.
	later := now.Add(time.Minute) // every lease has run out
	got, err := s.ClaimDueReminders(ctx, "x", later, time.Minute, 3, 2)
	if err != nil || !slices.Equal(keysOf(got), []string{byChannel["#a"][0], byChannel["#a"][1], byChannel["#b"][0]}) {
		t.Fatalf("claim of 3 with 2 per channel = %v, %v", keysOf(got), err)
	}
	got, err = s.ClaimDueReminders(ctx, "x", later, time.Minute, 3, 0)
	if err != nil || !slices.Equal(keysOf(got), byChannel["#a"][2:]) {
		t.Fatalf("claim of 3 without a cap = %v, %v; want #a's next %v", keysOf(got), err, byChannel["#a"][2:])
	}
	got, err = s.ClaimDueReminders(ctx, "x", later, time.Minute, 100, -1)
	if err != nil || len(got) != 9 || perChannel(got, channel)["#b"] != 4 || perChannel(got, channel)["#c"] != 5 {
		t.Fatalf("claim of the rest without a cap = %v (%v), %v", keysOf(got), perChannel(got, channel), err)
	}
	// A limit of 0 claims nothing.
	if got, err := s.ClaimDueReminders(ctx, "x", later.Add(time.Hour), time.Minute, 0, 2); err != nil || len(got) != 0 {
		t.Fatalf("claim of 0 = %v, %v", keysOf(got), err)
	}
}

// testClaimPerChannelConcurrent: many claimers with a per-channel cap, each
// due reminder leased once, no claim over the cap.
func testClaimPerChannelConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	var channels []string
	for i := range 12 {
		channels = append(channels, fmt.Sprintf("#c%d", i%6)) // two go-lives a channel
	}
	gs := channelGoLives(t, s, 57, channels...)
	channel := map[int64]string{}
	total := 0
	for i, g := range gs {
		channel[g.ID] = g.SlackChannel
		var add []store.Reminder
		for j := range 20 {
			add = append(add, reminder(g.ID, fmt.Sprintf("T+%dm", j), t0.Add(time.Duration(j*len(gs)+i)*time.Second)))
		}
		if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: add}); err != nil {
			t.Fatal(err)
		}
		total += len(add)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimDueReminders(ctx, fmt.Sprint("w", w), t0.Add(time.Hour), time.Hour, 7, 2)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				for ch, n := range perChannel(got, channel) {
					if n > 2 {
						t.Errorf("one claim took %d reminders of %s", n, ch)
					}
				}
				mu.Lock()
				for _, r := range got {
					seen[r.Key]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != total {
		t.Fatalf("%d of %d reminders claimed", len(seen), total)
	}
	var twice []string
	for k, n := range seen {
		if n != 1 {
			twice = append(twice, fmt.Sprintf("%s×%d", k, n))
		}
	}
	if len(twice) > 0 {
		sort.Strings(twice)
		t.Fatalf("reminders claimed more than once: %s", strings.Join(twice, ", "))
	}
}
