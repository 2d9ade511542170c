package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/store"
)

// lifecycleBudget is the most GitHub REST calls each step of a go-live's
// lifecycle may make (measured 2026-11-22 plus a margin; docs/benchmarks.md).
// A change that makes a step cost more fails TestGoLiveLifecycleRESTCalls:
// raise the budget only with the reason in the commit.
var lifecycleBudget = map[string]int{
	"open":                 8,   // measured 6–7
	"80 ticks":             250, // measured 240–241: per tick 2 configuration reads (304s here) and 1 tracker edit
	"deploy (--force)":     19,  // measured 16–17
	"deploy run completes": 8,   // measured 6–7
	"rollback":             19,  // measured 17
	"rollback completes":   8,   // measured 5
	"close":                5,   // measured 3
	"lifecycle":            310, // measured 295
}

// TestGoLiveLifecycleRESTCalls walks one go-live through its life — opened
// from the issue form, 80 checklist items ticked one at a time (each more
// than MinEditInterval after the last, so each tick costs its own tracker
// edit: the most a tick can cost), a production deploy and its run, a
// rollback and its run, the issue closed — against the fake GitHub and
// Slack, with the reminder dispatcher running as in golive serve, and
// reports the REST calls of each step. Run it with -v for the table.
func TestGoLiveLifecycleRESTCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("walks 80 ticks")
	}
	tr := newTrackingRigWith(t, rigOptions{reminders: true})
	tr.withWorkflows(t)
	tr.gh.SetPermission(trackedRepo, "mona", "admin", "admin")
	const number = 100
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: number, Title: "Go-live v1.2.0", Body: body, Labels: []string{"golive"}})

	type step struct {
		name         string
		calls        []fakegithub.Call
		slack        int
		took         time.Duration
		rateLimited  int // calls that count against the installation's rate limit (not 304s)
		conditionals int
	}
	var steps []step
	measure := func(name string, f func()) {
		t.Helper()
		before, slackBefore := len(tr.gh.Calls()), len(tr.slack.Calls())
		start := time.Now()
		f()
		s := step{name: name, calls: tr.gh.Calls()[before:], slack: len(tr.slack.Calls()) - slackBefore, took: time.Since(start)}
		for _, c := range s.calls {
			if c.Status == http.StatusNotModified {
				s.conditionals++
			} else {
				s.rateLimited++
			}
		}
		steps = append(steps, s)
	}
	// settle lets golive handle what was sent, then moves the clock past
	// MinEditInterval so the tracker edit it scheduled goes out at once.
	settle := func() {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if n, _ := tr.store.CountDeliveries(t.Context(), store.DeliveryPending); n == 0 {
				break
			}
		}
		tr.clock.Advance(6 * time.Second)
		tr.settle(t)
	}
	// at is the version (updated_at) of each body sent.
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	send := func(action, body string, old *string, sender string) {
		at = at.Add(time.Second)
		tr.send(t, "", withUpdatedAt(t, tr.issueEvent(t, action, number, body, old, sender), at))
	}

	measure("open", func() {
		send("opened", body, nil, "alice")
		settle()
		waitSlackThread(t, tr, number)
	})
	is, _ := tr.gh.GetIssue(trackedRepo, number)
	measure("80 ticks", func() {
		cur := is.Body
		for i := range 80 {
			next := strings.Replace(cur, "- [ ] ", "- [x] ", 1)
			if next == cur {
				t.Fatalf("no box left to tick after %d ticks", i)
			}
			send("edited", next, &cur, "bob")
			settle()
			cur = next
		}
		is.Body = cur
	})
	if c := tr.gh.Comments(trackedRepo, number); len(c) != 1 || !strings.Contains(c[0].Body, "(80 of ") {
		t.Fatalf("tracker after 80 ticks:\n%.300s", fmt.Sprint(c))
	}

	var deployRun fakegithub.WorkflowRun
	measure("deploy (--force)", func() {
		tr.command(t, number, "mona", "", "/golive deploy production --force")
		settle()
	})
	ds := tr.gh.Dispatches()
	if len(ds) != 1 {
		t.Fatalf("%d dispatches after the deploy, want 1:\n%s", len(ds), tr.logs)
	}
	deployRun = runOf(tr, ds[0].RunID)
	measure("deploy run completes", func() {
		tr.completeRun(t, deployRun, "success")
		settle()
	})

	// The deployments a rollback goes back through (made by the workflow,
	// not by golive: outside the measured steps).
	good := tr.gh.AddCommit(trackedRepo, "main", fakegithub.Commit{Message: "good release"})
	tr.createDeployment(t, good, "production", "success")
	bad := tr.gh.AddCommit(trackedRepo, "main", fakegithub.Commit{Message: "bad release"})
	tr.createDeployment(t, bad, "production", "success")
	measure("rollback", func() {
		tr.command(t, number, "mona", "", "/golive rollback production")
		settle()
	})
	ds = tr.gh.Dispatches()
	if len(ds) != 2 || fmt.Sprint(ds[1].Inputs["sha"]) != good {
		t.Fatalf("dispatches after the rollback: %+v", ds)
	}
	measure("rollback completes", func() {
		tr.completeRun(t, runOf(tr, ds[1].RunID), "success")
		settle()
	})
	measure("close", func() {
		send("closed", is.Body, nil, "alice")
		settle()
	})

	var table strings.Builder
	fmt.Fprintf(&table, "\n| step | REST calls | budget | of budget | rate-limited | 304 | Slack calls | time | calls |\n|---|---|---|---|---|---|---|---|---|\n")
	total, totalSlack, totalLimited := 0, 0, 0
	for _, s := range steps {
		total += len(s.calls)
		totalSlack += s.slack
		totalLimited += s.rateLimited
		fmt.Fprintf(&table, "| %s | %d | %d | %.2f | %d | %d | %d | %s | %s |\n", s.name, len(s.calls), lifecycleBudget[s.name],
			float64(len(s.calls))/float64(lifecycleBudget[s.name]), s.rateLimited, s.conditionals, s.slack, s.took.Round(time.Millisecond), callSummary(s.calls))
	}
	fmt.Fprintf(&table, "| **lifecycle** | **%d** | %d | %.2f | %d | | %d | | |\n", total, lifecycleBudget["lifecycle"],
		float64(total)/float64(lifecycleBudget["lifecycle"]), totalLimited, totalSlack)
	t.Log(table.String())
	for _, s := range append(steps, step{name: "lifecycle", calls: make([]fakegithub.Call, total)}) {
		if budget, ok := lifecycleBudget[s.name]; !ok || len(s.calls) > budget {
			t.Errorf("%s made %d GitHub calls, over its budget of %d", s.name, len(s.calls), budget)
		}
	}
	if v := tr.gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
}

func runOf(tr *trackingRig, id int64) fakegithub.WorkflowRun {
	for _, r := range tr.gh.WorkflowRuns(trackedRepo) {
		if r.ID == id {
			return r
		}
	}
	return fakegithub.WorkflowRun{ID: id}
}

// waitSlackThread waits until issue number's go-live has its Slack thread.
func waitSlackThread(t *testing.T, tr *trackingRig, number int) {
	t.Helper()
	g, err := tr.store.GetGoLive(t.Context(), trackedRepoID, number)
	if err != nil {
		t.Fatal(err)
	}
	waitThread(t, tr, g.ID)
}
