package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-dev/golive/bot/deploy"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/gate"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/handlers"
)

// gateConfig gates production on a checklist of one required item (and one
// optional item, which never holds a deployment back).
const gateConfig = commandsConfig + `template:
  extend: false
  phases:
    - id: final
      name: Final sign-off
      offset: T-1h
      items:
        - id: go
          text: Go decision made
          owner: "@alice"
        - id: notes
          text: Release notes drafted
          required: false
`

var (
	webhookSchemasOnce sync.Once
	webhookSchemas     *openapi3.T
	webhookSchemasErr  error
)

// checkWebhookSchema fails the test unless payload is a valid body of the
// webhook GitHub's description calls name.
func checkWebhookSchema(t testing.TB, name string, payload []byte) {
	t.Helper()
	webhookSchemasOnce.Do(func() {
		webhookSchemas, webhookSchemasErr = openapi3.NewLoader().LoadFromFile("../testdata/github/openapi/golive-webhooks-subset.json")
	})
	if webhookSchemasErr != nil {
		t.Fatal(webhookSchemasErr)
	}
	ref := webhookSchemas.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("GitHub's webhook description has no schema %q", name)
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		t.Fatal(err)
	}
	if err := ref.Value.VisitJSON(v); err != nil {
		t.Fatalf("the payload is no valid %s: %v", name, err)
	}
}

// protectionEvent is a deployment_protection_rule "requested" payload for
// run's deployment to env at sha on ref, built after GitHub's schema
// (webhook-deployment-protection-rule-requested) from octokit's deployment
// example, and checked against it.
func (tr *trackingRig) protectionEvent(t testing.TB, run int64, env, sha, ref, sender string) []byte {
	t.Helper()
	var ex map[string]any
	if err := json.Unmarshal(readPayload(t, "deployment/created.with-installation.json"), &ex); err != nil {
		t.Fatal(err)
	}
	dep := ex["deployment"].(map[string]any)
	dep["sha"], dep["ref"], dep["environment"], dep["original_environment"] = sha, strings.TrimPrefix(ref, "refs/heads/"), env, env
	p := map[string]any{
		"action": "requested", "environment": env, "event": "workflow_dispatch", "sha": sha, "ref": ref,
		"deployment_callback_url": fmt.Sprintf("https://api.github.com/repos/%s/actions/runs/%d/deployment_protection_rule", trackedRepo, run),
		"deployment":              dep, "pull_requests": []any{},
		"repository": ex["repository"], "installation": ex["installation"], "sender": ex["sender"],
	}
	toTrackedRepo(p)
	p["sender"].(map[string]any)["login"] = sender
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	checkWebhookSchema(t, "webhook-deployment-protection-rule-requested", b)
	return b
}

func (tr *trackingRig) sendProtection(t *testing.T, id string, body []byte) {
	t.Helper()
	if code, resp := tr.post(t, signed(id, "deployment_protection_rule", body)); code != http.StatusAccepted && code != http.StatusOK {
		t.Fatalf("deployment_protection_rule delivery %s: %d %s", id, code, resp)
	}
}

// reviewsOf are the fake's recorded protection-rule callbacks for run.
func (tr *trackingRig) reviewsOf(run int64) []fakegithub.GateReview {
	var out []fakegithub.GateReview
	for _, r := range tr.gh.GateReviews() {
		if r.RunID == run {
			out = append(out, r)
		}
	}
	return out
}

func byState(rs []fakegithub.GateReview, state string) []fakegithub.GateReview {
	var out []fakegithub.GateReview
	for _, r := range rs {
		if r.State == state {
			out = append(out, r)
		}
	}
	return out
}

func (tr *trackingRig) gateOf(t *testing.T, run int64, env string) store.Gate {
	t.Helper()
	g, err := tr.store.GetGate(context.Background(), store.GateKey{RepoID: trackedRepoID, RunID: run, Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A deployment to production waits for its go-live's checklist: one
// progress note naming what blocks it, then exactly one approval when the
// last required item is ticked, however often events repeat.
func TestProtectionRuleWaitsForTheChecklist(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", gateConfig)
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 35, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 35, body, nil, "alice"))
	tr.settle(t)
	gl, err := tr.store.GetGoLive(context.Background(), trackedRepoID, 35)
	if err != nil || gl.Environment != "production" {
		t.Fatalf("go-live %+v, %v", gl, err)
	}

	main, _ := tr.gh.Branch(trackedRepo, "main")
	run := tr.gh.AddWorkflowRun(trackedRepo, fakegithub.WorkflowRun{Event: "push", Status: "waiting", Actor: "carol"})
	request := tr.protectionEvent(t, run.ID, "production", main, "refs/heads/main", "carol")
	tr.sendProtection(t, "gate-request-1", request)
	tr.settle(t)
	reviews := tr.reviewsOf(run.ID)
	if len(reviews) != 1 {
		t.Fatalf("%d reviews of the waiting deployment, want one note: %+v", len(reviews), reviews)
	}
	note := reviews[0]
	if note.State != "" || note.EnvironmentName != "production" || note.InstallationID != installation ||
		!strings.Contains(note.Comment, "NOT READY") || !strings.Contains(note.Comment, "1 required checklist items are open") ||
		!strings.Contains(note.Comment, "- Go decision made — @\u200balice") || strings.Contains(note.Comment, "Release notes") {
		t.Fatalf("progress note %+v, want a comment without a state naming the open required item", note)
	}
	if g := tr.gateOf(t, run.ID, "production"); g.State != store.GatePending || g.Notes != 1 || g.GoLiveID != gl.ID || g.SHA != main {
		t.Fatalf("gate after the request: %+v", g)
	}

	// The same delivery again, and an unrelated tick: nothing more.
	tr.sendProtection(t, "gate-request-1", request)
	is, _ := tr.gh.GetIssue(trackedRepo, 35)
	optional := strings.Replace(is.Body, "- [ ] _(optional)_ Release notes drafted", "- [x] _(optional)_ Release notes drafted", 1)
	if optional == is.Body {
		t.Fatalf("no optional item in the checklist:\n%s", is.Body)
	}
	tr.send(t, "", tr.issueEvent(t, "edited", 35, optional, &is.Body, "bob"))
	tr.settle(t)
	if n := len(tr.reviewsOf(run.ID)); n != 1 {
		t.Fatalf("a redelivered request or an optional tick reviewed again: %d reviews", n)
	}

	// The last required item: approved, once.
	ticked := strings.Replace(optional, "- [ ] Go decision made", "- [x] Go decision made", 1)
	if ticked == optional {
		t.Fatalf("no required item in the checklist:\n%s", optional)
	}
	tick := tr.issueEvent(t, "edited", 35, ticked, &optional, "alice")
	tr.send(t, "tick-go", tick)
	tr.settle(t)
	approvals := byState(tr.reviewsOf(run.ID), "approved")
	if len(approvals) != 1 || approvals[0].EnvironmentName != "production" || !strings.Contains(approvals[0].Comment, "READY FOR PRODUCTION") {
		t.Fatalf("approvals after the last required tick: %+v, want one", tr.reviewsOf(run.ID))
	}
	if g := tr.gateOf(t, run.ID, "production"); g.State != store.GateApproved || g.DecidedAt.IsZero() {
		t.Fatalf("gate after the approval: %+v", g)
	}

	// The tick redelivered, another event on the ready go-live, the request
	// redelivered: still one approval.
	tr.send(t, "tick-go", tick)
	tr.send(t, "", tr.issueEvent(t, "labeled", 35, ticked, nil, "alice"))
	tr.sendProtection(t, "gate-request-1", request)
	tr.settle(t)
	if rs := tr.reviewsOf(run.ID); len(rs) != 2 || len(byState(rs, "approved")) != 1 {
		t.Fatalf("reviews after repeats: %+v, want the note and one approval", rs)
	}

	// A deployment asking once the go-live is ready is approved at once.
	later := tr.gh.AddWorkflowRun(trackedRepo, fakegithub.WorkflowRun{Event: "push", Status: "waiting"})
	tr.sendProtection(t, "gate-request-2", tr.protectionEvent(t, later.ID, "production", main, "refs/heads/main", "carol"))
	tr.settle(t)
	if rs := tr.reviewsOf(later.ID); len(rs) != 1 || rs[0].State != "approved" || !strings.Contains(rs[0].Comment, "every required checklist item is done") {
		t.Fatalf("reviews of a deployment to a ready go-live: %+v", rs)
	}
	if v := tr.gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
}

// A locked environment rejects deployments, naming the holder and reason;
// the holder's own deployment passes, and so does any deployment to an
// environment no go-live gates.
func TestProtectionRuleRejectsALockedEnvironment(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 34, Title: "Release"})
	tr.command(t, 34, "lena", "maintain", "/golive lock production database migration for 2h")
	tr.settle(t)
	if r := tr.replies(34); len(r) != 1 || !strings.Contains(r[0], "locked") {
		t.Fatalf("lock replies: %q", r)
	}
	main, _ := tr.gh.Branch(trackedRepo, "main")

	run := tr.gh.AddWorkflowRun(trackedRepo, fakegithub.WorkflowRun{Event: "push", Status: "waiting", Actor: "walt"})
	tr.sendProtection(t, "locked-1", tr.protectionEvent(t, run.ID, "production", main, "refs/heads/main", "walt"))
	tr.settle(t)
	rs := tr.reviewsOf(run.ID)
	if len(rs) != 1 || rs[0].State != "rejected" || !strings.Contains(rs[0].Comment, "locked by @\u200blena") ||
		!strings.Contains(rs[0].Comment, "database migration") {
		t.Fatalf("reviews of a deployment to a locked environment: %+v, want one rejection naming @lena and the reason", rs)
	}
	for _, r := range tr.gh.WorkflowRuns(trackedRepo) {
		if r.ID == run.ID && r.Conclusion != "failure" {
			t.Fatalf("the rejected run is %s/%s", r.Status, r.Conclusion)
		}
	}
	if g := tr.gateOf(t, run.ID, "production"); g.State != store.GateRejected || !strings.Contains(g.Detail, "locked") {
		t.Fatalf("gate after the rejection: %+v", g)
	}

	own := tr.gh.AddWorkflowRun(trackedRepo, fakegithub.WorkflowRun{Event: "push", Status: "waiting", Actor: "lena"})
	tr.sendProtection(t, "locked-2", tr.protectionEvent(t, own.ID, "production", main, "refs/heads/main", "lena"))
	tr.settle(t)
	if rs := tr.reviewsOf(own.ID); len(rs) != 1 || rs[0].State != "approved" || !strings.Contains(rs[0].Comment, "No go-live") {
		t.Fatalf("reviews of the lock holder's deployment without a go-live: %+v, want approved", rs)
	}
	if v := tr.gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
}

// A deploy golive dispatched must run the commit golive resolved when it
// runs on the branch it deploys; a run golive has not linked yet is known by
// the correlation id in its title.
func TestProtectionRuleChecksTheSHAGoliveDispatched(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 38, Title: "Release"})
	tr.command(t, 38, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	ctx := context.Background()
	ds, err := tr.store.LatestDeploys(ctx, trackedRepoID, "staging", 1)
	if err != nil || len(ds) != 1 || ds[0].RunID == 0 {
		t.Fatalf("deploy %+v, %v; want one with its run", ds, err)
	}
	d := ds[0]

	tr.sendProtection(t, "sha-ok", tr.protectionEvent(t, d.RunID, "staging", d.SHA, "refs/heads/main", "golive[bot]"))
	tr.settle(t)
	if rs := tr.reviewsOf(d.RunID); len(rs) != 1 || rs[0].State != "approved" {
		t.Fatalf("reviews of golive's deploy at its SHA: %+v, want approved", rs)
	}

	// main moved between golive's check and the run.
	moved := tr.gh.AddCommit(trackedRepo, "main", fakegithub.Commit{Message: "sneaked in"})
	tr.command(t, 38, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	ds, _ = tr.store.LatestDeploys(ctx, trackedRepoID, "staging", 1)
	second := ds[0]
	if second.ID == d.ID || second.RunID == 0 {
		t.Fatalf("second deploy %+v", second)
	}
	other := d.SHA // what the run claims to run: not what golive resolved
	if other == second.SHA {
		t.Fatalf("the second deploy resolved the old head %s (moved: %s)", second.SHA, moved)
	}
	tr.sendProtection(t, "sha-wrong", tr.protectionEvent(t, second.RunID, "staging", other, "refs/heads/main", "golive[bot]"))
	tr.settle(t)
	rs := tr.reviewsOf(second.RunID)
	if len(rs) != 1 || rs[0].State != "rejected" || !strings.Contains(rs[0].Comment, second.SHA[:7]) || !strings.Contains(rs[0].Comment, other[:7]) {
		t.Fatalf("reviews of a run at another SHA than golive dispatched: %+v, want a rejection naming both", rs)
	}

	// A dispatch whose run golive has not seen yet, by the lock's holder:
	// found by its title, so the holder's lock does not stop it.
	tr.command(t, 38, "lena", "write", "/golive lock staging freeze")
	tr.settle(t)
	if l, held, err := tr.store.GetEnvLock(ctx, trackedRepoID, "staging", time.Now()); err != nil || !held || l.HolderKey != "@lena" {
		t.Fatalf("staging lock %+v held %v (%v)", l, held, err)
	}
	unseen, err := tr.store.CreateDeploy(ctx, store.Deploy{CorrelationID: "gl-0123456789ab", Kind: deploy.KindDeploy, InstallationID: installation,
		RepoID: trackedRepoID, Repo: trackedRepo, Environment: "staging", Ref: "main", SHA: moved, Workflow: "deploy.yml",
		RequestedBy: "@lena", Surface: deploy.SurfaceGitHub, DispatchedAt: time.Now(), State: store.DeployDispatched})
	if err != nil {
		t.Fatal(err)
	}
	run := tr.gh.AddWorkflowRun(trackedRepo, fakegithub.WorkflowRun{Event: "workflow_dispatch", Status: "waiting",
		DisplayTitle: "golive staging " + unseen.CorrelationID, HeadSHA: moved})
	tr.sendProtection(t, "unseen", tr.protectionEvent(t, run.ID, "staging", moved, "refs/heads/main", "golive[bot]"))
	tr.settle(t)
	if rs := tr.reviewsOf(run.ID); len(rs) != 1 || rs[0].State != "approved" {
		t.Fatalf("reviews of the lock holder's unseen dispatch: %+v, want approved", rs)
	}
	if v := tr.gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
}

// gateRecorder records the requests the handler passes on.
type gateRecorder struct{ reqs []gate.Request }

func (g *gateRecorder) HandleRequest(_ context.Context, req gate.Request) error {
	g.reqs = append(g.reqs, req)
	return nil
}

// The handler passes on requests with the run taken from the callback URL,
// ignores what it cannot act on, and gives up on malformed payloads.
func TestProtectionRuleHandlerParses(t *testing.T) {
	tr := &trackingRig{}
	edit := func(f func(p map[string]any)) []byte {
		var p map[string]any
		json.Unmarshal(tr.protectionEvent(t, 4711, "production", "abc123", "refs/heads/main", "carol"), &p)
		f(p)
		b, _ := json.Marshal(p)
		return b
	}
	rec := &gateRecorder{}
	h := &handlers.DeploymentProtectionRuleHandler{Gates: rec}
	ctx := context.Background()
	if err := h.Handle(ctx, "deployment_protection_rule", "d-1", edit(func(map[string]any) {})); err != nil {
		t.Fatal(err)
	}
	want := gate.Request{DeliveryID: "d-1", InstallationID: installation, RepoID: trackedRepoID, Repo: trackedRepo,
		Environment: "production", RunID: 4711, SHA: "abc123", Ref: "refs/heads/main", Sender: "carol"}
	if len(rec.reqs) != 1 || rec.reqs[0] != want {
		t.Fatalf("requests %+v, want %+v", rec.reqs, want)
	}
	// Without the top-level sha and ref (older payloads), the deployment's.
	rec.reqs = nil
	if err := h.Handle(ctx, "deployment_protection_rule", "d-2", edit(func(p map[string]any) { delete(p, "sha"); delete(p, "ref") })); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 1 || rec.reqs[0].SHA != "abc123" || rec.reqs[0].Ref != "main" {
		t.Fatalf("requests from the deployment's sha and ref: %+v", rec.reqs)
	}

	rec.reqs = nil
	for name, p := range map[string][]byte{
		"another action":  edit(func(p map[string]any) { p["action"] = "completed" }),
		"no installation": edit(func(p map[string]any) { delete(p, "installation") }),
	} {
		if err := h.Handle(ctx, "deployment_protection_rule", "d", p); err != nil || len(rec.reqs) != 0 {
			t.Errorf("%s: %v, %d requests; want ignored", name, err, len(rec.reqs))
		}
	}
	for name, p := range map[string][]byte{
		"not JSON":       []byte("{"),
		"no environment": edit(func(p map[string]any) { delete(p, "environment") }),
		"no callback":    edit(func(p map[string]any) { delete(p, "deployment_callback_url") }),
		"callback without run": edit(func(p map[string]any) {
			p["deployment_callback_url"] = "https://api.github.com/repos/acme/api/actions/runs/x/deployment_protection_rule"
		}),
		"another repo's run": edit(func(p map[string]any) {
			p["deployment_callback_url"] = "https://api.github.com/repos/evil/api/actions/runs/1/deployment_protection_rule"
		}),
		"no repository": edit(func(p map[string]any) { delete(p, "repository") }),
	} {
		err := h.Handle(ctx, "deployment_protection_rule", "d", p)
		if !inbox.IsPermanent(err) || len(rec.reqs) != 0 {
			t.Errorf("%s: %v, %d requests; want a permanent error", name, err, len(rec.reqs))
		}
	}
	// GitHub Enterprise Server's callback is under /api/v3.
	ghes := edit(func(p map[string]any) {
		p["deployment_callback_url"] = "https://ghe.example.com/api/v3/repos/acme/api/actions/runs/99/deployment_protection_rule"
	})
	if err := h.Handle(ctx, "deployment_protection_rule", "d-3", ghes); err != nil || len(rec.reqs) != 1 || rec.reqs[0].RunID != 99 {
		t.Fatalf("GHES callback: %v, %+v", err, rec.reqs)
	}
}
