package appsetup

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/config"
	"github.com/golive-dev/golive/bot/dotenv"
	"github.com/golive-dev/golive/bot/ghclient"
)

// The variables setup writes to .env.
const (
	EnvAppID              = "GITHUB_APP_ID"
	EnvPrivateKey         = "GITHUB_PRIVATE_KEY"
	EnvPrivateKeyPath     = "GITHUB_PRIVATE_KEY_PATH"
	EnvWebhookSecret      = "GITHUB_WEBHOOK_SECRET"
	EnvSlackSigningSecret = "SLACK_SIGNING_SECRET"
	EnvSlackBotToken      = "SLACK_BOT_TOKEN"
)

// GitHubAppVariables are the variables that configure the GitHub App; when
// none of them is set, golive starts in setup mode.
var GitHubAppVariables = []string{EnvAppID, EnvPrivateKey, EnvPrivateKeyPath, EnvWebhookSecret}

// NeedsSetup reports whether none of the GitHub App's variables is set (or
// each is blank) in env: golive then has no App to run as.
func NeedsSetup(env interface{ Lookup(string) (string, bool) }) bool {
	for _, k := range GitHubAppVariables {
		if v, ok := env.Lookup(k); ok && strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// Session holds the two random values of one setup run: Code, which the
// setup URL in golive's log carries and every setup page requires, and
// State, which the manifest form sends to GitHub and GitHub's redirect
// brings back. Both live only in memory, so a restart makes new ones.
type Session struct {
	Code  string
	State string
}

// NewSession draws a session's values from crypto/rand.
func NewSession() (Session, error) {
	code, err := randomToken()
	if err != nil {
		return Session{}, err
	}
	state, err := randomToken()
	if err != nil {
		return Session{}, err
	}
	return Session{Code: code, State: state}, nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("draw a setup code: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CodeMatches compares code with the session's code in constant time.
func (s Session) CodeMatches(code string) bool { return equal(code, s.Code) }

// StateMatches compares state with the session's state in constant time.
func (s Session) StateMatches(state string) bool { return equal(state, s.State) }

func equal(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// App is the GitHub App the manifest flow registered. PrivateKey and
// WebhookSecret redact themselves when printed.
type App struct {
	ID            int64
	Slug          string
	Name          string
	Owner         string
	HTMLURL       string
	PrivateKey    config.Secret
	WebhookSecret config.Secret
}

// InstallURL is where the App is installed on accounts and repositories.
func (a App) InstallURL() string {
	if a.HTMLURL == "" {
		return ""
	}
	return strings.TrimSuffix(a.HTMLURL, "/") + "/installations/new"
}

// ErrCodeRefused is returned when GitHub does not know the code (it is
// single-use and expires an hour after GitHub issued it).
var ErrCodeRefused = errors.New("GitHub refused the code: it is single-use and expires one hour after GitHub issues it")

// Converter exchanges manifest codes with GitHub's REST API.
type Converter struct {
	// APIURL is GitHub's REST root (GITHUB_API_URL).
	APIURL string
	// HTTPClient makes the request; a client with a 30 s timeout when nil.
	HTTPClient *http.Client
}

// Convert calls POST /app-manifests/{code}/conversions (no authentication)
// and checks what GitHub returns: an App ID, an RSA private key and a
// webhook secret. Errors never carry the credentials.
func (c Converter) Convert(ctx context.Context, code string) (App, error) {
	if code == "" || len(code) > 200 || strings.ContainsFunc(code, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsSpace(r) || r == '/' }) {
		return App{}, fmt.Errorf("exchange the manifest code: %w", ErrCodeRefused)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	gh := github.NewClient(hc)
	base, err := url.Parse(c.APIURL)
	if err != nil || base.Host == "" {
		return App{}, fmt.Errorf("exchange the manifest code: GITHUB_API_URL %q is not a URL", c.APIURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	gh.BaseURL = base
	cfg, resp, err := gh.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusUnprocessableEntity) {
			return App{}, fmt.Errorf("exchange the manifest code: %w (GitHub answered %d)", ErrCodeRefused, resp.StatusCode)
		}
		var ge *github.ErrorResponse
		if errors.As(err, &ge) && ge.Response != nil {
			return App{}, fmt.Errorf("exchange the manifest code: GitHub answered %d: %q", ge.Response.StatusCode, ge.Message)
		}
		return App{}, fmt.Errorf("exchange the manifest code: %w", err)
	}
	app := App{
		ID: cfg.GetID(), Slug: cfg.GetSlug(), Name: cfg.GetName(), Owner: cfg.GetOwner().GetLogin(), HTMLURL: cfg.GetHTMLURL(),
		PrivateKey: config.Secret(cfg.GetPEM()), WebhookSecret: config.Secret(cfg.GetWebhookSecret()),
	}
	switch {
	case app.ID <= 0:
		return App{}, errors.New("exchange the manifest code: GitHub's answer has no App id")
	case strings.TrimSpace(app.WebhookSecret.Reveal()) == "":
		return App{}, errors.New("exchange the manifest code: GitHub's answer has no webhook secret")
	}
	// The key must be one golive can sign with; ghclient.New parses it
	// without making a request, and its errors carry no key material.
	if _, err := ghclient.New(ghclient.Config{AppID: app.ID, PrivateKeyPEM: []byte(app.PrivateKey.Reveal()), BaseURL: c.APIURL}); err != nil {
		return App{}, fmt.Errorf("exchange the manifest code: GitHub's private key is unusable: %w", err)
	}
	return app, nil
}

// Flow is one run of first-run setup: it exchanges the code, writes the
// credentials to the .env file Env reads, and tells what is still missing.
type Flow struct {
	Converter Converter
	// Env is the process environment overlaid on the .env file that setup
	// writes; it is reloaded after each write.
	Env   *dotenv.Overlay
	Clock clock.Clock
}

// ConnectGitHub exchanges code for the App's credentials and writes
// GITHUB_APP_ID, GITHUB_PRIVATE_KEY and GITHUB_WEBHOOK_SECRET to .env. On
// any error nothing is written.
func (f *Flow) ConnectGitHub(ctx context.Context, code string) (App, error) {
	app, err := f.Converter.Convert(ctx, code)
	if err != nil {
		return App{}, err
	}
	vars := []dotenv.Var{
		{Key: EnvAppID, Value: strconv.FormatInt(app.ID, 10)},
		{Key: EnvPrivateKey, Value: app.PrivateKey.Reveal()},
		{Key: EnvWebhookSecret, Value: app.WebhookSecret.Reveal()},
	}
	comment := fmt.Sprintf("GitHub App %q (id %d) registered by golive setup on %s", app.Slug, app.ID, f.now())
	if err := f.write(vars, comment); err != nil {
		return App{}, err
	}
	return app, nil
}

// SlackConfigured reports whether SLACK_SIGNING_SECRET is set (in the
// environment or .env).
func (f *Flow) SlackConfigured() bool {
	v, _ := f.Env.Lookup(EnvSlackSigningSecret)
	return strings.TrimSpace(v) != ""
}

// ErrInvalidSlackInput is wrapped by ConnectSlack's errors about what was
// typed into the form.
var ErrInvalidSlackInput = errors.New("invalid Slack setting")

// ConnectSlack checks the Slack app's signing secret (required) and bot
// token (optional, xoxb-…) and writes them to .env.
func (f *Flow) ConnectSlack(signingSecret, botToken string) error {
	signingSecret, botToken = strings.TrimSpace(signingSecret), strings.TrimSpace(botToken)
	switch {
	case signingSecret == "":
		return fmt.Errorf("%w: the signing secret is required", ErrInvalidSlackInput)
	case len(signingSecret) > 256 || strings.ContainsFunc(signingSecret, unicode.IsSpace):
		return fmt.Errorf("%w: the signing secret is one word (Basic Information → App Credentials → Signing Secret)", ErrInvalidSlackInput)
	case botToken != "" && (!strings.HasPrefix(botToken, "xoxb-") || len(botToken) > 512 || strings.ContainsFunc(botToken, unicode.IsSpace)):
		return fmt.Errorf("%w: the bot token starts with xoxb- (OAuth & Permissions → Bot User OAuth Token)", ErrInvalidSlackInput)
	}
	vars := []dotenv.Var{{Key: EnvSlackSigningSecret, Value: signingSecret}}
	if botToken != "" {
		vars = append(vars, dotenv.Var{Key: EnvSlackBotToken, Value: botToken})
	}
	return f.write(vars, "Slack app secrets saved by golive setup on "+f.now())
}

func (f *Flow) write(vars []dotenv.Var, comment string) error {
	if err := dotenv.Update(f.Env.Path(), vars, comment); err != nil {
		return fmt.Errorf("save the credentials: %w", err)
	}
	if err := f.Env.Reload(); err != nil {
		return fmt.Errorf("save the credentials: %w", err)
	}
	return nil
}

func (f *Flow) now() string {
	c := f.Clock
	if c == nil {
		c = clock.System{}
	}
	return c.Now().UTC().Format(time.RFC3339)
}
