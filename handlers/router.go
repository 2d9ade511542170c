// Package handlers is golive's HTTP edge: each handler verifies, parses,
// enqueues and acknowledges, leaving the work to the domain in bot/. It also
// holds one inbox.EventHandler per GitHub event type.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/metrics"
)

// Pinger reports whether the store is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Routes is what the router serves.
type Routes struct {
	Webhook           *GitHubWebhook
	Slack             *SlackVerifier
	SlackCommands     http.Handler
	SlackInteractions http.Handler
	// ActionEvents takes reports from golive's GitHub Action.
	ActionEvents http.Handler
	Store        Pinger
	Metrics      *metrics.Metrics
	Clock        clock.Clock
	Logger       *slog.Logger
	// Status is the status page; nil serves none (see StatusPage).
	Status *StatusPage
}

// NewRouter maps golive's routes:
//
//	POST /webhooks/github     GitHub webhook deliveries
//	POST /slack/commands      the /golive slash command (signed)
//	POST /slack/interactions  Slack buttons (signed)
//	POST /api/actions/events  reports from golive's Action (OIDC bearer token)
//	GET  /status              the status page (see StatusPage)
//	POST /status/login        its login form
//	GET  /github/installed    where GitHub sends people after installing the App
//	GET  /healthz             the process is alive
//	GET  /readyz              the store is reachable (503 otherwise)
//	GET  /metrics             Prometheus metrics
func NewRouter(rt Routes) *mux.Router {
	r := mux.NewRouter()
	r.Handle("/webhooks/github", rt.Webhook).Methods(http.MethodPost)
	r.Handle("/slack/commands", rt.Slack.Wrap("command", rt.SlackCommands)).Methods(http.MethodPost)
	r.Handle("/slack/interactions", rt.Slack.Wrap("interaction", rt.SlackInteractions)).Methods(http.MethodPost)
	if rt.ActionEvents != nil {
		r.Handle("/api/actions/events", rt.ActionEvents).Methods(http.MethodPost)
	}
	if rt.Status != nil {
		r.HandleFunc("/status", rt.Status.Page).Methods(http.MethodGet, http.MethodHead)
		r.HandleFunc("/status/login", rt.Status.Login).Methods(http.MethodPost)
	}
	r.HandleFunc("/github/installed", installedPage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		if err := rt.Store.Ping(ctx); err != nil {
			rt.Logger.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "store unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", promhttp.HandlerFor(rt.Metrics.Registry, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	return r
}
