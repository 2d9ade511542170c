package main

// golive reconcile: rebuilds the store's go-lives from GitHub, so that a lost
// database is recoverable. Everything a go-live is made of lives on GitHub —
// the issue (its form and its checklist with the ticks) and golive's tracker
// comment — so feeding every open go-live issue to tracking again, as an
// issue event would, rebuilds the go-live, its items and its reminders.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sethvargo/go-envconfig"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/config"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/tracking"
)

const reconcileUsage = `Usage: golive reconcile [--dry-run]

Rebuilds golive's go-lives from GitHub: for every installation of the App and
every repository it can reach, each open issue carrying the repository's
go-live label is tracked again, as an issue event would track it. Use it
after losing the database. It reads the configuration golive serve reads
(the environment and ./.env).

  --dry-run   list what would be rebuilt; write nothing to GitHub or the store

Exit status: 0 done, 1 a repository or installation failed (each is named),
2 bad usage or configuration.
`

// reconcileAction is the issue action reconcile reports an issue under.
//
// HandleIssue looks at an issue it does not know yet only when mayBeGoLive
// lets it through without an API call: the issue carries the default label,
// its body has the issue form's time heading, or the action is "labeled".
// Reconcile lists exactly the open issues carrying the repository's go-live
// label, which .github/golive.yml may name differently from the default and
// which an issue not opened from the form does not show in its body; so
// "labeled" — the label is on the issue — is the action that lets each of
// them through. HandleIssue then reads the configuration and still requires
// the configured label (hasLabel). No other action fits: "opened" or
// "edited" would drop those issues (and "edited" by a bot is ignored
// outright), and "closed" ends a go-live. "labeled" is not treated specially
// beyond that, so a known go-live is handled as any other event handles it.
const reconcileAction = "labeled"

// reconcileActor is who the audit log shows planned a rebuilt go-live, and
// who ticked the items found ticked (the person who did is not on record).
const reconcileActor = "golive"

func reconcile(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reconcileUsage) }
	dryRun := fs.Bool("dry-run", false, "list what would be rebuilt; write nothing to GitHub or the store")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "golive reconcile: unexpected argument %q\n\n%s", fs.Arg(0), reconcileUsage)
		return 2
	}
	overlay, err := withDotenv(env)
	if err != nil {
		fmt.Fprintf(stderr, "golive reconcile: %v\n", err)
		return 2
	}
	cfg, err := config.Load(ctx, overlay)
	if err != nil {
		fmt.Fprintf(stderr, "golive reconcile: %v\n", err)
		return 2
	}
	level, _ := config.ParseLogLevel(cfg.LogLevel)
	ctx = logging.With(ctx, logging.New(stderr, level, cfg.LogFormat))
	clk := clock.System{}
	apps, err := ghclient.New(ghclient.Config{AppID: cfg.GitHub.AppID, PrivateKeyPEM: []byte(cfg.GitHub.PrivateKey.Reveal()),
		BaseURL: cfg.GitHub.APIURL, Clock: clk})
	if err != nil {
		fmt.Fprintf(stderr, "golive reconcile: %v\n", err)
		return 2
	}
	r := &reconciler{apps: apps, out: stdout, dryRun: *dryRun}
	if !*dryRun {
		st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
		if err != nil {
			fmt.Fprintf(stderr, "golive reconcile: %v\n", err)
			return 1
		}
		defer st.Close()
		r.store = st
		r.tracker = &tracking.Service{Store: st, Clock: clk, Owner: "reconcile-" + inbox.NewOwnerID(),
			Repos: func(installationID int64, repo string) (tracking.RepoAPI, error) {
				return apps.Repo(installationID, repo)
			}}
	}
	if err := r.run(ctx); err != nil {
		fmt.Fprintf(stderr, "golive reconcile: %v\n", err)
		return 1
	}
	if r.failed > 0 {
		return 1
	}
	return 0
}

// reconciler walks the installations; its counters make the summary.
type reconciler struct {
	apps    *ghclient.Apps
	store   store.Store       // nil with dryRun
	tracker *tracking.Service // nil with dryRun
	out     io.Writer
	dryRun  bool

	installations, repositories, golives, failed int
}

func (r *reconciler) printf(format string, args ...any) { fmt.Fprintf(r.out, format+"\n", args...) }

// run reconciles every installation and prints the summary. Its error is
// one that stops everything (the installations cannot be listed); a failing
// installation or repository is printed and counted, and the others go on.
func (r *reconciler) run(ctx context.Context) error {
	insts, err := r.apps.Installations(ctx)
	if err != nil {
		return err
	}
	for _, in := range insts {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.installations++
		if err := r.installation(ctx, in); err != nil {
			r.failed++
			r.printf("installation %d (%s): error: %v", in.ID, in.AccountLogin, err)
		}
	}
	what := "rebuilt"
	if r.dryRun {
		what = "to rebuild (dry run: nothing was written)"
	}
	r.printf("%d installations, %d repositories, %d go-lives %s, %d errors", r.installations, r.repositories, r.golives, what, r.failed)
	return nil
}

// installation records in and its repositories, then reconciles each
// repository.
func (r *reconciler) installation(ctx context.Context, in ghclient.Installation) error {
	if !r.dryRun {
		if err := r.store.UpsertInstallation(ctx, store.Installation{ID: in.ID, AccountID: in.AccountID, AccountLogin: in.AccountLogin,
			AccountType: in.AccountType, Suspended: in.Suspended, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt}); err != nil {
			return err
		}
	}
	if in.Suspended {
		// GitHub gives a suspended installation no token.
		r.printf("installation %d (%s): suspended, its repositories are skipped", in.ID, in.AccountLogin)
		return nil
	}
	repos, err := r.apps.InstallationRepos(ctx, in.ID)
	if err != nil {
		return err
	}
	if !r.dryRun {
		rows := make([]store.Repository, len(repos))
		for i, rp := range repos {
			rows[i] = store.Repository{ID: rp.ID, InstallationID: in.ID, FullName: rp.FullName, Private: rp.Private}
		}
		if err := r.store.AddRepositories(ctx, in.ID, rows); err != nil {
			return err
		}
	}
	for _, rp := range repos {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.repositories++
		r.repository(ctx, in.ID, rp)
	}
	return nil
}

// repository tracks the repository's open go-live issues again and prints
// its line, and a line per error.
func (r *reconciler) repository(ctx context.Context, installationID int64, rp ghclient.InstallationRepo) {
	fail := func(err error) {
		r.failed++
		r.printf("%s: error: %v", rp.FullName, err)
	}
	api, err := r.apps.Repo(installationID, rp.FullName)
	if err != nil {
		fail(err)
		return
	}
	owner, name, _ := strings.Cut(rp.FullName, "/")
	cfg, _, err := repoconfig.Load(ctx, repoFetcher{api}, owner, name)
	if err != nil {
		fail(err)
		return
	}
	issues, err := api.OpenIssues(ctx, cfg.Label)
	if err != nil {
		fail(err)
		return
	}
	if len(issues) == 0 {
		r.printf("%s: no open go-live issues (label %q)", rp.FullName, cfg.Label)
		return
	}
	if r.dryRun {
		r.golives += len(issues)
		r.printf("%s: would rebuild %s (label %q)", rp.FullName, numbered(issues, nil), cfg.Label)
		return
	}
	var rebuilt, invalid, ignored []ghclient.Issue
	var errs []error
	for _, is := range issues {
		ev := tracking.IssueEvent{
			DeliveryID: fmt.Sprintf("reconcile:%s#%d", rp.FullName, is.Number), Action: reconcileAction,
			InstallationID: installationID, RepoID: rp.ID, Repo: rp.FullName, Number: is.Number,
			Body: is.Body, Labels: is.Labels, State: is.State, UpdatedAt: is.UpdatedAt, Sender: reconcileActor,
		}
		if err := r.tracker.HandleIssue(ctx, ev); err != nil {
			errs = append(errs, fmt.Errorf("#%d: %w", is.Number, err))
			continue
		}
		g, err := r.store.GetGoLive(ctx, rp.ID, is.Number)
		switch {
		case errors.Is(err, store.ErrNotFound):
			ignored = append(ignored, is)
		case err != nil:
			errs = append(errs, fmt.Errorf("#%d: %w", is.Number, err))
		case g.State == store.GoLiveActive:
			rebuilt = append(rebuilt, is)
		default:
			invalid = append(invalid, is)
		}
	}
	r.golives += len(rebuilt)
	line := fmt.Sprintf("%s: %s rebuilt", rp.FullName, numbered(rebuilt, issues))
	if len(invalid) > 0 {
		line += fmt.Sprintf("; %s not valid yet (golive's comment on the issue says what to fix)", numbered(invalid, nil))
	}
	if len(ignored) > 0 {
		line += fmt.Sprintf("; %s not a go-live", numbered(ignored, nil))
	}
	r.printf("%s", line)
	for _, err := range errs {
		fail(err)
	}
}

// numbered is "2 go-lives (#3, #5)"; with all set and nothing in issues,
// "0 of N go-lives".
func numbered(issues, all []ghclient.Issue) string {
	noun := "go-lives"
	if len(issues) == 1 {
		noun = "go-live"
	}
	if len(issues) == 0 {
		if len(all) > 0 {
			return fmt.Sprintf("0 of %d go-lives", len(all))
		}
		return "0 go-lives"
	}
	nums := make([]string, len(issues))
	for i, is := range issues {
		nums[i] = fmt.Sprintf("#%d", is.Number)
	}
	return fmt.Sprintf("%d %s (%s)", len(issues), noun, strings.Join(nums, ", "))
}
