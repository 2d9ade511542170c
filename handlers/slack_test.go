package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
	"github.com/golive-dev/golive/handlers"
)

// slackSecret and the request below are Slack's documented signing example
// (testdata/slack/vectors.json); the rig's clock stands at its timestamp.
const slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"

func slackVector(t *testing.T) (ts, sig, body string) {
	t.Helper()
	raw, err := os.ReadFile("../testdata/slack/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []struct {
			ID                string `json:"id"`
			Timestamp         string `json:"timestamp"`
			ExpectedSignature string `json:"expected_signature"`
			Request           struct {
				RawBody string `json:"raw_body"`
			} `json:"request"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vectors {
		if v.ID == "slack-request-signing-v0" {
			return v.Timestamp, v.ExpectedSignature, v.Request.RawBody
		}
	}
	t.Fatal("slack vector missing")
	return
}

func postSlack(t *testing.T, u, ts, sig, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A signed slash command is kept in the inbox and acknowledged at once,
// before anything runs.
func TestSlackCommandIsKeptAndAcknowledged(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 10)
	ts, sig, body := slackVector(t)
	start := time.Now()
	code, resp := postSlack(t, r.server.URL+"/slack/commands", ts, sig, body)
	if code != http.StatusOK || time.Since(start) > 3*time.Second {
		t.Fatalf("documented signed command: %d %s after %s, want 200 within Slack's 3 s", code, resp, time.Since(start))
	}
	var reply struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := json.Unmarshal([]byte(resp), &reply); err != nil {
		t.Fatal(err)
	}
	if reply.ResponseType != "ephemeral" || !strings.Contains(reply.Text, "golive is on it") {
		t.Fatalf("reply %+v is not the ephemeral acknowledgement", reply)
	}
	form, _ := url.ParseQuery(body)
	d, err := r.store.GetDelivery(context.Background(), "slack:"+form.Get("trigger_id"))
	if err != nil || d.Event != handlers.SlackCommandEvent || d.Status != store.DeliveryPending {
		t.Fatalf("the command is not in the inbox: %+v, %v", d, err)
	}
	var kept map[string]string
	if err := json.Unmarshal(d.Payload, &kept); err != nil || kept["text"] != form.Get("text") || kept["response_url"] != form.Get("response_url") {
		t.Fatalf("kept payload %s, %v", d.Payload, err)
	}
	// Posting it again (a retry) keeps one row.
	if code, _ := postSlack(t, r.server.URL+"/slack/commands", ts, sig, body); code != http.StatusOK {
		t.Fatalf("repeated command: %d", code)
	}
	if n, _ := r.store.CountDeliveries(context.Background(), store.DeliveryPending); n != 1 {
		t.Fatalf("%d pending deliveries after the same command twice, want 1", n)
	}
}

func TestSlackCommandRefusals(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 10)
	ts, sig, body := slackVector(t)
	u := r.server.URL + "/slack/commands"
	if code, _ := postSlack(t, u, ts, sig, body+"&x=1"); code != http.StatusUnauthorized {
		t.Fatalf("tampered body: %d, want 401", code)
	}
	if code, _ := postSlack(t, u, ts, "", body); code != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d, want 401", code)
	}
	// Correctly signed but six minutes old: a replay.
	r.clock.Advance(6 * time.Minute)
	if code, _ := postSlack(t, u, ts, sig, body); code != http.StatusUnauthorized {
		t.Fatalf("stale timestamp: %d, want 401", code)
	}
	// A fresh signature at the new time is accepted again.
	now := strconv.FormatInt(r.clock.Now().Unix(), 10)
	if code, _ := postSlack(t, u, now, signature.SignSlack([]byte(slackSecret), now, []byte(body)), body); code != http.StatusOK {
		t.Fatalf("fresh signature: %d, want 200", code)
	}
}

func TestSlackInteractions(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 10)
	now := strconv.FormatInt(r.clock.Now().Unix(), 10)
	u := r.server.URL + "/slack/interactions"
	good := "payload=" + url.QueryEscape(`{"type":"block_actions","user":{"id":"U1"}}`)
	if code, _ := postSlack(t, u, now, signature.SignSlack([]byte(slackSecret), now, []byte(good)), good); code != http.StatusOK {
		t.Fatalf("signed interaction: %d, want 200", code)
	}
	bad := "payload=notjson"
	if code, _ := postSlack(t, u, now, signature.SignSlack([]byte(slackSecret), now, []byte(bad)), bad); code != http.StatusBadRequest {
		t.Fatalf("signed garbage interaction: %d, want 400", code)
	}
	if code, _ := postSlack(t, u, now, "v0=00", good); code != http.StatusUnauthorized {
		t.Fatalf("unsigned interaction: %d, want 401", code)
	}
}

// fakeSnoozer records snoozes; err, when set, is what Snooze returns.
type fakeSnoozer struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeSnoozer) Snooze(_ context.Context, goliveID int64, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%d by %s", goliveID, user))
	return "Snoozed.", f.err
}

type fakeResponder struct {
	mu      sync.Mutex
	replies []string
}

func (f *fakeResponder) Respond(_ context.Context, responseURL string, r slackclient.Response) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies = append(f.replies, responseURL+" "+r.Text)
	return nil
}

func TestSnoozeButton(t *testing.T) {
	snoozer, responder := &fakeSnoozer{}, &fakeResponder{}
	var replies sync.WaitGroup
	clk := clock.NewFake(time.Unix(1531420618, 0))
	h := (&handlers.SlackVerifier{SigningSecret: []byte(slackSecret), Clock: clk, Logger: slog.New(slog.DiscardHandler)}).Wrap("interaction",
		&handlers.SlackInteractions{Logger: slog.New(slog.DiscardHandler), Snoozer: snoozer, Responder: responder, Replies: &replies})
	srv := httptest.NewServer(h)
	defer srv.Close()
	now := strconv.FormatInt(clk.Now().Unix(), 10)
	click := func(value string) int {
		payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U7"},"response_url":"https://hooks.slack.test/r/1",`+
			`"actions":[{"action_id":%q,"value":%q}]}`, scheduler.SnoozeActionID, value)
		body := "payload=" + url.QueryEscape(payload)
		code, _ := postSlack(t, srv.URL, now, signature.SignSlack([]byte(slackSecret), now, []byte(body)), body)
		replies.Wait()
		return code
	}
	if code := click("42"); code != http.StatusOK {
		t.Fatalf("snooze click: %d", code)
	}
	if len(snoozer.calls) != 1 || snoozer.calls[0] != "42 by U7" {
		t.Fatalf("snoozes: %v", snoozer.calls)
	}
	if len(responder.replies) != 1 || responder.replies[0] != "https://hooks.slack.test/r/1 Snoozed." {
		t.Fatalf("replies: %v", responder.replies)
	}
	if code := click("not-a-go-live"); code != http.StatusBadRequest {
		t.Fatalf("a snooze button with a bad value: %d, want 400", code)
	}
	snoozer.err = errors.New("database down")
	if code := click("42"); code != http.StatusOK {
		t.Fatalf("snooze click with the store down: %d", code)
	}
	if last := responder.replies[len(responder.replies)-1]; !strings.Contains(last, "could not snooze") {
		t.Fatalf("the person who clicked was not told the snooze failed: %q", last)
	}
}
