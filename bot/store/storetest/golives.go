package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

func newGoLive(repoID int64, issue int) store.GoLive {
	return store.GoLive{
		InstallationID: 42, RepoID: repoID, Repo: "acme/api", IssueNumber: issue, State: store.GoLiveActive,
		Environment: "production", At: t0.Add(7 * 24 * time.Hour), Timezone: "Europe/Berlin",
		Release: "v1.2.0", SlackChannel: "#deploys", Captain: "@octocat",
	}
}

func testGoLiveUpsert(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, created, err := s.UpsertGoLive(ctx, newGoLive(7, 1), t0)
	if err != nil || !created || g.ID == 0 {
		t.Fatalf("first upsert: %+v created=%v err=%v", g, created, err)
	}
	if g.State != store.GoLiveActive || !g.At.Equal(t0.Add(7*24*time.Hour)) || g.Timezone != "Europe/Berlin" ||
		g.Captain != "@octocat" || !g.CreatedAt.Equal(t0) || !g.UpdatedAt.Equal(t0) {
		t.Fatalf("stored go-live %+v does not match", g)
	}
	if err := s.SetGoLiveComment(ctx, g.ID, store.TrackerComment, 9001); err != nil {
		t.Fatal(err)
	}
	if err := s.SetGoLiveComment(ctx, g.ID, store.ProblemComment, 9002); err != nil {
		t.Fatal(err)
	}
	moved := newGoLive(7, 1)
	moved.At = moved.At.Add(24 * time.Hour)
	moved.State = store.GoLiveInvalid
	g2, created, err := s.UpsertGoLive(ctx, moved, t0.Add(time.Hour))
	if err != nil || created || g2.ID != g.ID {
		t.Fatalf("second upsert: %+v created=%v err=%v", g2, created, err)
	}
	if !g2.At.Equal(moved.At) || g2.State != store.GoLiveInvalid || !g2.CreatedAt.Equal(t0) || !g2.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("update did not apply the plan or touched CreatedAt: %+v", g2)
	}
	if g2.TrackerCommentID != 9001 || g2.ProblemCommentID != 9002 {
		t.Fatalf("update lost the bot's comment ids: %+v", g2)
	}
	got, err := s.GetGoLive(ctx, 7, 1)
	if err != nil || got != g2 {
		t.Fatalf("GetGoLive = %+v, %v; want %+v", got, err, g2)
	}
	wantErrIs(t, "GetGoLive of an unknown issue", func() error { _, err := s.GetGoLive(ctx, 7, 2); return err }(), store.ErrNotFound)
	wantErrIs(t, "SetGoLiveComment of an unknown go-live", s.SetGoLiveComment(ctx, g.ID+100, store.TrackerComment, 1), store.ErrNotFound)

	other := newGoLive(7, 3)
	other.At = t0.Add(time.Hour)
	if _, _, err := s.UpsertGoLive(ctx, other, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UpsertGoLive(ctx, newGoLive(8, 1), t0); err != nil { // same number, another repository
		t.Fatal(err)
	}
	active, err := s.ListGoLives(ctx, store.GoLiveActive)
	if err != nil || len(active) != 2 || active[0].IssueNumber != 3 || active[1].RepoID != 8 {
		t.Fatalf("active go-lives %+v (%v), want issue 3 then repository 8's, by time", active, err)
	}
}

func testGoLiveConcurrentCreate(t *testing.T, s store.Store) {
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	created := make([]bool, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, c, err := s.UpsertGoLive(t.Context(), newGoLive(11, 5), t0)
			if err != nil {
				t.Error(err)
			}
			ids[i], created[i] = g.ID, c
		}()
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("concurrent upserts of one issue returned ids %v", ids)
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d of 8 concurrent upserts say they created the go-live, want 1", n)
	}
}

func testGoLiveItemsAndAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(21, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	items := []store.Item{
		{ID: "infra-ha", Phase: "Pre-launch", Text: "Servers for HA", Required: true, Checked: true, CheckedBy: "alice", CheckedAt: t0.Add(time.Minute), Owner: "@acme/sre"},
		{ID: "manual:ab12", Phase: "Pre-launch", Text: "Order pizza", Manual: true},
		{ID: "signoff-tech", Phase: "Sign-off", Text: "Technical sign-off", Required: true, Owner: "@alice"},
	}
	if ok, err := s.SaveItems(ctx, g.ID, items, t0); err != nil || !ok {
		t.Fatalf("SaveItems = %v, %v", ok, err)
	}
	got, err := s.Items(ctx, g.ID)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(items) {
		t.Fatalf("Items = %+v (%v), want %+v", got, err, items)
	}
	if ok, err := s.SaveItems(ctx, g.ID, items[2:], t0.Add(time.Second)); err != nil || !ok {
		t.Fatalf("SaveItems = %v, %v", ok, err)
	}
	if got, _ := s.Items(ctx, g.ID); len(got) != 1 || got[0].ID != "signoff-tech" || got[0].Owner != "@alice" {
		t.Fatalf("SaveItems did not replace the set: %+v", got)
	}
	// A body older than the newest saved, handled late, changes nothing;
	// neither does its tracker text.
	if ok, err := s.SaveItems(ctx, g.ID, items, t0); err != nil || ok {
		t.Fatalf("SaveItems of an older body = %v, %v; want false", ok, err)
	}
	if got, _ := s.Items(ctx, g.ID); len(got) != 1 {
		t.Fatalf("an older body brought back %d items", len(got))
	}
	if err := s.ScheduleTracker(ctx, g.ID, t0, "stale", t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetGoLiveByID(ctx, g.ID); got.TrackerBody == "stale" || !got.BodyAsOf.Equal(t0.Add(time.Second)) {
		t.Fatalf("an older body's tracker text was scheduled: %+v", got)
	}
	if err := s.ScheduleTracker(ctx, g.ID, t0, "current", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetGoLiveByID(ctx, g.ID); got.TrackerBody != "current" {
		t.Fatalf("the current body's tracker text was not scheduled: %q", got.TrackerBody)
	}

	entries := []store.AuditEntry{
		{GoLiveID: g.ID, At: t0, Actor: "alice", Action: "tick", ItemID: "infra-ha", DedupKey: "d-1:infra-ha"},
		{GoLiveID: g.ID, At: t0, Actor: "alice", Action: "untick", ItemID: "signoff-tech", DedupKey: "d-1:signoff-tech"},
		{GoLiveID: g.ID, At: t0.Add(time.Second), Actor: "golive", Action: "plan", Detail: "2026-11-29 14:00 Europe/Berlin"},
	}
	if n, err := s.AppendAudit(ctx, entries); err != nil || n != 3 {
		t.Fatalf("AppendAudit = %d, %v; want 3", n, err)
	}
	// A redelivered event writes nothing; entries without a key always do.
	if n, err := s.AppendAudit(ctx, entries); err != nil || n != 1 {
		t.Fatalf("AppendAudit again = %d, %v; want only the unkeyed entry", n, err)
	}
	log, err := s.Audit(ctx, g.ID)
	if err != nil || len(log) != 4 || log[0].Actor != "alice" || log[0].ItemID != "infra-ha" || !log[0].At.Equal(t0) ||
		log[0].DedupKey != "d-1:infra-ha" || log[2].Action != "plan" || log[3].DedupKey != "" {
		t.Fatalf("Audit = %+v (%v)", log, err)
	}
	if e, ok, err := s.LatestAudit(ctx, g.ID, "tick"); err != nil || !ok || e.ID != log[0].ID {
		t.Fatalf("LatestAudit(tick) = %+v %v %v, want the only tick", e, ok, err)
	}
	if e, ok, err := s.LatestAudit(ctx, g.ID, "plan"); err != nil || !ok || e.ID != log[3].ID {
		t.Fatalf("LatestAudit(plan) = %+v %v %v, want the newest of two", e, ok, err)
	}
	if _, ok, err := s.LatestAudit(ctx, g.ID, "replan"); err != nil || ok {
		t.Fatalf("LatestAudit(replan) found one that does not exist: %v %v", ok, err)
	}
}

func testTrackerSchedule(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, _, err := s.UpsertGoLive(ctx, newGoLive(31, 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDueTrackers(ctx, "w", t0.Add(time.Hour), time.Minute, 10); len(got) != 0 {
		t.Fatalf("nothing scheduled, claimed %v", got)
	}
	// A burst: the earliest due time stands.
	for i := range 20 {
		if err := s.ScheduleTracker(ctx, g.ID, t0.Add(2*time.Second+time.Duration(i)*100*time.Millisecond), fmt.Sprint("body ", i), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.ClaimDueTrackers(ctx, "w", t0.Add(time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed before due: %v", got)
	}
	claims, err := s.ClaimDueTrackers(ctx, "w", t0.Add(2*time.Second), time.Minute, 10)
	if err != nil || len(claims) != 1 || claims[0].ID != g.ID || !claims[0].TrackerDueAt.Equal(t0.Add(2*time.Second)) || claims[0].TrackerBody != "body 19" {
		t.Fatalf("claim = %+v (%v)", claims, err)
	}
	if again, _ := s.ClaimDueTrackers(ctx, "v", t0.Add(3*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("a leased refresh was claimed twice: %v", again)
	}
	wantErrIs(t, "FinishTracker by another owner", s.FinishTracker(ctx, claims[0], "v", t0), store.ErrLeaseLost)
	if err := s.FinishTracker(ctx, claims[0], "w", t0.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetGoLive(ctx, 31, 1); !got.TrackerDueAt.IsZero() || !got.TrackerEditedAt.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("after the refresh: due %s, edited %s", got.TrackerDueAt, got.TrackerEditedAt)
	}

	// A change during a refresh is not lost: it stays due after the finish.
	if err := s.ScheduleTracker(ctx, g.ID, t0.Add(10*time.Second), "v", time.Time{}); err != nil {
		t.Fatal(err)
	}
	claims, _ = s.ClaimDueTrackers(ctx, "w", t0.Add(10*time.Second), time.Minute, 10)
	if len(claims) != 1 {
		t.Fatalf("claim = %v", claims)
	}
	if err := s.ScheduleTracker(ctx, g.ID, t0.Add(12*time.Second), "v", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishTracker(ctx, claims[0], "w", t0.Add(11*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDueTrackers(ctx, "w", t0.Add(12*time.Second), time.Minute, 10); len(got) != 1 {
		t.Fatalf("the refresh asked for during the last one was lost")
	}
	// An expired lease can be taken over.
	if got, _ := s.ClaimDueTrackers(ctx, "v", t0.Add(12*time.Second+time.Minute), time.Minute, 10); len(got) != 1 {
		t.Fatalf("expired tracker lease not re-claimed")
	}
	wantErrIs(t, "ScheduleTracker of an unknown go-live", s.ScheduleTracker(ctx, g.ID+100, t0, "x", time.Time{}), store.ErrNotFound)
}
