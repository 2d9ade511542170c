package command

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Prefix is the command word a comment's first line starts with.
const Prefix = "/golive"

// ParseComment parses a GitHub issue or pull-request comment.
//
// Only the comment's first line counts, not counting empty lines, quoted
// lines (starting with ">") and fenced code blocks (``` or ~~~). It must
// start with "/golive" (exactly, after at most three spaces), followed by
// white space or the end of the line; anything else is Ignore, so a line
// like "try `/golive deploy prod`" (the command in a code span) is
// ignored. "/golive" alone is the help reply; "/golive" followed by what
// the grammar does not allow is a usage or "did you mean" reply, as are
// backticks after "/golive" (a command is plain text). A comment acts on
// its own repository: only status names another one.
func ParseComment(body string) Result {
	line, ok := firstLine(body)
	if !ok {
		return Result{Ignore: true}
	}
	spaces := len(line) - len(strings.TrimLeft(line, " "))
	if spaces > 3 {
		return Result{Ignore: true} // an indented code block
	}
	rest, ok := strings.CutPrefix(line[spaces:], Prefix)
	if !ok {
		return Result{Ignore: true}
	}
	if r, _ := utf8.DecodeRuneInString(rest); rest != "" && !unicode.IsSpace(r) {
		return Result{Ignore: true} // "/golive-x", "/golived"
	}
	return parse(rest, false)
}

// ParseSlack parses the text Slack sends with the "/golive" slash command
// (what follows "/golive"). Slack's escapes of "&", "<" and ">" are
// undone first. The text may start with OWNER/REPO, naming the repository.
// Empty text is the help reply; ParseSlack never returns Ignore.
func ParseSlack(text string) Result {
	return parse(slackUnescaper.Replace(text), true)
}

var slackUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// firstLine returns the comment's first line that is not empty, quoted or
// in a fenced code block; ok is false when there is none.
func firstLine(body string) (line string, ok bool) {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	var (
		fenceChar byte
		fenceLen  int // 0: not in a fenced block
	)
	for line := range strings.SplitSeq(body, "\n") {
		t := strings.TrimSpace(line)
		if fenceLen > 0 {
			if len(t) >= fenceLen && strings.Trim(t, string(fenceChar)) == "" {
				fenceLen = 0
			}
			continue
		}
		if t == "" || t[0] == '>' {
			continue
		}
		if n := fenceRun(t); n > 0 {
			fenceChar, fenceLen = t[0], n
			continue
		}
		return line, true
	}
	return "", false
}

// fenceRun returns the length of the fence that opens a fenced code block
// on line t (trimmed), 0 when t does not open one.
func fenceRun(t string) int {
	if !strings.HasPrefix(t, "```") && !strings.HasPrefix(t, "~~~") {
		return 0
	}
	n := len(t) - len(strings.TrimLeft(t, t[:1]))
	if t[0] == '`' && strings.Contains(t[n:], "`") {
		return 0 // an inline code span, like ```x```
	}
	return n
}

// token is one argument; quoted arguments are literal (never flags or
// keywords).
type token struct {
	s      string
	quoted bool
}

// quoteClass is 1 for double quotes, 2 for single quotes (straight or
// typographic), 0 for other runes.
func quoteClass(r rune) int {
	switch r {
	case '"', '\u201c', '\u201d', '\u201e':
		return 1
	case '\'', '\u2018', '\u2019', '\u201a':
		return 2
	}
	return 0
}

// tokenize splits s at white space. A quote at the start of an argument
// opens it; a quote of the same kind (straight or typographic) followed by
// white space or the end closes it, so "don't" and ‘don’t stop’ keep their
// apostrophes. Invalid UTF-8 becomes U+FFFD.
func tokenize(s string) ([]token, string) {
	var (
		toks []token
		rs   = []rune(s)
	)
	for i := 0; i < len(rs); {
		switch r := rs[i]; {
		case unicode.IsSpace(r):
			i++
		case quoteClass(r) != 0:
			j := i + 1
			for j < len(rs) && !(quoteClass(rs[j]) == quoteClass(r) && (j+1 == len(rs) || unicode.IsSpace(rs[j+1]))) {
				j++
			}
			if j == len(rs) {
				return nil, "a quote is not closed"
			}
			if strings.TrimFunc(string(rs[i+1:j]), unicode.IsSpace) == "" {
				return nil, "a quoted argument is empty"
			}
			toks = append(toks, token{s: string(rs[i+1 : j]), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) {
				j++
			}
			toks = append(toks, token{s: string(rs[i:j])})
			i = j
		}
	}
	return toks, ""
}

// flagName returns the flag t is, when it is one: an unquoted argument
// starting with "--" (or a dash that autocorrect made of it, "—" or "–"),
// or "-" and a letter.
func flagName(t token) (string, bool) {
	if t.quoted {
		return "", false
	}
	s := t.s
	for _, dash := range []string{"\u2014", "\u2013"} {
		if rest, ok := strings.CutPrefix(s, dash); ok {
			s = "--" + rest
		}
	}
	if strings.HasPrefix(s, "--") {
		return s, true
	}
	if len(s) >= 2 && s[0] == '-' && ('a' <= s[1] && s[1] <= 'z' || 'A' <= s[1] && s[1] <= 'Z') {
		return s, true
	}
	return "", false
}

func isKeyword(t token, kw string) bool { return !t.quoted && strings.EqualFold(t.s, kw) }

// parse parses what follows "/golive".
func parse(args string, slack bool) Result {
	if strings.ContainsRune(args, '`') {
		return Result{Reply: "backticks are not part of a command: write it as plain text, like `/golive deploy production`"}
	}
	toks, problem := tokenize(args)
	if problem != "" {
		return Result{Reply: problem + "; see `/golive help`"}
	}
	var repo string
	if slack && len(toks) > 0 && !toks[0].quoted && strings.Contains(toks[0].s, "/") {
		if !ValidRepo(toks[0].s) {
			return Result{Reply: fmt.Sprintf("%s is not a repository: write it as OWNER/REPO before the command, like `/golive golive-dev/golive status`", q(toks[0].s))}
		}
		repo, toks = toks[0].s, toks[1:]
	}
	if len(toks) == 0 {
		return Result{Reply: Help()}
	}
	head := toks[0]
	if name, ok := flagName(head); ok && (name == "--help" || name == "-h") {
		return Result{Reply: Help()}
	}
	v := Verb(strings.ToLower(head.s))
	switch {
	case !v.Valid():
		return unknownVerb(head.s, slack)
	case v == VerbHelp:
		return Result{Reply: Help()}
	}
	return parseArgs(&Command{Verb: v, Repo: repo}, toks[1:])
}

func unknownVerb(word string, slack bool) Result {
	if !slack && ValidRepo(word) {
		return Result{Reply: fmt.Sprintf("a comment acts on its own repository: drop %s (only Slack commands name one)", q(word))}
	}
	if s := suggest(word); len(s) > 0 {
		return Result{Reply: fmt.Sprintf("unknown command %s: did you mean %s?", q(word), orList(s))}
	}
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = string(v)
	}
	return Result{Reply: fmt.Sprintf("unknown command %s: the commands are %s; see `/golive help`", q(word), strings.Join(names, ", "))}
}

// usageReply is a problem with the command followed by its grammar line and
// what its placeholders stand for.
func usageReply(v Verb, problem string) Result {
	var b strings.Builder
	if problem != "" {
		b.WriteString(problem + "\n")
	}
	b.WriteString("usage: `" + usages[v] + "`")
	if n := notes[v]; n != "" {
		b.WriteString("\n" + n)
	}
	return Result{Reply: b.String()}
}

var (
	dateRE  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	clockRE = regexp.MustCompile(`^\d{1,2}:\d{2}$`)
)

// parseArgs reads the verb's arguments into c.
func parseArgs(c *Command, args []token) Result {
	v := c.Verb
	fail := func(format string, a ...any) Result { return usageReply(v, fmt.Sprintf(format, a...)) }

	// Flags may stand anywhere; --help anywhere asks for the usage.
	var pos []token
	for _, t := range args {
		if name, ok := flagName(t); ok && (name == "--help" || name == "-h") {
			return usageReply(v, "")
		}
	}
	for _, t := range args {
		name, ok := flagName(t)
		switch {
		case !ok:
			pos = append(pos, t)
		case v == VerbDeploy && name == "--queue":
			c.Queue = true
		case v == VerbDeploy && name == "--force":
			c.Force = true
		case v == VerbDeploy:
			return fail("unknown flag %s: deploy takes --queue and --force", q(t.s))
		default:
			return fail("unknown flag %s: %s takes no flags", q(t.s), v)
		}
	}

	// env reads the environment from pos[0]; kw is a keyword that cannot
	// stand for it (rollback's "to", lock's "for").
	env := func(kw string) string {
		if len(pos) == 0 || (kw != "" && isKeyword(pos[0], kw)) {
			return fmt.Sprintf("%s needs an environment, like production", v)
		}
		if !ValidEnv(pos[0].s) {
			return envProblem(pos[0].s)
		}
		c.Env = pos[0].s
		return ""
	}
	ref := func(t token) string {
		if p := refProblem(t.s); p != "" {
			return fmt.Sprintf("%s is not a branch, tag or commit: %s", q(t.s), p)
		}
		c.Ref = t.s
		return ""
	}

	switch v {
	case VerbStatus:
		if len(pos) > 1 {
			return fail("%s", surplus(pos[1:]))
		}
		if len(pos) == 1 {
			repo, n, ok := parseTarget(pos[0].s)
			if !ok {
				return fail("%s is not an issue or pull request: write #N or OWNER/REPO#N", q(pos[0].s))
			}
			if repo != "" && c.Repo != "" && !strings.EqualFold(repo, c.Repo) {
				return fail("%s and %s are two repositories: name one", q(c.Repo), q(repo))
			}
			if repo != "" {
				c.Repo = repo
			}
			c.Issue = n
		}

	case VerbList, VerbCancel:
		if len(pos) > 0 {
			return fail("%s", surplus(pos))
		}

	case VerbPlan:
		return parsePlan(c, pos, fail)

	case VerbDeploy:
		if p := env(""); p != "" {
			return fail("%s", p)
		}
		if len(pos) > 1 {
			if p := ref(pos[1]); p != "" {
				return fail("%s", p)
			}
		}
		if len(pos) > 2 {
			return fail("%s", surplus(pos[2:]))
		}

	case VerbRollback:
		if p := env("to"); p != "" {
			return fail("%s", p)
		}
		if len(pos) > 1 {
			if !isKeyword(pos[1], "to") {
				return fail("unexpected %s: write to before the ref, like `/golive rollback production to v1.2.3`", q(pos[1].s))
			}
			if len(pos) == 2 {
				return fail("to needs a ref: a branch, a tag or a commit SHA")
			}
			if p := ref(pos[2]); p != "" {
				return fail("%s", p)
			}
			if len(pos) > 3 {
				return fail("%s", surplus(pos[3:]))
			}
		}

	case VerbLock:
		if p := env("for"); p != "" {
			return fail("%s", p)
		}
		return parseLock(c, pos[1:], fail)

	case VerbUnlock:
		if p := env(""); p != "" {
			return fail("%s", p)
		}
		if len(pos) > 1 {
			return fail("%s", surplus(pos[1:]))
		}

	case VerbIncident:
		if len(pos) == 0 || !ValidSeverity(strings.ToUpper(pos[0].s)) {
			return fail("incident needs a severity first, P0 to P3, like `/golive incident P1 checkout is down`")
		}
		c.Severity = strings.ToUpper(pos[0].s)
		parts := make([]string, len(pos)-1)
		for i, w := range pos[1:] {
			parts[i] = w.s
		}
		c.Title = strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
		if c.Title == "" {
			return fail("the incident needs a title saying what is wrong")
		}
		if p := reasonProblem(c.Title); p != "" {
			return fail("%s", strings.Replace(p, "reason", "title", 1))
		}

	case VerbSeverity:
		if len(pos) == 0 || !ValidSeverity(strings.ToUpper(pos[0].s)) {
			return fail("severity needs the new severity, P0 to P3")
		}
		c.Severity = strings.ToUpper(pos[0].s)
		return parseIncidentRef(c, pos[1:], fail)

	case VerbAck, VerbResolve:
		return parseIncidentRef(c, pos, fail)
	}
	return Result{Command: c}
}

// parseIncidentRef reads an optional "#N" naming the incident's issue.
func parseIncidentRef(c *Command, pos []token, fail func(string, ...any) Result) Result {
	if len(pos) == 0 {
		return Result{Command: c}
	}
	num, ok := strings.CutPrefix(pos[0].s, "#")
	n, valid := parseIssue(num)
	if !ok || !valid {
		return fail("%s is not an incident: write its issue as #N", q(pos[0].s))
	}
	if len(pos) > 1 {
		return fail("%s", surplus(pos[1:]))
	}
	c.Issue = n
	return Result{Command: c}
}

// parsePlan reads "plan WHEN [ZONE] [ENV]" by the rules of
// issueform.ParsePlanCommand, so both read a command alike:
//
//   - WHEN is the first argument, or the first two when they are a date
//     and a clock time ("2026-12-01 14:00", unquoted);
//   - each further argument is the ZONE when it holds "/" or is "UTC" (any
//     case), else the ENV; at most one of each, in either order.
//
// The time itself is checked by the planner, which knows the repository's
// default zone and the clock.
func parsePlan(c *Command, pos []token, fail func(string, ...any) Result) Result {
	if len(pos) == 0 {
		return fail("the go-live time is missing")
	}
	when := pos[0].s
	pos = pos[1:]
	if len(pos) > 0 && dateRE.MatchString(when) && clockRE.MatchString(pos[0].s) {
		when += " " + pos[0].s
		pos = pos[1:]
	}
	c.When = strings.Join(strings.Fields(when), " ")
	if p := whenProblem(c.When); p != "" {
		return fail("%s is not a go-live time: %s", q(when), p)
	}
	for _, t := range pos {
		switch {
		case isZone(t.s) && c.Zone != "":
			return fail("unexpected %s after the time zone", q(t.s))
		case isZone(t.s):
			z := strings.Join(strings.Fields(t.s), " ")
			if !validZone(z) {
				return fail("%s is not a time zone: write an IANA name like Europe/Berlin, or UTC", q(t.s))
			}
			c.Zone = z
		case c.Env != "":
			return fail("unexpected %s after the environment", q(t.s))
		case !ValidEnv(t.s):
			return fail("%s", envProblem(t.s))
		default:
			c.Env = t.s
		}
	}
	return Result{Command: c}
}

// parseLock reads lock's "[REASON…] [for DURATION]" from the arguments
// after the environment. An unquoted "for" followed by an argument that
// starts like a number ("2h", "1d", "90m", "2") is the duration, which must
// be valid and come last; any other "for" is a word of the reason.
func parseLock(c *Command, words []token, fail func(string, ...any) Result) Result {
	for i, w := range words {
		if !isKeyword(w, "for") {
			continue
		}
		if i == len(words)-1 {
			return fail("for needs a duration")
		}
		next := words[i+1]
		if next.quoted || !strings.ContainsRune("0123456789.+-", rune(next.s[0])) {
			continue
		}
		d, err := ParseDuration(next.s)
		switch {
		case err != nil:
			return fail("%s is %v", q(next.s), err)
		case d < MinLockDuration || d > MaxLockDuration:
			return fail("%s is out of range: a lock lasts from 1m to 7d", q(next.s))
		case i+2 < len(words):
			return fail("for %s must come last: %s", q(next.s), surplus(words[i+2:]))
		}
		c.For = d
		words = words[:i]
		break
	}
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w.s
	}
	c.Reason = strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
	if p := reasonProblem(c.Reason); p != "" {
		return fail("%s", p)
	}
	return Result{Command: c}
}

// parseTarget reads status's argument: "#N", "OWNER/REPO#N" or
// "OWNER/REPO".
func parseTarget(s string) (repo string, n int, ok bool) {
	if num, found := strings.CutPrefix(s, "#"); found {
		n, ok = parseIssue(num)
		return "", n, ok
	}
	if r, num, found := strings.Cut(s, "#"); found {
		n, ok = parseIssue(num)
		return r, n, ok && ValidRepo(r)
	}
	return s, 0, ValidRepo(s)
}

func envProblem(s string) string {
	return fmt.Sprintf("%s is not an environment name: use letters, digits, dots, dashes and underscores, starting with a letter or digit, at most 63 characters", q(s))
}

// surplus names arguments nothing in the grammar takes (at most three of
// them).
func surplus(extra []token) string {
	const show = 3
	quoted := make([]string, 0, show)
	for i := 0; i < len(extra) && i < show; i++ {
		quoted = append(quoted, q(extra[i].s))
	}
	list := strings.Join(quoted, ", ")
	if len(extra) > show {
		list += fmt.Sprintf(" and %d more", len(extra)-show)
	}
	if len(extra) == 1 {
		return "unexpected extra argument " + list
	}
	return "unexpected extra arguments " + list
}
