package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/config"
	"github.com/golive-dev/golive/bot/deploy"
	"github.com/golive-dev/golive/bot/digest"
	"github.com/golive-dev/golive/bot/gate"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/incident"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/oidc"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/schedules"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/slackpace"
	"github.com/golive-dev/golive/bot/status"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/tracking"
	"github.com/golive-dev/golive/handlers"
)

// serve runs the webhook server until ctx is cancelled (SIGTERM/SIGINT), then
// stops accepting requests, drains work in flight within the shutdown
// timeout, and leaves unfinished deliveries in the inbox for the next start.
func serve(ctx context.Context, env envconfig.Lookuper, stderr io.Writer) int {
	overlay, err := withDotenv(env)
	if err != nil {
		fmt.Fprintf(stderr, "golive: refusing to start: %v\n", err)
		return 2
	}
	if needsSetup(overlay) {
		// No GitHub App is configured: first-run setup (setup.go).
		return serveSetup(ctx, overlay, stderr)
	}
	cfg, err := config.Load(ctx, overlay)
	if err != nil {
		fmt.Fprintf(stderr, "golive: refusing to start: %v\n", err)
		return 2
	}
	level, _ := config.ParseLogLevel(cfg.LogLevel)
	logger := logging.New(stderr, level, cfg.LogFormat)
	if err := runServer(ctx, cfg, logger); err != nil {
		logger.Error("golive stopped", "err", err)
		return 1
	}
	return 0
}

func runServer(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	return runServerOn(ctx, cfg, logger, nil)
}

// runServerOn is runServer serving on ln, or on a new listener on
// GOLIVE_ADDR when ln is nil (first-run setup hands over its listener, so
// golive keeps its address).
func runServerOn(ctx context.Context, cfg *config.Config, logger *slog.Logger, ln net.Listener) error {
	clk := clock.System{}
	m := metrics.New()

	st, err := store.Open(ctx, cfg.DatabaseURL.Reveal())
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	if st.Dialect() == "sqlite" {
		// One process owns a SQLite file: leases left by a killed run are void.
		if err := st.ReleaseLeases(ctx); err != nil {
			return fmt.Errorf("release leases of the previous run: %w", err)
		}
	}

	apps, err := ghclient.New(ghclient.Config{
		AppID:         cfg.GitHub.AppID,
		PrivateKeyPEM: []byte(cfg.GitHub.PrivateKey.Reveal()),
		BaseURL:       cfg.GitHub.APIURL,
		Metrics:       m,
		Clock:         clk,
	})
	if err != nil {
		return fmt.Errorf("set up the GitHub App client: %w", err)
	}

	slack := slackclient.New(slackclient.Config{Token: cfg.Slack.BotToken.Reveal(), APIURL: cfg.Slack.APIURL, Metrics: m, Clock: clk})
	slackOn := cfg.Slack.BotToken.Reveal() != ""
	go checkSlack(ctx, slack, slackOn, logger)

	owner := inbox.NewOwnerID()
	tracker := &tracking.Service{Store: st, Clock: clk, Owner: owner,
		Repos: func(installationID int64, repo string) (tracking.RepoAPI, error) {
			return apps.Repo(installationID, repo)
		}}
	reminderSender := &scheduler.Dispatcher{
		Store: st, Slack: slack, Clock: clk, Owner: owner, Metrics: m, Logger: logger,
		Pace: slackpace.Options{Workspace: cfg.Slack.WorkspaceRate},
		Settings: scheduler.CachedSettings(func(ctx context.Context, g store.GoLive) (scheduler.Settings, error) {
			rc, tmpl, err := tracker.Config(ctx, g)
			if err != nil {
				return scheduler.Settings{}, err
			}
			return scheduler.Settings{Template: tmpl, Grace: rc.ReminderGrace(), Escalation: rc.Reminders.Escalation, SlackID: rc.Slack.SlackID}, nil
		}, time.Minute, clk),
		IssueURL: func(repo string, n int) string { return ghclient.IssueURL(cfg.GitHub.APIURL, repo, n) },
		Changed: func(ctx context.Context, id int64) {
			if err := tracker.Rerender(logging.With(ctx, logger), id); err != nil {
				logger.Warn("show reminder progress on the tracker", "golive", id, "err", err)
			}
		},
	}
	if slackOn {
		tracker.Threads = reminderSender
	}
	// Confirmation buttons are signed with a key only this server knows.
	confirmKey := sha256.Sum256([]byte("golive deploy confirmation\x00" + cfg.Slack.SigningSecret.Reveal()))
	commands := &deploy.Service{Store: st, Slack: slack, Checklist: tracker, Clock: clk, Logger: logger, ConfirmKey: confirmKey[:], Metrics: m,
		Repos: func(installationID int64, repo string) (deploy.RepoAPI, error) {
			return apps.Repo(installationID, repo)
		},
		Changed: func(ctx context.Context, id int64) {
			if err := tracker.Rerender(ctx, id); err != nil {
				logger.Warn("show a deploy on the tracker", "golive", id, "err", err)
			}
		}}
	incidents := &incident.Service{Store: st, Clock: clk, Owner: owner, Logger: logger, Metrics: m,
		Repos: func(installationID int64, repo string) (incident.RepoAPI, error) {
			return apps.Repo(installationID, repo)
		},
		IssueURL: func(repo string, n int) string { return ghclient.IssueURL(cfg.GitHub.APIURL, repo, n) }}
	if slackOn {
		incidents.Slack = slack
	}
	commands.Incidents = incidents
	digests := &digest.Poster{Store: st, Slack: slack, Clock: clk, Owner: owner, Logger: logger,
		Config: func(ctx context.Context, installationID int64, repo string) (*repoconfig.Config, error) {
			api, err := apps.Repo(installationID, repo)
			if err != nil {
				return nil, err
			}
			owner, name, _ := strings.Cut(repo, "/")
			cfg, _, err := repoconfig.Load(ctx, repoFetcher{api}, owner, name)
			return cfg, err
		},
		OpenOpsItems: func(ctx context.Context, r store.Repository, cfg *repoconfig.Config) (int, error) {
			api, err := apps.Repo(r.InstallationID, r.FullName)
			if err != nil {
				return 0, err
			}
			return schedules.OpenItems(ctx, st, api, r.ID, cfg)
		}}
	// golive as a custom deployment protection rule: deployments wait for
	// their go-live's checklist, and tracking approves them when it is ready.
	gates := &gate.Service{Store: st, Checklist: tracker, Clock: clk, Owner: owner, Logger: logger,
		Repos: func(installationID int64, repo string) (gate.RepoAPI, error) {
			return apps.Repo(installationID, repo)
		}}
	tracker.OnReady = gates

	pending, err := st.CountDeliveries(ctx, store.DeliveryPending)
	if err != nil {
		return fmt.Errorf("count pending deliveries: %w", err)
	}
	backlog := inbox.NewBacklog(pending, cfg.Inbox.MaxBacklog, m.InboxBacklog)
	dispatcher, err := inbox.NewDispatcher(inbox.DispatcherOptions{
		Store: st, Clock: clk, Logger: logger, Metrics: m, Backlog: backlog, Workers: cfg.Inbox.Workers,
	}, eventHandlers(cfg, st, apps, tracker, commands, gates)...)
	if err != nil {
		return err
	}
	committers := 1
	if st.Dialect() == "postgres" {
		committers = 4
	}
	ingester := inbox.NewIngester(inbox.IngesterOptions{Store: st, Backlog: backlog, Wake: dispatcher.Wake, Committers: committers})

	router := handlers.NewRouter(handlers.Routes{
		Webhook: &handlers.GitHubWebhook{
			Secret: []byte(cfg.GitHub.WebhookSecret.Reveal()), Ingester: ingester, DeadLetters: st,
			Clock: clk, Metrics: m, Logger: logger,
		},
		Slack:             &handlers.SlackVerifier{SigningSecret: []byte(cfg.Slack.SigningSecret.Reveal()), Clock: clk, Metrics: m, Logger: logger},
		SlackCommands:     &handlers.SlackCommands{Ingester: ingester, Clock: clk, Logger: logger},
		SlackInteractions: &handlers.SlackInteractions{Logger: logger, Snoozer: reminderSender, Responder: slack, Ingester: ingester, Clock: clk},
		ActionEvents:      actionEvents(cfg, commands, ingester, clk, logger),
		Status:            statusPage(cfg, st, tracker, reminderSender, clk, logger),
		Store:             st, Metrics: m, Clock: clk, Logger: logger,
	})

	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("listen on GOLIVE_ADDR %q: %w", cfg.Addr, err)
		}
	}
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	logger.Info("golive listening", "addr", ln.Addr().String(), "store", st.Dialect(),
		"github_api", cfg.GitHub.APIURL, "events", dispatcher.Events(), "pending", pending)

	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	wg.Add(3)
	go func() { defer wg.Done(); dispatcher.Run(workCtx, cfg.Inbox.ShutdownTimeout) }()
	if slackOn {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := reminderSender.Run(logging.With(workCtx, logger)); err != nil {
				logger.Error("reminders stopped", "err", err)
			}
		}()
	} else {
		logger.Warn("SLACK_BOT_TOKEN is not set: go-live reminders stay pending until it is")
	}
	go func() {
		defer wg.Done()
		tracker.RunTrackerRefresher(logging.With(workCtx, logger), 500*time.Millisecond)
	}()
	wg.Add(2)
	go func() { defer wg.Done(); commands.RunSweeper(logging.With(workCtx, logger), time.Minute) }()
	go func() { defer wg.Done(); incidents.RunAlerts(logging.With(workCtx, logger), 5*time.Second) }()
	if slackOn {
		wg.Add(1)
		go func() { defer wg.Done(); digests.Run(logging.With(workCtx, logger), 5*time.Minute) }()
	}
	// Recurring operations: the schedules of each repository's golive.yml
	// (bot/schedules); every replica runs one, each run opens once.
	operations := &schedules.Runner{Store: st, Clock: clk, Owner: owner, Logger: logger, Metrics: m,
		Repos: func(installationID int64, repo string) (schedules.RepoAPI, error) {
			return apps.Repo(installationID, repo)
		},
		IssueURL: func(repo string, n int) string { return ghclient.IssueURL(cfg.GitHub.APIURL, repo, n) }}
	if slackOn {
		operations.Slack = slack
	}
	wg.Add(1)
	go func() { defer wg.Done(); operations.Run(logging.With(workCtx, logger)) }()
	sweeper := &inbox.Sweeper{
		Source: apps, Store: st, Clock: clk, Logger: logger, Metrics: m,
		Lookback: cfg.Inbox.RedeliveryLookback, Interval: cfg.Inbox.RedeliveryInterval, MaxRedeliveries: 3,
	}
	go func() { defer wg.Done(); sweeper.Run(workCtx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", cfg.Inbox.ShutdownTimeout)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.Inbox.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil {
		logger.Warn("http shutdown", "err", serr)
	}
	ingester.Stop()
	stopWork()
	wg.Wait()
	logger.Info("golive stopped", "pending", backlog.Len())
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}

// eventHandlers are the inbox's handlers, one per event type: GitHub's
// webhook events, and the Slack requests and Action reports golive keeps in
// the inbox too. app.yml subscribes the App to exactly the GitHub events
// among them (TestAppManifestEventsHaveHandlers).
func eventHandlers(cfg *config.Config, st store.Store, apps *ghclient.Apps, tracker *tracking.Service, commands *deploy.Service, gates *gate.Service) []inbox.EventHandler {
	return []inbox.EventHandler{
		handlers.PingHandler{},
		&handlers.InstallationHandler{Store: st, Clients: apps},
		&handlers.InstallationRepositoriesHandler{Store: st},
		&handlers.IssuesHandler{Tracker: tracker},
		&handlers.IssueCommentHandler{Planner: tracker, Commands: commands, AllowedBots: cfg.CommandBots},
		&handlers.WorkflowRunHandler{Runs: commands},
		&handlers.DeploymentStatusHandler{Deployments: commands},
		&handlers.DeploymentProtectionRuleHandler{Gates: gates},
		&handlers.SlackCommandHandler{Commands: commands},
		&handlers.SlackConfirmHandler{Confirmer: commands},
		&handlers.ActionEventHandler{Events: commands},
	}
}

// checkSlack tells the operator at start whether the Slack bot token works,
// rather than at the first message golive tries to post.
func checkSlack(ctx context.Context, slack *slackclient.Client, configured bool, logger *slog.Logger) {
	if !configured {
		logger.Warn("SLACK_BOT_TOKEN is not set: golive will post nothing to Slack")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id, err := slack.AuthTest(ctx)
	if err != nil {
		logger.Error("SLACK_BOT_TOKEN was refused by Slack; golive cannot post to Slack", "err", err, "slack_error", slackclient.ErrorCode(err))
		return
	}
	logger.Info("slack connected", "team", id.Team, "bot_user", id.User)
}

// actionEvents is the endpoint golive's Action reports to. Its tokens name
// the server's public URL as their audience, so without GOLIVE_PUBLIC_URL
// the endpoint explains that instead of accepting reports.
func actionEvents(cfg *config.Config, commands *deploy.Service, ingester *inbox.Ingester, clk clock.Clock, logger *slog.Logger) http.Handler {
	if cfg.PublicURL == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "golive takes reports from its Action only when GOLIVE_PUBLIC_URL is set (it is the audience of the job's OIDC token)", http.StatusServiceUnavailable)
		})
	}
	return &handlers.ActionEvents{
		Verifier: &oidc.Verifier{Issuer: cfg.ActionsOIDCIssuer, Audience: oidc.Audience(cfg.PublicURL), Clock: clk,
			HTTP: &http.Client{Timeout: 10 * time.Second}},
		Repos:    commands,
		RunURL:   func(repo, runID string) string { return ghclient.RunURL(cfg.GitHub.APIURL, repo, runID) },
		Ingester: ingester, Clock: clk, Logger: logger,
	}
}

// statusPage is GET /status. Its checklist templates come from the
// reminders' settings cache, so a page view reads each repository's
// golive.yml at most once a minute.
func statusPage(cfg *config.Config, st store.Store, tracker *tracking.Service, reminders *scheduler.Dispatcher, clk clock.Clock, logger *slog.Logger) *handlers.StatusPage {
	return &handlers.StatusPage{
		Token: cfg.StatusToken.Reveal(), PublicURL: cfg.PublicURL, Clock: clk, Logger: logger,
		Source: &status.Builder{Store: st, Checklist: tracker, Clock: clk,
			Templates: func(ctx context.Context, g store.GoLive) (checklist.Template, error) {
				s, err := reminders.Settings(ctx, g)
				return s.Template, err
			},
			IssueURL: func(repo string, n int) string { return ghclient.IssueURL(cfg.GitHub.APIURL, repo, n) },
		},
	}
}
