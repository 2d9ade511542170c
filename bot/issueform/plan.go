package issueform

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	// Go-live time zones must not depend on the host having tzdata.
	_ "time/tzdata"
)

// Defaults are the repository's settings that answers fall back on and are
// checked against (plain values, usually taken from .github/golive.yml).
type Defaults struct {
	// Timezone is the IANA zone used when the answers name none; "" means
	// UTC.
	Timezone string
	// Environments are the repository's environment names. When empty, any
	// environment is accepted.
	Environments []string
}

// Plan is a go-live as the answers describe it.
type Plan struct {
	At           time.Time // the go-live moment, in the go-live time zone
	Timezone     string    // IANA name of the go-live time zone
	Environment  string    // as the repository spells it
	Release      string    // tag, branch or version; may be empty
	SlackChannel string    // "#name" or a channel ID; empty: the repository's
	Captain      string    // GitHub login, without "@"; may be empty
	Notes        string
}

// Problem is one answer that cannot be used, with what to write instead.
type Problem struct {
	Field   string // the form label
	Message string // names the field, quotes the value, says what to write
}

func (p Problem) String() string { return p.Message }

// TimeLayout is the go-live time format the form asks for.
const TimeLayout = "2006-01-02 15:04"

const timeExample = "2026-12-01 14:00"

var (
	wallClockRE = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})$`)
	loginRE     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,37}[A-Za-z0-9])?$`)
	channelIDRE = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	channelRE   = regexp.MustCompile(`^#?([a-z0-9][a-z0-9._-]{0,79})$`)
)

// Plan checks the answers and builds the plan. It returns every problem
// found; the plan is only meaningful when there are none.
//
//   - Go-live time (required): "YYYY-MM-DD HH:MM" in the go-live zone, or
//     RFC 3339 (any offset; converted to the go-live zone). A wall-clock
//     time that does not exist or happens twice in the zone (daylight
//     saving changes) is a problem, as is a time before now.
//   - Timezone: an IANA name; empty means cfg.Timezone, then UTC.
//   - Environment: one of cfg.Environments (case-insensitive when that is
//     unambiguous); when empty and the repository has exactly one
//     environment, that one.
//   - Release, Notes: free text. Slack channel: "#name" ("name" is
//     accepted) or a channel ID. Release captain: one GitHub login, with or
//     without "@".
func (a Answers) Plan(cfg Defaults, now time.Time) (Plan, []Problem) {
	var (
		p        Plan
		problems []Problem
	)
	add := func(field, format string, args ...any) {
		problems = append(problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}

	// Timezone.
	loc := time.UTC
	p.Timezone = "UTC"
	tzOK := true
	if tz := singleLine(a.Get(LabelTimezone)); tz != "" {
		if l, name, ok := loadZone(tz); ok {
			loc, p.Timezone = l, name
		} else {
			tzOK = false
			add(LabelTimezone, "`%s` %q is not an IANA time zone: write a name like Europe/Berlin", LabelTimezone, tz)
		}
	} else if cfg.Timezone != "" {
		if l, name, ok := loadZone(cfg.Timezone); ok {
			loc, p.Timezone = l, name
		} else {
			tzOK = false
			add(LabelTimezone, "the repository's default timezone %q is not an IANA time zone: fix it in .github/golive.yml or write a `%s` like Europe/Berlin", cfg.Timezone, LabelTimezone)
		}
	}

	// Go-live time.
	when := singleLine(a.Get(LabelTime))
	switch {
	case when == "":
		add(LabelTime, "`%s` is required: write it as %s", LabelTime, timeExample)
	case !tzOK:
		// The time cannot be placed until the zone is fixed.
	default:
		if at, msg := parseWhen(when, loc); msg != "" {
			add(LabelTime, "`%s` %q %s", LabelTime, when, msg)
		} else if at.Before(now) {
			add(LabelTime, "`%s` %q is in the past (now is %s in %s)", LabelTime, when, now.In(loc).Format(TimeLayout), p.Timezone)
		} else {
			p.At = at
		}
	}

	// Environment.
	known := slices.Clone(cfg.Environments)
	slices.Sort(known)
	env := singleLine(a.Get(LabelEnvironment))
	switch {
	case env == "" && len(known) == 1:
		p.Environment = known[0]
	case env == "":
		add(LabelEnvironment, "`%s` is required: %s", LabelEnvironment, writeOneOf(known))
	case len(known) == 0:
		p.Environment = env
	default:
		if name, ok := matchEnvironment(env, known); ok {
			p.Environment = name
		} else {
			add(LabelEnvironment, "`%s` %q is not an environment of this repository: %s", LabelEnvironment, env, writeOneOf(known))
		}
	}

	p.Release = strings.Trim(singleLine(a.Get(LabelRelease)), "`")
	p.Notes = a.Get(LabelNotes)

	if ch := strings.Trim(singleLine(a.Get(LabelSlackChannel)), "`"); ch != "" {
		switch {
		case channelIDRE.MatchString(ch):
			p.SlackChannel = ch
		case channelRE.MatchString(ch):
			p.SlackChannel = "#" + strings.TrimPrefix(ch, "#")
		default:
			add(LabelSlackChannel, "`%s` %q is not a Slack channel: write it as #deploys (lowercase, no spaces) or as a channel ID like C0123ABCD", LabelSlackChannel, ch)
		}
	}

	if c := strings.Trim(singleLine(a.Get(LabelCaptain)), "`"); c != "" {
		login := strings.TrimPrefix(c, "@")
		if loginRE.MatchString(login) {
			p.Captain = login
		} else {
			add(LabelCaptain, "`%s` %q is not a GitHub login: write one login, like @octocat", LabelCaptain, c)
		}
	}
	return p, problems
}

// singleLine trims s and collapses runs of spaces and tabs to one space.
func singleLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
}

// loadZone loads an IANA zone, accepting "utc" in any case and spaces for
// underscores ("America/New York"); it refuses "Local". It returns the
// canonical name.
func loadZone(name string) (*time.Location, string, bool) {
	if strings.EqualFold(name, "UTC") {
		return time.UTC, "UTC", true
	}
	if name == "" || strings.EqualFold(name, "Local") {
		return nil, "", false
	}
	for _, n := range []string{name, strings.ReplaceAll(name, " ", "_")} {
		if loc, err := time.LoadLocation(n); err == nil {
			return loc, n, true
		}
	}
	return nil, "", false
}

// parseWhen reads a go-live time; on failure it returns what is wrong, to
// follow the quoted value.
func parseWhen(s string, loc *time.Location) (time.Time, string) {
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(s)); err == nil {
		return t.In(loc), ""
	}
	m := wallClockRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, "is not a time: write it as " + timeExample
	}
	clock := m[2]
	if len(clock) == 4 { // 9:30
		clock = "0" + clock
	}
	naive, err := time.Parse(TimeLayout, m[1]+" "+clock)
	if err != nil {
		return time.Time{}, "is not a time: write it as " + timeExample
	}
	at := inZone(naive, loc)
	switch len(at) {
	case 0:
		return time.Time{}, fmt.Sprintf("does not exist in %s (the clocks skip it for daylight saving time): pick another time", loc)
	case 1:
		return at[0], ""
	default:
		return time.Time{}, fmt.Sprintf("happens twice in %s (the clocks go back): write it with its UTC offset, as %s or %s",
			loc, at[0].Format(time.RFC3339), at[1].Format(time.RFC3339))
	}
}

// inZone returns the instants at which clocks in loc show the wall-clock
// time of naive (read as UTC): none in a daylight-saving gap, two in an
// overlap, else one. It considers the offsets in force within 36 hours,
// which covers every real time zone.
func inZone(naive time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	for _, probe := range []time.Duration{-36 * time.Hour, 0, 36 * time.Hour} {
		_, offset := naive.Add(probe).In(loc).Zone()
		t := naive.Add(-time.Duration(offset) * time.Second).In(loc)
		y, mo, d := t.Date()
		ny, nmo, nd := naive.Date()
		if y != ny || mo != nmo || d != nd || t.Hour() != naive.Hour() || t.Minute() != naive.Minute() {
			continue
		}
		if !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

func matchEnvironment(env string, known []string) (string, bool) {
	if slices.Contains(known, env) {
		return env, true
	}
	var match string
	for _, k := range known {
		if strings.EqualFold(k, env) {
			if match != "" {
				return "", false // ambiguous
			}
			match = k
		}
	}
	return match, match != ""
}

func writeOneOf(known []string) string {
	if len(known) == 0 {
		return "write the environment's name"
	}
	return "write one of " + strings.Join(known, ", ")
}
