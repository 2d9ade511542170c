package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeoidc"
	"github.com/golive-dev/golive/bot/oidc"
	"github.com/golive-dev/golive/handlers"
)

// tickConfig ticks the built-in checklist's smoke-test item when a deploy
// to production succeeds.
const tickConfig = actionConfig + `    tick_on_success: [deploy.smoke-health]
`

// goliveServer stands in for golive's /api/actions/events: it verifies each
// request's token as the server does and decodes the body into the
// server's own request type, answering with the statuses queued in answers
// (202 accepted once they run out).
type goliveServer struct {
	*httptest.Server
	issuer *fakeoidc.Issuer

	mu       sync.Mutex
	answers  []int
	events   []handlers.ActionEventRequest
	claims   []oidc.Claims
	attempts int
}

func newGoliveServer(t *testing.T, answers ...int) *goliveServer {
	t.Helper()
	s := &goliveServer{answers: answers, issuer: fakeoidc.New(clock.System{}, map[string]any{
		"repository": actionRepo, "run_id": actionRunID, "run_attempt": "1", "actor": "deployer"})}
	t.Cleanup(s.issuer.Close)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.attempts++
		if r.Method != http.MethodPost || r.URL.Path != "/api/actions/events" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		v := &oidc.Verifier{Issuer: s.issuer.URL(), Audience: oidc.Audience(s.URL), Clock: clock.System{}}
		c, err := v.Verify(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		var ev handlers.ActionEventRequest
		if err := dec.Decode(&ev); err != nil {
			t.Errorf("the step sent a body the server cannot read: %v", err)
		}
		status := http.StatusAccepted
		if len(s.answers) > 0 {
			status, s.answers = s.answers[0], s.answers[1:]
		}
		if status != http.StatusAccepted {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf("answer %d", status)})
			return
		}
		s.events, s.claims = append(s.events, ev), append(s.claims, c)
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]string{"status": "accepted", "delivery": "action:1"})
	}))
	t.Cleanup(s.Close)
	return s
}

// oidcVars are the runner's variables of a job with id-token: write.
func (s *goliveServer) oidcVars() []string {
	return []string{"ACTIONS_ID_TOKEN_REQUEST_URL", s.issuer.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN", fakeoidc.RequestToken}
}

func (s *goliveServer) received() ([]handlers.ActionEventRequest, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]handlers.ActionEventRequest(nil), s.events...), s.attempts
}

func noWait(t *testing.T) *[]time.Duration {
	var waits []time.Duration
	old := actionSleep
	actionSleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }
	t.Cleanup(func() { actionSleep = old })
	return &waits
}

// With a server, report comments on the issue and tells the server, which
// ticks the items and updates Slack; the step ticks nothing itself. A
// server briefly unavailable is tried again with the same report.
func TestActionReportThroughTheServer(t *testing.T) {
	waits := noWait(t)
	w := newActionWorld(t, tickConfig)
	body := goLiveBody(t, tickConfig, "production", nil)
	is := w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: body})
	srv := newGoliveServer(t, http.StatusServiceUnavailable)
	sha := strings.Repeat("9f", 20)
	r := w.runAction(t, "report", map[string]string{"environment": "production", "issue": fmt.Sprint(is.Number),
		"outcome": "success", "sha": sha, "server_url": srv.URL + "/"}, srv.oidcVars()...)
	wantCode(t, r, 0, "reported")
	events, attempts := srv.received()
	if attempts != 2 || len(events) != 1 || len(*waits) != 1 || (*waits)[0] != time.Second {
		t.Fatalf("%d attempts, events %+v, waits %v; want one retry after Retry-After: 1", attempts, events, *waits)
	}
	ev := events[0]
	if ev.Kind != "report" || ev.Issue != is.Number || ev.Environment != "production" || ev.Outcome != "success" || ev.SHA != sha {
		t.Errorf("event %+v", ev)
	}
	if res := r.result(t); res["server"] != "accepted" || res["ticked"] != nil {
		t.Errorf("result %s", r.outputs["result"])
	}
	if got, _ := w.gh.GetIssue(actionRepo, is.Number); got.Body != body {
		t.Errorf("the step edited the issue although the server ticks:\n%s", got.Body)
	}
	if len(w.gh.Comments(actionRepo, is.Number)) != 1 {
		t.Error("no report comment")
	}
}

// Without a server, a successful report ticks the environment's
// tick_on_success items on the issue through the GitHub API.
func TestActionReportTicksItemsWithoutAServer(t *testing.T) {
	w := newActionWorld(t, tickConfig)
	is := w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, tickConfig, "production", nil)})
	r := w.runAction(t, "report", map[string]string{"environment": "production", "issue": fmt.Sprint(is.Number), "outcome": "success"})
	wantCode(t, r, 0, "reported")
	got, _ := w.gh.GetIssue(actionRepo, is.Number)
	if n := strings.Count(got.Body, "- [x] "); n != 1 || !strings.Contains(r.summary, "Ticked on the go-live: `deploy.smoke-health`") {
		t.Fatalf("%d ticked items; summary:\n%s\nbody:\n%s", n, r.summary, got.Body)
	}
	// A failed deploy ticks nothing.
	r = w.runAction(t, "report", map[string]string{"environment": "production", "issue": fmt.Sprint(is.Number), "outcome": "failure"})
	wantCode(t, r, 0, "reported")
	if again, _ := w.gh.GetIssue(actionRepo, is.Number); again.Body != got.Body {
		t.Error("a failed deploy changed the checklist")
	}
}

// A server that refuses the report, or a job that cannot prove itself,
// does not lose it: the step ticks the items itself and warns.
func TestActionReportFallsBackWhenTheServerRefuses(t *testing.T) {
	waits := noWait(t)
	for _, tc := range []struct {
		name    string
		answers []int
		oidc    bool
		want    string
	}{
		{"refused", []int{http.StatusForbidden}, true, "refused the report (403)"},
		{"no id-token permission", nil, false, "id-token: write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newActionWorld(t, tickConfig)
			is := w.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, tickConfig, "production", nil)})
			srv := newGoliveServer(t, tc.answers...)
			var extra []string
			if tc.oidc {
				extra = srv.oidcVars()
			}
			*waits = nil
			r := w.runAction(t, "report", map[string]string{"environment": "production", "issue": fmt.Sprint(is.Number),
				"outcome": "success", "server_url": srv.URL}, extra...)
			wantCode(t, r, 0, "reported")
			if !strings.Contains(r.stderr, "::warning::") || !strings.Contains(r.outputs["reason"], tc.want) {
				t.Errorf("reason %q, stderr %q", r.outputs["reason"], r.stderr)
			}
			if len(*waits) != 0 {
				t.Errorf("a refusal was retried: waits %v", *waits)
			}
			got, _ := w.gh.GetIssue(actionRepo, is.Number)
			if strings.Count(got.Body, "- [x] ") != 1 {
				t.Errorf("the fallback did not tick the item:\n%s", got.Body)
			}
		})
	}
}

// A tripped watch tells the server, so the Slack thread hears of it.
func TestActionWatchTellsTheServer(t *testing.T) {
	noWait(t)
	w := newActionWorld(t, actionConfig)
	w.gh.AddWorkflow(actionRepo, fakegithub.Workflow{Path: ".github/workflows/rollback.yml", Name: "Rollback", Inputs: rollbackInputs})
	prom := fakePrometheus(t, "0.07", "0.25")
	srv := newGoliveServer(t)
	r := w.runAction(t, "watch", map[string]string{"prometheus_url": prom.URL, "error_rate_query": "rate(errors)", "latency_query": "p95",
		"window": "10m", "interval": "1s",
		"environment": "production", "rollback_workflow": "rollback.yml", "rollback_sha": strings.Repeat("0", 40),
		"server_url": srv.URL}, srv.oidcVars()...)
	wantCode(t, r, 1, "tripped")
	events, _ := srv.received()
	if len(events) != 1 || events[0].Kind != "watch" || events[0].Environment != "production" || events[0].Rollback != "rollback.yml" ||
		!strings.Contains(events[0].Reason, "error rate") || events[0].SHA != strings.Repeat("ab", 20) {
		t.Fatalf("events %+v", events)
	}
	if r.result(t)["server"] != "accepted" {
		t.Errorf("result %s", r.outputs["result"])
	}
}

func TestActionServerURLMustBeHTTP(t *testing.T) {
	w := newActionWorld(t, actionConfig)
	r := w.runAction(t, "report", map[string]string{"issue": "1", "outcome": "success", "server_url": "golive.example.com"})
	wantCode(t, r, 2, "error")
	if !strings.Contains(r.outputs["reason"], "`server_url`") {
		t.Errorf("reason %q", r.outputs["reason"])
	}
}
