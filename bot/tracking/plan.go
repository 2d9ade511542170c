package tracking

import (
	"context"
	"fmt"
	"time"

	"github.com/golive-dev/golive/bot/issueform"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/repoconfig"
)

// PlanCommand is a `/golive plan <when> [environment]` comment on an issue.
type PlanCommand struct {
	DeliveryID     string
	InstallationID int64
	RepoID         int64
	Repo           string
	Number         int
	IssueBody      string
	Labels         []string
	Args           string // what follows "/golive plan"
	Sender         string
	UpdatedAt      time.Time // the issue's updated_at
}

// Plan makes an issue a go-live from a comment: someone with at least write
// access names the time (and environment); the answers are written into the
// issue body as form sections and the issue is tracked like one opened from
// the form. Others get a reply saying which role it needs.
func (s *Service) Plan(ctx context.Context, c PlanCommand) error {
	api, err := s.Repos(c.InstallationID, c.Repo)
	if err != nil {
		return err
	}
	role, err := api.Permission(ctx, c.Sender)
	if err != nil {
		return err
	}
	if !repoconfig.Role(role).AtLeast(repoconfig.RoleWrite) {
		logging.From(ctx).Info("plan command refused", "repo", c.Repo, "issue", c.Number, "sender", c.Sender, "role", role)
		_, err := api.CreateComment(ctx, c.Number, fmt.Sprintf("@%s `/golive plan` needs at least the **write** role on %s; you have **%s**.", c.Sender, c.Repo, role))
		return err
	}
	answers, err := issueform.ParsePlanCommand(c.Args)
	if err != nil {
		_, err := api.CreateComment(ctx, c.Number, fmt.Sprintf("@%s %s", c.Sender, err))
		return err
	}
	return s.withIssueLock(ctx, c.RepoID, c.Number, func() error {
		return s.handleIssue(ctx, IssueEvent{
			DeliveryID: c.DeliveryID, Action: "plan", InstallationID: c.InstallationID, RepoID: c.RepoID,
			Repo: c.Repo, Number: c.Number, Body: issueform.WithAnswers(c.IssueBody, answers), Labels: c.Labels,
			State: "open", Sender: c.Sender, UpdatedAt: c.UpdatedAt, planned: true, onGitHub: &c.IssueBody,
		})
	})
}
