package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// testListEnvLocks: a repository's current locks, every environment, by
// environment name; expired locks and other repositories' are left out.
func testListEnvLocks(t *testing.T, s store.Store) {
	ctx := t.Context()
	const repo = 4200000011
	now := time.Date(2026, 5, 6, 9, 30, 0, 123456789, ist)
	locks := []store.EnvLock{
		{RepoID: repo, Environment: "staging", Holder: "@bob", HolderKey: "github:2", Reason: "load test", ExpiresAt: now.Add(time.Hour)},
		{RepoID: repo, Environment: "production", Holder: "@alice", HolderKey: "github:1", Reason: "freeze"},
		{RepoID: repo, Environment: "Preview", Holder: "@carol", HolderKey: "github:3", ExpiresAt: now.Add(time.Minute)},
		{RepoID: repo, Environment: "qa", Holder: "@dan", HolderKey: "github:4", ExpiresAt: now.Add(time.Second)},
		{RepoID: repo + 1, Environment: "production", Holder: "@erin", HolderKey: "github:5"},
	}
	for _, l := range locks {
		acquire(t, s, l, now.Add(-time.Second))
	}
	envs := func(at time.Time) []string {
		t.Helper()
		got, err := s.ListEnvLocks(ctx, repo, at)
		if err != nil {
			t.Fatalf("ListEnvLocks(%d, %v): %v", repo, at, err)
		}
		out := make([]string, len(got))
		for i, l := range got {
			if l.RepoID != repo {
				t.Fatalf("ListEnvLocks(%d) returned %+v of another repository", repo, l)
			}
			out[i] = l.Environment
		}
		return out
	}
	// Byte order: upper case first, as everywhere in the store.
	if got, want := envs(now), []string{"Preview", "production", "qa", "staging"}; !slices.Equal(got, want) {
		t.Fatalf("ListEnvLocks(now) = %v, want %v", got, want)
	}
	got, err := s.ListEnvLocks(ctx, repo, now)
	if err != nil {
		t.Fatal(err)
	}
	want := locks[1]
	want.CreatedAt = now.Add(-time.Second) // a zero CreatedAt is the time taken
	checkLock(t, "listed production lock", got[1], want)
	// A lock is gone at its expiry, not a microsecond before.
	if got, want := envs(now.Add(time.Second).Add(-time.Microsecond)), []string{"Preview", "production", "qa", "staging"}; !slices.Equal(got, want) {
		t.Fatalf("ListEnvLocks(just before qa expires) = %v, want %v", got, want)
	}
	if got, want := envs(now.Add(time.Second)), []string{"Preview", "production", "staging"}; !slices.Equal(got, want) {
		t.Fatalf("ListEnvLocks(qa's expiry) = %v, want %v", got, want)
	}
	if got, want := envs(now.Add(24*time.Hour)), []string{"production"}; !slices.Equal(got, want) {
		t.Fatalf("ListEnvLocks(+24h) = %v, want %v", got, want)
	}
	if got, err := s.ListEnvLocks(ctx, repo+2, now); err != nil || len(got) != 0 {
		t.Fatalf("ListEnvLocks of a repository without locks = %v, %v; want none", got, err)
	}
}

// testRecentDeploys: a repository's newest deploys and rollbacks across its
// environments, newest created first, at most limit.
func testRecentDeploys(t *testing.T, s store.Store) {
	ctx := t.Context()
	const repo = 4200000012
	for _, c := range []struct {
		cid  string
		repo int64
		env  string
		kind string
		at   time.Duration
	}{
		{"r1", repo, "staging", "deploy", 5 * time.Minute}, // created first, dispatched last
		{"r2", repo, "production", "deploy", time.Minute},
		{"r3", repo + 1, "production", "deploy", 2 * time.Minute},
		{"r4", repo, "production", "rollback", 3 * time.Minute},
		{"r5", repo, "qa", "deploy", 4 * time.Minute},
	} {
		d := newDeploy(c.cid, c.repo, c.env, t0.Add(c.at))
		d.Kind = c.kind
		createDeploy(t, s, d)
	}
	recent, err := s.RecentDeploys(ctx, repo, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := deployIDs(recent), []string{"r5", "r4", "r2", "r1"}; !slices.Equal(got, want) {
		t.Fatalf("RecentDeploys(10) = %v, want %v", got, want)
	}
	if recent[1].Kind != "rollback" || recent[1].Environment != "production" {
		t.Fatalf("RecentDeploys: r4 = %+v, want the production rollback", recent[1])
	}
	want, err := s.GetDeployByCorrelation(ctx, "r5")
	if err != nil {
		t.Fatal(err)
	}
	checkDeploy(t, "RecentDeploys' newest", recent[0], want)
	if recent, _ := s.RecentDeploys(ctx, repo, 2); !slices.Equal(deployIDs(recent), []string{"r5", "r4"}) {
		t.Fatalf("RecentDeploys(2) = %v", deployIDs(recent))
	}
	for _, limit := range []int{0, -1} {
		if recent, err := s.RecentDeploys(ctx, repo, limit); err != nil || len(recent) != 0 {
			t.Fatalf("RecentDeploys(%d) = %v, %v; want none", limit, deployIDs(recent), err)
		}
	}
	if recent, err := s.RecentDeploys(ctx, repo+2, 10); err != nil || len(recent) != 0 {
		t.Fatalf("RecentDeploys of a repository without deploys = %v, %v", deployIDs(recent), err)
	}
}
