package ghclient_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
)

// deployWorld is a fake GitHub holding acme/api (default branch "trunk")
// with some history, pull requests, workflows and an issue comment, and a
// Repo on it.
type deployWorld struct {
	gh      *fakegithub.Server
	clk     *clock.Fake
	m       *metrics.Metrics
	apps    *ghclient.Apps
	r       *ghclient.Repo
	c1      string // tagged v1.0
	c2, c3  string // on trunk after c1; c3 is trunk's head
	release string // head of release/1.0, branched from c1
}

const deployRepo = "acme/api"

func newDeployWorld(t *testing.T) *deployWorld {
	t.Helper()
	w := &deployWorld{clk: clock.NewFake(time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)), m: metrics.New()}
	// ghinstallation signs JWTs by the wall clock; the fake's clock only
	// stamps what it stores (and stays within a token's hour).
	w.gh = fakegithub.New(fakegithub.Options{T: t, Clock: w.clk, JWTClock: clock.System{}})
	w.gh.AddRepo(deployRepo, fakegithub.RepoOpts{DefaultBranch: "trunk"})
	w.gh.AddInstallation(42, "acme", "Organization")
	w.c1 = w.gh.AddCommit(deployRepo, "trunk", fakegithub.Commit{Message: "Add billing", Author: "alice"})
	w.gh.AddTag(deployRepo, "v1.0", w.c1)
	w.c2 = w.gh.AddCommit(deployRepo, "trunk", fakegithub.Commit{Message: "Fix rounding\n\nThe long story.", Author: "alice"})
	w.c3 = w.gh.AddCommit(deployRepo, "trunk", fakegithub.Commit{Message: "Bump deps", Author: "bob"})
	w.release = w.gh.AddCommit(deployRepo, "", fakegithub.Commit{Message: "Backport fix", Author: "carol", Parents: []string{w.c1}})
	w.gh.SetBranch(deployRepo, "release/1.0", w.release)

	apps, err := ghclient.New(ghclient.Config{AppID: w.gh.AppID(), PrivateKeyPEM: w.gh.PrivateKeyPEM(), BaseURL: w.gh.URL, Metrics: w.m, Clock: clock.System{}})
	if err != nil {
		t.Fatal(err)
	}
	w.apps = apps
	if w.r, err = apps.Repo(42, deployRepo); err != nil {
		t.Fatal(err)
	}
	return w
}

// checkFake fails the test if the fake saw a request outside GitHub's
// OpenAPI description or answered off-spec.
func (w *deployWorld) checkFake(t *testing.T) {
	t.Helper()
	if v := w.gh.Violations(); len(v) != 0 {
		t.Errorf("requests outside GitHub's OpenAPI description: %+v", v)
	}
	if errs := w.gh.CheckResponses(); len(errs) != 0 {
		t.Errorf("fake answered off-spec: %v", errs)
	}
}

// calls is golive_github_api_calls_total{route,method,code}; code "" sums
// every code.
func (w *deployWorld) calls(t *testing.T, route, method, code string) float64 {
	t.Helper()
	families, err := w.m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range families {
		if mf.GetName() != "golive_github_api_calls_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range s.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["route"] == route && l["method"] == method && (code == "" || l["code"] == code) {
				total += s.GetCounter().GetValue()
			}
		}
	}
	return total
}

// wantErr checks err against a case's expectations: nil when want is "",
// else an error mentioning want, wrapping every one of is, and permanent.
func wantErr(t *testing.T, err error, want string, is ...error) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not mention %q", err, want)
	}
	for _, target := range is {
		if !errors.Is(err, target) {
			t.Errorf("error %q does not wrap %v", err, target)
		}
	}
	if ghclient.IsTransient(err) {
		t.Errorf("error %q is transient, want permanent", err)
	}
}

func TestDefaultBranch(t *testing.T) {
	w := newDeployWorld(t)
	got, err := w.r.DefaultBranch(context.Background())
	if err != nil || got != "trunk" {
		t.Fatalf("DefaultBranch = %q, %v; want trunk", got, err)
	}
	gone, err := w.apps.Repo(42, "acme/gone")
	if err != nil {
		t.Fatal(err)
	}
	_, err = gone.DefaultBranch(context.Background())
	wantErr(t, err, "default branch of acme/gone")
	if w.calls(t, "/repos/{owner}/{repo}", "GET", "200") != 1 || w.calls(t, "/repos/{owner}/{repo}", "GET", "404") != 1 {
		t.Errorf("repository reads not counted by route")
	}
	w.checkFake(t)
}

func TestResolveRef(t *testing.T) {
	w := newDeployWorld(t)
	for _, tc := range []struct {
		ref, want, err string
		is             []error
	}{
		{ref: "trunk", want: w.c3},
		{ref: "heads/trunk", want: w.c3},
		{ref: "v1.0", want: w.c1},
		{ref: "release/1.0", want: w.release},
		{ref: w.c2, want: w.c2},
		{ref: w.c2[:7], want: w.c2},
		{ref: "no-such-branch", err: `resolve "no-such-branch" in acme/api`, is: []error{ghclient.ErrRefNotFound}},
		{ref: "", err: "empty"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			got, err := w.r.ResolveRef(context.Background(), tc.ref)
			wantErr(t, err, tc.err, tc.is...)
			if got != tc.want {
				t.Errorf("ResolveRef(%q) = %q, want %q", tc.ref, got, tc.want)
			}
			if tc.ref == "" && errors.Is(err, ghclient.ErrRefNotFound) {
				t.Errorf("an empty ref is a caller's mistake, not a missing ref: %v", err)
			}
		})
	}
	if n := w.calls(t, "/repos/{owner}/{repo}/commits/{ref}", "GET", ""); n != 7 {
		t.Errorf("%v commit reads counted by route, want 7 (none for the empty ref)", n)
	}
	w.checkFake(t)
}

func TestPullRequestHead(t *testing.T) {
	w := newDeployWorld(t)
	same := w.gh.AddPullRequest(deployRepo, fakegithub.PullRequest{Title: "Same repo", Head: "feature/x", Commits: []string{w.release}})
	fork := w.gh.AddPullRequest(deployRepo, fakegithub.PullRequest{Title: "From a fork", Head: "trunk", HeadRepo: "mallory/api", User: "mallory"})
	for _, tc := range []struct {
		name   string
		number int
		want   ghclient.PRHead
		err    string
	}{
		{name: "same repository", number: same.Number, want: ghclient.PRHead{Ref: "feature/x", SHA: w.release, RepoFullName: deployRepo, Number: same.Number}},
		{name: "fork", number: fork.Number, want: ghclient.PRHead{Ref: "trunk", SHA: fork.HeadSHA, RepoFullName: "mallory/api", Fork: true, Number: fork.Number}},
		{name: "missing", number: 999, err: "pull request acme/api#999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.r.PullRequestHead(context.Background(), tc.number)
			wantErr(t, err, tc.err)
			if got != tc.want {
				t.Errorf("PullRequestHead(%d) = %+v, want %+v", tc.number, got, tc.want)
			}
		})
	}
	w.checkFake(t)
}

// addDeployWorkflows adds deploy.yml (a run-name with the inputs
// substituted), ci.yml (no workflow_dispatch trigger) and a disabled
// workflow.
func addDeployWorkflows(w *deployWorld) {
	w.gh.AddWorkflow(deployRepo, fakegithub.Workflow{Path: ".github/workflows/deploy.yml", Name: "Deploy",
		RunName: "deploy ${{ inputs.environment }} ${{ inputs.correlation_id }}", Inputs: []string{"environment", "correlation_id"}})
	w.gh.AddWorkflow(deployRepo, fakegithub.Workflow{Path: ".github/workflows/ci.yml", Name: "CI", NoDispatch: true})
	w.gh.AddWorkflow(deployRepo, fakegithub.Workflow{Path: ".github/workflows/old.yml", Name: "Old", State: "disabled_manually"})
}

func TestDispatchWorkflow(t *testing.T) {
	w := newDeployWorld(t)
	addDeployWorkflows(w)
	inputs := map[string]string{"environment": "staging", "correlation_id": "c-1"}
	for _, tc := range []struct {
		name, file, ref string
		inputs          map[string]string
		err             string
		is              []error
	}{
		{name: "dispatched", file: "deploy.yml", ref: "trunk", inputs: inputs},
		{name: "no inputs", file: "deploy.yml", ref: "release/1.0"},
		{name: "missing workflow", file: "nope.yml", ref: "trunk", err: "dispatch workflow nope.yml of acme/api", is: []error{ghclient.ErrWorkflowNotFound}},
		{name: "no dispatch trigger", file: "ci.yml", ref: "trunk", err: "Workflow does not have 'workflow_dispatch' trigger"},
		{name: "disabled", file: "old.yml", ref: "trunk", err: "disabled workflow"},
		{name: "unexpected input", file: "deploy.yml", ref: "trunk", inputs: map[string]string{"environment": "staging", "bogus": "x"}, err: `Unexpected inputs provided: ["bogus"]`},
		{name: "missing ref", file: "deploy.yml", ref: "no-such-branch", inputs: inputs, err: "No ref found for: no-such-branch", is: []error{ghclient.ErrRefNotFound}},
		{name: "empty ref", file: "deploy.yml", err: "must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := w.r.DispatchWorkflow(context.Background(), tc.file, tc.ref, tc.inputs)
			wantErr(t, err, tc.err, tc.is...)
			if tc.err != "" && tc.name != "missing ref" && errors.Is(err, ghclient.ErrRefNotFound) {
				t.Errorf("%v wraps ErrRefNotFound", err)
			}
			if tc.name != "missing workflow" && errors.Is(err, ghclient.ErrWorkflowNotFound) {
				t.Errorf("%v wraps ErrWorkflowNotFound", err)
			}
		})
	}
	ds := w.gh.Dispatches()
	if len(ds) != 2 || ds[0].Ref != "trunk" || ds[0].Inputs["correlation_id"] != "c-1" || ds[0].Inputs["environment"] != "staging" ||
		ds[1].Ref != "release/1.0" || ds[1].Inputs != nil {
		t.Fatalf("dispatches = %+v", ds)
	}
	const route = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"
	if w.calls(t, route, "POST", "204") != 2 || w.calls(t, route, "POST", "404") != 1 || w.calls(t, route, "POST", "422") != 4 {
		t.Errorf("dispatches not counted by route and code")
	}

	// A server error is worth retrying, and is no missing workflow.
	w.gh.Inject(fakegithub.Fault{Method: "POST", Route: route, Status: 500, Times: 1})
	err := w.r.DispatchWorkflow(context.Background(), "deploy.yml", "trunk", inputs)
	if err == nil || !ghclient.IsTransient(err) || errors.Is(err, ghclient.ErrWorkflowNotFound) {
		t.Errorf("dispatch answered 500: %v (transient %v), want a transient error", err, ghclient.IsTransient(err))
	}
	w.checkFake(t)
}

func TestFindDispatchedRunAndWorkflowRun(t *testing.T) {
	w := newDeployWorld(t)
	addDeployWorkflows(w)
	ctx := context.Background()
	// Noise: an older dispatch with the same title, a push run whose title
	// holds the correlation ID, and a run of another workflow.
	if err := w.r.DispatchWorkflow(ctx, "deploy.yml", "trunk", map[string]string{"environment": "staging", "correlation_id": "c-42"}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(10 * time.Minute)
	start := w.clk.Now()
	w.gh.AddWorkflowRun(deployRepo, fakegithub.WorkflowRun{WorkflowID: workflowID(t, w, "deploy.yml"), Event: "push", DisplayTitle: "deploy staging c-42"})
	w.gh.AddWorkflowRun(deployRepo, fakegithub.WorkflowRun{WorkflowID: workflowID(t, w, "ci.yml"), Event: "workflow_dispatch", DisplayTitle: "deploy staging c-42"})

	w.clk.Advance(3 * time.Second)
	if err := w.r.DispatchWorkflow(ctx, "deploy.yml", "release/1.0", map[string]string{"environment": "production", "correlation_id": "c-42"}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(2 * time.Second)
	if err := w.r.DispatchWorkflow(ctx, "deploy.yml", "trunk", map[string]string{"environment": "staging", "correlation_id": "c-43"}); err != nil {
		t.Fatal(err)
	}
	wantRun := dispatchedRun(t, w, 1)

	for _, tc := range []struct {
		name, file, title string
		after             time.Time
		found             bool
		want              ghclient.WorkflowRun
		err               string
		is                []error
	}{
		{name: "found", file: "deploy.yml", title: "c-42", after: start, found: true, want: ghclient.WorkflowRun{
			ID: wantRun.ID, Status: "queued", HTMLURL: fmt.Sprintf("https://github.com/%s/actions/runs/%d", deployRepo, wantRun.ID),
			DisplayTitle: "deploy production c-42", HeadSHA: w.release, CreatedAt: start.Add(3 * time.Second)}},
		{name: "created at that very second", file: "deploy.yml", title: "production c-42", after: start.Add(3*time.Second + 500*time.Millisecond), found: true},
		{name: "created before", file: "deploy.yml", title: "c-42", after: start.Add(4 * time.Second)},
		{name: "not yet", file: "deploy.yml", title: "c-44", after: start},
		{name: "missing workflow", file: "nope.yml", title: "c-42", after: start, err: "workflow nope.yml of acme/api", is: []error{ghclient.ErrWorkflowNotFound}},
		{name: "no title", file: "deploy.yml", after: start, err: "must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, found, err := w.r.FindDispatchedRun(ctx, tc.file, tc.after, tc.title)
			wantErr(t, err, tc.err, tc.is...)
			if found != tc.found {
				t.Fatalf("found = %v, want %v (run %+v)", found, tc.found, got)
			}
			if tc.found && !strings.Contains(got.DisplayTitle, tc.title) {
				t.Errorf("run %+v does not carry %q", got, tc.title)
			}
			if tc.want.ID != 0 && got != tc.want {
				t.Errorf("run = %+v\nwant  %+v", got, tc.want)
			}
		})
	}
	runsRoute := "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"
	for _, c := range w.gh.CallsTo("GET", runsRoute) {
		if c.Query.Get("event") != "workflow_dispatch" || !strings.HasPrefix(c.Query.Get("created"), ">=2030-05-06T07:18:") {
			t.Errorf("runs listed with %v", c.Query)
		}
	}
	if w.calls(t, runsRoute, "GET", "200") != 4 {
		t.Errorf("run listings not counted by route")
	}

	// The run as it progresses.
	w.gh.UpdateWorkflowRun(deployRepo, wantRun.ID, "completed", "success")
	for _, tc := range []struct {
		name          string
		id            int64
		status, concl string
		err           string
		is            []error
	}{
		{name: "completed", id: wantRun.ID, status: "completed", concl: "success"},
		{name: "missing", id: 999, err: "workflow run 999 of acme/api", is: []error{ghclient.ErrRunNotFound}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.r.WorkflowRun(ctx, tc.id)
			wantErr(t, err, tc.err, tc.is...)
			if got.Status != tc.status || got.Conclusion != tc.concl || (tc.err == "" && (got.ID != tc.id || got.HeadSHA != w.release || got.DisplayTitle != "deploy production c-42")) {
				t.Errorf("WorkflowRun(%d) = %+v", tc.id, got)
			}
		})
	}
	w.checkFake(t)
}

func workflowID(t *testing.T, w *deployWorld, file string) int64 {
	t.Helper()
	c, err := w.apps.Installation(42)
	if err != nil {
		t.Fatal(err)
	}
	wf, _, err := c.Actions.GetWorkflowByFileName(context.Background(), "acme", "api", file)
	if err != nil {
		t.Fatal(err)
	}
	return wf.GetID()
}

// dispatchedRun is the run the i-th recorded dispatch created.
func dispatchedRun(t *testing.T, w *deployWorld, i int) fakegithub.WorkflowRun {
	t.Helper()
	ds := w.gh.Dispatches()
	if len(ds) <= i {
		t.Fatalf("%d dispatches", len(ds))
	}
	for _, run := range w.gh.WorkflowRuns(deployRepo) {
		if run.ID == ds[i].RunID {
			return run
		}
	}
	t.Fatalf("no run for dispatch %+v", ds[i])
	return fakegithub.WorkflowRun{}
}

func TestSuccessfulDeployments(t *testing.T) {
	w := newDeployWorld(t)
	ctx := context.Background()
	c, err := w.apps.Installation(42)
	if err != nil {
		t.Fatal(err)
	}
	// deploy creates a deployment of ref to env and gives it statuses, the
	// last one latest; auto_inactive is left to GitHub's default unless
	// keepOthers.
	deploy := func(ref, env string, keepOthers bool, states ...string) int64 {
		t.Helper()
		d, _, err := c.Repositories.CreateDeployment(ctx, "acme", "api", &github.DeploymentRequest{
			Ref: github.String(ref), Environment: github.String(env), RequiredContexts: &[]string{}, AutoMerge: github.Bool(false)})
		if err != nil {
			t.Fatalf("create deployment: %v", err)
		}
		for _, s := range states {
			req := &github.DeploymentStatusRequest{State: github.String(s)}
			if keepOthers {
				req.AutoInactive = github.Bool(false)
			}
			if _, _, err := c.Repositories.CreateDeploymentStatus(ctx, "acme", "api", d.GetID(), req); err != nil {
				t.Fatalf("create deployment status: %v", err)
			}
		}
		w.clk.Advance(time.Minute)
		return d.GetID()
	}
	d1 := deploy("v1.0", "staging", false, "in_progress", "success") // made inactive by d3
	deploy("trunk", "staging", false, "success", "failure")          // latest status failed
	d3 := deploy("release/1.0", "staging", false, "queued", "success")
	deploy("trunk", "staging", false, "in_progress")  // still running
	deploy("trunk", "staging", false)                 // no status at all
	d6 := deploy("trunk", "staging", true, "success") // leaves d3 active
	deploy("trunk", "production", false, "success")   // another environment

	if ds := w.gh.Deployments(deployRepo); ds[0].ID != d1 || ds[0].Statuses[len(ds[0].Statuses)-1].State != "inactive" {
		t.Fatalf("the fake did not mark the first deployment inactive: %+v", ds[0])
	}
	byID := map[int64]fakegithub.Deployment{}
	for _, d := range w.gh.Deployments(deployRepo) {
		byID[d.ID] = d
	}
	want := func(ids ...int64) []ghclient.Deployment {
		var out []ghclient.Deployment
		for _, id := range ids {
			d := byID[id]
			out = append(out, ghclient.Deployment{ID: id, SHA: d.SHA, Ref: d.Ref, Environment: d.Environment, CreatedAt: d.CreatedAt,
				State: d.Statuses[len(d.Statuses)-1].State})
		}
		return out
	}
	for _, tc := range []struct {
		name, env string
		limit     int
		want      []ghclient.Deployment
		err       string
	}{
		// d1 succeeded and was superseded (inactive): a rollback target.
		{name: "newest first", env: "staging", limit: 10, want: want(d6, d3, d1)},
		{name: "limited", env: "staging", limit: 1, want: want(d6)},
		{name: "no deployments", env: "qa", limit: 10},
		{name: "no limit", env: "staging", err: "limit of at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.r.SuccessfulDeployments(ctx, tc.env, tc.limit)
			wantErr(t, err, tc.err)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("SuccessfulDeployments(%q, %d) =\n%+v\nwant\n%+v", tc.env, tc.limit, got, tc.want)
			}
		})
	}
	if got := want(d6)[0]; got.SHA != w.c3 || got.Ref != "trunk" || got.Environment != "staging" || got.CreatedAt.IsZero() {
		t.Errorf("deployment fields not filled: %+v", got)
	}
	// The limited call stops at its first success.
	if n := w.calls(t, "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", "GET", "200"); n != 6+1 {
		t.Errorf("%v status reads, want 7 (6 deployments for the full list, 1 for the limited one)", n)
	}
	for _, call := range w.gh.CallsTo("GET", "/repos/{owner}/{repo}/deployments") {
		if call.Query.Get("environment") == "" {
			t.Errorf("deployments listed without an environment: %v", call.Query)
		}
	}
	w.checkFake(t)
}

func TestCompare(t *testing.T) {
	w := newDeployWorld(t)
	// A long history on a branch of its own: 260 commits after trunk.
	var big []string
	w.gh.SetBranch(deployRepo, "big", w.c3)
	for i := range 260 {
		big = append(big, w.gh.AddCommit(deployRepo, "big", fakegithub.Commit{Message: fmt.Sprintf("Step %d", i), Author: "dora"}))
	}
	for _, tc := range []struct {
		name, base, head string
		want             []ghclient.CommitSummary
		err              string
		is               []error
	}{
		{name: "tag to branch", base: "v1.0", head: "trunk", want: []ghclient.CommitSummary{
			{SHA: w.c2, Message: "Fix rounding", Author: "alice"},
			{SHA: w.c3, Message: "Bump deps", Author: "bob"},
		}},
		{name: "sha to branch with a slash", base: w.c1, head: "release/1.0", want: []ghclient.CommitSummary{
			{SHA: w.release, Message: "Backport fix", Author: "carol"},
		}},
		{name: "behind", base: "trunk", head: "v1.0", want: []ghclient.CommitSummary{}},
		{name: "missing base", base: "no-such-tag", head: "trunk", err: "compare no-such-tag...trunk in acme/api", is: []error{ghclient.ErrRefNotFound}},
		{name: "missing head", base: "trunk", head: "0123456789abcdef0123456789abcdef01234567", err: "in acme/api", is: []error{ghclient.ErrRefNotFound}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.r.Compare(context.Background(), tc.base, tc.head)
			wantErr(t, err, tc.err, tc.is...)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || (tc.want != nil && got == nil) {
				t.Errorf("Compare(%s, %s) =\n%+v\nwant\n%+v", tc.base, tc.head, got, tc.want)
			}
		})
	}
	t.Run("at most 250", func(t *testing.T) {
		got, err := w.r.Compare(context.Background(), "trunk", "big")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 250 || got[0].SHA != big[10] || got[249].SHA != big[259] || got[249].Message != "Step 259" {
			t.Fatalf("Compare listed %d commits, from %+v; want the newest 250", len(got), got[0])
		}
	})
	if n := w.calls(t, "/repos/{owner}/{repo}/compare/{basehead}", "GET", ""); n != 6 {
		t.Errorf("%v compare calls counted by route, want 6", n)
	}
	w.checkFake(t)
}

func TestReactToComment(t *testing.T) {
	w := newDeployWorld(t)
	w.gh.AddIssue(deployRepo, fakegithub.Issue{Number: 3, Title: "Go-live"})
	cm, _ := w.gh.AddComment(deployRepo, 3, "alice", "/deploy staging")
	for _, tc := range []struct {
		name    string
		id      int64
		content string
		err     string
		is      []error
	}{
		{name: "eyes", id: cm.ID, content: "eyes"},
		{name: "eyes again", id: cm.ID, content: "eyes"},
		{name: "thumbs down", id: cm.ID, content: "-1"},
		{name: "unknown reaction", id: cm.ID, content: "thumbs", err: "no such reaction"},
		{name: "deleted comment", id: cm.ID + 999, content: "rocket", err: fmt.Sprintf("comment %d on acme/api", cm.ID+999), is: []error{ghclient.ErrCommentGone}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, w.r.ReactToComment(context.Background(), tc.id, tc.content), tc.err, tc.is...)
		})
	}
	var got []string
	for _, r := range w.gh.Reactions(deployRepo) {
		if r.CommentID == cm.ID {
			got = append(got, r.Content)
		}
	}
	if strings.Join(got, ",") != "eyes,-1" {
		t.Errorf("reactions on the comment = %v, want eyes,-1", got)
	}
	const route = "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"
	if w.calls(t, route, "POST", "201") != 2 || w.calls(t, route, "POST", "200") != 1 || w.calls(t, route, "POST", "404") != 1 {
		t.Errorf("reactions not counted by route and code (none for the unknown reaction)")
	}
	w.checkFake(t)
}
