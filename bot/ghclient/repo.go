package ghclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Repo is the narrow part of the GitHub API golive uses on one repository, as
// one installation. Its methods wrap go-github and describe failures with the
// activity and the repository.
type Repo struct {
	client      *github.Client
	owner, name string
}

// Repo returns the API of repository fullName ("owner/name") as installation id.
func (a *Apps) Repo(installationID int64, fullName string) (*Repo, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("repository %q is not owner/name", fullName)
	}
	c, err := a.Installation(installationID)
	if err != nil {
		return nil, err
	}
	return &Repo{client: c, owner: owner, name: name}, nil
}

// FullName is owner/name.
func (r *Repo) FullName() string { return r.owner + "/" + r.name }

// Comment is an issue comment as golive needs it.
type Comment struct {
	ID     int64
	Body   string
	Author string
	// AuthorIsBot is true for GitHub App and bot accounts.
	AuthorIsBot bool
}

// File reads path from the default branch of owner/repo (which need not be
// this repository: the owner's .github repository is read the same way). It
// reports found=false for a missing file or repository. Reads are conditional
// (ETag), so re-reading an unchanged file costs no rate limit.
func (r *Repo) File(ctx context.Context, owner, repo, path string) (data []byte, found bool, err error) {
	fc, _, resp, err := r.client.Repositories.GetContents(ctx, owner, repo, path, nil)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("read %s from %s/%s: %w", path, owner, repo, err)
	}
	if fc == nil {
		return nil, false, fmt.Errorf("read %s from %s/%s: it is a directory", path, owner, repo)
	}
	content, err := fc.GetContent()
	if err != nil {
		return nil, false, fmt.Errorf("read %s from %s/%s: decode: %w", path, owner, repo, err)
	}
	return []byte(content), true, nil
}

// SetIssueBody replaces the body of issue number.
func (r *Repo) SetIssueBody(ctx context.Context, number int, body string) error {
	_, _, err := r.client.Issues.Edit(ctx, r.owner, r.name, number, &github.IssueRequest{Body: &body})
	if err != nil {
		return fmt.Errorf("update the body of %s#%d: %w", r.FullName(), number, err)
	}
	return nil
}

// CreateComment posts a comment on issue number and returns its id.
func (r *Repo) CreateComment(ctx context.Context, number int, body string) (int64, error) {
	c, _, err := r.client.Issues.CreateComment(ctx, r.owner, r.name, number, &github.IssueComment{Body: &body})
	if err != nil {
		return 0, fmt.Errorf("comment on %s#%d: %w", r.FullName(), number, err)
	}
	return c.GetID(), nil
}

// ErrCommentGone is returned by EditComment when the comment was deleted.
var ErrCommentGone = errors.New("comment no longer exists")

// EditComment replaces the body of comment id.
func (r *Repo) EditComment(ctx context.Context, id int64, body string) error {
	_, resp, err := r.client.Issues.EditComment(ctx, r.owner, r.name, id, &github.IssueComment{Body: &body})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("edit comment %d on %s: %w", id, r.FullName(), ErrCommentGone)
		}
		return fmt.Errorf("edit comment %d on %s: %w", id, r.FullName(), err)
	}
	return nil
}

// Comments lists every comment on issue number, oldest first.
func (r *Repo) Comments(ctx context.Context, number int) ([]Comment, error) {
	var out []Comment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		cs, resp, err := r.client.Issues.ListComments(ctx, r.owner, r.name, number, opts)
		if err != nil {
			return nil, fmt.Errorf("list comments of %s#%d: %w", r.FullName(), number, err)
		}
		for _, c := range cs {
			out = append(out, Comment{ID: c.GetID(), Body: c.GetBody(), Author: c.GetUser().GetLogin(),
				AuthorIsBot: c.GetUser().GetType() == "Bot"})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// Permission returns user's role on the repository as GitHub's
// collaborator-permission API names it (role_name: admin, maintain, write,
// triage, read), or "none" when the user is not a collaborator.
func (r *Repo) Permission(ctx context.Context, user string) (string, error) {
	// go-github v60's RepositoryPermissionLevel has no role_name, so the
	// answer is decoded here.
	u := fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", r.owner, r.name, url.PathEscape(user))
	req, err := r.client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("look up %q's permission on %s: %w", user, r.FullName(), err)
	}
	var p struct {
		Permission string `json:"permission"`
		RoleName   string `json:"role_name"`
	}
	resp, err := r.client.Do(ctx, req, &p)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return "none", nil
		}
		return "", fmt.Errorf("look up %q's permission on %s: %w", user, r.FullName(), err)
	}
	if p.RoleName != "" {
		return p.RoleName, nil
	}
	return p.Permission, nil
}
