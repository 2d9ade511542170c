// Package deploy runs /golive commands from GitHub comments and Slack:
// it authorizes the person, records every command in the audit log,
// dispatches the repository's own deploy and rollback workflows on the
// default branch, follows their runs to the end and reports back in place.
// Environment locks and the deploy queue live in the store, so several
// replicas may run it.
package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/command"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// RepoAPI is what commands need of GitHub for one repository
// (ghclient.Repo implements it).
type RepoAPI interface {
	File(ctx context.Context, owner, repo, path string) ([]byte, bool, error)
	Permission(ctx context.Context, user string) (string, error)
	CreateComment(ctx context.Context, number int, body string) (int64, error)
	EditComment(ctx context.Context, id int64, body string) error
	Comments(ctx context.Context, number int) ([]ghclient.Comment, error)
	DefaultBranch(ctx context.Context) (string, error)
	ResolveRef(ctx context.Context, ref string) (string, error)
	PullRequestHead(ctx context.Context, number int) (ghclient.PRHead, error)
	DispatchWorkflow(ctx context.Context, workflowFile, ref string, inputs map[string]string) error
	FindDispatchedRun(ctx context.Context, workflowFile string, createdAfter time.Time, displayTitleContains string) (ghclient.WorkflowRun, bool, error)
	SuccessfulDeployments(ctx context.Context, environment string, limit int) ([]ghclient.Deployment, error)
	Compare(ctx context.Context, base, head string) ([]ghclient.CommitSummary, error)
	ReactToComment(ctx context.Context, commentID int64, content string) error
}

// Slack is what commands need of Slack (slackclient.Client implements it).
type Slack interface {
	Respond(ctx context.Context, responseURL string, r slackclient.Response) error
	PostMessage(ctx context.Context, m slackclient.Message) (ts, channelID string, err error)
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// Readiness evaluates a go-live's checklist and ticks its items
// (tracking.Service implements it).
type Readiness interface {
	Config(ctx context.Context, g store.GoLive) (*repoconfig.Config, checklist.Template, error)
	Readiness(ctx context.Context, g store.GoLive, tmpl checklist.Template) (checklist.Readiness, error)
	TickItems(ctx context.Context, goliveID int64, ids []string, actor, why string) error
}

// Surfaces a command comes from.
const (
	SurfaceGitHub = "github"
	SurfaceSlack  = "slack"
)

// Request is one command to run, from either surface.
type Request struct {
	Surface    string
	DeliveryID string // the inbox delivery (for a comment, "comment-<id>"); makes the command's effects idempotent
	Text       string // as typed, for the audit log
	Command    command.Command

	InstallationID int64
	RepoID         int64
	Repo           string // owner/name

	// GitHub: the comment's author, issue or pull request, and comment.
	Sender      string
	IssueNumber int
	IsPR        bool
	CommentID   int64

	// Slack: the user, channel and response_url.
	SlackUser    string
	SlackChannel string
	ResponseURL  string
	// ConfirmedSHA: the person confirmed this production deploy of exactly
	// this commit (see Confirm).
	ConfirmedSHA string
}

// actor is who asked, as the audit log and locks show them.
func (r Request) actor() string {
	if r.Surface == SurfaceSlack {
		return "slack:" + r.SlackUser
	}
	return "@" + r.Sender
}

// correlationID names the dispatch a request makes; a redelivered command
// makes the same one, so it is dispatched once.
func (r Request) correlationID() string {
	sum := sha256.Sum256([]byte(r.Surface + "\x00" + r.DeliveryID))
	return "gl-" + hex.EncodeToString(sum[:6])
}

// Service runs commands.
type Service struct {
	Store     store.Store
	Repos     func(installationID int64, repo string) (RepoAPI, error)
	Slack     Slack
	Checklist Readiness
	Clock     clock.Clock
	Logger    *slog.Logger
	// RunWait is how long a dispatch looks for the run it started before
	// answering without its link (the run is found later from its
	// workflow_run event). Default 5 s.
	RunWait time.Duration
	// RunTimeout is how long after a dispatch a run that never appeared is
	// reported as timed out. Default 10 min.
	RunTimeout time.Duration
	// ConfirmKey signs the confirmation buttons of Slack production
	// deploys.
	ConfirmKey []byte
	// Changed, when set, is told when a go-live's deploy started or moved
	// on, so its tracker comment can show it.
	Changed func(ctx context.Context, goliveID int64)
	// Incidents runs the incident commands; nil refuses them.
	Incidents Incidents
	// Metrics, when set, counts dispatches and their runs' ends.
	Metrics *metrics.Metrics
}

func (s *Service) changed(ctx context.Context, d store.Deploy) {
	if s.Changed != nil && d.GoLiveID != 0 {
		s.Changed(ctx, d.GoLiveID)
	}
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// outcome is what a command came to, for the reply and the audit log.
type outcome struct {
	decision string // store.CommandAccepted, CommandRefused, CommandError
	reason   string // for the audit log
	text     string // the reply, Markdown/mrkdwn-safe
	// deploy: the reply is the start of a run that reports again later.
	deploy *store.Deploy
	// blocks: Slack blocks for the reply (a confirmation button).
	blocks []slack.Block
	// counted: the dispatch counted this outcome already (metrics).
	counted bool
}

func refused(reason, text string) outcome {
	return outcome{decision: store.CommandRefused, reason: reason, text: text}
}

func accepted(text string) outcome { return outcome{decision: store.CommandAccepted, text: text} }

// Run runs one request: 👀 on the comment, the command, its audit entry, the
// reply. Errors are transient (the inbox retries); what the person did
// wrong is a refusal, not an error.
func (s *Service) Run(ctx context.Context, req Request) error {
	api, err := s.Repos(req.InstallationID, req.Repo)
	if err != nil {
		return err
	}
	if req.Surface == SurfaceGitHub && req.CommentID != 0 {
		if err := api.ReactToComment(ctx, req.CommentID, "eyes"); err != nil && !errors.Is(err, ghclient.ErrCommentGone) {
			return err
		}
	}
	out, err := s.run(ctx, api, req)
	if err != nil {
		if ghclient.IsTransient(err) {
			return err
		}
		s.logger().Error("command failed", "repo", req.Repo, "command", req.Command.Verb, "err", err)
		out = outcome{decision: store.CommandError, reason: err.Error(),
			text: "golive could not run this command: " + escape(err.Error())}
	}
	s.countCommand(req, out)
	cid := ""
	if out.deploy != nil {
		cid = out.deploy.CorrelationID
	}
	again, err := s.audit(ctx, req, out, cid)
	if err != nil {
		return err
	}
	return s.reply(ctx, api, req, out, again)
}

// audit records the request in the command audit log, keyed by the request:
// a command handled again (its delivery retried after a crash or a failed
// call) is audited once. again reports that an earlier attempt audited it,
// and so may have replied already.
func (s *Service) audit(ctx context.Context, req Request, out outcome, cid string) (again bool, err error) {
	now := s.Clock.Now()
	a, err := s.Store.AppendCommandAudit(ctx, store.CommandAudit{At: now, Surface: req.Surface, Actor: req.actor(),
		Repo: req.Repo, Text: req.Text, Decision: out.decision, Reason: out.reason, CorrelationID: cid, DedupKey: req.correlationID()})
	if err != nil {
		return false, err
	}
	d := a.At.Sub(now)
	return d < -time.Millisecond || d > time.Millisecond, nil
}

// countCommand counts a deploy or rollback that was refused or failed;
// dispatch counts the dispatches (and GitHub refusing them) as they happen,
// so a redelivered command is not counted twice.
func (s *Service) countCommand(req Request, out outcome) {
	verb := req.Command.Verb
	if (verb != command.VerbDeploy && verb != command.VerbRollback) || out.counted {
		return
	}
	switch out.decision {
	case store.CommandRefused:
		s.Metrics.Dispatch(string(verb), metrics.DispatchRefused)
	case store.CommandError:
		s.Metrics.Dispatch(string(verb), metrics.DispatchFailed)
	}
}

// Answer posts a parser's reply (help, usage, "did you mean") to a request
// that is not a command, and audits it.
func (s *Service) Answer(ctx context.Context, req Request, text string, isHelp bool) error {
	var api RepoAPI
	if req.Surface == SurfaceGitHub {
		var err error
		if api, err = s.Repos(req.InstallationID, req.Repo); err != nil {
			return err
		}
	}
	out := outcome{decision: store.CommandRefused, reason: "not a command", text: text}
	if isHelp {
		out = accepted(text)
	}
	again, err := s.audit(ctx, req, out, "")
	if err != nil {
		return err
	}
	if req.Surface == SurfaceGitHub && req.CommentID != 0 && !isHelp {
		out.decision = store.CommandError // 😕: golive did not understand
	}
	return s.reply(ctx, api, req, out, again)
}

// reply answers on the request's surface: a comment and a reaction on
// GitHub, the response_url in Slack. again says an earlier attempt at the
// request may have answered already.
func (s *Service) reply(ctx context.Context, api RepoAPI, req Request, out outcome, again bool) error {
	switch req.Surface {
	case SurfaceGitHub:
		if out.deploy != nil && out.deploy.ReplyCommentID != 0 {
			return nil // answered before this redelivery
		}
		id, err := s.postReply(ctx, api, req, out.text, again)
		if err != nil {
			return err
		}
		if out.deploy != nil {
			d := *out.deploy
			d.ReplyCommentID = id
			if _, err := s.Store.UpdateDeploy(ctx, d); err != nil {
				return err
			}
			return nil // 🚀 or 👎 when the run ends
		}
		reaction := "rocket"
		switch out.decision {
		case store.CommandRefused:
			reaction = "-1"
		case store.CommandError:
			reaction = "confused"
		}
		if req.CommentID != 0 {
			if err := api.ReactToComment(ctx, req.CommentID, reaction); err != nil && !errors.Is(err, ghclient.ErrCommentGone) {
				return err
			}
		}
		return nil
	case SurfaceSlack:
		if req.ResponseURL == "" {
			return nil
		}
		resp := slackclient.Response{Text: out.text, Blocks: out.blocks}
		if out.deploy != nil {
			resp.ResponseType = "in_channel"
		}
		if err := s.Slack.Respond(ctx, req.ResponseURL, resp); err != nil {
			// A response_url lives 30 minutes; an expired one is no
			// reason to run the command again.
			s.logger().Warn("answer a slack command", "err", err)
		}
		return nil
	}
	return fmt.Errorf("answer a command from %q: unknown surface", req.Surface)
}

// replyMarker starts golive's reply to a request on GitHub. It names the
// request by its correlation id (a queued deploy that starts later is a
// request of its own, with a reply of its own).
func replyMarker(req Request) string { return "<!-- golive:reply " + req.correlationID() + " -->" }

// postReply posts text as the request's reply on its issue, unless an
// earlier attempt at the request did: an attempt cut short after posting
// (a crash, or a failure of the reaction that follows) is tried again by
// the inbox, and its reply is then found by its marker, not posted twice.
// Only a request handled again (again) looks: the first attempt audits the
// request before it replies, so a later one knows.
func (s *Service) postReply(ctx context.Context, api RepoAPI, req Request, text string, again bool) (int64, error) {
	marker := replyMarker(req)
	if !again {
		return api.CreateComment(ctx, req.IssueNumber, marker+"\n"+text)
	}
	cs, err := api.Comments(ctx, req.IssueNumber)
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		if c.AuthorIsBot && strings.HasPrefix(c.Body, marker) {
			return c.ID, nil
		}
	}
	return api.CreateComment(ctx, req.IssueNumber, marker+"\n"+text)
}

// run authorizes and runs the command.
func (s *Service) run(ctx context.Context, api RepoAPI, req Request) (outcome, error) {
	c := req.Command
	owner, name, _ := strings.Cut(req.Repo, "/")
	cfg, _, err := repoconfig.Load(ctx, fetcher{api}, owner, name)
	if err != nil {
		var loadErr *repoconfig.LoadError
		if errors.As(err, &loadErr) && ghclient.IsTransient(err) {
			return outcome{}, err
		}
		return refused("configuration", "golive cannot read this repository's `.github/golive.yml`: "+escape(err.Error())), nil
	}
	switch c.Verb {
	case command.VerbStatus, command.VerbList:
		return s.status(ctx, api, req, cfg)
	case command.VerbPlan:
		return refused("plan", "Plan a go-live with `/golive plan` in a comment on its issue."), nil
	case command.VerbCancel:
		return s.cancel(ctx, req)
	case command.VerbIncident, command.VerbAck, command.VerbSeverity, command.VerbResolve:
		return s.incident(ctx, api, req)
	}
	env, ok := cfg.Environment(c.Env)
	if !ok {
		return refused("unknown environment", fmt.Sprintf("There is no environment %s; this repository has %s.",
			code(c.Env), codeList(cfg.EnvironmentNames()))), nil
	}
	if out, ok, err := s.authorize(ctx, api, req, env); err != nil || !ok {
		return out, err
	}
	switch c.Verb {
	case command.VerbDeploy:
		return s.deploy(ctx, api, req, cfg, env)
	case command.VerbRollback:
		return s.rollback(ctx, api, req, cfg, env)
	case command.VerbLock:
		return s.lock(ctx, req, env)
	case command.VerbUnlock:
		return s.unlock(ctx, api, req, cfg, env)
	}
	return outcome{}, fmt.Errorf("run %q: no such command", c.Verb)
}

// authorize checks that the person may change env: on GitHub their
// repository role (from the collaborator-permission API, never
// author_association), in Slack the environment's allowlists.
func (s *Service) authorize(ctx context.Context, api RepoAPI, req Request, env repoconfig.Environment) (outcome, bool, error) {
	switch req.Surface {
	case SurfaceGitHub:
		role, err := api.Permission(ctx, req.Sender)
		if err != nil {
			return outcome{}, false, err
		}
		if !repoconfig.Role(role).AtLeast(env.MinRole) {
			return refused("role "+role, fmt.Sprintf("@%s `%s` on %s needs at least the **%s** role on %s; you have **%s**.",
				req.Sender, req.Command.Verb, code(env.Name), env.MinRole, req.Repo, role)), false, nil
		}
		return outcome{}, true, nil
	case SurfaceSlack:
		if slices.Contains(env.SlackUsers, req.SlackUser) {
			return outcome{}, true, nil
		}
		for _, group := range env.SlackGroups {
			members, err := s.Slack.GroupMembers(ctx, group)
			if err != nil && !slackclient.IsPermanent(err) {
				return outcome{}, false, err
			}
			if err != nil {
				// A group Slack does not know cannot allow anyone.
				s.logger().Warn("read an allowlisted Slack user group", "group", group, "slack_error", slackclient.ErrorCode(err))
				continue
			}
			if slices.Contains(members, req.SlackUser) {
				return outcome{}, true, nil
			}
		}
		return refused("not on the allowlist", fmt.Sprintf("`%s` on %s needs you on its allowlist: `environments.%s.slack_users` "+
			"(or a group in `slack_groups`) in `.github/golive.yml` of %s. Read-only commands (`status`, `list`, `help`) work for everyone.",
			req.Command.Verb, code(env.Name), env.Name, req.Repo)), false, nil
	}
	return outcome{}, false, fmt.Errorf("authorize a command from %q: unknown surface", req.Surface)
}

// forceAllowed: --force is for admins only.
func (s *Service) isAdmin(ctx context.Context, api RepoAPI, req Request) (bool, error) {
	if req.Surface != SurfaceGitHub {
		return false, nil
	}
	role, err := api.Permission(ctx, req.Sender)
	return repoconfig.Role(role).AtLeast(repoconfig.RoleAdmin), err
}

// escape makes user or API text inert in GitHub Markdown and Slack mrkdwn:
// no mentions, links, HTML or formatting.
func escape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "@", "@\u200b", "`", "'", "*", "\\*", "_", "\\_", "~", "\\~", "[", "\\[", "]", "\\]")
	return r.Replace(s)
}

// code shows a validated value (environment, ref, SHA) as inline code.
func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

func codeList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = code(n)
	}
	return strings.Join(out, ", ")
}

// fetcher reads configuration files through a RepoAPI.
type fetcher struct{ api RepoAPI }

func (f fetcher) GetFile(ctx context.Context, owner, repo, path string) ([]byte, bool, error) {
	return f.api.File(ctx, owner, repo, path)
}

// ErrNoRepository: a Slack command that names no repository came from a
// channel no go-live is bound to (or several repositories' go-lives are).
var ErrNoRepository = errors.New("no repository")

// SlackRepo finds the repository a Slack command acts on: the one it names
// (among the installations' repositories), else the one whose go-lives post
// to the channel.
func (s *Service) SlackRepo(ctx context.Context, named, channelID, channelName string) (installationID, repoID int64, repo string, err error) {
	if named != "" {
		ins, err := s.Store.ListInstallations(ctx)
		if err != nil {
			return 0, 0, "", err
		}
		for _, in := range ins {
			rs, err := s.Store.ListRepositories(ctx, in.ID)
			if err != nil {
				return 0, 0, "", err
			}
			for _, r := range rs {
				if strings.EqualFold(r.FullName, named) {
					return in.ID, r.ID, r.FullName, nil
				}
			}
		}
		return 0, 0, "", fmt.Errorf("%w: golive is not installed on %s", ErrNoRepository, escape(named))
	}
	gs, err := s.Store.ListGoLives(ctx, store.GoLiveActive)
	if err != nil {
		return 0, 0, "", err
	}
	found := map[int64]store.GoLive{}
	for _, g := range gs {
		if g.SlackChannelID == channelID || g.SlackChannel == channelID || strings.EqualFold(g.SlackChannel, "#"+channelName) {
			found[g.RepoID] = g
		}
	}
	if len(found) == 0 {
		// An incident channel: the repositories of its open incidents.
		ins, err := s.Store.ListIncidents(ctx, 0, time.Time{})
		if err != nil {
			return 0, 0, "", err
		}
		for _, in := range ins {
			if in.State != store.IncidentResolved && in.SlackChannelID == channelID {
				found[in.RepoID] = store.GoLive{InstallationID: in.InstallationID, RepoID: in.RepoID, Repo: in.Repo}
			}
		}
	}
	if len(found) != 1 {
		what := "no go-live or open incident posts to this channel"
		if len(found) > 1 {
			what = "go-lives of several repositories post to this channel"
		}
		return 0, 0, "", fmt.Errorf("%w: %s; name the repository, as in `/golive owner/repo status`", ErrNoRepository, what)
	}
	for _, g := range found {
		return g.InstallationID, g.RepoID, g.Repo, nil
	}
	panic("unreachable")
}
