package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/reminders"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// maxItemsListed bounds the open items one reminder lists.
const maxItemsListed = 10

// SnoozeActionID is the action_id of a reminder's "Snooze 1h" button; its
// value is the go-live's id.
const SnoozeActionID = "golive_snooze"

// monitoringChecks are the seed's post-launch checks (Key Metrics to Track,
// System Health), carried by every post-launch reminder.
var monitoringChecks = []string{"error rate (< 0.1%)", "response time p50 / p95 / p99", "active users",
	"database performance", "CPU / memory (< 80%)"}

// View is what the messages of one go-live are rendered from.
type View struct {
	GoLive    store.GoLive
	Location  *time.Location
	Readiness checklist.Readiness
	IssueURL  string
	// Mention turns a GitHub owner ("@alice", "@acme/sre") into a Slack
	// mention when it is mapped, or escaped text when not.
	Mention func(owner string) string
	// Escalation is who is mentioned at a missed phase deadline.
	Escalation []string
}

func (v View) mention(owner string) string {
	if v.Mention != nil {
		return v.Mention(owner)
	}
	return slackclient.EscapeText(owner)
}

// slackDate renders t so each reader sees it in their own time zone, with a
// fallback in the go-live's zone for clients that cannot.
func (v View) slackDate(t time.Time, format string) string {
	return fmt.Sprintf("<!date^%d^%s|%s>", t.Unix(), format, t.In(v.Location).Format("2006-01-02 15:04 MST"))
}

func (v View) link() string {
	g := v.GoLive
	return fmt.Sprintf("<%s|%s#%d>", v.IssueURL, slackclient.EscapeText(g.Repo), g.IssueNumber)
}

// progressBar is ten cells filled in proportion to done of total.
func progressBar(done, total int) string {
	filled := 0
	if total > 0 {
		filled = done * 10 / total
	}
	return strings.Repeat("▓", filled) + strings.Repeat("░", 10-filled)
}

// currentPhase is the last phase due by now, or the first one when none is.
func currentPhase(r checklist.Readiness, now time.Time) (checklist.PhaseStatus, bool) {
	var cur checklist.PhaseStatus
	found := false
	for _, p := range r.Phases {
		if !p.Due.After(now) || !found {
			cur, found = p, true
		}
	}
	return cur, found
}

// ParentText is the thread's parent message: where and when the go-live
// happens, its progress and phase, and the issue.
func ParentText(v View, now time.Time) string {
	g := v.GoLive
	var b strings.Builder
	fmt.Fprintf(&b, "*Go-live: %s → %s at %s*\n", v.link(), slackclient.EscapeText(g.Environment),
		v.slackDate(g.At, "{date_short_pretty} {time}"))
	r := v.Readiness
	fmt.Fprintf(&b, "%s %d of %d items done", progressBar(r.Done, r.Total), r.Done, r.Total)
	if n := len(r.Blocking); n > 0 {
		fmt.Fprintf(&b, " · %d required open", n)
	} else {
		b.WriteString(" · every required item done")
	}
	if p, ok := currentPhase(r, now); ok {
		fmt.Fprintf(&b, "\nPhase: %s (%s)", slackclient.EscapeText(p.Name), p.Offset)
	}
	switch g.State {
	case store.GoLiveDone:
		b.WriteString("\n✅ This go-live is done.")
	case store.GoLiveCancelled:
		b.WriteString("\n✖️ This go-live was cancelled.")
	}
	return b.String()
}

// Reminder is one reminder's message.
type Reminder struct {
	Text string
	// Snooze: the reminder offers the "Snooze 1h" button.
	Snooze bool
}

// ReminderText renders the reminder at offset o, sent at now: the phases due
// at o (each a one-line ✅ when done, else its open required items and, at
// the deadline, an escalation), or, at a timeline step without a phase, the
// next phase with open items; post-launch steps add the monitoring checks.
func ReminderText(v View, o checklist.Offset, now time.Time) Reminder {
	kind := reminders.KindOf(o)
	due := o.At(v.GoLive.At.In(v.Location))
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* %s · %s\n", o, v.link(), v.slackDate(due, "{date_short_pretty} {time}"))

	var atOffset []checklist.PhaseStatus
	for _, p := range v.Readiness.Phases {
		if p.Offset == o {
			atOffset = append(atOffset, p)
		}
	}
	for _, p := range atOffset {
		if len(p.RequiredOpen) == 0 {
			fmt.Fprintf(&b, "✅ %s is done.\n", slackclient.EscapeText(p.Name))
			continue
		}
		fmt.Fprintf(&b, "*%s* due %s: %d required open\n", slackclient.EscapeText(p.Name), v.slackDate(p.Due, "{time}"), len(p.RequiredOpen))
		v.writeItems(&b, p.RequiredOpen)
		if !now.Before(p.Due) {
			v.writeEscalation(&b, p)
		}
	}
	if len(atOffset) == 0 {
		if next, ok := nextOpenPhase(v.Readiness, due); ok {
			fmt.Fprintf(&b, "Next: *%s* due %s: %d required open\n", slackclient.EscapeText(next.Name),
				v.slackDate(next.Due, "{date_short_pretty} {time}"), len(next.RequiredOpen))
			v.writeItems(&b, next.RequiredOpen)
		} else if len(v.Readiness.Blocking) == 0 {
			b.WriteString("✅ Every required item is done.\n")
		}
	}
	if o.Days() > 0 || o.Duration() > 0 {
		b.WriteString("Check now: " + strings.Join(monitoringChecks, " · ") + "\n")
	}
	return Reminder{Text: strings.TrimRight(b.String(), "\n"), Snooze: kind == reminders.Countdown || kind == reminders.Stabilization || kind == reminders.Daily}
}

// nextOpenPhase is the first phase due at or after from with required items
// open.
func nextOpenPhase(r checklist.Readiness, from time.Time) (checklist.PhaseStatus, bool) {
	var best checklist.PhaseStatus
	found := false
	for _, p := range r.Phases {
		if len(p.RequiredOpen) > 0 && !p.Due.Before(from) && (!found || p.Due.Before(best.Due)) {
			best, found = p, true
		}
	}
	return best, found
}

func (v View) writeItems(b *strings.Builder, items []checklist.Task) {
	for i, t := range items {
		if i == maxItemsListed {
			fmt.Fprintf(b, "…and %d more\n", len(items)-maxItemsListed)
			return
		}
		line := "• " + slackclient.EscapeText(t.Text)
		if t.Owner != "" {
			line += " — " + v.mention(t.Owner)
		}
		b.WriteString(line + "\n")
	}
}

// writeEscalation mentions the open items' owners and the escalation group.
func (v View) writeEscalation(b *strings.Builder, p checklist.PhaseStatus) {
	seen := map[string]bool{}
	var who []string
	add := func(owner string) {
		key := strings.ToLower(strings.TrimPrefix(owner, "@"))
		if owner == "" || seen[key] {
			return
		}
		seen[key] = true
		who = append(who, v.mention(owner))
	}
	for _, t := range p.RequiredOpen {
		add(t.Owner)
	}
	for _, e := range v.Escalation {
		add(e)
	}
	b.WriteString(":rotating_light: Deadline reached with required items open")
	if len(who) > 0 {
		b.WriteString(": " + strings.Join(who, " "))
	}
	b.WriteString("\n")
}

// CatchUpText is the one message standing for the reminders that passed
// while golive could not send them, with what is still open.
func CatchUpText(v View, missed []store.Reminder) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Catch-up* %s: golive could not send %d reminder", v.link(), len(missed))
	if len(missed) != 1 {
		b.WriteString("s")
	}
	b.WriteString(" on time: ")
	for i, r := range missed {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s)", r.Offset, v.slackDate(r.DueAt, "{time}"))
	}
	b.WriteString(".\n")
	if n := len(v.Readiness.Blocking); n > 0 {
		fmt.Fprintf(&b, "Still open: %d required items\n", n)
		v.writeItems(&b, v.Readiness.Blocking)
	} else {
		b.WriteString("✅ Every required item is done.\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// snoozeBlocks renders text with the "Snooze 1h" button for go-live id.
func snoozeBlocks(text string, goliveID int64) []slack.Block {
	button := slack.NewButtonBlockElement(SnoozeActionID, fmt.Sprint(goliveID),
		slack.NewTextBlockObject(slack.PlainTextType, "Snooze 1h", false, false))
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
		slack.NewActionBlock("golive_reminder_actions", button),
	}
}
