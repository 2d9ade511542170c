package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// ist is a zone away from UTC, to see that times are stored as instants.
var ist = time.FixedZone("IST", 5*3600+30*60)

// stored is t as the store gives it back: UTC, truncated to the microsecond.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func storedLock(l store.EnvLock) store.EnvLock {
	l.CreatedAt, l.ExpiresAt = stored(l.CreatedAt), stored(l.ExpiresAt)
	return l
}

func acquire(t *testing.T, s store.Store, l store.EnvLock, now time.Time) (store.EnvLock, bool) {
	t.Helper()
	got, ok, err := s.AcquireEnvLock(t.Context(), l, now)
	if err != nil {
		t.Fatalf("AcquireEnvLock(%+v, %v): %v", l, now, err)
	}
	return got, ok
}

func checkLock(t *testing.T, what string, got, want store.EnvLock) {
	t.Helper()
	if want = storedLock(want); got != want {
		t.Fatalf("%s = %+v, want %+v", what, got, want)
	}
}

func lockAt(t *testing.T, s store.Store, repoID int64, env string, now time.Time) (store.EnvLock, bool) {
	t.Helper()
	l, ok, err := s.GetEnvLock(t.Context(), repoID, env, now)
	if err != nil {
		t.Fatalf("GetEnvLock(%d, %q): %v", repoID, env, err)
	}
	return l, ok
}

func testEnvLocks(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Date(2026, 5, 6, 9, 30, 0, 123456789, ist)
	alice := store.EnvLock{RepoID: 4200000001, Environment: "production", Holder: "@alice", HolderKey: "github:1",
		Reason: "freeze for the launch", CreatedAt: now.Add(-time.Second), ExpiresAt: now.Add(time.Hour)}
	if _, ok := lockAt(t, s, alice.RepoID, "production", now); ok {
		t.Fatal("a new store has a lock")
	}
	got, ok := acquire(t, s, alice, now)
	if !ok {
		t.Fatalf("a free environment was not locked: %+v", got)
	}
	checkLock(t, "acquired lock", got, alice)
	l, ok := lockAt(t, s, alice.RepoID, "production", now)
	if !ok {
		t.Fatal("GetEnvLock found no lock after AcquireEnvLock")
	}
	checkLock(t, "GetEnvLock", l, alice)

	// Another holder is refused and told who holds it; nothing changes.
	bob := store.EnvLock{RepoID: alice.RepoID, Environment: "production", Holder: "slack:U123", HolderKey: "slack:U123",
		Reason: "hotfix", ExpiresAt: now.Add(2 * time.Hour)}
	got, ok = acquire(t, s, bob, now.Add(time.Minute))
	if ok {
		t.Fatal("another holder took a held lock")
	}
	checkLock(t, "refused acquire's current lock", got, alice)
	if l, _ := lockAt(t, s, alice.RepoID, "production", now); storedLock(alice) != l {
		t.Fatalf("a refused acquire changed the lock to %+v", l)
	}

	// Other environments and repositories are independent.
	staging := bob
	staging.Environment = "staging"
	if _, ok := acquire(t, s, staging, now); !ok {
		t.Fatal("another environment of the repository was locked too")
	}
	otherRepo := bob
	otherRepo.RepoID++
	if _, ok := acquire(t, s, otherRepo, now); !ok {
		t.Fatal("the environment of another repository was locked too")
	}

	// The holder renews: reason, expiry and holder as shown change, the
	// creation time stays.
	renew := alice
	renew.Holder, renew.Reason, renew.ExpiresAt, renew.CreatedAt = "@alice-renamed", "still frozen", now.Add(3*time.Hour), now.Add(time.Minute)
	got, ok = acquire(t, s, renew, now.Add(time.Minute))
	want := renew
	want.CreatedAt = alice.CreatedAt
	if !ok {
		t.Fatalf("the holder could not renew its lock: %+v", got)
	}
	checkLock(t, "renewed lock", got, want)
	if l, _ := lockAt(t, s, alice.RepoID, "production", now.Add(time.Minute)); l != storedLock(want) {
		t.Fatalf("GetEnvLock after renewing = %+v, want %+v", l, storedLock(want))
	}

	// Expiry: held until just before ExpiresAt, free at it.
	expiry := want.ExpiresAt
	if _, ok := lockAt(t, s, alice.RepoID, "production", expiry.Add(-time.Microsecond)); !ok {
		t.Fatal("the lock was gone before it expired")
	}
	bob.ExpiresAt = expiry.Add(time.Hour)
	if _, ok := acquire(t, s, bob, expiry.Add(-time.Microsecond)); ok {
		t.Fatal("another holder took the lock before it expired")
	}
	if l, ok := lockAt(t, s, alice.RepoID, "production", expiry); ok {
		t.Fatalf("GetEnvLock returned an expired lock: %+v", l)
	}
	bob.ExpiresAt = time.Time{} // until unlocked
	got, ok = acquire(t, s, bob, expiry)
	if !ok {
		t.Fatalf("an expired lock was not free: %+v", got)
	}
	want = bob
	want.CreatedAt = expiry // a zero CreatedAt is now
	checkLock(t, "lock taken over at expiry", got, want)
	if l, ok := lockAt(t, s, alice.RepoID, "production", expiry.Add(1000*time.Hour)); !ok || l != storedLock(want) {
		t.Fatalf("a lock without expiry at +1000h = %+v, %v; want it held", l, ok)
	}

	// A holder taking its own expired lock again takes a new lock.
	stagingExpiry := staging.ExpiresAt
	staging.ExpiresAt, staging.Reason = time.Time{}, "again"
	got, ok = acquire(t, s, staging, stagingExpiry)
	if !ok {
		t.Fatalf("the holder could not take its expired lock again: %+v", got)
	}
	staging.CreatedAt = stagingExpiry // a zero CreatedAt is now
	checkLock(t, "own expired lock taken again", got, staging)

	// Release: only the holder, unless forced.
	rel, ok, err := s.ReleaseEnvLock(ctx, alice.RepoID, "production", alice.HolderKey, false)
	if err != nil || ok {
		t.Fatalf("ReleaseEnvLock by a non-holder = %+v, %v, %v; want refused", rel, ok, err)
	}
	checkLock(t, "lock refused to release", rel, want)
	rel, ok, err = s.ReleaseEnvLock(ctx, alice.RepoID, "production", bob.HolderKey, false)
	if err != nil || !ok {
		t.Fatalf("ReleaseEnvLock by the holder = %+v, %v, %v; want released", rel, ok, err)
	}
	checkLock(t, "released lock", rel, want)
	if l, ok := lockAt(t, s, alice.RepoID, "production", expiry); ok {
		t.Fatalf("a released lock is still there: %+v", l)
	}
	rel, ok, err = s.ReleaseEnvLock(ctx, alice.RepoID, "production", bob.HolderKey, false)
	if err != nil || ok || rel != (store.EnvLock{}) {
		t.Fatalf("ReleaseEnvLock of no lock = %+v, %v, %v; want the zero lock, false", rel, ok, err)
	}
	rel, ok, err = s.ReleaseEnvLock(ctx, staging.RepoID, "staging", "github:someone-else", true)
	if err != nil || !ok {
		t.Fatalf("forced ReleaseEnvLock = %+v, %v, %v; want released", rel, ok, err)
	}
	checkLock(t, "force-released lock", rel, staging)
	if _, ok := lockAt(t, s, staging.RepoID, "staging", now); ok {
		t.Fatal("a force-released lock is still there")
	}
	if _, ok, err := s.ReleaseEnvLock(ctx, staging.RepoID, "staging", "x", true); err != nil || ok {
		t.Fatalf("forced ReleaseEnvLock of no lock = %v, %v; want false", ok, err)
	}

	// Environment locks are people's, not leases: ReleaseLeases keeps them.
	if err := s.ReleaseLeases(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := lockAt(t, s, otherRepo.RepoID, "production", now); !ok {
		t.Fatal("ReleaseLeases removed an environment lock")
	}

	for _, bad := range []store.EnvLock{
		{RepoID: 1, Environment: "", HolderKey: "k"},
		{RepoID: 1, Environment: "prod", HolderKey: ""},
		{RepoID: 1, Environment: "prod", HolderKey: "k", ExpiresAt: now},
		{RepoID: 1, Environment: "prod", HolderKey: "k", ExpiresAt: now.Add(-time.Minute)},
		{RepoID: 1, Environment: "prod", HolderKey: "k", ExpiresAt: now.Truncate(time.Microsecond).Add(999)}, // now, as stored
	} {
		if _, _, err := s.AcquireEnvLock(ctx, bad, now); err == nil {
			t.Errorf("AcquireEnvLock(%+v) accepted", bad)
		}
	}
	if _, ok := lockAt(t, s, 1, "prod", now.Add(-time.Hour)); ok {
		t.Error("a refused AcquireEnvLock wrote a lock")
	}
}

// testEnvLocksConcurrent: of holders acquiring one free (or expired) lock at
// once, exactly one gets it, and the others are told it is theirs.
func testEnvLocksConcurrent(t *testing.T, s store.Store) {
	now := t0
	for round := range 6 {
		env := fmt.Sprintf("env-%d", round)
		if round%2 == 1 {
			// An expired lock to take over.
			old := store.EnvLock{RepoID: 7, Environment: env, Holder: "old", HolderKey: "old", ExpiresAt: now.Add(time.Minute)}
			if _, ok := acquire(t, s, old, now); !ok {
				t.Fatal("could not set up the expired lock")
			}
		}
		at := now.Add(time.Minute)
		const contenders = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []string
		var told []store.EnvLock
		for i := range contenders {
			wg.Go(func() {
				key := fmt.Sprintf("holder-%d", i)
				l := store.EnvLock{RepoID: 7, Environment: env, Holder: "@" + key, HolderKey: key, ExpiresAt: at.Add(time.Hour)}
				cur, ok, err := s.AcquireEnvLock(t.Context(), l, at)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Error(err)
				case ok:
					winners = append(winners, key)
				default:
					told = append(told, cur)
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 || len(told) != contenders-1 {
			t.Fatalf("round %d: %d of %d holders acquired one lock (%v)", round, len(winners), contenders, winners)
		}
		for _, cur := range told {
			if cur.HolderKey != winners[0] {
				t.Fatalf("round %d: a refused holder was told %q holds it; %q does", round, cur.HolderKey, winners[0])
			}
		}
		if l, ok := lockAt(t, s, 7, env, at); !ok || l.HolderKey != winners[0] {
			t.Fatalf("round %d: lock = %+v, %v; want %q's", round, l, ok, winners[0])
		}
	}
}

func enqueue(t *testing.T, s store.Store, q store.QueuedDeploy) (store.QueuedDeploy, int) {
	t.Helper()
	got, pos, err := s.EnqueueDeploy(t.Context(), q)
	if err != nil {
		t.Fatalf("EnqueueDeploy(%+v): %v", q, err)
	}
	return got, pos
}

func pop(t *testing.T, s store.Store, repoID int64, env string) (store.QueuedDeploy, bool) {
	t.Helper()
	q, ok, err := s.PopQueuedDeploy(t.Context(), repoID, env)
	if err != nil {
		t.Fatalf("PopQueuedDeploy(%d, %q): %v", repoID, env, err)
	}
	return q, ok
}

func queuedIDs(qs []store.QueuedDeploy) []int64 {
	out := make([]int64, len(qs))
	for i, q := range qs {
		out[i] = q.ID
	}
	return out
}

func checkQueued(t *testing.T, what string, got, want store.QueuedDeploy) {
	t.Helper()
	if got.ID != want.ID || got.RepoID != want.RepoID || got.Environment != want.Environment ||
		!bytes.Equal(got.Request, want.Request) || got.Request == nil || got.QueuedBy != want.QueuedBy || got.QueuedAt != stored(want.QueuedAt) {
		t.Fatalf("%s = %+v (request %q), want %+v (request %q)", what, got, got.Request, want, want.Request)
	}
}

func testDeployQueue(t *testing.T, s store.Store) {
	const repo = 4200000002
	base := time.Date(2026, 5, 6, 9, 30, 0, 999999999, ist)
	var queued []store.QueuedDeploy
	for i := range 3 {
		q := store.QueuedDeploy{ID: 999, RepoID: repo, Environment: "production",
			Request: fmt.Appendf(nil, `{"ref":"v1.%d.0","note":"caf\u00e9 \u2615"}`, i), QueuedBy: fmt.Sprintf("@user%d", i),
			QueuedAt: base.Add(-time.Duration(i) * time.Minute)} // later enqueues with earlier clocks
		got, pos := enqueue(t, s, q)
		if pos != i+1 {
			t.Fatalf("enqueue %d: position %d, want %d", i, pos, i+1)
		}
		if got.ID == 999 || (i > 0 && got.ID <= queued[i-1].ID) {
			t.Fatalf("enqueue %d: id %d, want a new one after the previous", i, got.ID)
		}
		q.ID = got.ID
		checkQueued(t, fmt.Sprintf("enqueue %d", i), got, q)
		queued = append(queued, q)
	}
	// Other queues are independent; an empty request reads back empty.
	other, pos := enqueue(t, s, store.QueuedDeploy{RepoID: repo, Environment: "staging", QueuedAt: base})
	if pos != 1 || other.Request == nil || len(other.Request) != 0 {
		t.Fatalf("enqueue to another environment: position %d, request %#v; want 1, empty", pos, other.Request)
	}
	if _, pos := enqueue(t, s, store.QueuedDeploy{RepoID: repo + 1, Environment: "production", QueuedAt: base}); pos != 1 {
		t.Fatalf("enqueue to another repository: position %d, want 1", pos)
	}

	list, err := s.ListQueuedDeploys(t.Context(), repo, "production")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("ListQueuedDeploys = %v, want %v", queuedIDs(list), queuedIDs(queued))
	}
	for i := range list {
		checkQueued(t, fmt.Sprintf("listed %d", i), list[i], queued[i])
	}

	head, ok := pop(t, s, repo, "production")
	if !ok {
		t.Fatal("PopQueuedDeploy of a queue of 3 found none")
	}
	checkQueued(t, "popped head", head, queued[0])
	// The position counts what is still queued.
	fourth, pos := enqueue(t, s, store.QueuedDeploy{RepoID: repo, Environment: "production", Request: []byte(`{}`), QueuedAt: base})
	if pos != 3 {
		t.Fatalf("enqueue after a pop: position %d, want 3", pos)
	}
	for i, want := range []store.QueuedDeploy{queued[1], queued[2], fourth} {
		got, ok := pop(t, s, repo, "production")
		if !ok {
			t.Fatalf("pop %d: queue empty", i)
		}
		checkQueued(t, fmt.Sprintf("pop %d", i), got, want)
	}
	if q, ok := pop(t, s, repo, "production"); ok {
		t.Fatalf("pop of an empty queue = %+v", q)
	}
	if list, err := s.ListQueuedDeploys(t.Context(), repo, "production"); err != nil || len(list) != 0 {
		t.Fatalf("ListQueuedDeploys of an empty queue = %v, %v", queuedIDs(list), err)
	}
	// The newest row was popped; its id is not given again.
	again, pos := enqueue(t, s, store.QueuedDeploy{RepoID: repo, Environment: "production", QueuedAt: base})
	if pos != 1 || again.ID <= fourth.ID {
		t.Fatalf("enqueue to an emptied queue: id %d, position %d; want an id after %d, position 1", again.ID, pos, fourth.ID)
	}
	if list, _ := s.ListQueuedDeploys(t.Context(), repo, "staging"); len(list) != 1 || list[0].ID != other.ID {
		t.Fatalf("popping production changed staging's queue: %v", queuedIDs(list))
	}

	for _, bad := range []store.QueuedDeploy{
		{RepoID: repo, Environment: "", QueuedAt: base},
		{RepoID: repo, Environment: "production"},
	} {
		if _, _, err := s.EnqueueDeploy(t.Context(), bad); err == nil {
			t.Errorf("EnqueueDeploy(%+v) accepted", bad)
		}
	}
}

// testDeployQueueConcurrent: concurrent enqueues get positions 1..n, one
// each, and concurrent pops take every deploy exactly once, each popper in
// queue order.
func testDeployQueueConcurrent(t *testing.T, s store.Store) {
	const repo, env, n, workers = 77, "production", 40, 8
	var mu sync.Mutex
	var positions []int
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range n / workers {
				_, pos, err := s.EnqueueDeploy(t.Context(), store.QueuedDeploy{RepoID: repo, Environment: env,
					Request: fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i), QueuedAt: t0})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				positions = append(positions, pos)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sort.Ints(positions)
	for i, p := range positions {
		if p != i+1 {
			t.Fatalf("positions of %d concurrent enqueues = %v, want 1..%d", n, positions, n)
		}
	}
	list, err := s.ListQueuedDeploys(t.Context(), repo, env)
	if err != nil || len(list) != n {
		t.Fatalf("ListQueuedDeploys = %d deploys, %v; want %d", len(list), err, n)
	}

	popped := make([][]int64, workers)
	for w := range workers {
		wg.Go(func() {
			for {
				q, ok, err := s.PopQueuedDeploy(t.Context(), repo, env)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				popped[w] = append(popped[w], q.ID)
			}
		})
	}
	wg.Wait()
	seen := map[int64]int{}
	for w, ids := range popped {
		if !slices.IsSorted(ids) {
			t.Errorf("popper %d took %v, not in queue order", w, ids)
		}
		for _, id := range ids {
			seen[id]++
		}
	}
	for _, q := range list {
		if seen[q.ID] != 1 {
			t.Errorf("deploy %d was popped %d times", q.ID, seen[q.ID])
		}
	}
	if len(seen) != n {
		t.Errorf("%d deploys popped, want %d", len(seen), n)
	}
}

func newDeploy(cid string, repoID int64, env string, dispatched time.Time) store.Deploy {
	return store.Deploy{
		CorrelationID: cid, Kind: "deploy", InstallationID: 4200000003, RepoID: repoID, Repo: "acme/shop", Environment: env,
		Ref: "v1.2.3", SHA: "0123456789abcdef0123456789abcdef01234567", Workflow: "deploy.yml", RequestedBy: "@alice",
		Surface: "github", GoLiveID: 12, IssueNumber: 34, TriggerCommentID: 5600000001,
		State: store.DeployDispatched, DispatchedAt: dispatched, UpdatedAt: dispatched,
	}
}

func storedDeploy(d store.Deploy) store.Deploy {
	d.DispatchedAt, d.UpdatedAt, d.FinishedAt = stored(d.DispatchedAt), stored(d.UpdatedAt), stored(d.FinishedAt)
	return d
}

func checkDeploy(t *testing.T, what string, got, want store.Deploy) {
	t.Helper()
	if want = storedDeploy(want); got != want {
		t.Fatalf("%s =\n  %+v\nwant\n  %+v", what, got, want)
	}
}

func createDeploy(t *testing.T, s store.Store, d store.Deploy) store.Deploy {
	t.Helper()
	got, err := s.CreateDeploy(t.Context(), d)
	if err != nil {
		t.Fatalf("CreateDeploy(%q): %v", d.CorrelationID, err)
	}
	return got
}

func updateDeploy(t *testing.T, s store.Store, d store.Deploy) store.Deploy {
	t.Helper()
	got, err := s.UpdateDeploy(t.Context(), d)
	if err != nil {
		t.Fatalf("UpdateDeploy(%d → %s): %v", d.ID, d.State, err)
	}
	return got
}

func testDeploys(t *testing.T, s store.Store) {
	ctx := t.Context()
	const repo = 4200000004
	dispatched := time.Date(2026, 5, 6, 9, 30, 0, 123456789, ist)
	d := newDeploy("corr-1", repo, "production", dispatched)
	d.ID = 999
	d.Kind, d.Surface = "rollback", "slack"
	d.SlackChannel, d.SlackTS, d.ResponseURL = "C0123", "1714990000.000100", "https://hooks.slack.com/commands/x"
	d.Detail = "rolling back to v1.2.2"
	got := createDeploy(t, s, d)
	if got.ID == 999 || got.ID == 0 {
		t.Fatalf("CreateDeploy kept or assigned no id: %d", got.ID)
	}
	want := d
	want.ID = got.ID
	checkDeploy(t, "created deploy", got, want)
	if g, err := s.GetDeploy(ctx, got.ID); err != nil {
		t.Fatal(err)
	} else {
		checkDeploy(t, "GetDeploy", g, want)
	}
	if g, err := s.GetDeployByCorrelation(ctx, "corr-1"); err != nil {
		t.Fatal(err)
	} else {
		checkDeploy(t, "GetDeployByCorrelation", g, want)
	}

	// A correlation id is taken once; the stored deploy stays.
	dup := newDeploy("corr-1", repo+1, "staging", dispatched.Add(time.Hour))
	if g, err := s.CreateDeploy(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("CreateDeploy of a taken correlation id = %+v, %v; want ErrDuplicate", g, err)
	}
	if g, _ := s.GetDeployByCorrelation(ctx, "corr-1"); g != storedDeploy(want) {
		t.Fatalf("a duplicate changed the deploy to %+v", g)
	}

	// Defaults: an empty state is dispatched, a zero UpdatedAt the dispatch time.
	bare := newDeploy("corr-2", repo, "production", dispatched)
	bare.State, bare.UpdatedAt, bare.GoLiveID = "", time.Time{}, 0
	got2 := createDeploy(t, s, bare)
	if got2.State != store.DeployDispatched || got2.UpdatedAt != stored(dispatched) || got2.GoLiveID != 0 || got2.ID <= got.ID {
		t.Fatalf("created with defaults: %+v", got2)
	}
	for _, bad := range []store.Deploy{
		newDeploy("", repo, "production", dispatched),
		newDeploy("corr-no-time", repo, "production", time.Time{}),
	} {
		if _, err := s.CreateDeploy(ctx, bad); err == nil {
			t.Errorf("CreateDeploy(%q at %v) accepted", bad.CorrelationID, bad.DispatchedAt)
		}
	}

	for what, err := range map[string]error{
		"GetDeploy(unknown)":              second(s.GetDeploy(ctx, got2.ID+100)),
		"GetDeployByCorrelation(unknown)": second(s.GetDeployByCorrelation(ctx, "nope")),
		"GetDeployByRun(before the run)":  second(s.GetDeployByRun(ctx, repo, 0)),
		"GetDeployByRun(unknown)":         second(s.GetDeployByRun(ctx, repo, 9100000001)),
		"UpdateDeploy(unknown)":           second(s.UpdateDeploy(ctx, store.Deploy{ID: got2.ID + 100, State: store.DeployRunning, UpdatedAt: dispatched})),
	} {
		wantErrIs(t, what, err, store.ErrNotFound)
	}

	// The run appears.
	running := want
	running.State, running.RunID, running.RunURL = store.DeployRunning, 9100000001, "https://github.com/acme/shop/actions/runs/9100000001"
	running.ReplyCommentID, running.SlackChannel, running.SlackTS = 5600000002, "C0456", "1714990001.000200"
	running.Detail, running.UpdatedAt = "", dispatched.Add(90*time.Second)
	// Fields UpdateDeploy does not write.
	changed := running
	changed.SHA, changed.ResponseURL, changed.Kind, changed.DispatchedAt, changed.CorrelationID = "ffff", "", "deploy", dispatched.Add(time.Hour), "other"
	checkDeploy(t, "UpdateDeploy to running", updateDeploy(t, s, changed), running)
	if g, err := s.GetDeployByRun(ctx, repo, running.RunID); err != nil {
		t.Fatal(err)
	} else {
		checkDeploy(t, "GetDeployByRun", g, running)
	}
	if _, err := s.GetDeployByRun(ctx, repo+1, running.RunID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDeployByRun of another repository: %v, want ErrNotFound", err)
	}

	// It finishes; a late "running" event does not reopen it.
	done := running
	done.State, done.Detail = store.DeploySuccess, "deployed v1.2.2"
	done.FinishedAt, done.UpdatedAt = dispatched.Add(5*time.Minute), dispatched.Add(5*time.Minute)
	checkDeploy(t, "UpdateDeploy to success", updateDeploy(t, s, done), done)
	for _, st := range []store.DeployState{store.DeployRunning, store.DeployDispatched} {
		late := running
		late.State, late.UpdatedAt, late.Detail = st, dispatched.Add(6*time.Minute), "late event"
		checkDeploy(t, "UpdateDeploy of a finished deploy to "+string(st), updateDeploy(t, s, late), done)
		if g, _ := s.GetDeploy(ctx, done.ID); g != storedDeploy(done) {
			t.Fatalf("a finished deploy was reopened: %+v", g)
		}
	}
	// No final state reopens.
	for i, st := range []store.DeployState{store.DeploySuccess, store.DeployFailure, store.DeployCancelled, store.DeployTimedOut, store.DeployError} {
		f := createDeploy(t, s, newDeploy(fmt.Sprintf("corr-final-%d", i), repo, "production", dispatched))
		f.State, f.FinishedAt, f.UpdatedAt = st, dispatched.Add(time.Minute), dispatched.Add(time.Minute)
		f = updateDeploy(t, s, f)
		reopen := f
		reopen.State, reopen.RunID, reopen.UpdatedAt, reopen.FinishedAt = store.DeployRunning, 9100000009, dispatched.Add(2*time.Minute), time.Time{}
		checkDeploy(t, "UpdateDeploy of a "+string(st)+" deploy to running", updateDeploy(t, s, reopen), f)
	}

	// A final state may be corrected by another.
	corrected := done
	corrected.State, corrected.UpdatedAt = store.DeployFailure, dispatched.Add(7*time.Minute)
	checkDeploy(t, "UpdateDeploy of a finished deploy to failure", updateDeploy(t, s, corrected), corrected)
	if _, err := s.UpdateDeploy(ctx, store.Deploy{ID: done.ID, State: store.DeploySuccess}); err == nil {
		t.Error("UpdateDeploy without an update time accepted")
	}

	for _, st := range []store.DeployState{store.DeploySuccess, store.DeployFailure, store.DeployCancelled, store.DeployTimedOut, store.DeployError} {
		if !st.Finished() {
			t.Errorf("%s is not Finished", st)
		}
	}
	for _, st := range []store.DeployState{store.DeployDispatched, store.DeployRunning, ""} {
		if st.Finished() {
			t.Errorf("%q is Finished", st)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// testDeploysConcurrentCreate: of concurrent creates of one correlation id,
// one succeeds and the others get ErrDuplicate.
func testDeploysConcurrentCreate(t *testing.T, s store.Store) {
	const callers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, dups := 0, 0
	for i := range callers {
		wg.Go(func() {
			d := newDeploy("corr-race", 88, "production", t0.Add(time.Duration(i)*time.Second))
			_, err := s.CreateDeploy(t.Context(), d)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.Is(err, store.ErrDuplicate):
				dups++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if created != 1 || dups != callers-1 {
		t.Fatalf("%d creates succeeded and %d were duplicates; want 1 and %d", created, dups, callers-1)
	}
}

func deployIDs(ds []store.Deploy) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.CorrelationID
	}
	return out
}

func testActiveAndLatestDeploys(t *testing.T, s store.Store) {
	ctx := t.Context()
	const repo = 4200000005
	cutoff := t0.Add(10 * time.Minute)
	// Created out of dispatch order.
	for _, c := range []struct {
		cid   string
		repo  int64
		env   string
		at    time.Duration // dispatched at t0 + at
		state store.DeployState
		run   int64
	}{
		{"b-old", repo, "production", 2 * time.Minute, store.DeployDispatched, 0},
		{"a-older", repo, "production", time.Minute, store.DeployDispatched, 0},
		{"c-at-cutoff", repo, "production", 10 * time.Minute, store.DeployDispatched, 0},
		{"d-new", repo, "staging", 11 * time.Minute, store.DeployDispatched, 0},
		{"e-running", repo, "production", 3 * time.Minute, store.DeployRunning, 9100000002},
		{"f-run-seen", repo + 1, "production", 4 * time.Minute, store.DeployDispatched, 9100000003},
		{"g-failed", repo, "production", 5 * time.Minute, store.DeployError, 0},
		{"h-other-repo", repo + 1, "production", 6 * time.Minute, store.DeployDispatched, 0},
	} {
		d := newDeploy(c.cid, c.repo, c.env, t0.Add(c.at))
		d.State, d.RunID = c.state, c.run
		createDeploy(t, s, d)
	}
	active, err := s.ListActiveDeploys(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := deployIDs(active), []string{"a-older", "b-old", "h-other-repo"}; !slices.Equal(got, want) {
		t.Fatalf("ListActiveDeploys(+10m) = %v, want %v", got, want)
	}
	if active, _ := s.ListActiveDeploys(ctx, t0.Add(time.Minute)); len(active) != 0 {
		t.Fatalf("ListActiveDeploys(+1m) = %v, want none", deployIDs(active))
	}
	// A run seen moves a deploy out of the list.
	a, err := s.GetDeployByCorrelation(ctx, "a-older")
	if err != nil {
		t.Fatal(err)
	}
	a.RunID, a.UpdatedAt = 9100000004, cutoff
	updateDeploy(t, s, a)
	if active, _ := s.ListActiveDeploys(ctx, cutoff); !slices.Equal(deployIDs(active), []string{"b-old", "h-other-repo"}) {
		t.Fatalf("ListActiveDeploys after a's run appeared = %v", deployIDs(active))
	}

	latest, err := s.LatestDeploys(ctx, repo, "production", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := deployIDs(latest), []string{"g-failed", "e-running", "c-at-cutoff", "a-older", "b-old"}; !slices.Equal(got, want) {
		t.Fatalf("LatestDeploys(production, 10) = %v, want %v", got, want)
	}
	if latest, _ := s.LatestDeploys(ctx, repo, "production", 2); !slices.Equal(deployIDs(latest), []string{"g-failed", "e-running"}) {
		t.Fatalf("LatestDeploys(production, 2) = %v", deployIDs(latest))
	}
	if latest, _ := s.LatestDeploys(ctx, repo, "staging", 10); !slices.Equal(deployIDs(latest), []string{"d-new"}) {
		t.Fatalf("LatestDeploys(staging) = %v", deployIDs(latest))
	}
	if latest, err := s.LatestDeploys(ctx, repo, "production", 0); err != nil || len(latest) != 0 {
		t.Fatalf("LatestDeploys(limit 0) = %v, %v; want none", deployIDs(latest), err)
	}
	if latest, _ := s.LatestDeploys(ctx, repo, "qa", 10); len(latest) != 0 {
		t.Fatalf("LatestDeploys(qa) = %v, want none", deployIDs(latest))
	}
}

func testCommandAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := time.Date(2026, 5, 6, 9, 30, 0, 123456789, ist)
	var appended []store.CommandAudit
	for i, a := range []store.CommandAudit{
		{Surface: "github", Actor: "@alice", Repo: "acme/shop", Text: "/golive deploy production v1.2.3", Decision: store.CommandAccepted, CorrelationID: "corr-1"},
		{Surface: "slack", Actor: "slack:U123", Repo: "acme/shop", Text: "/golive lock production", Decision: store.CommandRefused, Reason: "locked by @alice"},
		{Surface: "slack", Actor: "slack:U123", Repo: "", Text: "/golive help", Decision: store.CommandAccepted},
		{Surface: "github", Actor: "@bob", Repo: "acme/shop", Text: "/golive rollback production", Decision: store.CommandError, Reason: "dispatch: 502"},
		{Surface: "github", Actor: "@bob", Repo: "acme/other", Text: "/golive unlock staging", Decision: store.CommandAccepted},
	} {
		a.ID = 999
		// Clocks of replicas disagree: the order is the order appended.
		a.At = at.Add(time.Duration(i%2) * -time.Minute).Add(time.Duration(i) * time.Second)
		got, err := s.AppendCommandAudit(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == 999 || (i > 0 && got.ID <= appended[i-1].ID) {
			t.Fatalf("audit %d: id %d, want a new one after the previous", i, got.ID)
		}
		a.ID, a.At = got.ID, stored(a.At)
		if got != a {
			t.Fatalf("appended audit = %+v, want %+v", got, a)
		}
		appended = append(appended, a)
	}
	list, err := s.ListCommandAudit(ctx, "acme/shop", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.CommandAudit{appended[3], appended[1], appended[0]}; !slices.Equal(list, want) {
		t.Fatalf("ListCommandAudit(acme/shop) =\n  %+v\nwant\n  %+v", list, want)
	}
	if list, _ := s.ListCommandAudit(ctx, "acme/shop", 2); !slices.Equal(list, []store.CommandAudit{appended[3], appended[1]}) {
		t.Fatalf("ListCommandAudit(acme/shop, 2) = %+v", list)
	}
	if list, _ := s.ListCommandAudit(ctx, "", 10); !slices.Equal(list, []store.CommandAudit{appended[2]}) {
		t.Fatalf("ListCommandAudit(\"\") = %+v, want the command naming no repository", list)
	}
	if list, err := s.ListCommandAudit(ctx, "acme/shop", 0); err != nil || len(list) != 0 {
		t.Fatalf("ListCommandAudit(limit 0) = %+v, %v; want none", list, err)
	}
	for _, bad := range []store.CommandAudit{
		{At: at, Decision: "maybe"},
		{At: at},
		{Decision: store.CommandAccepted},
	} {
		if _, err := s.AppendCommandAudit(ctx, bad); err == nil {
			t.Errorf("AppendCommandAudit(%+v) accepted", bad)
		}
	}

	// A command handled again (bench/crash found reruns audited twice) is
	// audited once: the second entry with its key returns the first.
	keyed := store.CommandAudit{At: at, Surface: "github", Actor: "@carol", Repo: "acme/keyed", Text: "/golive lock qa",
		Decision: store.CommandAccepted, DedupKey: "gl-0123456789ab"}
	first, err := s.AppendCommandAudit(ctx, keyed)
	if err != nil {
		t.Fatal(err)
	}
	again := keyed
	again.At, again.Decision, again.Reason = at.Add(time.Minute), store.CommandError, "retried"
	second, err := s.AppendCommandAudit(ctx, again)
	if err != nil || second != first {
		t.Fatalf("the same key appended again = %+v, %v; want the first entry %+v", second, err, first)
	}
	if list, _ := s.ListCommandAudit(ctx, "acme/keyed", 10); len(list) != 1 || list[0] != first {
		t.Fatalf("ListCommandAudit(acme/keyed) = %+v, want the one entry", list)
	}
	other := keyed
	other.DedupKey = "gl-ba9876543210"
	if o, err := s.AppendCommandAudit(ctx, other); err != nil || o.ID == first.ID {
		t.Fatalf("another key: %+v, %v; want an entry of its own", o, err)
	}
}

func testCancelQueuedDeploys(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	queue := func(repo int64, env, by string) store.QueuedDeploy {
		t.Helper()
		q, _, err := s.EnqueueDeploy(ctx, store.QueuedDeploy{RepoID: repo, Environment: env, Request: []byte(`{}`), QueuedBy: by, QueuedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	a1 := queue(1, "staging", "@a")
	queue(1, "staging", "@b")
	a2 := queue(1, "production", "@a")
	queue(2, "staging", "@a")
	got, err := s.CancelQueuedDeploys(ctx, 1, "@a")
	if err != nil || len(got) != 2 || got[0].ID != a1.ID || got[1].ID != a2.ID {
		t.Fatalf("cancelled %+v, %v; want @a's two deploys of repository 1", got, err)
	}
	if left, _ := s.ListQueuedDeploys(ctx, 1, "staging"); len(left) != 1 || left[0].QueuedBy != "@b" {
		t.Fatalf("left in staging: %+v", left)
	}
	if left, _ := s.ListQueuedDeploys(ctx, 2, "staging"); len(left) != 1 {
		t.Fatalf("another repository's queue changed: %+v", left)
	}
	if got, err := s.CancelQueuedDeploys(ctx, 1, "@a"); err != nil || len(got) != 0 {
		t.Fatalf("cancelling again: %+v, %v", got, err)
	}
}
