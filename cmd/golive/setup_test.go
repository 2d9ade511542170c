package main

// End-to-end tests of first-run setup: the real binary without GitHub App
// credentials, the fake GitHub playing both github.com (the manifest form)
// and api.github.com (the code's conversion), the fake Slack.

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/appsetup"
	"github.com/golive-dev/golive/bot/dotenv"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/signature"
)

const conversionRoute = "/app-manifests/{code}/conversions"

// setupWorld is a golive in setup mode, its working directory and fakes.
type setupWorld struct {
	gh    *fakegithub.Server
	slack *fakeslack.Server
	dir   string
	vars  map[string]string
	p     *proc
	// url is the setup URL from the log.
	url string
}

// newSetupWorld starts the fakes; withSlack sets SLACK_SIGNING_SECRET and
// SLACK_BOT_TOKEN in the environment.
func newSetupWorld(t *testing.T, withSlack bool) *setupWorld {
	t.Helper()
	gh := fakegithub.New(fakegithub.Options{T: t})
	sl := fakeslack.New(fakeslack.Options{T: t})
	dir := t.TempDir()
	w := &setupWorld{gh: gh, slack: sl, dir: dir, vars: map[string]string{
		"GOLIVE_ADDR":         "127.0.0.1:0",
		"GOLIVE_DATABASE_URL": "sqlite:" + filepath.Join(dir, "golive.db"),
		"GOLIVE_LOG_LEVEL":    "debug",
		"GOLIVE_LOG_FORMAT":   "json",
		"GITHUB_API_URL":      gh.URL,
		"SLACK_API_URL":       sl.APIURL(),
	}}
	if withSlack {
		w.vars["SLACK_SIGNING_SECRET"] = testSigningSecret
		w.vars["SLACK_BOT_TOKEN"] = sl.Token()
	}
	return w
}

// command is golive serve in the world's working directory.
func (w *setupWorld) command() *exec.Cmd {
	cmd := exec.Command(golivePath, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + w.dir}
	for k, v := range w.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = w.dir
	return cmd
}

// start runs golive serve and waits for its first log line that has msg as
// prefix, returning that line's fields.
func (w *setupWorld) start(t *testing.T, msg string) (*proc, map[string]any) {
	t.Helper()
	return startLogging(t, w.command(), msg)
}

// startSetup starts golive and expects setup mode.
func (w *setupWorld) startSetup(t *testing.T) {
	t.Helper()
	p, line := w.start(t, "golive setup mode")
	w.p, w.url = p, line["url"].(string)
	if !strings.HasPrefix(w.url, p.base+"/setup?code=") {
		t.Fatalf("setup url %q is not on %s", w.url, p.base)
	}
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func fetch(t *testing.T, method, u string, form url.Values) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var (
	registerForm = regexp.MustCompile(`<form method="post" action="([^"]+)">\s*<input type="hidden" name="manifest" value="([^"]+)">`)
	registerBtn  = regexp.MustCompile(`<button[^>]*type="submit">Register the GitHub App on GitHub</button>`)
)

// setupPage opens the setup page and returns the manifest form's target and
// manifest.
func (w *setupWorld) setupPage(t *testing.T, query string) (action string, manifest map[string]any, page string) {
	t.Helper()
	code, page, h := fetch(t, http.MethodGet, w.url+query, nil)
	if code != http.StatusOK {
		t.Fatalf("setup page: %d\n%s", code, page)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("setup page headers: %v", h)
	}
	if n := len(registerBtn.FindAllString(page, -1)); n != 1 {
		t.Fatalf("%d register buttons on the page, want 1:\n%s", n, page)
	}
	m := registerForm.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no manifest form on the page:\n%s", page)
	}
	action = html.UnescapeString(m[1])
	if err := json.Unmarshal([]byte(html.UnescapeString(m[2])), &manifest); err != nil {
		t.Fatalf("manifest field: %v", err)
	}
	return action, manifest, page
}

// register plays the browser on GitHub: it posts the manifest form to the
// fake's web flow and returns GitHub's redirect back to golive.
func (w *setupWorld) register(t *testing.T, action string, manifest map[string]any) string {
	t.Helper()
	js, _ := json.Marshal(manifest)
	code, body, h := fetch(t, http.MethodPost, action, url.Values{"manifest": {string(js)}})
	if code != http.StatusFound {
		t.Fatalf("GitHub's manifest form: %d %s", code, body)
	}
	return h.Get("Location")
}

// conversion returns what the fake GitHub answered the code's exchange.
func conversion(t *testing.T, gh *fakegithub.Server) map[string]any {
	t.Helper()
	var ok []fakegithub.Call
	for _, c := range gh.CallsTo(http.MethodPost, conversionRoute) {
		if c.Auth != "" || c.Header.Get("Authorization") != "" {
			t.Errorf("the conversion was sent with credentials")
		}
		if c.Status == http.StatusCreated {
			ok = append(ok, c)
		}
	}
	if len(ok) != 1 {
		t.Fatalf("%d successful conversions, want 1", len(ok))
	}
	var out map[string]any
	if err := json.Unmarshal(ok[0].Response, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// readEnvFile checks .env's mode and returns its variables.
func readEnvFile(t *testing.T, dir string) map[string]string {
	t.Helper()
	path := filepath.Join(dir, ".env")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf(".env: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf(".env has mode %v, want 0600", st.Mode().Perm())
	}
	vars, err := dotenv.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return vars
}

func noEnvFile(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, ".env")); err == nil {
		data, _ := os.ReadFile(filepath.Join(dir, ".env"))
		t.Fatalf(".env was written:\n%s", data)
	}
}

// secretLines are the parts of the App's and Slack's secrets that must
// never be printed.
func secretLines(conv map[string]any, more ...string) []string {
	out := append([]string{}, more...)
	for _, k := range []string{"webhook_secret", "client_secret"} {
		if s, _ := conv[k].(string); s != "" {
			out = append(out, s)
		}
	}
	pem, _ := conv["pem"].(string)
	for _, line := range strings.Split(pem, "\n") {
		if len(line) > 20 {
			out = append(out, line)
		}
	}
	return out
}

func assertNotPrinted(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("a secret appears in %s: %.12s…", what, s)
		}
	}
}

// waitListening waits for golive to log that it serves as the App, on the
// setup's address.
func waitListening(t *testing.T, p *proc) {
	t.Helper()
	waitFor(t, "golive to run as the App", 30*time.Second, func() bool {
		for _, line := range strings.Split(p.logs.String(), "\n") {
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "golive listening" {
				if "http://"+l.Addr != p.base {
					t.Fatalf("the App listens on %s, setup was on %s", l.Addr, p.base)
				}
				return true
			}
		}
		return false
	})
}

func signedPing(t *testing.T, p *proc, id, secret string) int {
	t.Helper()
	ping := payload(t, "ping/event.json")
	return p.webhook(t, id, "ping", ping, map[string]string{"X-Hub-Signature-256": signature.SignGitHub([]byte(secret), ping)})
}

// TestSetupRegistersTheAppAndRunsAsIt walks the first run: setup mode, the
// manifest flow through the fake GitHub, .env, and the same process then
// serving as the App; a restart reads .env and starts as the App directly.
func TestSetupRegistersTheAppAndRunsAsIt(t *testing.T) {
	w := newSetupWorld(t, true)
	w.startSetup(t)
	p := w.p

	if code := p.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz in setup mode: %d", code)
	}
	if code := signedPing(t, p, "early", "anything"); code != http.StatusServiceUnavailable {
		t.Errorf("webhook in setup mode: %d, want 503", code)
	}

	action, manifest, page := w.setupPage(t, "")
	wantAction := strings.TrimSuffix(w.gh.URL, "/") + "/settings/apps/new?state="
	if !strings.HasPrefix(action, wantAction) || len(action) <= len(wantAction) {
		t.Fatalf("the form posts to %q, want %q + state", action, wantAction)
	}
	hook, _ := manifest["hook_attributes"].(map[string]any)
	if hook["url"] != p.base+"/webhooks/github" || manifest["redirect_url"] != p.base+"/setup/github/callback" || manifest["setup_url"] != p.base+"/github/installed" {
		t.Errorf("manifest URLs: hook %v redirect %v setup %v, want them on %s", hook["url"], manifest["redirect_url"], manifest["setup_url"], p.base)
	}
	if !strings.Contains(page, "GOLIVE_PUBLIC_URL</code> is not set") {
		t.Error("the page does not say the URLs were derived from its address")
	}
	if strings.Contains(page, strings.TrimPrefix(action, wantAction)) == false {
		t.Error("state missing from the page")
	}

	// An organization owner moves the form's target.
	orgAction, _, _ := w.setupPage(t, "&org=acme")
	if !strings.HasPrefix(orgAction, strings.TrimSuffix(w.gh.URL, "/")+"/organizations/acme/settings/apps/new?state=") {
		t.Errorf("organization form posts to %q", orgAction)
	}

	back := w.register(t, action, manifest)
	if !strings.HasPrefix(back, p.base+"/setup/github/callback?") {
		t.Fatalf("GitHub redirects to %q", back)
	}
	code, done, _ := fetch(t, http.MethodGet, back, nil)
	if code != http.StatusOK || !strings.Contains(done, "now runs as the GitHub App") {
		t.Fatalf("callback: %d\n%s", code, done)
	}
	if regs := w.gh.RegisteredManifests(); len(regs) != 1 || regs[0].Org != "" {
		t.Errorf("registered manifests: %+v", regs)
	}

	conv := conversion(t, w.gh)
	secret, _ := conv["webhook_secret"].(string)
	vars := readEnvFile(t, w.dir)
	if vars["GITHUB_APP_ID"] != strconv.FormatInt(w.gh.AppID(), 10) || vars["GITHUB_PRIVATE_KEY"] != string(w.gh.PrivateKeyPEM()) ||
		secret == "" || vars["GITHUB_WEBHOOK_SECRET"] != secret {
		t.Fatalf(".env holds %d variables that do not match the conversion", len(vars))
	}
	if _, ok := vars["SLACK_SIGNING_SECRET"]; ok {
		t.Error("the Slack secret from the environment was copied into .env")
	}
	secrets := secretLines(conv, testSigningSecret, w.slack.Token())
	assertNotPrinted(t, "the done page", done, secrets)

	// The same process, on the same address, now runs as the App.
	waitListening(t, p)
	if code := signedPing(t, p, "after-setup", secret); code != http.StatusAccepted {
		t.Fatalf("ping signed with the new secret: %d, want 202\n%s", code, p.logs)
	}
	if code := signedPing(t, p, "wrong-secret", "e2e-not-the-secret"); code != http.StatusUnauthorized {
		t.Errorf("ping with another secret: %d, want 401", code)
	}
	if code := p.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d", code)
	}
	for _, path := range []string{strings.TrimPrefix(w.url, p.base), "/setup/github/callback?" + strings.SplitN(back, "?", 2)[1]} {
		if code := p.get(t, path); code != http.StatusNotFound {
			t.Errorf("GET %s after setup: %d, want 404", path, code)
		}
	}
	if code := p.get(t, "/github/installed?installation_id=1&setup_action=install"); code != http.StatusOK {
		t.Errorf("/github/installed: %d", code)
	}
	waitFor(t, "the ping to be processed", 10*time.Second, func() bool {
		return logLines(p.logs.String(), "delivery processed", "after-setup") == 1
	})
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
	if p.err != nil {
		t.Fatalf("exit after SIGTERM: %v", p.err)
	}
	assertNotPrinted(t, "golive's output", p.logs.String(), secrets)

	// A restart finds the App in .env.
	p2, _ := w.start(t, "golive listening")
	if code := signedPing(t, p2, "after-restart", secret); code != http.StatusAccepted {
		t.Fatalf("ping after restart: %d", code)
	}
	if code := p2.get(t, "/setup"); code != http.StatusNotFound {
		t.Errorf("setup page after restart: %d, want 404", code)
	}
	p2.kill()
	assertNotPrinted(t, "golive's output after restart", p2.logs.String(), secrets)
}

// TestSetupSlackStep: without SLACK_SIGNING_SECRET, the GitHub step is
// followed by the Slack step, whose form completes setup.
func TestSetupSlackStep(t *testing.T) {
	w := newSetupWorld(t, false)
	w.startSetup(t)
	p := w.p
	action, manifest, _ := w.setupPage(t, "")
	back := w.register(t, action, manifest)
	code, page, _ := fetch(t, http.MethodGet, back, nil)
	if code != http.StatusOK || !strings.Contains(page, `action="/setup/slack"`) || !strings.Contains(page, "api.slack.com/apps?") {
		t.Fatalf("after the GitHub step: %d\n%s", code, page)
	}
	// The Slack manifest link carries golive's URLs, not the placeholder.
	if strings.Contains(page, appsetup.PlaceholderURL+"/") || !strings.Contains(page, url.QueryEscape(p.base+"/slack/commands")) {
		t.Errorf("the Slack manifest is not rebased on %s", p.base)
	}
	conv := conversion(t, w.gh)
	secret := conv["webhook_secret"].(string)
	if vars := readEnvFile(t, w.dir); vars["GITHUB_WEBHOOK_SECRET"] != secret {
		t.Fatal("the GitHub step did not save the App")
	}
	// Still in setup mode: the page now shows the Slack step.
	if code := signedPing(t, p, "too-early", secret); code != http.StatusServiceUnavailable {
		t.Errorf("webhook before the Slack step: %d, want 503", code)
	}
	if _, body, _ := fetch(t, http.MethodGet, w.url, nil); !strings.Contains(body, `action="/setup/slack"`) {
		t.Error("the setup page does not show the Slack step")
	}

	setupCode := strings.TrimPrefix(w.url, p.base+"/setup?code=")
	const signing = "8f742231b10e8888abcd99yyyzzz85a5"
	for name, tc := range map[string]struct {
		form url.Values
		want int
	}{
		"no code":      {url.Values{"slack_signing_secret": {signing}}, http.StatusForbidden},
		"wrong code":   {url.Values{"code": {"nope"}, "slack_signing_secret": {signing}}, http.StatusForbidden},
		"no secret":    {url.Values{"code": {setupCode}}, http.StatusBadRequest},
		"bad token":    {url.Values{"code": {setupCode}, "slack_signing_secret": {signing}, "slack_bot_token": {"not-a-bot-token"}}, http.StatusBadRequest},
		"spaced value": {url.Values{"code": {setupCode}, "slack_signing_secret": {"two words"}}, http.StatusBadRequest},
	} {
		if code, body, _ := fetch(t, http.MethodPost, p.base+"/setup/slack", tc.form); code != tc.want {
			t.Errorf("%s: %d, want %d\n%s", name, code, tc.want, body)
		}
	}
	if _, ok := readEnvFile(t, w.dir)["SLACK_SIGNING_SECRET"]; ok {
		t.Fatal("a refused Slack form wrote .env")
	}

	code, done, _ := fetch(t, http.MethodPost, p.base+"/setup/slack",
		url.Values{"code": {setupCode}, "slack_signing_secret": {signing}, "slack_bot_token": {w.slack.Token()}})
	if code != http.StatusOK || !strings.Contains(done, "now runs as the GitHub App") {
		t.Fatalf("Slack step: %d\n%s", code, done)
	}
	vars := readEnvFile(t, w.dir)
	if vars["SLACK_SIGNING_SECRET"] != signing || vars["SLACK_BOT_TOKEN"] != w.slack.Token() || vars["GITHUB_WEBHOOK_SECRET"] != secret {
		t.Fatal(".env does not hold both steps' values")
	}
	waitListening(t, p)
	if code := signedPing(t, p, "ping-1", secret); code != http.StatusAccepted {
		t.Errorf("ping: %d", code)
	}
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	body := url.Values{"command": {"/golive"}, "text": {"help"}, "user_id": {"U1"}, "team_id": {"T1"},
		"channel_id": {"C1"}, "response_url": {"http://127.0.0.1/unused"}}.Encode()
	req, _ := http.NewRequest(http.MethodPost, p.base+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", signature.SignSlack([]byte(signing), stamp, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("slack command signed with the saved secret: %d", resp.StatusCode)
	}
	waitFor(t, "the Slack token check", 10*time.Second, func() bool { return logLines(p.logs.String(), "slack connected", "") == 1 })
	p.kill()
	assertNotPrinted(t, "golive's output", p.logs.String(), secretLines(conv, signing, w.slack.Token()))
}

// TestSetupRefusesWithoutCodeOrState: the setup routes need the setup code
// (or, for GitHub's redirect, the state); a refused or failed exchange
// writes nothing and golive stays in setup mode.
func TestSetupRefusesWithoutCodeOrState(t *testing.T) {
	w := newSetupWorld(t, true)
	w.startSetup(t)
	p := w.p
	for _, path := range []string{"/", "/setup", "/setup?code=", "/setup?code=wrong"} {
		code, body, _ := fetch(t, http.MethodGet, p.base+path, nil)
		if code != http.StatusForbidden || !strings.Contains(body, "Setup code required") || registerBtn.MatchString(body) {
			t.Errorf("GET %s: %d, want 403 without the form", path, code)
		}
	}
	if code, body, _ := fetch(t, http.MethodGet, w.url+"&org=-not/an-org", nil); code != http.StatusBadRequest || !strings.Contains(body, "not a GitHub organization login") {
		t.Errorf("a bad organization: %d, want 400", code)
	}
	action, manifest, _ := w.setupPage(t, "")
	state := strings.SplitN(action, "state=", 2)[1]

	// A real code from GitHub, but the wrong or no state.
	back := w.register(t, action, manifest)
	u, _ := url.Parse(back)
	ghCode := u.Query().Get("code")
	for _, q := range []string{"code=" + ghCode, "code=" + ghCode + "&state=forged", "code=" + ghCode + "&state=" + url.QueryEscape(w.url)} {
		if code, _, _ := fetch(t, http.MethodGet, p.base+"/setup/github/callback?"+q, nil); code != http.StatusForbidden {
			t.Errorf("callback ?%s: %d, want 403", q, code)
		}
	}
	if n := len(w.gh.CallsTo(http.MethodPost, conversionRoute)); n != 0 {
		t.Fatalf("%d conversions without the state", n)
	}
	if code, _, _ := fetch(t, http.MethodGet, p.base+"/setup/github/callback?state="+state, nil); code != http.StatusBadRequest {
		t.Errorf("callback without a code: %d, want 400", code)
	}
	if code, _, _ := fetch(t, http.MethodPost, p.base+"/setup/slack", url.Values{"slack_signing_secret": {"x"}}); code != http.StatusForbidden {
		t.Errorf("slack form without the code: %d, want 403", code)
	}

	// The exchange fails: GitHub does not know the code (404), refuses it
	// (422), or breaks (500).
	w.gh.Inject(fakegithub.Fault{Method: http.MethodPost, Route: conversionRoute, Status: http.StatusUnprocessableEntity, Times: 1})
	w.gh.Inject(fakegithub.Fault{Method: http.MethodPost, Route: conversionRoute, Status: http.StatusInternalServerError, Times: 1})
	for _, tc := range []struct{ code, want string }{
		{ghCode, "GitHub refused the code"},
		{ghCode, "GitHub answered 500"},
		{"unknown-code", "GitHub refused the code"},
	} {
		code, body, _ := fetch(t, http.MethodGet, p.base+"/setup/github/callback?code="+tc.code+"&state="+state, nil)
		if code != http.StatusBadGateway || !strings.Contains(body, tc.want) || !strings.Contains(body, "Nothing was saved") {
			t.Errorf("failed exchange of %q: %d, want 502 saying %q\n%s", tc.code, code, tc.want, body)
		}
		noEnvFile(t, w.dir)
	}
	if n := len(w.gh.CallsTo(http.MethodPost, conversionRoute)); n != 3 {
		t.Errorf("%d conversion calls, want 3", n)
	}
	// Still in setup mode; the flow can be done again.
	if code := p.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz in setup mode: %d", code)
	}
	action, manifest, _ = w.setupPage(t, "")
	back = w.register(t, action, manifest)
	if code, body, _ := fetch(t, http.MethodGet, back, nil); code != http.StatusOK || !strings.Contains(body, "now runs as the GitHub App") {
		t.Fatalf("setup after the failures: %d\n%s", code, body)
	}
	waitListening(t, p)
	conv := conversion(t, w.gh)
	if code := signedPing(t, p, "ping-ok", conv["webhook_secret"].(string)); code != http.StatusAccepted {
		t.Errorf("ping after setup: %d", code)
	}
	if code, _, _ := fetch(t, http.MethodPost, p.base+"/setup/slack", url.Values{"code": {"x"}}); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("slack form after setup: %d, want 404", code)
	}
	p.kill()
	assertNotPrinted(t, "golive's output", p.logs.String(), secretLines(conv, testSigningSecret))
}

// TestSetupPartialCredentialsRefuse: some but not all GitHub App variables,
// from the environment or .env, is a configuration error, not setup mode.
func TestSetupPartialCredentialsRefuse(t *testing.T) {
	for name, tc := range map[string]struct {
		env     map[string]string
		dotenv  string
		missing []string
	}{
		"app id only":         {env: map[string]string{"GITHUB_APP_ID": "12"}, missing: []string{"GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"}},
		"secret in .env only": {dotenv: "GITHUB_WEBHOOK_SECRET=\"s3cr3t value\"\n", missing: []string{"GITHUB_APP_ID", "GITHUB_PRIVATE_KEY"}},
		"key path only":       {env: map[string]string{"GITHUB_PRIVATE_KEY_PATH": "/nonexistent/key.pem", "GITHUB_APP_ID": "1", "GITHUB_WEBHOOK_SECRET": "x"}, missing: []string{"GITHUB_PRIVATE_KEY_PATH"}},
	} {
		t.Run(name, func(t *testing.T) {
			w := newSetupWorld(t, true)
			for k, v := range tc.env {
				w.vars[k] = v
			}
			if tc.dotenv != "" {
				os.WriteFile(filepath.Join(w.dir, ".env"), []byte(tc.dotenv), 0o600)
			}
			out, err := w.command().CombinedOutput()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != 2 {
				t.Fatalf("exit %v, want status 2; output:\n%s", err, out)
			}
			for _, m := range tc.missing {
				if !strings.Contains(string(out), m) {
					t.Errorf("output does not name %s:\n%s", m, out)
				}
			}
			if strings.Contains(string(out), "setup mode") {
				t.Errorf("started setup mode:\n%s", out)
			}
		})
	}
}

// TestSetupDotenvIsReadAtStart: .env's quoted values, escapes and comments
// configure golive; the environment wins over it.
func TestSetupDotenvIsReadAtStart(t *testing.T) {
	w := newSetupWorld(t, true)
	key := strings.ReplaceAll(string(w.gh.PrivateKeyPEM()), "\n", `\n`)
	env := fmt.Sprintf("# golive settings\n\nexport GITHUB_APP_ID=%d # the App\nGITHUB_PRIVATE_KEY=\"%s\"\nGITHUB_WEBHOOK_SECRET='from-the-file'\nGOLIVE_LOG_LEVEL=info\n",
		w.gh.AppID(), key)
	if err := os.WriteFile(filepath.Join(w.dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	w.vars["GITHUB_WEBHOOK_SECRET"] = "from-the-environment"
	p, _ := w.start(t, "golive listening")
	if code := signedPing(t, p, "env-wins", "from-the-environment"); code != http.StatusAccepted {
		t.Errorf("ping signed with the environment's secret: %d, want 202", code)
	}
	if code := signedPing(t, p, "file-loses", "from-the-file"); code != http.StatusUnauthorized {
		t.Errorf("ping signed with the file's secret: %d, want 401", code)
	}
	// GOLIVE_LOG_LEVEL=debug in the environment wins over the file's info.
	waitFor(t, "a debug line", 10*time.Second, func() bool { return strings.Contains(p.logs.String(), `"level":"DEBUG"`) })
	p.kill()

	// A broken .env stops golive with its line number.
	os.WriteFile(filepath.Join(w.dir, ".env"), []byte("GITHUB_APP_ID=1\nGITHUB_PRIVATE_KEY=\"unterminated\n"), 0o600)
	out, err := w.command().CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 2 || !strings.Contains(string(out), "line 2") || !strings.Contains(string(out), ".env") {
		t.Errorf("broken .env: %v\n%s", err, out)
	}
}
