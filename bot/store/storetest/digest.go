package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// DeploysBetween returns one repository's deploys dispatched in [from, to),
// the earliest first.
func testDeploysBetween(t *testing.T, s store.Store) {
	const repo = 4200000013
	for _, c := range []struct {
		cid  string
		repo int64
		at   time.Duration
	}{
		{"b1", repo, 3 * time.Hour},
		{"b2", repo, time.Hour}, // the start of the range: included
		{"b3", repo + 1, 2 * time.Hour},
		{"b4", repo, 4 * time.Hour}, // the end of the range: excluded
		{"b5", repo, 30 * time.Minute},
	} {
		createDeploy(t, s, newDeploy(c.cid, c.repo, "production", t0.Add(c.at)))
	}
	got, err := s.DeploysBetween(t.Context(), repo, t0.Add(time.Hour), t0.Add(4*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if ids, want := deployIDs(got), []string{"b2", "b1"}; !slices.Equal(ids, want) {
		t.Fatalf("DeploysBetween = %v, want %v", ids, want)
	}
}
