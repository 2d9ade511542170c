package main

// Tests of golive action, run in the test process through run() exactly as
// an Actions runner starts the action's container: inputs as INPUT_<NAME>,
// the run's context as GITHUB_*, outputs and the step summary appended to
// the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name. GitHub is the fake
// GitHub (which holds every call to GitHub's OpenAPI description); the
// services checked are local test servers.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/sethvargo/go-envconfig"
	"gopkg.in/yaml.v3"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/tracking"
)

const (
	actionRepo    = "acme/shop"
	actionInstall = 4711
	actionRunID   = "4242"
)

// actionConfig is acme/shop's .github/golive.yml (built-in checklist).
const actionConfig = `version: 1
environments:
  staging:
    workflow: deploy.yml
  production:
    production: true
    workflow: deploy.yml
    rollback_workflow: rollback.yml
    required_variables: [DEPLOY_URL, DB_PASSWORD, REGION, SENTRY_DSN]
`

// smallTemplate replaces the built-in checklist with one required item and
// one optional one.
const smallTemplate = `template:
  extend: false
  phases:
    - id: final
      name: Final sign-off
      offset: T-1h
      items:
        - id: go
          text: Go decision made
          owner: "@alice"
        - id: notes
          text: Release notes drafted
          required: false
`

// goLiveAt is when the test go-lives happen.
var goLiveAt = time.Date(2031, 3, 4, 14, 0, 0, 0, mustLoad("Europe/Berlin"))

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// actionWorld is the fake GitHub with acme/shop installed, and a token of
// the installation as the workflow's GITHUB_TOKEN.
type actionWorld struct {
	gh    *fakegithub.Server
	token string
}

func newActionWorld(t *testing.T, config string) *actionWorld {
	t.Helper()
	w := &actionWorld{gh: fakegithub.New(fakegithub.Options{T: t})}
	w.gh.AddRepo(actionRepo, fakegithub.RepoOpts{})
	w.gh.AddInstallation(actionInstall, "acme", "Organization", actionRepo)
	w.gh.AddCommit(actionRepo, "main", fakegithub.Commit{Message: "Initial commit", Author: "alice"})
	if config != "" {
		w.gh.PutFile(actionRepo, repoconfig.Path, config)
	}
	w.token = w.gh.InstallationToken(actionInstall)
	t.Cleanup(func() {
		if v := w.gh.Violations(); len(v) != 0 {
			t.Errorf("requests outside GitHub's OpenAPI description: %+v", v)
		}
		if errs := w.gh.CheckResponses(); len(errs) != 0 {
			t.Errorf("the fake answered off-spec: %v", errs)
		}
	})
	return w
}

// actionRun is what one `golive action` run left behind.
type actionResult struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
}

// result decodes the result output.
func (r actionResult) result(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.outputs["result"]), &v); err != nil {
		t.Fatalf("result output %q is not JSON: %v", r.outputs["result"], err)
	}
	return v
}

// runAction runs `golive action command` with the runner's variables for
// acme/shop, the step's inputs and extra variables (which override).
func (w *actionWorld) runAction(t *testing.T, command string, inputs map[string]string, extra ...string) actionResult {
	t.Helper()
	dir := t.TempDir()
	outPath, sumPath := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	// The runner creates both files empty before the step.
	for _, p := range []string{outPath, sumPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_REPOSITORY":   actionRepo,
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_RUN_ID":       actionRunID,
		"GITHUB_RUN_ATTEMPT":  "1",
		"GITHUB_JOB":          "deploy",
		"GITHUB_SHA":          strings.Repeat("ab", 20),
		"GITHUB_REF_NAME":     "main",
		"GITHUB_OUTPUT":       outPath,
		"GITHUB_STEP_SUMMARY": sumPath,
	}
	token := ""
	if w != nil {
		vars["GITHUB_API_URL"] = strings.TrimSuffix(w.gh.URL, "/")
		token = w.token
	}
	// As GitHub passes a docker action's inputs: upper-cased, with
	// action.yml's defaults for those the step leaves out.
	for name, in := range loadActionYAML(t).Inputs {
		def := strings.ReplaceAll(in.Default, "${{ github.token }}", token)
		vars["INPUT_"+strings.ToUpper(name)] = def
	}
	vars["INPUT_COMMAND"] = command
	for k, v := range inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"action", command}, envconfig.MapLookuper(vars), &stdout, &stderr)
	out, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(sumPath)
	if err != nil {
		t.Fatal(err)
	}
	r := actionResult{code: code, stdout: stdout.String(), stderr: stderr.String(), outputs: parseOutputs(t, string(out)), summary: string(sum)}
	for _, name := range []string{"decision", "reason", "result"} {
		if _, ok := r.outputs[name]; !ok {
			t.Errorf("output %s not set; GITHUB_OUTPUT:\n%s", name, out)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout %q: with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY set, nothing goes to stdout", r.stdout)
	}
	if !strings.HasPrefix(r.summary, "### golive "+command+": ") {
		t.Errorf("summary does not start with its heading:\n%s", r.summary)
	}
	return r
}

// parseOutputs reads a GITHUB_OUTPUT file as the runner does: name=value
// lines, and name<<DELIMITER … DELIMITER blocks.
func parseOutputs(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		eq, hd := strings.Index(l, "="), strings.Index(l, "<<")
		if eq >= 0 && (hd < 0 || eq < hd) {
			out[l[:eq]] = l[eq+1:]
			continue
		}
		if hd < 0 {
			t.Fatalf("GITHUB_OUTPUT line %q is neither name=value nor name<<DELIMITER", l)
		}
		name, delim := l[:hd], l[hd+2:]
		var value []string
		for i++; ; i++ {
			if i >= len(lines) {
				t.Fatalf("GITHUB_OUTPUT: no closing %q for %s", delim, name)
			}
			if lines[i] == delim {
				break
			}
			value = append(value, lines[i])
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

// goLiveBody is a go-live issue body: the form planning env at goLiveAt and
// the checklist golive renders for config, with the checked items ticked.
func goLiveBody(t *testing.T, config, env string, checked map[string]bool) string {
	t.Helper()
	cfg, err := repoconfig.Decode([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := tracking.TemplateFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	form := "### Go-live time\n\n" + goLiveAt.Format("2006-01-02 15:04") + "\n\n### Timezone\n\nEurope/Berlin\n\n" +
		"### Environment\n\n" + env + "\n\n### Release\n\nv2.0.0\n"
	body, err := checklist.ApplyToBody(form, checklist.Render(tmpl, goLiveAt, checked))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func wantCode(t *testing.T, r actionResult, code int, decision string) {
	t.Helper()
	if r.code != code || r.outputs["decision"] != decision {
		t.Fatalf("exit %d, decision %q; want exit %d, decision %q\nreason: %s\nstderr: %s\nsummary:\n%s",
			r.code, r.outputs["decision"], code, decision, r.outputs["reason"], r.stderr, r.summary)
	}
	if code != 0 && !strings.Contains(r.stderr, "::error::") {
		t.Errorf("exit %d without an ::error:: annotation; stderr %q", code, r.stderr)
	}
}

func TestActionGateListsBlockersOfTheEnvironmentsGoLive(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	// A staging go-live with everything open, a closed production one, and
	// the production one the gate must find, with the first item ticked.
	tmpl := checklist.Default()
	first := tmpl.Phases[0].Items[0]
	w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Staging go-live", Labels: []string{"golive"}, Body: goLiveBody(t, actionConfig, "staging", nil)})
	w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Old go-live", Labels: []string{"golive"}, State: "closed",
		Body: goLiveBody(t, actionConfig, "production", allTicked(tmpl))})
	prod := w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live v2.0", Labels: []string{"golive"},
		Body: goLiveBody(t, actionConfig, "production", map[string]bool{first.ID: true})})

	r := w.runAction(t, "gate", map[string]string{"environment": "production"})
	wantCode(t, r, 1, "not_ready")

	var required []checklist.Item
	for _, it := range tmpl.Items() {
		if it.Required && it.ID != first.ID {
			required = append(required, it)
		}
	}
	if len(required) <= maxBlockersListed {
		t.Fatalf("the built-in checklist has %d open required items; the test needs more than %d", len(required), maxBlockersListed)
	}
	res := r.result(t)
	if res["issue"] != float64(prod.Number) || res["ready"] != false || res["blocking"] != float64(len(required)) {
		t.Errorf("result: issue %v ready %v blocking %v; want #%d, false, %d", res["issue"], res["ready"], res["blocking"], prod.Number, len(required))
	}
	if bs, _ := res["blockers"].([]any); len(bs) != maxBlockersListed {
		t.Errorf("result lists %d blockers, want the first %d", len(bs), maxBlockersListed)
	}
	// The summary: the go-live, the blockers table with the first 20 open
	// required items, and how many more there are.
	for _, want := range []string{
		"### golive gate: ❌ NOT READY",
		fmt.Sprintf("[#%d Go-live v2.0](", prod.Number),
		"`production` · 2031-03-04 14:00 CET",
		"| Phase | Item | Owner |",
		fmt.Sprintf("_and %d more_", len(required)-maxBlockersListed),
	} {
		if !strings.Contains(r.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.summary)
		}
	}
	for i, it := range required {
		listed := strings.Contains(r.summary, "| "+cellText(it.Text)+" |")
		if listed != (i < maxBlockersListed) {
			t.Errorf("blocker %d %q listed: %v", i+1, it.Text, listed)
		}
	}
	if strings.Contains(r.summary, "| "+cellText(first.Text)+" |") {
		t.Errorf("the ticked item %q is listed as blocking", first.Text)
	}
	if !strings.Contains(r.outputs["reason"], fmt.Sprintf("go-live #%d of production is not ready: %d required checklist items open", prod.Number, len(required))) {
		t.Errorf("reason %q", r.outputs["reason"])
	}

	// fail_on_not_ready: false only sets the decision.
	r = w.runAction(t, "gate", map[string]string{"environment": "production", "fail_on_not_ready": "false"})
	wantCode(t, r, 0, "not_ready")
	if !strings.Contains(r.stderr, "::warning::") {
		t.Errorf("a not-ready go-live passed without a warning: %q", r.stderr)
	}
	// The staging go-live, by number.
	r = w.runAction(t, "gate", map[string]string{"environment": "staging", "issue": "#1"})
	wantCode(t, r, 1, "not_ready")
	if r.result(t)["issue"] != float64(1) {
		t.Errorf("gate on issue #1: %v", r.outputs["result"])
	}
}

func allTicked(tmpl checklist.Template) map[string]bool {
	m := map[string]bool{}
	for _, it := range tmpl.Items() {
		m[it.ID] = true
	}
	return m
}

func TestActionGateReadyWhenEveryRequiredItemIsTicked(t *testing.T) {
	config := actionConfig + smallTemplate
	w := newActionWorld(t, config)
	is := w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, config, "production", nil)})

	r := w.runAction(t, "gate", map[string]string{"environment": "production"})
	wantCode(t, r, 1, "not_ready")
	if !strings.Contains(r.summary, "| Final sign-off | Go decision made | @alice |") || strings.Contains(r.summary, "Release notes drafted |") {
		t.Errorf("blockers: want the required item only:\n%s", r.summary)
	}

	// Someone ticks the required box; the optional one stays open.
	is.Body = goLiveBody(t, config, "production", map[string]bool{"go": true})
	w.gh.AddIssue(actionRepo, is)
	r = w.runAction(t, "gate", map[string]string{"environment": "production"})
	wantCode(t, r, 0, "ready")
	res := r.result(t)
	if res["ready"] != true || res["blocking"] != float64(0) || res["done"] != float64(1) || res["total"] != float64(2) {
		t.Errorf("result %v", r.outputs["result"])
	}
	if !strings.Contains(r.summary, "### golive gate: ✅ READY FOR PRODUCTION") || !strings.Contains(r.summary, "| Final sign-off | T-1h · 2031-03-04 13:00 CET | 1/2 | ✅ |") {
		t.Errorf("summary:\n%s", r.summary)
	}
	if strings.Contains(r.stderr, "::error::") || strings.Contains(r.stderr, "::warning::") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestActionGateRefusesBadInputs(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, actionConfig, "staging", nil)})
	for _, c := range []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"no environment", nil, "input `environment` is required"},
		{"unknown environment", map[string]string{"environment": "qa"}, `environment "qa" is not one of .github/golive.yml's environments (production, staging)`},
		{"bad boolean", map[string]string{"environment": "production", "fail_on_not_ready": "maybe"}, "input `fail_on_not_ready` \"maybe\" is not true or false"},
		{"issue of another environment", map[string]string{"environment": "production", "issue": "1"}, "issue #1 plans staging, not a go-live of this environment"},
		{"missing issue", map[string]string{"environment": "production", "issue": "99"}, "issue not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := w.runAction(t, "gate", c.inputs)
			wantCode(t, r, 2, "error")
			if !strings.Contains(r.outputs["reason"], c.want) || !strings.Contains(r.summary, c.want) {
				t.Errorf("reason %q, summary:\n%s\nwant %q", r.outputs["reason"], r.summary, c.want)
			}
		})
	}
}

func TestActionGateWithoutGoLiveDoesNotHold(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, actionConfig, "staging", nil)})
	r := w.runAction(t, "gate", map[string]string{"environment": "production"})
	wantCode(t, r, 0, "ready")
	if !strings.Contains(r.stderr, "::warning::no open go-live issue labelled \"golive\" plans production") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// slowHealth is a service whose /health answers 200 after delay.
func slowHealth(t *testing.T, delay time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		time.Sleep(delay)
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestActionSmokeFailsOnASlowHealthCheck(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	is := w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, actionConfig, "production", nil)})
	svc := slowHealth(t, 80*time.Millisecond)

	r := w.runAction(t, "smoke", map[string]string{"base_url": svc.URL + "/", "load": "false", "issue": fmt.Sprint(is.Number)})
	wantCode(t, r, 1, "fail")
	// The seed's table: the health check within 50 ms, failed at ~80 ms.
	row := regexp.MustCompile(`\| /health \| 200 within 50 ms \| 200 in (8\d|9\d|1\d\d)(\.\d)? ms \| ❌ FAIL \|`)
	if !row.MatchString(r.summary) {
		t.Errorf("no failed latency row in the summary:\n%s", r.summary)
	}
	for _, want := range []string{"| Check | Expected | Actual | Status |", "**Smoke:** ❌ 1 of 1 checks failed"} {
		if !strings.Contains(r.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.summary)
		}
	}
	if !strings.HasPrefix(r.outputs["reason"], "1 of 1 smoke checks failed: /health: expected 200 within 50 ms, got 200 in ") {
		t.Errorf("reason %q", r.outputs["reason"])
	}
	res := r.result(t)
	if rows, _ := res["rows"].([]any); res["pass"] != false || len(rows) != 1 {
		t.Errorf("result %s", r.outputs["result"])
	}
	// The same table on the go-live issue, linking the run.
	cs := w.gh.Comments(actionRepo, is.Number)
	if len(cs) != 1 || !row.MatchString(cs[0].Body) || !strings.Contains(cs[0].Body, "https://github.com/acme/shop/actions/runs/"+actionRunID) {
		t.Errorf("comments: %+v", cs)
	}
}

func TestActionSmokePassesWithAShortLoadTest(t *testing.T) {
	svc := slowHealth(t, 0)
	checks := `[{"name": "home", "url": "/health", "max_latency_ms": 1000}, {"url": "/missing", "expect_status": 404}]`
	r := (*actionWorld)(nil).runAction(t, "smoke", map[string]string{
		"base_url": svc.URL, "checks": checks, "concurrency": "2", "duration": "200ms", "rate": "0",
	})
	wantCode(t, r, 0, "pass")
	for _, want := range []string{
		"| home | 200 within 1 s | 200 in ",
		"| /missing | 404 | 404 in ",
		"| load | 2 concurrent, as fast as possible, for 200 ms | ",
		"| load p99 | p99 < 1 s | ",
		"| load error rate | error rate ≤ 1.0% | 0.0% (0 of ",
		"**Smoke:** ✅ all 7 checks passed",
	} {
		if !strings.Contains(r.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.summary)
		}
	}
	load, _ := r.result(t)["load"].(map[string]any)
	if n, _ := load["requests"].(float64); n < 1 {
		t.Errorf("load result %v", load)
	}
}

func TestActionSmokeRefusesBadInputs(t *testing.T) {
	for _, c := range []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"nothing to check", nil, "input `base_url` is required unless `checks` lists the checks"},
		{"checks not JSON", map[string]string{"checks": "/health", "load": "false"}, "input `checks` is not a JSON list"},
		{"relative check without base", map[string]string{"checks": `[{"url": "/health"}]`, "load": "false"}, "url \"/health\" is relative"},
		{"load without base", map[string]string{"checks": `[{"url": "http://127.0.0.1:1/health"}]`}, "set `base_url`, or `load: false`"},
		{"bad duration", map[string]string{"base_url": "http://127.0.0.1:1", "duration": "ten"}, "input `duration` \"ten\" is not a duration"},
		{"bad error rate", map[string]string{"base_url": "http://127.0.0.1:1", "max_error_rate": "5%"}, "input `max_error_rate` \"5%\" is not a number from 0 to 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := (*actionWorld)(nil).runAction(t, "smoke", c.inputs)
			wantCode(t, r, 2, "error")
			if !strings.Contains(r.outputs["reason"], c.want) {
				t.Errorf("reason %q, want %q", r.outputs["reason"], c.want)
			}
		})
	}
}

// fakePrometheus answers instant queries: errRate for a query mentioning
// "errors", latency (seconds) for any other.
func fakePrometheus(t *testing.T, errRate, latency string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		v := latency
		if strings.Contains(r.URL.Query().Get("query"), "errors") {
			v = errRate
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"shop"},"value":[%d,%q]}]}}`, time.Now().Unix(), v)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var rollbackInputs = []string{"environment", "ref", "sha", "requested_by", "correlation_id", "golive_issue"}

func TestActionWatchTripsAndDispatchesTheRollbackOnce(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	w.gh.AddWorkflow(actionRepo, fakegithub.Workflow{Path: ".github/workflows/rollback.yml", Name: "Rollback", Inputs: rollbackInputs})
	is := w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, actionConfig, "production", nil)})
	prom := fakePrometheus(t, "0.07", "0.25")
	previous := strings.Repeat("c0ffee", 6) + "abcd"

	r := w.runAction(t, "watch", map[string]string{
		"prometheus_url":    prom.URL,
		"error_rate_query":  `sum(rate(http_requests_total{code=~"5..",job="shop"}[1m])) / sum(rate(http_requests_total{job="shop"}[1m])) # errors`,
		"latency_query":     `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))`,
		"window":            "10m",
		"interval":          "1s",
		"rollback_workflow": "rollback.yml",
		"environment":       "production",
		"rollback_sha":      previous,
		"issue":             fmt.Sprint(is.Number),
	})
	wantCode(t, r, 1, "tripped")

	ds := w.gh.Dispatches()
	if len(ds) != 1 {
		t.Fatalf("%d dispatches, want exactly 1: %+v", len(ds), ds)
	}
	d := ds[0]
	cid, _ := d.Inputs["correlation_id"].(string)
	if d.WorkflowPath != ".github/workflows/rollback.yml" || d.Ref != "main" || d.InstallationID != actionInstall ||
		d.Inputs["environment"] != "production" || d.Inputs["ref"] != "main" || d.Inputs["sha"] != previous ||
		d.Inputs["requested_by"] != "golive-action" || !regexp.MustCompile(`^gl-[0-9a-f]{12}$`).MatchString(cid) || len(d.Inputs) != 5 {
		t.Errorf("dispatch %+v", d)
	}
	if !strings.HasPrefix(r.outputs["reason"], "rollback trigger tripped: error rate 7.0% > 5.0%; dispatched rollback.yml to roll back production") {
		t.Errorf("reason %q", r.outputs["reason"])
	}
	for _, want := range []string{"| 1 | ", " | 7.0% | 250 ms | ❌ error rate > 5.0% |", "**Verdict:** ❌ rollback trigger tripped: error rate 7.0% > 5.0%",
		"| `rollback.yml` dispatched | `production` | `main` | `" + previous + "` | `" + cid + "` |"} {
		if !strings.Contains(r.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.summary)
		}
	}
	res := r.result(t)
	if rb, _ := res["rollback"].(map[string]any); res["tripped"] != true || rb["correlation_id"] != cid || rb["dispatched"] != "true" {
		t.Errorf("result %s", r.outputs["result"])
	}
	cs := w.gh.Comments(actionRepo, is.Number)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "Rollback trigger tripped") || !strings.Contains(cs[0].Body, cid) {
		t.Errorf("comments %+v", cs)
	}
}

func TestActionWatchHealthyEndpointsDispatchNothing(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	w.gh.AddWorkflow(actionRepo, fakegithub.Workflow{Path: ".github/workflows/rollback.yml", Inputs: rollbackInputs})
	svc := slowHealth(t, 0)
	r := w.runAction(t, "watch", map[string]string{
		"urls": svc.URL + "/health,\n" + svc.URL + "/health", "window": "0s", "interval": "1s",
		"rollback_workflow": "rollback.yml", "environment": "production",
	})
	wantCode(t, r, 0, "healthy")
	if n := len(w.gh.Dispatches()); n != 0 {
		t.Errorf("%d dispatches on a healthy watch", n)
	}
	if !strings.Contains(r.summary, "| 0.0% | ") || !strings.Contains(r.summary, "✅ no rollback trigger tripped in 1 samples") {
		t.Errorf("summary:\n%s", r.summary)
	}
}

func TestActionWatchRefusesBadInputs(t *testing.T) {
	for _, c := range []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"no source", nil, "give `prometheus_url` with `error_rate_query` and `latency_query`, or `urls`"},
		{"both sources", map[string]string{"prometheus_url": "http://p:9090", "error_rate_query": "e", "latency_query": "l", "urls": "http://a/"}, "not both"},
		{"rollback without environment", map[string]string{"urls": "http://127.0.0.1:1/", "rollback_workflow": "rollback.yml"}, "input `environment` is required with `rollback_workflow`"},
		{"no trigger", map[string]string{"urls": "http://127.0.0.1:1/", "max_error_rate": "0", "max_latency_ms": "0"}, "no trigger is set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := (*actionWorld)(nil).runAction(t, "watch", c.inputs)
			wantCode(t, r, 2, "error")
			if !strings.Contains(r.outputs["reason"], c.want) {
				t.Errorf("reason %q, want %q", r.outputs["reason"], c.want)
			}
		})
	}
}

func TestActionPreflightNamesTheMissingVariable(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	w.gh.AddEnvironment(actionRepo, fakegithub.Environment{Name: "production",
		Variables: []fakegithub.Variable{{Name: "DEPLOY_URL", Value: "https://shop.example"}}, Secrets: []string{"DB_PASSWORD"}})
	w.gh.SetRepoVariable(actionRepo, "REGION", "eu-west-1")

	r := w.runAction(t, "preflight", map[string]string{"environment": "production"})
	wantCode(t, r, 1, "missing")
	for _, want := range []string{
		"| `DEPLOY_URL` | environment variable | ✅ |",
		"| `DB_PASSWORD` | environment secret | ✅ |",
		"| `REGION` | repository variable | ✅ |",
		"| `SENTRY_DSN` | – | ❌ missing |",
	} {
		if !strings.Contains(r.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.summary)
		}
	}
	if r.outputs["reason"] != "production is missing 1 variable required by .github/golive.yml: SENTRY_DSN" {
		t.Errorf("reason %q", r.outputs["reason"])
	}
	if m, _ := r.result(t)["missing"].([]any); len(m) != 1 || m[0] != "SENTRY_DSN" {
		t.Errorf("result %s", r.outputs["result"])
	}
	if strings.Contains(r.summary+r.outputs["result"], "https://shop.example") {
		t.Error("a variable's value was shown")
	}

	w.gh.AddRepoSecret(actionRepo, "SENTRY_DSN")
	r = w.runAction(t, "preflight", map[string]string{"environment": "production"})
	wantCode(t, r, 0, "ok")

	// staging requires nothing.
	r = w.runAction(t, "preflight", map[string]string{"environment": "staging"})
	wantCode(t, r, 0, "ok")
}

func TestActionPreflightWithATokenThatCannotListSecrets(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	// A workflow's GITHUB_TOKEN cannot list secrets or variables.
	w.gh.SetInstallationPermissions(actionInstall, map[string]string{"metadata": "read", "contents": "read", "issues": "write", "actions": "write"})
	w.token = w.gh.InstallationToken(actionInstall)
	r := w.runAction(t, "preflight", map[string]string{"environment": "production"})
	wantCode(t, r, 1, "error")
	if !strings.Contains(r.outputs["reason"], "pass a github_token that can read the repository's variables, secrets and environments") {
		t.Errorf("reason %q", r.outputs["reason"])
	}
}

func TestActionReportCommentsOnTheGoLive(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	is := w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, actionConfig, "production", nil)})
	sha := strings.Repeat("1234abcd", 5)
	started := time.Now().Add(-95 * time.Second).UTC().Format(time.RFC3339)

	r := w.runAction(t, "report", map[string]string{"environment": "production", "issue": fmt.Sprint(is.Number),
		"outcome": "success", "sha": sha, "started_at": started})
	wantCode(t, r, 0, "reported")
	cs := w.gh.Comments(actionRepo, is.Number)
	if len(cs) != 1 {
		t.Fatalf("%d comments, want 1", len(cs))
	}
	row := regexp.MustCompile(`\| ` + "`production`" + ` \| ` + "`" + sha + "`" + ` \| \[workflow run\]\(https://github\.com/acme/shop/actions/runs/4242\) \| 1m3[5-7]s \| ✅ success \|`)
	if !strings.Contains(cs[0].Body, "### ✅ Deploy to `production` succeeded") || !row.MatchString(cs[0].Body) {
		t.Errorf("comment:\n%s", cs[0].Body)
	}
	if !row.MatchString(r.summary) {
		t.Errorf("summary:\n%s", r.summary)
	}
	if res := r.result(t); res["comment_id"] != float64(cs[0].ID) || res["issue"] != float64(is.Number) {
		t.Errorf("result %s", r.outputs["result"])
	}

	// In a run golive dispatched, the issue, environment and SHA come from
	// the workflow_dispatch inputs; the outcome is a failure.
	event := filepath.Join(t.TempDir(), "event.json")
	payload := fmt.Sprintf(`{"inputs": {"environment": "production", "golive_issue": "%d", "sha": "%s", "requested_by": "@alice"}, "ref": "refs/heads/main"}`, is.Number, sha)
	if err := os.WriteFile(event, []byte(payload), 0o600); err != nil {
		t.Fatal(err)
	}
	r = w.runAction(t, "report", map[string]string{"outcome": "failure"}, "GITHUB_EVENT_PATH", event)
	wantCode(t, r, 0, "reported")
	cs = w.gh.Comments(actionRepo, is.Number)
	if len(cs) != 2 || !strings.Contains(cs[1].Body, "### ❌ Deploy to `production` failed") || !strings.Contains(cs[1].Body, "`"+sha+"`") ||
		!strings.Contains(cs[1].Body, "| – | ❌ failure |") {
		t.Errorf("second comment: %+v", cs[len(cs)-1].Body)
	}

	// Without an issue, the environment's open go-live.
	r = w.runAction(t, "report", map[string]string{"outcome": "cancelled", "environment": "production"})
	wantCode(t, r, 0, "reported")
	if cs = w.gh.Comments(actionRepo, is.Number); len(cs) != 3 || !strings.Contains(cs[2].Body, "⚪ cancelled") ||
		!strings.Contains(cs[2].Body, "`"+strings.Repeat("ab", 20)+"`") {
		t.Errorf("third comment (GITHUB_SHA): %+v", cs[len(cs)-1].Body)
	}

	r = w.runAction(t, "report", map[string]string{"issue": fmt.Sprint(is.Number), "outcome": "done"})
	wantCode(t, r, 2, "error")
	if len(w.gh.Comments(actionRepo, is.Number)) != 3 {
		t.Error("a report with bad inputs commented")
	}
}

func TestActionCommandAndOutputSyntax(t *testing.T) {
	var out, errOut bytes.Buffer
	env := envconfig.MapLookuper(map[string]string{})
	if code := run(context.Background(), []string{"action", "deploy"}, env, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), `::error::golive action: unknown command "deploy"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"action", "help"}, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "Usage: golive action COMMAND") {
		t.Errorf("help: exit %d, %q", code, out.String())
	}

	// Outside Actions the summary and outputs go to stdout.
	out.Reset()
	errOut.Reset()
	code := run(context.Background(), []string{"action", "smoke"}, env, &out, &errOut)
	if code != 2 || !strings.Contains(out.String(), "### golive smoke: ❌ bad inputs") || !strings.Contains(out.String(), "\ndecision=error\n") {
		t.Errorf("exit %d, stdout:\n%s", code, out.String())
	}

	// A multi-line value takes the heredoc form; the annotation stays one
	// line.
	var b strings.Builder
	writeOutput(&b, "reason", "two\nlines")
	writeOutput(&b, "decision", "ok")
	got := parseOutputs(t, b.String())
	if got["reason"] != "two\nlines" || got["decision"] != "ok" || !strings.HasPrefix(b.String(), "reason<<ghadelimiter_") {
		t.Errorf("outputs %q parsed as %q", b.String(), got)
	}
	if e := escapeCommand("50% done\r\nnext"); e != "50%25 done%0D%0Anext" {
		t.Errorf("escapeCommand: %q", e)
	}
}

// TestActionInputNamesAreUpperCased guards the input lookup: GitHub hands a
// docker action its input "max_error_rate" as INPUT_MAX_ERROR_RATE.
func TestActionInputNamesAreUpperCased(t *testing.T) {
	a := &actionRun{env: envconfig.MapLookuper(map[string]string{"INPUT_MAX_ERROR_RATE": " 0.2 ", "INPUT_WINDOW": ""})}
	if v := a.input("max_error_rate"); v != "0.2" {
		t.Errorf("max_error_rate %q", v)
	}
	if v := a.input("window"); v != "10m" {
		t.Errorf("empty window %q, want the default", v)
	}
	defer func() {
		if recover() == nil {
			t.Error("reading an undeclared input did not panic")
		}
	}()
	a.input("not_declared")
}

// --- action.yml and the example workflows ---

const (
	actionYAMLPath     = "../../actions/golive/action.yml"
	actionSchemaPath   = "../../testdata/schemas/github-action.json"
	workflowSchemaPath = "../../testdata/schemas/github-workflow.json"
)

// actionYAML is the part of action.yml the tests read.
type actionYAML struct {
	Name     string `yaml:"name"`
	Branding struct {
		Icon, Color string
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string   `yaml:"using"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
	} `yaml:"runs"`
}

func loadActionYAML(t *testing.T) actionYAML {
	t.Helper()
	data, err := os.ReadFile(actionYAMLPath)
	if err != nil {
		t.Fatal(err)
	}
	var a actionYAML
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("%s: %v", actionYAMLPath, err)
	}
	return a
}

// yamlAsJSON decodes a YAML file into the JSON value a YAML language server
// validates: it goes through encoding/json, so numbers are JSON numbers.
func yamlAsJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("YAML with keys JSON cannot hold: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func compileSchemaFile(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	name := filepath.Base(path)
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(name)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return sch
}

func TestActionYAMLMatchesSchemaStoreSchema(t *testing.T) {
	sch := compileSchemaFile(t, actionSchemaPath)
	data, err := os.ReadFile(actionYAMLPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(yamlAsJSON(t, data)); err != nil {
		t.Fatalf("%s does not match SchemaStore's github-action schema:\n%v", actionYAMLPath, err)
	}
	// The schema does refuse broken metadata, so the pass above means
	// something.
	for _, c := range []struct{ name, from, to string }{
		{"docker without image", "  image: docker://ghcr.io/golive-dev/golive:v1\n", ""},
		{"unknown runner", "using: docker", "using: podman"},
		{"unknown input key", "    required: true\n", "    required: true\n    type: string\n"},
		{"no description", "description: Go-live gate", "descriptio: Go-live gate"},
	} {
		broken := strings.Replace(string(data), c.from, c.to, 1)
		if broken == string(data) {
			t.Fatalf("%s: %q not found in action.yml", c.name, c.from)
		}
		if err := sch.Validate(yamlAsJSON(t, []byte(broken))); err == nil {
			t.Errorf("%s: the schema accepted it", c.name)
		}
	}
}

func TestActionYAMLDeclaresWhatTheCodeReads(t *testing.T) {
	a := loadActionYAML(t)
	var declared, read []string
	for name := range a.Inputs {
		declared = append(declared, name)
	}
	for _, in := range actionInputs {
		read = append(read, in.name)
	}
	slices.Sort(declared)
	slices.Sort(read)
	if !slices.Equal(declared, read) {
		t.Fatalf("action.yml declares inputs %v; golive action reads %v", declared, read)
	}
	for _, in := range actionInputs {
		y := a.Inputs[in.name]
		if strings.TrimSpace(y.Description) == "" {
			t.Errorf("input %s has no description", in.name)
		}
		if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(in.name) {
			t.Errorf("input %s is not snake_case", in.name)
		}
		switch in.name {
		case "command":
			if !y.Required || y.Default != "" {
				t.Errorf("command: required %v, default %q; want required without default", y.Required, y.Default)
			}
		case "github_token":
			if y.Default != "${{ github.token }}" {
				t.Errorf("github_token default %q", y.Default)
			}
		default:
			if y.Required || y.Default != in.def {
				t.Errorf("input %s: action.yml default %q (required %v), golive's %q", in.name, y.Default, y.Required, in.def)
			}
		}
	}
	for _, o := range []string{"decision", "reason", "result"} {
		if strings.TrimSpace(a.Outputs[o].Description) == "" {
			t.Errorf("output %s is not declared with a description", o)
		}
	}
	if len(a.Outputs) != 3 {
		t.Errorf("outputs %v", a.Outputs)
	}
	if a.Runs.Using != "docker" || !regexp.MustCompile(`^docker://ghcr\.io/golive-dev/golive:v\d+$`).MatchString(a.Runs.Image) ||
		!slices.Equal(a.Runs.Args, []string{"action", "${{ inputs.command }}"}) {
		t.Errorf("runs: %+v", a.Runs)
	}
	if a.Branding.Icon == "" || a.Branding.Color == "" {
		t.Errorf("branding %+v", a.Branding)
	}
}

// TestExampleWorkflows checks docs/examples against SchemaStore's workflow
// schema, and that their golive steps use commands and inputs the action
// has.
func TestExampleWorkflows(t *testing.T) {
	sch := compileSchemaFile(t, workflowSchemaPath)
	inputs := loadActionYAML(t).Inputs
	files, err := filepath.Glob("../../docs/examples/*.yml")
	if err != nil || len(files) < 2 {
		t.Fatalf("example workflows: %v %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(yamlAsJSON(t, data)); err != nil {
			t.Errorf("%s does not match SchemaStore's workflow schema:\n%v", f, err)
		}
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string            `yaml:"uses"`
					With map[string]string `yaml:"with"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatal(err)
		}
		steps := 0
		for job, j := range wf.Jobs {
			for i, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "golive-dev/golive/actions/golive@") {
					continue
				}
				steps++
				if _, ok := actionCommands[s.With["command"]]; !ok {
					t.Errorf("%s: job %s step %d: command %q", f, job, i+1, s.With["command"])
				}
				for k := range s.With {
					if _, ok := inputs[k]; !ok {
						t.Errorf("%s: job %s step %d: input %q is not in action.yml", f, job, i+1, k)
					}
				}
			}
		}
		if steps == 0 {
			t.Errorf("%s uses no golive step", f)
		}
	}
}
