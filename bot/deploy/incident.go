package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/golive-dev/golive/bot/command"
	"github.com/golive-dev/golive/bot/incident"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

// Incidents runs incidents (incident.Service implements it).
type Incidents interface {
	Open(ctx context.Context, r incident.OpenRequest) (store.Incident, error)
	Find(ctx context.Context, repoID int64, n, onIssue int) (store.Incident, error)
	Ack(ctx context.Context, in store.Incident, actor, key string) (store.Incident, string, error)
	SetSeverity(ctx context.Context, in store.Incident, sev, actor, key string) (store.Incident, string, error)
	Resolve(ctx context.Context, in store.Incident, actor, key string) (store.Incident, string, error)
}

// incident runs incident, ack, severity and resolve. On GitHub they need
// the triage role (people who may label and close issues); in Slack anyone
// in a channel golive serves may report and handle an incident.
func (s *Service) incident(ctx context.Context, api RepoAPI, req Request) (outcome, error) {
	c := req.Command
	if s.Incidents == nil {
		return refused("incidents off", "This golive server does not run incidents."), nil
	}
	if req.Surface == SurfaceGitHub {
		role, err := api.Permission(ctx, req.Sender)
		if err != nil {
			return outcome{}, err
		}
		if !repoconfig.Role(role).AtLeast(repoconfig.RoleTriage) {
			return refused("role "+role, fmt.Sprintf("@%s `%s` needs at least the **triage** role on %s; you have **%s**.",
				req.Sender, c.Verb, req.Repo, role)), nil
		}
	}
	key := req.Surface + ":" + req.DeliveryID
	if c.Verb == command.VerbIncident {
		var goliveID int64
		if req.IssueNumber != 0 && !req.IsPR {
			if g, err := s.Store.GetGoLive(ctx, req.RepoID, req.IssueNumber); err == nil {
				goliveID = g.ID
			}
		}
		in, err := s.Incidents.Open(ctx, incident.OpenRequest{Key: key, InstallationID: req.InstallationID, RepoID: req.RepoID,
			Repo: req.Repo, Severity: c.Severity, Title: c.Title, Actor: req.actor(), GoLiveID: goliveID})
		if err != nil {
			return outcome{}, err
		}
		where := ""
		switch {
		case in.SlackThreadTS != "":
			where = ", with a thread in " + escape(in.SlackChannel)
		case in.SlackChannel != "":
			where = "; it has no Slack thread in " + escape(in.SlackChannel) + " (the issue's timeline says why)"
		}
		return accepted(fmt.Sprintf("🚨 Opened %s incident #%d: %s%s. Acknowledge it with `/golive ack #%d`.",
			in.Severity, in.IssueNumber, escape(in.Title), where, in.IssueNumber)), nil
	}
	onIssue := 0
	if req.Surface == SurfaceGitHub && !req.IsPR {
		onIssue = req.IssueNumber
	}
	in, err := s.Incidents.Find(ctx, req.RepoID, c.Issue, onIssue)
	if errors.Is(err, incident.ErrNoIncident) {
		return refused("no incident", escape(err.Error())), nil
	}
	if err != nil {
		return outcome{}, err
	}
	var text string
	switch c.Verb {
	case command.VerbAck:
		_, text, err = s.Incidents.Ack(ctx, in, req.actor(), key)
	case command.VerbSeverity:
		_, text, err = s.Incidents.SetSeverity(ctx, in, c.Severity, req.actor(), key)
	case command.VerbResolve:
		_, text, err = s.Incidents.Resolve(ctx, in, req.actor(), key)
	}
	if err != nil {
		return outcome{}, err
	}
	return accepted(text), nil
}
