package scheduler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/store"
)

// template has a phase at T-20m with twelve required items owned by two
// people, and a post-launch phase.
func messageTemplate(t *testing.T) checklist.Template {
	t.Helper()
	var b strings.Builder
	b.WriteString("phases:\n  - id: migration\n    name: Database migration\n    offset: T-20m\n    items:\n")
	for i := range 12 {
		owner := "\"@alice\""
		if i%2 == 1 {
			owner = "\"@acme/dba\""
		}
		fmt.Fprintf(&b, "      - id: step-%d\n        text: Step %d <check>\n        owner: %s\n", i, i, owner)
	}
	b.WriteString("  - id: verify\n    name: Verify\n    offset: T+10m\n    items:\n      - id: smoke\n        text: Smoke tests pass\n")
	tmpl, err := checklist.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func view(t *testing.T, tmpl checklist.Template, checked map[string]bool) scheduler.View {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2026, 12, 1, 14, 0, 0, 0, loc)
	var tasks []checklist.Task
	for _, it := range tmpl.Items() {
		tasks = append(tasks, checklist.Task{ID: it.ID, Text: it.Text, Owner: it.Owner, Checked: checked[it.ID]})
	}
	ids := map[string]string{"alice": "U0ALICE", "acme/dba": "S0DBA"}
	return scheduler.View{
		GoLive:    store.GoLive{ID: 7, Repo: "acme/api", IssueNumber: 7, Environment: "production", At: at.UTC(), Timezone: "Europe/Berlin", State: store.GoLiveActive},
		Location:  loc,
		Readiness: checklist.Evaluate(tmpl, at, tasks),
		IssueURL:  "https://github.com/acme/api/issues/7",
		Mention: func(owner string) string {
			return scheduler.Mention(owner, func(gh string) (string, bool) { id, ok := ids[strings.TrimPrefix(gh, "@")]; return id, ok })
		},
		Escalation: []string{"@acme/sre", "@alice"},
	}
}

func TestReminderTextAtTheDeadline(t *testing.T) {
	tmpl := messageTemplate(t)
	v := view(t, tmpl, map[string]bool{"step-0": true})
	due := v.GoLive.At.Add(-20 * time.Minute)
	msg := scheduler.ReminderText(v, checklist.MustParseOffset("T-20m"), due)
	text := msg.Text
	for _, want := range []string{
		"*T-20m* <https://github.com/acme/api/issues/7|acme/api#7>",
		"*Database migration* due <!date^" + fmt.Sprint(due.Unix()) + "^{time}|2026-12-01 13:40 CET>: 11 required open",
		"• Step 1 &lt;check&gt; — <!subteam^S0DBA>", // escaped text, a group mention
		"• Step 2 &lt;check&gt; — <@U0ALICE>",
		"…and 1 more",
		// Owners in list order, then the escalation group; @alice once.
		":rotating_light: Deadline reached with required items open: <!subteam^S0DBA> <@U0ALICE> @acme/sre",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("reminder lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Step 0 ") || strings.Contains(text, "Step 11 ") {
		t.Errorf("a done item, or an eleventh open one, is listed:\n%s", text)
	}
	if strings.Contains(text, "Check now") || msg.Snooze {
		t.Errorf("a T-day reminder carries post-launch checks or a snooze button:\n%s", text)
	}
	// The same phase reminded before its deadline escalates to no one.
	if early := scheduler.ReminderText(v, checklist.MustParseOffset("T-20m"), due.Add(-time.Minute)).Text; strings.Contains(early, "rotating_light") {
		t.Errorf("escalated before the deadline:\n%s", early)
	}
}

func TestReminderTextDonePhaseAndPostLaunch(t *testing.T) {
	tmpl := messageTemplate(t)
	all := map[string]bool{}
	for _, it := range tmpl.Items() {
		all[it.ID] = true
	}
	v := view(t, tmpl, all)
	text := scheduler.ReminderText(v, checklist.MustParseOffset("T-20m"), v.GoLive.At).Text
	if !strings.Contains(text, "✅ Database migration is done.") || strings.Contains(text, "•") || strings.Contains(text, "rotating_light") {
		t.Fatalf("done phase:\n%s", text)
	}
	post := scheduler.ReminderText(v, checklist.MustParseOffset("T+2h"), v.GoLive.At.Add(2*time.Hour))
	for _, want := range []string{"error rate", "p50 / p95 / p99", "active users", "database performance", "CPU / memory", "✅ Every required item is done."} {
		if !strings.Contains(post.Text, want) {
			t.Errorf("post-launch reminder lacks %q:\n%s", want, post.Text)
		}
	}
	if post.Snooze {
		t.Errorf("hours 1-4 after launch offer a snooze")
	}
	if !scheduler.ReminderText(v, checklist.MustParseOffset("T+6h"), v.GoLive.At.Add(6*time.Hour)).Snooze {
		t.Errorf("a stabilization reminder offers no snooze")
	}
}

func TestParentText(t *testing.T) {
	tmpl := messageTemplate(t)
	v := view(t, tmpl, map[string]bool{"step-0": true, "step-1": true, "smoke": true})
	text := scheduler.ParentText(v, v.GoLive.At.Add(-30*time.Minute))
	for _, want := range []string{
		"*Go-live: <https://github.com/acme/api/issues/7|acme/api#7> → production at <!date^" + fmt.Sprint(v.GoLive.At.Unix()),
		"▓▓░░░░░░░░ 3 of 13 items done · 10 required open",
		"Phase: Database migration (T-20m)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("parent lacks %q:\n%s", want, text)
		}
	}
}
