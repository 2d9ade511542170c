package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/status"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/handlers"
)

const statusToken = "status-token-for-tests-0123456789"

// statusRig is the tracking rig with two go-lives of acme/api in it —
// #7 to production with three items ticked, #8 to staging with every item
// ticked — a lock on production and two deploys, served by the real router
// with the status page on.
type statusRig struct {
	*trackingRig
	page   *handlers.StatusPage
	server *httptest.Server
	tmpl   checklist.Template
}

func newStatusRig(t *testing.T, token, publicURL string) *statusRig {
	t.Helper()
	tr := newTrackingRig(t)
	ctx := context.Background()
	open := func(number int, env string, tick int) {
		t.Helper()
		body := strings.Replace(formBody(inTenDays()), "### Environment\n\nproduction", "### Environment\n\n"+env, 1)
		tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: number, Title: "Go-live", Body: body, Labels: []string{"golive"}})
		tr.send(t, "", tr.issueEvent(t, "opened", number, body, nil, "alice"))
		tr.settle(t)
		is, _ := tr.gh.GetIssue(trackedRepo, number)
		after := strings.Replace(is.Body, "- [ ] ", "- [x] ", tick)
		tr.send(t, "", tr.issueEvent(t, "edited", number, after, &is.Body, "bob"))
		tr.settle(t)
	}
	open(7, "production", 3)
	open(8, "staging", -1)
	now := tr.clock.Now()
	if _, ok, err := tr.store.AcquireEnvLock(ctx, store.EnvLock{RepoID: trackedRepoID, Environment: "production", Holder: "@carol",
		HolderKey: "github:3", Reason: "launch freeze", ExpiresAt: now.Add(2 * time.Hour)}, now); err != nil || !ok {
		t.Fatalf("lock production: %v, %v", ok, err)
	}
	for _, d := range []store.Deploy{
		{CorrelationID: "gl-00000000000a", Kind: "deploy", Environment: "staging", SHA: "abcdef0123456789abcdef0123456789abcdef01",
			State: store.DeploySuccess, RunURL: "https://github.com/acme/api/actions/runs/1", DispatchedAt: now.Add(-3 * time.Hour)},
		{CorrelationID: "gl-00000000000b", Kind: "rollback", Environment: "production", SHA: "fedcba9876543210fedcba9876543210fedcba98",
			State: store.DeployFailure, DispatchedAt: now.Add(-time.Hour)},
	} {
		d.RepoID, d.Repo, d.InstallationID, d.RequestedBy = trackedRepoID, trackedRepo, installation, "@alice"
		if _, err := tr.store.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}
	}

	logger := slog.New(slog.NewTextHandler(tr.logs, nil))
	page := &handlers.StatusPage{Token: token, PublicURL: publicURL, Clock: tr.clock, Logger: logger,
		Source: &status.Builder{Store: tr.store, Checklist: tr.svc, Clock: tr.clock,
			Templates: func(ctx context.Context, g store.GoLive) (checklist.Template, error) {
				_, tmpl, err := tr.svc.Config(ctx, g)
				return tmpl, err
			}}}
	m := metrics.New()
	router := handlers.NewRouter(handlers.Routes{
		Webhook:           &handlers.GitHubWebhook{Secret: webhookSecret, Ingester: tr.ingester, DeadLetters: tr.store, Clock: tr.clock, Metrics: m, Logger: logger},
		Slack:             &handlers.SlackVerifier{SigningSecret: []byte(slackSecret), Clock: tr.clock, Metrics: m, Logger: logger},
		SlackCommands:     &handlers.SlackCommands{Ingester: tr.ingester, Clock: tr.clock, Logger: logger},
		SlackInteractions: &handlers.SlackInteractions{Logger: logger, Ingester: tr.ingester, Clock: tr.clock},
		Store:             tr.store, Metrics: m, Clock: tr.clock, Logger: logger,
		Status: page,
	})
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	_, tmpl, err := tr.svc.Config(ctx, store.GoLive{InstallationID: installation, Repo: trackedRepo})
	if err != nil {
		t.Fatal(err)
	}
	return &statusRig{trackingRig: tr, page: page, server: srv, tmpl: tmpl}
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type statusResponse struct {
	code   int
	header http.Header
	body   string
}

func (sr *statusRig) get(t *testing.T, header map[string]string, cookies ...*http.Cookie) statusResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, sr.server.URL+"/status", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return do(t, req)
}

func (sr *statusRig) login(t *testing.T, token string) statusResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, sr.server.URL+"/status/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) statusResponse {
	t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return statusResponse{resp.StatusCode, resp.Header, string(b)}
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func loginForm(t *testing.T, what string, r statusResponse) {
	t.Helper()
	if r.code != http.StatusUnauthorized || !strings.Contains(r.body, `action="/status/login"`) || !strings.Contains(r.body, `name="token"`) {
		t.Fatalf("%s: %d, want 401 with the login form:\n%.400s", what, r.code, r.body)
	}
	if strings.Contains(r.body, trackedRepo) {
		t.Fatalf("%s: the login form shows a go-live:\n%s", what, r.body)
	}
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("%s: a cookie was set: %v", what, r.header.Values("Set-Cookie"))
	}
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("%s: 401 without WWW-Authenticate", what)
	}
}

func TestStatusPageOffWithoutToken(t *testing.T) {
	sr := newStatusRig(t, "", "")
	for _, r := range []statusResponse{sr.get(t, nil), sr.get(t, bearer("")), sr.get(t, bearer(statusToken)), sr.login(t, "")} {
		if r.code != http.StatusNotFound || !strings.Contains(r.body, "GOLIVE_STATUS_TOKEN") || strings.Contains(r.body, trackedRepo) {
			t.Fatalf("page off: %d %q, want 404 naming GOLIVE_STATUS_TOKEN", r.code, r.body)
		}
	}
}

func TestStatusPageAccess(t *testing.T) {
	sr := newStatusRig(t, statusToken, "")
	loginForm(t, "no token", sr.get(t, nil))
	for _, h := range []map[string]string{
		bearer("wrong-token-wrong-token-wrong"),
		bearer(statusToken + "x"),
		bearer(statusToken[:len(statusToken)-1]),
		{"Authorization": "Basic " + statusToken},
		{"Authorization": statusToken},
		bearer(""),
	} {
		r := sr.get(t, h)
		loginForm(t, "Authorization: "+h["Authorization"], r)
		if !strings.Contains(r.body, "not right") {
			t.Fatalf("a wrong Authorization header is not said to be wrong:\n%s", r.body)
		}
	}
	// The cookie of another token, a tampered one and garbage are no login.
	other := &handlers.StatusPage{Token: "another-token-another-token", Clock: sr.clock}
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/status/login", strings.NewReader("token=another-token-another-token"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	other.Login(w, req)
	if w.Code != http.StatusSeeOther || len(w.Result().Cookies()) != 1 {
		t.Fatalf("login to another page: %d", w.Code)
	}
	for _, c := range []*http.Cookie{w.Result().Cookies()[0], {Name: handlers.StatusCookie, Value: "v1.9999999999.AAAA"}, {Name: handlers.StatusCookie, Value: statusToken}} {
		loginForm(t, "cookie "+c.Value, sr.get(t, nil, c))
	}

	r := sr.get(t, bearer(statusToken))
	if r.code != http.StatusOK || !strings.Contains(r.body, trackedRepo+"#7") {
		t.Fatalf("with the token: %d\n%.400s", r.code, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	csp := r.header.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
	if nonce == nil || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(r.body, `<script nonce="`+nonce[1]+`">`) {
		t.Fatalf("CSP %q does not allow exactly the page's script by nonce", csp)
	}
	if again := sr.get(t, bearer(statusToken)); strings.Contains(again.body, nonce[1]) {
		t.Fatal("the CSP nonce is the same on two requests")
	}
	// HEAD answers like GET, without a body.
	req, _ = http.NewRequest(http.MethodHead, sr.server.URL+"/status", nil)
	req.Header.Set("Authorization", "Bearer "+statusToken)
	if h := do(t, req); h.code != http.StatusOK || h.body != "" {
		t.Fatalf("HEAD: %d %q", h.code, h.body)
	}
}

func TestStatusPageLogin(t *testing.T) {
	sr := newStatusRig(t, statusToken, "")
	r := sr.login(t, "not-the-token-not-the-token")
	loginForm(t, "wrong token posted", r)
	if !strings.Contains(r.body, "not right") {
		t.Fatalf("a wrong token is not said to be wrong:\n%s", r.body)
	}
	loginForm(t, "empty token posted", sr.login(t, ""))

	r = sr.login(t, statusToken)
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/status" {
		t.Fatalf("login: %d to %q, want 303 to /status", r.code, r.header.Get("Location"))
	}
	cookies := (&http.Response{Header: r.header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies: %v", len(cookies), r.header.Values("Set-Cookie"))
	}
	c := cookies[0]
	raw := r.header.Get("Set-Cookie")
	if c.Name != handlers.StatusCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/status" || c.MaxAge <= 0 {
		t.Fatalf("cookie %s: want HttpOnly, SameSite=Strict, not Secure over http, Path=/status, a Max-Age", raw)
	}
	if strings.Contains(c.Value, statusToken) || strings.Contains(raw, statusToken) {
		t.Fatalf("the cookie holds the token: %s", raw)
	}
	// Logged in: the page, with the cookie alone.
	if r := sr.get(t, nil, &http.Cookie{Name: c.Name, Value: c.Value}); r.code != http.StatusOK || !strings.Contains(r.body, trackedRepo+"#8") {
		t.Fatalf("with the login cookie: %d\n%.300s", r.code, r.body)
	}
	// A tampered cookie, or one past its expiry, is no login.
	tampered := c.Value[:len(c.Value)-2] + "AA"
	if tampered == c.Value {
		tampered = c.Value[:len(c.Value)-2] + "BB"
	}
	loginForm(t, "tampered cookie", sr.get(t, nil, &http.Cookie{Name: c.Name, Value: tampered}))
	longer := strings.Replace(c.Value, "v1.", "v1.9", 1) // a later expiry under the old MAC
	loginForm(t, "cookie with a forged expiry", sr.get(t, nil, &http.Cookie{Name: c.Name, Value: longer}))
	sr.clock.Advance(31 * 24 * time.Hour)
	loginForm(t, "expired cookie", sr.get(t, nil, &http.Cookie{Name: c.Name, Value: c.Value}))
	// The header still works; it is checked before the cookie.
	if r := sr.get(t, bearer(statusToken), &http.Cookie{Name: c.Name, Value: c.Value}); r.code != http.StatusOK {
		t.Fatalf("the header with an expired cookie: %d", r.code)
	}
}

func TestStatusPageSecureCookie(t *testing.T) {
	sr := newStatusRig(t, statusToken, "https://golive.example.com")
	r := sr.login(t, statusToken)
	cookies := (&http.Response{Header: r.header}).Cookies()
	if r.code != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].Secure {
		t.Fatalf("login behind an https GOLIVE_PUBLIC_URL: %d %v, want a Secure cookie", r.code, r.header.Values("Set-Cookie"))
	}
	// A request that reached golive over TLS gets a Secure cookie too.
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "https://golive.internal/status/login", strings.NewReader("token="+statusToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	(&handlers.StatusPage{Token: statusToken, Clock: sr.clock}).Login(w, req)
	if c := w.Result().Cookies(); w.Code != http.StatusSeeOther || len(c) != 1 || !c[0].Secure {
		t.Fatalf("login over https: %d %v", w.Code, w.Header().Values("Set-Cookie"))
	}
}

// statusArticle returns the <article> of one go-live in the page.
func statusArticle(t *testing.T, body string, number int) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<article [^>]*data-issue="` + strconv.Itoa(number) + `"[^>]*>.*?</article>`).FindString(body)
	if m == "" {
		t.Fatalf("no article for #%d in:\n%s", number, body)
	}
	return m
}

func TestStatusPageShowsGoLives(t *testing.T) {
	sr := newStatusRig(t, statusToken, "")
	r := sr.get(t, bearer(statusToken))
	if r.code != http.StatusOK {
		t.Fatalf("%d %s", r.code, r.body)
	}
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		"2 active go-lives, 1 ready",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	total := len(sr.tmpl.Items())
	prod, stag := statusArticle(t, r.body, 7), statusArticle(t, r.body, 8)
	for _, c := range []struct {
		name, article string
		want          []string
	}{
		{"#7", prod, []string{
			`data-repo="acme/api"`, `data-environment="production"`, `data-ready="false"`,
			`href="https://github.com/acme/api/issues/7">acme/api#7</a>`,
			`<span class="badge not-ready">NOT READY</span>`,
			"3/" + strconv.Itoa(total) + " items done",
			`<progress value="3" max="` + strconv.Itoa(len(sr.tmpl.Phases[0].Items)) + `"`,
			`<dd class="environment">production</dd>`,
			"<strong>production</strong> locked by @carol: launch freeze",
			"<code>fedcba9</code>", "rollback", `state-failure`,
			`<code>abcdef0</code>`, `href="https://github.com/acme/api/actions/runs/1">success</a>`,
			`<time class="golive-at" datetime="`,
			"v1.2.0", "@alice",
		}},
		{"#8", stag, []string{
			`data-environment="staging"`, `data-ready="true"`, `data-blocking="0"`,
			`<span class="badge ready">READY</span>`,
			strconv.Itoa(total) + "/" + strconv.Itoa(total) + " items done",
			`<dd class="environment">staging</dd>`,
		}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.article, w) {
				t.Errorf("%s lacks %q:\n%s", c.name, w, c.article)
			}
		}
	}
	// #7's blocking count is what readiness says, and each phase has a bar.
	g, err := sr.store.GetGoLive(context.Background(), trackedRepoID, 7)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := sr.svc.Readiness(context.Background(), g, sr.tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<strong class="blocking-count">` + strconv.Itoa(len(rd.Blocking)) + `</strong> blocking items`; !strings.Contains(prod, want) {
		t.Errorf("#7 lacks %q", want)
	}
	if n := strings.Count(prod, "<progress "); n != len(sr.tmpl.Phases) {
		t.Errorf("#7 has %d progress bars, want one per phase (%d)", n, len(sr.tmpl.Phases))
	}
	// The go-live's time is UTC in the markup, for the script to convert.
	iso := g.At.UTC().Format(time.RFC3339)
	if !strings.Contains(prod, `datetime="`+iso+`" data-local>`+g.At.UTC().Format("2006-01-02 15:04")+" UTC</time>") {
		t.Errorf("#7 lacks its go-live time %s in UTC:\n%s", iso, prod)
	}
	// The next reminder is the go-live's first pending one: T-7d.
	if !strings.Contains(prod, `<dd class="next-reminder"><strong class="offset">T-7d</strong>`) {
		t.Errorf("#7's next reminder is not T-7d:\n%s", prod)
	}
}
