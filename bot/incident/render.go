package incident

import (
	"fmt"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

// severityMeaning is the operations checklist's description of each
// severity.
var severityMeaning = map[string]string{
	"P0": "critical: system down, data loss risk — all hands",
	"P1": "high: major feature broken — on-call and lead",
	"P2": "medium: minor feature issue — on-call",
	"P3": "low: cosmetic issue — regular rotation",
}

// responseSteps are the operations checklist's incident response steps.
var responseSteps = [][2]string{
	{"Detect", "automated alert or user report"},
	{"Triage", "assess severity and impact"},
	{"Communicate", "update the status page and the team"},
	{"Investigate", "root cause analysis"},
	{"Mitigate", "temporary fix if needed"},
	{"Resolve", "permanent solution"},
	{"Review", "post-mortem and prevention"},
}

const postMortemMarker = "<!-- golive:post-mortem -->"

// postMortem is the checklist added to the issue at resolution.
var postMortem = postMortemMarker + `
### Post-mortem

- [ ] Timeline of the incident written (detection, response, resolution)
- [ ] Root cause identified
- [ ] Customer and business impact assessed
- [ ] What went well and what did not, discussed with the team
- [ ] Action items filed, each with an owner and a date
- [ ] Monitoring or alerts added so it is detected sooner
- [ ] Post-mortem shared with stakeholders
`

func clockUTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// issueBody is the incident issue's first body: what it is, its targets and
// the response steps.
func issueBody(in store.Incident, cfg *repoconfig.Config) string {
	sla := cfg.SLA(in.Severity)
	d := DeadlinesOf(in, cfg)
	var b strings.Builder
	b.WriteString(marker(in.ID) + "\n")
	fmt.Fprintf(&b, "**Severity:** %s (%s)  \n", in.Severity, severityMeaning[in.Severity])
	fmt.Fprintf(&b, "**Opened:** %s by %s  \n", clockUTC(in.OpenedAt), escape(in.OpenedBy))
	fmt.Fprintf(&b, "**Respond within** %s (by %s) · **resolve within** %s (by %s)\n\n", sla.Response, clockUTC(d.Response), sla.Resolution, clockUTC(d.Resolution))
	b.WriteString("Acknowledge with `/golive ack`, change the severity with `/golive severity P0`–`P3`, and close the incident with `/golive resolve` — in a comment here or in Slack.\n\n")
	b.WriteString("### Response steps\n\n")
	for _, s := range responseSteps {
		fmt.Fprintf(&b, "- [ ] **%s** — %s\n", s[0], s[1])
	}
	return b.String()
}

const timelineMarker = "<!-- golive:incident-timeline -->"

// timelineBody is the timeline comment: state, timers and every event.
func timelineBody(in store.Incident, cfg *repoconfig.Config, events []store.IncidentEvent) string {
	var b strings.Builder
	b.WriteString(timelineMarker + "\n")
	fmt.Fprintf(&b, "### Incident timeline — %s, %s\n\n", in.Severity, in.State)
	b.WriteString(timersLine(in, cfg) + "\n\n")
	b.WriteString("| When (UTC) | Who | What |\n|---|---|---|\n")
	for _, e := range events {
		what := e.Action
		if e.Detail != "" {
			what += ": " + e.Detail
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", e.At.UTC().Format("2006-01-02 15:04:05"), cell(e.Actor), cell(what))
	}
	return b.String()
}

// timersLine says where each SLA timer stands.
func timersLine(in store.Incident, cfg *repoconfig.Config) string {
	sla := cfg.SLA(in.Severity)
	d := DeadlinesOf(in, cfg)
	resp := fmt.Sprintf("response due %s", clockUTC(d.Response))
	if !in.AckedAt.IsZero() {
		resp = "responded in " + since(in.OpenedAt, in.AckedAt) + verdict(in.AckedAt.Sub(in.OpenedAt) <= sla.Response)
	}
	res := fmt.Sprintf("resolution due %s", clockUTC(d.Resolution))
	if !in.ResolvedAt.IsZero() {
		res = "resolved in " + since(in.OpenedAt, in.ResolvedAt) + verdict(in.ResolvedAt.Sub(in.OpenedAt) <= sla.Resolution)
	}
	return resp + " · " + res
}

func verdict(met bool) string {
	if met {
		return " (within SLA)"
	}
	return " (SLA breached)"
}

// parentText is the Slack thread's parent message, edited in place.
func (s *Service) parentText(in store.Incident, cfg *repoconfig.Config) string {
	icon := map[store.IncidentState]string{store.IncidentOpen: "🚨", store.IncidentAcknowledged: "🛠️", store.IncidentResolved: "🟢"}[in.State]
	link := fmt.Sprintf("%s#%d", in.Repo, in.IssueNumber)
	if s.IssueURL != nil {
		link = fmt.Sprintf("<%s|%s#%d>", s.IssueURL(in.Repo, in.IssueNumber), in.Repo, in.IssueNumber)
	}
	return fmt.Sprintf("%s *%s incident: %s* — %s\nStatus: *%s* · %s", icon, in.Severity, escape(in.Title), link, in.State, timersLine(in, cfg))
}

// escape makes user text inert in GitHub Markdown and Slack mrkdwn: no
// mentions, links, HTML or formatting.
func escape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "@", "@\u200b", "`", "'", "*", "\\*", "_", "\\_", "~", "\\~", "|", "\\|",
		"[", "\\[", "]", "\\]")
	return r.Replace(s)
}

func cell(s string) string {
	return escape(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s))
}
