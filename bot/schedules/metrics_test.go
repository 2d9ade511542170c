package schedules_test

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/store/storetest"
)

// TestRunsAreCounted: golive_schedule_runs_total counts a run opened, once,
// and a run GitHub refused for good.
func TestRunsAreCounted(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 08:00"), opsConfig)
	m := metrics.New()
	r := e.runner(st, "a")
	r.Metrics = m
	count := func(outcome string) float64 { return testutil.ToFloat64(m.ScheduleRuns.WithLabelValues(outcome)) }

	e.at(t, local(t, "2026-11-23 08:00"), r)
	e.at(t, local(t, "2026-11-23 09:05"), r)
	e.at(t, local(t, "2026-11-23 09:10"), r) // settled: not again
	if opened, failed := count(metrics.ScheduleRunOpened), count(metrics.ScheduleRunFailed); opened != 1 || failed != 0 {
		t.Fatalf("after one run: opened %v, failed %v; want 1, 0", opened, failed)
	}

	// GitHub refuses the next day's issue for good (a 403 that is no rate
	// limit): the run fails, and is counted once.
	e.gh.Inject(fakegithub.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues", Status: http.StatusForbidden})
	e.at(t, local(t, "2026-11-24 09:05"), r)
	e.at(t, local(t, "2026-11-24 09:10"), r)
	if opened, failed := count(metrics.ScheduleRunOpened), count(metrics.ScheduleRunFailed); opened != 1 || failed != 1 {
		t.Fatalf("after a refused run: opened %v, failed %v; want 1, 1\n%s", opened, failed, e.logs)
	}
}
