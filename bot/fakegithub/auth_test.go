package fakegithub

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/clock"
)

func decodeMessage(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding error body: %v", err)
	}
	if body.DocumentationURL == "" {
		t.Errorf("error body has no documentation_url")
	}
	return body.Message
}

func TestAuthFailures(t *testing.T) {
	start := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	srv := newTestServer(t, Options{Clock: clk})
	srv.AddRepo(otherRepo, RepoOpts{})
	tok := srv.InstallationToken(testInstall)
	jwt := srv.AppJWT()

	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	now := start.Unix()
	claims := func(iss any, iat, exp int64) map[string]any {
		return map[string]any{"iss": iss, "iat": iat, "exp": exp}
	}

	tests := []struct {
		name       string
		method     string
		path       string
		auth       string
		wantStatus int
		wantMsg    string
	}{
		{"no credentials on a repo route", "GET", "repos/acme/api", "", 401, "Bad credentials"},
		{"unknown token", "GET", "repos/acme/api", "token ghs_doesnotexist000000000000000000000", 401, "Bad credentials"},
		{"garbage scheme", "GET", "repos/acme/api", "Basic Zm9vOmJhcg==", 401, "Bad credentials"},
		{"token as Bearer works", "GET", "repos/acme/api", "Bearer " + tok, 200, ""},
		{"token scheme works", "GET", "repos/acme/api", "token " + tok, 200, ""},
		{"repo of another installation", "GET", "repos/globex/web", "token " + tok, 404, "Not Found"},
		{"unknown repo", "GET", "repos/acme/nope", "token " + tok, 404, "Not Found"},
		{"JWT on a repo route", "GET", "repos/acme/api", "Bearer " + jwt, 403, "Resource not accessible by integration"},
		{"no credentials on /app", "GET", "app", "", 401, "Bad credentials"},
		{"installation token on /app", "GET", "app", "token " + tok, 401, "A JSON web token could not be decoded"},
		{"JWT signed by another key", "GET", "app", "Bearer " + signJWT(otherKey, claims("1001", now-30, now+300)), 401, "Bad credentials"},
		{"JWT with numeric iss", "GET", "app", "Bearer " + signJWT(srv.key, claims(1001, now-30, now+300)), 200, ""},
		{"JWT of another app", "GET", "app", "Bearer " + signJWT(srv.key, claims("77", now-30, now+300)), 401, "Integration not found"},
		{"expired JWT", "GET", "app", "Bearer " + signJWT(srv.key, claims("1001", now-700, now-10)), 401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"},
		{"JWT living too long", "GET", "app", "Bearer " + signJWT(srv.key, claims("1001", now, now+3600)), 401, "'Expiration time' claim ('exp') is too far in the future"},
		{"JWT issued in the future", "GET", "app", "Bearer " + signJWT(srv.key, claims("1001", now+600, now+700)), 401, "'Issued at' claim ('iat') must be an Integer representing a time in the past"},
		{"token for an unknown installation", "POST", "app/installations/999/access_tokens", "Bearer " + jwt, 404, "Not Found"},
		{"manifest conversion needs no credentials", "POST", "app-manifests/unknown/conversions", "", 404, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, srv, tt.method, tt.path, tt.auth, nil)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantMsg != "" {
				if got := decodeMessage(t, resp); got != tt.wantMsg {
					t.Errorf("message = %q, want %q", got, tt.wantMsg)
				}
			}
			if resp.Header.Get("X-GitHub-Request-Id") == "" || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" || resp.Header.Get("X-RateLimit-Limit") == "" {
				t.Errorf("GitHub headers missing: %v", resp.Header)
			}
		})
	}

	t.Run("token expires after an hour", func(t *testing.T) {
		clk.Advance(59 * time.Minute)
		if resp := do(t, srv, "GET", "repos/acme/api", "token "+tok, nil); resp.StatusCode != 200 {
			t.Fatalf("status before expiry = %d", resp.StatusCode)
		}
		clk.Advance(time.Minute)
		if resp := do(t, srv, "GET", "repos/acme/api", "token "+tok, nil); resp.StatusCode != 401 {
			t.Fatalf("status after expiry = %d, want 401", resp.StatusCode)
		}
	})

	t.Run("suspended installation", func(t *testing.T) {
		fresh := srv.InstallationToken(testInstall)
		srv.SuspendInstallation(testInstall, true)
		defer srv.SuspendInstallation(testInstall, false)
		if resp := do(t, srv, "GET", "repos/acme/api", "token "+fresh, nil); resp.StatusCode != 403 {
			t.Errorf("status = %d, want 403", resp.StatusCode)
		}
	})
}

func TestCallsRecordInstallation(t *testing.T) {
	srv := newTestServer(t, Options{})
	ctx := context.Background()
	a := installationClient(t, srv, testInstall)
	b := installationClient(t, srv, otherInstall)
	if _, _, err := a.Repositories.Get(ctx, "acme", "api"); err != nil {
		t.Fatalf("get as %d: %v", testInstall, err)
	}
	if _, _, err := b.Repositories.Get(ctx, "globex", "web"); err != nil {
		t.Fatalf("get as %d: %v", otherInstall, err)
	}
	calls := srv.CallsTo("GET", "/repos/{owner}/{repo}")
	if len(calls) != 2 {
		t.Fatalf("calls = %d, want 2", len(calls))
	}
	if calls[0].InstallationID != testInstall || calls[1].InstallationID != otherInstall || calls[0].Auth != "installation" {
		t.Errorf("installations = %d, %d (%s)", calls[0].InstallationID, calls[1].InstallationID, calls[0].Auth)
	}
	if tokens := srv.CallsTo("POST", "/app/installations/{installation_id}/access_tokens"); len(tokens) != 2 || tokens[0].Auth != "app" {
		t.Errorf("token calls = %+v", tokens)
	}
	if calls[0].Params["owner"] != "acme" || calls[0].Status != 200 || calls[0].Time.IsZero() {
		t.Errorf("call = %+v", calls[0])
	}
	srv.ResetCalls()
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("calls after reset = %d", n)
	}
}

// TestTokenRestrictions checks that a token restricted to some repositories
// or permissions is held to them, as GitHub does.
func TestTokenRestrictions(t *testing.T) {
	srv := newTestServer(t, Options{})
	srv.AddInstallation(testInstall, testOrg, "Organization", "acme/web")
	ctx := context.Background()
	app := appClient(t, srv)

	tok, _, err := app.Apps.CreateInstallationToken(ctx, testInstall, &github.InstallationTokenOptions{
		Repositories: []string{"web"},
		Permissions:  &github.InstallationPermissions{Issues: github.String("read")},
	})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	if tok.GetPermissions().GetIssues() != "read" || tok.GetPermissions().GetContents() != "" {
		t.Errorf("permissions = %+v", tok.GetPermissions())
	}
	auth := "token " + tok.GetToken()
	if resp := do(t, srv, "GET", "repos/acme/api", auth, nil); resp.StatusCode != 404 {
		t.Errorf("repo outside the token = %d, want 404", resp.StatusCode)
	}
	srv.AddIssue("acme/web", Issue{Title: "x"})
	if resp := do(t, srv, "GET", "repos/acme/web/issues/1", auth, nil); resp.StatusCode != 200 {
		t.Errorf("read issue = %d, want 200", resp.StatusCode)
	}
	resp := do(t, srv, "POST", "repos/acme/web/issues/1/comments", auth, []byte(`{"body":"hi"}`))
	if resp.StatusCode != 403 || decodeMessage(t, resp) != "Resource not accessible by integration" {
		t.Errorf("write with a read-only token = %d", resp.StatusCode)
	}

	_, _, err = app.Apps.CreateInstallationToken(ctx, testInstall, &github.InstallationTokenOptions{Repositories: []string{"web", "secret-repo"}})
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 422 {
		t.Errorf("token for an inaccessible repo: %v, want 422", err)
	}
	srv.SetInstallationPermissions(testInstall, map[string]string{"metadata": "read", "issues": "read"})
	_, _, err = app.Apps.CreateInstallationToken(ctx, testInstall, &github.InstallationTokenOptions{Permissions: &github.InstallationPermissions{Issues: github.String("write")}})
	if !errors.As(err, &er) || er.Response.StatusCode != 422 {
		t.Errorf("token with ungranted permission: %v, want 422", err)
	}
}

// TestFakeClockWithWallClockJWT shows the JWTClock option: the fake's clock
// is far from the wall clock that ghinstallation signs with.
func TestFakeClockWithWallClockJWT(t *testing.T) {
	clk := clock.NewFake(time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := newTestServer(t, Options{Clock: clk, JWTClock: clock.System{}})
	gh := installationClient(t, srv, testInstall)
	if _, _, err := gh.Repositories.Get(context.Background(), "acme", "api"); err != nil {
		t.Fatalf("get repo: %v", err)
	}
	tokCall := srv.CallsTo("POST", "/app/installations/{installation_id}/access_tokens")[0]
	var tok github.InstallationToken
	if err := json.Unmarshal(tokCall.Response, &tok); err != nil {
		t.Fatalf("decoding token: %v", err)
	}
	if want := clk.Now().Add(time.Hour); !tok.GetExpiresAt().Time.Equal(want) {
		t.Errorf("expires_at = %v, want %v (the fake clock)", tok.GetExpiresAt(), want)
	}
	reset, _ := strconv.ParseInt(tokCall.ResponseHeader.Get("X-RateLimit-Reset"), 10, 64)
	if want := clk.Now().Add(time.Hour).Unix(); reset != want {
		t.Errorf("X-RateLimit-Reset = %d, want %d", reset, want)
	}

	strict := newTestServer(t, Options{Clock: clk})
	gh = installationClient(t, strict, testInstall)
	if _, _, err := gh.Repositories.Get(context.Background(), "acme", "api"); err == nil {
		t.Errorf("a wall-clock JWT was accepted against a fake clock five years ahead")
	}
}
