package schedules_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/schedules"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

const dstConfig = `version: 1
timezone: Europe/Berlin
schedules:
  daily-morning:
    cron: "0 9 * * *"
    routine: daily-morning
  early:
    title: Early checks
    cron: "30 2 * * *"
    template:
      phases:
        - name: Night
          items:
            - text: Look at the night's batch jobs
`

// dstWindow is a week around one of 2026's daylight-saving changes in
// Europe/Berlin.
type dstWindow struct {
	name      string
	from, to  string // local times
	days      []string
	earlyRuns map[string]time.Time // the instant 02:30 fires on the change day
}

var dstWindows = []dstWindow{
	{name: "spring-forward", from: "2026-03-26 00:00", to: "2026-04-01 12:00",
		days: []string{"2026-03-26", "2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31", "2026-04-01"},
		// 02:30 does not exist on March 29: it fires at 03:00 CEST.
		earlyRuns: map[string]time.Time{"2026-03-29": time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)}},
	{name: "fall-back", from: "2026-10-22 00:00", to: "2026-10-28 12:00",
		days: []string{"2026-10-22", "2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27", "2026-10-28"},
		// 02:30 happens twice on October 25: it fires the first time only.
		earlyRuns: map[string]time.Time{"2026-10-25": time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)}},
}

// step is how far the fake clock moves between ticks.
const step = 10 * time.Minute

// checkDST checks the issues a walk through w opened: one daily 09:00 run
// per local day, opened at 09:00 local (within one step), never twice and
// never skipped, and the 02:30 run opened once a day at the first instant
// the clock shows 02:30 or later.
func checkDST(t *testing.T, e *env, st store.Store, w dstWindow) {
	t.Helper()
	issues := e.issues()
	ts := titles(issues)
	for _, day := range w.days {
		for _, title := range []string{"Daily morning checks — " + day, "Early checks — " + day} {
			if n := countOf(ts, title); n != 1 {
				t.Errorf("%q opened %d times, want once:\n%s", title, n, describe(issues))
			}
		}
	}
	if len(issues) != 2*len(w.days) {
		t.Errorf("%d issues, want %d:\n%s", len(issues), 2*len(w.days), describe(issues))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, is := range issues {
		created := e.createdAt[is.Number]
		day := is.Title[strings.LastIndex(is.Title, " ")+1:]
		switch {
		case strings.HasPrefix(is.Title, "Daily morning checks"):
			due := fmt.Sprintf("%s 09:00", day)
			if got := created.In(berlin); got.Format("2006-01-02") != day || got.Hour() != 9 || got.Minute() >= int(step/time.Minute) {
				t.Errorf("%q opened at %s, want at %s local (within %s)", is.Title, got.Format("2006-01-02 15:04 MST"), due, step)
			}
		case strings.HasPrefix(is.Title, "Early checks"):
			want, special := w.earlyRuns[day]
			if !special {
				want = local(t, day+" 02:30")
			}
			if created.Before(want) || !created.Before(want.Add(step)) {
				t.Errorf("%q opened at %s, want at %s (within %s)", is.Title, created.In(berlin).Format("2006-01-02 15:04 MST"),
					want.In(berlin).Format("2006-01-02 15:04 MST"), step)
			}
		}
	}
	// The store agrees: one opened run per day, keyed by the local date and
	// time, due at 09:00 local.
	morning := runs(t, st, "daily-morning")
	if len(morning) != len(w.days) {
		t.Fatalf("%d daily-morning runs in the store, want %d", len(morning), len(w.days))
	}
	for i, r := range morning {
		if r.RunKey != w.days[i]+"T09:00" || r.State != store.ScheduleRunOpened || r.DueAt.In(berlin).Format("15:04") != "09:00" || r.Skipped != 0 {
			t.Errorf("daily-morning run %d: %s %s due %s skipped %d", i, r.RunKey, r.State, r.DueAt.In(berlin), r.Skipped)
		}
	}
	// Each run rolled the previous one over: only the last is open.
	for _, is := range issues[:len(issues)-2] {
		if is.State != "closed" || is.StateReason != "not_planned" {
			t.Errorf("#%d %q is %s/%s, want closed as not planned by the next run", is.Number, is.Title, is.State, is.StateReason)
		}
	}
}

// TestDailyAcrossDSTOnSQLite walks a fake clock in 10-minute steps through
// a week around each daylight-saving change with one runner on SQLite,
// restarted (a new Runner, nothing remembered) halfway.
func TestDailyAcrossDSTOnSQLite(t *testing.T) {
	for _, w := range dstWindows {
		t.Run(w.name, func(t *testing.T) {
			st := storetest.SQLite(t)
			seed(t, st)
			from, to := local(t, w.from), local(t, w.to)
			e := newEnv(t, from, dstConfig)
			mid := from.Add(to.Sub(from) / 2).Truncate(step)
			e.walk(t, from, mid, step, e.runner(st, "first"))
			e.walk(t, mid, to, step, e.runner(st, "restarted"))
			checkDST(t, e, st, w)
		})
	}
}

// TestDailyAcrossDSTTwoReplicasOnPostgres is the same walk with two
// runners, each with its own connection, ticking at the same moments on
// one PostgreSQL database.
func TestDailyAcrossDSTTwoReplicasOnPostgres(t *testing.T) {
	storetest.PostgresURL(t)
	for _, w := range dstWindows {
		t.Run(w.name, func(t *testing.T) {
			u := storetest.PostgresSchemaURL(t)
			open := func() store.Store {
				st, err := store.Open(t.Context(), u)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			st1, st2 := open(), open()
			seed(t, st1)
			from, to := local(t, w.from), local(t, w.to)
			e := newEnv(t, from, dstConfig)
			e.walk(t, from, to, step, e.runner(st1, "replica-1"), e.runner(st2, "replica-2"))
			checkDST(t, e, st1, w)
		})
	}
}

const opsConfig = `version: 1
timezone: Europe/Berlin
slack:
  channel: "#ops"
schedules:
  daily-morning:
    cron: "0 9 * * *"
    routine: daily-morning
    end_of_day: "17:00"
`

func TestRolloverListsOpenItems(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 08:00"), opsConfig)
	r := e.runner(st, "a")
	e.at(t, local(t, "2026-11-23 08:00"), r)
	e.at(t, local(t, "2026-11-23 09:00"), r)
	first := e.issue(t, 1)
	if first.Title != "Daily morning checks — 2026-11-23" || !strings.HasPrefix(first.Body, "<!-- golive:ops schedule=daily-morning run=2026-11-23T09:00 -->\n") ||
		fmt.Sprint(first.Labels) != "[golive-ops daily-morning]" || strings.Contains(first.Body, "Left open") {
		t.Fatalf("first run's issue: %q %v\n%s", first.Title, first.Labels, first.Body)
	}
	for _, want := range []string{"- [ ] Review overnight alerts — On-call engineer <!-- golive:item:morning.alerts -->", "due by Monday 17:00 CET"} {
		if !strings.Contains(first.Body, want) {
			t.Errorf("first run's issue lacks %q:\n%s", want, first.Body)
		}
	}
	e.tickItems(t, 1, "Review overnight alerts", "Check backup status")

	e.at(t, local(t, "2026-11-24 09:00"), r)
	second := e.issue(t, 2)
	if second.Title != "Daily morning checks — 2026-11-24" {
		t.Fatalf("second run's issue: %q", second.Title)
	}
	quoted := "### Left open by #1 (2026-11-23 09:00)\n\n" +
		"> - Check system health (uptime, error rate, response times) — On-call engineer\n" +
		"> - Review error logs — On-call engineer\n" +
		"> - Review support queue — Support lead\n"
	if !strings.Contains(second.Body, quoted) {
		t.Errorf("second run's issue does not quote what the first left open:\n%s", second.Body)
	}
	first = e.issue(t, 1)
	if first.State != "closed" || first.StateReason != "not_planned" {
		t.Errorf("first run's issue is %s/%s, want closed as not planned", first.State, first.StateReason)
	}
	comments := e.gh.Comments(repoName, 1)
	if len(comments) != 1 {
		t.Fatalf("%d comments on the first run's issue, want 1", len(comments))
	}
	for _, want := range []string{"Rolled over to #2", "- Check system health (uptime, error rate, response times) — On-call engineer\n",
		"- Review error logs — On-call engineer\n", "- Review support queue — Support lead\n", "not planned"} {
		if !strings.Contains(comments[0].Body, want) {
			t.Errorf("rollover comment lacks %q:\n%s", want, comments[0].Body)
		}
	}
	if strings.Contains(comments[0].Body, "Review overnight alerts") {
		t.Errorf("rollover comment lists a ticked item:\n%s", comments[0].Body)
	}

	// Everything done: the next run closes it as completed and quotes
	// nothing.
	e.tickItems(t, 2, "Review overnight alerts", "Check system health", "Review error logs", "Check backup status", "Review support queue")
	e.at(t, local(t, "2026-11-25 09:00"), r)
	if second = e.issue(t, 2); second.State != "closed" || second.StateReason != "completed" {
		t.Errorf("second run's issue is %s/%s, want closed as completed", second.State, second.StateReason)
	}
	if third := e.issue(t, 3); strings.Contains(third.Body, "Left open") {
		t.Errorf("third run quotes open items of a finished run:\n%s", third.Body)
	}
	if cs := e.gh.Comments(repoName, 2); len(cs) != 1 || !strings.Contains(cs[0].Body, "every item was done") {
		t.Errorf("comments on the second run's issue: %+v", cs)
	}
}

// TestCrashBetweenIssueAndRecord: the runner that opened the issue dies
// before recording it; another runner, once the claim ran out, finds the
// issue by its marker and records it: no second issue.
func TestCrashBetweenIssueAndRecord(t *testing.T) {
	base := storetest.SQLite(t)
	seed(t, base)
	flaky := &flakyStore{Store: base}
	e := newEnv(t, local(t, "2026-11-23 08:00"), opsConfig)
	crashing, other := e.runner(flaky, "crashing"), e.runner(base, "other")
	e.at(t, local(t, "2026-11-23 08:00"), crashing, other)
	e.at(t, local(t, "2026-11-24 09:00"), crashing) // yesterday's run was missed; today's opens as #1
	flaky.failures.Store(1)
	e.at(t, local(t, "2026-11-25 09:00"), crashing)
	if got := len(e.issues()); got != 2 {
		t.Fatalf("%d issues, want 2", got)
	}
	k := store.ScheduleRunKey{RepoID: repoID, ScheduleID: "daily-morning", RunKey: "2026-11-25T09:00"}
	run, err := base.GetScheduleRun(context.Background(), k)
	if err != nil || run.State != store.ScheduleRunPending || run.LeaseOwner != "crashing" {
		t.Fatalf("run after the crash: %+v, %v", run, err)
	}
	// While the claim lasts nobody touches the run.
	e.at(t, local(t, "2026-11-25 09:01"), other)
	// Then the other runner takes over.
	e.at(t, local(t, "2026-11-25 09:03"), other)
	issues := e.issues()
	if len(issues) != 2 {
		t.Fatalf("the run opened a second issue:\n%s", describe(issues))
	}
	run, _ = base.GetScheduleRun(context.Background(), k)
	if run.State != store.ScheduleRunOpened || run.IssueNumber != 2 || run.Attempts != 2 {
		t.Errorf("run after the takeover: %s issue #%d attempts %d", run.State, run.IssueNumber, run.Attempts)
	}
	if cs := e.gh.Comments(repoName, 1); len(cs) != 1 {
		t.Errorf("%d rollover comments on #1, want 1", len(cs))
	}
	// Nothing more happens on later ticks.
	e.at(t, local(t, "2026-11-25 10:00"), crashing, other)
	if got := len(e.issues()); got != 2 {
		t.Errorf("%d issues after more ticks, want 2", got)
	}
}

// TestCrashDuringRollover: closing the previous run's issue fails after
// the new issue and the rollover comment exist; the retry neither opens a
// second issue nor comments twice.
func TestCrashDuringRollover(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 08:00"), opsConfig)
	r := e.runner(st, "a")
	e.at(t, local(t, "2026-11-23 08:00"), r)
	e.at(t, local(t, "2026-11-23 09:00"), r)
	e.gh.Inject(fakegithub.Fault{Method: "PATCH", Route: "/repos/{owner}/{repo}/issues/{issue_number}", Status: 502, Times: 1})
	e.at(t, local(t, "2026-11-24 09:00"), r)
	if is := e.issue(t, 1); is.State != "open" {
		t.Fatalf("#1 is %s after the failed close", is.State)
	}
	run, _ := st.GetScheduleRun(context.Background(), store.ScheduleRunKey{RepoID: repoID, ScheduleID: "daily-morning", RunKey: "2026-11-24T09:00"})
	if run.State != store.ScheduleRunPending || run.LastError == "" {
		t.Fatalf("run after the failed close: %+v", run)
	}
	e.at(t, local(t, "2026-11-24 09:01"), r) // the retry waits 30 s
	issues := e.issues()
	if len(issues) != 2 || issues[0].State != "closed" || issues[1].State != "open" {
		t.Fatalf("issues after the retry:\n%s", describe(issues))
	}
	if cs := e.gh.Comments(repoName, 1); len(cs) != 1 {
		t.Errorf("%d rollover comments on #1, want 1", len(cs))
	}
}

// TestMissedRunsCatchUpOnce: golive is down for three days; at the next
// tick only the latest run opens, late, saying how many were missed, and
// its end-of-day reminder lists what is still open, once.
func TestMissedRunsCatchUpOnce(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 08:00"), opsConfig)
	r1, r2 := e.runner(st, "a"), e.runner(st, "b")
	e.at(t, local(t, "2026-11-23 08:00"), r1) // Monday: the schedule is seen
	e.at(t, local(t, "2026-11-26 11:30"), r1, r2)
	issues := e.issues()
	if len(issues) != 1 || issues[0].Title != "Daily morning checks — 2026-11-26" {
		t.Fatalf("after downtime:\n%s", describe(issues))
	}
	for _, want := range []string{
		"Opened late: golive was not running at 09:00 CET, when this run was due; it opened at 2026-11-26 11:30 CET.",
		"3 earlier runs were missed while golive was down and not opened: after downtime only the latest run opens.",
	} {
		if !strings.Contains(issues[0].Body, want) {
			t.Errorf("catch-up issue lacks %q:\n%s", want, issues[0].Body)
		}
	}
	rs := runs(t, st, "daily-morning")
	if len(rs) != 1 || rs[0].Skipped != 3 || rs[0].State != store.ScheduleRunOpened {
		t.Fatalf("runs %+v", rs)
	}
	if !rs[0].RemindAt.Equal(local(t, "2026-11-26 16:00")) || !rs[0].EndsAt.Equal(local(t, "2026-11-26 17:00")) {
		t.Errorf("reminder at %v, end %v", rs[0].RemindAt, rs[0].EndsAt)
	}
	e.at(t, local(t, "2026-11-26 12:00"), r1, r2)
	if got := len(e.issues()); got != 1 {
		t.Errorf("%d issues after another tick", got)
	}

	e.tickItems(t, 1, "Review overnight alerts")
	e.at(t, local(t, "2026-11-26 15:59"), r1, r2)
	if got := e.messages(schedules.RemindEvent); len(got) != 0 {
		t.Fatalf("reminded before the time: %+v", got)
	}
	e.at(t, local(t, "2026-11-26 16:00"), r1, r2)
	e.at(t, local(t, "2026-11-26 16:05"), r1, r2)
	msgs := e.messages(schedules.RemindEvent)
	if len(msgs) != 1 {
		t.Fatalf("%d end-of-day reminders, want 1", len(msgs))
	}
	text := msgs[0].Text
	for _, want := range []string{"*Daily morning checks — 2026-11-26* ends at 17:00 CET: 4 of 5 items still open in <",
		"|acme/ops#1>", "• Review support queue — Support lead"} {
		if !strings.Contains(text, want) {
			t.Errorf("reminder lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Review overnight alerts") {
		t.Errorf("reminder lists a ticked item:\n%s", text)
	}
	run, _ := st.GetScheduleRun(context.Background(), rs[0].ScheduleRunKey)
	if run.RemindState != store.RemindSent || run.RemindTS != msgs[0].TS {
		t.Errorf("reminder state %s ts %q", run.RemindState, run.RemindTS)
	}
}

func TestReminderSkippedWhenEverythingIsDone(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 08:00"), opsConfig)
	r := e.runner(st, "a")
	e.at(t, local(t, "2026-11-23 08:00"), r)
	e.at(t, local(t, "2026-11-23 09:00"), r)
	e.tickItems(t, 1, "Review overnight alerts", "Check system health", "Review error logs", "Check backup status", "Review support queue")
	e.at(t, local(t, "2026-11-23 16:00"), r)
	if got := e.messages(schedules.RemindEvent); len(got) != 0 {
		t.Errorf("reminded of a finished run: %+v", got)
	}
	rs := runs(t, st, "daily-morning")
	if rs[0].RemindState != store.RemindSkipped || rs[0].RemindDetail != "every item is done" {
		t.Errorf("reminder %s %q", rs[0].RemindState, rs[0].RemindDetail)
	}
}

const slackConfig = `version: 1
timezone: Europe/Berlin
slack:
  channel: "#ops"
schedules:
  standup:
    title: Stand-up checks
    cron: "30 9 * * MON-FRI"
    post: slack
    template:
      phases:
        - name: Stand-up
          items:
            - text: Check the <!here> board & tickets
              owner: Team lead
            - text: Note blockers
              required: false
`

// TestPostToSlack: a schedule with post: slack posts each run's checklist
// to the channel once, also when the runner dies before recording it.
func TestPostToSlack(t *testing.T) {
	base := storetest.SQLite(t)
	seed(t, base)
	flaky := &flakyStore{Store: base}
	e := newEnv(t, local(t, "2026-11-23 08:00"), slackConfig)
	crashing, other := e.runner(flaky, "crashing"), e.runner(base, "other")
	e.at(t, local(t, "2026-11-23 08:00"), crashing)
	flaky.failures.Store(1)
	e.at(t, local(t, "2026-11-23 09:30"), crashing)
	e.at(t, local(t, "2026-11-23 09:33"), other)
	e.at(t, local(t, "2026-11-23 09:40"), crashing, other)
	msgs := e.messages(schedules.RunEvent)
	if len(msgs) != 1 {
		t.Fatalf("%d run messages, want 1", len(msgs))
	}
	for _, want := range []string{"*Stand-up checks — 2026-11-23* · acme/ops · schedule `standup`", "*Stand-up*",
		"• Check the &lt;!here&gt; board &amp; tickets — Team lead", "• Note blockers (optional)"} {
		if !strings.Contains(msgs[0].Text, want) {
			t.Errorf("message lacks %q:\n%s", want, msgs[0].Text)
		}
	}
	if len(e.issues()) != 0 {
		t.Error("a Slack schedule opened an issue")
	}
	rs := runs(t, base, "standup")
	if len(rs) != 1 || rs[0].State != store.ScheduleRunOpened || rs[0].SlackTS != msgs[0].TS || rs[0].SlackChannelID != "COPS" || rs[0].Attempts != 2 {
		t.Fatalf("runs %+v", rs)
	}
	// Down until Saturday: Friday's run posts, standing for the three
	// before it; the weekend has none.
	e.at(t, local(t, "2026-11-28 09:30"), other)
	e.at(t, local(t, "2026-11-29 12:00"), other)
	msgs = e.messages(schedules.RunEvent)
	if len(msgs) != 2 || !strings.Contains(msgs[1].Text, "*Stand-up checks — 2026-11-27*") ||
		!strings.Contains(msgs[1].Text, "3 earlier runs were missed") {
		t.Errorf("messages after the weekend: %d, last:\n%s", len(msgs), msgs[len(msgs)-1].Text)
	}
}

// TestScheduleAddedLate: a run due before golive first saw its schedule
// (less the grace period) never opens; one due within it does.
func TestScheduleAddedLate(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 09:20"), opsConfig)
	r := e.runner(st, "a")
	e.at(t, local(t, "2026-11-23 09:20"), r)
	if n := len(e.issues()); n != 0 {
		t.Fatalf("a run due 20 minutes before the schedule was seen opened")
	}
	st2 := storetest.SQLite(t)
	seed(t, st2)
	e2 := newEnv(t, local(t, "2026-11-23 09:10"), opsConfig)
	e2.at(t, local(t, "2026-11-23 09:10"), e2.runner(st2, "a"))
	if n := len(e2.issues()); n != 1 {
		t.Fatalf("a run due 10 minutes before the schedule was seen did not open")
	}
}

// TestBrokenConfigurationOpensNothing: a golive.yml that does not decode
// opens no run, and the runner says why.
func TestBrokenConfigurationOpensNothing(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 08:00"), "version: 1\nschedules:\n  daily-morning:\n    cron: \"0 25 * * *\"\n    routine: daily-morning\n")
	r := e.runner(st, "a")
	e.at(t, local(t, "2026-11-23 08:00"), r)
	e.at(t, local(t, "2026-11-24 09:00"), r)
	if n := len(e.issues()); n != 0 {
		t.Fatalf("%d issues from a broken configuration", n)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `schedules.daily-morning.cron \"0 25 * * *\" is not a cron expression: hour \"25\": 25 is out of range 0-23`) {
		t.Errorf("logs do not name the problem:\n%s", logs)
	}
}

// TestConfigCache: a repository's configuration is read once per ConfigTTL,
// and Invalidate makes the next tick read it again.
func TestConfigCache(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	e := newEnv(t, local(t, "2026-11-23 08:00"), opsConfig)
	r := e.runner(st, "a")
	r.ConfigTTL, r.IdleConfigTTL = 5*time.Minute, 30*time.Minute
	reads := func() int { return len(e.gh.CallsTo("GET", "/repos/{owner}/{repo}/contents/{path}")) }
	e.walk(t, local(t, "2026-11-23 08:00"), local(t, "2026-11-23 08:04"), 15*time.Second, r)
	if n := reads(); n != 1 {
		t.Errorf("%d configuration reads in 4 minutes, want 1", n)
	}
	e.at(t, local(t, "2026-11-23 08:07"), r)
	if n := reads(); n != 2 {
		t.Errorf("%d configuration reads after the TTL, want 2", n)
	}
	// A schedule added to the configuration is seen after Invalidate.
	e.gh.PutFile(repoName, ".github/golive.yml", strings.Replace(opsConfig, `"0 9 * * *"`, `"10 8 * * *"`, 1))
	r.Invalidate(repoName)
	e.at(t, local(t, "2026-11-23 08:10"), r)
	if n := reads(); n != 3 {
		t.Errorf("%d configuration reads after Invalidate, want 3", n)
	}
	if got := titles(e.issues()); len(got) != 1 || got[0] != "Daily morning checks — 2026-11-23" {
		t.Errorf("issues %v", got)
	}
	// No configuration at all: read once per IdleConfigTTL.
	e.gh.PutFile(repoName, ".github/golive.yml", "version: 1\n")
	r.Invalidate(repoName)
	before := reads()
	e.walk(t, local(t, "2026-11-23 08:11"), local(t, "2026-11-23 08:30"), time.Minute, r)
	if n := reads() - before; n != 1 {
		t.Errorf("%d reads of a configuration without schedules in 20 minutes, want 1", n)
	}
}
