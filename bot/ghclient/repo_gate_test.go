package ghclient_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/ghclient"
)

// TestReviewDeploymentGate: approvals, rejections and notes reach the
// protection rule callback as GitHub describes it; a note sends no state.
func TestReviewDeploymentGate(t *testing.T) {
	w := newDeployWorld(t)
	ctx := context.Background()
	run := w.gh.AddWorkflowRun(deployRepo, fakegithub.WorkflowRun{Event: "workflow_dispatch", Status: "waiting"})
	other := w.gh.AddWorkflowRun(deployRepo, fakegithub.WorkflowRun{Event: "push", Status: "waiting"})
	long := strings.Repeat("é", ghclient.MaxGateComment) // characters, not bytes

	if err := w.r.ReviewDeploymentGate(ctx, run.ID, "production", "", "2 required items open"); err != nil {
		t.Fatal(err)
	}
	if err := w.r.ReviewDeploymentGate(ctx, run.ID, "production", ghclient.GateApproved, long); err != nil {
		t.Fatal(err)
	}
	if err := w.r.ReviewDeploymentGate(ctx, other.ID, "staging", ghclient.GateRejected, ""); err != nil {
		t.Fatal(err)
	}
	got := w.gh.GateReviews()
	if len(got) != 3 {
		t.Fatalf("%d reviews recorded, want 3: %+v", len(got), got)
	}
	for i, want := range []fakegithub.GateReview{
		{Repo: deployRepo, RunID: run.ID, EnvironmentName: "production", Comment: "2 required items open", InstallationID: 42},
		{Repo: deployRepo, RunID: run.ID, EnvironmentName: "production", State: "approved", Comment: long, InstallationID: 42},
		{Repo: deployRepo, RunID: other.ID, EnvironmentName: "staging", State: "rejected", InstallationID: 42},
	} {
		want.Time = got[i].Time
		if got[i] != want {
			t.Errorf("review %d = %+v\nwant %+v", i, got[i], want)
		}
	}
	calls := w.gh.CallsTo("POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule")
	if len(calls) != 3 {
		t.Fatalf("%d callback requests, want 3", len(calls))
	}
	var note map[string]any
	if err := json.Unmarshal(calls[0].Body, &note); err != nil {
		t.Fatal(err)
	}
	if _, ok := note["state"]; ok || note["environment_name"] != "production" {
		t.Errorf("a note sent %s, want environment_name and comment only", calls[0].Body)
	}
	if w.gh.WorkflowRuns(deployRepo)[1].Conclusion != "failure" {
		t.Errorf("the rejected run did not fail")
	}

	for _, tc := range []struct {
		name                string
		run                 int64
		env, state, comment string
		err                 string
		is                  []error
	}{
		{name: "unknown run", run: 987654321, env: "production", state: ghclient.GateApproved, err: "run 987654321 of acme/api", is: []error{ghclient.ErrRunNotFound}},
		{name: "note without comment", run: run.ID, env: "production", err: "a note needs a comment"},
		{name: "unknown state", run: run.ID, env: "production", state: "waiting", comment: "x", err: `state "waiting"`},
		{name: "no environment", run: run.ID, state: ghclient.GateApproved, err: "an environment"},
		{name: "comment too long", run: run.ID, env: "production", comment: long + "!", err: "at most 1024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, w.r.ReviewDeploymentGate(ctx, tc.run, tc.env, tc.state, tc.comment), tc.err, tc.is...)
		})
	}
	if n := len(w.gh.GateReviews()); n != 3 {
		t.Errorf("refused reviews reached GitHub: %d recorded", n)
	}

	// A server error is worth retrying.
	route := "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule"
	w.gh.Inject(fakegithub.Fault{Method: "POST", Route: route, Status: 502, Times: 1})
	if err := w.r.ReviewDeploymentGate(ctx, run.ID, "production", ghclient.GateApproved, "ok"); !ghclient.IsTransient(err) {
		t.Errorf("review answered 502: %v, want a transient error", err)
	}
	if w.calls(t, route, "POST", "204") != 3 {
		t.Errorf("reviews not counted by route")
	}
	w.checkFake(t)
}
