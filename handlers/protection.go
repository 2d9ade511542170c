package handlers

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/gate"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/logging"
)

// DeploymentProtectionRuleHandler takes `deployment_protection_rule`
// events: GitHub asks golive, a custom deployment protection rule of an
// environment, to review a workflow run's deployment to it (package gate).
type DeploymentProtectionRuleHandler struct {
	Gates interface {
		HandleRequest(ctx context.Context, req gate.Request) error
	}
}

// Handles implements inbox.EventHandler.
func (*DeploymentProtectionRuleHandler) Handles() []string {
	return []string{"deployment_protection_rule"}
}

// protectionRuleEvent is the webhook's payload: go-github v60's type lacks
// the sha and ref GitHub sends with it.
type protectionRuleEvent struct {
	github.DeploymentProtectionRuleEvent
	SHA string `json:"sha"`
	Ref string `json:"ref"`
}

// callbackRE takes the repository and run out of deployment_callback_url,
// ".../repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule"
// (behind /api/v3 on GitHub Enterprise Server).
var callbackRE = regexp.MustCompile(`/repos/([^/]+)/([^/]+)/actions/runs/([0-9]+)/deployment_protection_rule/?$`)

// Handle parses the request and hands it to the gates.
func (h *DeploymentProtectionRuleHandler) Handle(ctx context.Context, _, deliveryID string, payload []byte) error {
	var e protectionRuleEvent
	if err := decodePayload(payload, &e); err != nil {
		return inbox.Permanent(fmt.Errorf("parse deployment_protection_rule payload: %w", err))
	}
	if e.GetAction() != "requested" {
		return nil
	}
	if e.GetInstallation().GetID() == 0 {
		// A repository webhook's delivery, not the App's: nothing to act as.
		logging.From(ctx).Warn("deployment_protection_rule event without an installation ignored")
		return nil
	}
	repo := e.GetRepo()
	if repo.GetID() == 0 || repo.GetFullName() == "" || e.GetEnvironment() == "" {
		return inbox.Permanent(fmt.Errorf("deployment_protection_rule event without repository or environment"))
	}
	runID, err := callbackRun(e.GetDeploymentCallbackURL(), repo.GetFullName())
	if err != nil {
		return inbox.Permanent(fmt.Errorf("deployment_protection_rule event: %w", err))
	}
	// sha and ref are the run's, "always populated"; older payloads carry
	// them only on the deployment.
	sha, ref := e.SHA, e.Ref
	if sha == "" {
		sha = e.GetDeployment().GetSHA()
	}
	if ref == "" {
		ref = e.GetDeployment().GetRef()
	}
	return h.Gates.HandleRequest(ctx, gate.Request{DeliveryID: deliveryID, InstallationID: e.GetInstallation().GetID(),
		RepoID: repo.GetID(), Repo: repo.GetFullName(), Environment: e.GetEnvironment(), RunID: runID,
		SHA: sha, Ref: ref, Sender: e.GetSender().GetLogin()})
}

// callbackRun is the run of a deployment_callback_url, which must name
// repository fullName.
func callbackRun(callback, fullName string) (int64, error) {
	u, err := url.Parse(callback)
	if err != nil || callback == "" {
		return 0, fmt.Errorf("deployment_callback_url %q is no URL", callback)
	}
	m := callbackRE.FindStringSubmatch(u.Path)
	if m == nil {
		return 0, fmt.Errorf("deployment_callback_url %q names no workflow run", callback)
	}
	if !strings.EqualFold(m[1]+"/"+m[2], fullName) {
		return 0, fmt.Errorf("deployment_callback_url %q is not of repository %s", callback, fullName)
	}
	id, err := strconv.ParseInt(m[3], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("deployment_callback_url %q names no workflow run", callback)
	}
	return id, nil
}
