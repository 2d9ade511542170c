package main

// golive action runs golive's GitHub Action (actions/golive/action.yml): the
// container GitHub starts for the step runs `golive action COMMAND`, with the
// step's inputs and the run's context in the environment, as GitHub passes
// them to every action.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/issueform"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/smoke"
	"github.com/golive-dev/golive/bot/tracking"
	"github.com/golive-dev/golive/bot/watch"
	"github.com/golive-dev/golive/handlers"
)

const actionUsage = `Usage: golive action COMMAND

Runs one step of golive's GitHub Action (actions/golive/action.yml), as the
Actions runner starts it: configured by the step's inputs (INPUT_<NAME>) and
the run's GITHUB_* variables. Each command appends a Markdown table to
$GITHUB_STEP_SUMMARY (stdout when unset) and sets the outputs decision,
reason and result (JSON) in $GITHUB_OUTPUT (stdout when unset).

Commands:
  gate       is the go-live planning the environment ready? (decision ready or
             not_ready; inputs environment, issue, fail_on_not_ready)
  smoke      smoke checks and a short load test (decision pass or fail; inputs
             base_url or checks, load, concurrency, duration, rate, p50_ms,
             p95_ms, p99_ms, max_error_rate, issue)
  watch      watch for rollback triggers after a deploy and dispatch the
             rollback workflow when one trips (decision healthy or tripped;
             inputs window, interval, prometheus_url, error_rate_query,
             latency_query or urls, max_error_rate, max_latency_ms,
             consecutive, rollback_workflow, environment, rollback_ref,
             rollback_sha, issue)
  preflight  are the environment's required_variables set? (decision ok or
             missing; input environment)
  report     comment a deploy's outcome on the go-live issue (decision
             reported; inputs environment, issue, outcome, sha, run_url,
             started_at)

Exit status: 0 when the check passed, 1 when it failed (the reason is printed
as ::error::), 2 when the inputs are wrong.
`

// Decisions the commands output besides their own.
const decisionError = "error"

// actionInput is an input of action.yml: its name and the default the code
// applies when it is unset or empty (action.yml's default, except where that
// is an expression or differs by command).
type actionInput struct {
	name, def string
}

// actionInputs are every input action.yml declares; TestActionYAMLInputs
// checks that the two agree.
var actionInputs = []actionInput{
	{"command", ""},
	{"github_token", ""}, // action.yml: ${{ github.token }}; here GITHUB_TOKEN
	{"environment", ""},
	{"issue", ""},
	{"fail_on_not_ready", "true"},
	{"base_url", ""},
	{"checks", ""},
	{"load", "true"},
	{"concurrency", "50"},
	{"duration", "10s"},
	{"rate", "100"},
	{"p50_ms", "100"},
	{"p95_ms", "500"},
	{"p99_ms", "1000"},
	{"max_error_rate", ""}, // 0.01 for smoke, 0.05 for watch
	{"window", "10m"},
	{"interval", "30s"},
	{"prometheus_url", ""},
	{"error_rate_query", ""},
	{"latency_query", ""},
	{"urls", ""},
	{"max_latency_ms", "2000"},
	{"consecutive", "1"},
	{"rollback_workflow", ""},
	{"rollback_ref", ""},
	{"rollback_sha", ""},
	{"outcome", ""},
	{"sha", ""},
	{"run_url", ""},
	{"started_at", ""},
	{"server_url", ""},
}

// actionCommands are the commands, by name.
var actionCommands = map[string]func(*actionRun, context.Context) actionOutcome{
	"gate":      (*actionRun).gate,
	"smoke":     (*actionRun).smoke,
	"watch":     (*actionRun).watch,
	"preflight": (*actionRun).preflight,
	"report":    (*actionRun).report,
}

// actionOutcome is what a command decided.
type actionOutcome struct {
	code     int    // exit status: 0 pass, 1 failed check or error, 2 bad inputs
	decision string // the decision output
	reason   string // one line for people
	title    string // the summary's heading
	summary  string // Markdown under the heading
	result   any    // the result output, as JSON
	warning  bool   // code 0, but the reason deserves a ::warning::
}

// badInputs is the outcome of inputs that cannot be used.
func badInputs(problems []string) actionOutcome {
	reason := strings.Join(problems, "; ")
	var b strings.Builder
	b.WriteString("The step's inputs cannot be used:\n\n")
	for _, p := range problems {
		b.WriteString("- " + p + "\n")
	}
	return actionOutcome{code: 2, decision: decisionError, reason: reason, title: "❌ bad inputs", summary: b.String(),
		result: map[string]any{"problems": problems}}
}

// failed is the outcome of an error that stopped a command.
func failed(title string, err error) actionOutcome {
	return actionOutcome{code: 1, decision: decisionError, reason: err.Error(), title: title,
		summary: "golive could not finish: " + inline(err.Error()) + "\n", result: map[string]any{"error": err.Error()}}
}

// actionRun is one run of `golive action`.
type actionRun struct {
	command        string
	env            envconfig.Lookuper
	stdout, stderr io.Writer
	now            func() time.Time
	problems       []string       // bad inputs found so far
	event          map[string]any // the triggering workflow_dispatch's inputs
	repo           *ghclient.Repo
}

// action runs `golive action COMMAND`.
func action(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, actionUsage)
		return 0
	}
	name := ""
	switch len(args) {
	case 0:
		name, _ = env.Lookup("INPUT_COMMAND")
		name = strings.TrimSpace(name)
	case 1:
		name = args[0]
	default:
		fmt.Fprintf(stderr, "::error::golive action: want one command, got %q\n\n%s", args, actionUsage)
		return 2
	}
	cmd, ok := actionCommands[name]
	if !ok {
		fmt.Fprintf(stderr, "::error::golive action: unknown command %q: use gate, smoke, watch, preflight or report\n\n%s", name, actionUsage)
		return 2
	}
	a := &actionRun{command: name, env: env, stdout: stdout, stderr: stderr, now: time.Now}
	a.readEvent()
	out := cmd(a, ctx)
	return a.finish(out)
}

// finish writes out's summary and outputs and returns the exit status.
func (a *actionRun) finish(out actionOutcome) int {
	code := out.code
	summary := fmt.Sprintf("### golive %s: %s\n\n%s\n", a.command, out.title, strings.TrimRight(out.summary, "\n"))
	if err := a.appendTo("GITHUB_STEP_SUMMARY", summary); err != nil {
		fmt.Fprintf(a.stderr, "::warning::golive: could not write the step summary: %s\n", escapeCommand(err.Error()))
	}
	result, err := marshalResult(out.result)
	if err != nil {
		result = "{}"
	}
	var outputs strings.Builder
	for _, kv := range [][2]string{{"decision", out.decision}, {"reason", out.reason}, {"result", result}} {
		writeOutput(&outputs, kv[0], kv[1])
	}
	if err := a.appendTo("GITHUB_OUTPUT", outputs.String()); err != nil {
		fmt.Fprintf(a.stderr, "::error::golive: could not set the step's outputs: %s\n", escapeCommand(err.Error()))
		code = max(code, 1)
	}
	switch {
	case out.code != 0:
		fmt.Fprintf(a.stderr, "::error::%s\n", escapeCommand(out.reason))
	case out.warning:
		fmt.Fprintf(a.stderr, "::warning::%s\n", escapeCommand(out.reason))
	default:
		fmt.Fprintln(a.stderr, out.reason)
	}
	return code
}

// appendTo appends s to the file the variable name names (GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY), or writes it to stdout when the variable is unset,
// as when golive action runs outside Actions.
func (a *actionRun) appendTo(name, s string) error {
	path, _ := a.env.Lookup(name)
	if path == "" {
		_, err := io.WriteString(a.stdout, s)
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeOutput writes one output in GITHUB_OUTPUT's syntax: name=value, or
// for a value with line breaks the heredoc form with a delimiter that is
// not in the value.
func writeOutput(w io.Writer, name, value string) {
	if !strings.ContainsAny(value, "\r\n") {
		fmt.Fprintf(w, "%s=%s\n", name, value)
		return
	}
	delim := ""
	for delim == "" || strings.Contains(value, delim) {
		delim = "ghadelimiter_" + randomHex(16)
	}
	fmt.Fprintf(w, "%s<<%s\n%s\n%s\n", name, delim, value, delim)
}

// escapeCommand escapes a workflow command's message as GitHub's toolkit
// does, so a reason with line breaks stays one annotation.
func escapeCommand(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func marshalResult(v any) (string, error) {
	if v == nil {
		v = map[string]any{}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// --- inputs ---

// input returns input name: INPUT_<NAME> trimmed, or its default when unset
// or empty. Reading an input action.yml does not declare is a bug.
func (a *actionRun) input(name string) string {
	i := slices.IndexFunc(actionInputs, func(in actionInput) bool { return in.name == name })
	if i < 0 {
		panic("golive action: input " + name + " is not declared in actionInputs")
	}
	key := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
	if v, _ := a.env.Lookup(key); strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return actionInputs[i].def
}

// inputOrEvent is input name, or when that is empty the triggering
// workflow_dispatch event's input eventKey: golive dispatches deploys with
// inputs environment, sha and golive_issue, so a step in such a run needs
// not repeat them.
func (a *actionRun) inputOrEvent(name, eventKey string) string {
	if v := a.input(name); v != "" {
		return v
	}
	switch v := a.event[eventKey].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func (a *actionRun) problem(format string, args ...any) {
	a.problems = append(a.problems, fmt.Sprintf(format, args...))
}

func (a *actionRun) boolInput(name string) bool {
	// As GitHub's toolkit reads booleans (YAML 1.2 core schema).
	switch v := a.input(name); v {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	default:
		a.problem("input `%s` %q is not true or false", name, v)
		return false
	}
}

func (a *actionRun) intInput(name string, least int) int {
	v := a.input(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		a.problem("input `%s` %q is not a whole number of at least %d", name, v, least)
		return least
	}
	return n
}

// floatInput reads a number from lo to hi; def is used when the input is
// empty.
func (a *actionRun) floatInput(name string, def, lo, hi float64) float64 {
	v := a.input(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		a.problem("input `%s` %q is not a number from %v to %v", name, v, lo, hi)
		return def
	}
	return f
}

// msInput reads a duration in milliseconds (0 or more).
func (a *actionRun) msInput(name string) time.Duration {
	v := a.input(name)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 24*3600*1000 {
		a.problem("input `%s` %q is not a number of milliseconds", name, v)
		return 0
	}
	return time.Duration(f * float64(time.Millisecond))
}

func (a *actionRun) durationInput(name string, least time.Duration) time.Duration {
	v := a.input(name)
	d, err := time.ParseDuration(v)
	if err != nil || d < least {
		a.problem("input `%s` %q is not a duration of at least %s like 30s or 10m", name, v, least)
		return least
	}
	return d
}

// issueInput reads an issue number ("12" or "#12"), 0 when empty.
func (a *actionRun) issueInput() int {
	v := strings.TrimPrefix(a.inputOrEvent("issue", "golive_issue"), "#")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		a.problem("input `issue` %q is not an issue number", v)
		return 0
	}
	return n
}

// readEvent reads the inputs of the workflow_dispatch event that started
// the run, if it was one.
func (a *actionRun) readEvent() {
	path, _ := a.env.Lookup("GITHUB_EVENT_PATH")
	if path == "" {
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(a.stderr, "::warning::golive: could not read the event payload: %s\n", escapeCommand(err.Error()))
		return
	}
	var ev struct {
		Inputs map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		fmt.Fprintf(a.stderr, "::warning::golive: could not decode the event payload: %s\n", escapeCommand(err.Error()))
		return
	}
	a.event = ev.Inputs
}

// github checks that the run can reach GitHub (a token and the repository)
// and makes the client; problems are recorded as bad inputs.
func (a *actionRun) github() {
	repo, _ := a.env.Lookup("GITHUB_REPOSITORY")
	token := a.input("github_token")
	if token == "" {
		token, _ = a.env.Lookup("GITHUB_TOKEN")
	}
	switch {
	case repo == "":
		a.problem("GITHUB_REPOSITORY is not set: run golive action in GitHub Actions, or set it to owner/name")
		return
	case strings.TrimSpace(token) == "":
		a.problem("input `github_token` is empty: leave it to its default (${{ github.token }}) or pass a token")
		return
	}
	apiURL, _ := a.env.Lookup("GITHUB_API_URL")
	if apiURL == "" {
		apiURL = "https://api.github.com"
	}
	r, err := ghclient.NewTokenRepo(apiURL, token, repo, nil)
	if err != nil {
		a.problem("%s", err.Error())
		return
	}
	a.repo = r
}

// runURL is the web address of this workflow run, "" outside Actions.
func (a *actionRun) runURL() string {
	server, _ := a.env.Lookup("GITHUB_SERVER_URL")
	repo, _ := a.env.Lookup("GITHUB_REPOSITORY")
	id, _ := a.env.Lookup("GITHUB_RUN_ID")
	if repo == "" || id == "" {
		return ""
	}
	if server == "" {
		server = "https://github.com"
	}
	u := strings.TrimSuffix(server, "/") + "/" + repo + "/actions/runs/" + id
	if n, _ := a.env.Lookup("GITHUB_RUN_ATTEMPT"); n != "" && n != "1" {
		u += "/attempts/" + n
	}
	return u
}

// --- configuration and go-lives ---

type repoFetcher struct{ r *ghclient.Repo }

func (f repoFetcher) GetFile(ctx context.Context, owner, repo, path string) ([]byte, bool, error) {
	return f.r.File(ctx, owner, repo, path)
}

// config reads the repository's .github/golive.yml as the server does.
func (a *actionRun) config(ctx context.Context) (*repoconfig.Config, error) {
	owner, name, _ := strings.Cut(a.repo.FullName(), "/")
	cfg, _, err := repoconfig.Load(ctx, repoFetcher{a.repo}, owner, name)
	return cfg, err
}

// environment checks that env is one of cfg's environments.
func (a *actionRun) environment(cfg *repoconfig.Config, env string) (repoconfig.Environment, bool) {
	e, ok := cfg.Environment(env)
	if !ok {
		a.problem("environment %q is not one of .github/golive.yml's environments (%s)", env, strings.Join(cfg.EnvironmentNames(), ", "))
	}
	return e, ok
}

// goLive is a go-live issue and what its form plans.
type goLive struct {
	issue ghclient.Issue
	plan  issueform.Plan
}

// planOf reads the go-live form of an issue body. Times in the past are no
// problem here (a gate or a report runs while, or after, the go-live
// happens), so the form is checked as of the zero time.
func planOf(cfg *repoconfig.Config, body string) (issueform.Plan, []issueform.Problem) {
	return issueform.Parse(body).Plan(issueform.Defaults{Timezone: cfg.Timezone, Environments: cfg.EnvironmentNames()}, time.Time{})
}

// errNotThisEnvironment says a given issue plans another environment.
var errNotThisEnvironment = errors.New("not a go-live of this environment")

// findGoLive finds the go-live of env: issue number when given (which must
// plan env), else the open issues labelled with cfg's label whose form plans
// env, the earliest first. found is false when there is none.
func (a *actionRun) findGoLive(ctx context.Context, cfg *repoconfig.Config, env string, number int) (g goLive, others []goLive, found bool, err error) {
	if number > 0 {
		is, err := a.repo.Issue(ctx, number)
		if err != nil {
			return goLive{}, nil, false, err
		}
		plan, _ := planOf(cfg, is.Body)
		if plan.Environment != env {
			planned := plan.Environment
			if planned == "" {
				planned = "no environment golive can read"
			}
			return goLive{}, nil, false, fmt.Errorf("issue #%d plans %s, %w %q", number, planned, errNotThisEnvironment, env)
		}
		return goLive{issue: is, plan: plan}, nil, true, nil
	}
	issues, err := a.repo.OpenIssues(ctx, cfg.Label)
	if err != nil {
		return goLive{}, nil, false, err
	}
	var matches []goLive
	for _, is := range issues {
		plan, _ := planOf(cfg, is.Body)
		if plan.Environment == env {
			matches = append(matches, goLive{issue: is, plan: plan})
		}
	}
	if len(matches) == 0 {
		return goLive{}, nil, false, nil
	}
	// The earliest go-live, as the server picks it; one without a readable
	// time last.
	slices.SortStableFunc(matches, func(x, y goLive) int {
		switch {
		case x.plan.At.IsZero() != y.plan.At.IsZero():
			if x.plan.At.IsZero() {
				return 1
			}
			return -1
		default:
			return x.plan.At.Compare(y.plan.At)
		}
	})
	return matches[0], matches[1:], true, nil
}

func issueLink(is ghclient.Issue) string {
	if is.HTMLURL == "" {
		return fmt.Sprintf("#%d", is.Number)
	}
	title := strings.NewReplacer("[", `\[`, "]", `\]`).Replace(inline(is.Title))
	return fmt.Sprintf("[#%d %s](%s)", is.Number, title, is.HTMLURL)
}

// --- gate ---

// maxBlockersListed is how many open required items the gate lists.
const maxBlockersListed = 20

type blockerJSON struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Owner string `json:"owner,omitempty"`
	Phase string `json:"phase"`
}

func (a *actionRun) gate(ctx context.Context) actionOutcome {
	env := a.inputOrEvent("environment", "environment")
	number := a.issueInput()
	failNotReady := a.boolInput("fail_on_not_ready")
	if env == "" {
		a.problem("input `environment` is required: name the environment the deploy goes to")
	}
	a.github()
	if len(a.problems) > 0 {
		return badInputs(a.problems)
	}
	cfg, err := a.config(ctx)
	if err != nil {
		return failed("❌ could not read the configuration", err)
	}
	if a.environment(cfg, env); len(a.problems) > 0 {
		return badInputs(a.problems)
	}
	g, others, found, err := a.findGoLive(ctx, cfg, env, number)
	if errors.Is(err, ghclient.ErrIssueNotFound) || errors.Is(err, errNotThisEnvironment) {
		a.problem("input `issue`: %s", err.Error())
		return badInputs(a.problems)
	}
	if err != nil {
		return failed("❌ could not find the go-live", err)
	}
	if !found {
		// As golive's deployment protection rule: golive gates go-lives,
		// not every deployment.
		reason := fmt.Sprintf("no open go-live issue labelled %q plans %s, so golive does not hold this deploy", cfg.Label, env)
		return actionOutcome{decision: "ready", reason: reason, warning: true, title: "✅ no go-live to wait for",
			summary: fmt.Sprintf("| Environment | Go-live | Decision |\n|---|---|---|\n| %s | none open | ✅ ready |\n\n%s.\n", code(env), cellText(reason)),
			result:  map[string]any{"environment": env, "ready": true, "issue": 0}}
	}
	tmpl, err := tracking.TemplateFor(cfg)
	if err != nil {
		return failed("❌ the checklist template is invalid", err)
	}
	r := checklist.Evaluate(tmpl, g.plan.At, checklist.ParseTaskList(g.issue.Body))

	var b strings.Builder
	when := "no readable go-live time"
	if !g.plan.At.IsZero() {
		when = g.plan.At.Format("2006-01-02 15:04 MST")
	}
	fmt.Fprintf(&b, "Go-live %s · %s · %s · %d of %d items done", issueLink(g.issue), code(env), when, r.Done, r.Total)
	if g.issue.State == "closed" {
		b.WriteString(" · the issue is closed")
	}
	b.WriteString("\n\n| Phase | Due | Done | Open required |\n|---|---|---|---|\n")
	for _, p := range r.Phases {
		due := p.Offset.String()
		if !g.plan.At.IsZero() {
			due += " · " + p.Due.Format("2006-01-02 15:04 MST")
		}
		mark := "✅"
		if len(p.RequiredOpen) > 0 {
			mark = fmt.Sprintf("❌ %d", len(p.RequiredOpen))
		}
		fmt.Fprintf(&b, "| %s | %s | %d/%d | %s |\n", cellText(p.Name), due, p.Done, p.Total, mark)
	}
	blockers := make([]blockerJSON, 0, min(len(r.Blocking), maxBlockersListed))
	if !r.Ready {
		b.WriteString("\n**Blocking** (required items still open):\n\n| Phase | Item | Owner |\n|---|---|---|\n")
		for i, t := range r.Blocking {
			if i == maxBlockersListed {
				break
			}
			blockers = append(blockers, blockerJSON{ID: t.ID, Text: t.Text, Owner: t.Owner, Phase: t.Phase})
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cellText(t.Phase), cellText(t.Text), cellText(t.Owner))
		}
		if n := len(r.Blocking) - maxBlockersListed; n > 0 {
			fmt.Fprintf(&b, "\n_and %d more_\n", n)
		}
	}
	if len(others) > 0 {
		nums := make([]string, len(others))
		for i, o := range others {
			nums[i] = fmt.Sprintf("#%d", o.issue.Number)
		}
		fmt.Fprintf(&b, "\nOther open go-lives of %s, checked after this one: %s.\n", code(env), strings.Join(nums, ", "))
	}
	result := map[string]any{"environment": env, "issue": g.issue.Number, "issue_url": g.issue.HTMLURL, "ready": r.Ready,
		"done": r.Done, "total": r.Total, "blocking": len(r.Blocking), "blockers": blockers}
	if r.Ready {
		return actionOutcome{decision: "ready", title: "✅ " + checklist.DecisionReady, summary: b.String(), result: result,
			reason: fmt.Sprintf("go-live #%d of %s is ready: every required checklist item is done (%d of %d items)", g.issue.Number, env, r.Done, r.Total)}
	}
	reason := fmt.Sprintf("go-live #%d of %s is not ready: %s open (first: %s)", g.issue.Number, env,
		plural(len(r.Blocking), "required checklist item"), r.Blocking[0].Text)
	out := actionOutcome{code: 1, decision: "not_ready", reason: reason, title: "❌ " + checklist.DecisionNotReady, summary: b.String(), result: result}
	if !failNotReady {
		out.code, out.warning = 0, true
	}
	return out
}

// --- smoke ---

// smokeCheck is one entry of the checks input.
type smokeCheck struct {
	Name         string   `json:"name"`
	URL          string   `json:"url"`
	Method       string   `json:"method"`
	ExpectStatus int      `json:"expect_status"`
	MaxLatencyMS *float64 `json:"max_latency_ms"`
}

func (a *actionRun) smoke(ctx context.Context) actionOutcome {
	base := strings.TrimRight(a.input("base_url"), "/")
	checksJSON := a.input("checks")
	withLoad := a.boolInput("load")
	number := a.issueInput()
	if base == "" && checksJSON == "" {
		a.problem("input `base_url` is required unless `checks` lists the checks")
	}
	if base != "" {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			a.problem("input `base_url` is not an http or https URL")
		}
	}
	checks, load := smoke.SeedDefaults(base)
	if checksJSON != "" {
		checks = a.parseChecks(checksJSON, base)
	}
	if withLoad {
		if base == "" {
			a.problem("the load test runs against `base_url`/health: set `base_url`, or `load: false`")
		}
		load.Concurrency = a.intInput("concurrency", 1)
		load.Duration = a.durationInput("duration", time.Second/10)
		load.Rate = a.floatInput("rate", 100, 0, 1e6)
		// The seed asks for the throughput it paces to.
		load.MinThroughput = load.Rate
		load.P50, load.P95, load.P99 = a.msInput("p50_ms"), a.msInput("p95_ms"), a.msInput("p99_ms")
		load.MaxErrorRate = a.floatInput("max_error_rate", load.MaxErrorRate, 0, 1)
	} else {
		load = nil
	}
	if number > 0 {
		a.github()
	}
	if len(a.problems) > 0 {
		return badInputs(a.problems)
	}
	res, err := smoke.Run(ctx, nil, checks, load, nil)
	if err != nil {
		if ctx.Err() != nil {
			return failed("❌ interrupted", err)
		}
		return badInputs([]string{err.Error()})
	}
	rows := make([]map[string]any, len(res.Rows))
	var fails []string
	for i, r := range res.Rows {
		rows[i] = map[string]any{"check": r.Check, "expected": r.Expected, "actual": r.Actual, "pass": r.Pass}
		if !r.Pass {
			fails = append(fails, fmt.Sprintf("%s: expected %s, got %s", r.Check, r.Expected, r.Actual))
		}
	}
	result := map[string]any{"pass": res.Pass, "rows": rows}
	if s := res.LoadStats; s != nil {
		result["load"] = map[string]any{"requests": s.Requests, "errors": s.Errors, "error_rate": s.ErrorRate,
			"p50_ms": ms(s.P50), "p95_ms": ms(s.P95), "p99_ms": ms(s.P99), "throughput": s.Throughput}
	}
	out := actionOutcome{decision: "pass", title: "✅ smoke checks passed", summary: res.Markdown(), result: result,
		reason: fmt.Sprintf("all %s passed", plural(len(res.Rows), "smoke check"))}
	if !res.Pass {
		out.code, out.decision, out.title = 1, "fail", "❌ smoke checks failed"
		shown := fails[:min(len(fails), 3)]
		out.reason = fmt.Sprintf("%d of %d smoke checks failed: %s", len(fails), len(res.Rows), strings.Join(shown, "; "))
		if len(fails) > len(shown) {
			out.reason += fmt.Sprintf("; and %d more", len(fails)-len(shown))
		}
	}
	if number > 0 {
		body := "<!-- golive:action-smoke -->\n### " + out.title + "\n\n" + res.Markdown() + a.runFooter()
		id, err := a.repo.CreateComment(ctx, number, body)
		if err != nil {
			return a.commentFailed(out, err)
		}
		result["comment_id"] = id
	}
	return out
}

// parseChecks reads the checks input; a url starting with "/" is relative
// to base.
func (a *actionRun) parseChecks(s, base string) []smoke.Check {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var in []smokeCheck
	if err := dec.Decode(&in); err != nil {
		a.problem("input `checks` is not a JSON list of {name, url, method, expect_status, max_latency_ms}: %s", err.Error())
		return nil
	}
	if len(in) == 0 {
		a.problem("input `checks` lists no checks")
	}
	out := make([]smoke.Check, 0, len(in))
	for i, c := range in {
		target := c.URL
		if strings.HasPrefix(target, "/") {
			if base == "" {
				a.problem("input `checks` entry %d: url %q is relative: set `base_url`", i+1, target)
				continue
			}
			target = base + target
		}
		sc := smoke.Check{Name: c.Name, URL: target, Method: c.Method, ExpectStatus: c.ExpectStatus}
		if c.MaxLatencyMS != nil {
			if *c.MaxLatencyMS < 0 {
				a.problem("input `checks` entry %d: max_latency_ms is negative", i+1)
			}
			sc.MaxLatency = time.Duration(*c.MaxLatencyMS * float64(time.Millisecond))
		}
		out = append(out, sc)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// runFooter links the run that posted a comment.
func (a *actionRun) runFooter() string {
	if u := a.runURL(); u != "" {
		return fmt.Sprintf("\n_Posted by golive's GitHub Action from [this run](%s)._\n", u)
	}
	return "\n_Posted by golive's GitHub Action._\n"
}

// commentFailed turns out into an error because its comment could not be
// posted; the summary keeps what was found.
func (a *actionRun) commentFailed(out actionOutcome, err error) actionOutcome {
	out.code = 1
	out.reason = fmt.Sprintf("%s; and the comment could not be posted: %s", out.reason, err.Error())
	out.summary += "\n❌ The comment could not be posted: " + inline(err.Error()) + "\n"
	if out.decision == "pass" || out.decision == "healthy" || out.decision == "reported" {
		out.decision = decisionError
	}
	return out
}

// --- watch ---

func (a *actionRun) watch(ctx context.Context) actionOutcome {
	window := a.durationInput("window", 0)
	interval := a.durationInput("interval", time.Millisecond)
	promURL, errQ, latQ := a.input("prometheus_url"), a.input("error_rate_query"), a.input("latency_query")
	urls := splitList(a.input("urls"))
	trig := watch.Triggers{
		MaxErrorRate: a.floatInput("max_error_rate", watch.SeedTriggers().MaxErrorRate, 0, 1),
		MaxLatency:   a.msInput("max_latency_ms"),
		Consecutive:  a.intInput("consecutive", 1),
	}
	workflow := a.input("rollback_workflow")
	env := a.inputOrEvent("environment", "environment")
	ref, sha := a.input("rollback_ref"), a.input("rollback_sha")
	number := a.issueInput()
	server := a.serverURL()

	var src watch.Source
	switch {
	case promURL != "" && len(urls) > 0:
		a.problem("give either `prometheus_url` (with its queries) or `urls`, not both")
	case promURL != "":
		if errQ == "" || latQ == "" {
			a.problem("`prometheus_url` needs both `error_rate_query` and `latency_query`")
		}
		src = watch.Prometheus{BaseURL: promURL, ErrorRateQuery: errQ, LatencyQuery: latQ}
	case len(urls) > 0:
		for i, u := range urls {
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				a.problem("input `urls` entry %d is not an http or https URL", i+1)
			}
		}
		// Five requests per URL give the P95 a few answers to choose from.
		src = watch.Endpoints{URLs: urls, Requests: 5}
	default:
		a.problem("give `prometheus_url` with `error_rate_query` and `latency_query`, or `urls` to request")
	}
	if workflow != "" && env == "" {
		a.problem("input `environment` is required with `rollback_workflow`: the rollback workflow is told which environment to roll back")
	}
	if workflow != "" || number > 0 {
		a.github()
	}
	if len(a.problems) > 0 {
		return badInputs(a.problems)
	}

	o, err := watch.Watch(ctx, src, trig, window, interval, nil, nil)
	samples := make([]map[string]any, len(o.Samples))
	for i, s := range o.Samples {
		samples[i] = map[string]any{"error_rate": s.ErrorRate, "latency_ms": ms(s.Latency)}
	}
	result := map[string]any{"tripped": o.Tripped, "reason": o.Reason, "samples": samples, "failures": o.Failures}
	if err != nil && len(o.Samples) == 0 && o.Failures == 0 && ctx.Err() == nil {
		// Refused before sampling: the triggers or timings are unusable.
		return badInputs([]string{err.Error()})
	}
	if err != nil {
		out := failed("⚠️ the watch failed", err)
		out.summary = o.Markdown + "\n" + out.summary
		result["error"] = err.Error()
		out.result = result
		return out
	}
	if !o.Tripped {
		return actionOutcome{decision: "healthy", title: "✅ healthy", summary: o.Markdown, result: result,
			reason: fmt.Sprintf("no rollback trigger tripped in %s over %s", plural(len(o.Samples), "sample"), window)}
	}

	out := actionOutcome{code: 1, decision: "tripped", title: "❌ rollback trigger tripped", result: result,
		reason: "rollback trigger tripped: " + o.Reason}
	var b strings.Builder
	b.WriteString(o.Markdown)
	if workflow != "" {
		rb, err := a.rollback(ctx, workflow, env, ref, sha)
		result["rollback"] = rb
		if err != nil {
			out.reason += "; the rollback could not be dispatched: " + err.Error()
			fmt.Fprintf(&b, "\n❌ The rollback workflow %s could not be dispatched: %s\n", code(workflow), inline(err.Error()))
		} else {
			out.reason += fmt.Sprintf("; dispatched %s to roll back %s", workflow, env)
			fmt.Fprintf(&b, "\n| Rollback | Environment | Ref | SHA | Correlation ID |\n|---|---|---|---|---|\n| %s dispatched | %s | %s | %s | %s |\n",
				code(workflow), code(env), code(rb["ref"]), codeOrDash(rb["sha"]), code(rb["correlation_id"]))
		}
	} else {
		b.WriteString("\nNo `rollback_workflow` is set, so nothing was rolled back.\n")
	}
	out.summary = b.String()
	if number > 0 {
		body := "<!-- golive:action-watch -->\n### 🚨 Rollback trigger tripped\n\n" + b.String() + a.runFooter()
		id, err := a.repo.CreateComment(ctx, number, body)
		if err != nil {
			return a.commentFailed(out, err)
		}
		result["comment_id"] = id
	}
	if server != "" && (number > 0 || env != "") {
		ev := handlers.ActionEventRequest{Kind: "watch", Issue: number, Environment: env, SHA: a.deployedSHA(), Reason: o.Reason}
		if rb, _ := result["rollback"].(map[string]string); rb["dispatched"] == "true" {
			ev.Rollback = workflow
		}
		status, err := a.notifyServer(ctx, server, ev)
		if err != nil {
			result["server"], result["server_error"] = "failed", err.Error()
			out.reason += "; the golive server was not told: " + err.Error()
			fmt.Fprintf(&b, "\n⚠️ The golive server (and so the Slack thread) was not told: %s\n", inline(err.Error()))
			out.summary = b.String()
		} else {
			result["server"] = status
		}
	}
	return out
}

// deployedSHA is the commit the run deploys: the dispatch's `sha` input,
// else the run's GITHUB_SHA.
func (a *actionRun) deployedSHA() string {
	if s := a.inputOrEvent("sha", "sha"); s != "" {
		return s
	}
	s, _ := a.env.Lookup("GITHUB_SHA")
	return s
}

// rollback dispatches workflow once to roll env back.
func (a *actionRun) rollback(ctx context.Context, workflow, env, ref, sha string) (map[string]string, error) {
	rb := map[string]string{"workflow": workflow, "environment": env, "ref": ref, "sha": sha, "correlation_id": a.correlationID(env)}
	if ref == "" {
		branch, err := a.repo.DefaultBranch(ctx)
		if err != nil {
			return rb, err
		}
		ref = branch
		rb["ref"] = ref
	}
	inputs := map[string]string{"environment": env, "ref": ref, "sha": sha, "requested_by": "golive-action", "correlation_id": rb["correlation_id"]}
	if err := a.repo.DispatchWorkflow(ctx, workflow, ref, inputs); err != nil {
		return rb, err
	}
	rb["dispatched"] = "true"
	return rb, nil
}

// correlationID names this run's rollback: the same for a re-run of the
// same attempt's step, as golive's server names its dispatches.
func (a *actionRun) correlationID(env string) string {
	repo, _ := a.env.Lookup("GITHUB_REPOSITORY")
	id, _ := a.env.Lookup("GITHUB_RUN_ID")
	attempt, _ := a.env.Lookup("GITHUB_RUN_ATTEMPT")
	job, _ := a.env.Lookup("GITHUB_JOB")
	seed := "action\x00" + repo + "\x00" + id + "\x00" + attempt + "\x00" + job + "\x00" + env
	if id == "" {
		seed += "\x00" + randomHex(16)
	}
	sum := sha256.Sum256([]byte(seed))
	return "gl-" + hex.EncodeToString(sum[:6])
}

// splitList splits a comma- or newline-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// --- preflight ---

func (a *actionRun) preflight(ctx context.Context) actionOutcome {
	env := a.inputOrEvent("environment", "environment")
	if env == "" {
		a.problem("input `environment` is required")
	}
	a.github()
	if len(a.problems) > 0 {
		return badInputs(a.problems)
	}
	cfg, err := a.config(ctx)
	if err != nil {
		return failed("❌ could not read the configuration", err)
	}
	e, _ := a.environment(cfg, env)
	if len(a.problems) > 0 {
		return badInputs(a.problems)
	}
	required := e.RequiredVariables
	if len(required) == 0 {
		return actionOutcome{decision: "ok", title: "✅ nothing required",
			reason:  fmt.Sprintf("%s requires no variables (environments.%s.required_variables is empty)", env, env),
			summary: fmt.Sprintf("| Environment | Required variables |\n|---|---|\n| %s | none |\n", code(env)),
			result:  map[string]any{"environment": env, "required": []string{}, "missing": []string{}}}
	}

	type place struct {
		what  string
		names []string
	}
	var places []place
	envOnGitHub := true
	for _, l := range []struct {
		what string
		list func(context.Context) ([]string, error)
	}{
		{"environment variable", func(ctx context.Context) ([]string, error) { return a.repo.EnvironmentVariableNames(ctx, env) }},
		{"environment secret", func(ctx context.Context) ([]string, error) { return a.repo.EnvironmentSecretNames(ctx, env) }},
		{"repository variable", a.repo.VariableNames},
		{"repository secret", a.repo.SecretNames},
	} {
		names, err := l.list(ctx)
		switch {
		case errors.Is(err, ghclient.ErrEnvironmentNotFound):
			envOnGitHub = false
		case errors.Is(err, ghclient.ErrForbidden):
			return failed("❌ could not list variables and secrets", fmt.Errorf("%w (the token may not list %ss: pass a github_token that can read the repository's variables, secrets and environments, such as a GitHub App installation token)", err, l.what))
		case err != nil:
			return failed("❌ could not list variables and secrets", err)
		}
		places = append(places, place{l.what, names})
	}

	var b strings.Builder
	if !envOnGitHub {
		fmt.Fprintf(&b, "⚠️ The repository has no GitHub environment %s: only repository-level variables and secrets count.\n\n", code(env))
	}
	b.WriteString("| Variable | Found as | Status |\n|---|---|---|\n")
	var missing []string
	found := map[string][]string{}
	for _, name := range required {
		where := []string{}
		for _, p := range places {
			if slices.ContainsFunc(p.names, func(n string) bool { return strings.EqualFold(n, name) }) {
				where = append(where, p.what)
			}
		}
		found[name] = where
		if len(where) == 0 {
			missing = append(missing, name)
			fmt.Fprintf(&b, "| %s | – | ❌ missing |\n", code(name))
		} else {
			fmt.Fprintf(&b, "| %s | %s | ✅ |\n", code(name), strings.Join(where, ", "))
		}
	}
	b.WriteString("\nOrganization-level variables and secrets are not checked.\n")
	result := map[string]any{"environment": env, "environment_exists": envOnGitHub, "required": required, "missing": missing, "found": found}
	if len(missing) > 0 {
		return actionOutcome{code: 1, decision: "missing", title: "❌ missing variables", summary: b.String(), result: result,
			reason: fmt.Sprintf("%s is missing %s required by .github/golive.yml: %s", env, plural(len(missing), "variable"), strings.Join(missing, ", "))}
	}
	return actionOutcome{decision: "ok", title: "✅ every required variable is set", summary: b.String(), result: result,
		reason: fmt.Sprintf("all %s %s requires are set", plural(len(required), "variable"), env)}
}

// --- report ---

var shaRE = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)

func (a *actionRun) report(ctx context.Context) actionOutcome {
	env := a.inputOrEvent("environment", "environment")
	number := a.issueInput()
	outcome := strings.ToLower(a.input("outcome"))
	sha := a.deployedSHA()
	runURL := a.input("run_url")
	if runURL == "" {
		runURL = a.runURL()
	}
	var started time.Time
	if s := a.input("started_at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			a.problem("input `started_at` %q is not an RFC 3339 time like 2026-12-01T14:00:00Z", s)
		}
		started = t
	}
	switch outcome {
	case "success", "failure", "cancelled":
	case "":
		a.problem("input `outcome` is required: success or failure (like ${{ job.status }})")
	default:
		a.problem("input `outcome` %q is not success, failure or cancelled", outcome)
	}
	if sha != "" && !shaRE.MatchString(sha) {
		a.problem("input `sha` %q is not a commit SHA", sha)
	}
	if runURL != "" {
		if u, err := url.Parse(runURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			a.problem("input `run_url` is not an http or https URL")
		}
	}
	if number == 0 && env == "" {
		a.problem("give `issue`, or `environment` to report on its open go-live")
	}
	server := a.serverURL()
	a.github()
	if len(a.problems) > 0 {
		return badInputs(a.problems)
	}
	// Without a server the step ticks the environment's tick_on_success
	// items itself, so it needs the configuration for a success too.
	var cfg *repoconfig.Config
	if number == 0 || (server == "" && outcome == "success" && env != "") {
		var err error
		if cfg, err = a.config(ctx); err != nil {
			return failed("❌ could not read the configuration", err)
		}
		if a.environment(cfg, env); len(a.problems) > 0 {
			return badInputs(a.problems)
		}
	}
	if number == 0 {
		g, _, found, err := a.findGoLive(ctx, cfg, env, 0)
		if err != nil {
			return failed("❌ could not find the go-live", err)
		}
		if !found {
			return failed("❌ no go-live to report on", fmt.Errorf("no open go-live issue labelled %q plans %s", cfg.Label, env))
		}
		number = g.issue.Number
	}

	mark := map[string]string{"success": "✅", "failure": "❌", "cancelled": "⚪"}[outcome]
	verb := map[string]string{"success": "succeeded", "failure": "failed", "cancelled": "was cancelled"}[outcome]
	duration, seconds := "–", any(nil)
	if !started.IsZero() {
		if d := a.now().Sub(started); d >= 0 {
			duration, seconds = smoke.FormatDuration(d.Round(time.Second)), math.Round(d.Seconds())
		}
	}
	run := "–"
	if runURL != "" {
		run = fmt.Sprintf("[workflow run](%s)", runURL)
	}
	envCell := "–"
	if env != "" {
		envCell = code(env)
	}
	table := fmt.Sprintf("| Environment | Commit | Run | Duration | Outcome |\n|---|---|---|---|---|\n| %s | %s | %s | %s | %s %s |\n",
		envCell, codeOrDash(sha), run, duration, mark, outcome)
	title := fmt.Sprintf("%s Deploy %s", mark, verb)
	if env != "" {
		title = fmt.Sprintf("%s Deploy to %s %s", mark, code(env), verb)
	}
	body := "<!-- golive:action-report -->\n### " + title + "\n\n" + table + a.runFooter()
	result := map[string]any{"issue": number, "environment": env, "outcome": outcome, "sha": sha, "run_url": runURL, "duration_seconds": seconds}
	out := actionOutcome{decision: "reported", title: fmt.Sprintf("reported on #%d", number), summary: table, result: result,
		reason: fmt.Sprintf("reported the deploy's %s on go-live #%d", outcome, number)}
	id, err := a.repo.CreateComment(ctx, number, body)
	if err != nil {
		return a.commentFailed(out, err)
	}
	result["comment_id"] = id

	// Through the server the Slack thread hears of the deploy and the
	// server ticks the items; otherwise the step ticks them on the issue.
	if server != "" {
		ev := handlers.ActionEventRequest{Kind: "report", Issue: number, Environment: env, SHA: sha, Outcome: outcome}
		if s, ok := seconds.(float64); ok {
			n := int64(s)
			ev.DurationSeconds = &n
		}
		status, err := a.notifyServer(ctx, server, ev)
		if err == nil {
			result["server"] = status
			out.reason += "; the golive server has it"
			return out
		}
		result["server"], result["server_error"] = "failed", err.Error()
		out.warning = true
		out.reason += "; the golive server did not take it (" + err.Error() + "), so the step ticks the items itself"
		out.summary += "\n⚠️ The golive server did not take the report: " + inline(err.Error()) + "\n"
		if cfg == nil && outcome == "success" && env != "" {
			if cfg, err = a.config(ctx); err != nil {
				return failed("❌ could not read the configuration", err)
			}
		}
	}
	if outcome != "success" || cfg == nil {
		return out
	}
	e, _ := cfg.Environment(env)
	ticked, err := a.tickOnIssue(ctx, number, e.TickOnSuccess)
	if err != nil {
		out.code, out.decision, out.title = 1, decisionError, "❌ reported, but the items are not ticked"
		out.reason = err.Error()
		result["error"] = err.Error()
		return out
	}
	result["ticked"] = ticked
	if len(ticked) > 0 {
		out.summary += "\nTicked on the go-live: " + codeList(ticked) + "\n"
	}
	return out
}

// codeList writes names as inline code, comma-separated.
func codeList(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = code(n)
	}
	return strings.Join(parts, ", ")
}

// --- Markdown ---

// code writes s as inline code.
func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

func codeOrDash(s string) string {
	if s == "" {
		return "–"
	}
	return code(s)
}

// cellText makes s safe in a Markdown table cell.
func cellText(s string) string {
	s = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return "–"
	}
	return s
}

// inline makes s one line of Markdown text.
func inline(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
