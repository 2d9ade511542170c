package main

// These tests run the real golive binary, built once, against the fake GitHub
// and fake Slack servers, the way an operator runs it: configured through the
// environment, talked to over HTTP, stopped with signals or kill -9.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

const (
	testWebhookSecret = "e2e-webhook-secret-5b1f"
	testSigningSecret = "e2e-slack-signing-secret-77ac"
)

var golivePath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "golive-e2e-")
	if err != nil {
		panic(err)
	}
	golivePath = filepath.Join(dir, "golive")
	build := exec.Command("go", "build", "-o", golivePath, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build golive:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer collects a process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	gh    *fakegithub.Server
	slack *fakeslack.Server
	vars  map[string]string
}

// newEnv starts the fakes and returns the environment of a configured golive.
func newEnv(t *testing.T, databaseURL string) *env {
	t.Helper()
	return newEnvWith(t, databaseURL, fakeslack.Options{})
}

// newEnvWith is newEnv with a fake Slack configured by slackOpts.
func newEnvWith(t *testing.T, databaseURL string, slackOpts fakeslack.Options) *env {
	t.Helper()
	gh := fakegithub.New(fakegithub.Options{T: t})
	slackOpts.T = t
	sl := fakeslack.New(slackOpts)
	return &env{gh: gh, slack: sl, vars: map[string]string{
		"GOLIVE_ADDR":           "127.0.0.1:0",
		"GOLIVE_DATABASE_URL":   databaseURL,
		"GOLIVE_LOG_LEVEL":      "debug",
		"GOLIVE_LOG_FORMAT":     "json",
		"GITHUB_APP_ID":         strconv.FormatInt(gh.AppID(), 10),
		"GITHUB_PRIVATE_KEY":    string(gh.PrivateKeyPEM()),
		"GITHUB_WEBHOOK_SECRET": testWebhookSecret,
		"GITHUB_API_URL":        gh.URL,
		"SLACK_BOT_TOKEN":       sl.Token(),
		"SLACK_SIGNING_SECRET":  testSigningSecret,
		"SLACK_API_URL":         sl.APIURL(),
	}}
}

type proc struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	base   string
	exited chan struct{}
	err    error
}

// start runs golive serve and waits until it listens.
func (e *env) start(t *testing.T) *proc {
	t.Helper()
	cmd := exec.Command(golivePath, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = t.TempDir()
	p, _ := startLogging(t, cmd, "golive listening")
	return p
}

// startLogging starts cmd (a golive serve) and waits for its first JSON log
// line whose msg starts with msg, returning the process, with its base URL
// from the line's addr, and the line's fields.
func startLogging(t *testing.T, cmd *exec.Cmd, msg string) (*proc, map[string]any) {
	t.Helper()
	p := &proc{cmd: cmd, logs: &lockedBuffer{}, exited: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(p.logs, pw)
	cmd.Stdout = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); pw.Close(); close(p.exited) }()
	t.Cleanup(func() { p.kill() })
	found := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil {
				if m, _ := line["msg"].(string); strings.HasPrefix(m, msg) {
					select {
					case found <- line:
					default:
					}
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case line := <-found:
		if addr, ok := line["addr"].(string); ok {
			p.base = "http://" + addr
		}
		return p, line
	case <-p.exited:
		t.Fatalf("golive exited before logging %q: %v\n%s", msg, p.err, p.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("golive did not log %q:\n%s", msg, p.logs)
	}
	return nil, nil
}

func (p *proc) kill() {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}

func (p *proc) get(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get(p.base + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (p *proc) webhook(t *testing.T, id, event string, body []byte, headers map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.base+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-GitHub-Event", event)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post webhook %s: %v", id, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func sign(body []byte) map[string]string {
	return map[string]string{"X-Hub-Signature-256": signature.SignGitHub([]byte(testWebhookSecret), body)}
}

func (p *proc) slackCommand(t *testing.T, ts time.Time, text string) int {
	t.Helper()
	body := url.Values{"command": {"/golive"}, "text": {text}, "user_id": {"U1"}, "team_id": {"T1"},
		"channel_id": {"C1"}, "response_url": {"http://127.0.0.1/unused"}}.Encode()
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, p.base+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", signature.SignSlack([]byte(testSigningSecret), stamp, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func payload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "github", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeAnswers walks through the documented answers of a configured server.
func TestServeAnswers(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, "sqlite:"+filepath.Join(dir, "golive.db"))
	// A delivery GitHub failed to hand over while golive was down.
	e.gh.AddHookDelivery(fakegithub.HookDelivery{ID: 9001, GUID: "missed-while-down", Event: "ping", StatusCode: 502, DeliveredAt: time.Now().Add(-time.Hour)})
	p := e.start(t)

	ping := payload(t, "ping/event.json")
	if code := p.webhook(t, "ping-1", "ping", ping, sign(ping)); code != http.StatusAccepted {
		t.Fatalf("signed ping: %d, want 202", code)
	}
	if code := p.webhook(t, "ping-1", "ping", ping, sign(ping)); code != http.StatusOK {
		t.Fatalf("same delivery id again: %d, want 200", code)
	}
	for name, h := range map[string]map[string]string{
		"unsigned":  nil,
		"wrong":     {"X-Hub-Signature-256": signature.SignGitHub([]byte("not-the-secret"), ping)},
		"sha1 only": {"X-Hub-Signature": "sha1=5b2c7aaf8ff23bdb45bed3a4e3e6e4e0a7e36b11"},
	} {
		if code := p.webhook(t, "refused-"+name, "ping", ping, h); code != http.StatusUnauthorized {
			t.Fatalf("%s: %d, want 401", name, code)
		}
	}
	big := bytes.Repeat([]byte("x"), 25<<20+1)
	if code := p.webhook(t, "big", "ping", big, sign(big)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("body over 25 MiB: %d, want 413", code)
	}
	if code := p.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d", code)
	}
	if code := p.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz: %d", code)
	}
	if code := p.get(t, "/metrics"); code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	if code := p.slackCommand(t, time.Now(), "help"); code != http.StatusOK {
		t.Fatalf("signed slack command: %d, want 200", code)
	}
	if code := p.slackCommand(t, time.Now().Add(-10*time.Minute), "help"); code != http.StatusUnauthorized {
		t.Fatalf("stale slack timestamp: %d, want 401", code)
	}

	waitFor(t, "the ping to be processed", 10*time.Second, func() bool {
		return logLines(p.logs.String(), "delivery processed", "ping-1") == 1
	})
	waitFor(t, "the redelivery sweep", 10*time.Second, func() bool { return len(e.gh.Redeliveries()) > 0 })
	if got := e.gh.Redeliveries(); len(got) != 1 || got[0] != 9001 {
		t.Fatalf("redeliveries requested %v, want [9001]", got)
	}

	waitFor(t, "the Slack token check", 10*time.Second, func() bool { return logLines(p.logs.String(), "slack connected", "") == 1 })
	if n := e.slack.CallCount("auth.test"); n != 1 {
		t.Fatalf("auth.test called %d times at start, want 1", n)
	}

	// SIGTERM: the server stops cleanly.
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("golive did not stop on SIGTERM")
	}
	if p.err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", p.err, p.logs)
	}
	logs := p.logs.String()
	if n := logLines(logs, "ping received", ""); n != 1 || logLines(logs, "ping received", "ping-1") != 1 {
		t.Fatalf("ping handled %d times, want once, logged with its delivery id:\n%s", n, logs)
	}
	assertNoSecrets(t, e, logs)
}

// logLines counts JSON log lines with message msg and, unless delivery is
// empty, that delivery id.
func logLines(logs, msg, delivery string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		var l struct {
			Msg      string `json:"msg"`
			Delivery string `json:"delivery"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == msg && (delivery == "" || l.Delivery == delivery) {
			n++
		}
	}
	return n
}

// assertNoSecrets fails when any configured secret or private key line
// appears in the logs, or the status token, or a credential golive sent
// the fake GitHub: the installation tokens it was issued and its App JWTs.
func assertNoSecrets(t *testing.T, e *env, logs string) {
	t.Helper()
	for _, s := range secretsOf(e) {
		if strings.Contains(logs, s) {
			t.Fatalf("a secret appears in the logs: %.12s…", s)
		}
	}
}

// secretsOf is what assertNoSecrets looks for.
func secretsOf(e *env) []string {
	secrets := []string{testWebhookSecret, testSigningSecret, e.slack.Token()}
	if tok := e.vars["GOLIVE_STATUS_TOKEN"]; tok != "" {
		secrets = append(secrets, tok)
	}
	for _, line := range strings.Split(string(e.gh.PrivateKeyPEM()), "\n") {
		if len(line) > 20 {
			secrets = append(secrets, line)
		}
	}
	for _, c := range e.gh.Calls() {
		if cred := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(c.Header.Get("Authorization"), "Bearer "), "token ")); len(cred) > 20 {
			secrets = append(secrets, cred)
		}
		if c.Route == "/app/installations/{installation_id}/access_tokens" {
			var issued struct{ Token string }
			if json.Unmarshal(c.Response, &issued) == nil && issued.Token != "" {
				secrets = append(secrets, issued.Token)
			}
		}
	}
	return secrets
}

// TestKill9 proves a delivery acknowledged just before kill -9 is processed
// after the restart, and none is processed twice.
func TestKill9(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "golive.db")
	e := newEnv(t, "sqlite:"+dbPath)
	var template map[string]any
	if err := json.Unmarshal(payload(t, "installation/created.json"), &template); err != nil {
		t.Fatal(err)
	}
	const perRound = 100
	sent := 0
	for round := 0; round < 5; round++ {
		p := e.start(t)
		var wg sync.WaitGroup
		codes := make([]int, perRound)
		for i := range perRound {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := sent + i
				ins := template["installation"].(map[string]any)
				ins2 := map[string]any{}
				for k, v := range ins {
					ins2[k] = v
				}
				ins2["id"] = 100000 + n
				body, _ := json.Marshal(map[string]any{"action": "created", "installation": ins2, "sender": template["sender"]})
				codes[i] = p.webhook(t, fmt.Sprintf("inst-%d", n), "installation", body, sign(body))
			}()
		}
		wg.Wait()
		p.cmd.Process.Signal(syscall.SIGKILL) // right after the last 202
		<-p.exited
		sent += perRound
		for i, c := range codes {
			if c != http.StatusAccepted {
				t.Fatalf("delivery %d answered %d", i, c)
			}
		}
		st := openStore(t, "sqlite:"+dbPath)
		pending, _ := st.CountDeliveries(context.Background(), store.DeliveryPending)
		st.Close()
		t.Logf("round %d: %d of %d acknowledged deliveries unprocessed at kill -9", round, pending, sent)
		if pending > 0 {
			break
		}
	}

	p := e.start(t)
	st := openStore(t, "sqlite:"+dbPath)
	defer st.Close()
	waitFor(t, "every acknowledged delivery to be processed after restart", 30*time.Second, func() bool {
		done, _ := st.CountDeliveries(context.Background(), store.DeliveryDone)
		return done == sent
	})
	for _, s := range []store.DeliveryStatus{store.DeliveryPending, store.DeliveryDead} {
		if n, _ := st.CountDeliveries(context.Background(), s); n != 0 {
			t.Fatalf("%d deliveries %s after restart", n, s)
		}
	}
	ins, err := st.ListInstallations(context.Background())
	if err != nil || len(ins) != sent {
		t.Fatalf("%d installations recorded, want %d (%v)", len(ins), sent, err)
	}
	p.kill()
}

func openStore(t *testing.T, u string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestBadSlackTokenIsReported shows an operator a refused bot token at start.
func TestBadSlackTokenIsReported(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "golive.db"))
	e.vars["SLACK_BOT_TOKEN"] = "xoxb-revoked"
	p := e.start(t)
	waitFor(t, "the refused token to be logged", 10*time.Second, func() bool {
		return strings.Contains(p.logs.String(), `"slack_error":"invalid_auth"`)
	})
	if code := p.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d (a bad Slack token must not stop webhook processing)", code)
	}
	assertNoSecrets(t, e, p.logs.String())
	if strings.Contains(p.logs.String(), "xoxb-revoked") {
		t.Fatal("the refused token was logged")
	}
}

// TestRefusesToStartWithoutSecrets checks the guard for empty secrets, which
// go-envconfig's required and go-github's ValidatePayload would let through.
func TestRefusesToStartWithoutSecrets(t *testing.T) {
	for _, name := range []string{"GITHUB_WEBHOOK_SECRET", "SLACK_SIGNING_SECRET", "GITHUB_PRIVATE_KEY"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "golive.db"))
			e.vars[name] = ""
			cmd := exec.Command(golivePath, "serve")
			for k, v := range e.vars {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != 2 {
				t.Fatalf("exit %v, want status 2; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), name) {
				t.Fatalf("output does not name %s:\n%s", name, out)
			}
		})
	}
}

// TestReadyzFollowsTheDatabase drops the server's PostgreSQL database under it:
// /readyz turns 503 while /healthz stays 200.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	admin := storetest.PostgresURL(t)
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("golive_readyz_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	e := newEnv(t, u.String())
	p := e.start(t)
	if code := p.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz with the database up: %d", code)
	}
	if _, err := db.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/readyz to report the database gone", 10*time.Second, func() bool { return p.get(t, "/readyz") == http.StatusServiceUnavailable })
	if code := p.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz with the database gone: %d, want 200 (the process is alive)", code)
	}
	body := []byte(`{"zen":"x"}`)
	if code := p.webhook(t, "db-gone", "ping", body, sign(body)); code != http.StatusServiceUnavailable {
		t.Fatalf("webhook with the database gone: %d, want 503", code)
	}
}
