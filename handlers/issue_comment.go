package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/command"
	"github.com/golive-dev/golive/bot/deploy"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/tracking"
)

// Planner makes an issue a go-live from a `/golive plan` comment.
type Planner interface {
	Plan(ctx context.Context, c tracking.PlanCommand) error
}

// Commands runs /golive commands (deploy.Service implements it).
type Commands interface {
	Run(ctx context.Context, req deploy.Request) error
	Answer(ctx context.Context, req deploy.Request, text string, isHelp bool) error
}

// IssueCommentHandler takes `issue_comment` events on issues and pull
// requests. Only newly created comments count — edits and deletions are
// ignored, and so are bots unless AllowedBots names them — and only the
// comment's first line, which must start with `/golive` (see package
// command).
type IssueCommentHandler struct {
	Planner  Planner
	Commands Commands
	// AllowedBots are bot logins ("deploy-bot[bot]") whose comments run
	// commands.
	AllowedBots []string
}

// Handles implements inbox.EventHandler.
func (*IssueCommentHandler) Handles() []string { return []string{"issue_comment"} }

// Handle parses the comment and runs its command.
func (h *IssueCommentHandler) Handle(ctx context.Context, _, deliveryID string, payload []byte) error {
	// Decoded as sent, so the command grammar refuses a null byte in it;
	// what is kept or shown of the comment and issue goes through noNUL.
	var e github.IssueCommentEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return inbox.Permanent(fmt.Errorf("parse issue_comment payload: %w", err))
	}
	sender := e.GetSender()
	if e.GetAction() != "created" || (sender.GetType() == "Bot" && !slices.Contains(h.AllowedBots, sender.GetLogin())) {
		return nil
	}
	body := strings.ReplaceAll(e.GetComment().GetBody(), "\r\n", "\n")
	res := command.ParseComment(body)
	if res.Ignore {
		return nil
	}
	is, repo := e.GetIssue(), e.GetRepo()
	if e.GetInstallation().GetID() == 0 {
		// A repository webhook's delivery, not the App's: nothing to act as.
		logging.From(ctx).Warn("issue_comment event without an installation ignored")
		return nil
	}
	if repo.GetID() == 0 || is.GetNumber() == 0 {
		return inbox.Permanent(fmt.Errorf("issue_comment event without repository or issue"))
	}
	if h.Commands == nil && (res.Command == nil || res.Command.Verb != command.VerbPlan) {
		return nil // this server runs /golive plan only
	}
	first := firstCommandLine(body)
	// The command's effects are keyed by its comment, not by the delivery:
	// GitHub signs the body but not X-GitHub-Delivery, so a delivery sent
	// again under a new id is the same command and must not run again.
	if id := e.GetComment().GetID(); id != 0 {
		deliveryID = fmt.Sprintf("comment-%d", id)
	}
	req := deploy.Request{
		Surface: deploy.SurfaceGitHub, DeliveryID: deliveryID, Text: noNUL(first),
		InstallationID: e.GetInstallation().GetID(), RepoID: repo.GetID(), Repo: repo.GetFullName(),
		Sender: sender.GetLogin(), IssueNumber: is.GetNumber(), IsPR: is.IsPullRequest(), CommentID: e.GetComment().GetID(),
	}
	if res.Command == nil {
		return h.Commands.Answer(ctx, req, res.Reply, res.Reply == command.Help())
	}
	if res.Command.Verb == command.VerbPlan && !req.IsPR {
		c := tracking.PlanCommand{
			DeliveryID: deliveryID, InstallationID: req.InstallationID, RepoID: req.RepoID, Repo: req.Repo,
			Number: req.IssueNumber, IssueBody: noNUL(is.GetBody()), Sender: req.Sender, UpdatedAt: is.GetUpdatedAt().Time,
			Args: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(req.Text, "/golive")), "plan")),
		}
		for _, l := range is.Labels {
			c.Labels = append(c.Labels, l.GetName())
		}
		return h.Planner.Plan(ctx, c)
	}
	req.Command = *res.Command
	return h.Commands.Run(ctx, req)
}

// firstCommandLine is the comment's line starting with /golive, as typed.
func firstCommandLine(body string) string {
	for _, line := range strings.Split(body, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "/golive") {
			return t
		}
	}
	return ""
}

// WorkflowRunHandler takes `workflow_run` events: the runs of deploys golive
// dispatched.
type WorkflowRunHandler struct {
	Runs interface {
		HandleRun(ctx context.Context, ev deploy.RunEvent) error
	}
}

// Handles implements inbox.EventHandler.
func (*WorkflowRunHandler) Handles() []string { return []string{"workflow_run"} }

// Handle passes the run on.
func (h *WorkflowRunHandler) Handle(ctx context.Context, _, _ string, payload []byte) error {
	var e github.WorkflowRunEvent
	if err := decodePayload(payload, &e); err != nil {
		return inbox.Permanent(fmt.Errorf("parse workflow_run payload: %w", err))
	}
	run := e.GetWorkflowRun()
	if e.GetRepo().GetID() == 0 || run.GetID() == 0 {
		return inbox.Permanent(fmt.Errorf("workflow_run event without repository or run"))
	}
	return h.Runs.HandleRun(ctx, deploy.RunEvent{RepoID: e.GetRepo().GetID(), RunID: run.GetID(), Status: run.GetStatus(),
		Conclusion: run.GetConclusion(), DisplayTitle: run.GetDisplayTitle(), HTMLURL: run.GetHTMLURL()})
}

// DeploymentStatusHandler takes `deployment_status` events: the deployments
// golive's deploy workflows report.
type DeploymentStatusHandler struct {
	Deployments interface {
		HandleDeploymentStatus(ctx context.Context, ev deploy.DeploymentEvent) error
	}
}

// Handles implements inbox.EventHandler.
func (*DeploymentStatusHandler) Handles() []string { return []string{"deployment_status"} }

// Handle passes the status on.
func (h *DeploymentStatusHandler) Handle(ctx context.Context, _, _ string, payload []byte) error {
	var e github.DeploymentStatusEvent
	if err := decodePayload(payload, &e); err != nil {
		return inbox.Permanent(fmt.Errorf("parse deployment_status payload: %w", err))
	}
	if e.GetRepo().GetID() == 0 || e.GetDeployment().GetSHA() == "" {
		return inbox.Permanent(fmt.Errorf("deployment_status event without repository or deployment"))
	}
	st := e.GetDeploymentStatus()
	return h.Deployments.HandleDeploymentStatus(ctx, deploy.DeploymentEvent{RepoID: e.GetRepo().GetID(),
		Environment: e.GetDeployment().GetEnvironment(), SHA: e.GetDeployment().GetSHA(), State: st.GetState(), LogURL: st.GetLogURL()})
}
