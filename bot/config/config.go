// Package config reads golive's process configuration from the environment.
// The variable names are a public contract documented in the README.
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Secret is a configuration value that must never be printed. Its String,
// GoString, LogValue and MarshalText forms are redacted; Reveal returns it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns a redacted placeholder.
func (s Secret) String() string { return redacted }

// GoString returns a redacted placeholder (for %#v).
func (s Secret) GoString() string { return redacted }

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps the secret out of JSON and text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Config is everything `golive serve` needs.
type Config struct {
	Addr        string `env:"GOLIVE_ADDR, default=:3000"`
	DatabaseURL Secret `env:"GOLIVE_DATABASE_URL"`
	PublicURL   string `env:"GOLIVE_PUBLIC_URL"`
	LogLevel    string `env:"GOLIVE_LOG_LEVEL, default=info"`
	LogFormat   string `env:"GOLIVE_LOG_FORMAT, default=json"`

	// CommandBots are bot logins ("deploy-bot[bot]") whose /golive
	// comments run; other bots' comments are ignored.
	CommandBots []string `env:"GOLIVE_COMMAND_BOTS"`

	// StatusToken guards the status page (GET /status); "" turns it off.
	StatusToken Secret `env:"GOLIVE_STATUS_TOKEN"`

	// ActionsOIDCIssuer issues the tokens with which golive's Action
	// proves its repository when it reports to the server.
	ActionsOIDCIssuer string `env:"GOLIVE_ACTIONS_OIDC_ISSUER, default=https://token.actions.githubusercontent.com"`

	GitHub GitHub
	Slack  Slack
	Inbox  Inbox
}

// GitHub configures the GitHub App.
type GitHub struct {
	AppID          int64  `env:"GITHUB_APP_ID"`
	PrivateKey     Secret `env:"GITHUB_PRIVATE_KEY"`
	PrivateKeyPath string `env:"GITHUB_PRIVATE_KEY_PATH"`
	WebhookSecret  Secret `env:"GITHUB_WEBHOOK_SECRET"`
	APIURL         string `env:"GITHUB_API_URL, default=https://api.github.com/"`
}

// Slack configures the Slack app.
type Slack struct {
	BotToken      Secret `env:"SLACK_BOT_TOKEN"`
	SigningSecret Secret `env:"SLACK_SIGNING_SECRET"`
	APIURL        string `env:"SLACK_API_URL, default=https://slack.com/api/"`
	// WorkspaceRate is the most messages per second golive posts across
	// the workspace; each channel also gets at most one per second.
	WorkspaceRate float64 `env:"GOLIVE_SLACK_WORKSPACE_RATE, default=20"`
}

// Inbox tunes webhook processing. The defaults suit a small team's App.
type Inbox struct {
	Workers            int           `env:"GOLIVE_WORKERS, default=8"`
	MaxBacklog         int           `env:"GOLIVE_MAX_BACKLOG, default=10000"`
	ShutdownTimeout    time.Duration `env:"GOLIVE_SHUTDOWN_TIMEOUT, default=25s"`
	RedeliveryInterval time.Duration `env:"GOLIVE_REDELIVERY_INTERVAL, default=5m"`
	RedeliveryLookback time.Duration `env:"GOLIVE_REDELIVERY_LOOKBACK, default=72h"`
}

// minStatusToken is the shortest GOLIVE_STATUS_TOKEN accepted: the token
// is the status page's only protection against guessing.
const minStatusToken = 16

// githubKeepsDeliveries is how far back GitHub lists an App's deliveries.
const githubKeepsDeliveries = 72 * time.Hour

// Load reads the configuration through lookuper (envconfig.OsLookuper() in
// production), reads the private key file when GITHUB_PRIVATE_KEY_PATH is
// given, and validates the result. A missing or empty required setting is an
// error naming every such variable.
func Load(ctx context.Context, lookuper envconfig.Lookuper) (*Config, error) {
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: lookuper}); err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	if c.GitHub.PrivateKey == "" && c.GitHub.PrivateKeyPath != "" {
		pem, err := os.ReadFile(c.GitHub.PrivateKeyPath)
		if err != nil {
			return nil, fmt.Errorf("read GITHUB_PRIVATE_KEY_PATH %q: %w", c.GitHub.PrivateKeyPath, err)
		}
		c.GitHub.PrivateKey = Secret(pem)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate() error {
	var missing []string
	need := func(ok bool, name string) {
		if !ok {
			missing = append(missing, name)
		}
	}
	need(c.GitHub.AppID != 0, "GITHUB_APP_ID")
	need(strings.TrimSpace(c.GitHub.PrivateKey.Reveal()) != "", "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH")
	need(strings.TrimSpace(c.GitHub.WebhookSecret.Reveal()) != "", "GITHUB_WEBHOOK_SECRET")
	need(strings.TrimSpace(c.Slack.SigningSecret.Reveal()) != "", "SLACK_SIGNING_SECRET")
	var errs []error
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("missing or empty: %s", strings.Join(missing, ", ")))
	}
	for name, u := range map[string]string{"GITHUB_API_URL": c.GitHub.APIURL, "SLACK_API_URL": c.Slack.APIURL, "GOLIVE_ACTIONS_OIDC_ISSUER": c.ActionsOIDCIssuer} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an http(s) URL, got %q", name, u))
		}
	}
	if c.PublicURL != "" {
		if p, err := url.Parse(c.PublicURL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("GOLIVE_PUBLIC_URL must be an http(s) URL, got %q", c.PublicURL))
		}
	}
	if t := c.StatusToken.Reveal(); t != "" && (len(t) < minStatusToken || strings.TrimSpace(t) != t) {
		errs = append(errs, fmt.Errorf("GOLIVE_STATUS_TOKEN must be at least %d characters without surrounding spaces (for example: openssl rand -hex 24), or empty to turn the status page off", minStatusToken))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("GOLIVE_LOG_FORMAT must be \"json\" or \"text\", got %q", c.LogFormat))
	}
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if !(c.Slack.WorkspaceRate > 0 && c.Slack.WorkspaceRate <= 10000) {
		errs = append(errs, fmt.Errorf("GOLIVE_SLACK_WORKSPACE_RATE must be a number of messages per second above 0 and at most 10000, got %v", c.Slack.WorkspaceRate))
	}
	if c.Inbox.Workers < 1 {
		errs = append(errs, fmt.Errorf("GOLIVE_WORKERS must be at least 1, got %d", c.Inbox.Workers))
	}
	if c.Inbox.MaxBacklog < 1 {
		errs = append(errs, fmt.Errorf("GOLIVE_MAX_BACKLOG must be at least 1, got %d", c.Inbox.MaxBacklog))
	}
	if c.Inbox.RedeliveryLookback <= 0 || c.Inbox.RedeliveryLookback > githubKeepsDeliveries {
		errs = append(errs, fmt.Errorf("GOLIVE_REDELIVERY_LOOKBACK must be within (0, %s] (GitHub keeps deliveries 3 days), got %s", githubKeepsDeliveries, c.Inbox.RedeliveryLookback))
	}
	if c.Inbox.RedeliveryInterval < time.Second {
		errs = append(errs, fmt.Errorf("GOLIVE_REDELIVERY_INTERVAL must be at least 1s, got %s", c.Inbox.RedeliveryInterval))
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return nil
}

// ParseLogLevel maps GOLIVE_LOG_LEVEL (debug, info, warn, error) to a slog level.
func ParseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("GOLIVE_LOG_LEVEL must be debug, info, warn or error, got %q", s)
	}
	return l, nil
}
