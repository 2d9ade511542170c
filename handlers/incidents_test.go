package handlers_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/incident"
	"github.com/golive-dev/golive/bot/store"
)

const incidentConfig = `version: 1
slack:
  channel: "#deploys"
incidents:
  oncall: S0ONCALL
`

// openIncidentFromSlack runs `/golive acme/api incident SEV TITLE` and
// returns the incident it opened.
func (tr *trackingRig) openIncidentFromSlack(t *testing.T, sev, title string) store.Incident {
	t.Helper()
	answer := tr.slack.ResponseURL("incident-" + title)
	tr.slackCommand(t, "U0REPORTER", trackedRepo+" incident "+sev+" "+title, answer)
	tr.settle(t)
	got := tr.slack.Responses("incident-" + title)
	m := regexp.MustCompile(`Opened P\d incident #(\d+)`).FindStringSubmatch(fmt.Sprint(got))
	if len(got) != 1 || m == nil {
		t.Fatalf("answer to the incident command: %+v\n%s", got, tr.logs)
	}
	var n int
	fmt.Sscan(m[1], &n)
	in, err := tr.store.GetIncidentByIssue(context.Background(), trackedRepoID, n)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// alertsIn returns the alert messages in the incident's thread.
func (tr *trackingRig) alertsIn(in store.Incident) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range tr.slack.Messages("CDEPLOYS") {
		if m.ThreadTS == in.SlackThreadTS && m.Metadata != nil && m.Metadata.EventType == incident.AlertEvent {
			out = append(out, m)
		}
	}
	return out
}

// sendAlertsAt moves the clock to at after the incident opened and sends
// what is due.
func (tr *trackingRig) sendAlertsAt(t *testing.T, in store.Incident, at time.Duration) int {
	t.Helper()
	tr.clock.Advance(in.OpenedAt.Add(at).Sub(tr.clock.Now()))
	n, err := tr.incs.SendDueAlerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A P1 opened from Slack becomes an issue with its labels and the response
// steps, a timeline comment and a Slack thread; its response SLA warns
// before 15 minutes and breaches at 15 with the on-call group mentioned;
// once acknowledged, no response alert follows.
func TestIncidentFromSlackWarnsBeforeTheBreachUntilAcknowledged(t *testing.T) {
	tr := newTrackingRig(t)
	tr.storeInstallation(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", incidentConfig)

	in := tr.openIncidentFromSlack(t, "P1", "checkout is down")
	is, ok := tr.gh.GetIssue(trackedRepo, in.IssueNumber)
	if !ok || is.Title != "[P1] checkout is down" || !slices.Contains(is.Labels, "incident") || !slices.Contains(is.Labels, "severity:P1") {
		t.Fatalf("incident issue %+v", is)
	}
	for _, want := range []string{"### Response steps", "- [ ] **Detect** — automated alert or user report", "- [ ] **Review** — post-mortem and prevention",
		"**Respond within** 15m0s"} {
		if !strings.Contains(is.Body, want) {
			t.Errorf("issue body lacks %q:\n%s", want, is.Body)
		}
	}
	cs := tr.gh.Comments(trackedRepo, in.IssueNumber)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "### Incident timeline — P1, open") || !strings.Contains(cs[0].Body, "| opened: P1 checkout is down |") {
		t.Fatalf("timeline comment: %+v", cs)
	}
	parent, ok := tr.slack.Message("CDEPLOYS", in.SlackThreadTS)
	if in.SlackThreadTS == "" || !ok || !strings.Contains(parent.Text, "*P1 incident: checkout is down*") || !strings.Contains(parent.Text, "Status: *open*") {
		t.Fatalf("thread parent %+v (ts %q)", parent, in.SlackThreadTS)
	}

	// Nothing before the warning; the warning at 12 minutes, once.
	if n := tr.sendAlertsAt(t, in, 11*time.Minute); n != 0 {
		t.Fatalf("%d alerts at 11 min", n)
	}
	if n := tr.sendAlertsAt(t, in, 12*time.Minute+30*time.Second); n != 1 {
		t.Fatalf("%d alerts at 12.5 min, want the response warning", n)
	}
	if n := tr.sendAlertsAt(t, in, 13*time.Minute); n != 0 {
		t.Fatalf("%d alerts at 13 min: the warning again?", n)
	}
	alerts := tr.alertsIn(in)
	if len(alerts) != 1 || !strings.Contains(alerts[0].Text, "⏰ P1 incident") || !strings.Contains(alerts[0].Text, "2m30s left until its response SLA (15m0s)") {
		t.Fatalf("alerts %+v", alerts)
	}

	// Acknowledged from Slack: the response timer stops, no breach follows.
	ack := tr.slack.ResponseURL("ack")
	tr.slackCommand(t, "U0ONCALL", fmt.Sprintf("%s ack #%d", trackedRepo, in.IssueNumber), ack)
	tr.settle(t)
	if r := tr.slack.Responses("ack"); len(r) != 1 || !strings.Contains(r[0].Text, "acknowledged by slack:U0ONCALL after 13m") {
		t.Fatalf("ack answer %+v", r)
	}
	if n := tr.sendAlertsAt(t, in, 20*time.Minute); n != 0 {
		t.Fatalf("%d alerts at 20 min after the acknowledgement", n)
	}
	if alerts := tr.alertsIn(in); len(alerts) != 1 {
		t.Fatalf("alerts after the acknowledgement: %+v", alerts)
	}
	in, _ = tr.store.GetIncident(context.Background(), in.ID)
	parent, _ = tr.slack.Message("CDEPLOYS", in.SlackThreadTS)
	if in.State != store.IncidentAcknowledged || !strings.Contains(parent.Text, "Status: *acknowledged*") || !strings.Contains(parent.Text, "responded in 13m") {
		t.Fatalf("after the ack: %s; parent %q", in.State, parent.Text)
	}
	cs = tr.gh.Comments(trackedRepo, in.IssueNumber)
	if !strings.Contains(cs[0].Body, "acknowledged: after 13m") || !strings.Contains(cs[0].Body, "alert: response-warning") {
		t.Fatalf("timeline after the ack:\n%s", cs[0].Body)
	}
}

// Without an acknowledgement the breach comes at 15 minutes, shown in the
// channel and mentioning the on-call group; resolving stops every timer and
// adds the post-mortem checklist.
func TestIncidentBreachEscalatesAndResolveStopsTimers(t *testing.T) {
	tr := newTrackingRig(t)
	tr.storeInstallation(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", incidentConfig)
	in := tr.openIncidentFromSlack(t, "P1", "payments failing")
	tr.sendAlertsAt(t, in, 13*time.Minute)
	if n := tr.sendAlertsAt(t, in, 15*time.Minute); n != 1 {
		t.Fatalf("%d alerts at 15 min, want the breach", n)
	}
	alerts := tr.alertsIn(in)
	if len(alerts) != 2 || !strings.HasPrefix(alerts[1].Text, "<!subteam^S0ONCALL> 🔥 P1 incident") || !alerts[1].Broadcast {
		t.Fatalf("breach %+v", alerts)
	}

	// Raised to P0 from a comment on the issue by a triager: labels and
	// timers follow; then resolved.
	tr.gh.SetPermission(trackedRepo, "tia", "triage", "triage")
	tr.command(t, in.IssueNumber, "tia", "triage", "/golive severity P0")
	tr.settle(t)
	is, _ := tr.gh.GetIssue(trackedRepo, in.IssueNumber)
	if !slices.Contains(is.Labels, "severity:P0") || slices.Contains(is.Labels, "severity:P1") {
		t.Fatalf("labels after severity P0: %v", is.Labels)
	}
	tr.command(t, in.IssueNumber, "tia", "triage", "/golive resolve")
	tr.settle(t)
	is, _ = tr.gh.GetIssue(trackedRepo, in.IssueNumber)
	if !strings.Contains(is.Body, "### Post-mortem") || !strings.Contains(is.Body, "- [ ] Root cause identified") {
		t.Fatalf("no post-mortem checklist:\n%s", is.Body)
	}
	if n := tr.sendAlertsAt(t, in, 10*time.Hour); n != 0 {
		t.Fatalf("%d alerts after the resolution", n)
	}
	// A reader may not touch incidents.
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 880, Title: "Bug"})
	tr.gh.SetPermission(trackedRepo, "rita", "read", "read")
	tr.command(t, 880, "rita", "read", "/golive incident P0 everything is down")
	tr.settle(t)
	if r := tr.replies(880); len(r) != 1 || !strings.Contains(r[0], "needs at least the **triage** role") {
		t.Fatalf("reply to a reader: %q", r)
	}
	if all, _ := tr.store.ListIncidents(context.Background(), trackedRepoID, time.Time{}); len(all) != 1 {
		t.Fatalf("%d incidents, want the one", len(all))
	}
}

// With incidents.open_on_rollback, a rollback opens an incident of that
// severity, once, and its reply says so.
func TestRollbackOpensAnIncident(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", commandsConfig+"slack:\n  channel: \"#deploys\"\nincidents:\n  open_on_rollback: P1\n")
	good := tr.gh.AddCommit(trackedRepo, "main", fakegithub.Commit{Message: "good release"})
	tr.createDeployment(t, good, "production", "success")
	bad := tr.gh.AddCommit(trackedRepo, "main", fakegithub.Commit{Message: "bad release"})
	tr.createDeployment(t, bad, "production", "success")
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 33, Title: "Release"})
	tr.command(t, 33, "mona", "maintain", "/golive rollback production")
	tr.settle(t)
	all, _ := tr.store.ListIncidents(context.Background(), trackedRepoID, time.Time{})
	if len(all) != 1 || all[0].Severity != "P1" || all[0].Title != "Rollback of production to "+good[:7] || all[0].SlackThreadTS == "" {
		t.Fatalf("incidents after a rollback: %+v", all)
	}
	if r := tr.replies(33); len(r) != 1 || !strings.Contains(r[0], fmt.Sprintf("Opened P1 incident #%d for this rollback", all[0].IssueNumber)) {
		t.Fatalf("rollback reply: %q", r)
	}
}

// A channel Slack refuses does not lose the incident: it is opened, the
// answer and the timeline say why it has no thread, and its alerts fail
// with that reason instead of retrying for ever.
func TestIncidentWithoutASlackChannel(t *testing.T) {
	tr := newTrackingRig(t)
	tr.storeInstallation(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", "version: 1\nincidents:\n  channel: \"#nowhere\"\n")
	answer := tr.slack.ResponseURL("nowhere")
	tr.slackCommand(t, "U0REPORTER", trackedRepo+" incident P1 database is slow", answer)
	tr.settle(t)
	got := tr.slack.Responses("nowhere")
	if len(got) != 1 || !strings.Contains(got[0].Text, "Opened P1 incident") || !strings.Contains(got[0].Text, "has no Slack thread in #nowhere") {
		t.Fatalf("answer %+v\n%s", got, tr.logs)
	}
	all, _ := tr.store.ListIncidents(context.Background(), trackedRepoID, time.Time{})
	if len(all) != 1 || all[0].SlackThreadTS != "" {
		t.Fatalf("incidents %+v", all)
	}
	in := all[0]
	cs := tr.gh.Comments(trackedRepo, in.IssueNumber)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, `no Slack thread in #nowhere: channel\_not\_found`) {
		t.Fatalf("timeline: %+v", cs)
	}
	if n := tr.sendAlertsAt(t, in, 16*time.Minute); n != 0 {
		t.Fatalf("%d alerts sent without a thread", n)
	}
	alerts, _ := tr.store.IncidentAlerts(context.Background(), in.ID)
	for _, a := range alerts {
		if !a.DueAt.After(tr.clock.Now()) && a.State != store.AlertFailed {
			t.Fatalf("alert %s is %s, want failed", a.Kind, a.State)
		}
	}
}
