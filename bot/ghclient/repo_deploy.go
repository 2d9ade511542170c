package ghclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Sentinel errors of the deployment-related Repo methods. Each is wrapped
// together with go-github's error, so errors.Is finds the sentinel and
// errors.As still finds the *github.ErrorResponse; all of them are
// permanent (IsTransient reports false).
var (
	// ErrRefNotFound: the repository has no such branch, tag or commit.
	ErrRefNotFound = errors.New("no such branch, tag or commit")
	// ErrWorkflowNotFound: the repository has no such workflow file.
	ErrWorkflowNotFound = errors.New("workflow not found")
	// ErrRunNotFound: the repository has no such workflow run.
	ErrRunNotFound = errors.New("workflow run not found")
)

// PRHead is the head of a pull request.
type PRHead struct {
	// Ref is the head branch's name (in RepoFullName).
	Ref string
	// SHA is the head commit.
	SHA string
	// RepoFullName is the repository the head branch lives in; "" when
	// that repository (a fork) has been deleted.
	RepoFullName string
	// Fork is true when the head repository is not the base repository
	// (including when the fork has been deleted).
	Fork   bool
	Number int
}

// WorkflowRun is an Actions workflow run as golive needs it.
type WorkflowRun struct {
	ID int64
	// Status is GitHub's: queued, in_progress, completed, waiting,
	// requested or pending.
	Status string
	// Conclusion is "" until the run completes, then success, failure,
	// cancelled, skipped, timed_out, action_required, neutral or stale.
	Conclusion   string
	HTMLURL      string
	DisplayTitle string
	HeadSHA      string
	CreatedAt    time.Time
}

// Deployment is a deployment with the state of its latest status.
type Deployment struct {
	ID          int64
	SHA         string
	Ref         string
	Environment string
	CreatedAt   time.Time
	// State is the latest status's state ("success" for every deployment
	// SuccessfulDeployments returns).
	State string
}

// CommitSummary is a commit as a change list shows it.
type CommitSummary struct {
	SHA string
	// Message is the first line of the commit message.
	Message string
	// Author is the GitHub login of the commit's author; "" when GitHub
	// links the commit to no account.
	Author string
}

// reactions are the reaction contents GitHub accepts.
var reactions = map[string]bool{
	"+1": true, "-1": true, "laugh": true, "confused": true,
	"heart": true, "hooray": true, "rocket": true, "eyes": true,
}

// maxDeploymentsExamined bounds how many of an environment's newest
// deployments SuccessfulDeployments looks at: one page of the list.
const maxDeploymentsExamined = 100

// maxRunPages bounds how many pages of 100 runs FindDispatchedRun reads;
// GitHub answers at most 1,000 runs to a filtered list anyway.
const maxRunPages = 10

// statusOf is the HTTP status of a failed call's response, 0 without one.
func statusOf(resp *github.Response) int {
	if resp == nil || resp.Response == nil {
		return 0
	}
	return resp.StatusCode
}

// escapeRef escapes each "/"-separated segment of a ref for a URL path,
// keeping the slashes (GitHub takes refs such as release/1.2 as they are).
func escapeRef(ref string) string {
	segs := strings.Split(ref, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// DefaultBranch returns the name of the repository's default branch.
func (r *Repo) DefaultBranch(ctx context.Context) (string, error) {
	repo, _, err := r.client.Repositories.Get(ctx, r.owner, r.name)
	if err != nil {
		return "", fmt.Errorf("read the default branch of %s: %w", r.FullName(), err)
	}
	if repo.GetDefaultBranch() == "" {
		return "", fmt.Errorf("read the default branch of %s: GitHub named none", r.FullName())
	}
	return repo.GetDefaultBranch(), nil
}

// ResolveRef returns the commit SHA that ref (a branch, a tag, a full or
// abbreviated SHA, or a qualified name such as heads/x) names. A ref the
// repository does not have (GitHub's 422 "No commit found for SHA", or 409
// for an empty repository) yields an error wrapping ErrRefNotFound.
func (r *Repo) ResolveRef(ctx context.Context, ref string) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("resolve a ref in %s: the ref is empty", r.FullName())
	}
	c, resp, err := r.client.Repositories.GetCommit(ctx, r.owner, r.name, escapeRef(ref), &github.ListOptions{PerPage: 1})
	if err != nil {
		if s := statusOf(resp); s == http.StatusUnprocessableEntity || s == http.StatusConflict {
			return "", fmt.Errorf("resolve %q in %s: %w: %w", ref, r.FullName(), ErrRefNotFound, err)
		}
		return "", fmt.Errorf("resolve %q in %s: %w", ref, r.FullName(), err)
	}
	if c.GetSHA() == "" {
		return "", fmt.Errorf("resolve %q in %s: GitHub answered no SHA", ref, r.FullName())
	}
	return c.GetSHA(), nil
}

// PullRequestHead returns the head of pull request number.
func (r *Repo) PullRequestHead(ctx context.Context, number int) (PRHead, error) {
	pr, _, err := r.client.PullRequests.Get(ctx, r.owner, r.name, number)
	if err != nil {
		return PRHead{}, fmt.Errorf("read the head of pull request %s#%d: %w", r.FullName(), number, err)
	}
	head, base := pr.GetHead(), pr.GetBase()
	h := PRHead{Ref: head.GetRef(), SHA: head.GetSHA(), Number: pr.GetNumber()}
	if h.Number == 0 {
		h.Number = number
	}
	hr := head.GetRepo()
	h.RepoFullName = hr.GetFullName()
	switch br := base.GetRepo(); {
	case hr == nil:
		h.Fork = true // the fork was deleted
	case hr.GetID() != 0 && br.GetID() != 0:
		h.Fork = hr.GetID() != br.GetID()
	default:
		baseName := br.GetFullName()
		if baseName == "" {
			baseName = r.FullName()
		}
		h.Fork = !strings.EqualFold(hr.GetFullName(), baseName)
	}
	return h, nil
}

// DispatchWorkflow starts workflow workflowFile (a file name such as
// "deploy.yml", or a workflow ID) on ref with inputs, by a workflow_dispatch
// event. A missing workflow yields an error wrapping ErrWorkflowNotFound. A
// dispatch GitHub refuses with 422 (no workflow_dispatch trigger, a disabled
// workflow, inputs the workflow does not declare, a missing ref) yields a
// permanent error carrying GitHub's message; for a missing ref it also wraps
// ErrRefNotFound.
func (r *Repo) DispatchWorkflow(ctx context.Context, workflowFile, ref string, inputs map[string]string) error {
	activity := fmt.Sprintf("dispatch workflow %s of %s on %q", workflowFile, r.FullName(), ref)
	if workflowFile == "" || ref == "" {
		return fmt.Errorf("%s: the workflow and the ref must not be empty", activity)
	}
	ev := github.CreateWorkflowDispatchEventRequest{Ref: ref}
	if len(inputs) > 0 {
		ev.Inputs = make(map[string]interface{}, len(inputs))
		for k, v := range inputs {
			ev.Inputs[k] = v
		}
	}
	resp, err := r.client.Actions.CreateWorkflowDispatchEventByFileName(ctx, r.owner, r.name, url.PathEscape(workflowFile), ev)
	if err != nil {
		switch statusOf(resp) {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w: %w", activity, ErrWorkflowNotFound, err)
		case http.StatusUnprocessableEntity:
			var er *github.ErrorResponse
			if errors.As(err, &er) && strings.HasPrefix(er.Message, "No ref found for") {
				return fmt.Errorf("%s: GitHub refused it: %w: %w", activity, ErrRefNotFound, err)
			}
			return fmt.Errorf("%s: GitHub refused it: %w", activity, err)
		}
		return fmt.Errorf("%s: %w", activity, err)
	}
	return nil
}

// FindDispatchedRun looks, among the runs of workflowFile created by a
// workflow_dispatch event at or after createdAfter (to the second), for the
// newest one whose display title contains displayTitleContains (a
// correlation ID the dispatch put into the workflow's run-name). It reports
// found=false when there is none yet: GitHub creates the run a few seconds
// after the dispatch, so callers poll. Runs are matched by GitHub's clock;
// a caller passes a createdAfter with some margin before its dispatch.
func (r *Repo) FindDispatchedRun(ctx context.Context, workflowFile string, createdAfter time.Time, displayTitleContains string) (WorkflowRun, bool, error) {
	activity := fmt.Sprintf("find the run of workflow %s of %s titled %q", workflowFile, r.FullName(), displayTitleContains)
	if workflowFile == "" || displayTitleContains == "" {
		return WorkflowRun{}, false, fmt.Errorf("%s: the workflow and the title must not be empty", activity)
	}
	opts := &github.ListWorkflowRunsOptions{
		Event:       "workflow_dispatch",
		Created:     ">=" + createdAfter.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z"),
		ListOptions: github.ListOptions{PerPage: 100},
	}
	for range maxRunPages {
		runs, resp, err := r.client.Actions.ListWorkflowRunsByFileName(ctx, r.owner, r.name, url.PathEscape(workflowFile), opts)
		if err != nil {
			if statusOf(resp) == http.StatusNotFound {
				return WorkflowRun{}, false, fmt.Errorf("%s: %w: %w", activity, ErrWorkflowNotFound, err)
			}
			return WorkflowRun{}, false, fmt.Errorf("%s: %w", activity, err)
		}
		for _, run := range runs.WorkflowRuns {
			if strings.Contains(run.GetDisplayTitle(), displayTitleContains) {
				return workflowRun(run), true, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return WorkflowRun{}, false, nil
}

func workflowRun(run *github.WorkflowRun) WorkflowRun {
	return WorkflowRun{
		ID:           run.GetID(),
		Status:       run.GetStatus(),
		Conclusion:   run.GetConclusion(),
		HTMLURL:      run.GetHTMLURL(),
		DisplayTitle: run.GetDisplayTitle(),
		HeadSHA:      run.GetHeadSHA(),
		CreatedAt:    run.GetCreatedAt().Time,
	}
}

// WorkflowRun returns workflow run id. A run the repository does not have
// yields an error wrapping ErrRunNotFound.
func (r *Repo) WorkflowRun(ctx context.Context, id int64) (WorkflowRun, error) {
	run, resp, err := r.client.Actions.GetWorkflowRunByID(ctx, r.owner, r.name, id)
	if err != nil {
		if statusOf(resp) == http.StatusNotFound {
			return WorkflowRun{}, fmt.Errorf("read workflow run %d of %s: %w: %w", id, r.FullName(), ErrRunNotFound, err)
		}
		return WorkflowRun{}, fmt.Errorf("read workflow run %d of %s: %w", id, r.FullName(), err)
	}
	return workflowRun(run), nil
}

// SuccessfulDeployments returns up to limit deployments to environment that
// succeeded, newest first: their latest status is "success", or "inactive",
// which GitHub sets on a successful deployment when a newer one to the same
// environment succeeds (auto_inactive). The first is what is live; the
// second is what a rollback returns to. It looks at the environment's newest
// 100 deployments only, and asks for the latest status of each in turn
// until it has limit of them (one call per deployment examined).
func (r *Repo) SuccessfulDeployments(ctx context.Context, environment string, limit int) ([]Deployment, error) {
	activity := fmt.Sprintf("list the successful deployments of %s to %q", r.FullName(), environment)
	if environment == "" || limit < 1 {
		return nil, fmt.Errorf("%s: need an environment and a limit of at least 1", activity)
	}
	ds, _, err := r.client.Repositories.ListDeployments(ctx, r.owner, r.name, &github.DeploymentsListOptions{
		Environment: environment,
		ListOptions: github.ListOptions{PerPage: maxDeploymentsExamined},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", activity, err)
	}
	var out []Deployment
	for _, d := range ds {
		sts, _, err := r.client.Repositories.ListDeploymentStatuses(ctx, r.owner, r.name, d.GetID(), &github.ListOptions{PerPage: 1})
		if err != nil {
			return nil, fmt.Errorf("%s: read the status of deployment %d: %w", activity, d.GetID(), err)
		}
		if len(sts) == 0 || (sts[0].GetState() != "success" && sts[0].GetState() != "inactive") {
			continue
		}
		out = append(out, Deployment{
			ID:          d.GetID(),
			SHA:         d.GetSHA(),
			Ref:         d.GetRef(),
			Environment: d.GetEnvironment(),
			CreatedAt:   d.GetCreatedAt().Time,
			State:       sts[0].GetState(),
		})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Compare lists the commits reachable from head but not from base (base and
// head are branches, tags or SHAs), oldest first. GitHub lists at most 250
// of them, the newest 250 when there are more. An unknown base or head (or
// two unrelated histories: GitHub answers 404 to each) yields an error
// wrapping ErrRefNotFound.
func (r *Repo) Compare(ctx context.Context, base, head string) ([]CommitSummary, error) {
	activity := fmt.Sprintf("compare %s...%s in %s", base, head, r.FullName())
	if base == "" || head == "" {
		return nil, fmt.Errorf("%s: base and head must not be empty", activity)
	}
	cmp, resp, err := r.client.Repositories.CompareCommits(ctx, r.owner, r.name, base, head, nil)
	if err != nil {
		if statusOf(resp) == http.StatusNotFound {
			return nil, fmt.Errorf("%s: %w: %w", activity, ErrRefNotFound, err)
		}
		return nil, fmt.Errorf("%s: %w", activity, err)
	}
	out := make([]CommitSummary, 0, len(cmp.Commits))
	for _, c := range cmp.Commits {
		msg, _, _ := strings.Cut(c.GetCommit().GetMessage(), "\n")
		out = append(out, CommitSummary{SHA: c.GetSHA(), Message: strings.TrimSpace(msg), Author: c.GetAuthor().GetLogin()})
	}
	return out, nil
}

// ReactToComment adds reaction content (one of GitHub's: +1, -1, laugh,
// confused, heart, hooray, rocket, eyes) to issue comment commentID as the
// App. Reacting again with the same content is not an error. A deleted
// comment yields an error wrapping ErrCommentGone.
func (r *Repo) ReactToComment(ctx context.Context, commentID int64, content string) error {
	activity := fmt.Sprintf("react %q to comment %d on %s", content, commentID, r.FullName())
	if !reactions[content] {
		return fmt.Errorf("%s: GitHub has no such reaction", activity)
	}
	_, resp, err := r.client.Reactions.CreateIssueCommentReaction(ctx, r.owner, r.name, commentID, content)
	if err != nil {
		if statusOf(resp) == http.StatusNotFound {
			return fmt.Errorf("%s: %w: %w", activity, ErrCommentGone, err)
		}
		return fmt.Errorf("%s: %w", activity, err)
	}
	return nil
}
