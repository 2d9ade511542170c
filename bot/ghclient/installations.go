package ghclient

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
)

// maxListPages bounds how many pages of 100 the installation lists read:
// 10,000 installations or repositories.
const maxListPages = 100

// Installation is an installation of the App, as GET /app/installations
// lists it.
type Installation struct {
	ID           int64
	AccountID    int64
	AccountLogin string
	AccountType  string // "User" or "Organization"
	Suspended    bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// InstallationRepo is a repository an installation can access.
type InstallationRepo struct {
	ID       int64
	FullName string // owner/name
	Private  bool
}

// Installations lists every installation of the App (as the App, with its
// JWT), in GitHub's order.
func (a *Apps) Installations(ctx context.Context) ([]Installation, error) {
	opts := &github.ListOptions{PerPage: 100}
	var out []Installation
	for range maxListPages {
		list, resp, err := a.app.Apps.ListInstallations(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list the app's installations: %w", err)
		}
		for _, in := range list {
			out = append(out, Installation{
				ID: in.GetID(), AccountID: in.GetAccount().GetID(), AccountLogin: in.GetAccount().GetLogin(),
				AccountType: in.GetAccount().GetType(), Suspended: in.SuspendedAt != nil,
				CreatedAt: in.GetCreatedAt().Time.UTC(), UpdatedAt: in.GetUpdatedAt().Time.UTC(),
			})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}

// InstallationRepos lists the repositories installation id can access
// (GET /installation/repositories, as the installation).
func (a *Apps) InstallationRepos(ctx context.Context, id int64) ([]InstallationRepo, error) {
	activity := fmt.Sprintf("list the repositories of installation %d", id)
	c, err := a.Installation(id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", activity, err)
	}
	opts := &github.ListOptions{PerPage: 100}
	var out []InstallationRepo
	for range maxListPages {
		list, resp, err := c.Apps.ListRepos(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", activity, err)
		}
		for _, r := range list.Repositories {
			out = append(out, InstallationRepo{ID: r.GetID(), FullName: r.GetFullName(), Private: r.GetPrivate()})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}
