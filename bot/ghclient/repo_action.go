package ghclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/google/go-github/v60/github"
)

// Errors of the Repo methods golive's GitHub Action uses (see
// cmd/golive/action.go). As with the deployment errors, each is wrapped
// together with go-github's error.
var (
	// ErrIssueNotFound: the repository has no such issue (or it was
	// deleted or transferred).
	ErrIssueNotFound = errors.New("issue not found")
	// ErrEnvironmentNotFound: the repository has no such deployment
	// environment.
	ErrEnvironmentNotFound = errors.New("environment not found")
	// ErrForbidden: the credentials may not read this (GitHub's 403, such
	// as a workflow's GITHUB_TOKEN listing secrets).
	ErrForbidden = errors.New("not allowed for these credentials")
)

// maxIssuePages bounds how many pages of 100 issues OpenIssues reads.
const maxIssuePages = 10

// Issue is an issue as golive's Action needs it.
type Issue struct {
	Number  int
	Title   string
	Body    string
	State   string // "open" or "closed"
	HTMLURL string
	Labels  []string
	// UpdatedAt is the issue's updated_at: the version of Body.
	UpdatedAt time.Time
}

func issueOf(is *github.Issue) Issue {
	out := Issue{Number: is.GetNumber(), Title: is.GetTitle(), Body: is.GetBody(), State: is.GetState(), HTMLURL: is.GetHTMLURL(),
		UpdatedAt: is.GetUpdatedAt().Time}
	for _, l := range is.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	return out
}

// Issue returns issue number. A number the repository has no issue for, or
// whose number belongs to a pull request, yields an error wrapping
// ErrIssueNotFound.
func (r *Repo) Issue(ctx context.Context, number int) (Issue, error) {
	activity := fmt.Sprintf("read issue %s#%d", r.FullName(), number)
	if number <= 0 {
		return Issue{}, fmt.Errorf("%s: the number is not positive", activity)
	}
	is, resp, err := r.client.Issues.Get(ctx, r.owner, r.name, number)
	if err != nil {
		if s := statusOf(resp); s == http.StatusNotFound || s == http.StatusGone {
			return Issue{}, fmt.Errorf("%s: %w: %w", activity, ErrIssueNotFound, err)
		}
		return Issue{}, fmt.Errorf("%s: %w", activity, err)
	}
	if is.IsPullRequest() {
		return Issue{}, fmt.Errorf("%s: %w: it is a pull request", activity, ErrIssueNotFound)
	}
	return issueOf(is), nil
}

// OpenIssues returns the open issues (not pull requests) carrying label,
// oldest first; at most 1,000.
func (r *Repo) OpenIssues(ctx context.Context, label string) ([]Issue, error) {
	activity := fmt.Sprintf("list the open issues of %s labelled %q", r.FullName(), label)
	if label == "" {
		return nil, fmt.Errorf("%s: the label is empty", activity)
	}
	opts := &github.IssueListByRepoOptions{
		State: "open", Labels: []string{label}, Sort: "created", Direction: "asc",
		ListOptions: github.ListOptions{PerPage: 100},
	}
	var out []Issue
	for range maxIssuePages {
		list, resp, err := r.client.Issues.ListByRepo(ctx, r.owner, r.name, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", activity, err)
		}
		for _, is := range list {
			if !is.IsPullRequest() {
				out = append(out, issueOf(is))
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// namesPage is a page of GitHub's secret or variable lists; only the names
// are read, never a value.
type namesPage struct {
	TotalCount int `json:"total_count"`
	Secrets    []struct {
		Name string `json:"name"`
	} `json:"secrets"`
	Variables []struct {
		Name string `json:"name"`
	} `json:"variables"`
}

// listNames reads every page of a secret or variable list at path (relative
// to the API root) and returns the names, sorted.
func (r *Repo) listNames(ctx context.Context, activity, path string, envNotFound bool) ([]string, error) {
	var names []string
	for page := 1; page <= maxIssuePages; page++ {
		// go-github v60 lists environment secrets and variables by
		// repository ID under /repositories/; golive calls the
		// /repos/{owner}/{repo}/ form, which GitHub documents today.
		req, err := r.client.NewRequest(http.MethodGet, fmt.Sprintf("%s?per_page=30&page=%d", path, page), nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", activity, err)
		}
		var p namesPage
		resp, err := r.client.Do(ctx, req, &p)
		if err != nil {
			switch statusOf(resp) {
			case http.StatusNotFound:
				if envNotFound {
					return nil, fmt.Errorf("%s: %w: %w", activity, ErrEnvironmentNotFound, err)
				}
			case http.StatusForbidden:
				if !IsTransient(err) {
					return nil, fmt.Errorf("%s: %w: %w", activity, ErrForbidden, err)
				}
			}
			return nil, fmt.Errorf("%s: %w", activity, err)
		}
		for _, s := range p.Secrets {
			names = append(names, s.Name)
		}
		for _, v := range p.Variables {
			names = append(names, v.Name)
		}
		if resp.NextPage == 0 {
			break
		}
	}
	sort.Strings(names)
	return names, nil
}

// EnvironmentVariableNames returns the names of environment's Actions
// variables. An environment the repository does not have yields an error
// wrapping ErrEnvironmentNotFound; credentials that may not list them, one
// wrapping ErrForbidden.
func (r *Repo) EnvironmentVariableNames(ctx context.Context, environment string) ([]string, error) {
	activity := fmt.Sprintf("list the variables of environment %q of %s", environment, r.FullName())
	if environment == "" {
		return nil, fmt.Errorf("%s: the environment is empty", activity)
	}
	return r.listNames(ctx, activity, fmt.Sprintf("repos/%s/%s/environments/%s/variables", r.owner, r.name, url.PathEscape(environment)), true)
}

// EnvironmentSecretNames returns the names of environment's Actions
// secrets (GitHub never reveals their values). Errors are as for
// EnvironmentVariableNames.
func (r *Repo) EnvironmentSecretNames(ctx context.Context, environment string) ([]string, error) {
	activity := fmt.Sprintf("list the secrets of environment %q of %s", environment, r.FullName())
	if environment == "" {
		return nil, fmt.Errorf("%s: the environment is empty", activity)
	}
	return r.listNames(ctx, activity, fmt.Sprintf("repos/%s/%s/environments/%s/secrets", r.owner, r.name, url.PathEscape(environment)), true)
}

// VariableNames returns the names of the repository's Actions variables;
// credentials that may not list them yield an error wrapping ErrForbidden.
func (r *Repo) VariableNames(ctx context.Context) ([]string, error) {
	return r.listNames(ctx, "list the variables of "+r.FullName(), fmt.Sprintf("repos/%s/%s/actions/variables", r.owner, r.name), false)
}

// SecretNames returns the names of the repository's Actions secrets;
// credentials that may not list them yield an error wrapping ErrForbidden.
func (r *Repo) SecretNames(ctx context.Context) ([]string, error) {
	return r.listNames(ctx, "list the secrets of "+r.FullName(), fmt.Sprintf("repos/%s/%s/actions/secrets", r.owner, r.name), false)
}
