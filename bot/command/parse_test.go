package command

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// commandCases parse into a command, the same from Slack (ParseSlack(in))
// and from a comment (ParseComment("/golive " + in)) unless slackOnly.
var commandCases = []struct {
	in        string
	slackOnly bool
	want      Command
}{
	// status
	{in: "status", want: Command{Verb: VerbStatus}},
	{in: "STATUS", want: Command{Verb: VerbStatus}},
	{in: "status #12", want: Command{Verb: VerbStatus, Issue: 12}},
	{in: "status golive-dev/golive#12", want: Command{Verb: VerbStatus, Repo: "golive-dev/golive", Issue: 12}},
	{in: "status golive-dev/golive", want: Command{Verb: VerbStatus, Repo: "golive-dev/golive"}},
	{in: "status Octo-Org/my.repo_1#2147483647", want: Command{Verb: VerbStatus, Repo: "Octo-Org/my.repo_1", Issue: 2147483647}},
	// list, cancel
	{in: "list", want: Command{Verb: VerbList}},
	{in: "cancel", want: Command{Verb: VerbCancel}},
	{in: "  cancel  ", want: Command{Verb: VerbCancel}},
	// plan
	{in: "plan 2026-12-01 14:00", want: Command{Verb: VerbPlan, When: "2026-12-01 14:00"}},
	{in: "plan 2026-12-01 14:00 production", want: Command{Verb: VerbPlan, When: "2026-12-01 14:00", Env: "production"}},
	{in: `plan "2026-12-01 14:00" staging`, want: Command{Verb: VerbPlan, When: "2026-12-01 14:00", Env: "staging"}},
	{in: "plan \u201c2026-12-01 14:00\u201d  staging ", want: Command{Verb: VerbPlan, When: "2026-12-01 14:00", Env: "staging"}},
	{in: `plan '2026-12-01 14:00' Europe/Berlin production`, want: Command{Verb: VerbPlan, When: "2026-12-01 14:00", Zone: "Europe/Berlin", Env: "production"}},
	{in: `plan 2026-12-01 9:30 production America/Argentina/Buenos_Aires`, want: Command{Verb: VerbPlan, When: "2026-12-01 9:30", Zone: "America/Argentina/Buenos_Aires", Env: "production"}},
	{in: `plan 2026-12-01T14:00:00+01:00 production`, want: Command{Verb: VerbPlan, When: "2026-12-01T14:00:00+01:00", Env: "production"}},
	{in: `plan "2026-12-01" "14:00" utc`, want: Command{Verb: VerbPlan, When: "2026-12-01 14:00", Zone: "utc"}},
	{in: `plan 2026-12-01 14:00 prod "America/New York"`, want: Command{Verb: VerbPlan, When: "2026-12-01 14:00", Zone: "America/New York", Env: "prod"}},
	{in: `plan tomorrow`, want: Command{Verb: VerbPlan, When: "tomorrow"}},
	{in: `Plan 2026-12-01 14:00 Production`, want: Command{Verb: VerbPlan, When: "2026-12-01 14:00", Env: "Production"}},
	// deploy
	{in: "deploy production", want: Command{Verb: VerbDeploy, Env: "production"}},
	{in: "Deploy Production", want: Command{Verb: VerbDeploy, Env: "Production"}},
	{in: "deploy\tproduction\u00a0v1.2.3", want: Command{Verb: VerbDeploy, Env: "production", Ref: "v1.2.3"}},
	{in: "deploy production abc1234 --queue", want: Command{Verb: VerbDeploy, Env: "production", Ref: "abc1234", Queue: true}},
	{in: "deploy --force production refs/tags/v1.2.3 --queue", want: Command{Verb: VerbDeploy, Env: "production", Ref: "refs/tags/v1.2.3", Queue: true, Force: true}},
	{in: "deploy production refs/heads/main", want: Command{Verb: VerbDeploy, Env: "production", Ref: "refs/heads/main"}},
	{in: "deploy production \u2014force", want: Command{Verb: VerbDeploy, Env: "production", Force: true}},
	{in: "deploy production \u2013queue --queue", want: Command{Verb: VerbDeploy, Env: "production", Queue: true}},
	{in: "deploy production feature/login-ü", want: Command{Verb: VerbDeploy, Env: "production", Ref: "feature/login-ü"}},
	{in: "deploy prod_eu-1.a 0123456789abcdef0123456789abcdef01234567", want: Command{Verb: VerbDeploy, Env: "prod_eu-1.a", Ref: "0123456789abcdef0123456789abcdef01234567"}},
	{in: "deploy 9 HEAD", want: Command{Verb: VerbDeploy, Env: "9", Ref: "HEAD"}},
	{in: "deploy " + strings.Repeat("e", 63) + " " + strings.Repeat("r", 200), want: Command{Verb: VerbDeploy, Env: strings.Repeat("e", 63), Ref: strings.Repeat("r", 200)}},
	// incidents
	{in: "incident P1 checkout is down", want: Command{Verb: VerbIncident, Severity: "P1", Title: "checkout is down"}},
	{in: "incident p0  \"EU  database\" unreachable", want: Command{Verb: VerbIncident, Severity: "P0", Title: "EU database unreachable"}},
	{in: "ack", want: Command{Verb: VerbAck}},
	{in: "ACK #12", want: Command{Verb: VerbAck, Issue: 12}},
	{in: "severity p2", want: Command{Verb: VerbSeverity, Severity: "P2"}},
	{in: "severity P0 #7", want: Command{Verb: VerbSeverity, Severity: "P0", Issue: 7}},
	{in: "resolve #2147483647", want: Command{Verb: VerbResolve, Issue: 2147483647}},
	// rollback
	{in: "rollback production", want: Command{Verb: VerbRollback, Env: "production"}},
	{in: "rollback production to v1.2.2", want: Command{Verb: VerbRollback, Env: "production", Ref: "v1.2.2"}},
	{in: "rollback production TO 0123456", want: Command{Verb: VerbRollback, Env: "production", Ref: "0123456"}},
	{in: `rollback "to" to to`, want: Command{Verb: VerbRollback, Env: "to", Ref: "to"}},
	// lock
	{in: "lock production", want: Command{Verb: VerbLock, Env: "production"}},
	{in: "lock production db migration", want: Command{Verb: VerbLock, Env: "production", Reason: "db migration"}},
	{in: "lock production db   migration\t for 2h", want: Command{Verb: VerbLock, Env: "production", Reason: "db migration", For: 2 * time.Hour}},
	{in: "lock production for 1d", want: Command{Verb: VerbLock, Env: "production", For: 24 * time.Hour}},
	{in: "lock production FOR 2d12h", want: Command{Verb: VerbLock, Env: "production", For: 60 * time.Hour}},
	{in: "lock production for 1m", want: Command{Verb: VerbLock, Env: "production", For: time.Minute}},
	{in: "lock production for 7d", want: Command{Verb: VerbLock, Env: "production", For: 7 * 24 * time.Hour}},
	{in: "lock production for 1H30M", want: Command{Verb: VerbLock, Env: "production", For: 90 * time.Minute}},
	{in: "lock production waiting for QA", want: Command{Verb: VerbLock, Env: "production", Reason: "waiting for QA"}},
	{in: "lock production waiting for QA for 90m", want: Command{Verb: VerbLock, Env: "production", Reason: "waiting for QA", For: 90 * time.Minute}},
	{in: `lock production "waiting for" 2h`, want: Command{Verb: VerbLock, Env: "production", Reason: "waiting for 2h"}},
	{in: `lock production frozen "for" 2h`, want: Command{Verb: VerbLock, Env: "production", Reason: "frozen for 2h"}},
	{in: `lock production frozen for "2h"`, want: Command{Verb: VerbLock, Env: "production", Reason: "frozen for 2h"}},
	{in: `lock production "release  freeze" for 30m`, want: Command{Verb: VerbLock, Env: "production", Reason: "release freeze", For: 30 * time.Minute}},
	{in: "lock production don't deploy", want: Command{Verb: VerbLock, Env: "production", Reason: "don't deploy"}},
	{in: "lock production \u2018don\u2019t deploy\u2019", want: Command{Verb: VerbLock, Env: "production", Reason: "don\u2019t deploy"}},
	{in: "lock production 🚀 launch, 100% 🧑\u200d💻", want: Command{Verb: VerbLock, Env: "production", Reason: "🚀 launch, 100% 🧑\u200d💻"}},
	{in: "lock production - x", want: Command{Verb: VerbLock, Env: "production", Reason: "- x"}},
	{in: `lock production "--force" #3`, want: Command{Verb: VerbLock, Env: "production", Reason: "--force #3"}},
	{in: "lock production " + strings.Repeat("é", 200), want: Command{Verb: VerbLock, Env: "production", Reason: strings.Repeat("é", 200)}},
	// unlock
	{in: "unlock production", want: Command{Verb: VerbUnlock, Env: "production"}},

	// Slack's leading OWNER/REPO.
	{in: "golive-dev/golive deploy production", slackOnly: true, want: Command{Verb: VerbDeploy, Repo: "golive-dev/golive", Env: "production"}},
	{in: "golive-dev/golive status #3", slackOnly: true, want: Command{Verb: VerbStatus, Repo: "golive-dev/golive", Issue: 3}},
	{in: "golive-dev/golive status Golive-Dev/Golive#3", slackOnly: true, want: Command{Verb: VerbStatus, Repo: "Golive-Dev/Golive", Issue: 3}},
	{in: "octo-org/my.repo_1 lock staging", slackOnly: true, want: Command{Verb: VerbLock, Repo: "octo-org/my.repo_1", Env: "staging"}},
	{in: "a/b\nlist\n", slackOnly: true, want: Command{Verb: VerbList, Repo: "a/b"}},
	// Slack escapes &, < and >.
	{in: "lock production a &amp; b &lt;3", slackOnly: true, want: Command{Verb: VerbLock, Env: "production", Reason: "a & b <3"}},
}

// replyCases parse into a reply holding each of want; like commandCases,
// in both parsers unless slackOnly or commentOnly (then in is the whole
// comment).
var replyCases = []struct {
	in          string
	slackOnly   bool
	commentOnly bool
	want        []string
}{
	// help
	{in: "help", want: []string{Help()}},
	// incidents
	{in: "incident", want: []string{"incident needs a severity first, P0 to P3", "usage: `/golive incident SEVERITY TITLE…`"}},
	{in: "incident P4 disk full", want: []string{"incident needs a severity first"}},
	{in: "incident P1", want: []string{"the incident needs a title"}},
	{in: "incident P1 " + strings.Repeat("x", 201), want: []string{"title is longer than 200 characters"}},
	{in: "severity", want: []string{"severity needs the new severity, P0 to P3", "SEVERITY is P0"}},
	{in: "ack 12", want: []string{`"12" is not an incident: write its issue as #N`}},
	{in: "resolve #12 now", want: []string{`unexpected extra argument "now"`}},
	{in: "incdent P1 down", want: []string{"unknown command \"incdent\": did you mean `incident`?"}},
	{in: "HELP deploy", want: []string{Help()}},
	{in: "--help", want: []string{Help()}},
	{in: "-h", want: []string{Help()}},
	{in: "", slackOnly: true, want: []string{Help()}},
	{in: " \n ", slackOnly: true, want: []string{Help()}},
	{in: "golive-dev/golive", slackOnly: true, want: []string{Help()}},
	{in: "/golive", commentOnly: true, want: []string{Help()}},
	{in: "/golive   \nsomething", commentOnly: true, want: []string{Help()}},
	{in: "deploy --help", want: []string{"usage: `/golive deploy ENV [REF] [--queue] [--force]`"}},
	{in: "lock prod -h", want: []string{"usage: `/golive lock ENV [REASON…] [for DURATION]`", "1m to 7d"}},
	{in: "status --foo --help", want: []string{"usage: `/golive status [OWNER/REPO#N]`"}},

	// unknown verbs
	{in: "rolback prod", want: []string{`unknown command "rolback": did you mean ` + "`rollback`?"}},
	{in: "deplyo prod", want: []string{"did you mean `deploy`?"}},
	{in: "Depoly", want: []string{"did you mean `deploy`?"}},
	{in: "stauts", want: []string{"did you mean `status`?"}},
	{in: "unlok prod", want: []string{"did you mean `unlock`?"}},
	{in: "nlock prod", want: []string{"did you mean `lock` or `unlock`?"}},
	{in: "ls", want: []string{"did you mean `list`?"}},
	{in: "cancle", want: []string{"did you mean `cancel`?"}},
	{in: "frobnicate", want: []string{`unknown command "frobnicate": the commands are help, status, list, plan, deploy, rollback, lock, unlock, cancel`}},
	{in: "foo", want: []string{`unknown command "foo": the commands are`}},
	{in: `"" deploy`, want: []string{"a quoted argument is empty"}},
	{in: "#12", want: []string{`unknown command "#12"`}},
	{in: "/golive golive-dev/golive deploy prod", commentOnly: true, want: []string{`a comment acts on its own repository: drop "golive-dev/golive"`}},

	// tokens
	{in: `deploy "prod`, want: []string{"a quote is not closed"}},
	{in: `deploy ""`, want: []string{"a quoted argument is empty"}},
	{in: "deploy `prod`", want: []string{"backticks are not part of a command"}},
	{in: "deploy prod `v1`", want: []string{"backticks are not part of a command"}},

	// flags
	{in: "deploy production --foo", want: []string{`unknown flag "--foo": deploy takes --queue and --force`, "usage: `/golive deploy"}},
	{in: "deploy production --queue=true", want: []string{`unknown flag "--queue=true"`}},
	{in: "deploy production -f", want: []string{`unknown flag "-f"`}},
	{in: "deploy production --", want: []string{`unknown flag "--"`}},
	{in: "deploy -prod", want: []string{`unknown flag "-prod"`}},
	{in: "rollback production --force", want: []string{`unknown flag "--force": rollback takes no flags`}},
	{in: "lock production --force", want: []string{`unknown flag "--force": lock takes no flags`}},
	{in: "unlock production \u2014queue", want: []string{`unknown flag "—queue": unlock takes no flags`}},
	{in: "list --all", want: []string{`unknown flag "--all": list takes no flags`}},
	{in: "plan 2026-12-01 14:00 --queue", want: []string{`unknown flag "--queue": plan takes no flags`}},

	// surplus
	{in: "list all", want: []string{`unexpected extra argument "all"`, "usage: `/golive list`"}},
	{in: "cancel it now", want: []string{`unexpected extra arguments "it", "now"`, "usage: `/golive cancel`"}},
	{in: "unlock production now", want: []string{`unexpected extra argument "now"`, "usage: `/golive unlock ENV`"}},
	{in: "unlock prod a b c d e", want: []string{`unexpected extra arguments "a", "b", "c" and 2 more`}},
	{in: "deploy production v1 v2", want: []string{`unexpected extra argument "v2"`}},
	{in: "rollback production to v1 v2", want: []string{`unexpected extra argument "v2"`}},
	{in: "status #1 #2", want: []string{`unexpected extra argument "#2"`}},

	// env
	{in: "deploy", want: []string{"deploy needs an environment, like production", "usage: `/golive deploy ENV [REF] [--queue] [--force]`"}},
	{in: "unlock", want: []string{"unlock needs an environment"}},
	{in: "rollback", want: []string{"rollback needs an environment"}},
	{in: "rollback to v1", want: []string{"rollback needs an environment"}},
	{in: "lock", want: []string{"lock needs an environment"}},
	{in: "lock for 2h", want: []string{"lock needs an environment"}},
	{in: "deploy pr/od", want: []string{`"pr/od" is not an environment name: use letters, digits, dots, dashes and underscores`}},
	{in: "deploy .prod", want: []string{`".prod" is not an environment name`}},
	{in: "deploy _prod", want: []string{`"prod" is not an environment name`}},
	{in: "deploy prod!", want: []string{`"prod!" is not an environment name`}},
	{in: "deploy pröd", want: []string{`"pröd" is not an environment name`}},
	{in: "deploy " + strings.Repeat("e", 64), want: []string{`"` + strings.Repeat("e", 39) + `…" is not an environment name`}},
	{in: `unlock "prod uction"`, want: []string{`"prod uction" is not an environment name`}},
	{in: "plan 2026-12-01 14:00 pr*d", want: []string{`"prd" is not an environment name`}},

	// ref
	{in: "deploy production a..b", want: []string{`"a..b" is not a branch, tag or commit: it contains ".."`}},
	{in: `deploy production "a b"`, want: []string{"it contains a space"}},
	{in: "deploy production x~1", want: []string{`it contains '~'`}},
	{in: "deploy production x^", want: []string{`it contains '^'`}},
	{in: "deploy production x:y", want: []string{`it contains ':'`}},
	{in: "deploy production x?", want: []string{`it contains '?'`}},
	{in: "deploy production x*", want: []string{`it contains '*'`}},
	{in: "deploy production x[1", want: []string{`it contains '['`}},
	{in: `deploy production x\y`, want: []string{`it contains '\\'`}},
	{in: "deploy production x\x01y", want: []string{"it contains a control character"}},
	{in: "deploy production x\x7fy", want: []string{"it contains a control character"}},
	{in: "deploy production x\u202ey", want: []string{"it contains a non-printing character"}},
	{in: `deploy production "-x"`, want: []string{`it starts with "-"`}},
	{in: "deploy production /x", want: []string{`it starts with "/"`}},
	{in: "deploy production x/", want: []string{`it ends with "/"`}},
	{in: "deploy production x.", want: []string{`it ends with "."`}},
	{in: "deploy production x.lock", want: []string{`a part of it ends with ".lock"`}},
	{in: "deploy production x.lock/y", want: []string{`a part of it ends with ".lock"`}},
	{in: "deploy production x/.y", want: []string{`a part of it starts with "."`}},
	{in: "deploy production .y", want: []string{`a part of it starts with "."`}},
	{in: "deploy production a//b", want: []string{`it contains "//"`}},
	{in: "deploy production a@{1}", want: []string{"it contains an at sign followed by {"}},
	{in: "deploy production @", want: []string{"it is a lone at sign"}},
	{in: "deploy production refs/remotes/origin/x", want: []string{"only refs/heads/ and refs/tags/ refs can be deployed"}},
	{in: "deploy production refs/heads/", want: []string{`it ends with "/"`}},
	{in: "deploy production refs/pull/1/head", want: []string{"only refs/heads/ and refs/tags/"}},
	{in: "deploy production " + strings.Repeat("r", 201), want: []string{"it is longer than 200 bytes"}},
	{in: "rollback production v1", want: []string{`unexpected "v1": write to before the ref`}},
	{in: `rollback production "to" v1`, want: []string{`unexpected "to": write to before the ref`}},
	{in: "rollback production to", want: []string{"to needs a ref"}},
	{in: "rollback production to a..b", want: []string{`"a..b" is not a branch, tag or commit`}},

	// lock's duration and reason
	{in: "lock production for", want: []string{"for needs a duration"}},
	{in: "lock production waiting for", want: []string{"for needs a duration"}},
	{in: "lock production for 2", want: []string{`"2" is not a duration: write it like 30m, 2h or 1d12h`}},
	{in: "lock production for 2 hours", want: []string{`"2" is not a duration`}},
	{in: "lock production for 1.5d", want: []string{`"1.5d" is not a duration`}},
	{in: "lock production for 1h2d", want: []string{`"1h2d" is not a duration`}},
	{in: "lock production for 1d-1h", want: []string{`"1d-1h" is not a duration`}},
	{in: "lock production for -1h", want: []string{`"-1h" is not a duration`}},
	{in: "lock production for 30s", want: []string{`"30s" is out of range: a lock lasts from 1m to 7d`}},
	{in: "lock production for 0", want: []string{`"0" is out of range`}},
	{in: "lock production for 8d", want: []string{`"8d" is out of range`}},
	{in: "lock production for 7d1m", want: []string{`"7d1m" is out of range`}},
	{in: "lock production for 169h", want: []string{`"169h" is out of range`}},
	{in: "lock production for 999d", want: []string{`"999d" is out of range`}},
	{in: "lock production for 1h because", want: []string{`for "1h" must come last: unexpected extra argument "because"`}},
	{in: "lock production for 1h for 2h", want: []string{`for "1h" must come last`}},
	{in: "lock production " + strings.Repeat("x", 201), want: []string{"the reason is longer than 200 characters (201)"}},
	{in: "lock production a\x01b", want: []string{"the reason has a control or non-printing character"}},
	{in: "lock production a\u202eb", want: []string{"the reason has a control or non-printing character"}},

	// status
	{in: "status 12", want: []string{`"12" is not an issue or pull request: write #N or OWNER/REPO#N`}},
	{in: "status #0", want: []string{`"#0" is not an issue or pull request`}},
	{in: "status #012", want: []string{`"#012" is not an issue or pull request`}},
	{in: "status #x", want: []string{`"#x" is not an issue or pull request`}},
	{in: "status #2147483648", want: []string{`"#2147483648" is not an issue or pull request`}},
	{in: "status a-/b#1", want: []string{`"a-/b#1" is not an issue or pull request`}},
	{in: "status -a/b#1", want: []string{`unknown flag "-a/b#1": status takes no flags`}},
	{in: "status a/b#", want: []string{`"a/b#" is not an issue or pull request`}},
	{in: "status a/.#1", want: []string{`"a/.#1" is not an issue or pull request`}},
	{in: "status a/b.git#1", want: []string{`"a/b.git#1" is not an issue or pull request`}},
	{in: "a/b status c/d#1", slackOnly: true, want: []string{`"a/b" and "c/d" are two repositories: name one`}},

	// plan
	{in: "plan", want: []string{"the go-live time is missing", "usage: `/golive plan WHEN [ZONE] [ENV]`", "Europe/Berlin"}},
	{in: `plan "2026-12-01 14:00`, want: []string{"a quote is not closed"}},
	{in: `plan "  "`, want: []string{"a quoted argument is empty"}},
	{in: "plan 2026-12-01 14:00 staging production", want: []string{`unexpected "production" after the environment`}},
	{in: "plan tomorrow Europe/Berlin UTC", want: []string{`unexpected "UTC" after the time zone`}},
	{in: "plan tomorrow Europe/Berlin!", want: []string{`"Europe/Berlin!" is not a time zone: write an IANA name like Europe/Berlin, or UTC`}},
	{in: "plan tomorrow /x", want: []string{`"/x" is not a time zone`}},
	{in: "plan " + strings.Repeat("9", 65), want: []string{"is not a go-live time: it is not a time"}},
	{in: "plan a\x01b", want: []string{"is not a go-live time: it has a control or non-printing character"}},

	// Slack's leading OWNER/REPO
	{in: "bad//repo deploy prod", slackOnly: true, want: []string{`"bad//repo" is not a repository: write it as OWNER/REPO before the command`}},
	{in: "-a/b list", slackOnly: true, want: []string{`"-a/b" is not a repository`}},
	{in: "a--b/c list", slackOnly: true, want: []string{`"a--b/c" is not a repository`}},
	{in: strings.Repeat("o", 40) + "/r list", slackOnly: true, want: []string{"is not a repository"}},
	{in: "a/" + strings.Repeat("r", 101) + " list", slackOnly: true, want: []string{"is not a repository"}},
	{in: "a/b/c list", slackOnly: true, want: []string{`"a/b/c" is not a repository`}},
	{in: "a/b.git list", slackOnly: true, want: []string{`"a/b.git" is not a repository`}},
	{in: "a/b frobnicate", slackOnly: true, want: []string{`unknown command "frobnicate"`}},
}

// ignoreCases are comments golive ignores.
var ignoreCases = []string{
	"",
	"   \n\t\n",
	"hello",
	"LGTM /golive deploy prod",
	"/golived deploy prod",
	"/golive-bot deploy prod",
	"/golive\u200bdeploy prod",
	"/GOLIVE deploy prod",
	"/Golive deploy prod",
	"golive deploy prod",
	"try `/golive deploy prod`",
	"`/golive deploy prod`",
	"``/golive deploy prod``",
	"```/golive deploy prod```",
	"**/golive deploy prod**",
	"> /golive deploy prod",
	">/golive deploy prod",
	"> /golive deploy prod\n\nthanks, on it",
	"```\n/golive deploy prod\n```",
	"```sh\n/golive deploy prod\n```\nsee above",
	"~~~\n/golive deploy prod\n~~~",
	"````\n```\n/golive deploy prod\n````\nok",
	"```\nnever closed\n/golive deploy prod",
	"    /golive deploy prod",
	"\t/golive deploy prod",
	"\u00a0/golive deploy prod",
	"thanks!\n/golive deploy prod",
	"<!-- /golive deploy prod -->",
	"\n\n> quote\n>\n> /golive deploy\n",
}

// commentCommandCases are comments, beyond commandCases, that hold a
// command on their first counting line.
var commentCommandCases = []struct {
	body string
	want Command
}{
	{"/golive deploy prod\nsecond line: /golive unlock prod", Command{Verb: VerbDeploy, Env: "prod"}},
	{"\n\n   /golive deploy prod", Command{Verb: VerbDeploy, Env: "prod"}},
	{"> quoted\n/golive deploy prod", Command{Verb: VerbDeploy, Env: "prod"}},
	{"  > quoted\n\n/golive deploy prod", Command{Verb: VerbDeploy, Env: "prod"}},
	{"```\ncode\n```\n/golive deploy prod", Command{Verb: VerbDeploy, Env: "prod"}},
	{"````md\n```\n````\n/golive deploy prod", Command{Verb: VerbDeploy, Env: "prod"}},
	{"~~~\n```\n~~~\n/golive deploy prod", Command{Verb: VerbDeploy, Env: "prod"}},
	{"```go\nx\n  ```  \r\n/golive deploy prod\r\nmore", Command{Verb: VerbDeploy, Env: "prod"}},
	{"/golive deploy prod\r\n", Command{Verb: VerbDeploy, Env: "prod"}},
	{"/golive\tdeploy prod", Command{Verb: VerbDeploy, Env: "prod"}},
	{"/golive lock prod later lines\ndo not join the reason", Command{Verb: VerbLock, Env: "prod", Reason: "later lines"}},
}

func outcomes(r Result) int {
	n := 0
	if r.Command != nil {
		n++
	}
	if r.Reply != "" {
		n++
	}
	if r.Ignore {
		n++
	}
	return n
}

func TestCommands(t *testing.T) {
	for _, tc := range commandCases {
		check := func(name string, r Result) {
			t.Helper()
			if r.Command == nil || r.Reply != "" || r.Ignore {
				t.Errorf("%s(%q) = %+v, want command %+v", name, tc.in, r, tc.want)
				return
			}
			if !reflect.DeepEqual(*r.Command, tc.want) {
				t.Errorf("%s(%q) = %+v\nwant %+v", name, tc.in, *r.Command, tc.want)
			}
			if err := r.Command.Validate(); err != nil {
				t.Errorf("%s(%q): Validate: %v", name, tc.in, err)
			}
		}
		check("ParseSlack", ParseSlack(tc.in))
		if !tc.slackOnly {
			check("ParseComment", ParseComment("/golive "+tc.in))
		}
	}
}

func TestCommentCommands(t *testing.T) {
	for _, tc := range commentCommandCases {
		r := ParseComment(tc.body)
		if r.Command == nil || !reflect.DeepEqual(*r.Command, tc.want) || outcomes(r) != 1 {
			t.Errorf("ParseComment(%q) = %+v (command %+v), want %+v", tc.body, r, r.Command, tc.want)
		}
	}
}

func TestReplies(t *testing.T) {
	for _, tc := range replyCases {
		check := func(name, in string, r Result) {
			t.Helper()
			if r.Reply == "" || r.Command != nil || r.Ignore {
				t.Errorf("%s(%q) = %+v (command %+v), want a reply", name, in, r, r.Command)
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Reply, w) {
					t.Errorf("%s(%q) reply\n%s\nwant it to hold\n%s", name, in, r.Reply, w)
				}
			}
		}
		if !tc.commentOnly {
			check("ParseSlack", tc.in, ParseSlack(tc.in))
		}
		switch {
		case tc.commentOnly:
			check("ParseComment", tc.in, ParseComment(tc.in))
		case !tc.slackOnly:
			check("ParseComment", "/golive "+tc.in, ParseComment("/golive "+tc.in))
		}
	}
}

func TestIgnored(t *testing.T) {
	for _, body := range ignoreCases {
		if r := ParseComment(body); !r.Ignore || outcomes(r) != 1 {
			t.Errorf("ParseComment(%q) = %+v (command %+v), want Ignore", body, r, r.Command)
		}
	}
}

// Slack text is always addressed to golive: never ignored.
func TestSlackNeverIgnores(t *testing.T) {
	for _, in := range append(ignoreCases, "/golive deploy prod", "> deploy prod") {
		if r := ParseSlack(in); r.Ignore || outcomes(r) != 1 {
			t.Errorf("ParseSlack(%q) = %+v", in, r)
		}
	}
}

// allInputs is every text in the tables, as given to each parser.
func allInputs() (slack, comments []string) {
	for _, tc := range commandCases {
		slack = append(slack, tc.in)
		comments = append(comments, "/golive "+tc.in)
	}
	for _, tc := range replyCases {
		slack = append(slack, tc.in)
		comments = append(comments, "/golive "+tc.in, tc.in)
	}
	for _, tc := range commentCommandCases {
		comments = append(comments, tc.body)
	}
	comments = append(comments, ignoreCases...)
	slack = append(slack, ignoreCases...)
	for _, s := range hostile {
		for _, tpl := range hostileTemplates {
			in := strings.ReplaceAll(tpl, "%s", s)
			slack = append(slack, in)
			comments = append(comments, "/golive "+in, in)
		}
	}
	return slack, comments
}

func TestExactlyOneOutcome(t *testing.T) {
	slack, comments := allInputs()
	for _, in := range slack {
		if r := ParseSlack(in); outcomes(r) != 1 {
			t.Errorf("ParseSlack(%q) = %+v: %d outcomes", in, r, outcomes(r))
		}
	}
	for _, in := range comments {
		if r := ParseComment(in); outcomes(r) != 1 {
			t.Errorf("ParseComment(%q) = %+v: %d outcomes", in, r, outcomes(r))
		}
	}
}

// hostile texts try to make a reply mention people or link.
var hostile = []string{
	"<!channel>", "<!here>", "<!here|here>", "<!everyone>", "@here", "@channel", "<@U123>", "<@U123|bob>",
	"@org/team", "@octocat", "<#C123>", "&lt;!channel&gt;", "&lt;@U123&gt;", "<<!channel>>", "@@here",
	"<https://evil.example|click>", "[click](https://evil.example)", "`code`", "*bold*", "_it_", "~strike~",
	"<!subteam^S123>", "a&amp;b", "<\u200b!channel>",
}

var hostileTemplates = []string{
	"%s", "%s deploy prod", "deploy %s", "deploy prod %s", "deploy prod v1 %s", "deploy prod --%s",
	"rollback prod %s", "rollback prod to %s", "lock %s", "lock prod for %s", "unlock prod %s",
	"status %s", "status a/b#%s", "plan %s", "plan x %s", "plan x %s/y", "list %s", "%s%s",
	"deploy \"%s\"", "a/b %s", "%s/b list",
}

// forbidden must never appear in a reply.
var forbidden = []string{"<!channel>", "<!here", "<!everyone>", "@here", "@channel", "<@U123>", "@org/team", "@octocat", "<#C123>", "<https:", "](https:"}

// replyProblem says what makes a reply unsafe to post as is, "" when it
// is fine.
func replyProblem(reply string) string {
	for _, f := range forbidden {
		if strings.Contains(reply, f) {
			return "holds " + f
		}
	}
	if i := strings.IndexAny(reply, "<>&@"); i >= 0 {
		return "holds " + reply[i:i+1]
	}
	return ""
}

func TestRepliesAreSafe(t *testing.T) {
	slack, comments := allInputs()
	for _, in := range slack {
		if r := ParseSlack(in); replyProblem(r.Reply) != "" {
			t.Errorf("ParseSlack(%q) reply %s:\n%s", in, replyProblem(r.Reply), r.Reply)
		}
	}
	for _, in := range comments {
		if r := ParseComment(in); replyProblem(r.Reply) != "" {
			t.Errorf("ParseComment(%q) reply %s:\n%s", in, replyProblem(r.Reply), r.Reply)
		}
	}
	// The hostile texts do reach replies (stripped), not only commands.
	if r := ParseSlack("deploy <!channel>"); !strings.Contains(r.Reply, `"!channel" is not an environment name`) {
		t.Errorf("reply %q", r.Reply)
	}
	if r := ParseComment("/golive @org/team"); !strings.Contains(r.Reply, `unknown command "org/team"`) {
		t.Errorf("reply %q", r.Reply)
	}
}

func TestQuote(t *testing.T) {
	tests := map[string]string{
		"prod":                        `"prod"`,
		"<@U123>":                     `"U123"`,
		"<!channel>":                  `"!channel"`,
		"@here":                       `"here"`,
		"a&b`c*d_e~f[g]h":             `"abcdefgh"`,
		"tab\there\x00\u202e":         `"tab\there\x00\u202e"`,
		"\xff":                        "\"\ufffd\"",
		strings.Repeat("a", 40):       `"` + strings.Repeat("a", 40) + `"`,
		strings.Repeat("é", 41):       `"` + strings.Repeat("é", 39) + `…"`,
		"@" + strings.Repeat("b", 40): `"` + strings.Repeat("b", 40) + `"`,
	}
	for in, want := range tests {
		if got := q(in); got != want {
			t.Errorf("q(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestHelp(t *testing.T) {
	h := Help()
	for _, v := range Verbs() {
		if !strings.Contains(h, "`"+Usage(v)+"`") {
			t.Errorf("help lacks %q", Usage(v))
		}
	}
	if p := replyProblem(h); p != "" {
		t.Errorf("help %s", p)
	}
	for _, r := range []Result{ParseSlack(""), ParseSlack("help"), ParseComment("/golive"), ParseComment("/golive help")} {
		if r.Reply != h {
			t.Errorf("reply %q, want help", r.Reply)
		}
	}
}

func TestSuggest(t *testing.T) {
	tests := map[string][]Verb{
		"rolback":                   {VerbRollback},
		"rollbakc":                  {VerbRollback},
		"ROLBACK":                   {VerbRollback},
		"lst":                       {VerbList},
		"stat":                      {VerbStatus},
		"nlock":                     {VerbLock, VerbUnlock},
		"plna":                      {VerbPlan},
		"hlep":                      {VerbHelp},
		"foo":                       nil,
		"x":                         nil,
		"":                          nil,
		strings.Repeat("deploy", 5): nil,
	}
	for in, want := range tests {
		if got := suggest(in); !reflect.DeepEqual(got, want) {
			t.Errorf("suggest(%q) = %v, want %v", in, got, want)
		}
	}
	if d := distance([]rune("ab"), []rune("ba")); d != 1 {
		t.Errorf("a swap is %d edits", d)
	}
	if d := distance([]rune("kitten"), []rune("sitting")); d != 3 {
		t.Errorf("kitten/sitting %d", d)
	}
}
