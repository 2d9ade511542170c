package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/cron"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/schedules"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

// TestValidateReportsBadSchedules: golive validate names the schedule and
// the line of a bad cron expression and time zone.
func TestValidateReportsBadSchedules(t *testing.T) {
	path := writeFile(t, "golive.yml", `version: 1
schedules:
  daily-morning:
    cron: "0 9 * * MONDAY"
    timezone: Europe/Berln
    routine: daily-morning
  weekly:
    cron: "0 9 * * MON"
    routine: weekly-planning
`)
	code, out, errOut := runCLI(t, "validate", path)
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	want := []string{
		path + `:4: schedules.daily-morning.cron "0 9 * * MONDAY" is not a cron expression: day-of-week "MONDAY": "MONDAY" is not a number from 0 to 7 nor a name like MON (write 5 fields, minute hour day-of-month month day-of-week, like "0 9 * * MON-FRI")`,
		path + `:5: schedules.daily-morning.timezone "Europe/Berln" is not an IANA time zone: write a name like "Europe/Berlin" or "UTC"`,
		path + `:9: schedules.weekly.routine "weekly-planning" is not a built-in routine: use one of daily-morning, daily-evening, weekly-monday-planning, weekly-wednesday-deployments, weekly-friday-review, monthly-security, monthly-performance, monthly-business-review, or write your own phases under template`,
	}
	if got := strings.Split(strings.TrimSpace(errOut), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, strings.Join(want, "\n"))
	}
}

const yearlyConfig = `version: 1
schedules:
  yearly-review:
    title: Yearly review
    cron: "0 0 1 1 *"
    timezone: UTC
    template:
      phases:
        - name: Review
          items:
            - id: review.costs
              text: Review the year's costs
`

// scheduledEnv is a golive environment whose repository acme/ops has a
// yearly schedule golive has known for two years, so its latest run is due
// (late) as soon as golive starts, and an open issue of an earlier run.
func scheduledEnv(t *testing.T, dbURL string) (*env, fakegithub.Issue, store.ScheduleRunKey) {
	t.Helper()
	e := newEnv(t, dbURL)
	e.gh.AddInstallation(42, "acme", "Organization", "acme/ops")
	e.gh.PutFile("acme/ops", ".github/golive.yml", yearlyConfig)
	r, _ := checklist.RoutineByID("monthly-security")
	prev := e.gh.AddIssue("acme/ops", fakegithub.Issue{Title: "Yearly review — 2000-01-01", Labels: []string{"golive-ops", "yearly-review"},
		Body: schedules.Marker("yearly-review", "2000-01-01T00:00") + "\n" + checklist.RenderRoutine(r.Template, nil)})
	st := openStore(t, dbURL)
	defer st.Close()
	ctx := context.Background()
	if err := st.UpsertInstallation(ctx, store.Installation{ID: 42, AccountID: 7, AccountLogin: "acme", AccountType: "Organization"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddRepositories(ctx, 42, []store.Repository{{ID: 1001, InstallationID: 42, FullName: "acme/ops"}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := st.NoteSchedule(ctx, 1001, "yearly-review", now.AddDate(-2, 0, 0)); err != nil {
		t.Fatal(err)
	}
	c, _ := cron.Parse("0 0 1 1 *")
	occ, _ := c.Prev(now, time.UTC)
	return e, prev, store.ScheduleRunKey{RepoID: 1001, ScheduleID: "yearly-review", RunKey: occ.Key()}
}

// runIssues returns the issues of acme/ops carrying the marker of run key.
func runIssues(e *env, key string) []fakegithub.Issue {
	var out []fakegithub.Issue
	for n := 1; ; n++ {
		is, ok := e.gh.GetIssue("acme/ops", n)
		if !ok {
			return out
		}
		if _, k, ok := schedules.ParseMarker(is.Body); ok && k == key {
			out = append(out, is)
		}
	}
}

// TestScheduledRunKill9DuringRollover kills golive after it created a run's
// issue and commented on the previous run's, while it closes the previous
// one; after a restart the run is recorded with that issue: no second
// issue, no second comment.
func TestScheduledRunKill9DuringRollover(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "golive.db")
	e, prev, key := scheduledEnv(t, dbURL)
	e.gh.Inject(fakegithub.Fault{Method: "PATCH", Route: "/repos/{owner}/{repo}/issues/{issue_number}", Latency: 30 * time.Second, Times: 1})
	p := e.start(t)
	waitFor(t, "the run's issue and the rollover comment", 30*time.Second, func() bool {
		return len(runIssues(e, key.RunKey)) == 1 && len(e.gh.Comments("acme/ops", prev.Number)) == 1
	})
	p.kill()
	e.gh.ClearFaults()
	st := openStore(t, dbURL)
	defer st.Close()
	if run, err := st.GetScheduleRun(context.Background(), key); err != nil || run.State != store.ScheduleRunPending {
		t.Fatalf("run after kill -9: %+v, %v", run, err)
	}

	p2 := e.start(t)
	waitFor(t, "the run to be recorded as opened after the restart", 30*time.Second, func() bool {
		run, err := st.GetScheduleRun(context.Background(), key)
		return err == nil && run.State == store.ScheduleRunOpened
	})
	run, _ := st.GetScheduleRun(context.Background(), key)
	issues := runIssues(e, key.RunKey)
	if len(issues) != 1 || run.IssueNumber != issues[0].Number || run.Attempts != 2 {
		t.Fatalf("run %+v; issues of the run: %+v\n%s", run, issues, p2.logs)
	}
	if !strings.Contains(issues[0].Body, "Left open by #1 (2000-01-01 00:00)") || !strings.Contains(issues[0].Body, "earlier run") {
		t.Errorf("the run's issue:\n%s", issues[0].Body)
	}
	if cs := e.gh.Comments("acme/ops", prev.Number); len(cs) != 1 {
		t.Errorf("%d rollover comments, want 1", len(cs))
	}
	if is, _ := e.gh.GetIssue("acme/ops", prev.Number); is.State != "closed" || is.StateReason != "not_planned" {
		t.Errorf("previous run's issue is %s/%s", is.State, is.StateReason)
	}
	p2.kill()
}

// TestScheduledRunTwoServersOnePostgres: two golive processes on one
// PostgreSQL database open a due run once.
func TestScheduledRunTwoServersOnePostgres(t *testing.T) {
	dbURL := storetest.PostgresSchemaURL(t)
	st := openStore(t, dbURL) // migrates the schema
	st.Close()
	e, prev, key := scheduledEnv(t, dbURL)
	p1, p2 := e.start(t), e.start(t)
	st = openStore(t, dbURL)
	defer st.Close()
	waitFor(t, "the run to be opened", 30*time.Second, func() bool {
		run, err := st.GetScheduleRun(context.Background(), key)
		return err == nil && run.State == store.ScheduleRunOpened
	})
	time.Sleep(time.Second) // time for a second, wrong, issue to appear
	if issues := runIssues(e, key.RunKey); len(issues) != 1 {
		t.Fatalf("%d issues for the run, want 1:\n%s\n%s", len(issues), p1.logs, p2.logs)
	}
	if cs := e.gh.Comments("acme/ops", prev.Number); len(cs) != 1 {
		t.Errorf("%d rollover comments, want 1", len(cs))
	}
	p1.kill()
	p2.kill()
}
