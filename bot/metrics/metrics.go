// Package metrics holds golive's Prometheus metrics. One *Metrics is made per
// process (or per test) on its own registry, so tests never share counters.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the counters, gauges and histograms golive exports on /metrics.
type Metrics struct {
	Registry *prometheus.Registry

	// Webhook ingest: deliveries by event and outcome (accepted, duplicate,
	// unsigned, bad_signature, too_large, malformed, backlog_full, store_error).
	WebhookRequests *prometheus.CounterVec
	// Deliveries processed by workers, by event and outcome (done, retry, dead).
	DeliveriesProcessed *prometheus.CounterVec
	// Pending inbox rows known to this process.
	InboxBacklog prometheus.Gauge
	// Dead-lettered deliveries.
	DeadLetters prometheus.Counter
	// Time from receipt to a committed inbox row.
	IngestSeconds prometheus.Histogram
	// Redeliveries requested by the sweep, by outcome (requested, failed).
	Redeliveries *prometheus.CounterVec

	// GitHub API calls by route template, method and status code.
	GitHubCalls *prometheus.CounterVec
	// Remaining core rate limit per installation ("app" for JWT calls).
	GitHubRateLimitRemaining *prometheus.GaugeVec
	// Waits for GitHub rate limits, by reason (retry_after, reset, secondary).
	GitHubRateLimitWaits *prometheus.CounterVec

	// Slack API calls by method and outcome (ok, error code, rate_limited).
	SlackCalls *prometheus.CounterVec
	// Slack requests to golive by kind (command, interaction) and outcome.
	SlackRequests *prometheus.CounterVec

	// Reminder occurrences settled, by outcome: sent (on time), late (sent
	// within the grace period), missed (folded into a catch-up), skipped
	// (due before the go-live existed) and failed (Slack refused for good).
	Reminders *prometheus.CounterVec
	// How long after its due time a reminder reached Slack.
	ReminderLatenessSeconds prometheus.Histogram

	// Operations worth alerting on (operations.go): deploy and rollback
	// dispatches by kind and outcome, their runs' ends by kind and
	// conclusion, incidents opened by severity, incident SLA alerts by kind
	// and outcome, scheduled runs by outcome.
	Dispatches     *prometheus.CounterVec
	DeployRuns     *prometheus.CounterVec
	Incidents      *prometheus.CounterVec
	IncidentAlerts *prometheus.CounterVec
	ScheduleRuns   *prometheus.CounterVec
}

// New builds the metrics on a fresh registry that also carries the Go runtime
// and process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: r,
		WebhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_webhook_requests_total",
			Help: "GitHub webhook requests by event and outcome.",
		}, []string{"event", "outcome"}),
		DeliveriesProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_deliveries_processed_total",
			Help: "Inbox deliveries handled by workers, by event and outcome.",
		}, []string{"event", "outcome"}),
		InboxBacklog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "golive_inbox_backlog",
			Help: "Pending inbox deliveries known to this process.",
		}),
		DeadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "golive_dead_letters_total",
			Help: "Deliveries given up on and kept as dead letters.",
		}),
		IngestSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "golive_webhook_ingest_seconds",
			Help:    "Time from receiving a webhook to its committed inbox row.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}),
		Redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_redeliveries_total",
			Help: "Redeliveries of failed GitHub deliveries requested by the sweep.",
		}, []string{"outcome"}),
		GitHubCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_github_api_calls_total",
			Help: "GitHub REST calls by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		GitHubRateLimitRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "golive_github_rate_limit_remaining",
			Help: "Remaining GitHub rate limit per installation (\"app\" for App JWT calls).",
		}, []string{"installation"}),
		GitHubRateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_github_rate_limit_waits_total",
			Help: "Waits before retrying a rate-limited GitHub call, by reason.",
		}, []string{"reason"}),
		SlackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_slack_api_calls_total",
			Help: "Slack Web API calls by method and outcome.",
		}, []string{"method", "outcome"}),
		SlackRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_slack_requests_total",
			Help: "Signed requests from Slack by kind and outcome.",
		}, []string{"kind", "outcome"}),
		Reminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "golive_reminders_total",
			Help: "Reminder occurrences settled, by outcome (sent, late, missed, skipped, failed).",
		}, []string{"outcome"}),
		ReminderLatenessSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "golive_reminder_lateness_seconds",
			Help:    "Time from a reminder's due time to its post reaching Slack.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 900},
		}),
	}
	r.MustRegister(m.WebhookRequests, m.DeliveriesProcessed, m.InboxBacklog, m.DeadLetters,
		m.IngestSeconds, m.Redeliveries, m.GitHubCalls, m.GitHubRateLimitRemaining,
		m.GitHubRateLimitWaits, m.SlackCalls, m.SlackRequests, m.Reminders, m.ReminderLatenessSeconds)
	m.addOperations()
	return m
}
