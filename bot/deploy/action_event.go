package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/golive-dev/golive/bot/slackclient"
)

// Kinds of ActionEvent.
const (
	ActionReport = "report" // a deploy workflow finished
	ActionWatch  = "watch"  // a rollback trigger tripped after a deploy
)

// ActionEvent is what golive's GitHub Action tells the server about a
// workflow run, so the go-live's Slack thread and checklist follow deploys
// golive did not dispatch itself. Repo, RunID and Actor come from the job's
// verified OIDC token; the rest is the Action's inputs.
type ActionEvent struct {
	Kind           string
	InstallationID int64
	RepoID         int64
	Repo           string // owner/name
	RunID          string
	RunURL         string
	Actor          string

	Issue       int    // the go-live issue; 0: the active go-live of Environment
	Environment string // the deploy's environment
	SHA         string

	// report
	Outcome         string // success, failure or cancelled
	DurationSeconds int64  // -1: unknown

	// watch
	Reason   string // why the trigger tripped
	Rollback string // the rollback workflow dispatched, "" when none
}

// ErrBadActionEvent is returned for events that can never be handled.
var ErrBadActionEvent = errors.New("bad action event")

// HandleActionEvent brings an Action's news to the go-live: a successful
// deploy ticks the environment's tick_on_success items (audited, with the
// run), and both kinds post to the go-live's Slack thread. An event for a
// repository without an active go-live changes nothing.
func (s *Service) HandleActionEvent(ctx context.Context, ev ActionEvent) error {
	switch ev.Kind {
	case ActionReport:
		switch ev.Outcome {
		case "success", "failure", "cancelled":
		default:
			return fmt.Errorf("%w: outcome %q is not success, failure or cancelled", ErrBadActionEvent, ev.Outcome)
		}
	case ActionWatch:
	default:
		return fmt.Errorf("%w: kind %q is not report or watch", ErrBadActionEvent, ev.Kind)
	}
	g, found, err := s.goLiveFor(ctx, Request{RepoID: ev.RepoID, IssueNumber: ev.Issue}, ev.Environment)
	if err != nil {
		return fmt.Errorf("find the go-live of %q: %w", ev.Repo, err)
	}
	if !found {
		s.logger().Info("action event without an active go-live", "repo", ev.Repo, "kind", ev.Kind, "issue", ev.Issue, "environment", ev.Environment)
		return nil
	}
	actor := "@" + ev.Actor
	if ev.Kind == ActionReport && ev.Outcome == "success" && ev.Environment != "" {
		cfg, _, err := s.Checklist.Config(ctx, g)
		if err != nil {
			return fmt.Errorf("read the configuration of %q: %w", ev.Repo, err)
		}
		if env, ok := cfg.Environment(ev.Environment); ok && len(env.TickOnSuccess) > 0 {
			why := "workflow run " + ev.RunID + " deployed " + short(ev.SHA)
			if err := s.Checklist.TickItems(ctx, g.ID, env.TickOnSuccess, actor, why); err != nil {
				return fmt.Errorf("tick the items of a successful deploy: %w", err)
			}
		}
	}
	if s.Changed != nil {
		s.Changed(ctx, g.ID)
	}
	if g.SlackThreadTS == "" {
		return nil
	}
	if _, _, err := s.Slack.PostMessage(ctx, slackclient.Message{Channel: g.SlackChannelID, ThreadTS: g.SlackThreadTS, Text: actionEventText(ev)}); err != nil {
		return fmt.Errorf("post an action event to the go-live's thread: %w", err)
	}
	return nil
}

// actionEventText is the Slack thread's line for an event.
func actionEventText(ev ActionEvent) string {
	run := "a workflow run"
	if ev.RunURL != "" {
		run = fmt.Sprintf("[workflow run %s](%s)", escape(ev.RunID), ev.RunURL)
	}
	env := "an environment"
	if ev.Environment != "" {
		env = code(ev.Environment)
	}
	if ev.Kind == ActionWatch {
		then := "no rollback workflow was dispatched; roll back with " + code("/golive rollback "+ev.Environment) + "."
		if ev.Rollback != "" {
			then = "rollback workflow " + code(ev.Rollback) + " dispatched."
		}
		return fmt.Sprintf("🚨 Rollback trigger tripped on %s after deploying %s: %s — %s; %s", env, code(short(ev.SHA)), escape(ev.Reason), run, then)
	}
	mark := map[string]string{"success": "✅", "failure": "❌", "cancelled": "⚪"}[ev.Outcome]
	verb := map[string]string{"success": "succeeded", "failure": "failed", "cancelled": "was cancelled"}[ev.Outcome]
	took := ""
	if ev.DurationSeconds >= 0 {
		took = fmt.Sprintf(" in %s", formatSeconds(ev.DurationSeconds))
	}
	return fmt.Sprintf("%s Deploy of %s to %s %s%s — %s (by %s).", mark, code(short(ev.SHA)), env, verb, took, run, escape("@"+ev.Actor))
}

func formatSeconds(s int64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
}
