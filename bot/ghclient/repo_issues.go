package ghclient

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// CreateIssue opens an issue with title, body and labels (GitHub creates
// labels that do not exist yet) and returns its number.
func (r *Repo) CreateIssue(ctx context.Context, title, body string, labels []string) (int, error) {
	is, _, err := r.client.Issues.Create(ctx, r.owner, r.name, &github.IssueRequest{Title: &title, Body: &body, Labels: &labels})
	if err != nil {
		return 0, fmt.Errorf("open an issue in %s: %w", r.FullName(), err)
	}
	return is.GetNumber(), nil
}

// SetIssueLabels replaces the labels of issue number.
func (r *Repo) SetIssueLabels(ctx context.Context, number int, labels []string) error {
	if labels == nil {
		labels = []string{}
	}
	if _, _, err := r.client.Issues.Edit(ctx, r.owner, r.name, number, &github.IssueRequest{Labels: &labels}); err != nil {
		return fmt.Errorf("set the labels of %s#%d: %w", r.FullName(), number, err)
	}
	return nil
}

// CloseIssue closes issue number with reason "completed" or "not_planned".
func (r *Repo) CloseIssue(ctx context.Context, number int, reason string) error {
	state := "closed"
	if _, _, err := r.client.Issues.Edit(ctx, r.owner, r.name, number, &github.IssueRequest{State: &state, StateReason: &reason}); err != nil {
		return fmt.Errorf("close %s#%d: %w", r.FullName(), number, err)
	}
	return nil
}
