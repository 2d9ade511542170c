package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// newGate is a request to review production of run in repository 4200000007
// (ids beyond int32), gated by go-live 77.
func newGate(run int64, request string, at time.Time) store.Gate {
	return store.Gate{GateKey: store.GateKey{RepoID: 4200000007, RunID: run, Environment: "production"},
		InstallationID: 4200000042, Repo: "acme/shop", SHA: "1111111111111111111111111111111111111111", Ref: "refs/heads/main",
		Sender: "alice", GoLiveID: 77, RequestID: request, RequestedAt: at}
}

// wantGate is g as PutGate stores a request that opened it.
func wantGate(g store.Gate, notes int, noted string) store.Gate {
	g.State, g.Notes, g.NotedRequest = store.GatePending, notes, noted
	g.RequestedAt = stored(g.RequestedAt)
	return g
}

func checkGate(t *testing.T, what string, got, want store.Gate) {
	t.Helper()
	want.RequestedAt, want.DecidedAt, want.LeaseUntil = stored(want.RequestedAt), stored(want.DecidedAt), stored(want.LeaseUntil)
	if got != want {
		t.Fatalf("%s =\n  %+v\nwant\n  %+v", what, got, want)
	}
}

func putGate(t *testing.T, s store.Store, g store.Gate) (store.Gate, bool) {
	t.Helper()
	got, opened, err := s.PutGate(t.Context(), g)
	if err != nil {
		t.Fatalf("PutGate(%+v): %v", g, err)
	}
	return got, opened
}

func claimGate(t *testing.T, s store.Store, k store.GateKey, owner string, now time.Time) (store.Gate, bool) {
	t.Helper()
	got, ok, err := s.ClaimGate(t.Context(), k, owner, now, lease)
	if err != nil {
		t.Fatalf("ClaimGate(%v, %q): %v", k, owner, err)
	}
	return got, ok
}

func gateRuns(gs []store.Gate) []int64 {
	out := make([]int64, len(gs))
	for i, g := range gs {
		out[i] = g.RunID
	}
	return out
}

// testGates: requests open gates once per request, a claim lets one worker
// answer, verdicts end the claim, and a new request reopens a decided gate.
func testGates(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Date(2026, 5, 6, 9, 30, 0, 123456789, ist)
	a := newGate(9100000001, "delivery-a", now)
	if _, err := s.GetGate(ctx, a.GateKey); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetGate of a new store: %v, want ErrNotFound", err)
	}
	got, opened := putGate(t, s, a)
	if !opened {
		t.Fatal("a new gate was not opened")
	}
	checkGate(t, "PutGate", got, wantGate(a, 0, ""))
	if g, err := s.GetGate(ctx, a.GateKey); err != nil {
		t.Fatal(err)
	} else {
		checkGate(t, "GetGate", g, wantGate(a, 0, ""))
	}

	// The same request again (a redelivery) changes nothing.
	again := a
	again.SHA, again.RequestedAt = "2222222222222222222222222222222222222222", now.Add(time.Minute)
	if got, opened := putGate(t, s, again); opened {
		t.Fatal("a redelivered request opened the gate again")
	} else {
		checkGate(t, "PutGate of the same request", got, wantGate(a, 0, ""))
	}

	// Notes: once per request, at most max per gate.
	if g, ok, err := s.NoteGate(ctx, a.GateKey, "delivery-a", 2); err != nil || !ok || g.Notes != 1 || g.NotedRequest != "delivery-a" {
		t.Fatalf("first NoteGate = %+v, %v, %v; want 1 note by delivery-a", g, ok, err)
	}
	if _, ok, err := s.NoteGate(ctx, a.GateKey, "delivery-a", 2); err != nil || ok {
		t.Fatalf("second note of one request = %v, %v; want refused", ok, err)
	}
	// Posting it failed: the request may note again.
	if err := s.UnnoteGate(ctx, a.GateKey, "delivery-other"); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.GetGate(ctx, a.GateKey); g.Notes != 1 {
		t.Fatalf("another request's UnnoteGate took back a note: %+v", g)
	}
	if err := s.UnnoteGate(ctx, a.GateKey, "delivery-a"); err != nil {
		t.Fatal(err)
	}
	if g, ok, err := s.NoteGate(ctx, a.GateKey, "delivery-a", 2); err != nil || !ok || g.Notes != 1 {
		t.Fatalf("NoteGate after UnnoteGate = %+v, %v, %v; want 1 note", g, ok, err)
	}
	if _, _, err := s.NoteGate(ctx, a.GateKey, "", 2); err == nil {
		t.Fatal("a note without a request id was accepted")
	}

	// A second gate of the go-live, and one of another go-live.
	b := newGate(9100000002, "delivery-b", now.Add(time.Second))
	b.Environment = "production-eu"
	putGate(t, s, b)
	other := newGate(9100000003, "delivery-c", now.Add(-time.Second))
	other.GoLiveID = 78
	putGate(t, s, other)
	pending, err := s.PendingGates(ctx, 77)
	if err != nil {
		t.Fatal(err)
	}
	if got := gateRuns(pending); !slices.Equal(got, []int64{a.RunID, b.RunID}) {
		t.Fatalf("PendingGates(77) = runs %v, want %v", got, []int64{a.RunID, b.RunID})
	}

	// One claim at a time; the claim lasts its lease.
	g, ok := claimGate(t, s, a.GateKey, "w1", now)
	if !ok || g.LeaseOwner != "w1" || g.LeaseUntil != stored(now.Add(lease)) {
		t.Fatalf("ClaimGate = %+v, %v; want w1's claim until +lease", g, ok)
	}
	if g, ok := claimGate(t, s, a.GateKey, "w2", now.Add(lease-time.Microsecond)); ok || g.LeaseOwner != "w1" {
		t.Fatalf("a claimed gate was claimed again: %+v, %v", g, ok)
	}
	if _, err := s.DecideGate(ctx, a.GateKey, "w2", store.GateApproved, "x", now); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("DecideGate by a non-holder: %v, want ErrLeaseLost", err)
	}
	// An expired claim is free: w2 takes it, and w1 can no longer decide.
	if _, ok := claimGate(t, s, a.GateKey, "w2", now.Add(lease)); !ok {
		t.Fatal("an expired claim was not free")
	}
	if _, err := s.DecideGate(ctx, a.GateKey, "w1", store.GateApproved, "x", now); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("DecideGate by the expired holder: %v, want ErrLeaseLost", err)
	}
	// Released: claimable at once.
	if err := s.ReleaseGate(ctx, a.GateKey, "w1"); err != nil {
		t.Fatal(err)
	}
	if g, ok := claimGate(t, s, a.GateKey, "w3", now.Add(lease+time.Second)); ok || g.LeaseOwner != "w2" {
		t.Fatalf("another owner's ReleaseGate freed w2's claim: %+v, %v", g, ok)
	}
	if err := s.ReleaseGate(ctx, a.GateKey, "w2"); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.GetGate(ctx, a.GateKey); g.LeaseOwner != "" || !g.LeaseUntil.IsZero() {
		t.Fatalf("after ReleaseGate: %+v", g)
	}
	if _, ok := claimGate(t, s, a.GateKey, "w3", now.Add(lease+time.Second)); !ok {
		t.Fatal("a released gate could not be claimed")
	}
	if _, err := s.DecideGate(ctx, a.GateKey, "w3", store.GatePending, "", now); err == nil {
		t.Fatal("DecideGate accepted pending as a verdict")
	}
	decidedAt := now.Add(2 * lease)
	g, err = s.DecideGate(ctx, a.GateKey, "w3", store.GateApproved, "ready", decidedAt)
	if err != nil {
		t.Fatal(err)
	}
	want := wantGate(a, 1, "delivery-a")
	want.State, want.Detail, want.DecidedAt = store.GateApproved, "ready", decidedAt
	checkGate(t, "DecideGate", g, want)

	// Decided: not claimable, not noted, not pending, and a redelivery
	// leaves it so.
	if g, ok := claimGate(t, s, a.GateKey, "w4", decidedAt.Add(time.Hour)); ok || g.State != store.GateApproved {
		t.Fatalf("a decided gate was claimed: %+v", g)
	}
	if _, ok, _ := s.NoteGate(ctx, a.GateKey, "delivery-z", 10); ok {
		t.Fatal("a decided gate took a note")
	}
	if pending, _ := s.PendingGates(ctx, 77); !slices.Equal(gateRuns(pending), []int64{b.RunID}) {
		t.Fatalf("PendingGates(77) after a's verdict = %v", gateRuns(pending))
	}
	if got, opened := putGate(t, s, a); opened || got.State != store.GateApproved {
		t.Fatalf("a redelivery reopened the decided gate: %+v", got)
	}

	// A new request (the run re-run) reopens it; its notes stay.
	rerun := a
	rerun.RequestID, rerun.SHA, rerun.GoLiveID, rerun.RequestedAt = "delivery-a2", "3333333333333333333333333333333333333333", 79, decidedAt.Add(time.Minute)
	got, opened = putGate(t, s, rerun)
	if !opened {
		t.Fatal("a new request did not reopen the gate")
	}
	checkGate(t, "PutGate of a new request", got, wantGate(rerun, 1, "delivery-a"))
	if _, ok, _ := s.NoteGate(ctx, a.GateKey, "delivery-a2", 2); !ok {
		t.Fatal("the new request could not note")
	}
	if _, ok, _ := s.NoteGate(ctx, a.GateKey, "delivery-a3", 2); ok {
		t.Fatal("a third note was taken with max 2")
	}

	// Reopening ends a claim in flight: its holder cannot decide.
	if _, ok := claimGate(t, s, b.GateKey, "w5", now); !ok {
		t.Fatal("claim b")
	}
	b2 := b
	b2.RequestID = "delivery-b2"
	if got, opened := putGate(t, s, b2); !opened || got.LeaseOwner != "" {
		t.Fatalf("reopened b = %+v, %v", got, opened)
	}
	if _, err := s.DecideGate(ctx, b.GateKey, "w5", store.GateRejected, "locked", now); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("DecideGate after the gate was reopened: %v, want ErrLeaseLost", err)
	}

	for _, bad := range []store.Gate{
		{GateKey: store.GateKey{RepoID: 1, RunID: 1}, RequestID: "r", RequestedAt: now},
		{GateKey: store.GateKey{RepoID: 1, RunID: 1, Environment: "e"}, RequestedAt: now},
		{GateKey: store.GateKey{RepoID: 1, RunID: 1, Environment: "e"}, RequestID: "r"},
	} {
		if _, _, err := s.PutGate(ctx, bad); err == nil {
			t.Errorf("PutGate(%+v) accepted", bad)
		}
	}
	if _, _, err := s.ClaimGate(ctx, store.GateKey{RepoID: 1, RunID: 404, Environment: "e"}, "w", now, lease); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ClaimGate of no gate: %v, want ErrNotFound", err)
	}
}

// testGatesConcurrentClaim: of concurrent claims of one gate exactly one
// succeeds, and of concurrent notes of one request at most one.
func testGatesConcurrentClaim(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := newGate(9100000010, "delivery", t0)
	putGate(t, s, g)
	const workers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	claimed, noted := 0, 0
	for i := range workers {
		wg.Go(func() {
			_, ok, err := s.ClaimGate(ctx, g.GateKey, fmt.Sprintf("w%d", i), t0, lease)
			_, okNote, errNote := s.NoteGate(ctx, g.GateKey, "delivery", 10)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || errNote != nil {
				t.Error(err, errNote)
				return
			}
			if ok {
				claimed++
			}
			if okNote {
				noted++
			}
		})
	}
	wg.Wait()
	if claimed != 1 || noted != 1 {
		t.Fatalf("%d of %d concurrent claims and %d notes succeeded, want 1 and 1", claimed, workers, noted)
	}
}
