package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/golive-dev/golive/bot/appsetup"
)

// Setup serves golive's first-run setup mode: the page that registers the
// GitHub App from its manifest, GitHub's redirect back with the code, and
// the Slack step. Every page needs the session's setup code (printed only
// in golive's log) or, for GitHub's redirect, its state, so that a stranger
// who reaches the port first cannot register an App for this golive. Once
// setup is complete, Complete hands the process over to the App and these
// routes are gone.
//
//	GET  /setup?code=C[&org=O]       the setup page (GitHub step, then Slack step)
//	GET  /setup/github/callback      GitHub's redirect: ?code=…&state=…
//	POST /setup/slack                the Slack step's form
//	GET  /healthz, /readyz           200 (the process is alive and serving setup)
//	POST /webhooks/github, /slack/…  503: nothing is configured to verify them yet
type Setup struct {
	Session appsetup.Session
	// Manifest is app.yml as written (against appsetup.PlaceholderURL).
	Manifest *appsetup.Manifest
	// PublicURL is GOLIVE_PUBLIC_URL; when empty, the URLs are derived
	// from the Host the setup page was opened at.
	PublicURL string
	// GitHubWebURL is GitHub's web root (https://github.com, or a GitHub
	// Enterprise Server's).
	GitHubWebURL string
	// EnvFile is the .env file setup writes, as shown to the operator.
	EnvFile string
	// SlackManifestYAML is slack-app-manifest.yml, offered in the Slack step.
	SlackManifestYAML []byte
	Flow              *appsetup.Flow
	// Complete loads the configuration setup wrote and hands the process
	// over to the App. It is called once, when GitHub and Slack are both
	// configured; on an error golive stays in setup mode.
	Complete func() error
	Logger   *slog.Logger

	mu       sync.Mutex
	app      *appsetup.App // set once the GitHub step is done
	finished bool
}

// Handler returns setup mode's routes.
func (s *Setup) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /setup", s.page)
	mux.HandleFunc("GET /setup/github/callback", s.githubCallback)
	mux.HandleFunc("POST /setup/slack", s.slackForm)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		// Ready to serve what it serves: a load balancer must route the
		// operator and GitHub's redirect to the setup page.
		writeJSON(w, http.StatusOK, map[string]string{"status": "setup"})
	})
	notYet := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "setup",
			"reason": "golive is in setup mode: no GitHub App is configured yet"})
	}
	mux.HandleFunc("POST /webhooks/github", notYet)
	mux.HandleFunc("POST /slack/", notYet)
	return mux
}

// pageData is what the setup template shows.
type pageData struct {
	Step string // "github", "slack", "done", "refused" or "failed"
	// Status is the HTTP status the page is sent with.
	Status int

	Code        string
	Org         string
	OrgInvalid  bool
	RegisterURL string
	// ManifestJSON is the form field; ManifestPretty the same, indented.
	ManifestJSON   string
	ManifestPretty string
	Manifest       *appsetup.Manifest
	Permissions    []appsetup.Permission
	WebhookURL     string
	Derived        bool // the public URL comes from the request's Host
	PublicURL      string
	GitHubWebURL   string
	EnvFile        string

	App        *appsetup.App
	SlackError string
	Slack      *appsetup.SlackManifest

	Title   string
	Message string
}

func (s *Setup) render(w http.ResponseWriter, d pageData) {
	if d.Status == 0 {
		d.Status = http.StatusOK
	}
	d.EnvFile = s.EnvFile
	d.GitHubWebURL = s.GitHubWebURL
	var buf bytes.Buffer
	if err := setupTemplate.Execute(&buf, d); err != nil {
		s.Logger.Error("render the setup page", "err", err)
		http.Error(w, "rendering the setup page failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the setup code stays out of Referer
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(d.Status)
	_, _ = w.Write(buf.Bytes())
}

// refuse answers a request without the setup code or state.
func (s *Setup) refuse(w http.ResponseWriter, r *http.Request, why string) {
	s.Logger.Warn("setup request refused", "path", r.URL.Path, "reason", why, "remote", r.RemoteAddr)
	s.render(w, pageData{Step: "refused", Status: http.StatusForbidden, Title: "Setup code required",
		Message: "This golive is waiting to be set up. Open the setup URL that golive printed in its log when it started; it carries a one-time setup code."})
}

func (s *Setup) gone(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }

// publicURL is the URL GitHub and browsers reach golive at, and whether it
// was derived from the request rather than configured.
func (s *Setup) publicURL(r *http.Request) (string, bool) {
	if s.PublicURL != "" {
		return strings.TrimSuffix(s.PublicURL, "/"), false
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host, true
}

// page shows the step setup is at.
func (s *Setup) page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !s.Session.CodeMatches(q.Get("code")) {
		s.refuse(w, r, "missing or wrong setup code")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		s.gone(w, r)
		return
	}
	if s.app != nil {
		s.slackStep(w, r, "", http.StatusOK)
		return
	}
	d := pageData{Step: "github", Code: s.Session.Code}
	if org := strings.TrimSpace(q.Get("org")); org != "" {
		if appsetup.ValidOrg(org) {
			d.Org = org
		} else {
			d.OrgInvalid = true
			d.Status = http.StatusBadRequest
		}
	}
	base, derived := s.publicURL(r)
	m, err := s.Manifest.For(base)
	if err != nil {
		s.render(w, pageData{Step: "failed", Status: http.StatusBadRequest, Title: "golive's address is not usable",
			Message: err.Error() + ". Set GOLIVE_PUBLIC_URL to the https URL GitHub reaches golive at, and restart golive."})
		return
	}
	js, err := m.JSON()
	if err != nil {
		s.render(w, pageData{Step: "failed", Status: http.StatusInternalServerError, Title: "The app manifest is broken", Message: err.Error()})
		return
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, js, "", "  ")
	d.ManifestJSON, d.ManifestPretty = string(js), pretty.String()
	d.Manifest, d.Permissions, d.WebhookURL = m, m.Permissions(), m.WebhookURL()
	d.Derived, d.PublicURL = derived, base
	d.RegisterURL = appsetup.RegisterURL(s.GitHubWebURL, d.Org, s.Session.State)
	s.render(w, d)
}

// githubCallback is where GitHub sends the browser back with the code.
func (s *Setup) githubCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !s.Session.StateMatches(q.Get("state")) {
		s.refuse(w, r, "missing or wrong state")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		s.gone(w, r)
		return
	}
	if s.app != nil {
		// A reload of the redirect after the App was registered.
		s.advance(w, r)
		return
	}
	code := q.Get("code")
	if code == "" {
		s.render(w, pageData{Step: "failed", Status: http.StatusBadRequest, Title: "GitHub sent no code",
			Message: "GitHub's redirect carries no code, so no App was registered. Open the setup URL from golive's log and press the button again."})
		return
	}
	app, err := s.Flow.ConnectGitHub(r.Context(), code)
	if err != nil {
		s.Logger.Warn("github app registration failed", "err", err)
		msg := err.Error() + ". Nothing was saved."
		if errors.Is(err, appsetup.ErrCodeRefused) {
			msg += " Open the setup URL from golive's log and press the button again; if GitHub did register an App, delete it in its settings first or give the new one another name."
		}
		s.render(w, pageData{Step: "failed", Status: http.StatusBadGateway, Title: "The GitHub App could not be set up", Message: msg})
		return
	}
	s.app = &app
	s.Logger.Info("github app registered", "app_id", app.ID, "slug", app.Slug, "owner", app.Owner, "env_file", s.EnvFile)
	s.advance(w, r)
}

// slackForm saves the Slack step's secrets.
func (s *Setup) slackForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !s.Session.CodeMatches(r.PostForm.Get("code")) {
		s.refuse(w, r, "missing or wrong setup code")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		s.gone(w, r)
		return
	}
	if s.app == nil {
		s.render(w, pageData{Step: "failed", Status: http.StatusConflict, Title: "Register the GitHub App first",
			Message: "The Slack step comes after the GitHub App is registered. Open the setup URL from golive's log."})
		return
	}
	if err := s.Flow.ConnectSlack(r.PostForm.Get("slack_signing_secret"), r.PostForm.Get("slack_bot_token")); err != nil {
		if errors.Is(err, appsetup.ErrInvalidSlackInput) {
			s.slackStep(w, r, err.Error(), http.StatusBadRequest)
			return
		}
		s.Logger.Error("save the Slack secrets", "err", err)
		s.render(w, pageData{Step: "failed", Status: http.StatusInternalServerError, Title: "The Slack secrets could not be saved", Message: err.Error()})
		return
	}
	s.Logger.Info("slack app secrets saved", "env_file", s.EnvFile)
	s.advance(w, r)
}

// advance shows the Slack step when SLACK_SIGNING_SECRET is still missing,
// else completes setup. s.mu is held.
func (s *Setup) advance(w http.ResponseWriter, r *http.Request) {
	if !s.Flow.SlackConfigured() {
		s.slackStep(w, r, "", http.StatusOK)
		return
	}
	if err := s.Complete(); err != nil {
		s.Logger.Error("golive cannot start as the GitHub App", "err", err)
		s.render(w, pageData{Step: "failed", Status: http.StatusInternalServerError, Title: "golive cannot start as the GitHub App",
			Message: err.Error() + ". The credentials are saved; fix the configuration and restart golive."})
		return
	}
	s.finished = true
	s.render(w, pageData{Step: "done", App: s.app})
}

// slackStep shows the Slack step, with the Slack app manifest rebased on
// golive's public URL. s.mu is held.
func (s *Setup) slackStep(w http.ResponseWriter, r *http.Request, slackError string, status int) {
	d := pageData{Step: "slack", Status: status, Code: s.Session.Code, App: s.app, SlackError: slackError}
	d.PublicURL, d.Derived = s.publicURL(r)
	if len(s.SlackManifestYAML) > 0 {
		if m, err := appsetup.SlackManifestFor(s.SlackManifestYAML, d.PublicURL); err == nil {
			d.Slack = &m
		} else {
			s.Logger.Warn("the slack app manifest cannot be offered", "err", err)
		}
	}
	s.render(w, d)
}
