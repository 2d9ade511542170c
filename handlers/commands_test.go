package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/command"
	"github.com/golive-dev/golive/bot/deploy"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/store"
)

// deployInputs are the inputs golive passes to a deploy workflow.
var deployInputs = []string{"environment", "ref", "sha", "golive_issue", "requested_by", "correlation_id"}

// withWorkflows gives the tracked repository deploy and rollback workflows
// whose run-name carries the correlation id, as golive's docs ask.
func (tr *trackingRig) withWorkflows(t testing.TB) {
	t.Helper()
	for _, f := range []string{"deploy.yml", "rollback.yml"} {
		tr.gh.AddWorkflow(trackedRepo, fakegithub.Workflow{Path: ".github/workflows/" + f, Inputs: deployInputs,
			RunName: "golive ${{ inputs.environment }} ${{ inputs.correlation_id }}"})
	}
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", commandsConfig)
}

// commandsConfig is the tracked repository's .github/golive.yml for the
// command tests.
const commandsConfig = `version: 1
environments:
  staging:
    workflow: deploy.yml
  production:
    production: true
    workflow: deploy.yml
    rollback_workflow: rollback.yml
    slack_users: [U0ALLOWED]
    slack_groups: [S0RELEASE]
`

// command posts a comment by sender (with role on the repository) on issue
// number, as GitHub would deliver it, and returns the comment's id.
func (tr *trackingRig) command(t *testing.T, number int, sender, role, body string) int64 {
	t.Helper()
	return tr.commandOn(t, number, false, sender, role, body)
}

// commandOn is command on an issue or, when pr, a pull request.
func (tr *trackingRig) commandOn(t *testing.T, number int, pr bool, sender, role, body string) int64 {
	t.Helper()
	if role != "" {
		perm := map[string]string{"read": "read", "triage": "read", "write": "write", "maintain": "write", "admin": "admin"}[role]
		tr.gh.SetPermission(trackedRepo, sender, perm, role)
	}
	id, ev := tr.storedComment(t, number, pr, sender, "User", body)
	tr.sendComment(t, ev)
	return id
}

// storedComment adds a comment to the fake GitHub and returns its id and
// the issue_comment created event GitHub would deliver for it.
func (tr *trackingRig) storedComment(t testing.TB, number int, pr bool, sender, senderType, body string) (int64, []byte) {
	t.Helper()
	c, ok := tr.gh.AddComment(trackedRepo, number, sender, body)
	if !ok {
		t.Fatalf("no issue %d to comment on", number)
	}
	var p map[string]any
	if err := json.Unmarshal(tr.commentEvent(t, "created", number, "", body, sender, senderType), &p); err != nil {
		t.Fatal(err)
	}
	p["comment"].(map[string]any)["id"] = c.ID
	if pr {
		p["issue"].(map[string]any)["pull_request"] = map[string]any{"url": fmt.Sprintf("https://api.github.com/repos/%s/pulls/%d", trackedRepo, number)}
	}
	ev, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, ev
}

func (tr *trackingRig) reactions(commentID int64) []string {
	var out []string
	for _, r := range tr.gh.Reactions(trackedRepo) {
		if r.CommentID == commentID {
			out = append(out, r.Content)
		}
	}
	return out
}

// replies are golive's comments on issue number after the first skip.
func (tr *trackingRig) replies(number int) []string {
	var out []string
	for _, c := range tr.gh.Comments(trackedRepo, number) {
		if c.User == "golive[bot]" {
			out = append(out, c.Body)
		}
	}
	return out
}

// completeRun sends the workflow_run completed event of run, as GitHub would.
func (tr *trackingRig) completeRun(t *testing.T, run fakegithub.WorkflowRun, conclusion string) {
	t.Helper()
	tr.gh.UpdateWorkflowRun(trackedRepo, run.ID, "completed", conclusion)
	var p map[string]any
	if err := json.Unmarshal(readPayload(t, "workflow_run/completed.json"), &p); err != nil {
		t.Fatal(err)
	}
	toTrackedRepo(p)
	wr := p["workflow_run"].(map[string]any)
	wr["id"], wr["display_title"], wr["status"], wr["conclusion"] = run.ID, run.DisplayTitle, "completed", conclusion
	wr["html_url"] = fmt.Sprintf("https://github.com/%s/actions/runs/%d", trackedRepo, run.ID)
	body, _ := json.Marshal(p)
	if code, resp := tr.post(t, signed(fmt.Sprintf("run-%d-%s", run.ID, conclusion), "workflow_run", body)); code != http.StatusAccepted {
		t.Fatalf("workflow_run delivery: %d %s", code, resp)
	}
}

// A write user's `/golive deploy staging` comment: 👀, one dispatch on the
// default branch with golive's inputs, a reply with the run link, and 🚀
// once the run completed successfully.
func TestDeployFromAComment(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 30, Title: "Release v1.2"})
	id := tr.command(t, 30, "walt", "write", "/golive deploy staging")
	tr.settle(t)

	ds := tr.gh.Dispatches()
	if len(ds) != 1 {
		t.Fatalf("%d dispatches, want 1", len(ds))
	}
	main, _ := tr.gh.Branch(trackedRepo, "main")
	d := ds[0]
	if d.Ref != "main" || d.WorkflowPath != ".github/workflows/deploy.yml" {
		t.Fatalf("dispatched %s on %q, want deploy.yml on the default branch", d.WorkflowPath, d.Ref)
	}
	for k, want := range map[string]string{"environment": "staging", "ref": "main", "sha": main, "requested_by": "@walt", "golive_issue": ""} {
		if got := fmt.Sprint(d.Inputs[k]); got != want {
			t.Errorf("input %s = %q, want %q", k, got, want)
		}
	}
	if cid := fmt.Sprint(d.Inputs["correlation_id"]); !strings.HasPrefix(cid, "gl-") {
		t.Errorf("correlation_id %q", cid)
	}
	if got := tr.reactions(id); len(got) != 1 || got[0] != "eyes" {
		t.Fatalf("reactions before the run ended: %v, want 👀", got)
	}
	replies := tr.replies(30)
	runURL := fmt.Sprintf("/actions/runs/%d", d.RunID)
	if len(replies) != 1 || !strings.Contains(replies[0], runURL) || !strings.Contains(replies[0], "Deploying") {
		t.Fatalf("replies %q, want one with the run link %s", replies, runURL)
	}

	var run fakegithub.WorkflowRun
	for _, r := range tr.gh.WorkflowRuns(trackedRepo) {
		if r.ID == d.RunID {
			run = r
		}
	}
	tr.completeRun(t, run, "success")
	tr.settle(t)
	if got := tr.reactions(id); len(got) != 2 || got[1] != "rocket" {
		t.Fatalf("reactions after a successful run: %v, want 👀 then 🚀", got)
	}
	if replies := tr.replies(30); len(replies) != 1 || !strings.Contains(replies[0], "succeeded") {
		t.Fatalf("the reply was not updated in place: %q", replies)
	}
	audit, _ := tr.store.ListCommandAudit(context.Background(), trackedRepo, 10)
	if len(audit) != 1 || audit[0].Decision != store.CommandAccepted || audit[0].Actor != "@walt" || audit[0].Text != "/golive deploy staging" {
		t.Fatalf("audit %+v", audit)
	}
	if v := tr.gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
}

// A read user is refused and nothing is dispatched; a bot's comment and an
// edited comment are ignored.
func TestDeployRefusals(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 31, Title: "Release"})
	id := tr.command(t, 31, "rita", "read", "/golive deploy staging")
	tr.settle(t)
	if n := len(tr.gh.Dispatches()); n != 0 {
		t.Fatalf("a read user's deploy dispatched %d workflows", n)
	}
	replies := tr.replies(31)
	if len(replies) != 1 || !strings.Contains(replies[0], "needs at least the **write** role") || !strings.Contains(replies[0], "you have **read**") {
		t.Fatalf("refusal replies: %q", replies)
	}
	if got := tr.reactions(id); len(got) != 2 || got[1] != "-1" {
		t.Fatalf("reactions on a refused command: %v, want 👀 then 👎", got)
	}

	before := len(tr.gh.CallsTo("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"))
	bot := tr.commentEvent(t, "created", 31, "", "/golive deploy staging", "ci-bot[bot]", "Bot")
	tr.sendComment(t, bot)
	edited := tr.commentEvent(t, "edited", 31, "", "/golive deploy staging", "walt", "User")
	tr.sendComment(t, edited)
	tr.settle(t)
	if n := len(tr.gh.Dispatches()); n != 0 {
		t.Fatalf("a bot's or an edited comment dispatched %d workflows", n)
	}
	if after := len(tr.gh.CallsTo("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")); after != before {
		t.Fatalf("a bot's or an edited comment got %d replies", after-before)
	}

	// An allowlisted bot's command runs, as the bot's role allows.
	tr.gh.SetPermission(trackedRepo, "release-bot[bot]", "write", "write")
	_, allowed := tr.storedComment(t, 31, false, "release-bot[bot]", "Bot", "/golive deploy staging")
	tr.sendComment(t, allowed)
	tr.settle(t)
	if ds := tr.gh.Dispatches(); len(ds) != 1 || fmt.Sprint(ds[0].Inputs["requested_by"]) != "@release-bot[bot]" {
		t.Fatalf("an allowlisted bot's deploy: %+v", ds)
	}

	// Unknown environments are named with the known ones.
	tr.command(t, 31, "walt", "write", "/golive deploy prod")
	tr.settle(t)
	if r := tr.replies(31); !strings.Contains(r[len(r)-1], "There is no environment `prod`") || !strings.Contains(r[len(r)-1], "`production`") {
		t.Fatalf("unknown environment reply: %q", r[len(r)-1])
	}
}

// slackCommand posts a signed slash command and returns its status.
func (tr *trackingRig) slackCommand(t *testing.T, user, text, responseURL string) (int, time.Duration) {
	t.Helper()
	body := url.Values{"command": {"/golive"}, "text": {text}, "user_id": {user}, "team_id": {"T1"}, "channel_id": {"CDEPLOYS"},
		"channel_name": {"deploys"}, "response_url": {responseURL}, "trigger_id": {fmt.Sprintf("trigger-%d", tr.seq.Add(1))}}.Encode()
	now := strconv.FormatInt(tr.rig.clock.Now().Unix(), 10)
	start := time.Now()
	code, _ := postSlack(t, tr.server.URL+"/slack/commands", now, signature.SignSlack([]byte(slackSecret), now, []byte(body)), body)
	return code, time.Since(start)
}

// The status of a go-live from Slack: answered at once, the status through
// response_url; a Slack user on no allowlist cannot deploy.
func TestSlackStatusAndAllowlist(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.storeInstallation(t)
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 32, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 32, body, nil, "alice"))
	tr.settle(t)

	statusURL := tr.slack.ResponseURL("status")
	code, took := tr.slackCommand(t, "U0SOMEONE", trackedRepo+" status "+trackedRepo+"#32", statusURL)
	if code != http.StatusOK || took > 3*time.Second {
		t.Fatalf("slash command answered %d after %s, want 200 within 3 s", code, took)
	}
	tr.settle(t)
	got := tr.slack.Responses("status")
	if len(got) != 1 || !strings.Contains(got[0].Text, "Go-live #32") || !strings.Contains(got[0].Text, "NOT READY") {
		t.Fatalf("status through response_url: %+v", got)
	}

	deployURL := tr.slack.ResponseURL("deploy")
	tr.slackCommand(t, "U0SOMEONE", trackedRepo+" deploy production", deployURL)
	tr.settle(t)
	if n := len(tr.gh.Dispatches()); n != 0 {
		t.Fatalf("a Slack user on no list dispatched %d deploys", n)
	}
	refusal := tr.slack.Responses("deploy")
	if len(refusal) != 1 || !strings.Contains(refusal[0].Text, "allowlist") {
		t.Fatalf("refusal through response_url: %+v", refusal)
	}

	// A member of an allowlisted user group may deploy (production asks
	// to confirm first).
	tr.slack.SetUserGroup("S0RELEASE", "U0GROUPIE")
	member := tr.slack.ResponseURL("member")
	tr.slackCommand(t, "U0GROUPIE", trackedRepo+" lock production maintenance", member)
	tr.settle(t)
	if r := tr.slack.Responses("member"); len(r) != 1 || !strings.Contains(r[0].Text, "is locked by slack:U0GROUPIE") {
		t.Fatalf("a member of an allowlisted group: %+v", r)
	}
}

// createDeployment records a deployment of sha to env with a final state,
// as the deploy workflow would.
func (tr *trackingRig) createDeployment(t *testing.T, sha, env, state string) {
	t.Helper()
	c, err := tr.apps.Installation(installation)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, _, err := c.Repositories.CreateDeployment(ctx, "acme", "api", &github.DeploymentRequest{Ref: github.String(sha),
		Environment: github.String(env), RequiredContexts: &[]string{}, AutoMerge: github.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Repositories.CreateDeploymentStatus(ctx, "acme", "api", d.GetID(), &github.DeploymentStatusRequest{State: github.String(state)}); err != nil {
		t.Fatal(err)
	}
}

// `rollback production` dispatches the rollback workflow with the SHA of
// the previous successful production deployment, then locks production.
func TestRollbackProduction(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	good := tr.gh.AddCommit(trackedRepo, "main", fakegithub.Commit{Message: "good release"})
	tr.createDeployment(t, good, "production", "success")
	bad := tr.gh.AddCommit(trackedRepo, "main", fakegithub.Commit{Message: "bad release"})
	tr.createDeployment(t, bad, "production", "success")
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 33, Title: "Incident"})
	tr.command(t, 33, "mona", "maintain", "/golive rollback production")
	tr.settle(t)

	ds := tr.gh.Dispatches()
	if len(ds) != 1 || ds[0].WorkflowPath != ".github/workflows/rollback.yml" || fmt.Sprint(ds[0].Inputs["sha"]) != good {
		t.Fatalf("dispatches %+v, want rollback.yml with the previous production SHA %s", ds, good)
	}
	lock, held, err := tr.store.GetEnvLock(context.Background(), trackedRepoID, "production", time.Now())
	if err != nil || !held || lock.Reason != "rolled back by @mona" {
		t.Fatalf("production lock after the rollback: %+v held %v (%v)", lock, held, err)
	}
	if r := tr.replies(33); len(r) != 1 || !strings.Contains(r[0], "bad release") || !strings.Contains(r[0], "locked") {
		t.Fatalf("rollback reply does not list the undone commit and the lock: %q", r)
	}
}

// A deploy while someone else holds the lock is refused naming the holder;
// with --queue it runs once the lock is released.
func TestLockRefusesAndQueues(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 34, Title: "Release"})
	tr.command(t, 34, "lena", "write", "/golive lock staging database migration for 2h")
	tr.settle(t)
	tr.command(t, 34, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	if n := len(tr.gh.Dispatches()); n != 0 {
		t.Fatalf("a deploy through someone else's lock dispatched %d workflows", n)
	}
	r := tr.replies(34)
	if !strings.Contains(r[len(r)-1], "locked by @\u200blena") || !strings.Contains(r[len(r)-1], "database migration") {
		t.Fatalf("refusal does not name the holder and reason: %q", r[len(r)-1])
	}

	tr.command(t, 34, "walt", "write", "/golive deploy staging --queue")
	tr.settle(t)
	if n := len(tr.gh.Dispatches()); n != 0 {
		t.Fatalf("a queued deploy dispatched before the unlock")
	}
	if r := tr.replies(34); !strings.Contains(r[len(r)-1], "queued (position 1)") {
		t.Fatalf("queue reply: %q", r[len(r)-1])
	}
	tr.command(t, 34, "lena", "write", "/golive unlock staging")
	tr.settle(t)
	ds := tr.gh.Dispatches()
	if len(ds) != 1 || fmt.Sprint(ds[0].Inputs["requested_by"]) != "@walt" {
		t.Fatalf("after the unlock: dispatches %+v, want walt's queued deploy", ds)
	}
}

// BenchmarkCommentToDispatch measures the time from a `/golive deploy`
// comment's delivery to its workflow_dispatch request reaching GitHub (the
// fake), and reports p50 and p99 (goal: p99 ≤ 200 ms). Run with
// go test -run '^$' -bench CommentToDispatch -benchtime 200x ./handlers
func BenchmarkCommentToDispatch(b *testing.B) {
	tr := newTrackingRig(b)
	tr.withWorkflows(b)
	tr.cmds.RunWait = time.Millisecond // the benchmark stops at the dispatch
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 40, Title: "Release"})
	tr.gh.SetPermission(trackedRepo, "walt", "write", "write")
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		_, ev := tr.storedComment(b, 40, false, "walt", "User", "/golive deploy staging")
		start := time.Now()
		if code, resp := tr.post(b, signed(fmt.Sprintf("bench-%d", i), "issue_comment", ev)); code != http.StatusAccepted {
			b.Fatalf("delivery: %d %s", code, resp)
		}
		for len(tr.gh.Dispatches()) <= i {
			time.Sleep(100 * time.Microsecond)
		}
		d := tr.gh.Dispatches()[i]
		lat = append(lat, d.Time.Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	if p(0.99) > 200 {
		b.Errorf("p99 comment-to-dispatch %.1f ms, goal ≤ 200 ms", p(0.99))
	}
}

// click presses a Slack button as user, signed as Slack signs interactions.
func (tr *trackingRig) click(t *testing.T, user, actionID, value, responseURL string) int {
	t.Helper()
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":%q},"response_url":%q,"trigger_id":"t%d",`+
		`"actions":[{"action_id":%q,"value":%q,"action_ts":"%d"}]}`, user, responseURL, tr.seq.Add(1), actionID, value, tr.seq.Add(1))
	body := "payload=" + url.QueryEscape(payload)
	now := strconv.FormatInt(tr.rig.clock.Now().Unix(), 10)
	code, _ := postSlack(t, tr.server.URL+"/slack/interactions", now, signature.SignSlack([]byte(slackSecret), now, []byte(body)), body)
	return code
}

// A production deploy from Slack asks for a confirmation that only the
// person who asked can give, for the SHA they were shown, for 10 minutes.
func TestSlackProductionDeployNeedsConfirmation(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", gateConfig)
	tr.storeInstallation(t)
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 35, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 35, body, nil, "alice"))
	tr.settle(t)
	is, _ := tr.gh.GetIssue(trackedRepo, 35)
	ticked := strings.Replace(is.Body, "- [ ] Go decision made", "- [x] Go decision made", 1)
	tr.send(t, "", tr.issueEvent(t, "edited", 35, ticked, &is.Body, "alice"))
	tr.settle(t)

	ask := tr.slack.ResponseURL("ask")
	tr.slackCommand(t, "U0ALLOWED", trackedRepo+" deploy production", ask)
	tr.settle(t)
	if n := len(tr.gh.Dispatches()); n != 0 {
		t.Fatalf("a Slack production deploy dispatched %d workflows before confirmation", n)
	}
	answers := tr.slack.Responses("ask")
	if len(answers) != 1 || !strings.Contains(answers[0].Text, "The button works for you only") {
		t.Fatalf("confirmation request: %+v", answers)
	}
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	json.Unmarshal(answers[0].Blocks, &blocks)
	value := ""
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == "golive_confirm_deploy" {
				value = e.Value
			}
		}
	}
	if value == "" {
		t.Fatalf("no confirmation button in %s", answers[0].Blocks)
	}

	other := tr.slack.ResponseURL("other")
	if code := tr.click(t, "U0OTHER", "golive_confirm_deploy", value, other); code != http.StatusOK {
		t.Fatalf("click: %d", code)
	}
	forged := tr.slack.ResponseURL("forged")
	tr.click(t, "U0ALLOWED", "golive_confirm_deploy", value[:len(value)-2]+"xx", forged)
	tr.settle(t)
	if n := len(tr.gh.Dispatches()); n != 0 {
		t.Fatalf("someone else's or a forged confirmation dispatched %d workflows", n)
	}
	if r := tr.slack.Responses("other"); len(r) != 1 || !strings.Contains(r[0].Text, "only the person who asked") {
		t.Fatalf("someone else's click: %+v", r)
	}

	done := tr.slack.ResponseURL("done")
	tr.click(t, "U0ALLOWED", "golive_confirm_deploy", value, done)
	tr.settle(t)
	main, _ := tr.gh.Branch(trackedRepo, "main")
	ds := tr.gh.Dispatches()
	if len(ds) != 1 || fmt.Sprint(ds[0].Inputs["sha"]) != main || fmt.Sprint(ds[0].Inputs["environment"]) != "production" ||
		fmt.Sprint(ds[0].Inputs["requested_by"]) != "slack:U0ALLOWED" || fmt.Sprint(ds[0].Inputs["golive_issue"]) != "35" {
		t.Fatalf("confirmed deploy: %+v", ds)
	}

	if tracker := tr.gh.Comments(trackedRepo, 35)[0].Body; !strings.Contains(tracker, "**Last deploy to production:** `"+main[:7]+"` running, by slack:U0ALLOWED") {
		t.Fatalf("the tracker does not show the deploy:\n%s", tracker)
	}

	// Ten minutes later the button no longer works.
	tr.clock.Advance(11 * time.Minute)
	tr.rig.clock.Advance(11 * time.Minute)
	late := tr.slack.ResponseURL("late")
	tr.click(t, "U0ALLOWED", "golive_confirm_deploy", value, late)
	tr.settle(t)
	if r := tr.slack.Responses("late"); len(tr.gh.Dispatches()) != 1 || len(r) != 1 || !strings.Contains(r[0].Text, "expired") {
		t.Fatalf("an expired confirmation: %d dispatches, answers %+v", len(tr.gh.Dispatches()), r)
	}
}

// Text people typed is shown inert: a lock reason cannot mention the
// channel or everyone, on GitHub or in Slack.
func TestEchoedTextCannotMention(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 36, Title: "Release"})
	tr.command(t, 36, "lena", "write", "/golive lock staging <!channel> @here <@U123> @acme/sre [x](https://evil.test)")
	tr.settle(t)
	tr.command(t, 36, "walt", "write", "/golive deploy staging --queue")
	tr.settle(t)
	tr.command(t, 36, "walt", "write", "/golive cancel")
	tr.settle(t)
	replies := tr.replies(36)
	if len(replies) != 3 {
		t.Fatalf("replies: %q", replies)
	}
	for _, r := range replies {
		for _, bad := range []string{"<!channel>", "@here", "<@U123>", "@acme/sre", "[x](https://evil.test)"} {
			if strings.Contains(r, bad) {
				t.Fatalf("a reply echoes %q live:\n%s", bad, r)
			}
		}
	}
	if !strings.Contains(replies[2], "Cancelled your 1 queued deploy(s)") {
		t.Fatalf("cancel reply: %q", replies[2])
	}
	if q, _ := tr.store.ListQueuedDeploys(context.Background(), trackedRepoID, "staging"); len(q) != 0 {
		t.Fatalf("the queued deploy survived cancel: %+v", q)
	}
}

// A dispatch whose run never shows up is reported as timed out.
func TestDispatchWhoseRunNeverAppears(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	// A workflow without the correlation id in its run-name: golive cannot
	// tell its runs apart.
	tr.gh.AddWorkflow(trackedRepo, fakegithub.Workflow{Path: ".github/workflows/anonymous.yml", Inputs: deployInputs, RunName: "deploy"})
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", "version: 1\nenvironments:\n  staging:\n    workflow: anonymous.yml\n")
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 37, Title: "Release"})
	id := tr.command(t, 37, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	if r := tr.replies(37); len(r) != 1 || !strings.Contains(r[0], "waiting for the workflow run to start") {
		t.Fatalf("reply before the run appeared: %q", r)
	}
	ctx := context.Background()
	if err := tr.cmds.SweepRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if r := tr.replies(37); strings.Contains(r[0], "started no run") {
		t.Fatalf("timed out before the timeout: %q", r[0])
	}
	tr.clock.Advance(11 * time.Minute)
	if err := tr.cmds.SweepRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if r := tr.replies(37); len(r) != 1 || !strings.Contains(r[0], "started no run golive could find within 10m0s") {
		t.Fatalf("reply after the timeout: %q", r)
	}
	if got := tr.reactions(id); len(got) != 2 || got[1] != "-1" {
		t.Fatalf("reactions after the timeout: %v", got)
	}
	ds, _ := tr.store.LatestDeploys(ctx, trackedRepoID, "staging", 1)
	if len(ds) != 1 || ds[0].State != store.DeployTimedOut {
		t.Fatalf("deploy after the timeout: %+v", ds)
	}
}

// From a pull request, deploy takes the PR's head branch; a PR from a fork
// is refused.
func TestDeployFromAPullRequest(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	head := tr.gh.SetBranch(trackedRepo, "feature/login", "")
	tr.gh.AddPullRequest(trackedRepo, fakegithub.PullRequest{Number: 50, Title: "Login", User: "walt", Head: "feature/login", HeadSHA: head})
	tr.gh.AddPullRequest(trackedRepo, fakegithub.PullRequest{Number: 51, Title: "From a fork", User: "mallory", Head: "evil", HeadRepo: "mallory/api"})
	tr.commandOn(t, 50, true, "walt", "write", "/golive deploy staging")
	tr.commandOn(t, 51, true, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	ds := tr.gh.Dispatches()
	if len(ds) != 1 || fmt.Sprint(ds[0].Inputs["ref"]) != "feature/login" || fmt.Sprint(ds[0].Inputs["sha"]) != head || ds[0].Ref != "main" {
		t.Fatalf("dispatches %+v, want one of the PR's head branch, run from the default branch", ds)
	}
	if r := tr.replies(51); len(r) != 1 || !strings.Contains(r[0], "comes from a fork") {
		t.Fatalf("fork PR reply: %q", r)
	}
}

// A deploy workflow's deployment reporting failure ends the deploy with 👎,
// before its run completes; the run's later completion changes nothing.
func TestDeploymentStatusEndsTheDeploy(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 38, Title: "Release"})
	id := tr.command(t, 38, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	main, _ := tr.gh.Branch(trackedRepo, "main")
	var p map[string]any
	if err := json.Unmarshal(readPayload(t, "deployment_status/created.json"), &p); err != nil {
		t.Fatal(err)
	}
	toTrackedRepo(p)
	p["deployment"].(map[string]any)["sha"], p["deployment"].(map[string]any)["environment"] = main, "staging"
	p["deployment_status"].(map[string]any)["state"] = "failure"
	body, _ := json.Marshal(p)
	if code, resp := tr.post(t, signed("deployment-status-1", "deployment_status", body)); code != http.StatusAccepted {
		t.Fatalf("deployment_status delivery: %d %s", code, resp)
	}
	tr.settle(t)
	if got := tr.reactions(id); len(got) != 2 || got[1] != "-1" {
		t.Fatalf("reactions after the deployment failed: %v", got)
	}
	if r := tr.replies(38); len(r) != 1 || !strings.Contains(r[0], "the run ended failure") {
		t.Fatalf("reply after the deployment failed: %q", r)
	}
	run := tr.gh.WorkflowRuns(trackedRepo)[0]
	tr.completeRun(t, run, "success")
	tr.settle(t)
	if got := tr.reactions(id); len(got) != 2 {
		t.Fatalf("the run's completion after the failure reported again: %v", got)
	}
}

// stagingTickConfig has one environment, staging, whose successful
// deploys tick the T-day item deployed-staging of a two-item checklist.
const stagingTickConfig = `version: 1
environments:
  staging:
    workflow: deploy.yml
    tick_on_success: [deployed-staging]
template:
  extend: false
  phases:
    - id: tday
      name: T-day
      offset: T-10m
      items:
        - id: deployed-staging
          text: Deployed to staging
        - id: smoke
          text: Smoke tests pass
`

// A successful deploy ticks the items its environment names in
// tick_on_success, on the go-live's issue, audited as the deployer's.
func TestSuccessfulDeployTicksItems(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", stagingTickConfig)
	body := strings.Replace(formBody(inTenDays()), "production", "staging", 1)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 39, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 39, body, nil, "alice"))
	tr.settle(t)
	tr.command(t, 39, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	ds := tr.gh.Dispatches()
	if len(ds) != 1 || fmt.Sprint(ds[0].Inputs["golive_issue"]) != "39" {
		t.Fatalf("dispatches %+v", ds)
	}
	var run fakegithub.WorkflowRun
	for _, r := range tr.gh.WorkflowRuns(trackedRepo) {
		if r.ID == ds[0].RunID {
			run = r
		}
	}
	tr.completeRun(t, run, "success")
	tr.settle(t)
	is, _ := tr.gh.GetIssue(trackedRepo, 39)
	if !strings.Contains(is.Body, "- [x] Deployed to staging") || !strings.Contains(is.Body, "- [ ] Smoke tests pass") {
		t.Fatalf("issue body after the deploy:\n%s", is.Body)
	}
	g, _ := tr.store.GetGoLive(context.Background(), trackedRepoID, 39)
	audit, _ := tr.store.Audit(context.Background(), g.ID)
	found := false
	for _, a := range audit {
		found = found || (a.Action == "tick" && a.ItemID == "deployed-staging" && a.Actor == "@walt")
	}
	if !found {
		t.Fatalf("the tick is not audited as @walt's: %+v", audit)
	}
	items, _ := tr.store.Items(context.Background(), g.ID)
	for _, it := range items {
		if it.ID == "deployed-staging" && !it.Checked {
			t.Fatalf("the stored item is not ticked")
		}
	}
}

// A command run again for the same delivery (its worker died after
// dispatching) dispatches and replies once.
func TestCommandRunTwiceForOneDelivery(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 41, Title: "Release"})
	tr.gh.SetPermission(trackedRepo, "walt", "write", "write")
	req := deploy.Request{Surface: deploy.SurfaceGitHub, DeliveryID: "delivery-41", Text: "/golive deploy staging",
		Command:        command.Command{Verb: command.VerbDeploy, Env: "staging"},
		InstallationID: installation, RepoID: trackedRepoID, Repo: trackedRepo, Sender: "walt", IssueNumber: 41}
	for range 2 {
		if err := tr.cmds.Run(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(tr.gh.Dispatches()); n != 1 {
		t.Fatalf("%d dispatches for one delivery run twice", n)
	}
	if r := tr.replies(41); len(r) != 1 {
		t.Fatalf("%d replies for one delivery run twice: %q", len(r), r)
	}
}
