package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/fakegithub"
)

// TestStatusPageServed: the binary serves /status as configured — off
// without GOLIVE_STATUS_TOKEN, behind the token with it — and reads a
// repository's checklist configuration for it at most once a minute.
func TestStatusPageServed(t *testing.T) {
	const token = "e2e-status-token-4f0c9a7d"
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "golive.db")
	e := newEnv(t, dbURL)
	e.gh.AddRepo("acme/api", fakegithub.RepoOpts{})
	e.gh.AddInstallation(1, "acme", "Organization", "acme/api")
	st := openStore(t, dbURL)
	defer st.Close()
	seedGoLive(t, st, 7, "", 0)

	get := func(p *proc, auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, p.base+"/status", nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	p := e.start(t)
	if code, body := get(p, token); code != http.StatusNotFound || !strings.Contains(body, "GOLIVE_STATUS_TOKEN") {
		t.Fatalf("without GOLIVE_STATUS_TOKEN: %d %q, want 404 saying how to turn it on", code, body)
	}
	p.kill()

	e.vars["GOLIVE_STATUS_TOKEN"] = token
	p = e.start(t)
	if code, body := get(p, ""); code != http.StatusUnauthorized || !strings.Contains(body, `action="/status/login"`) {
		t.Fatalf("without the token: %d, want 401 and the login form\n%.300s", code, body)
	}
	code, body := get(p, token)
	// The issue links to the GitHub that GITHUB_API_URL names (here the fake).
	if code != http.StatusOK || !strings.Contains(body, "acme/api#7") || !strings.Contains(body, "NOT READY") ||
		!strings.Contains(body, `/acme/api/issues/7">acme/api#7</a>`) {
		t.Fatalf("with the token: %d\n%.600s", code, body)
	}
	if strings.Contains(body, "could not be read") {
		t.Fatalf("the status page could not read the repository's configuration:\n%s\n%s", body, p.logs)
	}
	reads := len(e.gh.CallsTo("GET", "/repos/{owner}/{repo}/contents/{path}"))
	if reads == 0 {
		t.Fatal("the status page read no configuration")
	}
	if code, _ := get(p, token); code != http.StatusOK {
		t.Fatalf("second view: %d", code)
	}
	if again := len(e.gh.CallsTo("GET", "/repos/{owner}/{repo}/contents/{path}")); again != reads {
		t.Fatalf("a second view within the minute read the configuration again: %d then %d reads", reads, again)
	}
	p.kill()
	if strings.Contains(p.logs.String(), token) {
		t.Fatalf("the status token is in the logs:\n%s", p.logs)
	}
}
