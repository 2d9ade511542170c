package config_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/config"
	"github.com/sethvargo/go-envconfig"
)

func validEnv() map[string]string {
	return map[string]string{
		"GITHUB_APP_ID":         "42",
		"GITHUB_PRIVATE_KEY":    "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n",
		"GITHUB_WEBHOOK_SECRET": "whsec",
		"SLACK_SIGNING_SECRET":  "slsec",
		"SLACK_BOT_TOKEN":       "xoxb-1",
	}
}

func load(env map[string]string) (*config.Config, error) {
	return config.Load(context.Background(), envconfig.MapLookuper(env))
}

func TestDefaults(t *testing.T) {
	c, err := load(validEnv())
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":3000" || c.GitHub.APIURL != "https://api.github.com/" || c.Slack.APIURL != "https://slack.com/api/" {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if c.DatabaseURL != "" || c.LogFormat != "json" || c.Inbox.Workers < 1 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestRefusesMissingOrEmptySecrets(t *testing.T) {
	for _, name := range []string{"GITHUB_WEBHOOK_SECRET", "SLACK_SIGNING_SECRET", "GITHUB_PRIVATE_KEY", "GITHUB_APP_ID"} {
		for _, mode := range []string{"missing", "empty", "blank"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				env := validEnv()
				switch mode {
				case "missing":
					delete(env, name)
				case "empty":
					env[name] = ""
				case "blank":
					env[name] = "  "
				}
				_, err := load(env)
				if name == "GITHUB_APP_ID" && mode == "blank" {
					// Not a number: envconfig refuses it while parsing.
					if err == nil {
						t.Fatal("blank app id accepted")
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), name) {
					t.Fatalf("error = %v, want one naming %s", err, name)
				}
			})
		}
	}
}

func TestNamesEveryMissingVariable(t *testing.T) {
	_, err := load(map[string]string{})
	if err == nil {
		t.Fatal("empty environment accepted")
	}
	for _, name := range []string{"GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET", "SLACK_SIGNING_SECRET"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestPrivateKeyPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(path, []byte("PEM DATA"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := validEnv()
	delete(env, "GITHUB_PRIVATE_KEY")
	env["GITHUB_PRIVATE_KEY_PATH"] = path
	c, err := load(env)
	if err != nil {
		t.Fatal(err)
	}
	if c.GitHub.PrivateKey.Reveal() != "PEM DATA" {
		t.Fatalf("key not read from file")
	}
	env["GITHUB_PRIVATE_KEY_PATH"] = filepath.Join(dir, "absent.pem")
	if _, err := load(env); err == nil || !strings.Contains(err.Error(), "GITHUB_PRIVATE_KEY_PATH") {
		t.Fatalf("unreadable key file: error = %v", err)
	}
}

func TestRejectsBadValues(t *testing.T) {
	for name, value := range map[string]string{
		"GOLIVE_LOG_FORMAT":           "xml",
		"GOLIVE_LOG_LEVEL":            "loud",
		"GITHUB_API_URL":              "ftp://x",
		"SLACK_API_URL":               "not a url",
		"GOLIVE_PUBLIC_URL":           "example.com",
		"GOLIVE_WORKERS":              "0",
		"GOLIVE_SLACK_WORKSPACE_RATE": "0",
		"GOLIVE_REDELIVERY_LOOKBACK":  "96h",
	} {
		t.Run(name, func(t *testing.T) {
			env := validEnv()
			env[name] = value
			_, err := load(env)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%q: error = %v, want one naming it", name, value, err)
			}
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := load(validEnv())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v %+v %#v %s", c, c, c, c.GitHub.WebhookSecret)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c, "secret", c.Slack.SigningSecret)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", c, "secret", c.Slack.BotToken)
	for _, secret := range []string{"whsec", "slsec", "xoxb-1", "BEGIN RSA"} {
		if strings.Contains(buf.String(), secret) {
			t.Fatalf("secret %q printed: %s", secret, buf.String())
		}
	}
}
