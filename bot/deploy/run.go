package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/incident"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/tracking"
)

// Deploy kinds.
const (
	KindDeploy   = "deploy"
	KindRollback = "rollback"
)

// deploy dispatches env's deploy workflow for the command's ref.
func (s *Service) deploy(ctx context.Context, api RepoAPI, req Request, cfg *repoconfig.Config, env repoconfig.Environment) (outcome, error) {
	c := req.Command
	ref := c.Ref
	if ref == "" && req.IsPR {
		head, err := api.PullRequestHead(ctx, req.IssueNumber)
		if err != nil {
			return outcome{}, err
		}
		if head.Fork {
			return refused("fork", fmt.Sprintf("Pull request #%d comes from a fork (%s); golive deploys branches of %s only.",
				req.IssueNumber, code(head.RepoFullName), req.Repo)), nil
		}
		ref = head.Ref
	}
	if ref == "" {
		def, err := api.DefaultBranch(ctx)
		if err != nil {
			return outcome{}, err
		}
		ref = def
	}
	sha := req.ConfirmedSHA
	if sha == "" {
		var err error
		sha, err = api.ResolveRef(ctx, ref)
		if errors.Is(err, ghclient.ErrRefNotFound) {
			return refused("unknown ref", fmt.Sprintf("%s is no branch, tag or commit of %s.", code(ref), req.Repo)), nil
		}
		if err != nil {
			return outcome{}, err
		}
	}

	g, hasGoLive, err := s.goLiveFor(ctx, req, env.Name)
	if err != nil {
		return outcome{}, err
	}
	if env.Production {
		if !hasGoLive {
			return refused("no go-live", fmt.Sprintf("Deploying to %s needs a go-live whose checklist is READY: plan one with `/golive plan` on its issue.",
				code(env.Name))), nil
		}
		r, err := s.readiness(ctx, g)
		if err != nil {
			return outcome{}, err
		}
		if !r.Ready {
			if !c.Force {
				return refused("not ready", fmt.Sprintf("%s#%d is **%s**: %d required checklist items are open. Finish them, or an admin may add `--force`.",
					req.Repo, g.IssueNumber, checklist.DecisionNotReady, len(r.Blocking))), nil
			}
			admin, err := s.isAdmin(ctx, api, req)
			if err != nil {
				return outcome{}, err
			}
			if !admin {
				return refused("force without admin", "`--force` deploys a go-live that is not READY; only repository admins may use it."), nil
			}
		}
	}
	if out, blocked, err := s.checkLock(ctx, req, env.Name); err != nil || blocked {
		return out, err
	}
	if env.Production && req.Surface == SurfaceSlack && req.ConfirmedSHA == "" {
		return s.askConfirmation(req, ref, sha)
	}
	workflow := env.Workflow
	return s.dispatch(ctx, api, req, env, KindDeploy, workflow, ref, sha, g)
}

// checkLock refuses (or queues, with --queue) a deploy while someone else
// holds env's lock.
func (s *Service) checkLock(ctx context.Context, req Request, env string) (outcome, bool, error) {
	lock, held, err := s.Store.GetEnvLock(ctx, req.RepoID, env, s.Clock.Now())
	if err != nil || !held || lock.HolderKey == req.actor() {
		return outcome{}, false, err
	}
	if req.Command.Queue {
		body, err := json.Marshal(req)
		if err != nil {
			return outcome{}, true, err
		}
		_, pos, err := s.Store.EnqueueDeploy(ctx, store.QueuedDeploy{RepoID: req.RepoID, Environment: env, Request: body,
			QueuedBy: req.actor(), QueuedAt: s.Clock.Now()})
		if err != nil {
			return outcome{}, true, err
		}
		return accepted(fmt.Sprintf("%s is locked by %s: %s. Your deploy is queued (position %d); it runs when the lock is released.",
			code(env), escape(lock.Holder), lockReason(lock), pos)), true, nil
	}
	return refused("locked by "+lock.Holder, fmt.Sprintf("%s is locked by %s: %s. Ask them to `/golive unlock %s`, or add `--queue` to deploy when it is released.",
		code(env), escape(lock.Holder), lockReason(lock), env)), true, nil
}

func lockReason(l store.EnvLock) string {
	reason := "no reason given"
	if l.Reason != "" {
		reason = "“" + escape(l.Reason) + "”"
	}
	if !l.ExpiresAt.IsZero() {
		reason += " (until " + l.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	return reason
}

// goLiveFor is the go-live a command acts for: the issue it was written on,
// else the repository's active go-live for env.
func (s *Service) goLiveFor(ctx context.Context, req Request, env string) (store.GoLive, bool, error) {
	if req.IssueNumber != 0 && !req.IsPR {
		g, err := s.Store.GetGoLive(ctx, req.RepoID, req.IssueNumber)
		if err == nil && g.State == store.GoLiveActive {
			return g, true, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return store.GoLive{}, false, err
		}
	}
	return tracking.ActiveGoLive(ctx, s.Store, req.RepoID, env)
}

// dispatch starts workflow on the default branch for sha, records the
// deploy and looks for its run for a few seconds.
func (s *Service) dispatch(ctx context.Context, api RepoAPI, req Request, env repoconfig.Environment, kind, workflow, ref, sha string, g store.GoLive) (outcome, error) {
	cid := req.correlationID()
	d, err := s.Store.GetDeployByCorrelation(ctx, cid)
	resumed := err == nil
	switch {
	case resumed && (d.State != store.DeployDispatched || d.RunID != 0):
		// This request was dispatched before (a redelivery): report it.
		return outcome{decision: store.CommandAccepted, text: s.deployText(d), deploy: &d}, nil
	case resumed:
		// Recorded without a run: an earlier attempt stopped between
		// writing the row and GitHub taking the dispatch (a crash, or the
		// dispatch failed transiently), or GitHub took it and its run was
		// not seen yet. Dispatch again, with the row's ref and SHA, only
		// when GitHub has no run for it.
		run, found, err := s.lookForRun(ctx, api, d.Workflow, d.DispatchedAt, cid)
		if err != nil {
			return outcome{}, err
		}
		if found {
			d.RunID, d.RunURL, d.State = run.ID, run.HTMLURL, store.DeployRunning
			if d, err = s.Store.UpdateDeploy(ctx, d); err != nil {
				return outcome{}, err
			}
			s.changed(ctx, d)
			return outcome{decision: store.CommandAccepted, text: s.deployText(d), deploy: &d}, nil
		}
		workflow, ref, sha = d.Workflow, d.Ref, d.SHA
	case !errors.Is(err, store.ErrNotFound):
		return outcome{}, err
	}
	branch, err := api.DefaultBranch(ctx)
	if err != nil {
		return outcome{}, err
	}
	issue := ""
	if g.ID != 0 {
		issue = strconv.Itoa(g.IssueNumber)
	}
	now := s.Clock.Now()
	if !resumed {
		d, err = s.Store.CreateDeploy(ctx, store.Deploy{CorrelationID: cid, Kind: kind, InstallationID: req.InstallationID,
			RepoID: req.RepoID, Repo: req.Repo, Environment: env.Name, Ref: ref, SHA: sha, Workflow: workflow,
			RequestedBy: req.actor(), Surface: req.Surface, GoLiveID: g.ID, IssueNumber: req.IssueNumber,
			TriggerCommentID: req.CommentID, SlackChannel: req.SlackChannel, ResponseURL: req.ResponseURL,
			State: store.DeployDispatched, DispatchedAt: now, UpdatedAt: now})
		if err != nil {
			return outcome{}, err
		}
	}
	// Inputs are validated values only: the environment and ref passed the
	// grammar, the SHA and issue come from GitHub and the store, the actor
	// is a GitHub login or Slack id.
	inputs := map[string]string{"environment": env.Name, "ref": ref, "sha": sha, "golive_issue": issue,
		"requested_by": req.actor(), "correlation_id": cid}
	if err := api.DispatchWorkflow(ctx, workflow, branch, inputs); err != nil {
		if ghclient.IsTransient(err) {
			// The row stays dispatched without a run; a retry finds it
			// by its correlation id and dispatches again unless GitHub
			// has a run for it.
			return outcome{}, err
		}
		d.State, d.Detail, d.FinishedAt = store.DeployError, err.Error(), s.Clock.Now()
		if _, uerr := s.Store.UpdateDeploy(ctx, d); uerr != nil {
			return outcome{}, uerr
		}
		s.Metrics.Dispatch(kind, metrics.DispatchFailed)
		out := refused("dispatch refused", "GitHub refused to start "+code(workflow)+": "+escape(err.Error()))
		if errors.Is(err, ghclient.ErrWorkflowNotFound) {
			out = refused("workflow not found", fmt.Sprintf("The workflow %s of %s is not on %s's default branch %s. Set `environments.%s.workflow` in `.github/golive.yml`.",
				code(workflow), code(env.Name), req.Repo, code(branch), env.Name))
		}
		out.counted = true
		return out, nil
	}
	s.Metrics.Dispatch(kind, metrics.DispatchDispatched)
	if run, ok := s.findRun(ctx, api, workflow, now, cid); ok {
		d.RunID, d.RunURL, d.State = run.ID, run.HTMLURL, store.DeployRunning
		if d, err = s.Store.UpdateDeploy(ctx, d); err != nil {
			return outcome{}, err
		}
	}
	s.changed(ctx, d)
	return outcome{decision: store.CommandAccepted, text: s.deployText(d), deploy: &d}, nil
}

// lookForRun is findRun for a dispatch that may never have reached GitHub:
// a failed look-up is an error rather than "no run", so that a transient
// failure does not lead to a second dispatch.
func (s *Service) lookForRun(ctx context.Context, api RepoAPI, workflow string, dispatched time.Time, cid string) (ghclient.WorkflowRun, bool, error) {
	wait := s.RunWait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	deadline := time.Now().Add(wait)
	for delay := 250 * time.Millisecond; ; delay = min(delay*2, 2*time.Second) {
		run, ok, err := api.FindDispatchedRun(ctx, workflow, dispatched.Add(-2*time.Minute), cid)
		if err != nil || ok {
			return run, ok, err
		}
		if time.Now().Add(delay).After(deadline) {
			return ghclient.WorkflowRun{}, false, nil
		}
		select {
		case <-ctx.Done():
			return ghclient.WorkflowRun{}, false, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// findRun looks for the run a dispatch started, for up to RunWait.
func (s *Service) findRun(ctx context.Context, api RepoAPI, workflow string, dispatched time.Time, cid string) (ghclient.WorkflowRun, bool) {
	wait := s.RunWait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	deadline := time.Now().Add(wait)
	for delay := 250 * time.Millisecond; ; delay = min(delay*2, 2*time.Second) {
		// Allow for clock skew between golive and GitHub.
		run, ok, err := api.FindDispatchedRun(ctx, workflow, dispatched.Add(-2*time.Minute), cid)
		if err == nil && ok {
			return run, true
		}
		if time.Now().Add(delay).After(deadline) {
			return ghclient.WorkflowRun{}, false
		}
		select {
		case <-ctx.Done():
			return ghclient.WorkflowRun{}, false
		case <-time.After(delay):
		}
	}
}

// deployText is a deploy's report, from dispatch to its end.
func (s *Service) deployText(d store.Deploy) string {
	what := "Deploying"
	if d.Kind == KindRollback {
		what = "Rolling back"
	}
	target := fmt.Sprintf("%s (%s) to %s", code(short(d.SHA)), code(d.Ref), code(d.Environment))
	if d.Kind == KindRollback {
		target = fmt.Sprintf("%s to %s (%s)", code(d.Environment), code(short(d.SHA)), code(d.Ref))
	}
	run := "waiting for the workflow run to start"
	if d.RunURL != "" {
		run = fmt.Sprintf("[workflow run](%s)", d.RunURL)
	}
	switch d.State {
	case store.DeploySuccess:
		return fmt.Sprintf("✅ %s %s succeeded — %s (requested by %s).", strings.TrimSuffix(what, "ing")+"ed", target, run, escape(d.RequestedBy))
	case store.DeployFailure, store.DeployCancelled, store.DeployError:
		return fmt.Sprintf("❌ %s %s: the run ended %s — %s (requested by %s).", what, target, d.State, run, escape(d.RequestedBy))
	case store.DeployTimedOut:
		return fmt.Sprintf("⚠️ %s %s: the workflow %s started no run golive could find within %s of the dispatch; check the repository's Actions tab.",
			what, target, code(d.Workflow), s.runTimeout())
	}
	return fmt.Sprintf("🚀 %s %s — %s (requested by %s, %s).", what, target, run, escape(d.RequestedBy), code(d.CorrelationID))
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func (s *Service) runTimeout() time.Duration {
	if s.RunTimeout <= 0 {
		return 10 * time.Minute
	}
	return s.RunTimeout
}

// rollback dispatches env's rollback to the last successful deployment
// before the current one (or the command's ref), then locks env.
func (s *Service) rollback(ctx context.Context, api RepoAPI, req Request, cfg *repoconfig.Config, env repoconfig.Environment) (outcome, error) {
	c := req.Command
	ds, err := api.SuccessfulDeployments(ctx, env.Name, 2)
	if err != nil {
		return outcome{}, err
	}
	ref, sha := c.Ref, ""
	switch {
	case ref != "":
		if sha, err = api.ResolveRef(ctx, ref); errors.Is(err, ghclient.ErrRefNotFound) {
			return refused("unknown ref", fmt.Sprintf("%s is no branch, tag or commit of %s.", code(ref), req.Repo)), nil
		} else if err != nil {
			return outcome{}, err
		}
	case len(ds) < 2:
		return refused("nothing to roll back to", fmt.Sprintf("%s has no successful deployment before the current one to roll back to; name one with `/golive rollback %s to REF`.",
			code(env.Name), env.Name)), nil
	default:
		ref, sha = ds[1].Ref, ds[1].SHA
	}
	undone := ""
	if len(ds) > 0 && ds[0].SHA != sha {
		commits, err := api.Compare(ctx, sha, ds[0].SHA)
		if err != nil && !errors.Is(err, ghclient.ErrRefNotFound) {
			return outcome{}, err
		}
		undone = undoneText(commits)
	}
	g, _, err := s.goLiveFor(ctx, req, env.Name)
	if err != nil {
		return outcome{}, err
	}
	workflow := env.RollbackWorkflow
	if workflow == "" {
		workflow = env.Workflow
	}
	out, err := s.dispatch(ctx, api, req, env, KindRollback, workflow, ref, sha, g)
	if err != nil || out.deploy == nil {
		return out, err
	}
	// A rollback is an emergency: it takes the lock from whoever held it,
	// so nobody deploys the undone change again by accident.
	reason := "rolled back by " + req.actor()
	if _, _, err := s.Store.ReleaseEnvLock(ctx, req.RepoID, env.Name, req.actor(), true); err != nil {
		return outcome{}, err
	}
	if _, _, err := s.Store.AcquireEnvLock(ctx, store.EnvLock{RepoID: req.RepoID, Environment: env.Name, Holder: req.actor(),
		HolderKey: req.actor(), Reason: reason}, s.Clock.Now()); err != nil {
		return outcome{}, err
	}
	out.text += fmt.Sprintf("%s\n\n🔒 %s is locked (%s) until someone runs `/golive unlock %s`.", undone, code(env.Name), escape(reason), env.Name)
	// incidents.open_on_rollback: a rollback is an incident's first sign.
	if sev := cfg.Incidents.OpenOnRollback; sev != "" && s.Incidents != nil {
		in, err := s.Incidents.Open(ctx, incident.OpenRequest{Key: "rollback:" + out.deploy.CorrelationID, InstallationID: req.InstallationID,
			RepoID: req.RepoID, Repo: req.Repo, Severity: sev, Title: fmt.Sprintf("Rollback of %s to %s", env.Name, short(sha)),
			Actor: req.actor(), GoLiveID: g.ID})
		if err != nil {
			return outcome{}, fmt.Errorf("open the incident of a rollback: %w", err)
		}
		out.text += fmt.Sprintf("\n\n🚨 Opened %s incident #%d for this rollback.", in.Severity, in.IssueNumber)
	}
	return out, nil
}

// undoneText lists the commits a rollback undoes.
func undoneText(commits []ghclient.CommitSummary) string {
	if len(commits) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n\nThis undoes %d commit(s):", len(commits))
	for i := len(commits) - 1; i >= 0 && i >= len(commits)-10; i-- {
		c := commits[i]
		fmt.Fprintf(&b, "\n- %s %s", code(short(c.SHA)), escape(c.Message))
	}
	if len(commits) > 10 {
		fmt.Fprintf(&b, "\n- …and %d more", len(commits)-10)
	}
	return b.String()
}

// lock takes env's lock for the person.
func (s *Service) lock(ctx context.Context, req Request, env repoconfig.Environment) (outcome, error) {
	c := req.Command
	now := s.Clock.Now()
	l := store.EnvLock{RepoID: req.RepoID, Environment: env.Name, Holder: req.actor(), HolderKey: req.actor(), Reason: c.Reason}
	if c.For > 0 {
		l.ExpiresAt = now.Add(c.For)
	}
	cur, ok, err := s.Store.AcquireEnvLock(ctx, l, now)
	if err != nil {
		return outcome{}, err
	}
	if !ok {
		return refused("locked by "+cur.Holder, fmt.Sprintf("%s is already locked by %s: %s.", code(env.Name), escape(cur.Holder), lockReason(cur))), nil
	}
	return accepted(fmt.Sprintf("🔒 %s is locked by %s: %s. Others' deploys are refused (or queued with `--queue`) until `/golive unlock %s`.",
		code(env.Name), escape(cur.Holder), lockReason(cur), env.Name)), nil
}

// unlock releases env's lock (its holder, or an admin) and starts the next
// queued deploy.
func (s *Service) unlock(ctx context.Context, api RepoAPI, req Request, cfg *repoconfig.Config, env repoconfig.Environment) (outcome, error) {
	admin, err := s.isAdmin(ctx, api, req)
	if err != nil {
		return outcome{}, err
	}
	released, ok, err := s.Store.ReleaseEnvLock(ctx, req.RepoID, env.Name, req.actor(), admin)
	if err != nil {
		return outcome{}, err
	}
	if !ok {
		if released.HolderKey != "" {
			return refused("locked by "+released.Holder, fmt.Sprintf("%s is locked by %s: %s. Only they or a repository admin can unlock it.",
				code(env.Name), escape(released.Holder), lockReason(released))), nil
		}
		return accepted(fmt.Sprintf("%s was not locked.", code(env.Name))), nil
	}
	text := fmt.Sprintf("🔓 %s is unlocked.", code(env.Name))
	if next, ok, err := s.startQueued(ctx, req.RepoID, env.Name); err != nil {
		return outcome{}, err
	} else if ok {
		text += fmt.Sprintf(" The next queued deploy (by %s) is starting.", escape(next))
	}
	return accepted(text), nil
}

// startQueued pops env's next queued deploy and runs it as its requester.
func (s *Service) startQueued(ctx context.Context, repoID int64, env string) (string, bool, error) {
	q, ok, err := s.Store.PopQueuedDeploy(ctx, repoID, env)
	if err != nil || !ok {
		return "", false, err
	}
	var req Request
	if err := json.Unmarshal(q.Request, &req); err != nil {
		return "", false, fmt.Errorf("read queued deploy %d: %w", q.ID, err)
	}
	req.Command.Queue = false
	req.DeliveryID += fmt.Sprintf("/queued-%d", q.ID)
	if err := s.Run(ctx, req); err != nil {
		return "", false, err
	}
	return q.QueuedBy, true, nil
}

// cancel removes the person's queued deploys of the repository.
func (s *Service) cancel(ctx context.Context, req Request) (outcome, error) {
	gone, err := s.Store.CancelQueuedDeploys(ctx, req.RepoID, req.actor())
	if err != nil {
		return outcome{}, err
	}
	if len(gone) == 0 {
		return accepted("You have no queued deploys in " + escape(req.Repo) + " to cancel."), nil
	}
	envs := make([]string, len(gone))
	for i, q := range gone {
		envs[i] = q.Environment
	}
	return accepted(fmt.Sprintf("Cancelled your %d queued deploy(s) of %s (%s).", len(gone), escape(req.Repo), codeList(envs))), nil
}

// status reports the go-live, the environments' locks and recent deploys.
func (s *Service) status(ctx context.Context, api RepoAPI, req Request, cfg *repoconfig.Config) (outcome, error) {
	var b strings.Builder
	number := req.Command.Issue
	if number == 0 && req.Surface == SurfaceGitHub {
		number = req.IssueNumber
	}
	var golives []store.GoLive
	if number != 0 {
		g, err := s.Store.GetGoLive(ctx, req.RepoID, number)
		if err == nil {
			golives = append(golives, g)
		} else if !errors.Is(err, store.ErrNotFound) {
			return outcome{}, err
		}
	} else {
		gs, err := s.Store.ListGoLives(ctx, store.GoLiveActive)
		if err != nil {
			return outcome{}, err
		}
		for _, g := range gs {
			if g.RepoID == req.RepoID {
				golives = append(golives, g)
			}
		}
	}
	fmt.Fprintf(&b, "*%s*", req.Repo)
	if len(golives) == 0 {
		if number != 0 {
			fmt.Fprintf(&b, " #%d is not a go-live.", number)
		} else {
			b.WriteString(": no active go-live.")
		}
	}
	for _, g := range golives {
		r, err := s.readiness(ctx, g)
		if err != nil {
			return outcome{}, err
		}
		fmt.Fprintf(&b, "\nGo-live #%d → %s at %s (%s): **%s**, %d of %d items done, %d required open.", g.IssueNumber,
			code(g.Environment), g.At.UTC().Format("2006-01-02 15:04 UTC"), g.State, r.Decision(), r.Done, r.Total, len(r.Blocking))
	}
	for _, name := range cfg.EnvironmentNames() {
		line := "\n" + code(name) + ": "
		if l, held, err := s.Store.GetEnvLock(ctx, req.RepoID, name, s.Clock.Now()); err != nil {
			return outcome{}, err
		} else if held {
			line += "🔒 locked by " + escape(l.Holder) + ", " + lockReason(l) + "; "
		}
		ds, err := s.Store.LatestDeploys(ctx, req.RepoID, name, 1)
		if err != nil {
			return outcome{}, err
		}
		if len(ds) == 0 {
			line += "no deploy by golive yet"
		} else {
			d := ds[0]
			line += fmt.Sprintf("last %s %s of %s by %s", d.Kind, d.State, code(short(d.SHA)), escape(d.RequestedBy))
		}
		b.WriteString(line)
	}
	return accepted(b.String()), nil
}

// Finished reports a deploy's end on its surfaces: the reply comment and a
// reaction on GitHub, the response_url in Slack, and the go-live's thread.
func (s *Service) finished(ctx context.Context, d store.Deploy) error {
	// Called once per deploy, as it turns finished.
	s.Metrics.DeployRunEnded(d.Kind, string(d.State))
	if err := s.tickOnSuccess(ctx, d); err != nil {
		return err
	}
	s.changed(ctx, d)
	text := s.deployText(d)
	if d.Surface == SurfaceGitHub && d.IssueNumber != 0 {
		api, err := s.Repos(d.InstallationID, d.Repo)
		if err != nil {
			return err
		}
		if d.ReplyCommentID != 0 {
			if err := api.EditComment(ctx, d.ReplyCommentID, text); err != nil && !errors.Is(err, ghclient.ErrCommentGone) {
				return err
			}
		}
		if d.TriggerCommentID != 0 {
			reaction := "rocket"
			if d.State != store.DeploySuccess {
				reaction = "-1"
			}
			if err := api.ReactToComment(ctx, d.TriggerCommentID, reaction); err != nil && !errors.Is(err, ghclient.ErrCommentGone) {
				return err
			}
		}
	}
	if d.Surface == SurfaceSlack && d.ResponseURL != "" {
		// Replaces the deploy's first answer, so the channel shows one
		// message per deploy, updated in place.
		if err := s.Slack.Respond(ctx, d.ResponseURL, slackclient.Response{Text: text, ResponseType: "in_channel", ReplaceOriginal: true}); err != nil {
			s.logger().Warn("report a deploy through its response_url", "deploy", d.CorrelationID, "err", err)
		}
	}
	if d.GoLiveID != 0 {
		g, err := s.Store.GetGoLiveByID(ctx, d.GoLiveID)
		if err == nil && g.SlackThreadTS != "" {
			if _, _, err := s.Slack.PostMessage(ctx, slackclient.Message{Channel: g.SlackChannelID, ThreadTS: g.SlackThreadTS, Text: text}); err != nil {
				s.logger().Warn("report a deploy in the go-live's thread", "deploy", d.CorrelationID, "err", err)
			}
		}
	}
	return nil
}

// tickOnSuccess ticks the go-live's items the environment names in
// tick_on_success when a deploy (not a rollback) to it succeeded.
func (s *Service) tickOnSuccess(ctx context.Context, d store.Deploy) error {
	if d.State != store.DeploySuccess || d.Kind != KindDeploy || d.GoLiveID == 0 {
		return nil
	}
	g, err := s.Store.GetGoLiveByID(ctx, d.GoLiveID)
	if err != nil {
		return err
	}
	cfg, _, err := s.Checklist.Config(ctx, g)
	if err != nil {
		return err
	}
	env, ok := cfg.Environment(d.Environment)
	if !ok || len(env.TickOnSuccess) == 0 {
		return nil
	}
	return s.Checklist.TickItems(ctx, g.ID, env.TickOnSuccess, d.RequestedBy, "deploy "+d.CorrelationID+" succeeded")
}

// readiness evaluates g's checklist with its repository's template.
func (s *Service) readiness(ctx context.Context, g store.GoLive) (checklist.Readiness, error) {
	_, tmpl, err := s.Checklist.Config(ctx, g)
	if err != nil {
		return checklist.Readiness{}, err
	}
	return s.Checklist.Readiness(ctx, g, tmpl)
}
