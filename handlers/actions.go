package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"unicode"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/deploy"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/oidc"
	"github.com/golive-dev/golive/bot/store"
)

// ActionEventName is the inbox event of a report from golive's Action.
const ActionEventName = "action_event"

// ActionEvents takes reports from golive's GitHub Action (POST
// /api/actions/events). The job proves who it is with its GitHub Actions
// OIDC token as the bearer token, whose audience is golive's public URL;
// the repository, run and actor come from the token, the rest from the JSON
// body. Each report is kept in the durable inbox, keyed by run and body, so
// the Action may retry a report without it taking effect twice.
type ActionEvents struct {
	Verifier interface {
		Verify(ctx context.Context, raw string) (oidc.Claims, error)
	}
	// Repos finds an installed repository by name.
	Repos interface {
		SlackRepo(ctx context.Context, named, channelID, channelName string) (installationID, repoID int64, repo string, err error)
	}
	// RunURL is the web address of a repository's workflow run.
	RunURL   func(repo, runID string) string
	Ingester Ingester
	Clock    clock.Clock
	Logger   *slog.Logger
}

// ActionEventRequest is the JSON body the Action posts.
type ActionEventRequest struct {
	Kind            string `json:"kind"` // report or watch
	Issue           int    `json:"issue,omitempty"`
	Environment     string `json:"environment,omitempty"`
	SHA             string `json:"sha,omitempty"`
	Outcome         string `json:"outcome,omitempty"`
	DurationSeconds *int64 `json:"duration_seconds,omitempty"`
	Reason          string `json:"reason,omitempty"`
	Rollback        string `json:"rollback,omitempty"`
}

var (
	shaPattern = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)
	// envPattern is a GitHub environment name: at most 255 characters, no
	// control characters.
	envPattern = regexp.MustCompile(`^[^\x00-\x1f\x7f]{1,255}$`)
)

// validate returns what is wrong with the body, or nil.
func (r ActionEventRequest) validate() []string {
	var problems []string
	switch r.Kind {
	case deploy.ActionReport:
		switch r.Outcome {
		case "success", "failure", "cancelled":
		default:
			problems = append(problems, fmt.Sprintf("outcome %q is not success, failure or cancelled", r.Outcome))
		}
	case deploy.ActionWatch:
		if strings.TrimSpace(r.Reason) == "" {
			problems = append(problems, "a watch event needs a reason")
		}
	default:
		problems = append(problems, fmt.Sprintf("kind %q is not report or watch", r.Kind))
	}
	if r.Issue < 0 {
		problems = append(problems, fmt.Sprintf("issue %d is not an issue number", r.Issue))
	}
	if r.Issue == 0 && r.Environment == "" {
		problems = append(problems, "give issue, or environment to reach its active go-live")
	}
	if r.Environment != "" && !envPattern.MatchString(r.Environment) {
		problems = append(problems, "environment is not an environment name")
	}
	if r.SHA != "" && !shaPattern.MatchString(r.SHA) {
		problems = append(problems, fmt.Sprintf("sha %q is not a commit SHA", r.SHA))
	}
	if len(r.Reason) > 1000 {
		problems = append(problems, "reason is longer than 1000 characters")
	}
	// The reason is shown in Slack: no control characters (a null byte,
	// line breaks) and no invisible formatting such as a right-to-left
	// override, which would reorder what readers see.
	if strings.IndexFunc(r.Reason, func(c rune) bool { return !unicode.IsPrint(c) && c != '\u200d' }) >= 0 {
		problems = append(problems, "reason has a control or non-printing character")
	}
	if r.Rollback != "" && (len(r.Rollback) > 255 || strings.ContainsAny(r.Rollback, "\x00\r\n/")) {
		problems = append(problems, fmt.Sprintf("rollback %q is not a workflow file name", r.Rollback))
	}
	return problems
}

// actionEventPayload is the inbox payload: the body and what the token
// proved.
type actionEventPayload struct {
	Request        ActionEventRequest `json:"request"`
	InstallationID int64              `json:"installation_id"`
	RepoID         int64              `json:"repo_id"`
	Repo           string             `json:"repo"`
	RunID          string             `json:"run_id"`
	RunURL         string             `json:"run_url"`
	Actor          string             `json:"actor"`
}

func (h *ActionEvents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	refuse := func(status int, msg string) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		writeJSON(w, status, map[string]string{"error": msg})
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		refuse(http.StatusUnauthorized, "send the job's GitHub Actions OIDC token as a bearer token (the job needs permissions: id-token: write)")
		return
	}
	claims, err := h.Verifier.Verify(r.Context(), strings.TrimSpace(raw))
	if err != nil {
		h.Logger.Warn("action event refused", "reason", err.Error())
		if !errors.Is(err, oidc.ErrInvalidToken) {
			refuse(http.StatusServiceUnavailable, "cannot check the token now; try again")
			return
		}
		refuse(http.StatusUnauthorized, err.Error())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		refuse(http.StatusRequestEntityTooLarge, "the body is larger than 64 KiB")
		return
	}
	var req ActionEventRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		refuse(http.StatusBadRequest, "the body is not an action event: "+err.Error())
		return
	}
	if problems := req.validate(); len(problems) > 0 {
		refuse(http.StatusBadRequest, strings.Join(problems, "; "))
		return
	}
	installationID, repoID, repo, err := h.Repos.SlackRepo(r.Context(), claims.Repository, "", "")
	if errors.Is(err, deploy.ErrNoRepository) {
		refuse(http.StatusForbidden, fmt.Sprintf("golive is not installed on %q", claims.Repository))
		return
	}
	if err != nil {
		h.Logger.Error("find the repository of an action event", "repo", claims.Repository, "err", err)
		refuse(http.StatusServiceUnavailable, "golive cannot take reports right now; try again")
		return
	}
	payload, err := json.Marshal(actionEventPayload{Request: req, InstallationID: installationID, RepoID: repoID, Repo: repo,
		RunID: claims.RunID, RunURL: h.RunURL(repo, claims.RunID), Actor: claims.Actor})
	if err != nil {
		refuse(http.StatusInternalServerError, "encode the event")
		return
	}
	// The same report from the same run attempt is one delivery.
	sum := sha256.Sum256([]byte(repo + "\x00" + claims.RunID + "\x00" + claims.RunAttempt + "\x00" + string(body)))
	id := "action:" + hex.EncodeToString(sum[:16])
	res, err := h.Ingester.Ingest(r.Context(), store.Delivery{ID: id, Event: ActionEventName, Payload: payload, ReceivedAt: h.Clock.Now()})
	if err != nil {
		h.Logger.Error("keep an action event", "repo", repo, "err", err)
		w.Header().Set("Retry-After", "30")
		refuse(http.StatusServiceUnavailable, "golive cannot take reports right now (it is overloaded or its database is down); try again")
		return
	}
	status := "accepted"
	if res == inbox.Duplicate {
		status = "duplicate"
	}
	h.Logger.Info("action event", "repo", repo, "kind", req.Kind, "run", claims.RunID, "delivery", id, "status", status)
	writeJSON(w, http.StatusAccepted, map[string]string{"status": status, "delivery": id})
}

// ActionEventHandler applies the action events ActionEvents kept.
type ActionEventHandler struct {
	Events interface {
		HandleActionEvent(ctx context.Context, ev deploy.ActionEvent) error
	}
}

// Handles implements inbox.EventHandler.
func (*ActionEventHandler) Handles() []string { return []string{ActionEventName} }

// Handle implements inbox.EventHandler.
func (h *ActionEventHandler) Handle(ctx context.Context, _, _ string, payload []byte) error {
	var p actionEventPayload
	if err := decodePayload(payload, &p); err != nil {
		return inbox.Permanent(fmt.Errorf("parse action event payload: %w", err))
	}
	duration := int64(-1)
	if p.Request.DurationSeconds != nil {
		duration = *p.Request.DurationSeconds
	}
	err := h.Events.HandleActionEvent(ctx, deploy.ActionEvent{
		Kind: p.Request.Kind, InstallationID: p.InstallationID, RepoID: p.RepoID, Repo: p.Repo,
		RunID: p.RunID, RunURL: p.RunURL, Actor: p.Actor,
		Issue: p.Request.Issue, Environment: p.Request.Environment, SHA: p.Request.SHA,
		Outcome: p.Request.Outcome, DurationSeconds: duration, Reason: p.Request.Reason, Rollback: p.Request.Rollback,
	})
	if errors.Is(err, deploy.ErrBadActionEvent) {
		return inbox.Permanent(err)
	}
	return err
}
