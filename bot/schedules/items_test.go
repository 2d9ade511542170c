package schedules_test

import (
	"context"
	"testing"

	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/schedules"
	"github.com/golive-dev/golive/bot/store/storetest"
)

// The digest's open operations items are the unticked items of the latest
// run's issue while it is open.
func TestOpenItemsCountsTheLatestOpenRun(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 08:00"), opsConfig)
	r := e.runner(st, "a")
	cfg, err := repoconfig.Decode([]byte(opsConfig))
	if err != nil {
		t.Fatal(err)
	}
	api, err := e.apps.Repo(installationID, repoName)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		n, err := schedules.OpenItems(context.Background(), st, api, repoID, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("%d open items before any run", n)
	}
	e.at(t, local(t, "2026-11-23 08:00"), r)
	e.at(t, local(t, "2026-11-23 09:00"), r)
	all := count()
	if all != 5 {
		t.Fatalf("%d open items in the first run, want the routine's 5", all)
	}
	e.tickItems(t, 1, "Review overnight alerts", "Check backup status")
	if n := count(); n != all-2 {
		t.Fatalf("%d open items after ticking two of %d", n, all)
	}
	// The next day's run replaces it (the old issue is closed).
	e.at(t, local(t, "2026-11-24 09:00"), r)
	if n := count(); n != all {
		t.Fatalf("%d open items in the second run, want %d", n, all)
	}
}
