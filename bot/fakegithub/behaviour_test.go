package fakegithub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/clock"
)

// TestHookDeliveriesCursorPagination pages through deliveries with
// go-github's cursor handling, newest first, and filters by status.
func TestHookDeliveriesCursorPagination(t *testing.T) {
	srv := newTestServer(t, Options{})
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 7; i++ {
		code := 200
		if i%3 == 0 {
			code = 500
		}
		srv.AddHookDelivery(HookDelivery{ID: int64(i), Event: "issues", Action: "opened", StatusCode: code, DeliveredAt: base.Add(time.Duration(i) * time.Minute)})
	}
	app := appClient(t, srv)
	ctx := context.Background()

	var ids []int64
	pages := 0
	opts := &github.ListCursorOptions{PerPage: 3}
	for {
		page, resp, err := app.Apps.ListHookDeliveries(ctx, opts)
		if err != nil {
			t.Fatalf("list deliveries: %v", err)
		}
		pages++
		for _, d := range page {
			ids = append(ids, d.GetID())
		}
		if resp.Cursor == "" {
			break
		}
		if !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
			t.Errorf("Link header = %q", resp.Header.Get("Link"))
		}
		opts.Cursor = resp.Cursor
	}
	if pages != 3 || fmt.Sprint(ids) != "[7 6 5 4 3 2 1]" {
		t.Errorf("pages = %d, ids = %v; want 3 pages of [7 6 5 4 3 2 1]", pages, ids)
	}

	var failed []*github.HookDelivery
	req, _ := app.NewRequest("GET", "app/hook/deliveries?status=failure", nil)
	if _, err := app.Do(ctx, req, &failed); err != nil {
		t.Fatalf("list failed deliveries: %v", err)
	}
	if len(failed) != 2 || failed[0].GetID() != 6 || failed[1].GetID() != 3 {
		t.Errorf("failed deliveries = %v", failed)
	}

	if _, _, err := app.Apps.RedeliverHookDelivery(ctx, 6); !isAccepted(err) {
		t.Fatalf("redeliver: %v", err)
	}
	all := srv.HookDeliveries()
	if !all[0].Redelivery || all[0].GUID != all[1].GUID && all[0].Event != "issues" {
		t.Errorf("newest delivery after redelivery = %+v", all[0])
	}
	if got := srv.Redeliveries(); len(got) != 1 || got[0] != 6 {
		t.Errorf("redeliveries = %v", got)
	}
	if _, _, err := app.Apps.RedeliverHookDelivery(ctx, 12345); err == nil || isAccepted(err) {
		t.Errorf("redelivering an unknown delivery succeeded")
	}
}

// TestRateLimit checks the budget headers and a spent budget as GitHub
// reports it, which go-github turns into a RateLimitError.
func TestRateLimit(t *testing.T) {
	clk := clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := newTestServer(t, Options{Clock: clk, RateLimit: 3})
	auth := "token " + srv.InstallationToken(testInstall)
	for i, want := range []string{"2", "1", "0"} {
		resp := do(t, srv, "GET", "repos/acme/api", auth, nil)
		if got := resp.Header.Get("X-RateLimit-Remaining"); resp.StatusCode != 200 || got != want {
			t.Fatalf("request %d: status %d remaining %s, want 200 and %s", i, resp.StatusCode, got, want)
		}
		if resp.Header.Get("X-RateLimit-Used") != strconv.Itoa(i+1) || resp.Header.Get("X-RateLimit-Resource") != "core" {
			t.Errorf("used/resource = %s/%s", resp.Header.Get("X-RateLimit-Used"), resp.Header.Get("X-RateLimit-Resource"))
		}
	}
	resp := do(t, srv, "GET", "repos/acme/api", auth, nil)
	if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("over budget: %d remaining %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	if msg := decodeMessage(t, resp); msg != "API rate limit exceeded for installation ID 4242." {
		t.Errorf("message = %q", msg)
	}
	if reset := resp.Header.Get("X-RateLimit-Reset"); reset != strconv.FormatInt(clk.Now().Add(time.Hour).Unix(), 10) {
		t.Errorf("reset = %s", reset)
	}
	// Another installation has its own budget.
	if resp := do(t, srv, "GET", "repos/globex/web", "token "+srv.InstallationToken(otherInstall), nil); resp.StatusCode != 200 {
		t.Errorf("other installation = %d", resp.StatusCode)
	}
	if got := srv.RateLimitRemaining(testInstall); got != 0 {
		t.Errorf("RateLimitRemaining = %d", got)
	}
	clk.Advance(time.Hour)
	if resp := do(t, srv, "GET", "repos/acme/api", auth, nil); resp.StatusCode != 401 {
		// The token expired with the window; a new one works again.
		t.Fatalf("old token after an hour = %d", resp.StatusCode)
	}
	resp = do(t, srv, "GET", "repos/acme/api", "token "+srv.InstallationToken(testInstall), nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("after the window: %d remaining %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}

	// Without credentials the budget is 60 per address.
	if resp := do(t, srv, "GET", "users/octocat", "", nil); resp.Header.Get("X-RateLimit-Limit") != "60" {
		t.Errorf("unauthenticated limit = %s", resp.Header.Get("X-RateLimit-Limit"))
	}
}

func TestRateLimitErrorInGoGitHub(t *testing.T) {
	srv := newTestServer(t, Options{RateLimit: 2})
	gh := installationClient(t, srv, testInstall)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, _, err := gh.Repositories.Get(ctx, "acme", "api"); err != nil {
			t.Fatalf("get %d: %v", i, err)
		}
	}
	_, _, err := gh.Repositories.Get(ctx, "acme", "api")
	var rle *github.RateLimitError
	if !errors.As(err, &rle) || rle.Rate.Remaining != 0 {
		t.Fatalf("third request: %v, want RateLimitError", err)
	}
}

func TestFaults(t *testing.T) {
	srv := newTestServer(t, Options{})
	gh := installationClient(t, srv, testInstall)
	ctx := context.Background()
	const route = "/repos/{owner}/{repo}"
	get := func() (*github.Response, error) {
		_, resp, err := gh.Repositories.Get(ctx, "acme", "api")
		return resp, err
	}
	if _, err := get(); err != nil { // fetch the token first
		t.Fatalf("warm-up: %v", err)
	}

	t.Run("status", func(t *testing.T) {
		for _, code := range []int{500, 502, 503} {
			srv.Inject(Fault{Method: "GET", Route: route, Times: 1, Status: code})
			resp, err := get()
			var er *github.ErrorResponse
			if !errors.As(err, &er) || resp.StatusCode != code {
				t.Errorf("fault %d: %v", code, err)
			}
			if _, err := get(); err != nil {
				t.Errorf("after a one-time %d fault: %v", code, err)
			}
		}
	})
	t.Run("retry after", func(t *testing.T) {
		srv.Inject(Fault{Route: route, Times: 1, RetryAfter: 7 * time.Second})
		resp, err := get()
		if err == nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
			t.Errorf("429 fault: %v, status %d, Retry-After %q", err, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
	t.Run("secondary rate limit", func(t *testing.T) {
		// go-github then refuses to call before Retry-After, so use a
		// client of its own.
		sec := installationClient(t, srv, testInstall)
		if _, _, err := sec.Repositories.Get(ctx, "acme", "api"); err != nil {
			t.Fatalf("warm-up: %v", err)
		}
		srv.Inject(Fault{Route: route, Times: 1, Secondary: true, RetryAfter: 30 * time.Second})
		_, _, err := sec.Repositories.Get(ctx, "acme", "api")
		var ae *github.AbuseRateLimitError
		if !errors.As(err, &ae) || ae.RetryAfter == nil || *ae.RetryAfter != 30*time.Second || !strings.Contains(ae.Message, "secondary rate limit") {
			t.Fatalf("secondary fault: %v", err)
		}
		if _, err := get(); err != nil {
			t.Errorf("after secondary fault: %v", err)
		}
	})
	t.Run("primary exhausted", func(t *testing.T) {
		fresh := installationClient(t, srv, testInstall)
		if _, _, err := fresh.Repositories.Get(ctx, "acme", "api"); err != nil {
			t.Fatalf("warm-up: %v", err)
		}
		srv.Inject(Fault{Route: route, Times: 1, PrimaryExhausted: true})
		_, resp, err := fresh.Repositories.Get(ctx, "acme", "api")
		var rle *github.RateLimitError
		if !errors.As(err, &rle) || resp.Header.Get("X-RateLimit-Remaining") != "0" || rle.Rate.Reset.IsZero() {
			t.Errorf("primary fault: %v", err)
		}
	})
	t.Run("latency", func(t *testing.T) {
		srv.Inject(Fault{Route: route, Times: 1, Latency: 150 * time.Millisecond})
		start := time.Now()
		if _, err := get(); err != nil {
			t.Fatalf("slow request: %v", err)
		}
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Errorf("request took %v, want at least 150ms", d)
		}
	})
	t.Run("reset connection", func(t *testing.T) {
		// Go's transport silently retries an idempotent request once when a
		// reused connection drops, so reset a POST.
		srv.AddIssue(testRepo, Issue{Title: "t"})
		srv.Inject(Fault{Method: "POST", Times: 1, ResetConnection: true})
		if _, _, err := gh.Issues.CreateComment(ctx, "acme", "api", 1, &github.IssueComment{Body: github.String("x")}); err == nil {
			t.Errorf("request on a reset connection succeeded")
		}
		calls := srv.CallsTo("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
		if len(calls) != 1 || calls[0].Status != 0 || !calls[0].Fault {
			t.Errorf("reset call recorded as %+v", calls)
		}
		if len(srv.Comments(testRepo, 1)) != 0 {
			t.Errorf("a reset request was carried out")
		}
	})
	t.Run("only matching routes, every time until cleared", func(t *testing.T) {
		srv.Inject(Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues/{issue_number}/comments", Status: 502})
		if _, err := get(); err != nil {
			t.Errorf("unmatched route faulted: %v", err)
		}
		for i := 0; i < 2; i++ {
			if _, _, err := gh.Issues.CreateComment(ctx, "acme", "api", 1, &github.IssueComment{Body: github.String("x")}); err == nil {
				t.Errorf("comment %d not faulted", i)
			}
		}
		srv.ClearFaults()
		if _, _, err := gh.Issues.CreateComment(ctx, "acme", "api", 1, &github.IssueComment{Body: github.String("x")}); err != nil {
			t.Errorf("after ClearFaults: %v", err)
		}
	})

	// Faulted calls are recorded with the status sent.
	var statuses []int
	for _, c := range srv.CallsTo("GET", route) {
		if c.Fault {
			statuses = append(statuses, c.Status)
		}
	}
	if fmt.Sprint(statuses) != "[500 502 503 429 403 403 200]" {
		t.Errorf("faulted call statuses = %v", statuses)
	}
	noViolations(t, srv)
}

// failRecorder captures Errorf calls in place of a *testing.T.
type failRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (f *failRecorder) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *failRecorder) Helper() {}

func TestViolations(t *testing.T) {
	rec := &failRecorder{TB: t}
	srv := New(Options{T: rec})
	srv.AddInstallation(testInstall, testOrg, "Organization", testRepo)
	srv.AddWorkflow(testRepo, Workflow{Path: ".github/workflows/deploy.yml"})
	srv.AddIssue(testRepo, Issue{Title: "x"})
	auth := "token " + srv.InstallationToken(testInstall)

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantMsg    string
		wantReason string
	}{
		{"dispatch without ref", "POST", "repos/acme/api/actions/workflows/deploy.yml/dispatches", `{"inputs":{"v":"1"}}`, 422, "Validation Failed", `property "ref" is missing`},
		{"path not in the spec", "GET", "installation/token", "", 404, "Not Found", "no operation in the spec matches"},
		{"method not in the spec", "DELETE", "repos/acme/api", "", 404, "Not Found", "no operation in the spec matches"},
		{"query value outside its enum", "GET", "repos/acme/api/issues?state=merged", "", 422, "Validation Failed", `parameter "state"`},
		{"bad path parameter type", "GET", "repos/acme/api/issues/abc", "", 404, "Not Found", `parameter "issue_number"`},
		{"reaction outside the enum", "POST", "repos/acme/api/issues/1/reactions", `{"content":"thumbsup"}`, 422, "Validation Failed", "content"},
		{"unparsable JSON", "POST", "repos/acme/api/issues/1/comments", `{"body":`, 400, "Problems parsing JSON", "request body"},
		{"labels as a bare array (go-github's AddLabelsToIssue)", "POST", "repos/acme/api/issues/1/labels", `["bug"]`, 422, "Validation Failed", "doesn't match schema"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			resp := do(t, srv, tt.method, tt.path, auth, body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if msg := decodeMessage(t, resp); msg != tt.wantMsg {
				t.Errorf("message = %q, want %q", msg, tt.wantMsg)
			}
			vs := srv.Violations()
			if len(vs) != i+1 {
				t.Fatalf("violations = %d, want %d", len(vs), i+1)
			}
			v := vs[i]
			if v.Method != tt.method || !strings.Contains(v.Reason, tt.wantReason) || v.Path != "/"+strings.Split(tt.path, "?")[0] {
				t.Errorf("violation = %+v, want reason containing %q", v, tt.wantReason)
			}
			if len(rec.errs) != i+1 || !strings.Contains(rec.errs[i], "spec violation") {
				t.Errorf("T.Errorf calls = %q", rec.errs)
			}
		})
	}
	if got := srv.CallsTo("POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches"); len(got) != 1 || got[0].Violation == "" || got[0].Status != 422 {
		t.Errorf("violating call = %+v", got)
	}
	if d := srv.Dispatches(); len(d) != 0 {
		t.Errorf("an invalid dispatch was recorded: %+v", d)
	}
	srv.Close()
	assertResponsesMatchSpec(t, srv)
}

func TestDispatchCreatesRun(t *testing.T) {
	clk := clock.NewFake(time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC))
	srv := newTestServer(t, Options{Clock: clk, JWTClock: clock.System{}})
	srv.AddWorkflow(testRepo, Workflow{Path: ".github/workflows/deploy.yml", Name: "Deploy", RunName: "${{ github.actor }} deploys ${{ github.event.inputs.service }}@${{ github.ref_name }}"})
	srv.AddWorkflow(testRepo, Workflow{Path: ".github/workflows/ci.yml", Name: "CI", NoDispatch: true})
	gh := installationClient(t, srv, testInstall)
	ctx := context.Background()

	var details struct {
		WorkflowRunID int64  `json:"workflow_run_id"`
		RunURL        string `json:"run_url"`
	}
	rawDo(t, gh, "POST", "repos/acme/api/actions/workflows/deploy.yml/dispatches", map[string]any{"ref": "main", "inputs": map[string]any{"service": "billing"}, "return_run_details": true}, &details)
	run, _, err := gh.Actions.GetWorkflowRunByID(ctx, "acme", "api", details.WorkflowRunID)
	if err != nil {
		t.Fatalf("get dispatched run: %v", err)
	}
	if run.GetDisplayTitle() != "golive[bot] deploys billing@main" || run.GetStatus() != "queued" || !run.GetCreatedAt().Time.Equal(clk.Now()) {
		t.Errorf("run = %q %s %v", run.GetDisplayTitle(), run.GetStatus(), run.GetCreatedAt())
	}
	if !strings.HasSuffix(details.RunURL, fmt.Sprintf("/actions/runs/%d", run.GetID())) {
		t.Errorf("run_url = %q", details.RunURL)
	}

	clk.Advance(50 * time.Minute) // within the token's hour: ghinstallation judges expiry by the wall clock
	if _, err := gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml", github.CreateWorkflowDispatchEventRequest{Ref: "main"}); err != nil {
		t.Fatalf("second dispatch: %v", err)
	}
	cutoff := clk.Now().Add(-30 * time.Minute).Format(time.RFC3339)
	recent, _, err := gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Created: ">=" + cutoff})
	if err != nil {
		t.Fatalf("list recent runs: %v", err)
	}
	if recent.GetTotalCount() != 1 || recent.WorkflowRuns[0].GetRunNumber() != 2 {
		t.Errorf("runs created since %s = %d", cutoff, recent.GetTotalCount())
	}

	_, err = gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "deploy.yml", github.CreateWorkflowDispatchEventRequest{Ref: "no-such-branch"})
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 422 || er.Message != "No ref found for: no-such-branch" {
		t.Errorf("dispatch to unknown ref: %v", err)
	}
	_, err = gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, "acme", "api", "ci.yml", github.CreateWorkflowDispatchEventRequest{Ref: "main"})
	if !errors.As(err, &er) || er.Response.StatusCode != 422 {
		t.Errorf("dispatch to a workflow without the trigger: %v", err)
	}
	if d := srv.Dispatches(); len(d) != 2 || d[0].RunID != details.WorkflowRunID || d[1].Inputs != nil {
		t.Errorf("dispatches = %+v", d)
	}
	noViolations(t, srv)
}

func TestManifestCodeIsSingleUse(t *testing.T) {
	srv := newTestServer(t, Options{})
	want := srv.AddManifestCode("abc123")
	c := anonClient(t, srv)
	ctx := context.Background()
	cfg, _, err := c.Apps.CompleteAppManifest(ctx, "abc123")
	if err != nil {
		t.Fatalf("conversion: %v", err)
	}
	if cfg.GetClientID() != want.ClientID || cfg.GetWebhookSecret() != want.WebhookSecret || cfg.GetSlug() != "golive" {
		t.Errorf("conversion = %+v, want %+v", cfg, want)
	}
	if _, _, err := c.Apps.CompleteAppManifest(ctx, "abc123"); err == nil {
		t.Errorf("a code converted twice")
	}
}

// TestConcurrentClients hammers the server from many goroutines (run with
// -race) and checks that every request was recorded and counted.
func TestConcurrentClients(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.AddIssue(testRepo, Issue{Title: "busy"})
	gh := installationClient(t, srv, testInstall)
	ctx := context.Background()
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, _, err := gh.Issues.CreateComment(ctx, "acme", "api", 1, &github.IssueComment{Body: github.String(fmt.Sprintf("w%d-%d", w, i))}); err != nil {
					errs <- err
				}
				if _, _, err := gh.Issues.Get(ctx, "acme", "api", 1); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent request: %v", err)
	}
	if got := len(srv.Comments(testRepo, 1)); got != workers*each {
		t.Errorf("comments = %d, want %d", got, workers*each)
	}
	ids := map[int64]bool{}
	for _, c := range srv.Comments(testRepo, 1) {
		ids[c.ID] = true
	}
	if len(ids) != workers*each {
		t.Errorf("comment IDs are not unique: %d distinct", len(ids))
	}
	if got := len(srv.CallsTo(http.MethodPost, "/repos/{owner}/{repo}/issues/{issue_number}/comments")); got != workers*each {
		t.Errorf("recorded comment calls = %d", got)
	}
	if got, want := srv.RateLimitRemaining(testInstall), DefaultRateLimit-2*workers*each; got != want {
		t.Errorf("rate limit remaining = %d, want %d", got, want)
	}
	noViolations(t, srv)
}

func TestStandaloneOptions(t *testing.T) {
	srv := newTestServer(t, Options{Addr: "127.0.0.1:0", MaxCalls: 3})
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || !strings.HasSuffix(srv.URL, "/") {
		t.Fatalf("URL = %q", srv.URL)
	}
	for i := 0; i < 10; i++ {
		do(t, srv, "GET", fmt.Sprintf("users/u%d", i), "", nil)
	}
	calls := srv.Calls()
	if len(calls) != 3 || calls[2].Path != "/users/u9" || calls[0].Path != "/users/u7" {
		t.Errorf("kept calls = %d, last %q", len(calls), calls[len(calls)-1].Path)
	}
	srv.Close()
	srv.Close() // idempotent
}

// TestResponseCheckHasTeeth shows that the response check the other tests
// rely on rejects bodies GitHub would never send.
func TestResponseCheckHasTeeth(t *testing.T) {
	srv := newTestServer(t, Options{})
	req, _ := http.NewRequest("GET", srv.URL+"repos/acme/api/issues/1", nil)
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for _, body := range []string{`{"number":1,"title":"x"}`, `{"message":"Not Found"}`, `[]`} {
		if err := srv.Spec().ValidateResponse(context.Background(), req, nil, 200, h, []byte(body)); err == nil {
			t.Errorf("issue body %s accepted", body)
		}
	}
	if err := srv.Spec().ValidateResponse(context.Background(), req, nil, 404, h, []byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`)); err != nil {
		t.Errorf("GitHub's 404 body rejected: %v", err)
	}
}

// TestGoGitHubLabelsArrayIsFlagged documents a gap between go-github v60 and
// the spec: AddLabelsToIssue sends a bare JSON array, which the description
// does not allow (golive sends {"labels": [...]} instead).
func TestGoGitHubLabelsArrayIsFlagged(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.AddIssue(testRepo, Issue{Title: "x"})
	gh := installationClient(t, srv, testInstall)
	if _, _, err := gh.Issues.AddLabelsToIssue(context.Background(), "acme", "api", 1, []string{"bug"}); err == nil {
		t.Errorf("bare label array accepted")
	}
	if vs := srv.Violations(); len(vs) != 1 || vs[0].Route != "/repos/{owner}/{repo}/issues/{issue_number}/labels" {
		t.Errorf("violations = %v", vs)
	}
}

func TestSetupHelpersShowThroughTheAPI(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.AddProtectionRule(testRepo, "production", 0)
	sha := srv.SetBranch(testRepo, "release", "")
	srv.AddTag(testRepo, "v1.0.0", sha)
	srv.AddIssue(testRepo, Issue{Title: "open one", Labels: []string{"deploy"}, User: "bob"})
	srv.AddIssue(testRepo, Issue{Title: "closed one", State: "closed"})
	gh := installationClient(t, srv, testInstall)
	ctx := context.Background()

	rules, _, err := gh.Repositories.GetAllDeploymentProtectionRules(ctx, "acme", "api", "production")
	if err != nil || rules.GetTotalCount() != 1 || rules.ProtectionRules[0].GetApp().GetID() != srv.AppID() {
		t.Errorf("rules = %+v, %v", rules, err)
	}
	ref, _, err := gh.Git.GetRef(ctx, "acme", "api", "tags/v1.0.0")
	if err != nil || ref.GetObject().GetSHA() != sha {
		t.Errorf("tag ref = %+v, %v", ref, err)
	}
	open, _, err := gh.Issues.ListByRepo(ctx, "acme", "api", &github.IssueListByRepoOptions{Creator: "bob"})
	if err != nil || len(open) != 1 || open[0].GetTitle() != "open one" {
		t.Errorf("bob's open issues = %+v, %v", open, err)
	}
	all, _, err := gh.Issues.ListByRepo(ctx, "acme", "api", &github.IssueListByRepoOptions{State: "all", ListOptions: github.ListOptions{PerPage: 1}})
	if err != nil || len(all) != 1 || all[0].GetTitle() != "closed one" {
		t.Errorf("first page of all issues = %+v, %v", all, err)
	}
	_, resp, err := gh.Issues.ListByRepo(ctx, "acme", "api", &github.IssueListByRepoOptions{State: "all", ListOptions: github.ListOptions{PerPage: 1}})
	if err != nil || resp.NextPage != 2 || resp.LastPage != 2 {
		t.Errorf("pagination = next %d last %d, %v", resp.NextPage, resp.LastPage, err)
	}
	if _, _, err := gh.Repositories.GetPermissionLevel(ctx, "acme", "api", "stranger"); err == nil {
		t.Errorf("permission of a non-collaborator was found")
	}
	noViolations(t, srv)
}
