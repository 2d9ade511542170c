package fakegithub

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postManifest posts the manifest flow's form as a browser does, without
// following the redirect.
func postManifest(t *testing.T, srv *Server, path string, manifest any) *http.Response {
	t.Helper()
	js, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(strings.TrimSuffix(srv.URL, "/")+path, url.Values{"manifest": {string(js)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestManifestWebFlowRegistersAndRedirects(t *testing.T) {
	srv := newTestServer(t, Options{})
	manifest := map[string]any{
		"name": "golive-acme", "url": "https://example.com",
		"hook_attributes":     map[string]any{"url": "https://golive.acme.test/webhooks/github"},
		"redirect_url":        "https://golive.acme.test/setup/github/callback?keep=1",
		"default_permissions": map[string]any{"issues": "write", "contents": "read"},
		"default_events":      []any{"issues"},
	}
	resp := postManifest(t, srv, "/organizations/acme/settings/apps/new?state=s-123", manifest)
	if resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Host != "golive.acme.test" || loc.Path != "/setup/github/callback" {
		t.Fatalf("redirect to %q", resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("state") != "s-123" || q.Get("keep") != "1" || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	regs := srv.RegisteredManifests()
	if len(regs) != 1 || regs[0].Org != "acme" || regs[0].State != "s-123" || regs[0].Code != q.Get("code") || regs[0].Manifest["name"] != "golive-acme" {
		t.Fatalf("registrations %+v", regs)
	}

	// The code converts to the fake's own App, shaped by the manifest.
	ctx := context.Background()
	cfg, _, err := anonClient(t, srv).Apps.CompleteAppManifest(ctx, q.Get("code"))
	if err != nil {
		t.Fatalf("conversion: %v", err)
	}
	if cfg.GetID() != srv.AppID() || cfg.GetPEM() != string(srv.PrivateKeyPEM()) || cfg.GetName() != "golive-acme" || cfg.GetWebhookSecret() == "" {
		t.Errorf("conversion = id %d name %q", cfg.GetID(), cfg.GetName())
	}
	if got := srv.HookConfig()["url"]; got != "https://golive.acme.test/webhooks/github" {
		t.Errorf("hook url %v", got)
	}
	// The App works: its JWT is accepted.
	app, _, err := appClient(t, srv).Apps.Get(ctx, "")
	if err != nil || app.GetID() != srv.AppID() {
		t.Errorf("GET /app as the converted App: %v", err)
	}
	if _, _, err := anonClient(t, srv).Apps.CompleteAppManifest(ctx, q.Get("code")); err == nil {
		t.Error("the code converted twice")
	}
	noViolations(t, srv)
}

func TestManifestWebFlowRefusesBadManifests(t *testing.T) {
	srv := newTestServer(t, Options{})
	good := func() map[string]any {
		return map[string]any{"url": "https://example.com", "redirect_url": "https://golive.test/cb",
			"hook_attributes": map[string]any{"url": "https://golive.test/webhooks/github"}}
	}
	for name, tc := range map[string]struct {
		change func(map[string]any)
		want   string
	}{
		"implicit event": {func(m map[string]any) { m["default_events"] = []any{"issues", "installation"} }, "Default events unsupported: installation"},
		"no url":         {func(m map[string]any) { delete(m, "url") }, "url must be a URL"},
		"bad hook":       {func(m map[string]any) { m["hook_attributes"] = map[string]any{"url": "/relative"} }, "hook_attributes.url"},
		"bad level":      {func(m map[string]any) { m["default_permissions"] = map[string]any{"issues": "all"} }, "default_permissions.issues"},
	} {
		t.Run(name, func(t *testing.T) {
			m := good()
			tc.change(m)
			resp := postManifest(t, srv, "/settings/apps/new?state=x", m)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), tc.want) {
				t.Errorf("status %d body %s, want 422 with %q", resp.StatusCode, b, tc.want)
			}
		})
	}
	if n := len(srv.RegisteredManifests()); n != 0 {
		t.Errorf("%d manifests registered", n)
	}
	// Only POST, and only the two documented paths.
	if resp, err := http.Get(strings.TrimSuffix(srv.URL, "/") + "/settings/apps/new"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET the form target: %v %v", resp, err)
	}
}
