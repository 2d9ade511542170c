package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// t0 is the suite's "now": microsecond precision, as the store keeps.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

const lease = 30 * time.Second

// Run runs the conformance suite. open must return a new, empty store for
// each call; the subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"InsertDeliveries/New", testInsertNew},
		{"InsertDeliveries/Duplicates", testInsertDuplicates},
		{"InsertDeliveries/Empty", testInsertEmpty},
		{"InsertDeliveries/AllOrNothing", testInsertAllOrNothing},
		{"InsertDeliveries/LargeBatch", testInsertLargeBatch},
		{"GetDelivery/NotFound", testGetNotFound},
		{"ClaimDeliveries/OrderAndLimit", testClaimOrderAndLimit},
		{"ClaimDeliveries/NextAttemptAt", testClaimNextAttemptAt},
		{"ClaimDeliveries/Leases", testClaimLeases},
		{"ClaimDeliveries/Arguments", testClaimArguments},
		{"ClaimDeliveries/SkipsFinished", testClaimSkipsFinished},
		{"ClaimDeliveries/Concurrent", testClaimConcurrent},
		{"CompleteDelivery", testComplete},
		{"CompleteDeliveries", testCompleteMany},
		{"GoLives/Upsert", testGoLiveUpsert},
		{"GoLives/ConcurrentCreate", testGoLiveConcurrentCreate},
		{"GoLives/ItemsAndAudit", testGoLiveItemsAndAudit},
		{"GoLives/TrackerSchedule", testTrackerSchedule},
		{"Locks", testLocks},
		{"Locks/Concurrent", testLocksConcurrent},
		{"Reminders/Replan", testRemindersReplan},
		{"Reminders/FoldMissed", testRemindersFoldMissed},
		{"Reminders/ReleaseLeases", testReleaseLeasesOfReminders},
		{"Reminders/Leases", testRemindersLeases},
		{"Reminders/ConcurrentClaim", testRemindersConcurrentClaim},
		{"Reminders/Phases", testReminderPhases},
		{"Reminders/ClaimPerChannel", testClaimPerChannel},
		{"Reminders/ClaimPerChannelConcurrent", testClaimPerChannelConcurrent},
		{"Reminders/MarkRemindersSent", testMarkRemindersSent},
		{"Reminders/Snooze", testSnoozeNextReminder},
		{"Reminders/SnoozeConcurrent", testSnoozeConcurrent},
		{"Slack/Columns", testSlackColumns},
		{"Deploys/EnvLocks", testEnvLocks},
		{"Deploys/EnvLocksConcurrent", testEnvLocksConcurrent},
		{"Deploys/Queue", testDeployQueue},
		{"Deploys/CancelQueued", testCancelQueuedDeploys},
		{"Deploys/QueueConcurrent", testDeployQueueConcurrent},
		{"Deploys/Runs", testDeploys},
		{"Deploys/ConcurrentCreate", testDeploysConcurrentCreate},
		{"Deploys/ActiveAndLatest", testActiveAndLatestDeploys},
		{"Deploys/CommandAudit", testCommandAudit},
		{"Status/ListEnvLocks", testListEnvLocks},
		{"Status/RecentDeploys", testRecentDeploys},
		{"Deploys/Between", testDeploysBetween},
		{"Schedules/Note", testScheduleNote},
		{"Schedules/Claim", testScheduleClaim},
		{"Schedules/RetryAndFail", testScheduleRetryAndFail},
		{"Schedules/OpenSkipsOlder", testScheduleOpenSkipsOlder},
		{"Schedules/ConcurrentClaim", testScheduleConcurrentClaim},
		{"Schedules/Reminders", testScheduleReminders},
		{"Schedules/RemindersConcurrent", testScheduleRemindersConcurrent},
		{"Schedules/ReleaseLeases", testScheduleReleaseLeases},
		{"Gates", testGates},
		{"Gates/ConcurrentClaim", testGatesConcurrentClaim},
		{"Incidents", testIncidents},
		{"Incidents/Alerts", testIncidentAlerts},
		{"Incidents/AlertsConcurrentClaim", testIncidentAlertsConcurrentClaim},
		{"RetryDelivery", testRetry},
		{"DeadLetterDelivery", testDeadLetterDelivery},
		{"LeaseLost", testLeaseLost},
		{"InsertDeadLetter", testInsertDeadLetter},
		{"ReleaseLeases", testReleaseLeases},
		{"CountDeliveries", testCountDeliveries},
		{"KnownDeliveryIDs", testKnownDeliveryIDs},
		{"Installations", testInstallations},
		{"Repositories", testRepositories},
		{"DeleteInstallation", testDeleteInstallation},
		{"TimeRoundTrip", testTimeRoundTrip},
		{"ConcurrentWriters", testConcurrentWriters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// --- helpers ---

func newDelivery(id string, received time.Time) store.Delivery {
	return store.Delivery{
		ID:             id,
		Event:          "pull_request",
		Action:         "opened",
		InstallationID: 4200000000 + int64(len(id)), // beyond int32
		Payload:        []byte(`{"action":"opened","delivery":"` + id + `"}`),
		ReceivedAt:     received,
	}
}

func insert(t *testing.T, s store.Store, ds ...store.Delivery) {
	t.Helper()
	ok, err := s.InsertDeliveries(t.Context(), ds)
	if err != nil {
		t.Fatalf("InsertDeliveries: %v", err)
	}
	for i, new := range ok {
		if !new {
			t.Fatalf("InsertDeliveries: delivery %q reported as existing", ds[i].ID)
		}
	}
}

func get(t *testing.T, s store.Store, id string) store.Delivery {
	t.Helper()
	d, err := s.GetDelivery(t.Context(), id)
	if err != nil {
		t.Fatalf("GetDelivery(%q): %v", id, err)
	}
	return d
}

func claim(t *testing.T, s store.Store, owner string, now time.Time, limit int) []store.Delivery {
	t.Helper()
	ds, err := s.ClaimDeliveries(t.Context(), owner, now, lease, limit)
	if err != nil {
		t.Fatalf("ClaimDeliveries(%q, %v): %v", owner, now, err)
	}
	return ds
}

func claimOne(t *testing.T, s store.Store, owner string, now time.Time) store.Delivery {
	t.Helper()
	ds := claim(t, s, owner, now, 1)
	if len(ds) != 1 {
		t.Fatalf("ClaimDeliveries(%q, %v) = %d rows, want 1", owner, now, len(ds))
	}
	return ds[0]
}

func ids(ds []store.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func count(t *testing.T, s store.Store, status store.DeliveryStatus) int {
	t.Helper()
	n, err := s.CountDeliveries(t.Context(), status)
	if err != nil {
		t.Fatalf("CountDeliveries(%q): %v", status, err)
	}
	return n
}

// checkTime reports a difference unless got is want, in UTC.
func checkTime(field string, got, want time.Time) string {
	if got != want.UTC() || got.Location() != time.UTC {
		return fmt.Sprintf("%s = %v (%s), want %v", field, got, got.Location(), want.UTC())
	}
	return ""
}

// checkDelivery fails the test unless got equals want field by field, times
// compared exactly and required to be in UTC.
func checkDelivery(t *testing.T, got, want store.Delivery) {
	t.Helper()
	var diffs []string
	add := func(s string) {
		if s != "" {
			diffs = append(diffs, s)
		}
	}
	if got.ID != want.ID {
		add(fmt.Sprintf("ID = %q, want %q", got.ID, want.ID))
	}
	if got.Event != want.Event || got.Action != want.Action {
		add(fmt.Sprintf("Event, Action = %q, %q, want %q, %q", got.Event, got.Action, want.Event, want.Action))
	}
	if got.InstallationID != want.InstallationID {
		add(fmt.Sprintf("InstallationID = %d, want %d", got.InstallationID, want.InstallationID))
	}
	if !bytes.Equal(got.Payload, want.Payload) {
		add(fmt.Sprintf("Payload = %.80q (%d bytes), want %.80q (%d bytes)", got.Payload, len(got.Payload), want.Payload, len(want.Payload)))
	}
	if got.Status != want.Status {
		add(fmt.Sprintf("Status = %q, want %q", got.Status, want.Status))
	}
	if got.Attempts != want.Attempts {
		add(fmt.Sprintf("Attempts = %d, want %d", got.Attempts, want.Attempts))
	}
	if got.LastError != want.LastError {
		add(fmt.Sprintf("LastError = %q, want %q", got.LastError, want.LastError))
	}
	if got.LeaseOwner != want.LeaseOwner {
		add(fmt.Sprintf("LeaseOwner = %q, want %q", got.LeaseOwner, want.LeaseOwner))
	}
	add(checkTime("ReceivedAt", got.ReceivedAt, want.ReceivedAt))
	add(checkTime("NextAttemptAt", got.NextAttemptAt, want.NextAttemptAt))
	add(checkTime("LeaseUntil", got.LeaseUntil, want.LeaseUntil))
	add(checkTime("FinishedAt", got.FinishedAt, want.FinishedAt))
	if len(diffs) > 0 {
		t.Errorf("delivery %q:\n  %s", want.ID, strings.Join(diffs, "\n  "))
	}
}

// pending is what a fresh inbox row for d looks like.
func pending(d store.Delivery) store.Delivery {
	return store.Delivery{
		ID: d.ID, Event: d.Event, Action: d.Action, InstallationID: d.InstallationID, Payload: d.Payload,
		Status: store.DeliveryPending, ReceivedAt: d.ReceivedAt, NextAttemptAt: d.ReceivedAt,
	}
}

// leased is want after a claim by owner at now.
func leased(want store.Delivery, owner string, now time.Time) store.Delivery {
	want.Attempts++
	want.LeaseOwner = owner
	want.LeaseUntil = now.Add(lease)
	return want
}

func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

// --- tests ---

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if d := s.Dialect(); d != "sqlite" && d != "postgres" {
		t.Errorf("Dialect() = %q, want sqlite or postgres", d)
	}
}

func testInsertNew(t *testing.T, s store.Store) {
	a := newDelivery("a", t0)
	b := newDelivery("b", t0.Add(time.Second))
	b.Action = ""
	b.InstallationID = 0
	// Fields InsertDeliveries must ignore.
	b.Status = store.DeliveryDead
	b.Attempts = 7
	b.LastError = "x"
	b.NextAttemptAt = t0.Add(time.Hour)
	b.LeaseOwner = "w"
	b.LeaseUntil = t0.Add(time.Hour)
	b.FinishedAt = t0.Add(time.Hour)
	ok, err := s.InsertDeliveries(t.Context(), []store.Delivery{a, b})
	if err != nil {
		t.Fatalf("InsertDeliveries: %v", err)
	}
	if len(ok) != 2 || !ok[0] || !ok[1] {
		t.Fatalf("InsertDeliveries = %v, want [true true]", ok)
	}
	checkDelivery(t, get(t, s, "a"), pending(a))
	checkDelivery(t, get(t, s, "b"), pending(b))
	if n := count(t, s, store.DeliveryPending); n != 2 {
		t.Errorf("pending count = %d, want 2", n)
	}
}

func testInsertDuplicates(t *testing.T, s store.Store) {
	a := newDelivery("a", t0)
	insert(t, s, a)

	a2 := newDelivery("a", t0.Add(time.Minute))
	a2.Payload = []byte(`{"changed":true}`)
	b := newDelivery("b", t0.Add(time.Second))
	b2 := newDelivery("b", t0.Add(2*time.Second))
	b2.Payload = []byte(`{"second":true}`)
	ok, err := s.InsertDeliveries(t.Context(), []store.Delivery{a2, b, b2})
	if err != nil {
		t.Fatalf("InsertDeliveries: %v", err)
	}
	if want := []bool{false, true, false}; fmt.Sprint(ok) != fmt.Sprint(want) {
		t.Fatalf("InsertDeliveries = %v, want %v", ok, want)
	}
	checkDelivery(t, get(t, s, "a"), pending(a))
	checkDelivery(t, get(t, s, "b"), pending(b))

	// A finished row is left alone too.
	c := claimOne(t, s, "w", t0.Add(time.Minute))
	if err := s.CompleteDelivery(t.Context(), c.ID, "w", t0.Add(time.Minute)); err != nil {
		t.Fatalf("CompleteDelivery: %v", err)
	}
	ok, err = s.InsertDeliveries(t.Context(), []store.Delivery{newDelivery(c.ID, t0.Add(time.Hour))})
	if err != nil || len(ok) != 1 || ok[0] {
		t.Fatalf("InsertDeliveries(done id) = %v, %v, want [false]", ok, err)
	}
	if d := get(t, s, c.ID); d.Status != store.DeliveryDone {
		t.Errorf("status after duplicate insert = %q, want done", d.Status)
	}
	if n := count(t, s, store.DeliveryPending) + count(t, s, store.DeliveryDone); n != 2 {
		t.Errorf("row count = %d, want 2", n)
	}
}

func testInsertEmpty(t *testing.T, s store.Store) {
	for _, ds := range [][]store.Delivery{nil, {}} {
		ok, err := s.InsertDeliveries(t.Context(), ds)
		if err != nil || len(ok) != 0 {
			t.Errorf("InsertDeliveries(%#v) = %v, %v, want [], nil", ds, ok, err)
		}
	}
	if n := count(t, s, store.DeliveryPending); n != 0 {
		t.Errorf("pending count = %d, want 0", n)
	}
}

func testInsertAllOrNothing(t *testing.T, s store.Store) {
	cases := []struct {
		name string
		bad  store.Delivery
	}{
		{"zero ReceivedAt", newDelivery("bad", time.Time{})},
		{"empty ID", newDelivery("", t0)},
	}
	for i, tc := range cases {
		good := []store.Delivery{
			newDelivery(fmt.Sprintf("g%d-1", i), t0),
			newDelivery(fmt.Sprintf("g%d-2", i), t0),
			newDelivery(fmt.Sprintf("g%d-3", i), t0),
		}
		batch := []store.Delivery{good[0], good[1], tc.bad, good[2]}
		ok, err := s.InsertDeliveries(t.Context(), batch)
		if err == nil {
			t.Errorf("%s: InsertDeliveries = %v, nil; want an error", tc.name, ok)
			continue
		}
		known, err := s.KnownDeliveryIDs(t.Context(), ids(good))
		if err != nil {
			t.Fatalf("KnownDeliveryIDs: %v", err)
		}
		if len(known) != 0 {
			t.Errorf("%s: rows written by a failed batch: %v", tc.name, known)
		}
	}
	if n := count(t, s, store.DeliveryPending); n != 0 {
		t.Errorf("pending count after failed batches = %d, want 0", n)
	}
	// The store is still usable, and the ids of the failed batch are free.
	insert(t, s, newDelivery("g0-1", t0), newDelivery("after", t0))
	if n := count(t, s, store.DeliveryPending); n != 2 {
		t.Errorf("pending count = %d, want 2", n)
	}
}

func testInsertLargeBatch(t *testing.T, s store.Store) {
	rng := rand.New(rand.NewPCG(1, 2))
	ds := make([]store.Delivery, 64)
	for i := range ds {
		ds[i] = newDelivery(fmt.Sprintf("big-%02d", i), t0.Add(time.Duration(i)*time.Microsecond))
		p := make([]byte, 25<<10)
		for j := range p {
			p[j] = byte(rng.UintN(256))
		}
		ds[i].Payload = p
	}
	insert(t, s, ds...)
	for _, i := range []int{0, 31, 63} {
		checkDelivery(t, get(t, s, ds[i].ID), pending(ds[i]))
	}
	if n := count(t, s, store.DeliveryPending); n != 64 {
		t.Errorf("pending count = %d, want 64", n)
	}
}

func testGetNotFound(t *testing.T, s store.Store) {
	_, err := s.GetDelivery(t.Context(), "nope")
	wantErrIs(t, "GetDelivery(nope)", err, store.ErrNotFound)
}

func testClaimOrderAndLimit(t *testing.T, s store.Store) {
	// Inserted out of order; ids do not sort like received_at.
	offsets := map[string]int{"e": 3, "d": 1, "c": 4, "b": 0, "a": 2}
	var ds []store.Delivery
	for _, id := range []string{"e", "d", "c", "b", "a"} {
		ds = append(ds, newDelivery(id, t0.Add(time.Duration(offsets[id])*time.Second)))
	}
	insert(t, s, ds...)
	now := t0.Add(time.Minute)
	got := claim(t, s, "w1", now, 3)
	if want := []string{"b", "d", "a"}; fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Fatalf("first claim = %v, want %v", ids(got), want)
	}
	for _, d := range got {
		want := leased(pending(newDelivery(d.ID, t0.Add(time.Duration(offsets[d.ID])*time.Second))), "w1", now)
		checkDelivery(t, d, want)
		checkDelivery(t, get(t, s, d.ID), want)
	}
	got = claim(t, s, "w2", now, 10)
	if want := []string{"e", "c"}; fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Fatalf("second claim = %v, want %v", ids(got), want)
	}
	if got := claim(t, s, "w3", now, 10); len(got) != 0 {
		t.Fatalf("third claim = %v, want none", ids(got))
	}
}

func testClaimNextAttemptAt(t *testing.T, s store.Store) {
	insert(t, s, newDelivery("a", t0))
	if got := claim(t, s, "w", t0.Add(-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("claim before ReceivedAt = %v, want none", ids(got))
	}
	d := claimOne(t, s, "w", t0) // due exactly at NextAttemptAt
	next := t0.Add(time.Minute)
	if err := s.RetryDelivery(t.Context(), d.ID, "w", next, "boom"); err != nil {
		t.Fatalf("RetryDelivery: %v", err)
	}
	if got := claim(t, s, "w", next.Add(-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("claim before NextAttemptAt = %v, want none", ids(got))
	}
	d = claimOne(t, s, "w2", next)
	want := leased(pending(newDelivery("a", t0)), "w2", next)
	want.Attempts = 2
	want.NextAttemptAt = next
	want.LastError = "boom"
	checkDelivery(t, d, want)
}

func testClaimLeases(t *testing.T, s store.Store) {
	insert(t, s, newDelivery("a", t0))
	a := claimOne(t, s, "A", t0)
	if a.LeaseUntil != t0.Add(lease) {
		t.Fatalf("LeaseUntil = %v, want %v", a.LeaseUntil, t0.Add(lease))
	}
	// Held while now < LeaseUntil.
	if got := claim(t, s, "B", t0.Add(lease-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("claim under an unexpired lease = %v, want none", ids(got))
	}
	if got := claim(t, s, "A", t0.Add(lease/2), 10); len(got) != 0 {
		t.Fatalf("re-claim by the holder = %v, want none", ids(got))
	}
	// Void from LeaseUntil on.
	later := t0.Add(lease)
	b := claimOne(t, s, "B", later)
	want := leased(leased(pending(newDelivery("a", t0)), "A", t0), "B", later)
	checkDelivery(t, b, want)

	wantErrIs(t, "CompleteDelivery by the previous holder", s.CompleteDelivery(t.Context(), "a", "A", later), store.ErrLeaseLost)
	wantErrIs(t, "RetryDelivery by the previous holder", s.RetryDelivery(t.Context(), "a", "A", later, "x"), store.ErrLeaseLost)
	wantErrIs(t, "DeadLetterDelivery by the previous holder", s.DeadLetterDelivery(t.Context(), "a", "A", later, "x"), store.ErrLeaseLost)
	checkDelivery(t, get(t, s, "a"), want)

	if err := s.CompleteDelivery(t.Context(), "a", "B", later); err != nil {
		t.Fatalf("CompleteDelivery by the holder: %v", err)
	}
}

func testClaimArguments(t *testing.T, s store.Store) {
	insert(t, s, newDelivery("a", t0))
	if got, err := s.ClaimDeliveries(t.Context(), "w", t0, lease, 0); err != nil || len(got) != 0 {
		t.Errorf("ClaimDeliveries(limit 0) = %v, %v, want none", ids(got), err)
	}
	if _, err := s.ClaimDeliveries(t.Context(), "", t0, lease, 1); err == nil {
		t.Error("ClaimDeliveries(owner \"\"): no error")
	}
	if _, err := s.ClaimDeliveries(t.Context(), "w", t0, 0, 1); err == nil {
		t.Error("ClaimDeliveries(lease 0): no error")
	}
	checkDelivery(t, get(t, s, "a"), pending(newDelivery("a", t0)))
}

func testClaimSkipsFinished(t *testing.T, s store.Store) {
	insert(t, s, newDelivery("done", t0), newDelivery("dead", t0.Add(time.Second)), newDelivery("open", t0.Add(2*time.Second)))
	if err := s.InsertDeadLetter(t.Context(), newDelivery("letter", t0), "bad json"); err != nil {
		t.Fatalf("InsertDeadLetter: %v", err)
	}
	d := claimOne(t, s, "w", t0.Add(time.Minute))
	if err := s.CompleteDelivery(t.Context(), d.ID, "w", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	d = claimOne(t, s, "w", t0.Add(time.Minute))
	if err := s.DeadLetterDelivery(t.Context(), d.ID, "w", t0.Add(time.Minute), "gave up"); err != nil {
		t.Fatal(err)
	}
	got := claim(t, s, "w", t0.Add(time.Hour), 10)
	if fmt.Sprint(ids(got)) != "[open]" {
		t.Errorf("claim = %v, want [open]", ids(got))
	}
}

func testClaimConcurrent(t *testing.T, s store.Store) {
	const rows, workers, limit = 300, 8, 7
	var ds []store.Delivery
	for i := range rows {
		ds = append(ds, newDelivery(fmt.Sprintf("r%03d", i), t0.Add(time.Duration(i)*time.Microsecond)))
	}
	for i := 0; i < rows; i += 100 {
		insert(t, s, ds[i:i+100]...)
	}
	now := t0.Add(time.Minute)
	var (
		mu      sync.Mutex
		claimed = make(map[string]string)
		dups    []string
		wg      sync.WaitGroup
	)
	errs := make(chan error, workers)
	for w := range workers {
		owner := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				got, err := s.ClaimDeliveries(t.Context(), owner, now, lease, limit)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					if prev, ok := claimed[d.ID]; ok {
						dups = append(dups, fmt.Sprintf("%s (%s and %s)", d.ID, prev, owner))
					}
					claimed[d.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("ClaimDeliveries: %v", err)
	}
	if len(dups) > 0 {
		t.Fatalf("%d rows claimed twice, for example %v", len(dups), dups[:min(len(dups), 5)])
	}
	// A claimer that found every remaining row locked stops early; whatever
	// is left must still be claimable.
	for _, d := range claim(t, s, "last", now, rows) {
		claimed[d.ID] = "last"
	}
	if len(claimed) != rows {
		t.Fatalf("claimed %d rows, want %d", len(claimed), rows)
	}
	for _, id := range []string{"r000", "r150", "r299"} {
		if d := get(t, s, id); d.Attempts != 1 || d.LeaseOwner != claimed[id] {
			t.Errorf("%s: Attempts, LeaseOwner = %d, %q, want 1, %q", id, d.Attempts, d.LeaseOwner, claimed[id])
		}
	}
}

func testComplete(t *testing.T, s store.Store) {
	a := newDelivery("a", t0)
	insert(t, s, a, newDelivery("b", t0.Add(time.Second)))
	claimOne(t, s, "w", t0)
	done := t0.Add(3 * time.Second)
	if err := s.CompleteDelivery(t.Context(), "a", "w", done); err != nil {
		t.Fatalf("CompleteDelivery: %v", err)
	}
	want := pending(a)
	want.Status = store.DeliveryDone
	want.Attempts = 1
	want.FinishedAt = done
	checkDelivery(t, get(t, s, "a"), want)
	wantErrIs(t, "second CompleteDelivery", s.CompleteDelivery(t.Context(), "a", "w", done), store.ErrLeaseLost)
	wantErrIs(t, "CompleteDelivery of an unknown id", s.CompleteDelivery(t.Context(), "zzz", "w", done), store.ErrNotFound)
	if n := count(t, s, store.DeliveryDone); n != 1 {
		t.Errorf("done count = %d, want 1", n)
	}

	// A lease that ran out but that nobody re-claimed is still the owner's.
	claimOne(t, s, "w", t0.Add(time.Second))
	if err := s.CompleteDelivery(t.Context(), "b", "w", t0.Add(time.Hour)); err != nil {
		t.Errorf("CompleteDelivery after the lease ran out, not re-claimed: %v", err)
	}
	if got := claim(t, s, "w", t0.Add(2*time.Hour), 10); len(got) != 0 {
		t.Errorf("claim after completion = %v, want none", ids(got))
	}
}

func testCompleteMany(t *testing.T, s store.Store) {
	var ds []store.Delivery
	var mine []string
	for i := range 700 { // more than one IN-list chunk
		id := fmt.Sprintf("m%04d", i)
		ds = append(ds, newDelivery(id, t0.Add(time.Duration(i)*time.Microsecond)))
		mine = append(mine, id)
	}
	insert(t, s, append(ds, newDelivery("other", t0.Add(time.Second)), newDelivery("unclaimed", t0.Add(2*time.Second)))...)
	if got := claim(t, s, "w", t0.Add(time.Millisecond), 1000); len(got) != 700 {
		t.Fatalf("claimed %d, want the 700 due rows", len(got))
	}
	if got := claim(t, s, "v", t0.Add(time.Second), 1); len(got) != 1 || got[0].ID != "other" {
		t.Fatalf("claim of other = %v", ids(got))
	}
	done := t0.Add(time.Minute)
	notDone, err := s.CompleteDeliveries(t.Context(), append(mine, "other", "unclaimed", "unknown"), "w", done)
	if err != nil {
		t.Fatalf("CompleteDeliveries: %v", err)
	}
	if fmt.Sprint(notDone) != "[other unclaimed unknown]" {
		t.Fatalf("not completed = %v, want the rows w does not hold", notDone)
	}
	if n := count(t, s, store.DeliveryDone); n != 700 {
		t.Fatalf("done = %d, want 700", n)
	}
	if d := get(t, s, "m0001"); d.Status != store.DeliveryDone || !d.FinishedAt.Equal(done) || d.LeaseOwner != "" {
		t.Fatalf("completed row %+v", d)
	}
	if d := get(t, s, "other"); d.Status != store.DeliveryPending || d.LeaseOwner != "v" {
		t.Fatalf("another owner's row was touched: %+v", d)
	}
	// Completing again is refused row by row, not silently repeated.
	if notDone, err := s.CompleteDeliveries(t.Context(), mine[:2], "w", done); err != nil || len(notDone) != 2 {
		t.Fatalf("second completion: %v %v, want both refused", notDone, err)
	}
	if notDone, err := s.CompleteDeliveries(t.Context(), nil, "w", done); err != nil || notDone != nil {
		t.Fatalf("empty batch: %v %v", notDone, err)
	}
}

func testRetry(t *testing.T, s store.Store) {
	a := newDelivery("a", t0)
	insert(t, s, a)
	claimOne(t, s, "w", t0)
	next := t0.Add(5 * time.Minute)
	if err := s.RetryDelivery(t.Context(), "a", "w", next, "github 502"); err != nil {
		t.Fatalf("RetryDelivery: %v", err)
	}
	want := pending(a)
	want.Attempts = 1
	want.NextAttemptAt = next
	want.LastError = "github 502"
	checkDelivery(t, get(t, s, "a"), want)
	wantErrIs(t, "second RetryDelivery", s.RetryDelivery(t.Context(), "a", "w", next, "again"), store.ErrLeaseLost)
	wantErrIs(t, "RetryDelivery of an unknown id", s.RetryDelivery(t.Context(), "zzz", "w", next, "x"), store.ErrNotFound)
	checkDelivery(t, get(t, s, "a"), want)
}

func testDeadLetterDelivery(t *testing.T, s store.Store) {
	a := newDelivery("a", t0)
	insert(t, s, a)
	claimOne(t, s, "w", t0)
	at := t0.Add(time.Second)
	if err := s.DeadLetterDelivery(t.Context(), "a", "w", at, "too many attempts: 502"); err != nil {
		t.Fatalf("DeadLetterDelivery: %v", err)
	}
	want := pending(a)
	want.Status = store.DeliveryDead
	want.Attempts = 1
	want.LastError = "too many attempts: 502"
	want.FinishedAt = at
	checkDelivery(t, get(t, s, "a"), want)
	wantErrIs(t, "second DeadLetterDelivery", s.DeadLetterDelivery(t.Context(), "a", "w", at, "again"), store.ErrLeaseLost)
	wantErrIs(t, "DeadLetterDelivery of an unknown id", s.DeadLetterDelivery(t.Context(), "zzz", "w", at, "x"), store.ErrNotFound)
	checkDelivery(t, get(t, s, "a"), want)
	if n := count(t, s, store.DeliveryDead); n != 1 {
		t.Errorf("dead count = %d, want 1", n)
	}
	if got := claim(t, s, "w", t0.Add(time.Hour), 10); len(got) != 0 {
		t.Errorf("claim of a dead row = %v, want none", ids(got))
	}
}

func testLeaseLost(t *testing.T, s store.Store) {
	a := newDelivery("a", t0)
	insert(t, s, a, newDelivery("never", t0))
	ops := map[string]func(id, owner string) error{
		"CompleteDelivery": func(id, owner string) error { return s.CompleteDelivery(t.Context(), id, owner, t0) },
		"RetryDelivery":    func(id, owner string) error { return s.RetryDelivery(t.Context(), id, owner, t0, "x") },
		"DeadLetterDelivery": func(id, owner string) error {
			return s.DeadLetterDelivery(t.Context(), id, owner, t0, "x")
		},
	}
	// Never claimed: nobody holds it, not even the empty owner.
	for name, op := range ops {
		for _, owner := range []string{"w", ""} {
			wantErrIs(t, fmt.Sprintf("%s(never, %q)", name, owner), op("never", owner), store.ErrLeaseLost)
		}
	}
	claimOne(t, s, "owner", t0)
	want := leased(pending(a), "owner", t0)
	for name, op := range ops {
		for _, owner := range []string{"other", "", "OWNER"} {
			wantErrIs(t, fmt.Sprintf("%s by %q", name, owner), op("a", owner), store.ErrLeaseLost)
		}
	}
	checkDelivery(t, get(t, s, "a"), want)
	checkDelivery(t, get(t, s, "never"), pending(newDelivery("never", t0)))
}

func testInsertDeadLetter(t *testing.T, s store.Store) {
	a := newDelivery("a", t0)
	a.Payload = []byte("not json")
	if err := s.InsertDeadLetter(t.Context(), a, "body is not JSON"); err != nil {
		t.Fatalf("InsertDeadLetter: %v", err)
	}
	want := pending(a)
	want.Status = store.DeliveryDead
	want.LastError = "body is not JSON"
	want.FinishedAt = t0
	checkDelivery(t, get(t, s, "a"), want)

	// FinishedAt, when given, is kept.
	b := newDelivery("b", t0)
	b.FinishedAt = t0.Add(time.Second)
	if err := s.InsertDeadLetter(t.Context(), b, "r"); err != nil {
		t.Fatalf("InsertDeadLetter: %v", err)
	}
	if got := get(t, s, "b"); got.FinishedAt != b.FinishedAt {
		t.Errorf("FinishedAt = %v, want %v", got.FinishedAt, b.FinishedAt)
	}

	// Duplicates leave the existing row untouched.
	if err := s.InsertDeadLetter(t.Context(), newDelivery("a", t0.Add(time.Hour)), "another reason"); err != nil {
		t.Fatalf("InsertDeadLetter(duplicate): %v", err)
	}
	checkDelivery(t, get(t, s, "a"), want)
	c := newDelivery("c", t0)
	insert(t, s, c)
	if err := s.InsertDeadLetter(t.Context(), c, "late"); err != nil {
		t.Fatalf("InsertDeadLetter(pending duplicate): %v", err)
	}
	checkDelivery(t, get(t, s, "c"), pending(c))

	if n := count(t, s, store.DeliveryDead); n != 2 {
		t.Errorf("dead count = %d, want 2", n)
	}
	if got := claim(t, s, "w", t0.Add(time.Hour), 10); fmt.Sprint(ids(got)) != "[c]" {
		t.Errorf("claim = %v, want [c]", ids(got))
	}
}

func testReleaseLeases(t *testing.T, s store.Store) {
	ds := []store.Delivery{newDelivery("a", t0), newDelivery("b", t0.Add(time.Second)), newDelivery("c", t0.Add(2*time.Second))}
	insert(t, s, ds...)
	if got, err := s.ClaimDeliveries(t.Context(), "A", t0.Add(time.Minute), time.Hour, 2); err != nil || len(got) != 2 {
		t.Fatalf("ClaimDeliveries = %v, %v, want 2 rows", ids(got), err)
	}
	if err := s.ReleaseLeases(t.Context()); err != nil {
		t.Fatalf("ReleaseLeases: %v", err)
	}
	for _, d := range ds[:2] {
		want := pending(d)
		want.Attempts = 1
		checkDelivery(t, get(t, s, d.ID), want)
	}
	// Claimable at once, long before the hour-long lease would have ended.
	got := claim(t, s, "B", t0.Add(time.Minute), 10)
	if fmt.Sprint(ids(got)) != "[a b c]" {
		t.Fatalf("claim after ReleaseLeases = %v, want [a b c]", ids(got))
	}
	wantErrIs(t, "CompleteDelivery by the released owner", s.CompleteDelivery(t.Context(), "a", "A", t0), store.ErrLeaseLost)
	if err := s.CompleteDelivery(t.Context(), "a", "B", t0); err != nil {
		t.Fatalf("CompleteDelivery: %v", err)
	}
	if err := s.ReleaseLeases(t.Context()); err != nil {
		t.Fatalf("ReleaseLeases: %v", err)
	}
	if d := get(t, s, "a"); d.Status != store.DeliveryDone || !d.FinishedAt.Equal(t0) {
		t.Errorf("done row after ReleaseLeases: Status %q, FinishedAt %v", d.Status, d.FinishedAt)
	}
	if d := get(t, s, "b"); d.LeaseOwner != "" || !d.LeaseUntil.IsZero() || d.Attempts != 2 {
		t.Errorf("released row: LeaseOwner %q, LeaseUntil %v, Attempts %d", d.LeaseOwner, d.LeaseUntil, d.Attempts)
	}
}

func testCountDeliveries(t *testing.T, s store.Store) {
	for _, st := range []store.DeliveryStatus{store.DeliveryPending, store.DeliveryDone, store.DeliveryDead} {
		if n := count(t, s, st); n != 0 {
			t.Errorf("empty store: %s count = %d", st, n)
		}
	}
	var ds []store.Delivery
	for i := range 6 {
		ds = append(ds, newDelivery(fmt.Sprintf("d%d", i), t0.Add(time.Duration(i)*time.Second)))
	}
	insert(t, s, ds...)
	if err := s.InsertDeadLetter(t.Context(), newDelivery("x", t0), "bad"); err != nil {
		t.Fatal(err)
	}
	got := claim(t, s, "w", t0.Add(time.Minute), 3)
	for _, d := range got[:2] {
		if err := s.CompleteDelivery(t.Context(), d.ID, "w", t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeadLetterDelivery(t.Context(), got[2].ID, "w", t0, "bad"); err != nil {
		t.Fatal(err)
	}
	want := map[store.DeliveryStatus]int{store.DeliveryPending: 3, store.DeliveryDone: 2, store.DeliveryDead: 2, "bogus": 0}
	for st, n := range want {
		if got := count(t, s, st); got != n {
			t.Errorf("%s count = %d, want %d", st, got, n)
		}
	}
}

func testKnownDeliveryIDs(t *testing.T, s store.Store) {
	for _, in := range [][]string{nil, {}} {
		known, err := s.KnownDeliveryIDs(t.Context(), in)
		if err != nil || len(known) != 0 {
			t.Errorf("KnownDeliveryIDs(%#v) = %v, %v, want empty", in, known, err)
		}
	}
	const n = 1200
	var ds []store.Delivery
	var query []string
	for i := range n {
		id := fmt.Sprintf("k%04d", i)
		ds = append(ds, newDelivery(id, t0))
		query = append(query, id)
		if i%4 == 0 {
			query = append(query, fmt.Sprintf("u%04d", i)) // unknown
		}
	}
	for i := 0; i < n; i += 200 {
		insert(t, s, ds[i:i+200]...)
	}
	// Rows in every status count.
	if err := s.InsertDeadLetter(t.Context(), newDelivery("dead", t0), "r"); err != nil {
		t.Fatal(err)
	}
	d := claimOne(t, s, "w", t0)
	if err := s.CompleteDelivery(t.Context(), d.ID, "w", t0); err != nil {
		t.Fatal(err)
	}
	query = append(query, "dead")
	if len(query) <= 1000 {
		t.Fatalf("query has %d ids, want > 1000", len(query))
	}
	known, err := s.KnownDeliveryIDs(t.Context(), query)
	if err != nil {
		t.Fatalf("KnownDeliveryIDs: %v", err)
	}
	if len(known) != n+1 {
		t.Errorf("KnownDeliveryIDs: %d known, want %d", len(known), n+1)
	}
	for _, id := range query {
		if want := !strings.HasPrefix(id, "u"); known[id] != want {
			t.Errorf("known[%q] = %v, want %v", id, known[id], want)
		}
	}
}

func testInstallations(t *testing.T, s store.Store) {
	if got, err := s.ListInstallations(t.Context()); err != nil || len(got) != 0 {
		t.Fatalf("ListInstallations on an empty store = %v, %v", got, err)
	}
	ins := []store.Installation{
		{ID: 1 << 40, AccountID: 1<<33 + 1, AccountLogin: "big-org", AccountType: "Organization", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)},
		{ID: 10, AccountID: 100, AccountLogin: "alice", AccountType: "User", Suspended: true, CreatedAt: t0},
		{ID: 20, AccountID: 200, AccountLogin: "acme", AccountType: "Organization"},
	}
	for _, in := range ins {
		if err := s.UpsertInstallation(t.Context(), in); err != nil {
			t.Fatalf("UpsertInstallation(%d): %v", in.ID, err)
		}
	}
	for _, in := range ins {
		got, err := s.GetInstallation(t.Context(), in.ID)
		if err != nil {
			t.Fatalf("GetInstallation(%d): %v", in.ID, err)
		}
		if got != in {
			t.Errorf("GetInstallation(%d) = %+v, want %+v", in.ID, got, in)
		}
	}
	_, err := s.GetInstallation(t.Context(), 999)
	wantErrIs(t, "GetInstallation(999)", err, store.ErrNotFound)

	upd := ins[1]
	upd.AccountLogin = "alice-renamed"
	upd.Suspended = false
	upd.UpdatedAt = t0.Add(2 * time.Hour)
	if err := s.UpsertInstallation(t.Context(), upd); err != nil {
		t.Fatalf("UpsertInstallation(update): %v", err)
	}
	ins[1] = upd
	list, err := s.ListInstallations(t.Context())
	if err != nil {
		t.Fatalf("ListInstallations: %v", err)
	}
	want := []store.Installation{ins[1], ins[2], ins[0]} // by ID
	if fmt.Sprint(list) != fmt.Sprint(want) {
		t.Errorf("ListInstallations =\n  %+v\nwant\n  %+v", list, want)
	}
}

func testRepositories(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, id := range []int64{1, 2} {
		if err := s.UpsertInstallation(ctx, store.Installation{ID: id, AccountID: id, AccountLogin: "o", AccountType: "User"}); err != nil {
			t.Fatal(err)
		}
	}
	repos := []store.Repository{
		{ID: 1 << 35, FullName: "b/x"},
		{ID: 2, FullName: "a/y", Private: true},
		{ID: 3, FullName: "B/z", InstallationID: 2}, // InstallationID comes from the argument
	}
	if err := s.AddRepositories(ctx, 1, repos); err != nil {
		t.Fatalf("AddRepositories: %v", err)
	}
	if err := s.AddRepositories(ctx, 2, []store.Repository{{ID: 50, FullName: "other/repo"}}); err != nil {
		t.Fatalf("AddRepositories: %v", err)
	}
	list := func(inst int64) string {
		t.Helper()
		rs, err := s.ListRepositories(ctx, inst)
		if err != nil {
			t.Fatalf("ListRepositories(%d): %v", inst, err)
		}
		return fmt.Sprint(rs)
	}
	// Bytewise order: upper case first.
	if got, want := list(1), fmt.Sprint([]store.Repository{
		{ID: 3, InstallationID: 1, FullName: "B/z"},
		{ID: 2, InstallationID: 1, FullName: "a/y", Private: true},
		{ID: 1 << 35, InstallationID: 1, FullName: "b/x"},
	}); got != want {
		t.Errorf("ListRepositories(1) = %s, want %s", got, want)
	}

	// Adding again updates.
	if err := s.AddRepositories(ctx, 1, []store.Repository{{ID: 2, FullName: "c/renamed"}}); err != nil {
		t.Fatalf("AddRepositories(update): %v", err)
	}
	if err := s.AddRepositories(ctx, 1, nil); err != nil {
		t.Fatalf("AddRepositories(nil): %v", err)
	}
	// 50 belongs to installation 2 and stays; 999 is unknown.
	if err := s.RemoveRepositories(ctx, 1, []int64{3, 50, 999}); err != nil {
		t.Fatalf("RemoveRepositories: %v", err)
	}
	if err := s.RemoveRepositories(ctx, 1, nil); err != nil {
		t.Fatalf("RemoveRepositories(nil): %v", err)
	}
	if got, want := list(1), fmt.Sprint([]store.Repository{
		{ID: 1 << 35, InstallationID: 1, FullName: "b/x"},
		{ID: 2, InstallationID: 1, FullName: "c/renamed"},
	}); got != want {
		t.Errorf("ListRepositories(1) after update and remove = %s, want %s", got, want)
	}
	if got, want := list(2), fmt.Sprint([]store.Repository{{ID: 50, InstallationID: 2, FullName: "other/repo"}}); got != want {
		t.Errorf("ListRepositories(2) = %s, want %s", got, want)
	}

	err := s.AddRepositories(ctx, 404, []store.Repository{{ID: 7, FullName: "n/a"}})
	wantErrIs(t, "AddRepositories to an unknown installation", err, store.ErrNotFound)
	if got := list(404); got != "[]" {
		t.Errorf("ListRepositories(404) = %s, want []", got)
	}
}

func testDeleteInstallation(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, id := range []int64{1, 2} {
		if err := s.UpsertInstallation(ctx, store.Installation{ID: id, AccountLogin: "o", AccountType: "User"}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddRepositories(ctx, id, []store.Repository{{ID: id * 10, FullName: "o/a"}, {ID: id*10 + 1, FullName: "o/b"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteInstallation(ctx, 1); err != nil {
		t.Fatalf("DeleteInstallation: %v", err)
	}
	_, err := s.GetInstallation(ctx, 1)
	wantErrIs(t, "GetInstallation after delete", err, store.ErrNotFound)
	if err := s.DeleteInstallation(ctx, 1); err != nil {
		t.Errorf("DeleteInstallation of a deleted installation: %v", err)
	}
	// Re-creating the installation does not bring its repositories back.
	if err := s.UpsertInstallation(ctx, store.Installation{ID: 1, AccountLogin: "o", AccountType: "User"}); err != nil {
		t.Fatal(err)
	}
	if rs, err := s.ListRepositories(ctx, 1); err != nil || len(rs) != 0 {
		t.Errorf("ListRepositories(1) after delete = %v, %v, want none", rs, err)
	}
	if rs, err := s.ListRepositories(ctx, 2); err != nil || len(rs) != 2 {
		t.Errorf("ListRepositories(2) = %v, %v, want 2 repositories", rs, err)
	}
	list, err := s.ListInstallations(ctx)
	if err != nil || len(list) != 2 {
		t.Errorf("ListInstallations = %v, %v, want 2", list, err)
	}
}

func testTimeRoundTrip(t *testing.T, s store.Store) {
	ist := time.FixedZone("IST", 5*3600+30*60)
	cases := []struct {
		name     string
		in, want time.Time
	}{
		{"microseconds in another zone", time.Date(2024, 2, 29, 23, 59, 59, 999999000, ist), time.Date(2024, 2, 29, 18, 29, 59, 999999000, time.UTC)},
		{"nanoseconds truncated", time.Date(2024, 1, 2, 3, 4, 5, 678901999, time.UTC), time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{"far future", time.Date(2262, 4, 11, 23, 47, 16, 854775000, time.UTC), time.Date(2262, 4, 11, 23, 47, 16, 854775000, time.UTC)},
	}
	for i, tc := range cases {
		id := fmt.Sprintf("t%d", i)
		insert(t, s, newDelivery(id, tc.in))
		d := get(t, s, id)
		if msg := checkTime(tc.name+": ReceivedAt", d.ReceivedAt, tc.want); msg != "" {
			t.Error(msg)
		}
		if msg := checkTime(tc.name+": NextAttemptAt", d.NextAttemptAt, tc.want); msg != "" {
			t.Error(msg)
		}
		if !d.LeaseUntil.IsZero() || !d.FinishedAt.IsZero() {
			t.Errorf("%s: zero times read back as %v, %v", tc.name, d.LeaseUntil, d.FinishedAt)
		}
		in := store.Installation{ID: int64(i + 1), AccountLogin: "o", AccountType: "User", CreatedAt: tc.in, UpdatedAt: tc.in}
		if err := s.UpsertInstallation(t.Context(), in); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetInstallation(t.Context(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if msg := checkTime(tc.name+": CreatedAt", got.CreatedAt, tc.want); msg != "" {
			t.Error(msg)
		}
	}
	// Claim, retry and finish times.
	insert(t, s, newDelivery("c", t0))
	now := time.Date(2025, 3, 4, 12, 6, 8, 1000, ist) // after t0
	var d store.Delivery
	for _, c := range claim(t, s, "w", now, 100) { // the rows above that are due, and c
		if c.ID == "c" {
			d = c
		}
	}
	if d.ID != "c" {
		t.Fatal("c was not claimed")
	}
	if msg := checkTime("LeaseUntil", d.LeaseUntil, now.Add(lease)); msg != "" {
		t.Error(msg)
	}
	next := now.Add(time.Microsecond)
	if err := s.RetryDelivery(t.Context(), "c", "w", next, "x"); err != nil {
		t.Fatal(err)
	}
	if msg := checkTime("NextAttemptAt", get(t, s, "c").NextAttemptAt, next); msg != "" {
		t.Error(msg)
	}
	if d := claimOne(t, s, "w", next); d.ID != "c" {
		t.Fatalf("claimed %q, want c", d.ID)
	}
	fin := next.Add(time.Microsecond)
	if err := s.CompleteDelivery(t.Context(), "c", "w", fin); err != nil {
		t.Fatal(err)
	}
	if msg := checkTime("FinishedAt", get(t, s, "c").FinishedAt, fin); msg != "" {
		t.Error(msg)
	}
	// Zero installation times stay zero.
	if err := s.UpsertInstallation(t.Context(), store.Installation{ID: 100, AccountLogin: "zero", AccountType: "User"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetInstallation(t.Context(), 100)
	if err != nil || !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
		t.Errorf("zero installation times read back as %v, %v (%v)", got.CreatedAt, got.UpdatedAt, err)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	var completed atomic.Int64
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			ctx := t.Context()
			owner := fmt.Sprintf("w%d", w)
			inst := int64(w + 1)
			for r := range rounds {
				var ds []store.Delivery
				for i := range 5 {
					ds = append(ds, newDelivery(fmt.Sprintf("%s-%d-%d", owner, r, i), t0))
				}
				ds = append(ds, ds[0]) // a duplicate
				ok, err := s.InsertDeliveries(ctx, ds)
				if err != nil {
					errs <- fmt.Errorf("InsertDeliveries: %w", err)
					return
				}
				if ok[5] || !ok[0] {
					errs <- fmt.Errorf("InsertDeliveries = %v", ok)
				}
				got, err := s.ClaimDeliveries(ctx, owner, t0, lease, 3)
				if err != nil {
					errs <- fmt.Errorf("ClaimDeliveries: %w", err)
					return
				}
				for _, d := range got {
					if err := s.CompleteDelivery(ctx, d.ID, owner, t0); err != nil {
						errs <- fmt.Errorf("CompleteDelivery: %w", err)
						continue
					}
					completed.Add(1)
				}
				if err := s.UpsertInstallation(ctx, store.Installation{ID: inst, AccountLogin: owner, AccountType: "User"}); err != nil {
					errs <- fmt.Errorf("UpsertInstallation: %w", err)
				}
				if err := s.AddRepositories(ctx, inst, []store.Repository{{ID: inst*1000 + int64(r), FullName: fmt.Sprintf("%s/r%02d", owner, r)}}); err != nil {
					errs <- fmt.Errorf("AddRepositories: %w", err)
				}
				if _, err := s.KnownDeliveryIDs(ctx, ids(ds)); err != nil {
					errs <- fmt.Errorf("KnownDeliveryIDs: %w", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	pendingN, doneN := count(t, s, store.DeliveryPending), count(t, s, store.DeliveryDone)
	if pendingN+doneN != workers*rounds*5 || int64(doneN) != completed.Load() || doneN == 0 {
		t.Errorf("pending, done = %d, %d; want %d rows of which %d done", pendingN, doneN, workers*rounds*5, completed.Load())
	}
	for w := range workers {
		rs, err := s.ListRepositories(t.Context(), int64(w+1))
		if err != nil || len(rs) != rounds {
			t.Errorf("ListRepositories(%d) = %d repositories, %v; want %d", w+1, len(rs), err, rounds)
		}
	}
}
