// Package command is the one grammar for /golive commands: the text typed
// after the Slack slash command "/golive", and the first line of a GitHub
// issue or pull-request comment. A text parses into exactly one Result: a
// Command to run, a Reply to post (help, usage, "did you mean"), or Ignore
// (a comment that is not addressed to golive).
//
// The grammar (placeholders in capitals; [optional]):
//
//	/golive help
//	/golive status [OWNER/REPO#N]
//	/golive list
//	/golive plan WHEN [ZONE] [ENV]
//	/golive deploy ENV [REF] [--queue] [--force]
//	/golive rollback ENV [to REF]
//	/golive lock ENV [REASON…] [for DURATION]
//	/golive unlock ENV
//	/golive cancel
//	/golive incident SEVERITY TITLE…
//	/golive ack [#N]
//	/golive severity SEVERITY [#N]
//	/golive resolve [#N]
//
// In Slack the command may start with OWNER/REPO, naming the repository:
// "/golive golive-dev/golive deploy production". Arguments are separated by
// white space; an argument may be quoted with straight or typographic
// quotes ("…", '…', “…”, ‘…’), which keeps spaces in it and makes it
// literal: a quoted "--force" is not a flag, a quoted "for" is a word of the
// reason. Verbs and the keywords "to" and "for" are case-insensitive;
// values keep their case.
//
// The package is pure: it does no I/O and never reads the clock. Replies
// are plain text that is safe to post on both surfaces as is: they contain
// no "<", ">", "&" or "@", and user text in them is quoted with %q after the
// characters that could form mentions, links or markup are removed (see
// Result).
package command

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Verb is a command's name.
type Verb string

// The verbs, in the order help lists them.
const (
	VerbHelp     Verb = "help"
	VerbStatus   Verb = "status"
	VerbList     Verb = "list"
	VerbPlan     Verb = "plan"
	VerbDeploy   Verb = "deploy"
	VerbRollback Verb = "rollback"
	VerbLock     Verb = "lock"
	VerbUnlock   Verb = "unlock"
	VerbCancel   Verb = "cancel"
	VerbIncident Verb = "incident"
	VerbAck      Verb = "ack"
	VerbSeverity Verb = "severity"
	VerbResolve  Verb = "resolve"
)

var verbs = []Verb{VerbHelp, VerbStatus, VerbList, VerbPlan, VerbDeploy, VerbRollback, VerbLock, VerbUnlock, VerbCancel,
	VerbIncident, VerbAck, VerbSeverity, VerbResolve}

// Severities are the incident severities, most severe first.
var Severities = []string{"P0", "P1", "P2", "P3"}

// ValidSeverity reports whether s is one of Severities (upper case).
func ValidSeverity(s string) bool {
	for _, v := range Severities {
		if s == v {
			return true
		}
	}
	return false
}

// Verbs returns every verb, in the order help lists them.
func Verbs() []Verb { return append([]Verb(nil), verbs...) }

// Valid reports whether v is one of the verbs.
func (v Verb) Valid() bool {
	for _, w := range verbs {
		if v == w {
			return true
		}
	}
	return false
}

// Limits of the values a command carries.
const (
	MaxReason       = 200 // runes
	MaxRef          = 200 // bytes
	MinLockDuration = time.Minute
	MaxLockDuration = 7 * 24 * time.Hour
	MaxIssue        = math.MaxInt32
)

// Command is a parsed, validated command. Fields a verb does not take are
// zero. "help" is never a Command: it parses into a Reply.
type Command struct {
	Verb Verb

	// Repo is "owner/repo" when the text names the repository: Slack's
	// leading OWNER/REPO, or status's OWNER/REPO[#N]; "" otherwise (a
	// comment acts on its own repository, Slack on the channel's).
	Repo string
	// Issue is status's issue or pull-request number (OWNER/REPO#N or #N),
	// or the incident issue ack, severity and resolve name (#N); 0
	// otherwise.
	Issue int

	// Severity is incident's and severity's P0–P3, upper case.
	Severity string
	// Title is incident's TITLE: its words joined by one space, at most
	// MaxReason runes. It is user text: escape it wherever it is shown.
	Title string

	// Env is the environment: required by deploy, rollback, lock and
	// unlock; optional for plan. It matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$
	// and keeps its case.
	Env string
	// Ref is deploy's [REF] or rollback's "to REF": a commit SHA or a
	// branch or tag name (refs/heads/… and refs/tags/… too); "" when not
	// given.
	Ref string
	// Queue and Force are deploy's --queue and --force.
	Queue bool
	Force bool

	// Reason is lock's REASON: its words joined by one space, "" when
	// none. It is user text: escape it wherever it is shown.
	Reason string
	// For is lock's "for DURATION", between MinLockDuration and
	// MaxLockDuration; 0 when not given.
	For time.Duration

	// When and Zone are plan's WHEN and ZONE. The arguments split as
	// issueform.ParsePlanCommand (the planner's reader) splits them: WHEN
	// is the first argument, or the first two when they are a date and a
	// clock time ("2026-12-01 14:00"); each further argument is the ZONE
	// when it holds "/" or is "UTC" (any case), else the ENV; at most one
	// of each. When keeps what was written (runs of spaces made one) and
	// is only checked to be one printable line of at most 64 runes: the
	// planner reads it in the go-live's zone against the clock. Zone is ""
	// when not given.
	When string
	Zone string
}

// Result is what a text parses into: exactly one of Command, Reply and
// Ignore is set.
//
// Reply is the text to answer with (help, usage, "did you mean"). Any user
// text in it is quoted with %q after removing < > @ & ` * _ ~ [ ] and is cut
// to 40 runes, so user text in a reply cannot mention (@here, <!channel>,
// <@U123>, @org/team), make a Markdown or mrkdwn link, or format on either
// surface. Bare URLs and issue references (owner/repo#N) are left as
// written, and Slack and GitHub may still auto-link them.
type Result struct {
	Command *Command
	Reply   string
	Ignore  bool
}

// Validate reports the first field of c that the grammar could not have
// produced; commands the parsers return always pass.
func (c *Command) Validate() error {
	if c == nil {
		return errors.New("nil command")
	}
	if !c.Verb.Valid() || c.Verb == VerbHelp {
		return fmt.Errorf("verb %q is not a command", c.Verb)
	}
	if c.Repo != "" && !ValidRepo(c.Repo) {
		return fmt.Errorf("repo %q is not OWNER/REPO", c.Repo)
	}
	if c.Issue < 0 || c.Issue > MaxIssue || (c.Issue != 0 && c.Verb != VerbStatus && c.Verb != VerbAck && c.Verb != VerbSeverity && c.Verb != VerbResolve) {
		return fmt.Errorf("issue %d for %s", c.Issue, c.Verb)
	}
	switch c.Verb {
	case VerbDeploy, VerbRollback, VerbLock, VerbUnlock:
		if !ValidEnv(c.Env) {
			return fmt.Errorf("env %q", c.Env)
		}
	case VerbPlan:
		if c.Env != "" && !ValidEnv(c.Env) {
			return fmt.Errorf("env %q", c.Env)
		}
	default:
		if c.Env != "" {
			return fmt.Errorf("env %q for %s", c.Env, c.Verb)
		}
	}
	switch {
	case c.Ref != "" && c.Verb != VerbDeploy && c.Verb != VerbRollback:
		return fmt.Errorf("ref %q for %s", c.Ref, c.Verb)
	case c.Ref != "" && !ValidRef(c.Ref):
		return fmt.Errorf("ref %q: %s", c.Ref, refProblem(c.Ref))
	case (c.Queue || c.Force) && c.Verb != VerbDeploy:
		return fmt.Errorf("flags for %s", c.Verb)
	case c.Reason != "" && c.Verb != VerbLock:
		return fmt.Errorf("reason for %s", c.Verb)
	case c.Reason != "" && (reasonProblem(c.Reason) != "" || c.Reason != strings.Join(strings.Fields(c.Reason), " ")):
		return fmt.Errorf("reason %q", c.Reason)
	case c.For != 0 && c.Verb != VerbLock:
		return fmt.Errorf("duration for %s", c.Verb)
	case c.For != 0 && (c.For < MinLockDuration || c.For > MaxLockDuration):
		return fmt.Errorf("duration %v out of range", c.For)
	case (c.When != "" || c.Zone != "") && c.Verb != VerbPlan:
		return fmt.Errorf("time for %s", c.Verb)
	case c.Verb == VerbPlan && whenProblem(c.When) != "":
		return fmt.Errorf("when %q: %s", c.When, whenProblem(c.When))
	case c.Zone != "" && !validZone(c.Zone):
		return fmt.Errorf("zone %q", c.Zone)
	case (c.Verb == VerbIncident || c.Verb == VerbSeverity) != (c.Severity != ""):
		return fmt.Errorf("severity %q for %s", c.Severity, c.Verb)
	case c.Severity != "" && !ValidSeverity(c.Severity):
		return fmt.Errorf("severity %q", c.Severity)
	case (c.Verb == VerbIncident) != (c.Title != ""):
		return fmt.Errorf("title %q for %s", c.Title, c.Verb)
	case c.Title != "" && (reasonProblem(c.Title) != "" || c.Title != strings.Join(strings.Fields(c.Title), " ")):
		return fmt.Errorf("title %q", c.Title)
	}
	return nil
}

// usages are the grammar lines, one per verb.
var usages = map[Verb]string{
	VerbHelp:     "/golive help",
	VerbStatus:   "/golive status [OWNER/REPO#N]",
	VerbList:     "/golive list",
	VerbPlan:     "/golive plan WHEN [ZONE] [ENV]",
	VerbDeploy:   "/golive deploy ENV [REF] [--queue] [--force]",
	VerbRollback: "/golive rollback ENV [to REF]",
	VerbLock:     "/golive lock ENV [REASON…] [for DURATION]",
	VerbUnlock:   "/golive unlock ENV",
	VerbCancel:   "/golive cancel",
	VerbIncident: "/golive incident SEVERITY TITLE…",
	VerbAck:      "/golive ack [#N]",
	VerbSeverity: "/golive severity SEVERITY [#N]",
	VerbResolve:  "/golive resolve [#N]",
}

// notes explain a verb's placeholders in usage replies.
var notes = map[Verb]string{
	VerbStatus:   "N is an issue or pull-request number.",
	VerbPlan:     planNote,
	VerbDeploy:   "REF is a branch, a tag or a commit SHA.",
	VerbRollback: "REF is a branch, a tag or a commit SHA.",
	VerbLock:     durationNote + " Quote a reason that has the word for in it.",
	VerbIncident: severityNote,
	VerbAck:      incidentNote,
	VerbSeverity: severityNote + " " + incidentNote,
	VerbResolve:  incidentNote,
}

const (
	planNote     = "WHEN is 2026-12-01 14:00 (quoted or not) or an RFC 3339 time; ZONE is an IANA time zone like Europe/Berlin or UTC."
	envNote      = "ENV is an environment name: letters, digits, dots, dashes and underscores, at most 63 characters."
	durationNote = "DURATION is like 30m, 2h or 1d12h, from 1m to 7d."
	severityNote = "SEVERITY is P0 (system down), P1 (major feature broken), P2 (minor issue) or P3 (cosmetic)."
	incidentNote = "#N is the incident's issue; without it, the incident of the issue commented on, or in Slack the repository's one open incident."
)

// Usage returns v's grammar line, like "/golive unlock ENV"; "" for an
// unknown verb.
func Usage(v Verb) string { return usages[v] }

// Help returns the help reply: the grammar, one line per verb, and what the
// placeholders stand for.
func Help() string {
	var b strings.Builder
	b.WriteString("golive commands. In Slack: `/golive [OWNER/REPO] COMMAND`; on GitHub: `/golive COMMAND` as the first line of an issue or pull-request comment.\n")
	for _, v := range verbs {
		b.WriteString("`" + usages[v] + "`\n")
	}
	b.WriteString(envNote + " " + notes[VerbDeploy] + "\n")
	b.WriteString(planNote + "\n")
	b.WriteString(durationNote + " Quote a lock reason that has the word for in it.\n")
	b.WriteString(severityNote)
	return b.String()
}
