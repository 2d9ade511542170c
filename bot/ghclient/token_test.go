package ghclient_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
)

const (
	tokenRepoName = "acme/shop"
	tokenInstall  = 77
)

// tokenWorld is a fake GitHub holding acme/shop, installed as tokenInstall,
// and a Repo on it made by NewTokenRepo with one of the installation's
// tokens, as a workflow's GITHUB_TOKEN would be.
type tokenWorld struct {
	gh    *fakegithub.Server
	m     *metrics.Metrics
	token string
	r     *ghclient.Repo
}

func newTokenWorld(t *testing.T) *tokenWorld {
	t.Helper()
	w := &tokenWorld{gh: fakegithub.New(fakegithub.Options{T: t}), m: metrics.New()}
	w.gh.AddRepo(tokenRepoName, fakegithub.RepoOpts{})
	w.gh.AddInstallation(tokenInstall, "acme", "Organization", tokenRepoName)
	w.token = w.gh.InstallationToken(tokenInstall)
	r, err := ghclient.NewTokenRepo(w.gh.URL, w.token, tokenRepoName, w.m)
	if err != nil {
		t.Fatal(err)
	}
	w.r = r
	t.Cleanup(func() {
		if v := w.gh.Violations(); len(v) != 0 {
			t.Errorf("requests outside GitHub's OpenAPI description: %+v", v)
		}
		if errs := w.gh.CheckResponses(); len(errs) != 0 {
			t.Errorf("fake answered off-spec: %v", errs)
		}
	})
	return w
}

// gauge is the value of the series name{labels} in w's registry (0 if
// none), and whether it exists.
func (w *tokenWorld) series(t *testing.T, name string, labels ...string) (float64, bool) {
	t.Helper()
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	families, err := w.m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(want) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if want[lp.GetName()] != lp.GetValue() {
					continue series
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func TestNewTokenRepoAuthenticatesAndSharesTheChain(t *testing.T) {
	w := newTokenWorld(t)
	w.gh.PutFile(tokenRepoName, ".github/golive.yml", "version: 1\n")
	ctx := context.Background()
	for i := range 2 {
		data, found, err := w.r.File(ctx, "acme", "shop", ".github/golive.yml")
		if err != nil || !found || string(data) != "version: 1\n" {
			t.Fatalf("read %d: %q %v %v", i+1, data, found, err)
		}
	}
	var calls []fakegithub.Call
	for _, c := range w.gh.Calls() {
		if c.Route == "/repos/{owner}/{repo}/contents/{path}" {
			calls = append(calls, c)
		}
	}
	if len(calls) != 2 {
		t.Fatalf("%d contents calls, want 2", len(calls))
	}
	for _, c := range calls {
		if c.Auth != "installation" || c.InstallationID != tokenInstall {
			t.Errorf("call authenticated as %q/%d, want the installation's token", c.Auth, c.InstallationID)
		}
		if got := c.Header.Get("Authorization"); got != "token "+w.token {
			t.Errorf("Authorization %q, want the token scheme", got)
		}
	}
	// The conditional cache of installation clients: the second read is
	// conditional and GitHub's 304 comes back as the stored 200.
	if calls[1].Header.Get("If-None-Match") == "" || calls[1].Status != 304 {
		t.Errorf("second read: If-None-Match %q, status %d; want a conditional read answered 304",
			calls[1].Header.Get("If-None-Match"), calls[1].Status)
	}
	// Metrics, as for installation clients, under the label "token".
	if n, _ := w.series(t, "golive_github_api_calls_total", "route", "/repos/{owner}/{repo}/contents/{path}", "method", "GET", "code", "200"); n != 2 {
		t.Errorf("contents calls counted with code 200: %v, want 2 (the 304 is counted as the 200 it became)", n)
	}
	if _, ok := w.series(t, "golive_github_rate_limit_remaining", "installation", "token"); !ok {
		t.Error("no remaining rate limit recorded under the installation label \"token\"")
	}
}

func TestNewTokenRepoRefusesBadArguments(t *testing.T) {
	const secret = "ghs_notARealTokenButTreatedAsOne"
	for _, c := range []struct {
		name, base, token, repo, want string
	}{
		{"no slash", "", secret, "acme", "not owner/name"},
		{"too many slashes", "", secret, "acme/shop/x", "not owner/name"},
		{"empty token", "", "  ", "acme/shop", "the token is empty"},
		{"token with a space", "", "ghs_a b" + secret, "acme/shop", "white space"},
		{"relative base", "api.github.com", secret, "acme/shop", "absolute http or https url"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ghclient.NewTokenRepo(c.base, c.token, c.repo, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want one saying %q", err, c.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error repeats the token: %v", err)
			}
		})
	}
	r, err := ghclient.NewTokenRepo("", secret, "acme/shop", nil)
	if err != nil || r.FullName() != "acme/shop" {
		t.Fatalf("default base URL: %v, %v", r, err)
	}
}

func TestNewTokenRepoBadTokenIsRefusedWithoutEchoingIt(t *testing.T) {
	w := newTokenWorld(t)
	const bad = "ghs_expiredOrMadeUp0000000000000000000"
	// GITHUB_API_URL has no trailing slash.
	r, err := ghclient.NewTokenRepo(strings.TrimSuffix(w.gh.URL, "/"), bad, tokenRepoName, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Issue(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err %v, want GitHub's 401", err)
	}
	if strings.Contains(err.Error(), bad) || ghclient.IsTransient(err) {
		t.Errorf("err %v: repeats the token or is transient", err)
	}
}

func TestTokenRepoIssues(t *testing.T) {
	w := newTokenWorld(t)
	ctx := context.Background()
	first := w.gh.AddIssue(tokenRepoName, fakegithub.Issue{Title: "Go-live A", Body: "a", Labels: []string{"golive", "p1"}})
	w.gh.AddIssue(tokenRepoName, fakegithub.Issue{Title: "Other", Labels: []string{"bug"}})
	w.gh.AddIssue(tokenRepoName, fakegithub.Issue{Title: "Closed", Labels: []string{"golive"}, State: "closed"})
	pr := w.gh.AddPullRequest(tokenRepoName, fakegithub.PullRequest{Title: "PR", Head: "feature", HeadSHA: strings.Repeat("a", 40)})
	// Its issue side, labelled like a go-live.
	w.gh.AddIssue(tokenRepoName, fakegithub.Issue{Number: pr.Number, Title: "PR", Labels: []string{"golive"}, PullRequest: true})
	// More than one page of them.
	for i := range 104 {
		w.gh.AddIssue(tokenRepoName, fakegithub.Issue{Title: fmt.Sprintf("Go-live %d", i), Labels: []string{"golive"}})
	}

	is, err := w.r.Issue(ctx, first.Number)
	if err != nil {
		t.Fatal(err)
	}
	if is.Number != first.Number || is.Title != "Go-live A" || is.Body != "a" || is.State != "open" ||
		!slices.Equal(is.Labels, []string{"golive", "p1"}) || !strings.HasSuffix(is.HTMLURL, fmt.Sprintf("/acme/shop/issues/%d", first.Number)) {
		t.Errorf("Issue: %+v", is)
	}
	if _, err := w.r.Issue(ctx, 9999); !errors.Is(err, ghclient.ErrIssueNotFound) {
		t.Errorf("missing issue: %v, want ErrIssueNotFound", err)
	}
	if _, err := w.r.Issue(ctx, pr.Number); !errors.Is(err, ghclient.ErrIssueNotFound) {
		t.Errorf("pull request as an issue: %v, want ErrIssueNotFound", err)
	}

	open, err := w.r.OpenIssues(ctx, "golive")
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 105 {
		t.Fatalf("%d open go-live issues, want 105 (not the closed one, not the pull request, all pages)", len(open))
	}
	if open[0].Number != first.Number {
		t.Errorf("first is #%d, want the oldest #%d", open[0].Number, first.Number)
	}
	for _, is := range open {
		if is.Number == pr.Number || is.Title == "Closed" || is.Title == "Other" {
			t.Errorf("listed %+v", is)
		}
	}
}

func TestTokenRepoVariableAndSecretNames(t *testing.T) {
	w := newTokenWorld(t)
	ctx := context.Background()
	var vars []fakegithub.Variable
	for i := range 35 { // two pages of 30
		vars = append(vars, fakegithub.Variable{Name: fmt.Sprintf("V%02d", i), Value: "secret-ish value"})
	}
	w.gh.AddEnvironment(tokenRepoName, fakegithub.Environment{Name: "prod/eu", Variables: vars, Secrets: []string{"DB_PASSWORD", "API_KEY"}})
	w.gh.SetRepoVariable(tokenRepoName, "REGION", "eu")
	w.gh.AddRepoSecret(tokenRepoName, "SENTRY_DSN")

	got, err := w.r.EnvironmentVariableNames(ctx, "prod/eu")
	if err != nil || len(got) != 35 || got[0] != "V00" || got[34] != "V34" {
		t.Errorf("environment variables: %v (%d) %v", got, len(got), err)
	}
	if got, err := w.r.EnvironmentSecretNames(ctx, "prod/eu"); err != nil || !slices.Equal(got, []string{"API_KEY", "DB_PASSWORD"}) {
		t.Errorf("environment secrets: %v %v", got, err)
	}
	if got, err := w.r.VariableNames(ctx); err != nil || !slices.Equal(got, []string{"REGION"}) {
		t.Errorf("repository variables: %v %v", got, err)
	}
	if got, err := w.r.SecretNames(ctx); err != nil || !slices.Equal(got, []string{"SENTRY_DSN"}) {
		t.Errorf("repository secrets: %v %v", got, err)
	}
	if _, err := w.r.EnvironmentVariableNames(ctx, "nowhere"); !errors.Is(err, ghclient.ErrEnvironmentNotFound) {
		t.Errorf("missing environment: %v, want ErrEnvironmentNotFound", err)
	}
	if _, err := w.r.EnvironmentSecretNames(ctx, "nowhere"); !errors.Is(err, ghclient.ErrEnvironmentNotFound) {
		t.Errorf("missing environment: %v, want ErrEnvironmentNotFound", err)
	}

	// A token without the secrets permission, like a workflow's
	// GITHUB_TOKEN.
	w.gh.SetInstallationPermissions(tokenInstall, map[string]string{"metadata": "read", "issues": "write", "contents": "read"})
	weak, err := ghclient.NewTokenRepo(w.gh.URL, w.gh.InstallationToken(tokenInstall), tokenRepoName, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := weak.SecretNames(ctx); !errors.Is(err, ghclient.ErrForbidden) || ghclient.IsTransient(err) {
		t.Errorf("secrets without permission: %v, want a permanent ErrForbidden", err)
	}
	if _, err := weak.EnvironmentVariableNames(ctx, "prod/eu"); !errors.Is(err, ghclient.ErrForbidden) {
		t.Errorf("environment variables without permission: %v, want ErrForbidden", err)
	}
}
