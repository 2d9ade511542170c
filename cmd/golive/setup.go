package main

// First-run setup: `golive serve` without GitHub App credentials serves a
// setup page that registers the App from app.yml, writes its credentials to
// ./.env and then runs as the App in the same process (README "First run").

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	golive "github.com/golive-dev/golive"
	"github.com/golive-dev/golive/bot/appsetup"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/config"
	"github.com/golive-dev/golive/bot/dotenv"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/handlers"
)

// dotenvFile is the .env file serve and healthcheck read and setup writes,
// relative to the working directory.
const dotenvFile = ".env"

// withDotenv overlays the process environment env on ./.env: a variable set
// (and not empty) in the environment wins over the file.
func withDotenv(env envconfig.Lookuper) (*dotenv.Overlay, error) {
	return dotenv.NewOverlay(env, dotenvFile)
}

// needsSetup reports whether no GitHub App variable is set: golive then
// starts in setup mode. With some but not all of them set, config.Load
// refuses to start and names the missing ones.
func needsSetup(env envconfig.Lookuper) bool { return appsetup.NeedsSetup(env) }

// setupSettings are the settings setup mode reads: those of config.Config
// that do not depend on the App, with the same names and defaults.
func setupSettings(ctx context.Context, env envconfig.Lookuper) (*config.Config, error) {
	var c config.Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: env}); err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	var errs []error
	if p, err := url.Parse(c.GitHub.APIURL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		errs = append(errs, fmt.Errorf("GITHUB_API_URL must be an http(s) URL, got %q", c.GitHub.APIURL))
	}
	if c.PublicURL != "" {
		if p, err := url.Parse(c.PublicURL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" {
			errs = append(errs, fmt.Errorf("GOLIVE_PUBLIC_URL must be an http(s) URL without query, got %q", c.PublicURL))
		}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("GOLIVE_LOG_FORMAT must be \"json\" or \"text\", got %q", c.LogFormat))
	}
	if _, err := config.ParseLogLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return &c, nil
}

// serveSetup runs setup mode until setup completes, then runs the App on the
// same listener; or until ctx is cancelled.
func serveSetup(ctx context.Context, env *dotenv.Overlay, stderr io.Writer) int {
	sc, err := setupSettings(ctx, env)
	if err != nil {
		fmt.Fprintf(stderr, "golive: refusing to start: %v\n", err)
		return 2
	}
	level, _ := config.ParseLogLevel(sc.LogLevel)
	logger := logging.New(stderr, level, sc.LogFormat)

	manifest, err := appsetup.ParseManifest(golive.AppManifestYAML)
	if err != nil {
		logger.Error("golive cannot start setup", "err", err)
		return 1
	}
	session, err := appsetup.NewSession()
	if err != nil {
		logger.Error("golive cannot start setup", "err", err)
		return 1
	}
	envFile, err := filepath.Abs(env.Path())
	if err != nil {
		envFile = env.Path()
	}
	ln, err := net.Listen("tcp", sc.Addr)
	if err != nil {
		logger.Error("golive cannot start setup", "err", fmt.Errorf("listen on GOLIVE_ADDR %q: %w", sc.Addr, err))
		return 1
	}

	ready := make(chan *config.Config, 1)
	setup := &handlers.Setup{
		Session: session, Manifest: manifest, PublicURL: sc.PublicURL,
		GitHubWebURL: ghclient.WebURL(sc.GitHub.APIURL), EnvFile: envFile,
		SlackManifestYAML: golive.SlackManifestYAML,
		Flow: &appsetup.Flow{
			Converter: appsetup.Converter{APIURL: sc.GitHub.APIURL},
			Env:       env, Clock: clock.System{},
		},
		Complete: func() error {
			cfg, err := config.Load(ctx, env)
			if err != nil {
				return err
			}
			ready <- cfg
			return nil
		},
		Logger: logger,
	}
	srv := &http.Server{Handler: setup.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("golive setup mode: no GitHub App is configured; open the setup url in a browser to register one",
		"url", setupURL(sc.PublicURL, ln.Addr(), session.Code), "addr", ln.Addr().String(),
		"github", ghclient.WebURL(sc.GitHub.APIURL), "env_file", envFile)

	var cfg *config.Config
	select {
	case cfg = <-ready:
	case err := <-served:
		logger.Error("setup stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	// The App's server takes over the socket: a copy of it outlives the
	// setup server, so connections arriving meanwhile wait in its backlog.
	next, handErr := handOver(ln, cfg != nil)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("setup http shutdown", "err", err)
	}
	<-served
	if cfg == nil {
		logger.Info("setup stopped")
		return 0
	}
	if handErr != nil {
		logger.Warn("listen again for the App", "err", handErr)
		if next, handErr = net.Listen("tcp", ln.Addr().String()); handErr != nil {
			logger.Error("golive stopped", "err", fmt.Errorf("listen on %q after setup: %w", ln.Addr().String(), handErr))
			return 1
		}
	}
	logger.Info("setup complete: golive now runs as the GitHub App", "app_id", cfg.GitHub.AppID, "env_file", envFile)
	if err := runServerOn(ctx, cfg, logger, next); err != nil {
		logger.Error("golive stopped", "err", err)
		return 1
	}
	return 0
}

// handOver returns a second listener on ln's socket when want is set (see
// serveSetup), so that closing ln does not close the socket.
func handOver(ln net.Listener, want bool) (net.Listener, error) {
	if !want {
		return nil, nil
	}
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, fmt.Errorf("hand over a %T", ln)
	}
	f, err := tl.File() // a duplicate descriptor of the same socket
	if err != nil {
		return nil, fmt.Errorf("hand over the listener: %w", err)
	}
	defer f.Close()
	next, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("hand over the listener: %w", err)
	}
	return next, nil
}

// setupURL is the address printed in the log: golive's public URL when it
// is set, else the listener's address (a wildcard host as localhost).
func setupURL(publicURL string, addr net.Addr, code string) string {
	base := strings.TrimSuffix(publicURL, "/")
	if base == "" {
		host, port, err := net.SplitHostPort(addr.String())
		if err != nil {
			host, port = addr.String(), ""
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "localhost"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	return base + "/setup?" + url.Values{"code": {code}}.Encode()
}
