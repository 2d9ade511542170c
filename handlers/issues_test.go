package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/deploy"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/gate"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/incident"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/reminders"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
	"github.com/golive-dev/golive/bot/tracking"
	"github.com/golive-dev/golive/handlers"
)

const (
	trackedRepo   = "acme/api"
	trackedRepoID = 5005
	installation  = 42
)

// trackingRig is the whole path of an issue event: signed webhook, inbox,
// dispatcher, the issues handler and tracking, against the fake GitHub.
type trackingRig struct {
	*rig
	svc   *tracking.Service
	cmds  *deploy.Service
	incs  *incident.Service
	gh    *fakegithub.Server
	slack *fakeslack.Server
	apps  *ghclient.Apps
	clock *shiftedClock
	seq   atomic.Int64
	stop  func()
	// threads posts go-lives' Slack threads and reminders (rigOptions.reminders).
	threads *scheduler.Dispatcher
}

// shiftedClock runs at wall-clock speed (leases and coalescing waits pass as
// usual) and can be moved ahead, to days after a go-live.
type shiftedClock struct{ shift atomic.Int64 }

func (c *shiftedClock) Now() time.Time          { return time.Now().UTC().Add(time.Duration(c.shift.Load())) }
func (c *shiftedClock) Advance(d time.Duration) { c.shift.Add(int64(d)) }

func newTrackingRig(t testing.TB) *trackingRig {
	t.Helper()
	return newTrackingRigWith(t, rigOptions{})
}

// rigOptions changes what newTrackingRigWith builds.
type rigOptions struct {
	// store is the rig's store; a new SQLite database when nil.
	store store.Store
	// reminders runs a scheduler.Dispatcher as golive serve does: go-lives
	// get their Slack thread and reminders in the fake Slack, and tracker
	// refreshes update the thread.
	reminders bool
}

func newTrackingRigWith(t testing.TB, opts rigOptions) *trackingRig {
	t.Helper()
	st := opts.store
	if st == nil {
		st = storetest.SQLite(t)
	}
	r := newRig(t, st, 1000)
	gh := fakegithub.New(fakegithub.Options{T: t})
	gh.AddRepo(trackedRepo, fakegithub.RepoOpts{})
	gh.AddInstallation(installation, "acme", "Organization")
	apps, err := ghclient.New(ghclient.Config{AppID: gh.AppID(), PrivateKeyPEM: gh.PrivateKeyPEM(), BaseURL: gh.URL, Metrics: metrics.New(), Clock: clock.System{}})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(r.logs, nil))
	clk := &shiftedClock{}
	svc := &tracking.Service{Store: st, Clock: clk, Owner: "test", Coalesce: 700 * time.Millisecond,
		Repos: func(id int64, repo string) (tracking.RepoAPI, error) { return apps.Repo(id, repo) }}
	gates := &gate.Service{Store: st, Checklist: svc, Clock: clk, Owner: "test", Logger: logger,
		Repos: func(id int64, repo string) (gate.RepoAPI, error) { return apps.Repo(id, repo) }}
	svc.OnReady = gates
	sl := fakeslack.New(fakeslack.Options{T: t, Channels: []fakeslack.Channel{{ID: "CDEPLOYS", Name: "deploys", Member: true}}})
	cmds := &deploy.Service{Store: st, Checklist: svc, Clock: clk, Logger: logger, RunWait: 2 * time.Second, ConfirmKey: []byte("test confirm key"),
		Slack:   slackclient.New(slackclient.Config{Token: sl.Token(), APIURL: sl.APIURL()}),
		Repos:   func(id int64, repo string) (deploy.RepoAPI, error) { return apps.Repo(id, repo) },
		Changed: func(ctx context.Context, id int64) { svc.Rerender(ctx, id) }}
	incs := &incident.Service{Store: st, Clock: clk, Owner: "test", Logger: logger,
		Slack:    slackclient.New(slackclient.Config{Token: sl.Token(), APIURL: sl.APIURL()}),
		Repos:    func(id int64, repo string) (incident.RepoAPI, error) { return apps.Repo(id, repo) },
		IssueURL: func(repo string, n int) string { return ghclient.IssueURL(gh.URL, repo, n) }}
	cmds.Incidents = incs
	d, err := inbox.NewDispatcher(inbox.DispatcherOptions{Store: st, Backlog: r.backlog, Logger: logger, PollInterval: 10 * time.Millisecond},
		&handlers.IssuesHandler{Tracker: svc}, &handlers.IssueCommentHandler{Planner: svc, Commands: cmds, AllowedBots: []string{"release-bot[bot]"}},
		&handlers.WorkflowRunHandler{Runs: cmds}, &handlers.DeploymentStatusHandler{Deployments: cmds}, &handlers.SlackCommandHandler{Commands: cmds}, &handlers.SlackConfirmHandler{Confirmer: cmds},
		&handlers.DeploymentProtectionRuleHandler{Gates: gates}, &handlers.ActionEventHandler{Events: cmds})
	if err != nil {
		t.Fatal(err)
	}
	var threads *scheduler.Dispatcher
	if opts.reminders {
		threads = &scheduler.Dispatcher{Store: st, Clock: clk, Owner: "test", Logger: logger, Poll: 20 * time.Millisecond,
			Slack: slackclient.New(slackclient.Config{Token: sl.Token(), APIURL: sl.APIURL()}),
			Settings: func(ctx context.Context, g store.GoLive) (scheduler.Settings, error) {
				rc, tmpl, err := svc.Config(ctx, g)
				if err != nil {
					return scheduler.Settings{}, err
				}
				return scheduler.Settings{Template: tmpl, Grace: rc.ReminderGrace(), Escalation: rc.Reminders.Escalation, SlackID: rc.Slack.SlackID}, nil
			},
			IssueURL: func(repo string, n int) string { return ghclient.IssueURL(gh.URL, repo, n) },
			Changed:  func(ctx context.Context, id int64) { svc.Rerender(ctx, id) }}
		svc.Threads = threads
	}
	// The rig's ingester does not wake this dispatcher; it polls every 10 ms.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 3)
	go func() { d.Run(ctx, 5*time.Second); done <- struct{}{} }()
	go func() { svc.RunTrackerRefresher(ctx, 50*time.Millisecond); done <- struct{}{} }()
	if threads != nil {
		go func() { threads.Run(ctx); done <- struct{}{} }()
	}
	tr := &trackingRig{rig: r, svc: svc, cmds: cmds, incs: incs, gh: gh, slack: sl, apps: apps, clock: clk, threads: threads}
	tr.stop = func() {
		cancel()
		<-done
		<-done
		if threads != nil {
			<-done
		}
	}
	t.Cleanup(tr.stop)
	return tr
}

// formBody is an issue form as GitHub renders it, going live in ten days.
func formBody(when string) string {
	return "### Go-live time\n\n" + when + "\n\n### Timezone\n\nEurope/Berlin\n\n### Environment\n\nproduction\n\n" +
		"### Release\n\nv1.2.0\n\n### Slack channel\n\n#deploys\n\n### Release captain\n\n@alice\n\n### Notes\n\n_No response_\n"
}

func inTenDays() string {
	return time.Now().Add(10 * 24 * time.Hour).In(mustZone("Europe/Berlin")).Format("2006-01-02 15:04")
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// toTrackedRepo points a real webhook payload at the fake's repository and
// installation.
func toTrackedRepo(p map[string]any) {
	p["installation"] = map[string]any{"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI="}
	repo := p["repository"].(map[string]any)
	repo["id"], repo["full_name"], repo["name"] = trackedRepoID, trackedRepo, "api"
}

// issueEvent builds a real issues payload (octokit's example) for our repo.
func (tr *trackingRig) issueEvent(t *testing.T, action string, number int, body string, oldBody *string, sender string) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(readPayload(t, "issues/opened.json"), &p); err != nil {
		t.Fatal(err)
	}
	p["action"] = action
	toTrackedRepo(p)
	issue := p["issue"].(map[string]any)
	issue["number"], issue["body"] = number, body
	issue["labels"] = []any{map[string]any{"id": 1, "name": "golive", "color": "0e8a16", "default": false}}
	p["sender"].(map[string]any)["login"] = sender
	if oldBody != nil {
		p["changes"] = map[string]any{"body": map[string]any{"from": *oldBody}}
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (tr *trackingRig) send(t *testing.T, id string, body []byte) {
	t.Helper()
	if id == "" {
		id = fmt.Sprintf("issue-delivery-%d", tr.seq.Add(1))
	}
	if code, resp := tr.post(t, signed(id, "issues", body)); code != http.StatusAccepted && code != http.StatusOK {
		t.Fatalf("issues delivery %s: %d %s", id, code, resp)
	}
}

// settle waits until every delivery is processed and no tracker refresh is due.
func (tr *trackingRig) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		pending, _ := tr.store.CountDeliveries(context.Background(), store.DeliveryPending)
		due := false
		for _, s := range []store.GoLiveState{store.GoLiveActive, store.GoLiveInvalid, store.GoLiveDone, store.GoLiveCancelled} {
			gs, _ := tr.store.ListGoLives(context.Background(), s)
			for _, g := range gs {
				due = due || !g.TrackerDueAt.IsZero()
			}
		}
		if pending == 0 && !due {
			if dead, _ := tr.store.CountDeliveries(context.Background(), store.DeliveryDead); dead > 0 {
				t.Fatalf("%d deliveries dead-lettered:\n%s", dead, tr.logs)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("deliveries or tracker refreshes still pending:\n%s", tr.logs)
}

func (tr *trackingRig) count(method, route string) int { return len(tr.gh.CallsTo(method, route)) }

const (
	issueRoute    = "/repos/{owner}/{repo}/issues/{issue_number}"
	commentsRoute = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
	commentRoute  = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
	contentsRoute = "/repos/{owner}/{repo}/contents/{path}"
)

func TestGoLiveIssueBecomesTrackedChecklist(t *testing.T) {
	tr := newTrackingRig(t)
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 7, Title: "Go-live v1.2.0", Body: body, Labels: []string{"golive"}})
	opened := tr.issueEvent(t, "opened", 7, body, nil, "alice")
	tr.send(t, "opened-7", opened)
	tr.settle(t)

	if n := tr.count("PATCH", issueRoute); n != 1 {
		t.Fatalf("%d body updates, want exactly 1", n)
	}
	if n := tr.count("POST", commentsRoute); n != 1 {
		t.Fatalf("%d comments posted, want exactly 1 (the tracker)", n)
	}
	is, _ := tr.gh.GetIssue(trackedRepo, 7)
	if !strings.HasPrefix(is.Body, body) || !strings.Contains(is.Body, "<!-- golive:checklist:start -->") || !strings.Contains(is.Body, "- [ ] ") {
		t.Fatalf("the checklist was not added under the form answers:\n%.600s", is.Body)
	}
	comments := tr.gh.Comments(trackedRepo, 7)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "NOT READY") {
		t.Fatalf("tracker comment %+v", comments)
	}
	openedCalls := len(tr.gh.Calls())
	t.Logf("API calls for issues.opened: %d (%s)", openedCalls, callSummary(tr.gh.Calls()))

	// Redelivery of the same delivery, a new delivery of the same event, and a
	// relabel: no second checklist, no second tracker.
	tr.send(t, "opened-7", opened)
	tr.send(t, "", tr.issueEvent(t, "opened", 7, is.Body, nil, "alice"))
	tr.send(t, "", tr.issueEvent(t, "labeled", 7, is.Body, nil, "alice"))
	tr.settle(t)
	if n := tr.count("PATCH", issueRoute); n != 1 {
		t.Fatalf("redelivery and relabel updated the body again: %d updates", n)
	}
	if n := tr.count("POST", commentsRoute); n != 1 {
		t.Fatalf("redelivery and relabel posted again: %d comments", n)
	}
	// Nothing changed, so at most one refresh brings the tracker to the text
	// golive now remembers; a second relabel edits nothing.
	edits := tr.count("PATCH", commentRoute)
	tr.send(t, "", tr.issueEvent(t, "labeled", 7, is.Body, nil, "alice"))
	tr.settle(t)
	if n := tr.count("PATCH", commentRoute); edits > 1 || n != edits {
		t.Fatalf("unchanged tracker edited: %d then %d edits", edits, n)
	}

	// One tick: one audit row with the sender, one tracker edit.
	tr.gh.ResetCalls()
	before := is.Body
	after := strings.Replace(before, "- [ ] ", "- [x] ", 1)
	tr.send(t, "tick-1", tr.issueEvent(t, "edited", 7, after, &before, "bob"))
	tr.settle(t)
	g, err := tr.store.GetGoLive(context.Background(), trackedRepoID, 7)
	if err != nil {
		t.Fatal(err)
	}
	audit, _ := tr.store.Audit(context.Background(), g.ID)
	ticks := 0
	for _, e := range audit {
		if e.Action == "tick" {
			ticks++
			if e.Actor != "bob" || e.ItemID == "" {
				t.Fatalf("tick audited as %+v, want bob and the item", e)
			}
		}
	}
	if ticks != 1 {
		t.Fatalf("%d ticks audited, want 1: %+v", ticks, audit)
	}
	if n := tr.count("PATCH", commentRoute); n != 1 {
		t.Fatalf("%d tracker edits after one tick, want 1", n)
	}
	if n := tr.count("PATCH", issueRoute) + tr.count("POST", commentsRoute); n != 0 {
		t.Fatalf("a tick rewrote the body or posted a comment (%d calls)", n)
	}
	t.Logf("API calls for one tick (incl. its tracker edit): %d (%s)", len(tr.gh.Calls()), callSummary(tr.gh.Calls()))
	// The same edit redelivered is not audited again.
	tr.send(t, "tick-1", tr.issueEvent(t, "edited", 7, after, &before, "bob"))
	tr.settle(t)
	if a, _ := tr.store.Audit(context.Background(), g.ID); len(a) != len(audit) {
		t.Fatalf("redelivered tick audited again: %d → %d rows", len(audit), len(a))
	}

	// Twenty ticks within 5 s, as a burst arrives: sent at once, each body
	// newer than the last (issue.updated_at), handled in any order by the
	// workers. Tracker edits are at least MinEditInterval (5 s) apart, so a
	// burst handled within it costs at most two edits; the tracker ends on
	// the newest body.
	tr.gh.ResetCalls()
	bodies := []string{after}
	for i := 0; i < 20; i++ {
		bodies = append(bodies, strings.Replace(bodies[i], "- [ ] ", "- [x] ", 1))
	}
	base := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	events := make([][]byte, 20)
	for i := range events {
		events[i] = withUpdatedAt(t, tr.issueEvent(t, "edited", 7, bodies[i+1], &bodies[i], "carol"), base.Add(time.Duration(i)*time.Second))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, ev := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Not tr.send: t.Fatal must not be called from this goroutine.
			d := signed(fmt.Sprint("burst-", i), "issues", ev)
			req, _ := http.NewRequest(http.MethodPost, tr.server.URL+"/webhooks/github", bytes.NewReader(d.body))
			req.Header.Set("X-GitHub-Event", d.event)
			req.Header.Set("X-GitHub-Delivery", d.id)
			req.Header.Set("X-Hub-Signature-256", d.headers["X-Hub-Signature-256"])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Errorf("burst delivery %d: %d", i, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if time.Since(start) > 5*time.Second {
		t.Fatalf("sending 20 ticks took %s", time.Since(start))
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n, _ := tr.store.CountDeliveries(context.Background(), store.DeliveryPending); n == 0 {
			break
		}
	}
	handled := time.Since(start)
	tr.settle(t)
	trackerEdits := tr.gh.CallsTo("PATCH", commentRoute)
	if len(trackerEdits) < 1 {
		t.Fatal("20 ticks made no tracker edit")
	}
	for i := 1; i < len(trackerEdits); i++ {
		if gap := trackerEdits[i].Time.Sub(trackerEdits[i-1].Time); gap < 5*time.Second-100*time.Millisecond {
			t.Fatalf("tracker edits %s apart, want at least MinEditInterval (5 s)", gap)
		}
	}
	// The machine may be loaded: the bound of two holds for a burst the
	// workers handled within one MinEditInterval.
	if handled < 5*time.Second && len(trackerEdits) > 2 {
		t.Fatalf("20 ticks handled in %s made %d tracker edits, want 1 or 2", handled.Round(time.Millisecond), len(trackerEdits))
	}
	if c := tr.gh.Comments(trackedRepo, 7); !strings.Contains(c[0].Body, "(21 of ") {
		t.Fatalf("tracker does not end on the newest body (21 items done):\n%.300s", c[0].Body)
	}
	comments = tr.gh.Comments(trackedRepo, 7)
	if !strings.Contains(comments[0].Body, "NOT READY") {
		t.Fatalf("tracker after the ticks: %s", comments[0].Body)
	}
	if v := tr.gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
}

// Events for one issue handled by several workers at once still leave one
// comment of golive's: the issue's lock serialises them.
func TestConcurrentEventsForOneIssueLeaveOneComment(t *testing.T) {
	tr := newTrackingRig(t)
	for _, tc := range []struct {
		number int
		body   string
		marker string
	}{{11, formBody("next tuesday-ish"), "<!-- golive:problem -->"}, {12, formBody(inTenDays()), "<!-- golive:tracker -->"}} {
		tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: tc.number, Title: "Go-live", Body: tc.body, Labels: []string{"golive"}})
		var wg sync.WaitGroup
		for _, action := range []string{"opened", "labeled", "reopened", "labeled", "opened", "labeled"} {
			ev := tr.issueEvent(t, action, tc.number, tc.body, nil, "alice")
			wg.Add(1)
			go func() { defer wg.Done(); tr.send(t, "", ev) }()
		}
		wg.Wait()
		tr.settle(t)
		var ours int
		for _, c := range tr.gh.Comments(trackedRepo, tc.number) {
			if strings.HasPrefix(c.Body, tc.marker) {
				ours++
			}
		}
		if ours != 1 {
			t.Fatalf("issue %d: %d comments starting %s after six concurrent events, want 1", tc.number, ours, tc.marker)
		}
	}
}

func TestBadGoLiveTimeGetsOneComment(t *testing.T) {
	tr := newTrackingRig(t)
	body := formBody("next tuesday-ish")
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 8, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	ev := tr.issueEvent(t, "opened", 8, body, nil, "alice")
	tr.send(t, "bad-8", ev)
	tr.send(t, "bad-8", ev)
	tr.send(t, "", tr.issueEvent(t, "labeled", 8, body, nil, "alice"))
	tr.settle(t)
	if n := tr.count("PATCH", issueRoute); n != 0 {
		t.Fatalf("a checklist was added to an issue with a bad time (%d body updates)", n)
	}
	comments := tr.gh.Comments(trackedRepo, 8)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "next tuesday-ish") || !strings.Contains(comments[0].Body, "Go-live time") {
		t.Fatalf("want one comment quoting the bad time and saying what to fix, got %+v", comments)
	}

	// Fixing the form: the checklist appears and the problem comment says so.
	fixed := formBody(inTenDays())
	tr.send(t, "", tr.issueEvent(t, "edited", 8, fixed, &body, "alice"))
	tr.settle(t)
	if n := tr.count("PATCH", issueRoute); n != 1 {
		t.Fatalf("after the fix: %d body updates, want 1", n)
	}
	comments = tr.gh.Comments(trackedRepo, 8)
	if len(comments) != 2 || !strings.Contains(comments[0].Body, "complete") {
		t.Fatalf("after the fix want the resolved problem comment and a tracker, got %+v", comments)
	}
}

func TestRepositoryConfigIsReadConditionally(t *testing.T) {
	tr := newTrackingRig(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", "version: 1\ntimezone: Europe/Berlin\n")
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 9, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 9, body, nil, "alice"))
	tr.settle(t)
	is, _ := tr.gh.GetIssue(trackedRepo, 9)
	tr.send(t, "", tr.issueEvent(t, "labeled", 9, is.Body, nil, "alice"))
	tr.settle(t)
	var statuses []int
	for _, c := range tr.gh.CallsTo("GET", contentsRoute) {
		if strings.Contains(c.Path, "/acme/api/") {
			statuses = append(statuses, c.Status)
		}
	}
	if fmt.Sprint(statuses) != "[200 304]" {
		t.Fatalf("golive.yml reads answered %v, want one full GET then one 304", statuses)
	}
}

func callSummary(calls []fakegithub.Call) string {
	counts := map[string]int{}
	var order []string
	for _, c := range calls {
		k := c.Method + " " + c.Route
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%s ×%d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// commentEvent builds a real issue_comment payload for our repo.
func (tr *trackingRig) commentEvent(t testing.TB, action string, number int, issueBody, comment, sender, senderType string) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(readPayload(t, "issue_comment/created.json"), &p); err != nil {
		t.Fatal(err)
	}
	p["action"] = action
	toTrackedRepo(p)
	issue := p["issue"].(map[string]any)
	issue["number"], issue["body"], issue["labels"] = number, issueBody, []any{}
	delete(issue, "pull_request")
	p["comment"].(map[string]any)["body"] = comment
	s := p["sender"].(map[string]any)
	s["login"], s["type"] = sender, senderType
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (tr *trackingRig) sendComment(t *testing.T, body []byte) {
	t.Helper()
	id := fmt.Sprintf("comment-delivery-%d", tr.seq.Add(1))
	if code, resp := tr.post(t, signed(id, "issue_comment", body)); code != http.StatusAccepted {
		t.Fatalf("issue_comment delivery: %d %s", code, resp)
	}
}

func TestPlanCommandFromAComment(t *testing.T) {
	tr := newTrackingRig(t)
	tr.gh.SetPermission(trackedRepo, "alice", "write", "write")
	tr.gh.SetPermission(trackedRepo, "rita", "read", "read")
	plain := "We ship the new billing page.\n"
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 10, Title: "Billing page", Body: plain})
	when := inTenDays()

	// Nothing happens for a bot, an edited comment, or another first line.
	tr.sendComment(t, tr.commentEvent(t, "created", 10, plain, "/golive plan "+when+" staging", "ci-bot[bot]", "Bot"))
	tr.sendComment(t, tr.commentEvent(t, "edited", 10, plain, "/golive plan "+when+" staging", "alice", "User"))
	tr.sendComment(t, tr.commentEvent(t, "created", 10, plain, "looks good\n/golive plan "+when, "alice", "User"))
	tr.settle(t)
	if n := len(tr.gh.Calls()); n != 0 {
		t.Fatalf("ignored comments made %d API calls (%s)", n, callSummary(tr.gh.Calls()))
	}

	// A read-only user is told which role it takes; nothing else changes.
	tr.sendComment(t, tr.commentEvent(t, "created", 10, plain, "/golive plan "+when+" staging", "rita", "User"))
	tr.settle(t)
	comments := tr.gh.Comments(trackedRepo, 10)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "write") || !strings.Contains(comments[0].Body, "read") {
		t.Fatalf("refusal: %+v\n%s", comments, tr.logs)
	}
	if n := tr.count("PATCH", issueRoute); n != 0 {
		t.Fatalf("a refused plan changed the issue")
	}

	// A writer plans it: the answers and the checklist go into the body in one update.
	tr.sendComment(t, tr.commentEvent(t, "created", 10, plain, "/golive plan \""+when+"\" staging", "alice", "User"))
	tr.settle(t)
	if n := tr.count("PATCH", issueRoute); n != 1 {
		t.Fatalf("%d body updates, want 1", n)
	}
	is, _ := tr.gh.GetIssue(trackedRepo, 10)
	if !strings.HasPrefix(is.Body, plain) || !strings.Contains(is.Body, "### Go-live time\n\n"+when) ||
		!strings.Contains(is.Body, "<!-- golive:checklist:start -->") {
		t.Fatalf("planned body:\n%.800s", is.Body)
	}
	g, err := tr.store.GetGoLive(context.Background(), trackedRepoID, 10)
	if err != nil || g.State != store.GoLiveActive || g.Environment != "staging" || g.TrackerCommentID == 0 {
		t.Fatalf("go-live after the plan: %+v %v", g, err)
	}
	if v := tr.gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
}

func TestReplanCloseAndReopen(t *testing.T) {
	tr := newTrackingRig(t)
	when := time.Now().Add(10 * 24 * time.Hour).In(mustZone("Europe/Berlin"))
	body := formBody(when.Format("2006-01-02 15:04"))
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 11, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 11, body, nil, "alice"))
	tr.settle(t)
	is, _ := tr.gh.GetIssue(trackedRepo, 11)

	// Moving the go-live by a day re-plans; the tracker says what moved.
	moved := strings.Replace(is.Body, when.Format("2006-01-02 15:04"), when.AddDate(0, 0, 1).Format("2006-01-02 15:04"), 1)
	old := is.Body
	tr.send(t, "", tr.issueEvent(t, "edited", 11, moved, &old, "dave"))
	tr.settle(t)
	g, _ := tr.store.GetGoLive(context.Background(), trackedRepoID, 11)
	if !g.At.Equal(when.AddDate(0, 0, 1).Truncate(time.Minute).UTC()) {
		t.Fatalf("go-live at %s after the move, want %s", g.At, when.AddDate(0, 0, 1))
	}
	tracker := tr.gh.Comments(trackedRepo, 11)[0].Body
	if !strings.Contains(tracker, "Re-planned by @dave: moved from") {
		t.Fatalf("tracker does not say what moved:\n%s", tracker)
	}
	is, _ = tr.gh.GetIssue(trackedRepo, 11)
	if !strings.Contains(is.Body, when.AddDate(0, 0, 1).AddDate(0, 0, -7).Format("2006-01-02")) {
		t.Fatalf("the checklist's due times did not move with the go-live")
	}

	// Closing as not planned cancels it; reopening revives it.
	closed := tr.issueEvent(t, "closed", 11, is.Body, nil, "erin")
	var p map[string]any
	json.Unmarshal(closed, &p)
	p["issue"].(map[string]any)["state"], p["issue"].(map[string]any)["state_reason"] = "closed", "not_planned"
	closed, _ = json.Marshal(p)
	tr.send(t, "", closed)
	tr.settle(t)
	if g, _ := tr.store.GetGoLive(context.Background(), trackedRepoID, 11); g.State != store.GoLiveCancelled {
		t.Fatalf("state after closing as not planned: %s", g.State)
	}
	if c := tr.gh.Comments(trackedRepo, 11)[0].Body; !strings.Contains(c, "cancelled") {
		t.Fatalf("tracker after closing:\n%s", c)
	}
	tr.send(t, "", tr.issueEvent(t, "reopened", 11, is.Body, nil, "erin"))
	tr.settle(t)
	if g, _ := tr.store.GetGoLive(context.Background(), trackedRepoID, 11); g.State != store.GoLiveActive {
		t.Fatalf("state after reopening: %s", g.State)
	}
	if c := tr.gh.Comments(trackedRepo, 11)[0].Body; !strings.Contains(c, "NOT READY") {
		t.Fatalf("tracker after reopening:\n%s", c)
	}
}

// TestEmptyBodyGoLive uses octokit's real issue with a null body, labelled
// golive: one comment explains what is missing, nothing breaks.
func TestEmptyBodyGoLive(t *testing.T) {
	tr := newTrackingRig(t)
	var p map[string]any
	if err := json.Unmarshal(readPayload(t, "issues/opened.with-empty-body.json"), &p); err != nil {
		t.Fatal(err)
	}
	issue := p["issue"].(map[string]any)
	if issue["body"] != nil {
		t.Fatalf("the example's body is %v, want null", issue["body"])
	}
	n := int(issue["number"].(float64))
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: n, Title: "Empty", Labels: []string{"golive"}})
	toTrackedRepo(p)
	issue["labels"] = []any{map[string]any{"id": 1, "name": "golive"}}
	body, _ := json.Marshal(p)
	tr.send(t, "", body)
	tr.settle(t)
	comments := tr.gh.Comments(trackedRepo, n)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "Go-live time") {
		t.Fatalf("want one comment asking for the go-live time, got %+v", comments)
	}
	if c := tr.count("PATCH", issueRoute); c != 0 {
		t.Fatalf("the empty issue got a checklist")
	}
}

// TestBrokenConfigIsShownOnTheIssue: a golive.yml with a mistake is reported
// on the issue with its line, and the defaults are not used instead.
func TestBrokenConfigIsShownOnTheIssue(t *testing.T) {
	tr := newTrackingRig(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", "version: 1\nenviroments:\n  production: {}\n")
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 12, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 12, body, nil, "alice"))
	tr.settle(t)
	comments := tr.gh.Comments(trackedRepo, 12)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "line 2") || !strings.Contains(comments[0].Body, "enviroments") {
		t.Fatalf("want one comment naming the bad key and its line, got %+v", comments)
	}
	if n := tr.count("PATCH", issueRoute); n != 0 {
		t.Fatalf("the checklist was added with a broken configuration")
	}
}

// TestTicksAfterTheGoLiveTime: once the go-live time has passed, ticking the
// post-launch items is still tracking, not a form problem.
func TestTicksAfterTheGoLiveTime(t *testing.T) {
	tr := newTrackingRig(t)
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 13, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 13, body, nil, "alice"))
	tr.settle(t)
	is, _ := tr.gh.GetIssue(trackedRepo, 13)

	tr.clock.Advance(10*24*time.Hour + 30*time.Minute) // T+30m
	ticked := strings.Replace(is.Body, "- [ ] ", "- [x] ", 1)
	tr.send(t, "", tr.issueEvent(t, "edited", 13, ticked, &is.Body, "bob"))
	tr.settle(t)
	if c := tr.gh.Comments(trackedRepo, 13); len(c) != 1 {
		t.Fatalf("a tick after the go-live time got a problem comment: %+v", c)
	}
	g, _ := tr.store.GetGoLive(context.Background(), trackedRepoID, 13)
	audit, _ := tr.store.Audit(context.Background(), g.ID)
	if len(audit) == 0 || audit[len(audit)-1].Action != "tick" {
		t.Fatalf("the tick after the go-live time was not audited: %+v", audit)
	}

	// Moving it to another time in the past is still refused.
	past := time.Now().Add(-24 * time.Hour).In(mustZone("Europe/Berlin")).Format("2006-01-02 15:04")
	movedBack := strings.Replace(ticked, inTenDaysFrom(is.Body), past, 1)
	tr.send(t, "", tr.issueEvent(t, "edited", 13, movedBack, &ticked, "bob"))
	tr.settle(t)
	if c := tr.gh.Comments(trackedRepo, 13); len(c) != 2 || !strings.Contains(c[1].Body, "past") {
		t.Fatalf("moving the go-live into the past: %+v", c)
	}
}

// inTenDaysFrom returns the go-live time answer written in a form body.
func inTenDaysFrom(body string) string {
	_, rest, _ := strings.Cut(body, "### Go-live time\n\n")
	line, _, _ := strings.Cut(rest, "\n")
	return line
}

// withUpdatedAt sets issue.updated_at, the version of the issue body.
func withUpdatedAt(t *testing.T, payload []byte, at time.Time) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatal(err)
	}
	p["issue"].(map[string]any)["updated_at"] = at.UTC().Format(time.RFC3339)
	b, _ := json.Marshal(p)
	return b
}

// TestOutOfOrderEditsKeepTheNewestState: an older edit handled after a newer
// one is audited but does not bring back its older checklist state.
func TestOutOfOrderEditsKeepTheNewestState(t *testing.T) {
	tr := newTrackingRig(t)
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 14, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	tr.send(t, "", withUpdatedAt(t, tr.issueEvent(t, "opened", 14, body, nil, "alice"), t0))
	tr.settle(t)
	is, _ := tr.gh.GetIssue(trackedRepo, 14)
	one := strings.Replace(is.Body, "- [ ] ", "- [x] ", 1)
	two := strings.Replace(one, "- [ ] ", "- [x] ", 1)

	tr.send(t, "newer", withUpdatedAt(t, tr.issueEvent(t, "edited", 14, two, &one, "bob"), t0.Add(3*time.Second)))
	tr.settle(t)
	tr.send(t, "older", withUpdatedAt(t, tr.issueEvent(t, "edited", 14, one, &is.Body, "bob"), t0.Add(2*time.Second)))
	tr.settle(t)

	g, _ := tr.store.GetGoLive(context.Background(), trackedRepoID, 14)
	items, _ := tr.store.Items(context.Background(), g.ID)
	checked := 0
	for _, it := range items {
		if it.Checked {
			checked++
		}
	}
	if checked != 2 {
		t.Fatalf("%d items checked after the older edit arrived last, want the newer body's 2", checked)
	}
	if c := tr.gh.Comments(trackedRepo, 14); !strings.Contains(c[0].Body, "(2 of ") {
		t.Fatalf("tracker after out-of-order edits:\n%.300s", c[0].Body)
	}
	audit, _ := tr.store.Audit(context.Background(), g.ID)
	ticks := 0
	for _, e := range audit {
		if e.Action == "tick" {
			ticks++
		}
	}
	if ticks != 2 {
		t.Fatalf("%d ticks audited, want both edits' ticks", ticks)
	}
}

// Moving a go-live by a day moves its unsent reminders by a day, leaves the
// sent ones as they were, and the tracker says what moved; closing it
// cancels the rest.
func TestReplanMovesUnsentReminders(t *testing.T) {
	tr := newTrackingRig(t)
	ctx := context.Background()
	when := time.Now().Add(10 * 24 * time.Hour).In(mustZone("Europe/Berlin"))
	body := formBody(when.Format("2006-01-02 15:04"))
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 21, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 21, body, nil, "alice"))
	tr.settle(t)
	g, err := tr.store.GetGoLive(ctx, trackedRepoID, 21)
	if err != nil {
		t.Fatal(err)
	}
	var before []store.Reminder
	all, err := tr.store.ListReminders(ctx, g.ID)
	for _, r := range all {
		if r.Offset == reminders.StartOffset {
			if !r.DueAt.Before(time.Now().Add(time.Second)) || r.State != store.ReminderPending {
				t.Fatalf("the thread's start occurrence is not due at once: %+v", r)
			}
			continue
		}
		before = append(before, r)
	}
	if err != nil || len(before) != len(reminders.DefaultOffsets()) {
		t.Fatalf("%d reminders planned, want the %d of the default timeline (%v)", len(before), len(reminders.DefaultOffsets()), err)
	}
	// T-7d went out (as a dispatcher would have marked it).
	claimed, err := tr.store.ClaimDueReminders(ctx, "sender", g.At.Add(-6*24*time.Hour), time.Minute, 2, 0)
	if err != nil || len(claimed) != 2 || claimed[1].Offset != "T-7d" {
		t.Fatalf("claim the start and T-7d: %+v, %v", claimed, err)
	}
	claimed = claimed[1:]
	if err := tr.store.MarkReminderSent(ctx, claimed[0].Key, "sender", g.At.Add(-6*24*time.Hour), "1700000000.000100", false); err != nil {
		t.Fatal(err)
	}

	is, _ := tr.gh.GetIssue(trackedRepo, 21)
	moved := strings.Replace(is.Body, when.Format("2006-01-02 15:04"), when.AddDate(0, 0, 1).Format("2006-01-02 15:04"), 1)
	old := is.Body
	tr.send(t, "", tr.issueEvent(t, "edited", 21, moved, &old, "dave"))
	tr.settle(t)

	after, err := tr.store.ListReminders(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	was := map[string]store.Reminder{}
	for _, r := range before {
		was[r.Key] = r
	}
	pending := 0
	for _, r := range after {
		b := was[r.Key]
		switch r.Offset {
		case reminders.StartOffset:
		case "T-7d":
			if r.State != store.ReminderSent || !r.DueAt.Equal(b.DueAt) || r.SlackTS != "1700000000.000100" {
				t.Fatalf("the sent T-7d reminder changed: %+v", r)
			}
		default:
			pending++
			if r.State != store.ReminderPending {
				t.Fatalf("%s is %s after the move", r.Offset, r.State)
			}
			// Calendar days: the same wall-clock time one local day later.
			want := b.DueAt.In(mustZone("Europe/Berlin")).AddDate(0, 0, 1)
			if !r.DueAt.Equal(want) {
				t.Fatalf("%s due %s after moving the go-live by a day, want %s", r.Offset, r.DueAt, want)
			}
		}
	}
	if pending != len(before)-1 {
		t.Fatalf("%d pending reminders after the move, want %d", pending, len(before)-1)
	}
	tracker := tr.gh.Comments(trackedRepo, 21)[0].Body
	want := fmt.Sprintf("reminders: %d moved; 1 already sent stay as they were", len(before)-1)
	if !strings.Contains(tracker, want) || !strings.Contains(tracker, "**Next reminder:** T-3d") {
		t.Fatalf("tracker does not say what moved (%q) or what comes next:\n%s", want, tracker)
	}

	// Closing the go-live cancels every unsent reminder.
	closed := tr.issueEvent(t, "closed", 21, moved, nil, "erin")
	tr.send(t, "", closed)
	tr.settle(t)
	final, _ := tr.store.ListReminders(ctx, g.ID)
	for _, r := range final {
		if r.Offset != "T-7d" && r.Offset != reminders.StartOffset && r.State != store.ReminderCancelled {
			t.Fatalf("%s is %s after closing, want cancelled", r.Offset, r.State)
		}
	}
}

// Slack refusing a go-live's messages shows on its tracker comment.
func TestSlackProblemShowsOnTheTracker(t *testing.T) {
	tr := newTrackingRig(t)
	ctx := context.Background()
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 22, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 22, body, nil, "alice"))
	tr.settle(t)
	g, err := tr.store.GetGoLive(ctx, trackedRepoID, 22)
	if err != nil {
		t.Fatal(err)
	}
	note := scheduler.SlackNote(g.SlackChannel, "not_in_channel")
	if err := tr.store.SetSlackNote(ctx, g.ID, note); err != nil {
		t.Fatal(err)
	}
	if err := tr.svc.Rerender(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	tr.settle(t)
	tracker := tr.gh.Comments(trackedRepo, 22)[0].Body
	if !strings.Contains(tracker, "> [!WARNING]\n> "+note) || !strings.Contains(note, "/invite @golive") {
		t.Fatalf("the tracker does not show the Slack problem %q:\n%s", note, tracker)
	}
}
