package fakegithub

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestForkPullRequest shows a fork's pull request as GitHub does: the head
// side names the fork, its owner and its branch; the base repository still
// resolves the head commit, and gets no branch of that name.
func TestForkPullRequest(t *testing.T) {
	srv := newTestServer(t, Options{})
	pr := srv.AddPullRequest(testRepo, PullRequest{Title: "Drive-by", Head: "main", HeadRepo: "mallory/api", User: "mallory"})
	if pr.HeadRepo != "mallory/api" {
		t.Fatalf("stored HeadRepo = %q", pr.HeadRepo)
	}
	gh := installationClient(t, srv, testInstall)
	ctx := context.Background()
	p := must[*github.PullRequest](t, "get pull")(gh.PullRequests.Get(ctx, "acme", "api", pr.Number))
	head, base := p.GetHead(), p.GetBase()
	if head.GetRepo().GetFullName() != "mallory/api" || !head.GetRepo().GetFork() || head.GetLabel() != "mallory:main" ||
		head.GetUser().GetLogin() != "mallory" || head.GetUser().GetType() != "User" || p.GetUser().GetType() != "User" || head.GetSHA() != pr.HeadSHA || head.GetRef() != "main" {
		t.Errorf("head = %s %s %s %v", head.GetLabel(), head.GetRepo().GetFullName(), head.GetSHA(), head.GetRepo().GetFork())
	}
	if base.GetRepo().GetFullName() != "acme/api" || base.GetRepo().GetID() == head.GetRepo().GetID() {
		t.Errorf("base = %s", base.GetRepo().GetFullName())
	}
	if c := must[*github.RepositoryCommit](t, "head commit from the base")(gh.Repositories.GetCommit(ctx, "acme", "api", pr.HeadSHA, nil)); c.GetSHA() != pr.HeadSHA {
		t.Errorf("head commit = %s", c.GetSHA())
	}
	if sha, _ := srv.Branch(testRepo, "main"); sha == pr.HeadSHA {
		t.Errorf("the fork's branch moved the base repository's main")
	}
	if sha, ok := srv.Branch("mallory/api", "main"); !ok || sha != pr.HeadSHA {
		t.Errorf("fork branch = %s %v", sha, ok)
	}
	noViolations(t, srv)
}

// TestDispatchUnexpectedInputs refuses inputs a workflow does not declare,
// with GitHub's message, and accepts anything when the declaration is
// unknown.
func TestDispatchUnexpectedInputs(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.AddWorkflow(testRepo, Workflow{Path: ".github/workflows/deploy.yml", Inputs: []string{"environment"}})
	srv.AddWorkflow(testRepo, Workflow{Path: ".github/workflows/bare.yml", Inputs: []string{}})
	srv.AddWorkflow(testRepo, Workflow{Path: ".github/workflows/unknown.yml"})
	gh := installationClient(t, srv, testInstall)
	ctx := context.Background()
	for _, tc := range []struct {
		file   string
		inputs map[string]any
		want   string
	}{
		{file: "deploy.yml", inputs: map[string]any{"environment": "qa"}},
		{file: "deploy.yml", inputs: map[string]any{"environment": "qa", "zeta": "1", "alpha": "2"}, want: `Unexpected inputs provided: ["alpha", "zeta"]`},
		{file: "bare.yml", inputs: map[string]any{"environment": "qa"}, want: `Unexpected inputs provided: ["environment"]`},
		{file: "bare.yml"},
		{file: "unknown.yml", inputs: map[string]any{"anything": "goes"}},
	} {
		t.Run(fmt.Sprint(tc.file, tc.inputs), func(t *testing.T) {
			_, err := gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", tc.file, github.CreateWorkflowDispatchEventRequest{Ref: "main", Inputs: tc.inputs})
			var er *github.ErrorResponse
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("dispatch: %v", err)
			case tc.want != "" && (!errors.As(err, &er) || er.Response.StatusCode != 422 || er.Message != tc.want):
				t.Errorf("dispatch: %v, want 422 %s", err, tc.want)
			}
		})
	}
	if d := srv.Dispatches(); len(d) != 3 {
		t.Errorf("%d dispatches recorded, want 3", len(d))
	}
	noViolations(t, srv)
}

// TestCompareListsAtMost250 lists, without paging parameters, the newest 250
// commits of a longer comparison while counting them all.
func TestCompareListsAtMost250(t *testing.T) {
	srv := newTestServer(t, Options{})
	base, _ := srv.Branch(testRepo, "main")
	var shas []string
	for i := range 252 {
		shas = append(shas, srv.AddCommit(testRepo, "long", Commit{Message: fmt.Sprint("step ", i), Parents: parentOr(shas, base)}))
	}
	gh := installationClient(t, srv, testInstall)
	cmp := must[*github.CommitsComparison](t, "compare")(gh.Repositories.CompareCommits(context.Background(), "acme", "api", "main", "long", nil))
	if len(cmp.Commits) != 250 || cmp.GetTotalCommits() != 252 || cmp.GetAheadBy() != 252 ||
		cmp.Commits[0].GetSHA() != shas[2] || cmp.Commits[249].GetSHA() != shas[251] {
		t.Errorf("compare listed %d of %d commits, first %s", len(cmp.Commits), cmp.GetTotalCommits(), cmp.Commits[0].GetSHA())
	}
	noViolations(t, srv)
}

func parentOr(shas []string, base string) []string {
	if len(shas) == 0 {
		return []string{base}
	}
	return []string{shas[len(shas)-1]}
}
