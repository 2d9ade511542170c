package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeoidc"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/oidc"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/handlers"
)

const actionsAudience = "https://golive.example.com"

// actionsRig is a tracking rig with golive's Action endpoint in front of it
// and a fake Actions OIDC provider issuing the job's tokens.
type actionsRig struct {
	*trackingRig
	issuer *fakeoidc.Issuer
	url    string
}

func newActionsRig(t *testing.T) *actionsRig {
	t.Helper()
	tr := newTrackingRig(t)
	tr.storeInstallation(t)
	is := fakeoidc.New(clock.System{}, map[string]any{"repository": trackedRepo, "repository_id": "7", "run_id": "5501",
		"run_attempt": "1", "actor": "deployer", "sha": strings.Repeat("c", 40)})
	t.Cleanup(is.Close)
	h := &handlers.ActionEvents{
		Verifier: &oidc.Verifier{Issuer: is.URL(), Audience: actionsAudience, Clock: clock.System{}},
		Repos:    tr.cmds,
		RunURL:   func(repo, runID string) string { return ghclient.RunURL(tr.gh.URL, repo, runID) },
		Ingester: tr.ingester, Clock: clock.System{}, Logger: slog.New(slog.NewTextHandler(tr.logs, nil)),
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &actionsRig{trackingRig: tr, issuer: is, url: srv.URL}
}

// storeInstallation records the fake's installation and repository as the
// installation events would.
func (tr *trackingRig) storeInstallation(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	if err := tr.store.UpsertInstallation(ctx, store.Installation{ID: installation, AccountLogin: "acme", AccountType: "Organization"}); err != nil {
		t.Fatal(err)
	}
	if err := tr.store.AddRepositories(ctx, installation, []store.Repository{{ID: trackedRepoID, InstallationID: installation, FullName: trackedRepo}}); err != nil {
		t.Fatal(err)
	}
}

// token is what the job's token request returns for golive's audience.
func (ar *actionsRig) token(t *testing.T, aud string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ar.issuer.RequestURL()+"&audience="+aud, nil)
	req.Header.Set("Authorization", "bearer "+fakeoidc.RequestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Value string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.Value
}

func (ar *actionsRig) postEvent(t *testing.T, token string, body any) (int, map[string]string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, ar.url, bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// openGoLive opens go-live issue number for staging, whose successful
// deploys tick deployed-staging, with a Slack thread in #deploys.
func (ar *actionsRig) openGoLive(t *testing.T, number int) store.GoLive {
	t.Helper()
	ar.gh.PutFile(trackedRepo, ".github/golive.yml", stagingTickConfig)
	body := strings.Replace(formBody(inTenDays()), "production", "staging", 1)
	ar.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: number, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	ar.send(t, "", ar.issueEvent(t, "opened", number, body, nil, "alice"))
	ar.settle(t)
	ctx := context.Background()
	g, err := ar.store.GetGoLive(ctx, trackedRepoID, number)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ar.slack.Seed(fakeslack.Message{Channel: "CDEPLOYS", Text: "Go-live thread"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ar.store.BeginSlackThread(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := ar.store.SetSlackThread(ctx, g.ID, "CDEPLOYS", ts, "Go-live thread"); err != nil {
		t.Fatal(err)
	}
	g, _ = ar.store.GetGoLiveByID(ctx, g.ID)
	return g
}

func (ar *actionsRig) threadReplies(g store.GoLive) []string {
	var out []string
	for _, m := range ar.slack.Messages("CDEPLOYS") {
		if m.ThreadTS == g.SlackThreadTS && m.TS != g.SlackThreadTS {
			out = append(out, m.Text)
		}
	}
	return out
}

// A successful deploy reported by the Action ticks the environment's
// tick_on_success items (audited as the run's actor) and updates the Slack
// thread; the same report sent again takes effect once.
func TestActionReportTicksItemsAndUpdatesTheThread(t *testing.T) {
	ar := newActionsRig(t)
	g := ar.openGoLive(t, 51)
	tok := ar.token(t, actionsAudience)
	report := map[string]any{"kind": "report", "issue": 51, "environment": "staging", "outcome": "success",
		"sha": strings.Repeat("c", 40), "duration_seconds": 95}
	code, out := ar.postEvent(t, tok, report)
	if code != http.StatusAccepted || out["status"] != "accepted" {
		t.Fatalf("report: %d %v", code, out)
	}
	// The Action retries after a lost answer: the same run's same report.
	code, again := ar.postEvent(t, tok, report)
	if code != http.StatusAccepted || again["status"] != "duplicate" || again["delivery"] != out["delivery"] {
		t.Fatalf("repeated report: %d %v (first %v)", code, again, out)
	}
	ar.settle(t)
	is, _ := ar.gh.GetIssue(trackedRepo, 51)
	if !strings.Contains(is.Body, "- [x] Deployed to staging") || !strings.Contains(is.Body, "- [ ] Smoke tests pass") {
		t.Fatalf("issue body after the report:\n%s", is.Body)
	}
	audit, _ := ar.store.Audit(context.Background(), g.ID)
	ticks := 0
	for _, a := range audit {
		if a.Action == "tick" && a.ItemID == "deployed-staging" {
			ticks++
			if a.Actor != "@deployer" || !strings.Contains(a.Detail, "workflow run 5501") {
				t.Fatalf("tick audited as %q (%q), want @deployer with the run", a.Actor, a.Detail)
			}
		}
	}
	if ticks != 1 {
		t.Fatalf("%d tick audit entries, want 1: %+v", ticks, audit)
	}
	replies := ar.threadReplies(g)
	if len(replies) != 1 {
		t.Fatalf("thread replies %q, want one", replies)
	}
	for _, want := range []string{"✅", "`ccccccc`", "`staging`", "succeeded", "1m35s", "/acme/api/actions/runs/5501", "deployer"} {
		if !strings.Contains(replies[0], want) {
			t.Errorf("thread reply %q lacks %q", replies[0], want)
		}
	}
}

// A tripped rollback trigger reaches the go-live's thread, found by its
// environment when no issue is given.
func TestActionWatchTripPostsToTheThread(t *testing.T) {
	ar := newActionsRig(t)
	g := ar.openGoLive(t, 52)
	code, out := ar.postEvent(t, ar.token(t, actionsAudience), map[string]any{"kind": "watch", "environment": "staging",
		"sha": strings.Repeat("c", 40), "reason": "error rate 7.0% > 5.0%", "rollback": "rollback.yml"})
	if code != http.StatusAccepted {
		t.Fatalf("watch event: %d %v", code, out)
	}
	ar.settle(t)
	replies := ar.threadReplies(g)
	if len(replies) != 1 || !strings.Contains(replies[0], "🚨") || !strings.Contains(replies[0], "error rate 7.0% &gt; 5.0%") ||
		!strings.Contains(replies[0], "`rollback.yml` dispatched") {
		t.Fatalf("thread replies %q", replies)
	}
	is, _ := ar.gh.GetIssue(trackedRepo, 52)
	if strings.Contains(is.Body, "- [x]") {
		t.Fatalf("a watch event ticked items:\n%s", is.Body)
	}
}

// Refused requests say why and keep nothing.
func TestActionEventsRefuse(t *testing.T) {
	ar := newActionsRig(t)
	good := map[string]any{"kind": "report", "issue": 1, "outcome": "success"}
	otherRepo := fakeoidc.New(clock.System{}, map[string]any{"repository": "acme/elsewhere", "run_id": "1", "actor": "x"})
	defer otherRepo.Close()
	cases := []struct {
		name   string
		token  string
		body   any
		status int
		want   string
	}{
		{"no token", "", good, http.StatusUnauthorized, "id-token: write"},
		{"token for another audience", ar.token(t, "https://other.example.com"), good, http.StatusUnauthorized, "audience"},
		{"token from another issuer", otherRepo.Sign(map[string]any{"repository": trackedRepo, "aud": actionsAudience}, time.Now()), good, http.StatusUnauthorized, "invalid actions token"},
		{"unknown field", ar.token(t, actionsAudience), map[string]any{"kind": "report", "issue": 1, "outcome": "success", "repo": "acme/other"}, http.StatusBadRequest, "unknown field"},
		{"bad outcome", ar.token(t, actionsAudience), map[string]any{"kind": "report", "issue": 1, "outcome": "meh"}, http.StatusBadRequest, `outcome "meh"`},
		{"bad kind", ar.token(t, actionsAudience), map[string]any{"kind": "deploy", "issue": 1}, http.StatusBadRequest, `kind "deploy"`},
		{"no target", ar.token(t, actionsAudience), map[string]any{"kind": "report", "outcome": "success"}, http.StatusBadRequest, "give issue, or environment"},
		{"bad sha", ar.token(t, actionsAudience), map[string]any{"kind": "report", "issue": 1, "outcome": "success", "sha": "main;rm"}, http.StatusBadRequest, "not a commit SHA"},
		{"watch without reason", ar.token(t, actionsAudience), map[string]any{"kind": "watch", "issue": 1}, http.StatusBadRequest, "reason"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := ar.postEvent(t, tc.token, tc.body)
			if code != tc.status || !strings.Contains(out["error"], tc.want) {
				t.Fatalf("%d %q, want %d mentioning %q", code, out["error"], tc.status, tc.want)
			}
		})
	}
	// A repository golive is not installed on.
	elsewhere := fakeoidc.New(clock.System{}, map[string]any{"repository": "acme/elsewhere", "run_id": "1", "actor": "x"})
	defer elsewhere.Close()
	ar2 := *ar
	ar2.issuer = elsewhere
	h := &handlers.ActionEvents{Verifier: &oidc.Verifier{Issuer: elsewhere.URL(), Audience: actionsAudience, Clock: clock.System{}},
		Repos: ar.cmds, RunURL: func(string, string) string { return "" }, Ingester: ar.ingester, Clock: clock.System{}, Logger: slog.New(slog.NewTextHandler(ar.logs, nil))}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ar2.url = srv.URL
	if code, out := ar2.postEvent(t, ar2.token(t, actionsAudience), good); code != http.StatusForbidden || !strings.Contains(out["error"], `"acme/elsewhere"`) {
		t.Fatalf("uninstalled repository: %d %v", code, out)
	}
	if n, _ := ar.store.CountDeliveries(context.Background(), store.DeliveryPending); n != 0 {
		t.Fatalf("%d refused events were kept", n)
	}
}
