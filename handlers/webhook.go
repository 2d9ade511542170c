package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/store"
)

// MaxWebhookBody is the largest webhook body golive accepts; GitHub caps
// payloads at 25 MB.
const MaxWebhookBody = 25 << 20

// Ingester commits a delivery to the durable inbox (inbox.Ingester).
type Ingester interface {
	Ingest(ctx context.Context, d store.Delivery) (inbox.IngestResult, error)
}

// DeadLetters records deliveries that can never be processed.
type DeadLetters interface {
	InsertDeadLetter(ctx context.Context, d store.Delivery, reason string) error
}

// GitHubWebhook receives GitHub webhook deliveries: it verifies the
// signature, parses just enough to route the delivery, commits it to the inbox
// and only then acknowledges it.
//
// Answers: 202 accepted (row committed); 200 duplicate delivery ID (nothing
// done); 400 missing headers or a signed body that is not a JSON object (kept
// as a dead letter); 401 bad or missing X-Hub-Signature-256; 413 body over
// MaxWebhookBody; 503 backlog full or store unavailable (GitHub records the
// failure and the redelivery sweep recovers it).
type GitHubWebhook struct {
	Secret      []byte
	Ingester    Ingester
	DeadLetters DeadLetters
	Clock       clock.Clock
	Metrics     *metrics.Metrics
	Logger      *slog.Logger
}

func (h *GitHubWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	event := r.Header.Get("X-GitHub-Event")
	id := r.Header.Get("X-GitHub-Delivery")
	log := h.Logger.With("delivery", id, "event", event)
	received := h.Clock.Now()
	answer := func(status int, outcome, msg string) {
		if h.Metrics != nil {
			h.Metrics.WebhookRequests.WithLabelValues(metricEvent(event), outcome).Inc()
		}
		writeJSON(w, status, map[string]string{"status": outcome, "message": msg})
	}

	if r.ContentLength > MaxWebhookBody {
		answer(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", MaxWebhookBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			answer(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", MaxWebhookBody))
			return
		}
		answer(http.StatusBadRequest, "unreadable", "read body: "+err.Error())
		return
	}
	if err := signature.VerifyGitHub(h.Secret, body, r.Header.Get("X-Hub-Signature-256"), r.Header.Get("X-Hub-Signature")); err != nil {
		log.Warn("webhook refused", "reason", err.Error())
		answer(http.StatusUnauthorized, "bad_signature", err.Error())
		return
	}
	if event == "" || id == "" {
		answer(http.StatusBadRequest, "malformed", "X-GitHub-Event and X-GitHub-Delivery headers are required")
		return
	}
	d := store.Delivery{ID: id, Event: event, Payload: body, ReceivedAt: received}
	env, err := readEnvelope(body)
	if err != nil {
		reason := "body is not a JSON object: " + err.Error()
		if serr := h.DeadLetters.InsertDeadLetter(r.Context(), d, reason); serr != nil {
			log.Error("record dead letter", "err", serr)
			answer(http.StatusServiceUnavailable, "store_error", "could not record the malformed delivery")
			return
		}
		log.Warn("webhook dead-lettered", "reason", reason)
		answer(http.StatusBadRequest, "malformed", reason)
		return
	}
	// A null byte cannot be kept in text on PostgreSQL (see decodePayload).
	d.Action, d.InstallationID = noNUL(env.Action), env.InstallationID

	res, err := h.Ingester.Ingest(r.Context(), d)
	if h.Metrics != nil && err == nil {
		h.Metrics.IngestSeconds.Observe(h.Clock.Now().Sub(received).Seconds())
	}
	switch {
	case errors.Is(err, inbox.ErrBacklogFull):
		w.Header().Set("Retry-After", "60")
		answer(http.StatusServiceUnavailable, "backlog_full", "too many deliveries pending; GitHub's failed delivery will be redelivered")
	case err != nil:
		log.Error("ingest delivery", "err", err)
		answer(http.StatusServiceUnavailable, "store_error", "the delivery could not be stored")
	case res == inbox.Duplicate:
		log.Info("duplicate delivery ignored")
		answer(http.StatusOK, "duplicate", "delivery already received")
	default:
		log.Debug("delivery accepted", "action", d.Action, "installation", d.InstallationID)
		answer(http.StatusAccepted, "accepted", "delivery stored")
	}
}

// knownEvents bounds the event label's values; anything else counts as "other".
var knownEvents = map[string]bool{
	"ping": true, "installation": true, "installation_repositories": true, "issues": true,
	"issue_comment": true, "pull_request": true, "workflow_run": true, "workflow_job": true,
	"deployment": true, "deployment_status": true, "deployment_protection_rule": true, "check_run": true,
}

func metricEvent(event string) string {
	if knownEvents[event] {
		return event
	}
	return "other"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
