package handlers

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/tracking"
)

// IssueTracker is the go-live tracking the issues handler drives.
type IssueTracker interface {
	HandleIssue(ctx context.Context, ev tracking.IssueEvent) error
}

// IssuesHandler takes `issues` events: go-live issues become tracked
// checklists (opened, edited, labeled, closed, reopened).
type IssuesHandler struct {
	Tracker IssueTracker
}

// Handles implements inbox.EventHandler.
func (*IssuesHandler) Handles() []string { return []string{"issues"} }

// trackedActions are the issue actions that can change a go-live.
var trackedActions = map[string]bool{"opened": true, "edited": true, "labeled": true, "closed": true, "reopened": true}

// Handle parses the event and hands it to the tracker.
func (h *IssuesHandler) Handle(ctx context.Context, _, deliveryID string, payload []byte) error {
	var e github.IssuesEvent
	if err := decodePayload(payload, &e); err != nil {
		return inbox.Permanent(fmt.Errorf("parse issues payload: %w", err))
	}
	if !trackedActions[e.GetAction()] || e.GetIssue().IsPullRequest() {
		return nil
	}
	is, repo := e.GetIssue(), e.GetRepo()
	if e.GetInstallation().GetID() == 0 {
		// A repository webhook's delivery, not the App's: nothing to act as.
		logging.From(ctx).Warn("issues event without an installation ignored")
		return nil
	}
	if is.GetNumber() == 0 || repo.GetID() == 0 {
		return inbox.Permanent(fmt.Errorf("issues %q event without issue or repository", e.GetAction()))
	}
	ev := tracking.IssueEvent{
		DeliveryID: deliveryID, Action: e.GetAction(), InstallationID: e.GetInstallation().GetID(),
		RepoID: repo.GetID(), Repo: repo.GetFullName(), Number: is.GetNumber(), Body: is.GetBody(),
		State: is.GetState(), StateReason: is.GetStateReason(), UpdatedAt: is.GetUpdatedAt().Time,
		Sender: e.GetSender().GetLogin(), SenderIsBot: e.GetSender().GetType() == "Bot",
	}
	if e.Changes != nil && e.Changes.Body != nil {
		ev.OldBody = e.Changes.Body.From
	}
	for _, l := range is.Labels {
		ev.Labels = append(ev.Labels, l.GetName())
	}
	return h.Tracker.HandleIssue(ctx, ev)
}
