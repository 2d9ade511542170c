package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

func reminder(goliveID int64, offset string, due time.Time) store.Reminder {
	return store.Reminder{Key: fmt.Sprintf("g%d@%s", goliveID, offset), GoLiveID: goliveID, Offset: offset, Kind: "countdown", DueAt: due}
}

func keysOf(rs []store.Reminder) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	return out
}

func testRemindersReplan(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(41, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := reminder(g.ID, "T-7d", t0.Add(time.Hour)), reminder(g.ID, "T-1d", t0.Add(2*time.Hour)), reminder(g.ID, "T-2h", t0.Add(3*time.Hour))
	if added, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{a, b, c}}); err != nil || added != 3 {
		t.Fatalf("add = %d, %v", added, err)
	}
	// Adding again changes nothing.
	if added, _, _, _ := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{a}}); added != 0 {
		t.Fatalf("re-adding an existing key added %d", added)
	}
	claimed, err := s.ClaimDueReminders(ctx, "w", t0.Add(time.Hour), time.Minute, 10, 0)
	if err != nil || fmt.Sprint(keysOf(claimed)) != fmt.Sprint([]string{a.Key}) || claimed[0].Attempts != 1 {
		t.Fatalf("claim = %v, %v", keysOf(claimed), err)
	}
	if err := s.MarkReminderSent(ctx, a.Key, "w", t0.Add(time.Hour+time.Second), "1700000000.000100", false); err != nil {
		t.Fatal(err)
	}
	// Re-plan: the go-live moves a day; the sent one is neither moved nor cancelled.
	day := 24 * time.Hour
	a.DueAt, b.DueAt = a.DueAt.Add(day), b.DueAt.Add(day)
	_, moved, cancelled, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Move: []store.Reminder{a, b}, Cancel: []string{a.Key, c.Key}})
	if err != nil || moved != 1 || cancelled != 1 {
		t.Fatalf("replan moved %d cancelled %d (%v), want only the pending ones", moved, cancelled, err)
	}
	list, err := s.ListReminders(ctx, g.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	byKey := map[string]store.Reminder{}
	for _, r := range list {
		byKey[r.Key] = r
	}
	if r := byKey[a.Key]; r.State != store.ReminderSent || !r.DueAt.Equal(t0.Add(time.Hour)) || r.SlackTS != "1700000000.000100" || !r.SentAt.Equal(t0.Add(time.Hour+time.Second)) {
		t.Fatalf("sent reminder changed by the re-plan: %+v", r)
	}
	if r := byKey[b.Key]; r.State != store.ReminderPending || !r.DueAt.Equal(b.DueAt) {
		t.Fatalf("pending reminder not moved: %+v", r)
	}
	if r := byKey[c.Key]; r.State != store.ReminderCancelled {
		t.Fatalf("dropped reminder not cancelled: %+v", r)
	}
	// An occurrence that applies again after being cancelled is revived;
	// adding a sent one changes nothing.
	c.DueAt = c.DueAt.Add(day)
	if added, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{c, a}}); err != nil || added != 1 {
		t.Fatalf("re-adding a cancelled and a sent occurrence added %d (%v), want 1", added, err)
	}
	list, _ = s.ListReminders(ctx, g.ID)
	for _, r := range list {
		if r.Key == c.Key && (r.State != store.ReminderPending || !r.DueAt.Equal(c.DueAt)) {
			t.Fatalf("cancelled occurrence not revived: %+v", r)
		}
		if r.Key == a.Key && r.State != store.ReminderSent {
			t.Fatalf("sent occurrence touched by a re-add: %+v", r)
		}
	}
	if n, err := s.CancelReminders(ctx, g.ID); err != nil || n != 2 {
		t.Fatalf("CancelReminders = %d, %v; want the two pending", n, err)
	}
	if got, _ := s.ClaimDueReminders(ctx, "w", t0.Add(10*day), time.Minute, 10, 0); len(got) != 0 {
		t.Fatalf("claimed after the go-live ended: %v", keysOf(got))
	}
}

func testRemindersLeases(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(42, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	r1, r2, r3 := reminder(g.ID, "T-30m", t0), reminder(g.ID, "T-20m", t0.Add(10*time.Minute)), reminder(g.ID, "T-10m", t0.Add(20*time.Minute))
	if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{r3, r1, r2}}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(30 * time.Minute)
	claimed, _ := s.ClaimDueReminders(ctx, "w", now, time.Minute, 2, 2)
	if fmt.Sprint(keysOf(claimed)) != fmt.Sprint([]string{r1.Key, r2.Key}) {
		t.Fatalf("claim = %v, want the two earliest", keysOf(claimed))
	}
	if got, _ := s.ClaimDueReminders(ctx, "v", now, time.Minute, 10, 0); fmt.Sprint(keysOf(got)) != fmt.Sprint([]string{r3.Key}) {
		t.Fatalf("a leased reminder was claimed again: %v", keysOf(got))
	}
	wantErrIs(t, "MarkReminderSent by another owner", s.MarkReminderSent(ctx, r1.Key, "v", now, "ts", false), store.ErrLeaseLost)
	// A crash: the lease runs out and another process takes the reminder.
	again, _ := s.ClaimDueReminders(ctx, "v", now.Add(time.Minute), time.Minute, 10, 10)
	if len(again) != 3 || again[0].Key != r1.Key || again[0].Attempts != 2 {
		t.Fatalf("after the lease ran out: %+v", again)
	}
	wantErrIs(t, "MarkReminderSent by the old holder", s.MarkReminderSent(ctx, r1.Key, "w", now, "ts", false), store.ErrLeaseLost)
	if err := s.MarkReminderSent(ctx, r1.Key, "v", now.Add(time.Minute), "ts-1", true); err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, "marking a sent reminder sent again", s.MarkReminderSent(ctx, r1.Key, "v", now, "ts-2", false), store.ErrLeaseLost)
	// Retry later: not claimable before notBefore.
	if err := s.RetryReminder(ctx, r2.Key, "v", now.Add(5*time.Minute), "ratelimited"); err != nil {
		t.Fatal(err)
	}
	if err := s.FailReminder(ctx, r3.Key, "v", "channel_not_found"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDueReminders(ctx, "w", now.Add(4*time.Minute), time.Minute, 10, 0); len(got) != 0 {
		t.Fatalf("claimed before the retry time: %v", keysOf(got))
	}
	got, _ := s.ClaimDueReminders(ctx, "w", now.Add(5*time.Minute), time.Minute, 10, 0)
	if len(got) != 1 || got[0].Key != r2.Key || got[0].LastError != "ratelimited" {
		t.Fatalf("retry claim = %+v", got)
	}
	// Released unattempted (a full channel queue): the claim is not
	// counted, so the next holder does not look for an earlier post.
	if err := s.ReleaseReminder(ctx, r2.Key, "w", now.Add(6*time.Minute), "channel backlog"); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ClaimDueReminders(ctx, "w", now.Add(6*time.Minute), time.Minute, 10, 0); len(again) != 1 || again[0].Attempts != got[0].Attempts {
		t.Fatalf("claimed after a release: %+v, want attempts %d as before", again, got[0].Attempts)
	}
	wantErrIs(t, "ReleaseReminder by another owner", s.ReleaseReminder(ctx, r2.Key, "v", now, "x"), store.ErrLeaseLost)
	if err := s.MissReminder(ctx, r2.Key, "w"); err != nil {
		t.Fatal(err)
	}
	list, _ := s.ListReminders(ctx, g.ID)
	states := map[string]store.ReminderState{}
	for _, r := range list {
		states[r.Key] = r.State
		if r.Key == r1.Key && (!r.Late || r.SlackTS != "ts-1") {
			t.Fatalf("sent reminder %+v lost late or ts", r)
		}
	}
	if states[r1.Key] != store.ReminderSent || states[r2.Key] != store.ReminderMissed || states[r3.Key] != store.ReminderFailed {
		t.Fatalf("states %v", states)
	}
}

// testRemindersConcurrentClaim: many claimers, each due reminder leased once.
func testRemindersConcurrentClaim(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(43, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	var add []store.Reminder
	for i := range 200 {
		add = append(add, reminder(g.ID, fmt.Sprintf("T+%dm", i), t0.Add(time.Duration(i)*time.Second)))
	}
	if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: add}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimDueReminders(ctx, fmt.Sprint("w", w), t0.Add(time.Hour), time.Hour, 7, 0)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
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
	if len(seen) != 200 {
		t.Fatalf("%d of 200 reminders claimed", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("reminder %s claimed %d times", k, n)
		}
	}
}

func testRemindersFoldMissed(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	g, _, err := s.UpsertGoLive(ctx, newGoLive(1, 1), now)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := s.UpsertGoLive(ctx, newGoLive(1, 2), now)
	if err != nil {
		t.Fatal(err)
	}
	add := func(gid int64, offset string, due time.Time) {
		t.Helper()
		if _, _, _, err := s.ApplyReminderChanges(ctx, gid, store.ReminderChanges{Add: []store.Reminder{reminder(gid, offset, due)}}); err != nil {
			t.Fatal(err)
		}
	}
	add(g.ID, "T-1h", now.Add(-60*time.Minute))
	add(g.ID, "T-30m", now.Add(-30*time.Minute))
	add(g.ID, "T-20m", now.Add(-20*time.Minute))
	add(g.ID, "T-10m", now.Add(-5*time.Minute)) // within the grace period
	add(other.ID, "T-1h", now.Add(-10*time.Minute))
	// T-1h is claimed by this owner (it carries the catch-up), T-30m by
	// another whose lease is live: that one is left to its claimer.
	mine, err := s.ClaimDueReminders(ctx, "me", now, time.Minute, 1, 0)
	if err != nil || len(mine) != 1 {
		t.Fatalf("claim: %v %v", mine, err)
	}
	theirs, err := s.ClaimDueReminders(ctx, "them", now, time.Minute, 1, 0)
	if err != nil || len(theirs) != 1 || theirs[0].Key != reminder(g.ID, "T-30m", now).Key {
		t.Fatalf("claim: %v %v", theirs, err)
	}
	keys, err := s.FoldMissedReminders(ctx, g.ID, "me", now, now.Add(-15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{mine[0].Key, reminder(g.ID, "T-20m", now).Key}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("folded %v, want %v", keys, want)
	}
	states := map[string]store.ReminderState{}
	for _, id := range []int64{g.ID, other.ID} {
		rs, _ := s.ListReminders(ctx, id)
		for _, r := range rs {
			states[r.Key] = r.State
		}
	}
	for key, want := range map[string]store.ReminderState{
		mine[0].Key: store.ReminderMissed, theirs[0].Key: store.ReminderPending,
		reminder(g.ID, "T-20m", now).Key: store.ReminderMissed, reminder(g.ID, "T-10m", now).Key: store.ReminderPending,
		reminder(other.ID, "T-1h", now).Key: store.ReminderPending,
	} {
		if states[key] != want {
			t.Errorf("%s is %s, want %s", key, states[key], want)
		}
	}
}

func testReleaseLeasesOfReminders(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	g, _, err := s.UpsertGoLive(ctx, newGoLive(3, 1), now)
	if err != nil {
		t.Fatal(err)
	}
	leased, retried := reminder(g.ID, "T-20m", now.Add(-time.Minute)), reminder(g.ID, "T-10m", now.Add(-time.Minute))
	if _, _, _, err := s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: []store.Reminder{leased, retried}}); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimDueReminders(ctx, "dead", now, time.Hour, 2, 0)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if err := s.RetryReminder(ctx, retried.Key, "dead", now.Add(time.Hour), "slack down"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.TryLock(ctx, "slack-thread:1", "dead", now, time.Hour); err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	if err := s.ReleaseLeases(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := s.ClaimDueReminders(ctx, "next", now, time.Minute, 10, 0)
	if err != nil || len(again) != 1 || again[0].Key != leased.Key {
		t.Fatalf("after ReleaseLeases the dead claimer's reminder is claimable and the retry waits: got %v, %v", again, err)
	}
	if ok, err := s.TryLock(ctx, "slack-thread:1", "next", now, time.Minute); err != nil || !ok {
		t.Fatalf("a dead process's lock survived ReleaseLeases: %v %v", ok, err)
	}
}
