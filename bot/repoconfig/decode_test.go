package repoconfig

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/reminders"
)

func mustDecode(t *testing.T, src string) *Config {
	t.Helper()
	cfg, err := Decode([]byte(src))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return cfg
}

func TestDecodeMinimalFillsDefaults(t *testing.T) {
	cfg := mustDecode(t, "version: 1\n")
	want := Default()
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Decode(version: 1) = %+v, want the defaults %+v", cfg, want)
	}
	if cfg.Slack.Users != nil || !reflect.DeepEqual(cfg.Reminders, Reminders{}) {
		t.Errorf("defaults: slack users %v, reminders %+v; want none", cfg.Slack.Users, cfg.Reminders)
	}
	if cfg.Label != "golive" || cfg.Timezone != "UTC" || cfg.Location() != time.UTC || cfg.Template != nil || cfg.Slack.Channel != "" {
		t.Errorf("defaults: label %q, timezone %q, location %v, template %v, channel %q", cfg.Label, cfg.Timezone, cfg.Location(), cfg.Template, cfg.Slack.Channel)
	}
	if got := cfg.EnvironmentNames(); !reflect.DeepEqual(got, []string{"production", "staging"}) {
		t.Errorf("EnvironmentNames = %q", got)
	}
	prod, ok := cfg.Environment("production")
	wantProd := Environment{Name: "production", Production: true, Workflow: "deploy.yml", MinRole: RoleMaintain}
	if !ok || !reflect.DeepEqual(prod, wantProd) {
		t.Errorf("Environment(production) = %+v, %v; want %+v", prod, ok, wantProd)
	}
	staging, _ := cfg.Environment("staging")
	if staging.Production || staging.MinRole != RoleWrite || staging.Workflow != "deploy.yml" {
		t.Errorf("Environment(staging) = %+v", staging)
	}
	if _, ok := cfg.Environment("Production"); ok {
		t.Error("Environment matched a name with different case")
	}
}

func TestDecodeExample(t *testing.T) {
	data, err := os.ReadFile("../../docs/golive.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustDecode(t, string(data))
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if cfg.Timezone != "Europe/Berlin" || cfg.Location().String() != berlin.String() {
		t.Errorf("timezone %q, location %v", cfg.Timezone, cfg.Location())
	}
	if cfg.Slack.Channel != "#deploys" {
		t.Errorf("channel %q", cfg.Slack.Channel)
	}
	wantUsers := map[string]string{"alice": "U0123ABCD", "bob": "W0123ABCD", "acme/sre": "S0123ABCD"}
	if !reflect.DeepEqual(cfg.Slack.Users, wantUsers) {
		t.Errorf("slack users = %v, want %v", cfg.Slack.Users, wantUsers)
	}
	wantReminders := Reminders{
		Offsets:    offsets(t, "T-7d", "T-1d", "T-2h", "T-20m", "T+10m", "T+1h", "T+1d"),
		Grace:      15 * time.Minute,
		QuietStart: 20 * time.Hour, QuietEnd: 8 * time.Hour,
		SkipWeekends: true,
		Escalation:   []string{"@acme/sre", "@bob"},
	}
	if !reflect.DeepEqual(cfg.Reminders, wantReminders) {
		t.Errorf("reminders = %+v\nwant %+v", cfg.Reminders, wantReminders)
	}
	want := Environment{
		Name: "production", Production: true, Workflow: "deploy.yml", RollbackWorkflow: "rollback.yml",
		MinRole: RoleMaintain, SlackUsers: []string{"U0123ABCD"}, SlackGroups: []string{"S0123ABCD"},
		RequiredVariables: []string{"DEPLOY_URL"},
	}
	if got, _ := cfg.Environment("production"); !reflect.DeepEqual(got, want) {
		t.Errorf("production = %+v\nwant %+v", got, want)
	}
	if cfg.Template == nil || !cfg.Template.Extend || cfg.Template.Phases.Kind != yaml.SequenceNode {
		t.Fatalf("template = %+v", cfg.Template)
	}
	// The phases stay YAML, with the file's line numbers, for the checklist package.
	var phases []struct {
		Name  string
		Items []struct{ Text string }
	}
	if err := cfg.Template.Phases.Decode(&phases); err != nil || len(phases) != 1 || phases[0].Name != "Our team's checks" ||
		len(phases[0].Items) != 2 || phases[0].Items[1].Text != "Announce the release in #general" {
		t.Errorf("phases decode to %+v, %v", phases, err)
	}
	if cfg.Template.Phases.Line < 30 {
		t.Errorf("phases line %d does not point into the file", cfg.Template.Phases.Line)
	}
}

func TestDecodeEnvironmentDefaultsAndMerges(t *testing.T) {
	cfg := mustDecode(t, `version: 1
environments:
  qa: &base
    slack_users: [U1]
  live:
    <<: *base
    production: true
    workflow: ship.yaml
  "null-env":
template: {phases: []}
`)
	if got := cfg.EnvironmentNames(); !reflect.DeepEqual(got, []string{"live", "null-env", "qa"}) {
		t.Fatalf("names = %q (explicit environments replace the defaults)", got)
	}
	live, _ := cfg.Environment("live")
	want := Environment{Name: "live", Production: true, Workflow: "ship.yaml", MinRole: RoleMaintain, SlackUsers: []string{"U1"}}
	if !reflect.DeepEqual(live, want) {
		t.Errorf("live = %+v, want %+v", live, want)
	}
	if n, _ := cfg.Environment("null-env"); n.Workflow != "deploy.yml" || n.MinRole != RoleWrite {
		t.Errorf("null-env = %+v", n)
	}
	if cfg.Template == nil || !cfg.Template.Extend {
		t.Errorf("template extend defaults to true: %+v", cfg.Template)
	}
}

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Problem
	}{
		{"typo at top level", "version: 1\nenviroments:\n  staging: {}\n",
			[]Problem{{2, `unknown field "enviroments" in the configuration (did you mean "environments"?)`}}},
		{"typo in environment", "version: 1\nenvironments:\n  production:\n    min-role: admin\n",
			[]Problem{{4, `unknown field "min-role" in environments.production (did you mean "min_role"?)`}}},
		{"unknown without suggestion", "version: 1\nslack:\n  webhook: https://x\n",
			[]Problem{{3, `unknown field "webhook" in slack`}}},
		{"version 2", "version: 2\n",
			[]Problem{{1, `unsupported version "2": golive supports version 1 (write "version: 1")`}}},
		{"version missing", "# c\nlabel: x\n",
			[]Problem{{2, `version is required: add "version: 1"`}}},
		{"empty", "",
			[]Problem{{1, `the file is empty: start it with "version: 1"`}}},
		{"not a mapping", "- a\n",
			[]Problem{{1, `the configuration must be a mapping of fields, found a list`}}},
		{"bad timezone", "version: 1\ntimezone: Berlin\n",
			[]Problem{{2, `timezone "Berlin" is not an IANA time zone: write a name like "Europe/Berlin" or "UTC"`}}},
		{"bad environment name", "version: 1\nenvironments:\n  prod/eu: {}\n",
			[]Problem{{3, `environment name "prod/eu" may only hold letters, digits, '.', '_' and '-'`}}},
		{"workflow extension", "version: 1\nenvironments:\n  x:\n    workflow: deploy.sh\n",
			[]Problem{{4, `environments.x.workflow "deploy.sh" must be a workflow file name in .github/workflows ending in .yml or .yaml, like "deploy.yml"`}}},
		{"min role", "version: 1\nenvironments:\n  x: {min_role: owner}\n",
			[]Problem{{3, `environments.x.min_role "owner" is not a role: write one of read, triage, write, maintain, admin`}}},
		{"yes is not a boolean", "version: 1\nenvironments:\n  x:\n    production: yes\n",
			[]Problem{{4, `environments.x.production must be true or false, found "yes"`}}},
		{"duplicate key", "version: 1\nlabel: a\nlabel: b\n",
			[]Problem{{3, `duplicate field "label" in the configuration (first at line 2)`}}},
		{"list entry type", "version: 1\nenvironments:\n  x:\n    slack_users:\n      - U1\n      - [U2]\n",
			[]Problem{{6, `each entry of environments.x.slack_users must be a string, found a list`}}},
		{"syntax error", "version: 1\nlabel: [a\n",
			[]Problem{{2, `invalid YAML: did not find expected ',' or ']'`}}},
		{"two documents", "version: 1\n---\nversion: 1\n",
			[]Problem{{2, `the file holds more than one YAML document: keep only one`}}},
		{"syntax error on the first line", "version: 1: 2\n",
			[]Problem{{1, `invalid YAML: mapping values are not allowed in this context`}}},
		{"parser error line", "version: 1\nenvironments:\n  - a\n  b: c\n",
			[]Problem{{3, `invalid YAML: did not find expected '-' indicator`}}}, // the list that goes wrong starts on line 3
		{"control character", "version: 1\nlabel: a\x01\n",
			[]Problem{{2, `invalid YAML: control characters are not allowed`}}},
		{"invalid UTF-8", "version: 1\n\nlabel: \xff\n",
			[]Problem{{3, `invalid YAML: invalid leading UTF-8 octet`}}},
		{"unknown anchor", "version: 1\nenvironments:\n  x: *base\n",
			[]Problem{{3, `invalid YAML: alias *base names no anchor: define &base before using it`}}},
		{"several problems in line order", "version: 3\nslack: {channel: deploys}\nenvironments:\n  x: {workflow: a/b.yml}\n",
			[]Problem{
				{1, `unsupported version "3": golive supports version 1 (write "version: 1")`},
				{2, `slack.channel "deploys" is not a Slack channel: write it as "#deploys" or as a channel ID like C0123ABCD`},
				{4, `environments.x.workflow "a/b.yml" must be a workflow file name in .github/workflows ending in .yml or .yaml, like "deploy.yml"`},
			}},
		// slack.users
		{"slack user ID lower case", "version: 1\nslack:\n  users:\n    alice: u0123abcd\n",
			[]Problem{{4, `slack.users.alice "u0123abcd" is not a Slack user or user group ID: write a user ID like U0123ABCD (or W0123ABCD) or a user group ID like S0123ABCD`}}},
		{"slack channel ID as user", "version: 1\nslack:\n  users: {alice: C0123ABCD}\n",
			[]Problem{{3, `slack.users.alice "C0123ABCD" is not a Slack user or user group ID: write a user ID like U0123ABCD (or W0123ABCD) or a user group ID like S0123ABCD`}}},
		{"slack user ID too short", "version: 1\nslack:\n  users:\n    \"@alice\": U1\n",
			[]Problem{{4, `slack.users.@alice "U1" is not a Slack user or user group ID: write a user ID like U0123ABCD (or W0123ABCD) or a user group ID like S0123ABCD`}}},
		{"slack user ID a number", "version: 1\nslack:\n  users:\n    alice: 12345\n",
			[]Problem{{4, `slack.users.alice must be a string, found a number 12345`}}},
		{"slack user ID null", "version: 1\nslack:\n  users:\n    alice:\n",
			[]Problem{{4, `slack.users.alice must be a string, found nothing (null)`}}},
		{"slack users key not a login", "version: 1\nslack:\n  users:\n    alice smith: U0123ABCD\n    -bob: U0123ABCE\n    acme/sre/oncall: S0123ABCD\n",
			[]Problem{
				{4, `slack.users key "alice smith" is not a GitHub login or team: write a login like alice or a team like acme/sre`},
				{5, `slack.users key "-bob" is not a GitHub login or team: write a login like alice or a team like acme/sre`},
				{6, `slack.users key "acme/sre/oncall" is not a GitHub login or team: write a login like alice or a team like acme/sre`},
			}},
		{"slack users key too long", "version: 1\nslack:\n  users:\n    " + strings.Repeat("a", 40) + ": U0123ABCD\n",
			[]Problem{{4, `slack.users key "` + strings.Repeat("a", 40) + `" is not a GitHub login or team: write a login like alice or a team like acme/sre`}}},
		{"slack users same login twice", "version: 1\nslack:\n  users:\n    alice: U0123ABCD\n    \"@Alice\": U0123ABCE\n",
			[]Problem{{5, `slack.users key "@Alice" names the same GitHub login or team as "alice" (line 4): GitHub ignores case and the "@" is optional, so keep one`}}},
		{"slack users duplicate key", "version: 1\nslack:\n  users:\n    alice: U0123ABCD\n    alice: U0123ABCE\n",
			[]Problem{{5, `duplicate field "alice" in slack.users (first at line 4)`}}},
		{"slack users a list", "version: 1\nslack:\n  users: [U0123ABCD]\n",
			[]Problem{{3, `slack.users must be a mapping of GitHub logins or teams to Slack IDs, like "alice: U0123ABCD", found a list`}}},
		// reminders
		{"reminders typo", "version: 1\nreminders:\n  skip_weekend: true\n",
			[]Problem{{3, `unknown field "skip_weekend" in reminders (did you mean "skip_weekends"?)`}}},
		{"reminders top-level typo", "version: 1\nreminder:\n  grace: 5m\n",
			[]Problem{{2, `unknown field "reminder" in the configuration (did you mean "reminders"?)`}}},
		{"reminders a list", "version: 1\nreminders: [T-1d]\n",
			[]Problem{{2, `reminders must be a mapping, found a list`}}},
		{"offset without sign", "version: 1\nreminders:\n  offsets: [T-1d, T7d]\n",
			[]Problem{{3, `reminders.offsets entry "T7d" is not an offset: want T, a sign and a duration such as "T-7d", "T-2h", "T+30m" or "T-0"`}}},
		{"offset units out of order", "version: 1\nreminders:\n  offsets:\n    - T-1d\n    - T-2h1d\n",
			[]Problem{{5, `reminders.offsets entry "T-2h1d" is not an offset: write each unit once, in the order d, h, m`}}},
		{"offset unknown unit", "version: 1\nreminders:\n  offsets:\n    - T+1w\n",
			[]Problem{{4, `reminders.offsets entry "T+1w" is not an offset: unknown unit "w" (want d, h or m)`}}},
		{"offset a number", "version: 1\nreminders:\n  offsets:\n    - T-1d\n    - 30\n",
			[]Problem{{5, `each entry of reminders.offsets must be a string, found a number 30`}}},
		{"duplicate offset", "version: 1\nreminders:\n  offsets:\n    - T-1d\n    - T-2h\n    - T-1d\n",
			[]Problem{{6, `duplicate offset "T-1d" in reminders.offsets (first at line 4)`}}},
		{"same offset written twice", "version: 1\nreminders:\n  offsets: [T-90m, T-1h30m]\n",
			[]Problem{{3, `offset "T-1h30m" in reminders.offsets is the same as "T-90m" (line 3): keep one`}}},
		{"offsets empty", "version: 1\nreminders:\n  offsets: []\n",
			[]Problem{{3, `reminders.offsets is empty: list at least one offset like "T-1d", or leave offsets out for golive's default timeline`}}},
		{"offsets null", "version: 1\nreminders:\n  offsets:\n",
			[]Problem{{3, `reminders.offsets is empty: list at least one offset like "T-1d", or leave offsets out for golive's default timeline`}}},
		{"offsets a string", "version: 1\nreminders:\n  offsets: T-1d\n",
			[]Problem{{3, `reminders.offsets must be a list of strings, found "T-1d"`}}},
		{"grace without unit", "version: 1\nreminders:\n  grace: 15\n",
			[]Problem{{3, `reminders.grace 15 has no unit: write a duration like "15m" or "1h", from 1m to 24h`}}},
		{"grace not a duration", "version: 1\nreminders:\n  grace: 15 minutes\n",
			[]Problem{{3, `reminders.grace "15 minutes" is not a duration: write one like "15m" or "1h30m", from 1m to 24h`}}},
		{"grace in days", "version: 1\nreminders:\n  grace: 1d\n",
			[]Problem{{3, `reminders.grace "1d" is not a duration: write one like "15m" or "1h30m", from 1m to 24h`}}},
		{"grace too short", "version: 1\nreminders:\n  grace: 59s\n",
			[]Problem{{3, `reminders.grace "59s" is out of range: write a duration from 1m to 24h, like "15m"`}}},
		{"grace too long", "version: 1\nreminders:\n  grace: 24h1s\n",
			[]Problem{{3, `reminders.grace "24h1s" is out of range: write a duration from 1m to 24h, like "15m"`}}},
		{"grace negative", "version: 1\nreminders:\n  grace: -15m\n",
			[]Problem{{3, `reminders.grace "-15m" is out of range: write a duration from 1m to 24h, like "15m"`}}},
		{"grace null", "version: 1\nreminders:\n  grace:\n",
			[]Problem{{3, `reminders.grace must be a string, found nothing (null)`}}},
		{"quiet hours without end", "version: 1\nreminders:\n  quiet_hours:\n    start: \"20:00\"\n",
			[]Problem{{4, `reminders.quiet_hours has no end: add one as HH:MM, like end: "08:00"`}}},
		{"quiet hours without start", "version: 1\nreminders:\n  quiet_hours: {end: \"08:00\"}\n",
			[]Problem{{3, `reminders.quiet_hours has no start: add one as HH:MM, like start: "20:00"`}}},
		{"quiet hours empty", "version: 1\nreminders:\n  quiet_hours: {}\n",
			[]Problem{{3, `reminders.quiet_hours needs a start and an end, like {start: "20:00", end: "08:00"}: add them, or leave quiet_hours out for none`}}},
		{"quiet hours null", "version: 1\nreminders:\n  quiet_hours:\n",
			[]Problem{{3, `reminders.quiet_hours needs a start and an end, like {start: "20:00", end: "08:00"}: add them, or leave quiet_hours out for none`}}},
		{"quiet hours a string", "version: 1\nreminders:\n  quiet_hours: 20:00-08:00\n",
			[]Problem{{3, `reminders.quiet_hours must be a mapping like {start: "20:00", end: "08:00"}, found "20:00-08:00"`}}},
		{"quiet hours bad times", "version: 1\nreminders:\n  quiet_hours:\n    start: \"24:00\"\n    end: 8:00\n",
			[]Problem{
				{4, `reminders.quiet_hours.start "24:00" is not a time of day: write it as HH:MM, from 00:00 to 23:59, like "20:00"`},
				{5, `reminders.quiet_hours.end "8:00" is not a time of day: write it as HH:MM, from 00:00 to 23:59, like "20:00"`},
			}},
		{"quiet hours minutes", "version: 1\nreminders:\n  quiet_hours: {start: \"20:60\", end: 800}\n",
			[]Problem{
				{3, `reminders.quiet_hours.start "20:60" is not a time of day: write it as HH:MM, from 00:00 to 23:59, like "20:00"`},
				{3, `reminders.quiet_hours.end "800" is not a time of day: write it as HH:MM, from 00:00 to 23:59, like "20:00"`},
			}},
		{"quiet hours list", "version: 1\nreminders:\n  quiet_hours: {start: [\"20:00\"], end: \"08:00\"}\n",
			[]Problem{{3, `reminders.quiet_hours.start must be a time of day like "20:00", found a list`}}},
		{"quiet hours equal", "version: 1\nreminders:\n  quiet_hours: {start: \"22:30\", end: \"22:30\"}\n",
			[]Problem{{3, `reminders.quiet_hours start and end are both "22:30": end the quiet hours at another time, or leave quiet_hours out for none`}}},
		{"quiet hours both midnight", "version: 1\nreminders:\n  quiet_hours: {start: \"00:00\", end: \"00:00\"}\n",
			[]Problem{{3, `reminders.quiet_hours start and end are both "00:00": end the quiet hours at another time, or leave quiet_hours out for none`}}},
		{"quiet hours unknown key", "version: 1\nreminders:\n  quiet_hours: {start: \"20:00\", stop: \"08:00\"}\n",
			[]Problem{
				{3, `unknown field "stop" in reminders.quiet_hours`},
				{3, `reminders.quiet_hours has no end: add one as HH:MM, like end: "08:00"`},
			}},
		{"skip weekends yes", "version: 1\nreminders:\n  skip_weekends: yes\n",
			[]Problem{{3, `reminders.skip_weekends must be true or false, found "yes"`}}},
		{"escalation without @", "version: 1\nreminders:\n  escalation: [bob, \"@acme/sre\"]\n",
			[]Problem{{3, `reminders.escalation entry "bob" must start with "@": write "@bob" (in quotes, as YAML reserves a leading @)`}}},
		{"escalation not a login", "version: 1\nreminders:\n  escalation:\n    - \"@bob smith\"\n    - \"#sre\"\n    - \"@\"\n",
			[]Problem{
				{4, `reminders.escalation entry "@bob smith" is not a GitHub login or team: write "@login" or "@org/team", like "@bob" or "@acme/sre"`},
				{5, `reminders.escalation entry "#sre" is not a GitHub login or team: write "@login" or "@org/team", like "@bob" or "@acme/sre"`},
				{6, `reminders.escalation entry "@" is not a GitHub login or team: write "@login" or "@org/team", like "@bob" or "@acme/sre"`},
			}},
		{"escalation twice", "version: 1\nreminders:\n  escalation:\n    - \"@bob\"\n    - \"@Bob\"\n",
			[]Problem{{5, `duplicate entry "@Bob" in reminders.escalation (first at line 4): GitHub ignores case, so keep one`}}},
		{"escalation a string", "version: 1\nreminders:\n  escalation: \"@bob\"\n",
			[]Problem{{3, `reminders.escalation must be a list of strings, found "@bob"`}}},
		{"escalation empty entry", "version: 1\nreminders:\n  escalation: [\"\"]\n",
			[]Problem{{3, `reminders.escalation must not have empty entries`}}},
		{"merge cycle", "version: 1\nenvironments:\n  x: &a\n    <<: *a\n",
			nil}, // checked below: reported, not looping
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Decode([]byte(tt.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Decode = %+v, %v; want a *ParseError", cfg, err)
			}
			if cfg != nil {
				t.Errorf("Decode returned a config with an error")
			}
			if tt.want == nil {
				if len(pe.Problems) == 0 || pe.Problems[0].Line == 0 {
					t.Errorf("problems = %+v", pe.Problems)
				}
				return
			}
			if !reflect.DeepEqual(pe.Problems, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", pe.Problems, tt.want)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := Decode([]byte("version: 1\nenviroments: {}\nlabel: 7\n"))
	want := `parse golive configuration: line 2: unknown field "enviroments" in the configuration (did you mean "environments"?); line 3: label must be a string, found a number 7`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
}

func TestRoleAtLeast(t *testing.T) {
	if !RoleAdmin.AtLeast(RoleMaintain) || !RoleWrite.AtLeast(RoleWrite) || RoleTriage.AtLeast(RoleWrite) {
		t.Error("AtLeast orders roles wrongly")
	}
	if Role("owner").AtLeast(RoleRead) || RoleAdmin.AtLeast("owner") {
		t.Error("an unknown role compares as enough")
	}
}

func TestLocationOfHandBuiltConfig(t *testing.T) {
	if loc := (&Config{Timezone: "Asia/Tokyo"}).Location(); loc.String() != "Asia/Tokyo" {
		t.Errorf("Location = %v", loc)
	}
	if loc := (&Config{Timezone: "Nowhere/Else"}).Location(); loc != time.UTC {
		t.Errorf("Location of a bad zone = %v, want UTC", loc)
	}
}

func TestProblemsNeverMentionGoTypes(t *testing.T) {
	_, err := Decode([]byte("version: [1]\nlabel: {a: b}\nenvironments: 3\ntemplate: x\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, leak := range []string{"repoconfig.", "!!", "yaml.Node", "interface"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q leaks %q", err, leak)
		}
	}
}

func TestDecodeAliasBombIsCheap(t *testing.T) {
	// Ten levels of anchors each merging the previous one ten times would
	// be 10^10 pairs if merges were expanded per reference.
	var b strings.Builder
	b.WriteString("version: 1\nenvironments:\n  l0: &l0 {workflow: a.yml}\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d {<<: [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]}\n")
	}
	// With per-reference expansion this test would not finish.
	cfg := mustDecode(t, b.String())
	if e, _ := cfg.Environment("l10"); e.Workflow != "a.yml" {
		t.Errorf("l10 = %+v", e)
	}
}

func TestDecodeCapsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\n")
	for i := range 80 {
		fmt.Fprintf(&b, "bogus%d: x\n", i)
	}
	_, err := Decode([]byte(b.String()))
	var pe *ParseError
	if !errors.As(err, &pe) || len(pe.Problems) != maxProblems+1 {
		t.Fatalf("Decode = %v", err)
	}
	if last := pe.Problems[maxProblems]; last.Message != "30 more problems not shown" || last.Line != 52 {
		t.Errorf("last problem = %+v", last)
	}
}

func TestDecodeRefusesHugeFiles(t *testing.T) {
	_, err := Decode([]byte("version: 1\n" + strings.Repeat("#", MaxSize)))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Problems[0].Line != 1 || !strings.Contains(pe.Problems[0].Message, "golive reads at most") {
		t.Errorf("Decode = %v", err)
	}
}

func TestDecodeEmptyEnvironmentsGetDefaults(t *testing.T) {
	for _, src := range []string{"version: 1\nenvironments:\n", "version: 1\nenvironments: {}\n"} {
		if got := mustDecode(t, src).EnvironmentNames(); !reflect.DeepEqual(got, []string{"production", "staging"}) {
			t.Errorf("%q: environments %q", src, got)
		}
	}
}

func offsets(t *testing.T, ss ...string) []checklist.Offset {
	t.Helper()
	out := make([]checklist.Offset, len(ss))
	for i, s := range ss {
		o, err := checklist.ParseOffset(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = o
	}
	return out
}

func TestDecodeSlackAndReminders(t *testing.T) {
	cfg := mustDecode(t, `version: 1
slack:
  channel: C0123ABCD
  users: &people
    alice: U0123ABCD
    "@Bob": W0AB
    acme/sre: S0123ABCD
    <<: {carol: U0CAROL, alice: U0IGNORED}
reminders:
  offsets: [T+1h, T-7d, T-90m, T-0, T+1d2h]
  grace: 1h30m
  quiet_hours:
    start: "22:15"
    end: "06:45"
  skip_weekends: false
  escalation: ["@acme/sre", "@Bob"]
`)
	wantUsers := map[string]string{"alice": "U0123ABCD", "Bob": "W0AB", "acme/sre": "S0123ABCD", "carol": "U0CAROL"}
	if !reflect.DeepEqual(cfg.Slack.Users, wantUsers) {
		t.Errorf("users = %v, want %v", cfg.Slack.Users, wantUsers)
	}
	want := Reminders{
		Offsets:    offsets(t, "T+1h", "T-7d", "T-1h30m", "T-0", "T+1d2h"), // as written, in order
		Grace:      90 * time.Minute,
		QuietStart: 22*time.Hour + 15*time.Minute,
		QuietEnd:   6*time.Hour + 45*time.Minute,
		Escalation: []string{"@acme/sre", "@Bob"},
	}
	if !reflect.DeepEqual(cfg.Reminders, want) {
		t.Errorf("reminders = %+v\nwant %+v", cfg.Reminders, want)
	}
	if got := cfg.ReminderRules(); got != (reminders.Rules{QuietStart: want.QuietStart, QuietEnd: want.QuietEnd}) {
		t.Errorf("ReminderRules = %+v", got)
	}
}

func TestDecodeEmptyReminderSections(t *testing.T) {
	for _, src := range []string{
		"version: 1\nslack:\n  users:\nreminders:\n",
		"version: 1\nslack: {users: {}}\nreminders: {escalation: [], skip_weekends: false}\n",
		"version: 1\nreminders:\n  escalation:\n",
	} {
		cfg := mustDecode(t, src)
		if !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("%q decodes to %+v, want the defaults", src, cfg)
		}
	}
}

func TestSlackID(t *testing.T) {
	s := Slack{Users: map[string]string{"alice": "U0123ABCD", "Bob": "W0123ABCD", "acme/sre": "S0123ABCD", "ACME/Dev": "S0DEV"}}
	tests := []struct {
		github string
		want   string
		ok     bool
	}{
		{"alice", "U0123ABCD", true},
		{"@alice", "U0123ABCD", true},
		{"@ALICE", "U0123ABCD", true},
		{"bob", "W0123ABCD", true},
		{"@Bob", "W0123ABCD", true},
		{"@acme/sre", "S0123ABCD", true},
		{"acme/SRE", "S0123ABCD", true},
		{"@acme/dev", "S0DEV", true},
		{"@carol", "", false},
		{"acme", "", false},
		{"@", "", false},
		{"", "", false},
		{"@@alice", "", false},
		{"alice ", "", false},
	}
	for _, tt := range tests {
		got, ok := s.SlackID(tt.github)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SlackID(%q) = %q, %v; want %q, %v", tt.github, got, ok, tt.want, tt.ok)
		}
	}
	if id, ok := (Slack{}).SlackID("alice"); ok || id != "" {
		t.Errorf("SlackID without users = %q, %v", id, ok)
	}
	// A hand-built map with keys differing only in case: an exact match
	// wins, otherwise the smallest key, every time.
	amb := Slack{Users: map[string]string{"Alice": "U1A", "alice": "U1B", "ALICE": "U1C"}}
	for range 20 {
		if id, _ := amb.SlackID("alice"); id != "U1B" {
			t.Fatalf("SlackID(alice) = %q, want the exact match", id)
		}
		if id, _ := amb.SlackID("aLICE"); id != "U1C" {
			t.Fatalf("SlackID(aLICE) = %q, want ALICE's (the smallest key)", id)
		}
	}
	// Through Decode: "@"-prefixed keys are stored without it.
	cfg := mustDecode(t, "version: 1\nslack:\n  users:\n    \"@Carol\": U0CAROL\n")
	if _, ok := cfg.Slack.Users["Carol"]; !ok {
		t.Errorf("users = %v, want the key without \"@\"", cfg.Slack.Users)
	}
	if id, ok := cfg.Slack.SlackID("@carol"); !ok || id != "U0CAROL" {
		t.Errorf("SlackID(@carol) = %q, %v", id, ok)
	}
}

func TestReminderSettingsDefaultsAndOverrides(t *testing.T) {
	def := Default()
	if got, want := def.ReminderOffsets(), reminders.DefaultOffsets(); !reflect.DeepEqual(got, want) {
		t.Errorf("default ReminderOffsets = %v, want %v", got, want)
	}
	if got := def.ReminderRules(); got != (reminders.Rules{}) {
		t.Errorf("default ReminderRules = %+v, want none", got)
	}
	if got := def.ReminderGrace(); got != reminders.DefaultGrace {
		t.Errorf("default ReminderGrace = %v, want %v", got, reminders.DefaultGrace)
	}
	// A decoded file without a reminders section behaves the same.
	bare := mustDecode(t, "version: 1\nreminders: {skip_weekends: true}\n")
	if got := bare.ReminderOffsets(); len(got) != 50 || got[0].String() != "T-7d" {
		t.Errorf("ReminderOffsets without offsets = %v", got)
	}
	if got := bare.ReminderGrace(); got != reminders.DefaultGrace {
		t.Errorf("ReminderGrace without grace = %v", got)
	}
	if got := bare.ReminderRules(); got != (reminders.Rules{Weekends: true}) {
		t.Errorf("ReminderRules with skip_weekends only = %+v", got)
	}

	cfg := mustDecode(t, "version: 1\nreminders:\n  offsets: [T-1d, T+10m]\n  grace: 2m\n  quiet_hours: {start: \"08:00\", end: \"20:00\"}\n  skip_weekends: true\n")
	wantOffsets := offsets(t, "T-1d", "T+10m")
	got := cfg.ReminderOffsets()
	if !reflect.DeepEqual(got, wantOffsets) {
		t.Errorf("ReminderOffsets = %v, want %v", got, wantOffsets)
	}
	got[0] = checklist.MustParseOffset("T-5d")
	if !reflect.DeepEqual(cfg.ReminderOffsets(), wantOffsets) {
		t.Error("changing ReminderOffsets' result changed the configuration")
	}
	wantRules := reminders.Rules{QuietStart: 8 * time.Hour, QuietEnd: 20 * time.Hour, Weekends: true}
	if got := cfg.ReminderRules(); got != wantRules {
		t.Errorf("ReminderRules = %+v, want %+v", got, wantRules)
	}
	if err := cfg.ReminderRules().Validate(); err != nil {
		t.Errorf("ReminderRules invalid: %v", err)
	}
	if got := cfg.ReminderGrace(); got != 2*time.Minute {
		t.Errorf("ReminderGrace = %v, want 2m", got)
	}
	// Bounds of grace are inclusive.
	for src, want := range map[string]time.Duration{"1m": time.Minute, "24h": 24 * time.Hour, "+60s": time.Minute, "1.5h": 90 * time.Minute} {
		if g := mustDecode(t, "version: 1\nreminders: {grace: \""+src+"\"}\n").ReminderGrace(); g != want {
			t.Errorf("grace %s = %v, want %v", src, g, want)
		}
	}
}

func TestTickOnSuccess(t *testing.T) {
	cfg, err := Decode([]byte("version: 1\nenvironments:\n  staging:\n    tick_on_success: [deploy-staging, smoke.ok]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := cfg.Environment("staging"); len(e.TickOnSuccess) != 2 || e.TickOnSuccess[0] != "deploy-staging" || e.TickOnSuccess[1] != "smoke.ok" {
		t.Fatalf("tick_on_success = %q", e.TickOnSuccess)
	}
	_, err = Decode([]byte("version: 1\nenvironments:\n  staging:\n    tick_on_success: [\"not an id\"]\n"))
	if err == nil || !strings.Contains(err.Error(), `environments.staging.tick_on_success entry "not an id" is not a checklist item id`) || !strings.Contains(err.Error(), "4") {
		t.Fatalf("bad item id: %v", err)
	}
}
