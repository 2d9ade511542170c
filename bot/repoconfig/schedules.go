package repoconfig

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/cron"
)

// ScheduleLabel is the label of every issue a schedule opens (with the
// schedule's id as a second label).
const ScheduleLabel = "golive-ops"

// How a schedule's runs are posted.
const (
	PostIssue = "issue" // an issue with the checklist (the default)
	PostSlack = "slack" // a Slack message with the checklist
)

// Defaults and bounds of a schedule's timing.
const (
	DefaultRemindBefore = time.Hour
	maxEndsAfter        = 31 * 24 * time.Hour
	maxRemindBefore     = 24 * time.Hour
)

// scheduleIDRE is a schedule id: it is a GitHub label (at most 50
// characters) and part of hidden markers.
var scheduleIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$`)

// Schedule is one entry of the configuration's schedules section: a
// recurring operations checklist, opened as an issue (or posted to Slack) at
// each time its cron expression names, in its time zone.
type Schedule struct {
	// ID is the schedule's key in the section: letters, digits, '.', '_'
	// and '-', at most 50 characters. Its runs' issues carry it as a label.
	ID string
	// Title starts the title of each run's issue ("Daily morning checks —
	// 2026-11-23"): the configured title, else the routine's, else the id.
	Title string
	// Cron says when runs open (see package cron).
	Cron *cron.Schedule
	// Timezone is the IANA zone the cron expression is read in; "" means
	// the configuration's timezone (see Config.ScheduleLocation).
	Timezone string
	// Routine is the built-in routine the checklist comes from, "" when the
	// schedule writes its own template.
	Routine string
	// Template is the checklist of each run: the routine's, or the
	// schedule's own phases.
	Template checklist.Template
	// SlackChannel is where runs post (Post "slack") and end-of-day
	// reminders go; "" means slack.channel (see Config.ScheduleChannel).
	SlackChannel string
	// Post is PostIssue or PostSlack.
	Post string
	// EndOfDay is the time of day (like 17*time.Hour) a run's checklist is
	// due by, when HasEndOfDay: the first such time after the run opens.
	EndOfDay    time.Duration
	HasEndOfDay bool
	// EndsAfter is how long after it opens a run's checklist is due; 0
	// when unset. At most one of EndOfDay and EndsAfter is set.
	EndsAfter time.Duration
	// RemindBefore is how long before a run's end golive posts what is
	// still open to Slack (DefaultRemindBefore when unset).
	RemindBefore time.Duration
	// Line is where the schedule is in the file (for messages).
	Line int

	loc *time.Location
}

// HasEnd reports whether runs have an end of day (and so a reminder before
// it).
func (s Schedule) HasEnd() bool { return s.HasEndOfDay || s.EndsAfter > 0 }

// End returns the end of day of the run scheduled at wall (its scheduled
// local date and time, a civil time in UTC as cron.Occurrence.Wall) that
// opened at at, in loc: with end_of_day, the first time of day EndOfDay
// after the scheduled time (the same day when it is later, else the next
// day), placed as cron places wall times across daylight-saving changes;
// with ends_after, at+EndsAfter. ok is false when the schedule sets no end.
func (s Schedule) End(wall, at time.Time, loc *time.Location) (end time.Time, ok bool) {
	switch {
	case s.HasEndOfDay:
		day := time.Date(wall.Year(), wall.Month(), wall.Day(), 0, 0, 0, 0, time.UTC)
		tod := wall.Sub(day)
		if s.EndOfDay <= tod {
			day = day.AddDate(0, 0, 1)
		}
		return cron.Resolve(day.Add(s.EndOfDay), loc), true
	case s.EndsAfter > 0:
		return at.Add(s.EndsAfter), true
	}
	return time.Time{}, false
}

// ScheduleLocation returns the zone s's cron expression is read in: its
// own, else the configuration's.
func (c *Config) ScheduleLocation(s Schedule) *time.Location {
	if s.loc != nil {
		return s.loc
	}
	if s.Timezone != "" {
		if loc, err := loadLocation(s.Timezone); err == nil {
			return loc
		}
	}
	return c.Location()
}

// ScheduleChannel returns the Slack channel of s: its own, else
// slack.channel; "" when neither is set.
func (c *Config) ScheduleChannel(s Schedule) string {
	if s.SlackChannel != "" {
		return s.SlackChannel
	}
	return c.Slack.Channel
}

// Schedule returns the schedule with exactly this id.
func (c *Config) Schedule(id string) (Schedule, bool) {
	for _, s := range c.Schedules {
		if s.ID == id {
			return s, true
		}
	}
	return Schedule{}, false
}

// schedules decodes the schedules section: schedule ids to schedules.
func (d *decoder) schedules(at, v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		d.addf(at, "schedules must be a mapping of schedule ids to schedules, like \"daily-morning: {cron: \\\"0 9 * * *\\\", routine: daily-morning}\", found %s", kindName(v))
		return
	}
	seen := map[string]*yaml.Node{}
	for _, p := range d.pairs(v, "schedules") {
		id := p.key.Value
		if !scheduleIDRE.MatchString(id) {
			d.addf(p.key, "schedule id %q may only hold letters, digits, '.', '_' and '-', start with a letter or digit, and be at most 50 characters long (it becomes an issue label)", id)
			continue
		}
		if strings.EqualFold(id, ScheduleLabel) {
			d.addf(p.key, "schedule id %q is golive's own label for schedule issues: choose another id", id)
			continue
		}
		if first, dup := seen[strings.ToLower(id)]; dup {
			d.addf(p.key, "schedule id %q is the same label as %q (line %d): GitHub ignores the case of labels, so rename one", id, first.Value, first.Line)
			continue
		}
		seen[strings.ToLower(id)] = p.key
		if s, ok := d.schedule(id, p.key, p.value); ok {
			d.cfg.Schedules = append(d.cfg.Schedules, s)
		}
	}
}

// schedule decodes one schedule; ok is false when it has problems.
func (d *decoder) schedule(id string, key, n *yaml.Node) (Schedule, bool) {
	s := Schedule{ID: id, Post: PostIssue, RemindBefore: DefaultRemindBefore, Line: key.Line}
	where := "schedules." + id
	before := len(d.problems)
	var (
		cronSeen, endOfDaySeen, endsAfterSeen bool
		routineNode, templateNode             *yaml.Node
		endsAfterNode                         *yaml.Node
		phases                                *yaml.Node
	)
	if isNull(resolve(n)) {
		d.addf(key, "%s is empty: give it a cron expression and a routine or template, like {cron: \"0 9 * * *\", routine: daily-morning}", where)
		return s, false
	}
	d.fields(n, where, map[string]field{
		"title": func(at, v *yaml.Node) {
			if t, ok := d.str(at, v, where+".title"); ok {
				t = strings.Join(strings.Fields(t), " ")
				switch {
				case t == "":
					d.addf(at, "%s.title is empty: leave it out to use the routine's title or the id", where)
				case len([]rune(t)) > 200:
					d.addf(at, "%s.title is %d characters long: keep it to 200", where, len([]rune(t)))
				case strings.Contains(t, "<!--") || strings.Contains(t, "-->"):
					d.addf(at, "%s.title must not contain HTML comment delimiters", where)
				default:
					s.Title = t
				}
			}
		},
		"cron": func(at, v *yaml.Node) {
			cronSeen = true
			text, ok := d.str(at, v, where+".cron")
			if !ok {
				return
			}
			c, err := cron.Parse(text)
			if err != nil {
				why := strings.TrimPrefix(err.Error(), fmt.Sprintf("parse cron expression %q: ", text))
				d.addf(at, "%s.cron %q is not a cron expression: %s (write 5 fields, minute hour day-of-month month day-of-week, like \"0 9 * * MON-FRI\")", where, text, why)
				return
			}
			s.Cron = c
		},
		"timezone": func(at, v *yaml.Node) {
			tz, ok := d.str(at, v, where+".timezone")
			if !ok {
				return
			}
			loc, err := loadLocation(tz)
			if err != nil {
				d.addf(at, "%s.timezone %q is not an IANA time zone: write a name like \"Europe/Berlin\" or \"UTC\"", where, tz)
				return
			}
			s.Timezone, s.loc = tz, loc
		},
		"routine": func(at, v *yaml.Node) {
			routineNode = at
			name, ok := d.str(at, v, where+".routine")
			if !ok {
				return
			}
			r, found := checklist.RoutineByID(name)
			if !found {
				d.addf(at, "%s.routine %q is not a built-in routine: use one of %s, or write your own phases under template", where, name, strings.Join(checklist.RoutineIDs(), ", "))
				return
			}
			s.Routine = r.ID
			s.Template = r.Template
			if s.Title == "" {
				s.Title = r.Title
			}
		},
		"template": func(at, v *yaml.Node) {
			templateNode = at
			d.fields(at, where+".template", map[string]field{
				"phases": func(_, v *yaml.Node) { phases = v },
			})
			if phases == nil && (isNull(v) || v.Kind == yaml.MappingNode) {
				d.addf(at, "%s.template has no phases: list the checklist's phases, each with a name and items", where)
			}
		},
		"slack_channel": func(at, v *yaml.Node) {
			if ch, ok := d.str(at, v, where+".slack_channel"); ok {
				if !slackChannelRE.MatchString(ch) {
					d.addf(at, "%s.slack_channel %q is not a Slack channel: write it as \"#ops\" or as a channel ID like C0123ABCD", where, ch)
					return
				}
				s.SlackChannel = ch
			}
		},
		"post": func(at, v *yaml.Node) {
			if p, ok := d.str(at, v, where+".post"); ok {
				if p != PostIssue && p != PostSlack {
					d.addf(at, "%s.post %q is not a way to post: write %q (an issue per run, the default) or %q (a Slack message per run)", where, p, PostIssue, PostSlack)
					return
				}
				s.Post = p
			}
		},
		"end_of_day": func(at, v *yaml.Node) {
			endOfDaySeen = true
			if v.Kind != yaml.ScalarNode || isNull(v) {
				d.addf(at, "%s.end_of_day must be a time of day like \"17:00\", found %s", where, kindName(v))
				return
			}
			m := timeOfDayRE.FindStringSubmatch(v.Value)
			if m == nil || v.ShortTag() != "!!str" {
				d.addf(at, "%s.end_of_day %q is not a time of day: write it as HH:MM, from 00:00 to 23:59, like \"17:00\"", where, v.Value)
				return
			}
			h, _ := strconv.Atoi(m[1])
			mm, _ := strconv.Atoi(m[2])
			s.EndOfDay, s.HasEndOfDay = time.Duration(h)*time.Hour+time.Duration(mm)*time.Minute, true
		},
		"ends_after": func(at, v *yaml.Node) {
			endsAfterSeen, endsAfterNode = true, at
			if dur, ok := d.duration(at, v, where+".ends_after", time.Minute, maxEndsAfter, "\"8h\""); ok {
				s.EndsAfter = dur
			}
		},
		"remind_before": func(at, v *yaml.Node) {
			if dur, ok := d.duration(at, v, where+".remind_before", time.Minute, maxRemindBefore, "\"1h\""); ok {
				s.RemindBefore = dur
			}
		},
	})
	if !cronSeen {
		d.addf(key, "%s has no cron expression: add one like cron: \"0 9 * * MON-FRI\" (minute hour day-of-month month day-of-week)", where)
	}
	switch {
	case routineNode != nil && templateNode != nil:
		d.addf(templateNode, "%s has both a routine and a template: keep one", where)
	case routineNode == nil && templateNode == nil:
		d.addf(key, "%s needs a checklist: name a built-in routine (routine: daily-morning; one of %s) or write phases under template", where, strings.Join(checklist.RoutineIDs(), ", "))
	case phases != nil:
		t, problems := checklist.ParseRoutinePhases(phases)
		for _, p := range problems {
			d.add(p.Line, where+".template: "+p.Message)
		}
		s.Template = t
	}
	if endOfDaySeen && endsAfterSeen {
		d.addf(endsAfterNode, "%s has both end_of_day and ends_after: keep one", where)
	}
	if s.Title == "" {
		s.Title = id
	}
	return s, len(d.problems) == before
}

// duration decodes a Go duration from lo to hi; example is shown in
// messages.
func (d *decoder) duration(at, v *yaml.Node, name string, lo, hi time.Duration, example string) (time.Duration, bool) {
	if v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float") {
		d.addf(at, "%s %s has no unit: write a duration like %s, from %s to %s", name, v.Value, example, shortDuration(lo), shortDuration(hi))
		return 0, false
	}
	text, ok := d.str(at, v, name)
	if !ok {
		return 0, false
	}
	dur, err := time.ParseDuration(text)
	if err != nil {
		d.addf(at, "%s %q is not a duration: write one like %s, from %s to %s", name, text, example, shortDuration(lo), shortDuration(hi))
		return 0, false
	}
	if dur < lo || dur > hi {
		d.addf(at, "%s %q is out of range: write a duration from %s to %s, like %s", name, text, shortDuration(lo), shortDuration(hi), example)
		return 0, false
	}
	return dur, true
}

// shortDuration writes whole hours as "24h" and whole minutes as "1m".
func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// finishSchedules checks what depends on the rest of the configuration: a
// schedule posting to Slack needs a channel.
func (d *decoder) finishSchedules() {
	for _, s := range d.cfg.Schedules {
		if s.Post == PostSlack && s.SlackChannel == "" && d.cfg.Slack.Channel == "" {
			d.add(s.Line, fmt.Sprintf("schedules.%s posts to Slack but has no channel: set its slack_channel, or slack.channel", s.ID))
		}
	}
}
