package incident

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// Label marks incident issues; SeverityLabel(sev) their severity.
const Label = "incident"

// SeverityLabel is the label of a severity, like "severity:P1".
func SeverityLabel(sev string) string { return "severity:" + sev }

// RepoAPI is what incidents need of a repository (ghclient.Repo).
type RepoAPI interface {
	File(ctx context.Context, owner, repo, path string) ([]byte, bool, error)
	CreateIssue(ctx context.Context, title, body string, labels []string) (int, error)
	OpenIssues(ctx context.Context, label string) ([]ghclient.Issue, error)
	Issue(ctx context.Context, number int) (ghclient.Issue, error)
	SetIssueBody(ctx context.Context, number int, body string) error
	SetIssueLabels(ctx context.Context, number int, labels []string) error
	CreateComment(ctx context.Context, number int, body string) (int64, error)
	EditComment(ctx context.Context, id int64, body string) error
}

// Slack is what incidents need of Slack (slackclient.Client).
type Slack interface {
	ResolveChannel(ctx context.Context, channel string) (string, error)
	PostMessage(ctx context.Context, m slackclient.Message) (ts, channelID string, err error)
	UpdateMessage(ctx context.Context, channel, ts string, m slackclient.Message) error
	FindByMetadata(ctx context.Context, channel, threadTS, eventType, key, value string) (ts string, found bool, err error)
}

// Slack message metadata golive finds its incident messages by after a
// crash.
const (
	ThreadEvent = "golive_incident"
	AlertEvent  = "golive_incident_alert"
)

// Service runs incidents. Its methods are safe for concurrent use; state
// lives in the store.
type Service struct {
	Store store.Store
	Repos func(installationID int64, repo string) (RepoAPI, error)
	// Slack, when nil, leaves incidents without threads and alerts.
	Slack    Slack
	Clock    clock.Clock
	Owner    string // names this process in alert leases
	Logger   *slog.Logger
	IssueURL func(repo string, number int) string
	// Metrics, when set, counts incidents opened and SLA alerts.
	Metrics *metrics.Metrics
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// OpenRequest is /golive incident.
type OpenRequest struct {
	Key            string // the command's delivery: opening again finds the same incident
	InstallationID int64
	RepoID         int64
	Repo           string
	Severity       string
	Title          string
	Actor          string // who opened it, as the audit shows them
	GoLiveID       int64  // the go-live it came from, 0 when none
}

// ErrNoIncident: the command names no incident golive knows.
var ErrNoIncident = errors.New("no such incident")

func (s *Service) config(ctx context.Context, api RepoAPI, repo string) (*repoconfig.Config, error) {
	owner, name, _ := strings.Cut(repo, "/")
	cfg, _, err := repoconfig.Load(ctx, fetcher{api}, owner, name)
	return cfg, err
}

type fetcher struct{ api RepoAPI }

func (f fetcher) GetFile(ctx context.Context, owner, repo, path string) ([]byte, bool, error) {
	return f.api.File(ctx, owner, repo, path)
}

// Open opens an incident: its issue (labels, response steps), its timeline
// comment, its Slack thread and its SLA alerts. Each step is recorded as
// it is done, so running it again for the same Key (a redelivery, a
// crash) finishes what is missing and repeats nothing.
func (s *Service) Open(ctx context.Context, r OpenRequest) (store.Incident, error) {
	api, err := s.Repos(r.InstallationID, r.Repo)
	if err != nil {
		return store.Incident{}, err
	}
	cfg, err := s.config(ctx, api, r.Repo)
	if err != nil {
		return store.Incident{}, fmt.Errorf("read the configuration of %q: %w", r.Repo, err)
	}
	now := s.Clock.Now()
	in, created, err := s.Store.CreateIncident(ctx, store.Incident{OpenKey: r.Key, InstallationID: r.InstallationID, RepoID: r.RepoID,
		Repo: r.Repo, Severity: r.Severity, Title: r.Title, State: store.IncidentOpen, GoLiveID: r.GoLiveID, OpenedBy: r.Actor,
		OpenedAt: now, SlackChannel: cfg.IncidentChannel()})
	if err != nil {
		return store.Incident{}, err
	}
	if created { // not when a redelivery finds it
		s.Metrics.IncidentOpened(in.Severity)
	}
	if _, err := s.Store.AppendIncidentEvent(ctx, store.IncidentEvent{IncidentID: in.ID, At: in.OpenedAt, Actor: r.Actor,
		Action: "opened", Detail: r.Severity + " " + r.Title, DedupKey: "opened"}); err != nil {
		return store.Incident{}, err
	}
	if in.IssueNumber == 0 {
		if in, err = s.openIssue(ctx, api, cfg, in); err != nil {
			return store.Incident{}, err
		}
	}
	if err := s.Store.PlanIncidentAlerts(ctx, in.ID, Alerts(in, cfg)); err != nil {
		return store.Incident{}, err
	}
	return s.refresh(ctx, api, cfg, in, "")
}

// marker identifies an incident's issue, so an issue opened just before a
// crash is found again rather than opened twice.
func marker(id int64) string { return fmt.Sprintf("<!-- golive:incident id=%d -->", id) }

func (s *Service) openIssue(ctx context.Context, api RepoAPI, cfg *repoconfig.Config, in store.Incident) (store.Incident, error) {
	open, err := api.OpenIssues(ctx, Label)
	if err != nil {
		return in, err
	}
	number := 0
	for _, is := range open {
		if strings.Contains(is.Body, marker(in.ID)) {
			number = is.Number
			break
		}
	}
	if number == 0 {
		title := fmt.Sprintf("[%s] %s", in.Severity, in.Title)
		number, err = api.CreateIssue(ctx, title, issueBody(in, cfg), []string{Label, SeverityLabel(in.Severity)})
		if err != nil {
			return in, err
		}
	}
	in.IssueNumber = number
	return s.Store.UpdateIncident(ctx, in)
}

// Ack stops in's response timer.
func (s *Service) Ack(ctx context.Context, in store.Incident, actor, key string) (store.Incident, string, error) {
	if in.State != store.IncidentOpen {
		return in, fmt.Sprintf("Incident #%d is already %s.", in.IssueNumber, in.State), nil
	}
	now := s.Clock.Now()
	in.State, in.AckedBy, in.AckedAt = store.IncidentAcknowledged, actor, now
	return s.change(ctx, in, store.IncidentEvent{At: now, Actor: actor, Action: "acknowledged",
		Detail: "after " + since(in.OpenedAt, now), DedupKey: key + ":ack"},
		fmt.Sprintf("✅ Incident #%d acknowledged by %s after %s; the response timer stopped.", in.IssueNumber, escape(actor), since(in.OpenedAt, now)))
}

// SetSeverity re-times in with sev's targets, from when it opened.
func (s *Service) SetSeverity(ctx context.Context, in store.Incident, sev, actor, key string) (store.Incident, string, error) {
	if in.State == store.IncidentResolved {
		return in, fmt.Sprintf("Incident #%d is resolved; its severity stays %s.", in.IssueNumber, in.Severity), nil
	}
	if in.Severity == sev {
		return in, fmt.Sprintf("Incident #%d is already %s.", in.IssueNumber, sev), nil
	}
	old := in.Severity
	in.Severity = sev
	return s.change(ctx, in, store.IncidentEvent{At: s.Clock.Now(), Actor: actor, Action: "severity",
		Detail: old + " → " + sev, DedupKey: key + ":severity"},
		fmt.Sprintf("Incident #%d is now %s (was %s); its timers count from when it opened.", in.IssueNumber, sev, old))
}

// Resolve stops in's timers and adds the post-mortem checklist.
func (s *Service) Resolve(ctx context.Context, in store.Incident, actor, key string) (store.Incident, string, error) {
	if in.State == store.IncidentResolved {
		return in, fmt.Sprintf("Incident #%d is already resolved.", in.IssueNumber), nil
	}
	now := s.Clock.Now()
	if in.State == store.IncidentOpen {
		in.AckedBy, in.AckedAt = actor, now // resolving answers it too
	}
	in.State, in.ResolvedBy, in.ResolvedAt = store.IncidentResolved, actor, now
	return s.change(ctx, in, store.IncidentEvent{At: now, Actor: actor, Action: "resolved",
		Detail: "after " + since(in.OpenedAt, now), DedupKey: key + ":resolve"},
		fmt.Sprintf("🟢 Incident #%d resolved by %s after %s. The post-mortem checklist is on the issue.", in.IssueNumber, escape(actor), since(in.OpenedAt, now)))
}

// change stores in, records ev, re-plans the alerts and shows the change
// on every surface; text is the reply and the thread's line.
func (s *Service) change(ctx context.Context, in store.Incident, ev store.IncidentEvent, text string) (store.Incident, string, error) {
	api, err := s.Repos(in.InstallationID, in.Repo)
	if err != nil {
		return in, "", err
	}
	cfg, err := s.config(ctx, api, in.Repo)
	if err != nil {
		return in, "", fmt.Errorf("read the configuration of %q: %w", in.Repo, err)
	}
	if in, err = s.Store.UpdateIncident(ctx, in); err != nil {
		return in, "", err
	}
	ev.IncidentID = in.ID
	added, err := s.Store.AppendIncidentEvent(ctx, ev)
	if err != nil {
		return in, "", err
	}
	if err := s.Store.PlanIncidentAlerts(ctx, in.ID, Alerts(in, cfg)); err != nil {
		return in, "", err
	}
	if ev.Action == "severity" || ev.Action == "resolved" {
		if err := s.updateIssue(ctx, api, cfg, in); err != nil {
			return in, "", err
		}
	}
	thread := ""
	if added {
		thread = text
	}
	in, err = s.refresh(ctx, api, cfg, in, thread)
	return in, text, err
}

// updateIssue brings the issue's labels and, once resolved, its
// post-mortem checklist up to date.
func (s *Service) updateIssue(ctx context.Context, api RepoAPI, cfg *repoconfig.Config, in store.Incident) error {
	is, err := api.Issue(ctx, in.IssueNumber)
	if err != nil {
		return err
	}
	labels := []string{Label, SeverityLabel(in.Severity)}
	for _, l := range is.Labels {
		if l != Label && !strings.HasPrefix(l, "severity:") {
			labels = append(labels, l)
		}
	}
	if err := api.SetIssueLabels(ctx, in.IssueNumber, labels); err != nil {
		return err
	}
	if in.State == store.IncidentResolved && !strings.Contains(is.Body, postMortemMarker) {
		return api.SetIssueBody(ctx, in.IssueNumber, strings.TrimRight(is.Body, "\n")+"\n\n"+postMortem)
	}
	return nil
}

// refresh starts the Slack thread when it is missing, rewrites the
// timeline comment (starting it when missing) and the thread's parent, and
// posts line (when not "") in the thread.
func (s *Service) refresh(ctx context.Context, api RepoAPI, cfg *repoconfig.Config, in store.Incident, line string) (store.Incident, error) {
	slackOn := s.Slack != nil && in.SlackChannel != ""
	parent := slackclient.Message{Text: s.parentText(in, cfg)}
	newThread := false
	if slackOn && in.SlackThreadTS == "" {
		started, err := s.startThread(ctx, in, parent)
		switch {
		case err == nil:
			in, newThread = started, true
		case slackclient.IsPermanent(err):
			// Slack refuses for good (no such channel, not invited): the
			// timeline says so, and the next change tries again.
			why := fmt.Sprintf("no Slack thread in %s: %s", in.SlackChannel, slackclient.ErrorCode(err))
			if _, err := s.Store.AppendIncidentEvent(ctx, store.IncidentEvent{IncidentID: in.ID, At: s.Clock.Now(), Actor: "golive",
				Action: "slack", Detail: why, DedupKey: "slack:" + slackclient.ErrorCode(err)}); err != nil {
				return in, err
			}
			s.logger().Warn("start an incident's Slack thread", "incident", in.ID, "err", err)
		default:
			return in, err // Slack is down or limiting: retried
		}
	}
	events, err := s.Store.IncidentEvents(ctx, in.ID)
	if err != nil {
		return in, err
	}
	body := timelineBody(in, cfg, events)
	if in.TimelineCommentID == 0 {
		id, err := api.CreateComment(ctx, in.IssueNumber, body)
		if err != nil {
			return in, err
		}
		in.TimelineCommentID = id
		if in, err = s.Store.UpdateIncident(ctx, in); err != nil {
			return in, err
		}
	} else if err := api.EditComment(ctx, in.TimelineCommentID, body); err != nil {
		return in, err
	}
	if !slackOn || in.SlackThreadTS == "" {
		return in, nil
	}
	if !newThread {
		if err := s.Slack.UpdateMessage(ctx, in.SlackChannelID, in.SlackThreadTS, parent); err != nil {
			s.logger().Warn("update an incident's thread parent", "incident", in.ID, "err", err)
		}
	}
	if line != "" {
		if _, _, err := s.Slack.PostMessage(ctx, slackclient.Message{Channel: in.SlackChannelID, ThreadTS: in.SlackThreadTS, Text: line}); err != nil {
			s.logger().Warn("post to an incident's thread", "incident", in.ID, "err", err)
		}
	}
	return in, nil
}

// startThread posts in's thread parent, or finds the one an earlier attempt
// posted, and records it.
func (s *Service) startThread(ctx context.Context, in store.Incident, parent slackclient.Message) (store.Incident, error) {
	channel, err := s.Slack.ResolveChannel(ctx, in.SlackChannel)
	if err != nil {
		return in, fmt.Errorf("find the incident channel %q: %w", in.SlackChannel, err)
	}
	id := strconv.FormatInt(in.ID, 10)
	ts, found, err := s.Slack.FindByMetadata(ctx, channel, "", ThreadEvent, "incident", id)
	if err != nil {
		return in, err
	}
	if !found {
		parent.Channel = channel
		parent.Metadata = &slackclient.Metadata{EventType: ThreadEvent, Payload: map[string]any{"incident": id}}
		if ts, channel, err = s.Slack.PostMessage(ctx, parent); err != nil {
			return in, err
		}
	}
	in.SlackChannelID, in.SlackThreadTS = channel, ts
	return s.Store.UpdateIncident(ctx, in)
}

// Find returns the incident a command names: issue #n, else the issue it
// was written on (comments), else the repository's one unresolved incident.
func (s *Service) Find(ctx context.Context, repoID int64, n, onIssue int) (store.Incident, error) {
	for _, num := range []int{n, onIssue} {
		if num == 0 {
			continue
		}
		in, err := s.Store.GetIncidentByIssue(ctx, repoID, num)
		if errors.Is(err, store.ErrNotFound) {
			return store.Incident{}, fmt.Errorf("%w: #%d is not an incident golive opened", ErrNoIncident, num)
		}
		return in, err
	}
	all, err := s.Store.ListIncidents(ctx, repoID, time.Time{})
	if err != nil {
		return store.Incident{}, err
	}
	var open []store.Incident
	for _, in := range all {
		if in.State != store.IncidentResolved && in.IssueNumber != 0 {
			open = append(open, in)
		}
	}
	switch len(open) {
	case 1:
		return open[0], nil
	case 0:
		return store.Incident{}, fmt.Errorf("%w: this repository has no open incident", ErrNoIncident)
	}
	nums := make([]string, len(open))
	for i, in := range open {
		nums[i] = "#" + strconv.Itoa(in.IssueNumber)
	}
	return store.Incident{}, fmt.Errorf("%w: this repository has %d open incidents (%s); name one, like `#%d`", ErrNoIncident,
		len(open), strings.Join(nums, ", "), open[0].IssueNumber)
}

func since(from, to time.Time) string {
	d := to.Sub(from).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
