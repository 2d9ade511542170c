package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeoidc"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/store"
)

// TestActionReportReachesTheSlackThread runs the whole loop: golive serve
// tracks a go-live with a Slack thread; the Action's report step, proving
// its repository with an Actions OIDC token, tells the server; the server
// ticks the environment's item on the issue and replies in the thread.
func TestActionReportReachesTheSlackThread(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "golive.db")
	e := newEnvWith(t, dbURL, fakeslack.Options{Channels: []fakeslack.Channel{{ID: "CDEPLOYS", Name: "deploys", Member: true}}})
	issuer := fakeoidc.New(clock.System{}, map[string]any{"repository": actionRepo, "run_id": actionRunID, "run_attempt": "1", "actor": "deployer"})
	defer issuer.Close()
	// The Action's tokens name the server's public URL, so it is known
	// before the server starts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e.vars["GOLIVE_ADDR"], e.vars["GOLIVE_PUBLIC_URL"] = addr, "http://"+addr
	e.vars["GOLIVE_ACTIONS_OIDC_ISSUER"] = issuer.URL()

	e.gh.AddRepo(actionRepo, fakegithub.RepoOpts{})
	e.gh.AddInstallation(actionInstall, "acme", "Organization", actionRepo)
	e.gh.PutFile(actionRepo, ".github/golive.yml", tickConfig)
	body := goLiveBody(t, tickConfig, "production", nil) + "\n### Slack channel\n\n#deploys\n"
	is := e.gh.AddIssue(actionRepo, fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: body})
	const repoID = int64(7001) // as the webhooks and the stored installation name it
	st := openStore(t, dbURL)
	ctx := context.Background()
	if err := st.UpsertInstallation(ctx, store.Installation{ID: actionInstall, AccountLogin: "acme", AccountType: "Organization"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddRepositories(ctx, actionInstall, []store.Repository{{ID: repoID, InstallationID: actionInstall, FullName: actionRepo}}); err != nil {
		t.Fatal(err)
	}
	p := e.start(t)

	var ev map[string]any
	if err := json.Unmarshal(payload(t, "issues/opened.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["installation"] = map[string]any{"id": actionInstall, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI="}
	repo := ev["repository"].(map[string]any)
	repo["id"], repo["full_name"], repo["name"] = repoID, actionRepo, "shop"
	issue := ev["issue"].(map[string]any)
	issue["number"], issue["body"] = is.Number, body
	issue["labels"] = []any{map[string]any{"id": 1, "name": "golive", "color": "0e8a16", "default": false}}
	opened, _ := json.Marshal(ev)
	if code := p.webhook(t, "opened-1", "issues", opened, sign(opened)); code != http.StatusAccepted {
		t.Fatalf("issues.opened: %d", code)
	}
	var g store.GoLive
	waitFor(t, "the go-live's Slack thread", 20*time.Second, func() bool {
		g, err = st.GetGoLive(ctx, repoID, is.Number)
		return err == nil && g.SlackThreadTS != ""
	})

	w := &actionWorld{gh: e.gh, token: e.gh.InstallationToken(actionInstall)}
	r := w.runAction(t, "report", map[string]string{"environment": "production", "issue": fmt.Sprint(is.Number),
		"outcome": "success", "server_url": "http://" + addr},
		"ACTIONS_ID_TOKEN_REQUEST_URL", issuer.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN", fakeoidc.RequestToken)
	wantCode(t, r, 0, "reported")
	if res := r.result(t); res["server"] != "accepted" {
		t.Fatalf("result %s\n%s", r.outputs["result"], p.logs)
	}
	waitFor(t, "the report in the Slack thread", 20*time.Second, func() bool {
		for _, m := range e.slack.Messages("CDEPLOYS") {
			if m.ThreadTS == g.SlackThreadTS && strings.Contains(m.Text, "Deploy of") && strings.Contains(m.Text, "succeeded") {
				return true
			}
		}
		return false
	})
	waitFor(t, "the item ticked by the server", 20*time.Second, func() bool {
		got, _ := e.gh.GetIssue(actionRepo, is.Number)
		return strings.Count(got.Body, "- [x] ") == 1
	})
	audit, _ := st.Audit(ctx, g.ID)
	found := false
	for _, a := range audit {
		found = found || (a.Action == "tick" && a.ItemID == "deploy.smoke-health" && a.Actor == "@deployer")
	}
	if !found {
		t.Fatalf("the tick is not audited as the run's actor: %+v", audit)
	}
	assertNoSecrets(t, e, p.logs.String())
}
