// Package gate makes golive a custom deployment protection rule. GitHub asks
// it to review every workflow run's deployment to an environment the rule
// protects (the deployment_protection_rule webhook, action "requested"), and
// golive answers through the run's callback:
//
//   - the environment is locked (/golive lock) by someone other than who
//     deploys: rejected, naming the holder and the reason;
//   - the run is a deploy golive dispatched, it runs on the very ref it
//     deploys, and its commit is not the SHA golive resolved and checked
//     (the branch moved in between): rejected, naming both SHAs;
//   - no active go-live of the repository plans the environment: approved,
//     saying so — golive gates go-lives, not every deployment;
//   - the go-live's checklist is ready (tracking's Readiness, the same
//     evaluation the tracker shows): approved;
//   - otherwise the deployment waits: golive posts a progress note listing
//     what blocks it (GitHub keeps at most 10 per run, of 1,024 characters
//     each) and remembers the run; when an issue event leaves the go-live
//     ready, tracking calls GoLiveReady and golive approves every run that
//     waited for it, once.
//
// Every answer goes through the store's claim on the gate (store.ClaimGate),
// so of several replicas and redelivered events exactly one answers GitHub.
package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/deploy"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/tracking"
)

// MaxNotes is how many progress notes GitHub keeps on one run.
const MaxNotes = 10

// defaultLease is how long a claim on a gate lasts by default: long enough
// for a review call and the store reads deciding it.
const defaultLease = time.Minute

// ErrGateBusy is returned when another worker holds the claim on a pending
// gate; the event is retried later, and finds it answered or free.
var ErrGateBusy = errors.New("another worker is answering the deployment gate")

// RepoAPI is what gates need of GitHub for one repository (ghclient.Repo
// implements it).
type RepoAPI interface {
	ReviewDeploymentGate(ctx context.Context, runID int64, environment, state, comment string) error
	WorkflowRun(ctx context.Context, id int64) (ghclient.WorkflowRun, error)
}

// Checklist evaluates a go-live's checklist (tracking.Service implements it).
type Checklist interface {
	Config(ctx context.Context, g store.GoLive) (*repoconfig.Config, checklist.Template, error)
	Readiness(ctx context.Context, g store.GoLive, tmpl checklist.Template) (checklist.Readiness, error)
}

// Request is a deployment_protection_rule "requested" event: GitHub asks
// to review run RunID's deployment to Environment.
type Request struct {
	DeliveryID     string // the webhook delivery; a redelivery is the same request
	InstallationID int64
	RepoID         int64
	Repo           string // owner/name
	Environment    string
	RunID          int64
	SHA            string // the commit the run runs
	Ref            string // the ref it runs on ("refs/heads/main", or a bare name)
	Sender         string // GitHub login of who triggered the run
}

// Service answers deployment gates.
type Service struct {
	Store     store.Store
	Repos     func(installationID int64, repo string) (RepoAPI, error)
	Checklist Checklist
	Clock     clock.Clock
	// Owner names this process in claims on gates.
	Owner string
	// Lease is how long a claim on a gate lasts; default 1 min.
	Lease time.Duration
	// Logger defaults to the context's (logging.From).
	Logger *slog.Logger
}

var claimCalls atomic.Int64

func (s *Service) logger(ctx context.Context) *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return logging.From(ctx)
}

// HandleRequest answers GitHub's request to review a deployment, or records
// it to answer when the go-live is ready. A redelivered request answers
// nothing twice; a new request for a run already answered (GitHub asks
// again when the run is re-run) is answered again.
func (s *Service) HandleRequest(ctx context.Context, req Request) error {
	if req.Environment == "" || req.RunID <= 0 || req.DeliveryID == "" || req.Repo == "" {
		return fmt.Errorf("review a deployment: environment, run, delivery and repository are required (%+v)", req)
	}
	g, _, err := s.goLiveFor(ctx, req.RepoID, req.Environment)
	if err != nil {
		return err
	}
	row, _, err := s.Store.PutGate(ctx, store.Gate{
		GateKey:        store.GateKey{RepoID: req.RepoID, RunID: req.RunID, Environment: req.Environment},
		InstallationID: req.InstallationID, Repo: req.Repo, SHA: req.SHA, Ref: req.Ref, Sender: req.Sender,
		GoLiveID: g.ID, RequestID: req.DeliveryID, RequestedAt: s.Clock.Now(),
	})
	if err != nil {
		return err
	}
	if row.State != store.GatePending {
		return nil // this request was answered already
	}
	// The gate is stored before its go-live's readiness is read: a tick
	// saved after this read finds the gate pending (GoLiveReady), one saved
	// before it is seen by the read.
	return s.answer(ctx, row, req.DeliveryID)
}

// GoLiveReady approves the deployments that waited for go-live goliveID,
// once each: tracking calls it after an issue event left the go-live ready.
// It implements tracking.ReadyListener.
func (s *Service) GoLiveReady(ctx context.Context, goliveID int64) error {
	gates, err := s.Store.PendingGates(ctx, goliveID)
	if err != nil || len(gates) == 0 {
		return err
	}
	var errs []error
	for _, g := range gates {
		errs = append(errs, s.answer(ctx, g, ""))
	}
	return errors.Join(errs...)
}

// answer claims the pending gate, decides it and tells GitHub; while the
// go-live is not ready it posts a note for request noteFor ("" posts none).
func (s *Service) answer(ctx context.Context, row store.Gate, noteFor string) error {
	owner := s.Owner + "/" + strconv.FormatInt(claimCalls.Add(1), 10)
	lease := s.Lease
	if lease <= 0 {
		lease = defaultLease
	}
	g, ok, err := s.Store.ClaimGate(ctx, row.GateKey, owner, s.Clock.Now(), lease)
	if err != nil {
		return err
	}
	if !ok {
		if g.State != store.GatePending {
			return nil // answered meanwhile
		}
		return fmt.Errorf("answer the deployment of run %d of %s to %q: %w", g.RunID, g.Repo, g.Environment, ErrGateBusy)
	}
	release := func() {
		if err := s.Store.ReleaseGate(context.WithoutCancel(ctx), g.GateKey, owner); err != nil {
			s.logger(ctx).Warn("release a deployment gate", "repo", g.Repo, "run", g.RunID, "environment", g.Environment, "err", err)
		}
	}
	api, err := s.Repos(g.InstallationID, g.Repo)
	if err != nil {
		release()
		return err
	}
	v, err := s.decide(ctx, api, g)
	if err != nil {
		release()
		return err
	}
	log := s.logger(ctx).With("repo", g.Repo, "run", g.RunID, "environment", g.Environment)
	if v.state == "" {
		if noteFor != "" {
			err = s.note(ctx, api, g, noteFor, v.comment)
		}
		release()
		log.Info("deployment waits for its go-live", "golive", g.GoLiveID)
		return err
	}
	state := store.GateApproved
	if v.state == ghclient.GateRejected {
		state = store.GateRejected
	}
	detail := v.comment
	if err := api.ReviewDeploymentGate(ctx, g.RunID, g.Environment, v.state, v.comment); err != nil {
		if ghclient.IsTransient(err) {
			release()
			return err
		}
		// GitHub will not take an answer (the run was cancelled, the rule
		// removed): asking again changes nothing.
		log.Warn("GitHub refused golive's review of a deployment", "state", v.state, "err", err)
		state, detail = store.GateFailed, err.Error()
	}
	if _, err := s.Store.DecideGate(ctx, g.GateKey, owner, state, detail, s.Clock.Now()); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			// Reopened by a new request meanwhile, which is answered anew.
			log.Warn("deployment gate changed while golive answered it", "err", err)
			return nil
		}
		return err
	}
	log.Info("deployment reviewed", "state", state, "golive", g.GoLiveID)
	return nil
}

// note posts a progress note on a waiting deployment, unless request noted
// already or the run has MaxNotes.
func (s *Service) note(ctx context.Context, api RepoAPI, g store.Gate, request, text string) error {
	_, ok, err := s.Store.NoteGate(ctx, g.GateKey, request, MaxNotes)
	if err != nil || !ok {
		return err
	}
	if err := api.ReviewDeploymentGate(ctx, g.RunID, g.Environment, "", text); err != nil {
		// Taken back, so a retry of the request may post it.
		if uerr := s.Store.UnnoteGate(context.WithoutCancel(ctx), g.GateKey, request); uerr != nil {
			return errors.Join(err, uerr)
		}
		if ghclient.IsTransient(err) {
			return err
		}
		s.logger(ctx).Warn("GitHub refused a progress note", "repo", g.Repo, "run", g.RunID, "environment", g.Environment, "err", err)
	}
	return nil
}

// verdict is a decision on a gate: state ghclient.GateApproved or
// GateRejected, or "" to wait; comment says why.
type verdict struct {
	state   string
	comment string
}

// decide applies the rules of the package comment to a gate.
func (s *Service) decide(ctx context.Context, api RepoAPI, g store.Gate) (verdict, error) {
	d, ours, err := s.deployOf(ctx, api, g)
	if err != nil {
		return verdict{}, err
	}
	deployer := "@" + g.Sender
	if ours {
		deployer = d.RequestedBy
	}
	lock, held, err := s.Store.GetEnvLock(ctx, g.RepoID, g.Environment, s.Clock.Now())
	if err != nil {
		return verdict{}, err
	}
	if held && !strings.EqualFold(lock.HolderKey, deployer) {
		return reject(lockedText(g.Environment, lock)), nil
	}
	if ours && wrongSHA(g, d) {
		return reject(fmt.Sprintf("golive dispatched this run to deploy %s at %s, but the run is at %s: %s moved after golive checked it. Deploy again with `/golive deploy %s`.",
			code(d.Ref), code(short(d.SHA)), code(short(g.SHA)), code(d.Ref), g.Environment)), nil
	}
	gl, found, err := s.goLiveFor(ctx, g.RepoID, g.Environment)
	if err != nil {
		return verdict{}, err
	}
	if !found {
		return approve(fmt.Sprintf("No go-live of %s gates %s, so golive does not hold this deployment.", g.Repo, code(g.Environment))), nil
	}
	name := fmt.Sprintf("Go-live %s#%d", gl.Repo, gl.IssueNumber)
	_, tmpl, err := s.Checklist.Config(ctx, gl)
	if err != nil {
		if ghclient.IsTransient(err) {
			return verdict{}, err
		}
		return wait(fit(fmt.Sprintf("⏳ golive cannot read the checklist of %s: %s. It approves this deployment once the go-live is ready.",
			name, inert(err.Error())), nil)), nil
	}
	r, err := s.Checklist.Readiness(ctx, gl, tmpl)
	if err != nil {
		return verdict{}, err
	}
	if r.Ready {
		return approve(fmt.Sprintf("✅ %s is %s: every required checklist item is done (%d of %d items).", name, r.Decision(), r.Done, r.Total)), nil
	}
	lines := make([]string, len(r.Blocking))
	for i, t := range r.Blocking {
		line := "- " + t.Text
		if t.Owner != "" {
			line += " — " + t.Owner
		}
		lines[i] = inert(clip(line, 200))
	}
	return wait(fit(fmt.Sprintf("⏳ %s is %s: %d required checklist items are open. golive approves this deployment when they are done.\n",
		name, r.Decision(), len(r.Blocking)), lines)), nil
}

func approve(comment string) verdict {
	return verdict{state: ghclient.GateApproved, comment: fit(comment, nil)}
}
func reject(comment string) verdict {
	return verdict{state: ghclient.GateRejected, comment: fit(comment, nil)}
}
func wait(comment string) verdict { return verdict{comment: comment} }

// correlationRE finds golive's correlation id in a run's display title (see
// package deploy).
var correlationRE = regexp.MustCompile(`gl-[0-9a-f]{12}`)

// deployOf is the deploy golive dispatched that started g's run: known by
// the run, or else by the correlation id in the run's title (the run may
// ask for review before golive has seen it).
func (s *Service) deployOf(ctx context.Context, api RepoAPI, g store.Gate) (store.Deploy, bool, error) {
	d, err := s.Store.GetDeployByRun(ctx, g.RepoID, g.RunID)
	if err == nil {
		return d, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Deploy{}, false, err
	}
	run, err := api.WorkflowRun(ctx, g.RunID)
	if err != nil {
		if ghclient.IsTransient(err) {
			return store.Deploy{}, false, err
		}
		return store.Deploy{}, false, nil // gone, or not readable: not golive's as far as it can tell
	}
	cid := correlationRE.FindString(run.DisplayTitle)
	if cid == "" {
		return store.Deploy{}, false, nil
	}
	d, err = s.Store.GetDeployByCorrelation(ctx, cid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.RepoID != g.RepoID) {
		return store.Deploy{}, false, nil
	}
	return d, err == nil, err
}

// wrongSHA reports whether g's run, started by golive's deploy d, runs
// another commit than d deploys although it runs on the ref d deploys
// (golive deploys the default branch it dispatches on). A run on another ref
// than it deploys (a tag, a pull request's branch) says nothing about what
// it deploys by its own commit, and rollbacks deploy an older commit on
// purpose: neither is checked.
func wrongSHA(g store.Gate, d store.Deploy) bool {
	if d.Kind != deploy.KindDeploy || d.SHA == "" || g.SHA == "" || bareRef(g.Ref) != bareRef(d.Ref) {
		return false
	}
	return !strings.EqualFold(g.SHA, d.SHA)
}

func bareRef(ref string) string {
	for _, p := range []string{"refs/heads/", "refs/tags/"} {
		if r, ok := strings.CutPrefix(ref, p); ok {
			return r
		}
	}
	return ref
}

// goLiveFor is the repository's active go-live of env (GitHub's environment
// names ignore case), the soonest when there are several.
func (s *Service) goLiveFor(ctx context.Context, repoID int64, env string) (store.GoLive, bool, error) {
	return tracking.ActiveGoLive(ctx, s.Store, repoID, env)
}

func lockedText(env string, l store.EnvLock) string {
	reason := "no reason given"
	if l.Reason != "" {
		reason = "“" + reasonEscaper.Replace(l.Reason) + "”"
	}
	if !l.ExpiresAt.IsZero() {
		reason += " (until " + l.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	return fmt.Sprintf("🔒 %s is locked by %s: %s. golive rejects deployments to a locked environment; re-run this job after `/golive unlock %s`.",
		code(env), inert(l.Holder), reason, env)
}

// fit is head followed by as many lines as fit in GitHub's comment limit,
// and "…and N more" for the rest.
func fit(head string, lines []string) string {
	max := ghclient.MaxGateComment
	out := head
	for i, line := range lines {
		next := out + "\n" + line
		rest := ""
		if left := len(lines) - i - 1; left > 0 {
			rest = fmt.Sprintf("\n…and %d more", left)
		}
		if utf8.RuneCountInString(next+rest) > max {
			out += fmt.Sprintf("\n…and %d more", len(lines)-i)
			break
		}
		out = next
	}
	return clip(out, max)
}

// clip cuts s to at most n characters, ending with "…" when it was longer.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// inert keeps text people wrote from mentioning anyone.
func inert(s string) string { return strings.ReplaceAll(s, "@", "@\u200b") }

// reasonEscaper makes a lock reason, typed by whoever took the lock, inert
// in GitHub Markdown: no mentions, links, HTML or formatting.
var reasonEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "@", "@\u200b", "`", "'", "*", "\\*", "_", "\\_",
	"~", "\\~", "[", "\\[", "]", "\\]")

func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
