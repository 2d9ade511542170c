package incident

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// errDropped: the alert no longer applies and was recorded as failed.
var errDropped = errors.New("the alert no longer applies")

// alertLease is how long a claimed alert is this process's to send.
const alertLease = time.Minute

// SendDueAlerts sends the SLA alerts due now, each exactly once: claimed
// with a lease, looked up in the thread by its metadata when an earlier
// attempt may have posted it, posted, then marked sent. It returns how many
// it sent.
func (s *Service) SendDueAlerts(ctx context.Context) (int, error) {
	if s.Slack == nil {
		return 0, nil
	}
	now := s.Clock.Now()
	due, err := s.Store.ClaimDueIncidentAlerts(ctx, s.Owner, now, alertLease, 50)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, a := range due {
		err := s.sendAlert(ctx, a)
		switch {
		case err == nil:
			sent++
		case errors.Is(err, store.ErrLeaseLost), errors.Is(err, errDropped):
			// acknowledged or re-timed since it was planned
		default:
			a.LastError = err.Error()
			state, retry := store.AlertPending, now.Add(min(time.Duration(1<<min(a.Attempts, 6))*time.Second, time.Minute))
			if a.Attempts >= 10 || slackclient.IsPermanent(err) {
				state = store.AlertFailed
			}
			s.logger().Warn("send an incident alert", "incident", a.IncidentID, "kind", a.Kind, "attempt", a.Attempts, "err", err)
			ferr := s.Store.FinishIncidentAlert(ctx, a, s.Owner, state, s.Clock.Now(), retry)
			if ferr != nil && !errors.Is(ferr, store.ErrLeaseLost) {
				return sent, ferr
			}
			if ferr == nil && state == store.AlertFailed {
				s.Metrics.IncidentAlert(a.Kind, metrics.AlertFailed)
			}
		}
	}
	return sent, nil
}

func (s *Service) sendAlert(ctx context.Context, a store.IncidentAlert) error {
	in, err := s.Store.GetIncident(ctx, a.IncidentID)
	if err != nil {
		return err
	}
	api, err := s.Repos(in.InstallationID, in.Repo)
	if err != nil {
		return err
	}
	cfg, err := s.config(ctx, api, in.Repo)
	if err != nil {
		return err
	}
	if in.SlackThreadTS == "" && in.SlackChannel != "" {
		if in, err = s.refresh(ctx, api, cfg, in, ""); err != nil {
			return err
		}
	}
	// The incident moved on since the alert was planned, or it has no
	// thread (no channel, or Slack refuses it: its timeline says why).
	if due, ok := Alerts(in, cfg)[a.Kind]; !ok || !due.Equal(a.DueAt) || in.SlackThreadTS == "" {
		a.LastError = errDropped.Error()
		if err := s.Store.FinishIncidentAlert(ctx, a, s.Owner, store.AlertFailed, s.Clock.Now(), time.Time{}); err != nil {
			return err
		}
		return errDropped
	}
	key := strconv.FormatInt(in.ID, 10) + ":" + a.Kind
	ts, found := "", false
	if a.Attempts > 1 {
		if ts, found, err = s.Slack.FindByMetadata(ctx, in.SlackChannelID, in.SlackThreadTS, AlertEvent, "alert", key); err != nil {
			return err
		}
	}
	if !found {
		breach := strings.HasSuffix(a.Kind, "-breach")
		ts, _, err = s.Slack.PostMessage(ctx, slackclient.Message{Channel: in.SlackChannelID, ThreadTS: in.SlackThreadTS,
			Text: alertText(in, cfg, a.Kind, s.Clock.Now()), Broadcast: breach,
			Metadata: &slackclient.Metadata{EventType: AlertEvent, Payload: map[string]any{"alert": key}}})
		if err != nil {
			return err
		}
	}
	a.SlackTS = ts
	now := s.Clock.Now()
	if err := s.Store.FinishIncidentAlert(ctx, a, s.Owner, store.AlertSent, now, time.Time{}); err != nil {
		return err
	}
	s.Metrics.IncidentAlert(a.Kind, metrics.AlertSent)
	if _, err := s.Store.AppendIncidentEvent(ctx, store.IncidentEvent{IncidentID: in.ID, At: now, Actor: "golive",
		Action: "alert", Detail: a.Kind, DedupKey: "alert:" + a.Kind + ":" + a.DueAt.UTC().Format(time.RFC3339)}); err != nil {
		return err
	}
	_, err = s.refresh(ctx, api, cfg, in, "")
	return err
}

// alertText is an alert's message: what runs out when, and at a breach who
// must act.
func alertText(in store.Incident, cfg *repoconfig.Config, kind string, now time.Time) string {
	d := DeadlinesOf(in, cfg)
	sla := cfg.SLA(in.Severity)
	what, deadline, target, verb := "response", d.Response, sla.Response, "acknowledged (`/golive ack`)"
	if strings.HasPrefix(kind, "resolution") {
		what, deadline, target, verb = "resolution", d.Resolution, sla.Resolution, "resolved (`/golive resolve`)"
	}
	if strings.HasSuffix(kind, "-warning") {
		return fmt.Sprintf("⏰ %s incident #%d: %s left until its %s SLA (%s) is breached; it is not %s yet.",
			in.Severity, in.IssueNumber, since(now, deadline), what, target, verb)
	}
	text := fmt.Sprintf("🔥 %s incident #%d breached its %s SLA: not %s within %s.", in.Severity, in.IssueNumber, what, verb, target)
	if who := onCall(cfg); who != "" {
		text = who + " " + text
	}
	return text
}

// onCall is the mention of incidents.oncall: a user group, or a person or
// team mapped through slack.users; "" when nobody can be mentioned.
func onCall(cfg *repoconfig.Config) string {
	oc := cfg.Incidents.OnCall
	if oc == "" {
		return ""
	}
	if !strings.HasPrefix(oc, "@") {
		return "<!subteam^" + oc + ">"
	}
	id, ok := cfg.Slack.SlackID(oc)
	switch {
	case !ok:
		return ""
	case strings.HasPrefix(id, "S"):
		return "<!subteam^" + id + ">"
	}
	return "<@" + id + ">"
}

// RunAlerts sends due alerts every interval until ctx ends.
func (s *Service) RunAlerts(ctx context.Context, interval time.Duration) {
	for {
		if _, err := s.SendDueAlerts(ctx); err != nil && ctx.Err() == nil {
			s.logger().Warn("send incident alerts", "err", err)
		}
		if clock.Sleep(ctx, interval) != nil {
			return
		}
	}
}
