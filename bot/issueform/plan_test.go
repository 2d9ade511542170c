package issueform

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// testNow is 2026-06-01 10:00 UTC (12:00 in Berlin, summer time).
var testNow = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

var repoDefaults = Defaults{Timezone: "Europe/Berlin", Environments: []string{"staging", "production"}}

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPlanFullAnswers(t *testing.T) {
	a := Answers{
		LabelTime:         "2026-12-01 14:00",
		LabelTimezone:     "America/New York",
		LabelEnvironment:  "Production",
		LabelRelease:      "`v1.4.0`",
		LabelSlackChannel: "deploys",
		LabelCaptain:      "@octocat",
		LabelNotes:        "line 1\nline 2",
	}
	p, problems := a.Plan(repoDefaults, testNow)
	if len(problems) != 0 {
		t.Fatalf("problems: %q", problems)
	}
	ny, _ := time.LoadLocation("America/New_York")
	want := Plan{
		At: time.Date(2026, 12, 1, 14, 0, 0, 0, ny), Timezone: "America/New_York", Environment: "production",
		Release: "v1.4.0", SlackChannel: "#deploys", Captain: "octocat", Notes: "line 1\nline 2",
	}
	if !p.At.Equal(want.At) || p.At.Location().String() != "America/New_York" {
		t.Errorf("At = %v, want %v", p.At, want.At)
	}
	p.At = want.At
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plan = %+v\nwant %+v", p, want)
	}
}

func TestPlanDefaults(t *testing.T) {
	p, problems := Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "staging"}.Plan(repoDefaults, testNow)
	if len(problems) != 0 {
		t.Fatalf("problems: %q", problems)
	}
	if want := time.Date(2026, 12, 1, 14, 0, 0, 0, berlin(t)); !p.At.Equal(want) || p.Timezone != "Europe/Berlin" || p.At.Location().String() != "Europe/Berlin" {
		t.Errorf("At = %v in %q, want %v", p.At, p.Timezone, want)
	}

	// No default zone: UTC. RFC 3339 keeps its instant, shown in the zone.
	p, problems = Answers{LabelTime: "2026-12-01t14:00:00+01:00", LabelEnvironment: "only"}.Plan(Defaults{Environments: []string{"only"}}, testNow)
	if len(problems) != 0 || p.Timezone != "UTC" || p.At.Location() != time.UTC || !p.At.Equal(time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("RFC 3339 plan = %+v, %q", p, problems)
	}

	// The only environment is used when none is given.
	p, problems = Answers{LabelTime: "2026-12-01 9:05"}.Plan(Defaults{Environments: []string{"live"}}, testNow)
	if len(problems) != 0 || p.Environment != "live" || p.At.Hour() != 9 || p.At.Minute() != 5 {
		t.Errorf("plan = %+v, %q", p, problems)
	}
}

func TestPlanProblems(t *testing.T) {
	tests := []struct {
		name string
		a    Answers
		cfg  Defaults
		want []Problem
	}{
		{"not a time", Answers{LabelTime: "tomorrow", LabelEnvironment: "staging"}, repoDefaults,
			[]Problem{{LabelTime, "`Go-live time` \"tomorrow\" is not a time: write it as 2026-12-01 14:00"}}},
		{"impossible date", Answers{LabelTime: "2026-02-30 10:00", LabelEnvironment: "staging"}, repoDefaults,
			[]Problem{{LabelTime, "`Go-live time` \"2026-02-30 10:00\" is not a time: write it as 2026-12-01 14:00"}}},
		{"in the past", Answers{LabelTime: "2026-06-01 11:59", LabelEnvironment: "staging"}, repoDefaults,
			[]Problem{{LabelTime, "`Go-live time` \"2026-06-01 11:59\" is in the past (now is 2026-06-01 12:00 in Europe/Berlin)"}}},
		{"unknown timezone", Answers{LabelTime: "2026-12-01 14:00", LabelTimezone: "Berlin", LabelEnvironment: "staging"}, repoDefaults,
			[]Problem{{LabelTimezone, "`Timezone` \"Berlin\" is not an IANA time zone: write a name like Europe/Berlin"}}},
		{"Local is not a zone", Answers{LabelTime: "2026-12-01 14:00", LabelTimezone: "Local", LabelEnvironment: "staging"}, repoDefaults,
			[]Problem{{LabelTimezone, "`Timezone` \"Local\" is not an IANA time zone: write a name like Europe/Berlin"}}},
		{"bad repository default", Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "x"}, Defaults{Timezone: "Mars/Base"},
			[]Problem{{LabelTimezone, "the repository's default timezone \"Mars/Base\" is not an IANA time zone: fix it in .github/golive.yml or write a `Timezone` like Europe/Berlin"}}},
		{"unknown environment", Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "prod"}, repoDefaults,
			[]Problem{{LabelEnvironment, "`Environment` \"prod\" is not an environment of this repository: write one of production, staging"}}},
		{"missing required", Answers{LabelRelease: "v1"}, repoDefaults,
			[]Problem{
				{LabelTime, "`Go-live time` is required: write it as 2026-12-01 14:00"},
				{LabelEnvironment, "`Environment` is required: write one of production, staging"},
			}},
		{"daylight saving gap", Answers{LabelTime: "2027-03-28 02:30", LabelEnvironment: "staging"}, repoDefaults,
			[]Problem{{LabelTime, "`Go-live time` \"2027-03-28 02:30\" does not exist in Europe/Berlin (the clocks skip it for daylight saving time): pick another time"}}},
		{"daylight saving overlap", Answers{LabelTime: "2026-10-25 02:30", LabelEnvironment: "staging"}, repoDefaults,
			[]Problem{{LabelTime, "`Go-live time` \"2026-10-25 02:30\" happens twice in Europe/Berlin (the clocks go back): write it with its UTC offset, as 2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00"}}},
		{"bad channel and captain", Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "staging", LabelSlackChannel: "Deploy Team", LabelCaptain: "@alice @bob"}, repoDefaults,
			[]Problem{
				{LabelSlackChannel, "`Slack channel` \"Deploy Team\" is not a Slack channel: write it as #deploys (lowercase, no spaces) or as a channel ID like C0123ABCD"},
				{LabelCaptain, "`Release captain` \"@alice @bob\" is not a GitHub login: write one login, like @octocat"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := tt.a.Plan(tt.cfg, testNow)
			if !reflect.DeepEqual(problems, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", problems, tt.want)
			}
		})
	}
}

func TestPlanOverlapResolvedByOffset(t *testing.T) {
	for _, when := range []string{"2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"} {
		p, problems := Answers{LabelTime: when, LabelEnvironment: "staging"}.Plan(repoDefaults, testNow)
		if len(problems) != 0 || p.At.Format(time.RFC3339) != when {
			t.Errorf("%s: plan at %v, %q", when, p.At, problems)
		}
	}
}

func TestPlanAmbiguousEnvironmentCase(t *testing.T) {
	_, problems := Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "PROD"}.Plan(Defaults{Environments: []string{"prod", "Prod"}}, testNow)
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "write one of Prod, prod") {
		t.Errorf("problems = %q", problems)
	}
}
