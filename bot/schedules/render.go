package schedules

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// Metadata event types of the Slack messages of runs.
const (
	// RunEvent marks the message of a run posted to Slack.
	RunEvent = "golive_ops_run"
	// RemindEvent marks a run's end-of-day reminder.
	RemindEvent = "golive_ops_reminder"
)

// maxListed bounds the items a message or comment lists.
const maxListed = 50

// maxSlackListed bounds the items a Slack reminder lists.
const maxSlackListed = 15

var (
	markerRE   = regexp.MustCompile(`<!--[ \t]*golive:ops schedule=([A-Za-z0-9._-]+) run=([0-9T:-]+)[ \t]*-->`)
	rolloverRE = regexp.MustCompile(`<!--[ \t]*golive:ops-rollover schedule=([A-Za-z0-9._-]+) run=([0-9T:-]+)[ \t]*-->`)
)

// Marker is the hidden first line of a run's issue, by which the run finds
// its issue again.
func Marker(scheduleID, runKey string) string {
	return fmt.Sprintf("<!-- golive:ops schedule=%s run=%s -->", scheduleID, runKey)
}

// ParseMarker reads the schedule and run of an issue body's marker.
func ParseMarker(body string) (scheduleID, runKey string, ok bool) {
	m := markerRE.FindStringSubmatch(body)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func rolloverMarker(scheduleID, runKey string) string {
	return fmt.Sprintf("<!-- golive:ops-rollover schedule=%s run=%s -->", scheduleID, runKey)
}

// hasRollover reports whether a comment is the rollover of the run.
func hasRollover(body, scheduleID, runKey string) bool {
	for _, m := range rolloverRE.FindAllStringSubmatch(body, -1) {
		if m[1] == scheduleID && m[2] == runKey {
			return true
		}
	}
	return false
}

// RunID names a run in Slack metadata.
func RunID(k store.ScheduleRunKey) string {
	return fmt.Sprintf("%d/%s/%s", k.RepoID, k.ScheduleID, k.RunKey)
}

// view is what a run's issue and messages are rendered from.
type view struct {
	s        repoconfig.Schedule
	repo     string
	loc      *time.Location
	wall     time.Time // the scheduled local date and time (civil, UTC)
	dueAt    time.Time
	openedAt time.Time
	skipped  int
	late     bool
	end      time.Time // zero when none
}

// Title is a run's issue title: the schedule's title and the run's local
// date (and time, for schedules that run more than once a day).
func Title(s repoconfig.Schedule, wall time.Time) string {
	date := wall.Format("2006-01-02")
	if s.Cron != nil && !s.Cron.OncePerDay() {
		date = wall.Format("2006-01-02 15:04")
	}
	return s.Title + " — " + date
}

func (v view) title() string { return Title(v.s, v.wall) }

func (v view) local(t time.Time, layout string) string { return t.In(v.loc).Format(layout) }

// notes says when a run opened late and how many runs it stands for.
func (v view) notes() []string {
	var out []string
	if v.late {
		out = append(out, fmt.Sprintf("Opened late: golive was not running at %s, when this run was due; it opened at %s.",
			v.local(v.dueAt, "15:04 MST"), v.local(v.openedAt, "2006-01-02 15:04 MST")))
	}
	if v.skipped > 0 {
		runs := "runs were"
		if v.skipped == 1 {
			runs = "run was"
		}
		out = append(out, fmt.Sprintf("%d earlier %s missed while golive was down and not opened: after downtime only the latest run opens.", v.skipped, runs))
	}
	return out
}

// carried is the open items of an earlier run's issue.
type carried struct {
	number int
	runKey string
	open   []checklist.Task
}

func taskLine(t checklist.Task) string {
	if t.Owner != "" {
		return t.Text + " — " + t.Owner
	}
	return t.Text
}

// issueBody renders a run's issue: the marker, what the run is, notes,
// the items left open by earlier runs (quoted), and the checklist.
func (v view) issueBody(prev []carried) string {
	var b strings.Builder
	b.WriteString(Marker(v.s.ID, v.wall.Format("2006-01-02T15:04")) + "\n")
	fmt.Fprintf(&b, "**%s** for %s · schedule `%s` (`%s`, %s)", v.s.Title, v.local(v.dueAt, "Monday 2006-01-02 15:04 MST"),
		v.s.ID, v.s.Cron, v.loc)
	if !v.end.IsZero() {
		fmt.Fprintf(&b, " · due by %s", v.local(v.end, "Monday 15:04 MST"))
	}
	b.WriteString("\n")
	if notes := v.notes(); len(notes) > 0 {
		b.WriteString("\n> [!NOTE]\n")
		for _, n := range notes {
			b.WriteString("> " + n + "\n")
		}
	}
	for _, c := range prev {
		if len(c.open) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### Left open by #%d (%s)\n\n", c.number, strings.Replace(c.runKey, "T", " ", 1))
		for i, t := range c.open {
			if i == maxListed {
				fmt.Fprintf(&b, "> - and %d more\n", len(c.open)-maxListed)
				break
			}
			b.WriteString("> - " + taskLine(t) + "\n")
		}
	}
	b.WriteString("\n" + checklist.RenderRoutine(v.s.Template, nil))
	return b.String()
}

// rolloverComment is the comment on an earlier run's issue when the next
// run opens.
func rolloverComment(scheduleID string, c carried, next int) string {
	var b strings.Builder
	b.WriteString(rolloverMarker(scheduleID, c.runKey) + "\n")
	if len(c.open) == 0 {
		fmt.Fprintf(&b, "Rolled over to #%d, the next run of `%s`: every item was done. Closing this run as completed.\n", next, scheduleID)
		return b.String()
	}
	fmt.Fprintf(&b, "Rolled over to #%d, the next run of `%s`, which lists what was left open here:\n\n", next, scheduleID)
	for i, t := range c.open {
		if i == maxListed {
			fmt.Fprintf(&b, "- and %d more\n", len(c.open)-maxListed)
			break
		}
		b.WriteString("- " + taskLine(t) + "\n")
	}
	b.WriteString("\nClosing this run as not planned.\n")
	return b.String()
}

// openTasks are the unticked items of an issue body's checklist.
func openTasks(body string) (open []checklist.Task, total int) {
	tasks := checklist.ParseTaskList(body)
	for _, t := range tasks {
		if !t.Checked {
			open = append(open, t)
		}
	}
	return open, len(tasks)
}

// slackRun renders a run posted to Slack.
func (v view) slackRun() string {
	var b strings.Builder
	fmt.Fprintf(&b, ":clipboard: *%s* · %s · schedule `%s`\n", slackclient.EscapeText(v.title()), slackclient.EscapeText(v.repo),
		slackclient.EscapeText(v.s.ID))
	if !v.end.IsZero() {
		fmt.Fprintf(&b, "_Due by %s._\n", v.local(v.end, "Monday 15:04 MST"))
	}
	for _, n := range v.notes() {
		b.WriteString("_" + slackclient.EscapeText(n) + "_\n")
	}
	for _, ph := range v.s.Template.Phases {
		fmt.Fprintf(&b, "\n*%s*\n", slackclient.EscapeText(ph.Name))
		for _, it := range ph.Items {
			line := it.Text
			if it.Owner != "" {
				line += " — " + it.Owner
			}
			if !it.Required {
				line += " (optional)"
			}
			b.WriteString("• " + slackclient.EscapeText(line) + "\n")
		}
	}
	return b.String()
}

// slackReminder renders a run's end-of-day reminder.
func (v view) slackReminder(issueURL string, number int, open []checklist.Task, total int) string {
	var b strings.Builder
	fmt.Fprintf(&b, ":alarm_clock: *%s* ends at %s: %d of %d items still open in <%s|%s#%d>\n",
		slackclient.EscapeText(v.title()), v.local(v.end, "15:04 MST"), len(open), total, issueURL,
		slackclient.EscapeText(v.repo), number)
	for i, t := range open {
		if i == maxSlackListed {
			fmt.Fprintf(&b, "• and %d more\n", len(open)-maxSlackListed)
			break
		}
		b.WriteString("• " + slackclient.EscapeText(taskLine(t)) + "\n")
	}
	return b.String()
}
