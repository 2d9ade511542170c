// Package repoconfig reads a repository's golive configuration,
// .github/golive.yml (version 1).
//
// Decode is strict: an unknown key, a value of the wrong type or an invalid
// value is an error that names the line it is on, so a typo never silently
// falls back to a default. Load finds the file in the repository, then in the
// owner's .github repository, and otherwise uses the defaults.
//
// The package has no notion of "now" and does no I/O of its own: files come
// through a Fetcher.
package repoconfig

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	// Time zones are part of the configuration's meaning, so they must not
	// depend on the host having tzdata installed.
	_ "time/tzdata"

	"gopkg.in/yaml.v3"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/reminders"
)

// Path is where golive looks for the configuration, both in the repository
// itself and in the owner's .github repository.
const Path = ".github/golive.yml"

// OrganizationRepo is the name of the owner-wide repository whose Path is
// used when a repository has no configuration of its own.
const OrganizationRepo = ".github"

// SupportedVersion is the only configuration version this package reads.
const SupportedVersion = 1

// Defaults used for fields the configuration leaves out.
const (
	DefaultLabel    = "golive"
	DefaultTimezone = "UTC"
	DefaultWorkflow = "deploy.yml"
)

// Role is a repository permission level on GitHub, lowest first: read,
// triage, write, maintain, admin.
type Role string

// The roles GitHub knows, lowest first.
const (
	RoleRead     Role = "read"
	RoleTriage   Role = "triage"
	RoleWrite    Role = "write"
	RoleMaintain Role = "maintain"
	RoleAdmin    Role = "admin"
)

var roles = []Role{RoleRead, RoleTriage, RoleWrite, RoleMaintain, RoleAdmin}

// Valid reports whether r is one of the five GitHub roles.
func (r Role) Valid() bool { return slices.Contains(roles, r) }

// AtLeast reports whether r grants at least what need grants. An unknown role
// (on either side) is never enough.
func (r Role) AtLeast(need Role) bool {
	have, want := slices.Index(roles, r), slices.Index(roles, need)
	return have >= 0 && want >= 0 && have >= want
}

// Config is a decoded, validated and defaulted configuration. Values returned
// by Decode, Load and Default always have Version 1, a non-empty Label, a
// Timezone that loads, and at least one environment.
type Config struct {
	Version  int
	Label    string // the issue label that marks a go-live issue
	Timezone string // IANA name; the default zone for go-live times
	Slack    Slack
	// Environments by name; each value's Name equals its key. A file whose
	// environments section is missing, null or empty gets Default()'s.
	Environments map[string]Environment
	// Template changes the go-live checklist; nil when the configuration has
	// no template section.
	Template *TemplateOverride
	// Reminders adjusts the go-live's reminder timeline; its zero value
	// (no reminders section) means golive's defaults. Use ReminderOffsets,
	// ReminderRules and ReminderGrace rather than reading it directly.
	Reminders Reminders
	// Incidents configures /golive incident: its channel, on-call group,
	// SLA targets and business hours.
	Incidents Incidents
	// Schedules are the recurring operations checklists, in file order;
	// nil when there are none. See schedules.go.
	Schedules []Schedule

	loc *time.Location
}

// Slack is the configuration's slack section.
type Slack struct {
	// Channel is "#name" or a channel ID like "C0123ABCD"; empty when unset.
	Channel string
	// Users maps GitHub logins ("alice") and teams ("acme/sre") to Slack user
	// IDs ("U0123ABCD", "W0123ABCD") or user-group IDs ("S0123ABCD"), so that
	// golive's mentions reach people in Slack. Keys are as written without a
	// leading "@"; no two keys differ only in case (GitHub names ignore
	// case). nil when the configuration maps nobody. Look people up with
	// SlackID.
	Users map[string]string
}

// SlackID returns the Slack ID that slack.users maps a GitHub login or team
// to. github may be written with or without the leading "@" ("@alice",
// "alice", "@acme/sre"); the match ignores case, as GitHub does. It reports
// false when github is not mapped.
func (s Slack) SlackID(github string) (string, bool) {
	name := strings.TrimPrefix(github, "@")
	if name == "" {
		return "", false
	}
	if id, ok := s.Users[name]; ok {
		return id, true
	}
	// Decode refuses keys that differ only in case; for a hand-built map
	// that has some, the smallest such key wins, so the answer is stable.
	best, found := "", false
	for k := range s.Users {
		if strings.EqualFold(k, name) && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return "", false
	}
	return s.Users[best], true
}

// Reminders is the configuration's reminders section. The zero value keeps
// golive's defaults.
type Reminders struct {
	// Offsets replace the default timeline (reminders.DefaultOffsets), in
	// the order written, without duplicates; nil when the configuration
	// gives none, meaning the default timeline. Never empty but non-nil
	// from Decode.
	Offsets []checklist.Offset
	// Grace is how late a missed reminder is still sent on its own, from
	// 1m to 24h; 0 when unset, meaning reminders.DefaultGrace.
	Grace time.Duration
	// QuietStart and QuietEnd are the quiet hours as times of day in the
	// go-live's time zone (20*time.Hour for "20:00"), as in reminders.Rules:
	// they span midnight when QuietStart > QuietEnd. Both 0 when unset;
	// Decode never returns them equal otherwise.
	QuietStart, QuietEnd time.Duration
	// SkipWeekends moves non-critical reminders off Saturdays and Sundays.
	SkipWeekends bool
	// Escalation lists who is mentioned when a phase's deadline passes with
	// required items open, as written: "@login" or "@org/team". nil when
	// unset.
	Escalation []string
}

// ReminderOffsets returns the reminder timeline: the configured offsets, or
// reminders.DefaultOffsets() when the configuration gives none. The result
// is a new slice each call.
func (c *Config) ReminderOffsets() []checklist.Offset {
	if len(c.Reminders.Offsets) > 0 {
		return slices.Clone(c.Reminders.Offsets)
	}
	return reminders.DefaultOffsets()
}

// ReminderRules returns the quiet hours and weekend rule the configuration
// sets for reminders; the zero Rules (moving nothing) when it sets none.
func (c *Config) ReminderRules() reminders.Rules {
	return reminders.Rules{
		QuietStart: c.Reminders.QuietStart,
		QuietEnd:   c.Reminders.QuietEnd,
		Weekends:   c.Reminders.SkipWeekends,
	}
}

// ReminderGrace returns how late a missed reminder is still sent on its own:
// the configured grace, or reminders.DefaultGrace.
func (c *Config) ReminderGrace() time.Duration {
	if c.Reminders.Grace > 0 {
		return c.Reminders.Grace
	}
	return reminders.DefaultGrace
}

// Environment is one deployment target.
type Environment struct {
	Name       string
	Production bool
	// Workflow is the GitHub Actions workflow file (in .github/workflows)
	// that deploys; it ends in .yml or .yaml.
	Workflow string
	// RollbackWorkflow is the workflow file that rolls back; empty when the
	// environment has none.
	RollbackWorkflow string
	// MinRole is the lowest repository role allowed to deploy.
	MinRole           Role
	SlackUsers        []string
	SlackGroups       []string
	RequiredVariables []string
	// TickOnSuccess are checklist item ids golive ticks on the go-live when
	// a deploy to this environment succeeds (the T-day deploy items).
	TickOnSuccess []string
}

// TemplateOverride is the configuration's template section. Its phases are
// kept as YAML for the checklist package to interpret.
type TemplateOverride struct {
	// Extend is true when Phases add to golive's default checklist and false
	// when they replace it. It defaults to true.
	Extend bool
	// Phases is the YAML value of template.phases as written (a zero Node
	// when absent). Line numbers in it refer to the configuration file.
	Phases yaml.Node
}

// Default returns the configuration used when a repository has none: label
// "golive", time zone UTC, no Slack channel nor users, the environments
// staging and production (production: true), both deployed by deploy.yml,
// and the default reminders (timeline, grace, no quiet hours, weekends
// included, no escalation).
func Default() *Config {
	c := &Config{
		Version:  SupportedVersion,
		Label:    DefaultLabel,
		Timezone: DefaultTimezone,
		loc:      time.UTC,
	}
	c.Environments = defaultEnvironments()
	return c
}

func defaultEnvironments() map[string]Environment {
	return map[string]Environment{
		"staging":    withDefaults(Environment{Name: "staging"}),
		"production": withDefaults(Environment{Name: "production", Production: true}),
	}
}

func withDefaults(e Environment) Environment {
	if e.Workflow == "" {
		e.Workflow = DefaultWorkflow
	}
	if e.MinRole == "" {
		e.MinRole = RoleWrite
		if e.Production {
			e.MinRole = RoleMaintain
		}
	}
	return e
}

// Environment returns the environment with exactly this name.
func (c *Config) Environment(name string) (Environment, bool) {
	e, ok := c.Environments[name]
	return e, ok
}

// EnvironmentNames returns the names of the environments, sorted.
func (c *Config) EnvironmentNames() []string {
	names := make([]string, 0, len(c.Environments))
	for name := range c.Environments {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Location returns the configuration's time zone. For a Config built by hand
// with a Timezone that does not load, it returns UTC.
func (c *Config) Location() *time.Location {
	if c.loc != nil {
		return c.loc
	}
	if loc, err := loadLocation(c.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// loadLocation loads an IANA time zone; unlike time.LoadLocation it refuses
// "" and "Local", whose meaning depends on the host.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("load time zone %q: not an IANA time zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("load time zone %q: %w", name, err)
	}
	return loc, nil
}

// Problem is one thing wrong with a configuration file.
type Problem struct {
	// Line is the 1-based line the problem is on; 0 only when the YAML
	// parser could not tell.
	Line    int
	Message string
}

// String returns "line N: message", or the message alone when Line is 0.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// ParseError says a configuration file was read but is not a valid
// configuration. It holds every problem found, in file order.
type ParseError struct {
	// File names the file when known, like "octo/app:.github/golive.yml"
	// (set by Load; empty from Decode).
	File     string
	Problems []Problem
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("parse golive configuration")
	if e.File != "" {
		b.WriteString(" ")
		b.WriteString(e.File)
	}
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}
