package repoconfig

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
)

func TestDecodeSchedules(t *testing.T) {
	cfg := mustDecode(t, `version: 1
timezone: Europe/Berlin
slack: {channel: "#ops"}
schedules:
  daily-morning:
    cron: "0 9 * * MON-FRI"
    routine: daily-morning
    end_of_day: "17:00"
  nightly:
    title: Nightly   checks
    cron: "@daily"
    timezone: America/New_York
    post: slack
    slack_channel: C0NIGHT
    ends_after: 8h
    remind_before: 30m
    template:
      phases:
        - name: Night
          items:
            - text: Check the batch jobs
              owner: "@acme/sre"
`)
	if len(cfg.Schedules) != 2 {
		t.Fatalf("schedules %+v", cfg.Schedules)
	}
	m := cfg.Schedules[0]
	if m.ID != "daily-morning" || m.Title != "Daily morning checks" || m.Routine != "daily-morning" || m.Post != PostIssue ||
		m.Cron.String() != "0 9 * * MON-FRI" || !m.HasEndOfDay || m.EndOfDay != 17*time.Hour || m.RemindBefore != time.Hour ||
		len(m.Template.Items()) != 5 || m.Line != 5 {
		t.Errorf("daily-morning = %+v", m)
	}
	if cfg.ScheduleLocation(m).String() != "Europe/Berlin" || cfg.ScheduleChannel(m) != "#ops" {
		t.Errorf("daily-morning location %v channel %q", cfg.ScheduleLocation(m), cfg.ScheduleChannel(m))
	}
	n, ok := cfg.Schedule("nightly")
	if !ok || n.Title != "Nightly checks" || n.Post != PostSlack || n.EndsAfter != 8*time.Hour || n.RemindBefore != 30*time.Minute ||
		n.Routine != "" || len(n.Template.Phases) != 1 || n.Template.Phases[0].Items[0].Owner != "@acme/sre" {
		t.Errorf("nightly = %+v", n)
	}
	if cfg.ScheduleLocation(n).String() != "America/New_York" || cfg.ScheduleChannel(n) != "C0NIGHT" {
		t.Errorf("nightly location %v channel %q", cfg.ScheduleLocation(n), cfg.ScheduleChannel(n))
	}
	if _, ok := cfg.Schedule("Daily-Morning"); ok {
		t.Error("Schedule matched another case")
	}
	if got := mustDecode(t, "version: 1\nschedules:\n").Schedules; got != nil {
		t.Errorf("null schedules: %+v", got)
	}
}

func TestScheduleEnd(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	wall := time.Date(2026, 3, 28, 9, 0, 0, 0, time.UTC)
	at := time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC)
	s := Schedule{HasEndOfDay: true, EndOfDay: 17 * time.Hour}
	if end, ok := s.End(wall, at, berlin); !ok || end.In(berlin).Format("2006-01-02 15:04") != "2026-03-28 17:00" {
		t.Errorf("end of day: %v", end.In(berlin))
	}
	// An end of day before the run's time is the next day's, across the
	// change to summer time.
	s.EndOfDay = 8 * time.Hour
	if end, _ := s.End(wall, at, berlin); end.In(berlin).Format("2006-01-02 15:04 MST") != "2026-03-29 08:00 CEST" {
		t.Errorf("next day's end: %v", end.In(berlin))
	}
	if end, ok := (Schedule{EndsAfter: 8 * time.Hour}).End(wall, at, berlin); !ok || !end.Equal(at.Add(8*time.Hour)) {
		t.Errorf("ends_after: %v", end)
	}
	if _, ok := (Schedule{}).End(wall, at, berlin); ok {
		t.Error("a schedule without an end has one")
	}
}

func TestDecodeScheduleProblems(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"schedules:\n  ops:\n    cron: \"61 9 * * *\"\n    routine: daily-morning\n",
			`line 4: schedules.ops.cron "61 9 * * *" is not a cron expression: minute "61": 61 is out of range 0-59 (write 5 fields`},
		{"schedules:\n  ops:\n    cron: \"0 9 * *\"\n    routine: daily-morning\n",
			`line 4: schedules.ops.cron "0 9 * *" is not a cron expression: want 5 fields (minute hour day-of-month month day-of-week), found 4`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    timezone: Mars/Olympus_Mons\n    routine: daily-morning\n",
			`line 5: schedules.ops.timezone "Mars/Olympus_Mons" is not an IANA time zone: write a name like "Europe/Berlin" or "UTC"`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    timezone: Local\n    routine: daily-morning\n",
			`schedules.ops.timezone "Local" is not an IANA time zone`},
		{"schedules:\n  ops:\n    routine: daily-morning\n",
			`line 3: schedules.ops has no cron expression`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n",
			`line 3: schedules.ops needs a checklist: name a built-in routine (routine: daily-morning; one of daily-morning, daily-evening,`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily\n",
			`line 5: schedules.ops.routine "daily" is not a built-in routine: use one of daily-morning`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    template: {phases: [{name: A, items: [{text: x}]}]}\n",
			`line 6: schedules.ops has both a routine and a template: keep one`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    template:\n      phases:\n        - name: A\n          offset: T-1d\n          items: [{text: x}]\n",
			`line 8: schedules.ops.template: phase 1: routines have no offset`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    template: {}\n",
			`line 5: schedules.ops.template has no phases`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    crn: x\n",
			`line 6: unknown field "crn" in schedules.ops (did you mean "cron"?)`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    post: email\n",
			`line 6: schedules.ops.post "email" is not a way to post`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    post: slack\n",
			`line 3: schedules.ops posts to Slack but has no channel`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    end_of_day: \"5pm\"\n",
			`line 6: schedules.ops.end_of_day "5pm" is not a time of day`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    end_of_day: \"17:00\"\n    ends_after: 8h\n",
			`line 7: schedules.ops has both end_of_day and ends_after: keep one`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    ends_after: 8\n",
			`line 6: schedules.ops.ends_after 8 has no unit: write a duration like "8h", from 1m to 744h`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    remind_before: 2d\n",
			`line 6: schedules.ops.remind_before "2d" is not a duration`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    remind_before: 25h\n",
			`schedules.ops.remind_before "25h" is out of range: write a duration from 1m to 24h`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    routine: daily-morning\n    slack_channel: ops\n",
			`line 6: schedules.ops.slack_channel "ops" is not a Slack channel`},
		{"schedules:\n  \"bad id\":\n    cron: \"0 9 * * *\"\n",
			`line 3: schedule id "bad id" may only hold letters`},
		{"schedules:\n  golive-ops:\n    cron: \"0 9 * * *\"\n",
			`schedule id "golive-ops" is golive's own label`},
		{"schedules:\n  ops: {cron: \"0 9 * * *\", routine: daily-morning}\n  OPS: {cron: \"0 9 * * *\", routine: daily-morning}\n",
			`line 4: schedule id "OPS" is the same label as "ops" (line 3)`},
		{"schedules:\n  ops:\n", `line 3: schedules.ops is empty`},
		{"schedules: [daily-morning]\n", `line 2: schedules must be a mapping of schedule ids to schedules`},
		{"schedules:\n  ops:\n    cron: \"0 9 * * *\"\n    title: \"\"\n    routine: daily-morning\n", `line 5: schedules.ops.title is empty`},
	} {
		_, err := Decode([]byte("version: 1\n" + tc.src))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Decode(%q) = %v, want a ParseError containing %q", tc.src, err, tc.want)
			continue
		}
		found := false
		for _, p := range pe.Problems {
			if strings.Contains(p.String(), tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("Decode(%q) problems:\n%v\nwant one containing %q", tc.src, pe.Problems, tc.want)
		}
	}
}

// TestScheduleProblemsNameTheSchedule: every problem inside a schedule
// names it.
func TestScheduleProblemsNameTheSchedule(t *testing.T) {
	_, err := Decode([]byte(`version: 1
schedules:
  weekly-review:
    cron: "0 15 * * FRY"
    timezone: Europe/Berln
    template:
      phases:
        - name: Review
          items:
            - id: "bad id"
              text: Retro
`))
	var pe *ParseError
	if !errors.As(err, &pe) || len(pe.Problems) != 3 {
		t.Fatalf("Decode: %v", err)
	}
	for _, p := range pe.Problems {
		if !strings.Contains(p.Message, "schedules.weekly-review") {
			t.Errorf("problem %q does not name the schedule", p)
		}
	}
}

// TestExampleSchedulesTheSeedRoutines: docs/golive.example.yml schedules
// every built-in routine, each under its own id.
func TestExampleSchedulesTheSeedRoutines(t *testing.T) {
	data, err := os.ReadFile("../../docs/golive.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustDecode(t, string(data))
	for _, id := range checklist.RoutineIDs() {
		s, ok := cfg.Schedule(id)
		if !ok || s.Routine != id || s.Cron == nil || !s.HasEnd() {
			t.Errorf("the example's schedule %q = %+v, %v", id, s, ok)
		}
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	morning, _ := cfg.Schedule("daily-morning")
	evening, _ := cfg.Schedule("daily-evening")
	for _, tc := range []struct {
		s    Schedule
		hour int
	}{{morning, 9}, {evening, 17}} {
		o, ok := tc.s.Cron.Next(time.Date(2026, 11, 22, 12, 0, 0, 0, berlin), cfg.ScheduleLocation(tc.s))
		if !ok || o.At.In(berlin).Hour() != tc.hour || o.At.In(berlin).Weekday() != time.Monday {
			t.Errorf("%s next runs at %v", tc.s.ID, o.At.In(berlin))
		}
	}
	if h, ok := cfg.Schedule("on-call-handover"); !ok || h.Post != PostSlack || cfg.ScheduleLocation(h).String() != "America/New_York" {
		t.Errorf("on-call-handover = %+v", h)
	}
}
