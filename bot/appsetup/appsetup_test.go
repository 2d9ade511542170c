package appsetup

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/golive-dev/golive/bot/dotenv"
	"github.com/golive-dev/golive/bot/fakegithub"
)

const testManifest = `
name: golive
url: https://github.com/golive-dev/golive
hook_attributes:
  url: https://golive.example.com/webhooks/github
redirect_url: https://golive.example.com/setup/github/callback
callback_urls: [https://golive.example.com/github/installed]
setup_url: https://golive.example.com/github/installed
public: false
default_permissions: {issues: write}
default_events: [issues]
`

func TestManifestFor(t *testing.T) {
	m, err := ParseManifest([]byte(testManifest))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.For("https://golive.acme.test/prefix/")
	if err != nil {
		t.Fatal(err)
	}
	const base = "https://golive.acme.test/prefix"
	if got.WebhookURL() != base+"/webhooks/github" || got.RedirectURL != base+"/setup/github/callback" ||
		got.SetupURL != base+"/github/installed" || got.CallbackURLs[0] != base+"/github/installed" || got.URL != "https://github.com/golive-dev/golive" {
		t.Errorf("rebased manifest: %+v", got)
	}
	if m.WebhookURL() != PlaceholderURL+"/webhooks/github" || m.CallbackURLs[0] != PlaceholderURL+"/github/installed" {
		t.Error("For changed the original")
	}
	js, err := got.JSON()
	if err != nil || !strings.Contains(string(js), `"public":false`) || strings.Contains(string(js), "golive.example.com") {
		t.Errorf("JSON %s (%v)", js, err)
	}
	for _, bad := range []string{"", "golive.acme.test", "ftp://x", "https://x/?q=1"} {
		if _, err := m.For(bad); err == nil {
			t.Errorf("For(%q) accepted", bad)
		}
	}
}

func TestParseManifestRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ from, to, want string }{
		"unknown key":       {"public: false", "public: false\nprivat: true", "privat"},
		"foreign hook":      {"url: https://golive.example.com/webhooks/github", "url: https://other.test/webhooks/github", "hook_attributes.url"},
		"no redirect":       {"redirect_url: https://golive.example.com/setup/github/callback\n", "", "redirect_url is required"},
		"no homepage":       {"url: https://github.com/golive-dev/golive\n", "", "url is required"},
		"foreign setup url": {"setup_url: https://golive.example.com/github/installed", "setup_url: http://x/y", "setup_url"},
	} {
		broken := strings.Replace(testManifest, tc.from, tc.to, 1)
		if broken == testManifest {
			t.Fatalf("%s: %q not found", name, tc.from)
		}
		if _, err := ParseManifest([]byte(broken)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, tc.want)
		}
	}
}

func TestRegisterURL(t *testing.T) {
	if got := RegisterURL("https://github.com", "", "s t"); got != "https://github.com/settings/apps/new?state=s+t" {
		t.Errorf("user: %s", got)
	}
	if got := RegisterURL("https://ghe.acme.test/", "acme-ops", "s"); got != "https://ghe.acme.test/organizations/acme-ops/settings/apps/new?state=s" {
		t.Errorf("org: %s", got)
	}
	for org, ok := range map[string]bool{"acme": true, "a-b-c": true, "a": true, "-a": false, "a--b": false, "a/b": false, "": false, strings.Repeat("a", 40): false} {
		if ValidOrg(org) != ok {
			t.Errorf("ValidOrg(%q) = %v", org, !ok)
		}
	}
}

func TestNeedsSetupAndSession(t *testing.T) {
	if !NeedsSetup(envconfig.MapLookuper(map[string]string{"GITHUB_APP_ID": " ", "SLACK_SIGNING_SECRET": "x"})) {
		t.Error("blank variables need setup")
	}
	for _, k := range GitHubAppVariables {
		if NeedsSetup(envconfig.MapLookuper(map[string]string{k: "v"})) {
			t.Errorf("%s set: setup mode", k)
		}
	}
	s, err := NewSession()
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := NewSession()
	if len(s.Code) < 32 || s.Code == s.State || s.Code == s2.Code {
		t.Errorf("sessions %+v %+v", s, s2)
	}
	if !s.CodeMatches(s.Code) || s.CodeMatches(s.State) || s.CodeMatches("") || !s.StateMatches(s.State) || (Session{}).CodeMatches("") {
		t.Error("matching is wrong")
	}
}

func newFlow(t *testing.T, gh *fakegithub.Server, env map[string]string) *Flow {
	t.Helper()
	o, err := dotenv.NewOverlay(envconfig.MapLookuper(env), filepath.Join(t.TempDir(), ".env"))
	if err != nil {
		t.Fatal(err)
	}
	return &Flow{Converter: Converter{APIURL: gh.URL}, Env: o}
}

func TestConnectGitHubWritesTheApp(t *testing.T) {
	gh := fakegithub.New(fakegithub.Options{T: t})
	want := gh.AddManifestCode("code-1")
	f := newFlow(t, gh, nil)
	app, err := f.ConnectGitHub(context.Background(), "code-1")
	if err != nil {
		t.Fatal(err)
	}
	if app.ID != gh.AppID() || app.Slug != "golive" || app.InstallURL() != "https://github.com/apps/golive/installations/new" {
		t.Errorf("app %+v", app)
	}
	vars, err := dotenv.Read(f.Env.Path())
	if err != nil {
		t.Fatal(err)
	}
	if vars[EnvAppID] != strconv.FormatInt(gh.AppID(), 10) || vars[EnvPrivateKey] != want.PEM || vars[EnvWebhookSecret] != want.WebhookSecret {
		t.Error(".env does not hold the App")
	}
	if v, _ := f.Env.Lookup(EnvWebhookSecret); v != want.WebhookSecret {
		t.Error("the overlay was not reloaded")
	}
	if f.SlackConfigured() {
		t.Error("Slack configured without a secret")
	}
	// Printing the App shows no secret.
	if s := strings.Join([]string{app.PrivateKey.String(), app.WebhookSecret.String()}, ""); strings.Contains(s, want.WebhookSecret) || strings.Contains(s, "PRIVATE KEY") {
		t.Error("a secret prints itself")
	}
}

func TestConnectGitHubFailuresWriteNothing(t *testing.T) {
	gh := fakegithub.New(fakegithub.Options{T: t})
	f := newFlow(t, gh, nil)
	ctx := context.Background()
	if _, err := f.ConnectGitHub(ctx, "unknown"); !errors.Is(err, ErrCodeRefused) {
		t.Errorf("unknown code: %v", err)
	}
	if _, err := f.ConnectGitHub(ctx, "../app"); !errors.Is(err, ErrCodeRefused) {
		t.Errorf("a code with a slash: %v", err)
	}
	gh.AddManifestCode("c2")
	gh.Inject(fakegithub.Fault{Route: "/app-manifests/{code}/conversions", Status: http.StatusBadGateway, Times: 1})
	if _, err := f.ConnectGitHub(ctx, "c2"); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("502: %v", err)
	}
	if _, err := os.Stat(f.Env.Path()); err == nil {
		t.Fatal(".env written after failures")
	}
	if _, err := f.ConnectGitHub(ctx, "c2"); err != nil {
		t.Errorf("the code after a failure: %v", err)
	}
}

func TestConnectSlack(t *testing.T) {
	gh := fakegithub.New(fakegithub.Options{T: t})
	f := newFlow(t, gh, nil)
	for _, tc := range [][2]string{{"", ""}, {"two words", ""}, {"secret", "xoxp-user-token"}, {"secret", "xoxb-with space"}} {
		if err := f.ConnectSlack(tc[0], tc[1]); !errors.Is(err, ErrInvalidSlackInput) {
			t.Errorf("ConnectSlack(%q, %q) = %v", tc[0], tc[1], err)
		}
	}
	if _, err := os.Stat(f.Env.Path()); err == nil {
		t.Fatal(".env written for invalid input")
	}
	if err := f.ConnectSlack(" abc123 ", ""); err != nil {
		t.Fatal(err)
	}
	vars, _ := dotenv.Read(f.Env.Path())
	if vars[EnvSlackSigningSecret] != "abc123" || !f.SlackConfigured() {
		t.Errorf(".env %v", vars)
	}
	if _, ok := vars[EnvSlackBotToken]; ok {
		t.Error("an empty bot token was written")
	}
	// The environment's secret counts.
	if !newFlow(t, gh, map[string]string{EnvSlackSigningSecret: "from-env"}).SlackConfigured() {
		t.Error("the environment's signing secret is not seen")
	}
}

func TestSlackManifestFor(t *testing.T) {
	yml := "settings:\n  interactivity:\n    request_url: https://golive.example.com/slack/interactions\n# see golive.example.com\n"
	m, err := SlackManifestFor([]byte(yml), "https://golive.acme.test/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.YAML, "https://golive.acme.test/slack/interactions") ||
		!strings.HasPrefix(m.CreateURL, "https://api.slack.com/apps?") || !strings.Contains(m.CreateURL, "new_app=1") ||
		!strings.Contains(m.CreateURL, "manifest_json=%7B%22settings%22") || strings.Contains(m.CreateURL, "example.com") {
		t.Errorf("%+v", m)
	}
	if _, err := SlackManifestFor([]byte("a: [\n"), "https://x"); err == nil {
		t.Error("broken YAML accepted")
	}
}
