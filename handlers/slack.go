package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/command"
	"github.com/golive-dev/golive/bot/deploy"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// maxSlackBody bounds Slack request bodies (slash commands and interaction
// payloads are a few KB).
const maxSlackBody = 1 << 20

// SlackVerifier wraps a handler so it only sees requests carrying a valid
// X-Slack-Signature (v0) whose timestamp is within the replay window. The body
// is read once and restored for the wrapped handler.
type SlackVerifier struct {
	SigningSecret []byte
	Clock         clock.Clock
	Metrics       *metrics.Metrics
	Logger        *slog.Logger
}

// Wrap returns next behind signature verification; kind labels the metrics.
func (v *SlackVerifier) Wrap(kind string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count := func(outcome string) {
			if v.Metrics != nil {
				v.Metrics.SlackRequests.WithLabelValues(kind, outcome).Inc()
			}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSlackBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				count("too_large")
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			count("unreadable")
			http.Error(w, "read request body", http.StatusBadRequest)
			return
		}
		err = signature.VerifySlack(v.SigningSecret, v.Clock.Now(),
			r.Header.Get("X-Slack-Request-Timestamp"), r.Header.Get("X-Slack-Signature"), body)
		if err != nil {
			count("bad_signature")
			v.Logger.Warn("slack request refused", "kind", kind, "reason", err.Error())
			http.Error(w, "invalid slack signature: "+err.Error(), http.StatusUnauthorized)
			return
		}
		count("verified")
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// SlackCommands takes signed /golive slash commands: each is committed to
// the durable inbox (as a "slack_command" delivery, keyed by Slack's
// trigger_id) and acknowledged at once; a worker runs it and answers
// through its response_url.
type SlackCommands struct {
	Ingester Ingester
	Clock    clock.Clock
	Logger   *slog.Logger
}

// SlackCommandEvent is the inbox event of a Slack slash command; its payload
// is the command's form as a JSON object of strings.
const SlackCommandEvent = "slack_command"

func (h *SlackCommands) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if f.Get("command") == "" || f.Get("user_id") == "" || f.Get("response_url") == "" {
		http.Error(w, "a slash command needs command, user_id and response_url", http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for _, k := range []string{"command", "text", "user_id", "user_name", "team_id", "channel_id", "channel_name", "response_url", "trigger_id"} {
		form[k] = f.Get(k)
	}
	payload, _ := json.Marshal(form)
	id := f.Get("trigger_id")
	if id == "" {
		sum := sha256.Sum256(payload)
		id = hex.EncodeToString(sum[:16])
	}
	h.Logger.Info("slack command", "user", f.Get("user_id"), "team", f.Get("team_id"), "channel", f.Get("channel_id"))
	_, err := h.Ingester.Ingest(r.Context(), store.Delivery{ID: "slack:" + id, Event: SlackCommandEvent, Payload: payload, ReceivedAt: h.Clock.Now()})
	if err != nil {
		h.Logger.Error("keep a slack command", "err", err)
		writeJSON(w, http.StatusOK, map[string]string{"response_type": "ephemeral",
			"text": "golive cannot take commands right now (it is overloaded or its database is down); try again in a minute."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"response_type": "ephemeral", "text": "⏳ golive is on it; the answer follows here."})
}

// SlackCommandHandler runs the slash commands SlackCommands kept.
type SlackCommandHandler struct {
	Commands interface {
		Commands
		SlackRepo(ctx context.Context, named, channelID, channelName string) (int64, int64, string, error)
	}
}

// Handles implements inbox.EventHandler.
func (*SlackCommandHandler) Handles() []string { return []string{SlackCommandEvent} }

// Handle parses the command, finds its repository and runs it.
func (h *SlackCommandHandler) Handle(ctx context.Context, _, deliveryID string, payload []byte) error {
	// Decoded as sent, so the command grammar refuses a null byte in the
	// text; what is kept or shown goes through noNUL.
	var f map[string]string
	if err := json.Unmarshal(payload, &f); err != nil {
		return inbox.Permanent(fmt.Errorf("parse slack command payload: %w", err))
	}
	text := f["text"]
	for k, v := range f {
		f[k] = noNUL(v)
	}
	req := deploy.Request{Surface: deploy.SurfaceSlack, DeliveryID: deliveryID, Text: f["command"] + " " + f["text"],
		SlackUser: f["user_id"], SlackChannel: f["channel_id"], ResponseURL: f["response_url"]}
	res := command.ParseSlack(text)
	if res.Command == nil {
		return h.Commands.Answer(ctx, req, res.Reply, res.Reply == command.Help())
	}
	var err error
	req.InstallationID, req.RepoID, req.Repo, err = h.Commands.SlackRepo(ctx, res.Command.Repo, f["channel_id"], f["channel_name"])
	if errors.Is(err, deploy.ErrNoRepository) {
		return h.Commands.Answer(ctx, req, "golive does not know which repository you mean: "+strings.TrimPrefix(err.Error(), deploy.ErrNoRepository.Error()+": ")+".", false)
	}
	if err != nil {
		return err
	}
	req.Command = *res.Command
	return h.Commands.Run(ctx, req)
}

// Snoozer delays a go-live's next non-critical reminder
// (scheduler.Dispatcher implements it); the text says what happened.
type Snoozer interface {
	Snooze(ctx context.Context, goliveID int64, slackUser string) (string, error)
}

// Responder answers an interaction through its response_url
// (slackclient.Client implements it).
type Responder interface {
	Respond(ctx context.Context, responseURL string, r slackclient.Response) error
}

// SlackInteractions handles signed interactivity payloads: the "Snooze 1h"
// button on reminders. Other interactions are acknowledged and logged.
type SlackInteractions struct {
	Logger    *slog.Logger
	Snoozer   Snoozer
	Responder Responder
	// Ingester keeps deploy confirmations in the durable inbox; they run
	// as SlackConfirmEvent deliveries.
	Ingester Ingester
	Clock    clock.Clock
	// Replies tracks the background response_url replies (tests wait on
	// it); nil is fine.
	Replies *sync.WaitGroup
}

// interaction is the part of a block_actions payload golive reads.
type interaction struct {
	Type string `json:"type"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	ResponseURL string `json:"response_url"`
	TriggerID   string `json:"trigger_id"`
	Actions     []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
		ActionTS string `json:"action_ts"`
	} `json:"actions"`
}

// SlackConfirmEvent is the inbox event of a pressed deploy confirmation
// button; its payload holds the button's value, the user and response_url.
const SlackConfirmEvent = "slack_confirm"

func (h *SlackInteractions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return
	}
	var p interaction
	if err := json.Unmarshal([]byte(r.PostForm.Get("payload")), &p); err != nil || p.Type == "" {
		http.Error(w, "the payload field must hold an interaction as JSON", http.StatusBadRequest)
		return
	}
	h.Logger.Info("slack interaction", "type", p.Type, "user", p.User.ID)
	for _, a := range p.Actions {
		if a.ActionID == deploy.ConfirmActionID && h.Ingester != nil {
			payload, _ := json.Marshal(map[string]string{"value": a.Value, "user": p.User.ID, "response_url": p.ResponseURL})
			id := "slack-confirm:" + p.User.ID + ":" + a.ActionTS + ":" + p.TriggerID
			if _, err := h.Ingester.Ingest(r.Context(), store.Delivery{ID: id, Event: SlackConfirmEvent, Payload: payload, ReceivedAt: h.Clock.Now()}); err != nil {
				h.Logger.Error("keep a deploy confirmation", "err", err)
				http.Error(w, "golive cannot take the confirmation right now; press it again in a minute", http.StatusServiceUnavailable)
				return
			}
			continue
		}
		if a.ActionID != scheduler.SnoozeActionID || h.Snoozer == nil {
			continue
		}
		id, err := strconv.ParseInt(a.Value, 10, 64)
		if err != nil || id <= 0 {
			http.Error(w, fmt.Sprintf("snooze button value %q is not a go-live id", a.Value), http.StatusBadRequest)
			return
		}
		text, err := h.Snoozer.Snooze(r.Context(), id, p.User.ID)
		if err != nil {
			h.Logger.Error("snooze a go-live's reminder", "golive", id, "user", p.User.ID, "err", err)
			text = "golive could not snooze this go-live's reminders; try again in a minute."
		}
		h.reply(p.ResponseURL, text)
	}
	w.WriteHeader(http.StatusOK)
}

// reply answers the person who clicked, in the background: Slack wants the
// acknowledgement within 3 seconds, whatever the reply costs.
func (h *SlackInteractions) reply(responseURL, text string) {
	if h.Responder == nil || responseURL == "" {
		return
	}
	if h.Replies != nil {
		h.Replies.Add(1)
	}
	go func() {
		if h.Replies != nil {
			defer h.Replies.Done()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Responder.Respond(ctx, responseURL, slackclient.Response{Text: text}); err != nil {
			h.Logger.Warn("reply to a slack interaction", "err", err)
		}
	}()
}

// SlackConfirmHandler runs the deploy confirmations SlackInteractions kept.
type SlackConfirmHandler struct {
	Confirmer interface {
		Confirm(ctx context.Context, deliveryID, value, user, responseURL string) error
	}
}

// Handles implements inbox.EventHandler.
func (*SlackConfirmHandler) Handles() []string { return []string{SlackConfirmEvent} }

// Handle runs the confirmed deploy.
func (h *SlackConfirmHandler) Handle(ctx context.Context, _, deliveryID string, payload []byte) error {
	var f map[string]string
	if err := decodePayload(payload, &f); err != nil {
		return inbox.Permanent(fmt.Errorf("parse deploy confirmation payload: %w", err))
	}
	return h.Confirmer.Confirm(ctx, deliveryID, f["value"], f["user"], f["response_url"])
}
