package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/store"
)

// TestSecretsNeverLogged runs golive serve at debug level through a day's
// work — a go-live opened and ticked with its Slack thread, a deploy from a
// comment followed to its end, slash commands, refused webhooks and Slack
// requests, the status page with its token, a wrong token and the login
// form — and greps everything it logged for the private key, the webhook
// secret, the Slack signing secret and bot token, the status token and the
// installation tokens and App JWTs it used (assertNoSecrets).
func TestSecretsNeverLogged(t *testing.T) {
	const statusToken = "e2e-status-token-secret-9d1f"
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "golive.db")
	e := newEnvWith(t, dbURL, fakeslack.Options{Channels: []fakeslack.Channel{{ID: "CDEPLOYS", Name: "deploys", Member: true}}})
	e.vars["GOLIVE_STATUS_TOKEN"] = statusToken
	e.vars["GOLIVE_LOG_LEVEL"] = "debug"
	e.gh.AddRepo(actionRepo, fakegithub.RepoOpts{})
	e.gh.AddInstallation(actionInstall, "acme", "Organization", actionRepo)
	e.gh.PutFile(actionRepo, ".github/golive.yml", actionConfig+"slack:\n  channel: \"#deploys\"\n")
	for _, f := range []string{"deploy.yml", "rollback.yml"} {
		e.gh.AddWorkflow(actionRepo, fakegithub.Workflow{Path: ".github/workflows/" + f, Inputs: rollbackInputs,
			RunName: "golive ${{ inputs.environment }} ${{ inputs.correlation_id }}"})
	}
	e.gh.SetPermission(actionRepo, "walt", "write", "write")
	const repoID = int64(7001)
	st := openStore(t, dbURL)
	defer st.Close()
	ctx := t.Context()
	if err := st.UpsertInstallation(ctx, store.Installation{ID: actionInstall, AccountLogin: "acme", AccountType: "Organization"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddRepositories(ctx, actionInstall, []store.Repository{{ID: repoID, InstallationID: actionInstall, FullName: actionRepo}}); err != nil {
		t.Fatal(err)
	}
	p := e.start(t)

	event := func(name string, mutate func(p map[string]any)) []byte {
		var ev map[string]any
		if err := json.Unmarshal(payload(t, name), &ev); err != nil {
			t.Fatal(err)
		}
		ev["installation"] = map[string]any{"id": actionInstall, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI="}
		repo := ev["repository"].(map[string]any)
		repo["id"], repo["full_name"], repo["name"] = repoID, actionRepo, "shop"
		mutate(ev)
		b, _ := json.Marshal(ev)
		return b
	}
	send := func(id, kind string, body []byte) {
		t.Helper()
		if code := p.webhook(t, id, kind, body, sign(body)); code != http.StatusAccepted {
			t.Fatalf("%s: %d", id, code)
		}
	}

	// A go-live: opened, its Slack thread posted, one item ticked.
	body := goLiveBody(t, actionConfig, "production", nil) + "\n### Slack channel\n\n#deploys\n"
	is := e.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: body})
	issue := func(action, body string, old *string) []byte {
		return event("issues/opened.json", func(ev map[string]any) {
			ev["action"] = action
			i := ev["issue"].(map[string]any)
			i["number"], i["body"] = is.Number, body
			i["labels"] = []any{map[string]any{"id": 1, "name": "golive", "color": "0e8a16", "default": false}}
			if old != nil {
				ev["changes"] = map[string]any{"body": map[string]any{"from": *old}}
			}
		})
	}
	send("opened", "issues", issue("opened", body, nil))
	var g store.GoLive
	waitFor(t, "the go-live's Slack thread", 20*time.Second, func() bool {
		var err error
		g, err = st.GetGoLive(ctx, repoID, is.Number)
		return err == nil && g.SlackThreadTS != ""
	})
	tracked, _ := e.gh.GetIssue(actionRepo, is.Number)
	ticked := strings.Replace(tracked.Body, "- [ ] ", "- [x] ", 1)
	send("tick", "issues", issue("edited", ticked, &tracked.Body))

	// A deploy from a comment, followed to the end of its run.
	c, _ := e.gh.AddComment(actionRepo, is.Number, "walt", "/golive deploy staging")
	send("deploy", "issue_comment", event("issue_comment/created.json", func(ev map[string]any) {
		i := ev["issue"].(map[string]any)
		i["number"], i["body"], i["labels"] = is.Number, "", []any{}
		delete(i, "pull_request")
		cm := ev["comment"].(map[string]any)
		cm["id"], cm["body"] = c.ID, "/golive deploy staging"
		s := ev["sender"].(map[string]any)
		s["login"], s["type"] = "walt", "User"
	}))
	waitFor(t, "the deploy's reply", 20*time.Second, func() bool {
		for _, c := range e.gh.Comments(actionRepo, is.Number) {
			if strings.Contains(c.Body, "Deploying") {
				return len(e.gh.Dispatches()) == 1
			}
		}
		return false
	})
	run := e.gh.Dispatches()[0].RunID
	e.gh.UpdateWorkflowRun(actionRepo, run, "completed", "success")
	var title string
	for _, r := range e.gh.WorkflowRuns(actionRepo) {
		if r.ID == run {
			title = r.DisplayTitle
		}
	}
	send("run-done", "workflow_run", event("workflow_run/completed.json", func(ev map[string]any) {
		wr := ev["workflow_run"].(map[string]any)
		wr["id"], wr["display_title"], wr["status"], wr["conclusion"] = run, title, "completed", "success"
	}))

	// Slash commands, signed and not.
	slash := func(ts time.Time, text string) int {
		body := url.Values{"command": {"/golive"}, "text": {text}, "user_id": {"U1"}, "team_id": {"T1"},
			"channel_id": {"CDEPLOYS"}, "response_url": {e.slack.ResponseURL(text)}, "trigger_id": {text}}.Encode()
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
	if code := slash(time.Now(), actionRepo+" status"); code != http.StatusOK {
		t.Fatalf("signed status command: %d", code)
	}
	if code := slash(time.Now().Add(-10*time.Minute), actionRepo+" status"); code != http.StatusUnauthorized {
		t.Fatalf("stale command: %d", code)
	}
	waitFor(t, "the status answer", 20*time.Second, func() bool { return len(e.slack.Responses(actionRepo+" status")) == 1 })

	// Refused webhooks: unsigned, signed with another secret.
	ping := payload(t, "ping/event.json")
	p.webhook(t, "unsigned", "ping", ping, nil)
	p.webhook(t, "wrong", "ping", ping, map[string]string{"X-Hub-Signature-256": signature.SignGitHub([]byte("not-the-secret"), ping)})

	// The status page: the token, a wrong one, the login form.
	page := func(method, path, auth, form string) int {
		req, _ := http.NewRequest(method, p.base+path, strings.NewReader(form))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		method, path, auth, form string
		want                     int
	}{
		{"GET", "/status", statusToken, "", http.StatusOK},
		{"GET", "/status", statusToken + "x", "", http.StatusUnauthorized},
		{"POST", "/status/login", "", "token=" + url.QueryEscape(statusToken), http.StatusSeeOther},
		{"POST", "/status/login", "", "token=wrong-" + url.QueryEscape(statusToken), http.StatusUnauthorized},
	} {
		if code := page(c.method, c.path, c.auth, c.form); code != c.want {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, code, c.want)
		}
	}

	defer func() {
		if t.Failed() {
			for _, c := range e.gh.Comments(actionRepo, is.Number) {
				t.Logf("COMMENT %s: %.300q", c.User, c.Body)
			}
			t.Logf("LOGS %s", p.logs.String()[max(0, len(p.logs.String())-6000):])
		}
	}()
	waitFor(t, "the run's end on the reply", 20*time.Second, func() bool {
		for _, c := range e.gh.Comments(actionRepo, is.Number) {
			if strings.Contains(c.Body, "succeeded") {
				return true
			}
		}
		return false
	})
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("golive did not stop on SIGTERM")
	}
	logs := p.logs.String()
	// The flow really ran at debug level and with installation tokens.
	tokens := len(e.gh.CallsTo("POST", "/app/installations/{installation_id}/access_tokens"))
	debug := strings.Count(logs, `"level":"DEBUG"`)
	if tokens == 0 || debug == 0 {
		t.Fatalf("%d installation tokens issued, %d debug lines logged: the flow did not run as it should\n%s", tokens, debug, logs)
	}
	t.Logf("%d log lines (%d at debug), %d installation tokens issued, %d GitHub calls, %d Slack calls: no secret in the logs",
		strings.Count(logs, "\n"), debug, tokens, len(e.gh.Calls()), len(e.slack.Calls()))
	// What is looked for includes the status token and every installation
	// token issued.
	secrets := strings.Join(secretsOf(e), "\n")
	for _, c := range e.gh.CallsTo("POST", "/app/installations/{installation_id}/access_tokens") {
		var issued struct{ Token string }
		if json.Unmarshal(c.Response, &issued); issued.Token == "" || !strings.Contains(secrets, issued.Token) {
			t.Fatalf("the installation token of %s is not looked for", c.RequestID)
		}
	}
	if !strings.Contains(secrets, statusToken) {
		t.Fatal("the status token is not looked for")
	}
	assertNoSecrets(t, e, logs)
}
