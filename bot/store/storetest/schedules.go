package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

func scheduleRun(key string, due time.Time) store.ScheduleRun {
	return store.ScheduleRun{
		ScheduleRunKey: store.ScheduleRunKey{RepoID: 5000000001, ScheduleID: "daily-morning", RunKey: key},
		InstallationID: 4200000001, Repo: "acme/api", DueAt: due,
	}
}

func claimRun(t *testing.T, s store.Store, r store.ScheduleRun, owner string, now time.Time) (store.ScheduleRun, bool) {
	t.Helper()
	got, ok, err := s.ClaimScheduleRun(t.Context(), r, owner, now, lease)
	if err != nil {
		t.Fatalf("ClaimScheduleRun(%s, %s): %v", r.RunKey, owner, err)
	}
	return got, ok
}

func testScheduleNote(t *testing.T, s store.Store) {
	ctx := t.Context()
	first, err := s.NoteSchedule(ctx, 7, "daily-morning", t0)
	if err != nil || !first.Equal(t0) {
		t.Fatalf("NoteSchedule = %v, %v; want %v", first, err, t0)
	}
	again, err := s.NoteSchedule(ctx, 7, "daily-morning", t0.Add(time.Hour))
	if err != nil || !again.Equal(t0) {
		t.Fatalf("NoteSchedule again = %v, %v; want the first time %v", again, err, t0)
	}
	other, err := s.NoteSchedule(ctx, 8, "daily-morning", t0.Add(time.Hour))
	if err != nil || !other.Equal(t0.Add(time.Hour)) {
		t.Fatalf("NoteSchedule of another repository = %v, %v", other, err)
	}
	if _, err := s.NoteSchedule(ctx, 7, "", t0); err == nil {
		t.Error("NoteSchedule without a schedule id succeeded")
	}
}

func testScheduleClaim(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := scheduleRun("2026-11-23T09:00", t0)
	r.Skipped = 3
	got, ok := claimRun(t, s, r, "a", t0)
	if !ok || got.State != store.ScheduleRunPending || got.Attempts != 1 || got.LeaseOwner != "a" ||
		!got.LeaseUntil.Equal(t0.Add(lease)) || got.Skipped != 3 || !got.DueAt.Equal(t0) || got.Repo != "acme/api" ||
		got.InstallationID != 4200000001 || got.ID == 0 || got.RemindState != store.RemindNone {
		t.Fatalf("first claim = %+v, %v", got, ok)
	}
	// Held: another claimer gets it as it is.
	if got, ok := claimRun(t, s, r, "b", t0.Add(lease-time.Microsecond)); ok || got.LeaseOwner != "a" {
		t.Fatalf("claim of a held run = %+v, %v", got, ok)
	}
	// The lease ran out: claimed again, keeping its due time and count.
	r2 := r
	r2.DueAt, r2.Skipped = t0.Add(time.Hour), 9
	got, ok = claimRun(t, s, r2, "b", t0.Add(lease))
	if !ok || got.Attempts != 2 || got.LeaseOwner != "b" || !got.DueAt.Equal(t0) || got.Skipped != 3 {
		t.Fatalf("claim after the lease = %+v, %v", got, ok)
	}
	// The first owner lost it.
	opened := store.ScheduleOpened{IssueNumber: 12, SlackChannel: "#ops", OpenedAt: t0.Add(lease + time.Second),
		EndsAt: t0.Add(8 * time.Hour), RemindAt: t0.Add(7 * time.Hour)}
	wantErrIs(t, "OpenScheduleRun by the lost owner", s.OpenScheduleRun(ctx, r.ScheduleRunKey, "a", opened), store.ErrLeaseLost)
	wantErrIs(t, "RetryScheduleRun by the lost owner", s.RetryScheduleRun(ctx, r.ScheduleRunKey, "a", t0, "x"), store.ErrLeaseLost)
	wantErrIs(t, "FailScheduleRun by the lost owner", s.FailScheduleRun(ctx, r.ScheduleRunKey, "a", "x"), store.ErrLeaseLost)
	if err := s.OpenScheduleRun(ctx, r.ScheduleRunKey, "b", opened); err != nil {
		t.Fatalf("OpenScheduleRun: %v", err)
	}
	got, err := s.GetScheduleRun(ctx, r.ScheduleRunKey)
	if err != nil || got.State != store.ScheduleRunOpened || got.IssueNumber != 12 || got.SlackChannel != "#ops" || got.LeaseOwner != "" ||
		!got.LeaseUntil.IsZero() || !got.OpenedAt.Equal(opened.OpenedAt) || !got.EndsAt.Equal(opened.EndsAt) ||
		got.RemindState != store.RemindPending || !got.RemindAt.Equal(opened.RemindAt) {
		t.Fatalf("opened run = %+v, %v", got, err)
	}
	// Opened: never claimed again, and opening twice fails.
	if got, ok := claimRun(t, s, r, "c", t0.Add(24*time.Hour)); ok || got.State != store.ScheduleRunOpened {
		t.Fatalf("claim of an opened run = %+v, %v", got, ok)
	}
	wantErrIs(t, "OpenScheduleRun twice", s.OpenScheduleRun(ctx, r.ScheduleRunKey, "b", opened), store.ErrLeaseLost)
	_, err = s.GetScheduleRun(ctx, store.ScheduleRunKey{RepoID: 1, ScheduleID: "x", RunKey: "y"})
	wantErrIs(t, "GetScheduleRun of an unknown run", err, store.ErrNotFound)
	for _, bad := range []store.ScheduleRun{{}, scheduleRun("", t0), scheduleRun("k", time.Time{})} {
		if _, _, err := s.ClaimScheduleRun(ctx, bad, "a", t0, lease); err == nil {
			t.Errorf("ClaimScheduleRun(%+v) succeeded", bad)
		}
	}
	if _, _, err := s.ClaimScheduleRun(ctx, r, "", t0, lease); err == nil {
		t.Error("ClaimScheduleRun without an owner succeeded")
	}
}

func testScheduleRetryAndFail(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := scheduleRun("2026-11-23T09:00", t0)
	claimRun(t, s, r, "a", t0)
	if err := s.RetryScheduleRun(ctx, r.ScheduleRunKey, "a", t0.Add(time.Hour), "github is down"); err != nil {
		t.Fatal(err)
	}
	if got, ok := claimRun(t, s, r, "b", t0.Add(time.Hour-time.Microsecond)); ok || got.LastError != "github is down" || got.LeaseOwner != "" {
		t.Fatalf("claim before the retry time = %+v, %v", got, ok)
	}
	if got, ok := claimRun(t, s, r, "b", t0.Add(time.Hour)); !ok || got.Attempts != 2 {
		t.Fatalf("claim at the retry time = %+v, %v", got, ok)
	}
	if err := s.FailScheduleRun(ctx, r.ScheduleRunKey, "b", "issues are disabled"); err != nil {
		t.Fatal(err)
	}
	if got, ok := claimRun(t, s, r, "c", t0.Add(48*time.Hour)); ok || got.State != store.ScheduleRunFailed || got.LastError != "issues are disabled" {
		t.Fatalf("claim of a failed run = %+v, %v", got, ok)
	}
}

func testScheduleOpenSkipsOlder(t *testing.T, s store.Store) {
	ctx := t.Context()
	day := 24 * time.Hour
	old1 := scheduleRun("2026-11-20T09:00", t0)
	old2 := scheduleRun("2026-11-21T09:00", t0.Add(day))
	held := scheduleRun("2026-11-22T09:00", t0.Add(2*day))
	cur := scheduleRun("2026-11-23T09:00", t0.Add(3*day))
	other := scheduleRun("2026-11-22T09:00", t0.Add(2*day))
	other.ScheduleID = "daily-evening"
	now := t0.Add(3 * day)
	// old1 waits for a retry, old2's claim ran out, held is held by "x".
	claimRun(t, s, old1, "a", t0)
	if err := s.RetryScheduleRun(ctx, old1.ScheduleRunKey, "a", t0.Add(10*day), "down"); err != nil {
		t.Fatal(err)
	}
	claimRun(t, s, old2, "a", t0.Add(day))
	claimRun(t, s, held, "x", now)
	claimRun(t, s, other, "a", t0.Add(2*day))
	claimRun(t, s, cur, "b", now)
	if err := s.OpenScheduleRun(ctx, cur.ScheduleRunKey, "b", store.ScheduleOpened{IssueNumber: 4, OpenedAt: now}); err != nil {
		t.Fatal(err)
	}
	runs, err := s.ListScheduleRuns(ctx, cur.RepoID, cur.ScheduleID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.RunKey+":"+string(r.State))
	}
	want := "[2026-11-20T09:00:skipped 2026-11-21T09:00:skipped 2026-11-22T09:00:pending 2026-11-23T09:00:opened]"
	if fmt.Sprint(got) != want {
		t.Errorf("runs %v, want %s", got, want)
	}
	if r, _ := s.GetScheduleRun(ctx, other.ScheduleRunKey); r.State != store.ScheduleRunPending {
		t.Errorf("another schedule's run became %s", r.State)
	}
	latest, err := s.LatestScheduleRun(ctx, cur.RepoID, cur.ScheduleID)
	if err != nil || latest.RunKey != cur.RunKey {
		t.Errorf("LatestScheduleRun = %+v, %v", latest, err)
	}
	_, err = s.LatestScheduleRun(ctx, cur.RepoID, "weekly")
	wantErrIs(t, "LatestScheduleRun of a schedule without runs", err, store.ErrNotFound)
}

func testScheduleConcurrentClaim(t *testing.T, s store.Store) {
	const claimers, runs = 8, 12
	var wins atomic.Int32
	winners := make([]atomic.Int32, runs)
	var wg sync.WaitGroup
	errs := make(chan error, claimers*runs)
	for c := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range runs {
				r := scheduleRun(fmt.Sprintf("2026-11-%02dT09:00", i+1), t0.Add(time.Duration(i)*time.Hour))
				_, ok, err := s.ClaimScheduleRun(t.Context(), r, fmt.Sprintf("w%d", c), t0.Add(time.Duration(i)*time.Hour), lease)
				if err != nil {
					errs <- err
					return
				}
				if ok {
					wins.Add(1)
					winners[i].Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range winners {
		if n := winners[i].Load(); n != 1 {
			t.Errorf("run %d claimed %d times", i, n)
		}
	}
	if wins.Load() != runs {
		t.Errorf("%d claims won, want %d", wins.Load(), runs)
	}
}

func testScheduleReminders(t *testing.T, s store.Store) {
	ctx := t.Context()
	remindAt := t0.Add(7 * time.Hour)
	var keys []store.ScheduleRunKey
	for i := range 3 {
		r := scheduleRun(fmt.Sprintf("2026-11-2%dT09:00", i), t0)
		r.ScheduleID = fmt.Sprintf("s%d", i)
		claimRun(t, s, r, "a", t0)
		o := store.ScheduleOpened{IssueNumber: i + 1, OpenedAt: t0, EndsAt: remindAt.Add(time.Hour), RemindAt: remindAt.Add(time.Duration(i) * time.Minute)}
		if i == 2 {
			o.RemindAt = time.Time{} // no reminder
		}
		if err := s.OpenScheduleRun(ctx, r.ScheduleRunKey, "a", o); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, r.ScheduleRunKey)
	}
	claim := func(owner string, now time.Time, limit int) []store.ScheduleRun {
		t.Helper()
		rs, err := s.ClaimScheduleReminders(ctx, owner, now, lease, limit)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	if rs := claim("a", remindAt.Add(-time.Microsecond), 10); len(rs) != 0 {
		t.Fatalf("claimed %d reminders before they were due", len(rs))
	}
	rs := claim("a", remindAt.Add(time.Minute), 10)
	if len(rs) != 2 || rs[0].ScheduleID != "s0" || rs[1].ScheduleID != "s1" || rs[0].RemindAttempts != 1 || rs[0].LeaseOwner != "a" {
		t.Fatalf("claimed %+v", rs)
	}
	if rs := claim("b", remindAt.Add(time.Minute), 10); len(rs) != 0 {
		t.Fatalf("claimed %d held reminders", len(rs))
	}
	wantErrIs(t, "FinishScheduleReminder by another owner",
		s.FinishScheduleReminder(ctx, keys[0], "b", store.RemindSent, remindAt, "1.2", ""), store.ErrLeaseLost)
	if err := s.FinishScheduleReminder(ctx, keys[0], "a", store.RemindSent, remindAt.Add(time.Minute), "1700000000.000100", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryScheduleReminder(ctx, keys[1], "a", remindAt.Add(10*time.Minute), "rate limited"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishScheduleReminder(ctx, keys[1], "a", store.RemindPending, remindAt, "", ""); err == nil {
		t.Error("FinishScheduleReminder to pending succeeded")
	}
	if rs := claim("b", remindAt.Add(10*time.Minute-time.Microsecond), 10); len(rs) != 0 {
		t.Fatalf("claimed a reminder before its retry time: %+v", rs)
	}
	rs = claim("b", remindAt.Add(10*time.Minute), 10)
	if len(rs) != 1 || rs[0].ScheduleID != "s1" || rs[0].RemindAttempts != 2 || rs[0].RemindDetail != "rate limited" {
		t.Fatalf("claimed again %+v", rs)
	}
	if err := s.FinishScheduleReminder(ctx, keys[1], "b", store.RemindSkipped, remindAt.Add(10*time.Minute), "", "nothing open"); err != nil {
		t.Fatal(err)
	}
	if rs := claim("c", remindAt.Add(24*time.Hour), 10); len(rs) != 0 {
		t.Fatalf("claimed finished reminders: %+v", rs)
	}
	got, _ := s.GetScheduleRun(ctx, keys[0])
	if got.RemindState != store.RemindSent || got.RemindTS != "1700000000.000100" || !got.RemindedAt.Equal(remindAt.Add(time.Minute)) || got.LeaseOwner != "" {
		t.Errorf("sent reminder: %+v", got)
	}
	got, _ = s.GetScheduleRun(ctx, keys[1])
	if got.RemindState != store.RemindSkipped || got.RemindDetail != "nothing open" {
		t.Errorf("skipped reminder: %+v", got)
	}
	got, _ = s.GetScheduleRun(ctx, keys[2])
	if got.RemindState != store.RemindNone || !got.RemindAt.IsZero() {
		t.Errorf("run without a reminder: %+v", got)
	}
}

func testScheduleRemindersConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 40
	for i := range n {
		r := scheduleRun(fmt.Sprintf("k%02d", i), t0)
		claimRun(t, s, r, "setup", t0)
		if err := s.OpenScheduleRun(ctx, r.ScheduleRunKey, "setup", store.ScheduleOpened{OpenedAt: t0, RemindAt: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				rs, err := s.ClaimScheduleReminders(ctx, fmt.Sprintf("w%d", c), t0.Add(time.Hour), lease, 5)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, r := range rs {
					seen[r.RunKey]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct reminders claimed, want %d", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("reminder %s claimed %d times", k, c)
		}
	}
}

func testScheduleReleaseLeases(t *testing.T, s store.Store) {
	ctx := t.Context()
	held := scheduleRun("held", t0)
	waiting := scheduleRun("waiting", t0)
	claimRun(t, s, held, "dead", t0)
	claimRun(t, s, waiting, "dead", t0)
	if err := s.RetryScheduleRun(ctx, waiting.ScheduleRunKey, "dead", t0.Add(time.Hour), "later"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseLeases(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := claimRun(t, s, held, "new", t0); !ok {
		t.Error("a run leased by a dead process is not claimable after ReleaseLeases")
	}
	if _, ok := claimRun(t, s, waiting, "new", t0); ok {
		t.Error("ReleaseLeases dropped a retry's not-before")
	}
}
