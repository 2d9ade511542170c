package slackclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/slack-go/slack"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/slackclient"
)

type env struct {
	srv     *fakeslack.Server
	clk     *clock.Fake
	metrics *metrics.Metrics
	client  *slackclient.Client
}

func setup(t *testing.T) *env {
	t.Helper()
	clk := clock.NewFake(time.Unix(1700000000, 0))
	srv := fakeslack.New(fakeslack.Options{
		T:     t,
		Clock: clk,
		Channels: []fakeslack.Channel{
			{ID: "C1", Name: "general", Member: true},
			{ID: "COUT", Name: "outside"},
			{ID: "CARCH", Name: "old", Member: true, Archived: true},
		},
		Users: []fakeslack.User{{ID: "U1", Name: "ada", RealName: "Ada Lovelace", DisplayName: "ada",
			Email: "ada@example.com", TZ: "Europe/Paris", TZOffset: 3600}},
	})
	m := metrics.New()
	c := slackclient.New(slackclient.Config{Token: fakeslack.DefaultToken, APIURL: srv.APIURL(), Metrics: m, Clock: clk})
	return &env{srv: srv, clk: clk, metrics: m, client: c}
}

func newClient(srv *fakeslack.Server, token string, m *metrics.Metrics) *slackclient.Client {
	return slackclient.New(slackclient.Config{Token: token, APIURL: srv.APIURL(), Metrics: m})
}

func (e *env) count(method, outcome string) float64 {
	var m dto.Metric
	if err := e.metrics.SlackCalls.WithLabelValues(method, outcome).Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

func TestPostMessage(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	parent, ch, err := e.client.PostMessage(ctx, slackclient.Message{Channel: "C1", Text: "deploying"})
	if err != nil {
		t.Fatalf("post parent: %v", err)
	}
	if ch != "C1" {
		t.Errorf("channel ID = %q, want C1", ch)
	}
	ts, _, err := e.client.PostMessage(ctx, slackclient.Message{
		Channel:   "C1",
		Text:      "done",
		Blocks:    []slack.Block{slack.NewDividerBlock()},
		ThreadTS:  parent,
		Broadcast: true,
		Metadata:  &slackclient.Metadata{EventType: "golive_deploy", Payload: map[string]any{"run": "r1"}},
	})
	if err != nil {
		t.Fatalf("post reply: %v", err)
	}
	m, ok := e.srv.Message("C1", ts)
	if !ok {
		t.Fatalf("message %s not stored", ts)
	}
	if m.Text != "done" || m.ThreadTS != parent || !m.Broadcast || string(m.Blocks) != `[{"type":"divider"}]` {
		t.Errorf("stored = %+v", m)
	}
	if m.Metadata == nil || m.Metadata.EventType != "golive_deploy" || m.Metadata.EventPayload["run"] != "r1" {
		t.Errorf("stored metadata = %+v", m.Metadata)
	}
	// Broadcast without a thread is not sent.
	ts3, _, err := e.client.PostMessage(ctx, slackclient.Message{Channel: "C1", Text: "x", Broadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := e.srv.Message("C1", ts3); m.Broadcast || m.ThreadTS != "" {
		t.Errorf("top-level message stored as %+v", m)
	}
	// A nil payload is sent as {} (Slack rejects a null one).
	if _, _, err := e.client.PostMessage(ctx, slackclient.Message{Channel: "C1", Text: "x", Metadata: &slackclient.Metadata{EventType: "bare"}}); err != nil {
		t.Fatalf("nil payload: %v", err)
	}
	if got := e.count("chat.postMessage", "ok"); got != 4 {
		t.Errorf("ok count = %v, want 4", got)
	}
}

// PostMessage returns the ID of the channel Slack posted in, also when
// given a channel name or a user ID.
func TestPostMessageChannelID(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, tt := range []struct{ channel, want string }{
		{"C1", "C1"},
		{"#general", "C1"},
		{"general", "C1"},
		{"U1", e.srv.DMChannel("U1")},
	} {
		ts, ch, err := e.client.PostMessage(ctx, slackclient.Message{Channel: tt.channel, Text: "hi " + tt.channel})
		if err != nil {
			t.Fatalf("post to %s: %v", tt.channel, err)
		}
		if ch != tt.want {
			t.Errorf("post to %s: channel ID = %q, want %q", tt.channel, ch, tt.want)
		}
		if m, ok := e.srv.Message(tt.want, ts); !ok || m.Text != "hi "+tt.channel {
			t.Errorf("post to %s: message %s not stored in %s (%+v)", tt.channel, ts, tt.want, m)
		}
	}
	if _, ch, err := e.client.PostMessage(ctx, slackclient.Message{Channel: "#nope", Text: "x"}); err == nil || ch != "" {
		t.Errorf("post to unknown name = %q, %v; want an error and no channel", ch, err)
	}
}

func TestUpdateMessage(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	ts, _, err := e.client.PostMessage(ctx, slackclient.Message{
		Channel: "C1", Text: "v1", Blocks: []slack.Block{slack.NewDividerBlock()},
		Metadata: &slackclient.Metadata{EventType: "golive_status", Payload: map[string]any{"pr": "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Text only: blocks go, metadata stays.
	if err := e.client.UpdateMessage(ctx, "C1", ts, slackclient.Message{Text: "v2"}); err != nil {
		t.Fatalf("update: %v", err)
	}
	m, _ := e.srv.Message("C1", ts)
	if m.Text != "v2" || m.Blocks != nil || m.Metadata == nil || m.Metadata.EventType != "golive_status" || len(m.Edits) != 1 {
		t.Errorf("after text update: %+v", m)
	}
	// Blocks only, new metadata: the text is cleared, metadata replaced.
	err = e.client.UpdateMessage(ctx, "C1", ts, slackclient.Message{
		Blocks:   []slack.Block{slack.NewDividerBlock()},
		Metadata: &slackclient.Metadata{EventType: "golive_status", Payload: map[string]any{"pr": "2"}},
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	m, _ = e.srv.Message("C1", ts)
	if m.Text != "" || m.Blocks == nil || m.Metadata.EventPayload["pr"] != "2" || len(m.Edits) != 2 {
		t.Errorf("after blocks update: %+v", m)
	}

	err = e.client.UpdateMessage(ctx, "C1", "1.000009", slackclient.Message{Text: "x"})
	var ae *slackclient.APIError
	if !errors.As(err, &ae) || ae.Code != "message_not_found" || !slackclient.IsPermanent(err) {
		t.Fatalf("update of unknown ts = %v", err)
	}
	if want := `update message "1.000009" in channel "C1": `; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if err := e.client.UpdateMessage(ctx, "C1", ts, slackclient.Message{}); slackclient.ErrorCode(err) != "no_text" {
		t.Errorf("empty update = %v, want no_text", err)
	}
}

func TestPostEphemeral(t *testing.T) {
	e := setup(t)
	err := e.client.PostEphemeral(context.Background(), "C1", "U1", slackclient.Message{Text: "psst", ThreadTS: "1700000000.000001"})
	if err != nil {
		t.Fatal(err)
	}
	eph := e.srv.Ephemerals("C1")
	if len(eph) != 1 || eph[0].User != "U1" || eph[0].Text != "psst" || eph[0].ThreadTS != "1700000000.000001" {
		t.Errorf("ephemerals = %+v", eph)
	}
	if len(e.srv.Messages("C1")) != 0 {
		t.Error("ephemeral message stored in the channel")
	}
	err = e.client.PostEphemeral(context.Background(), "COUT", "U1", slackclient.Message{Text: "x"})
	if slackclient.ErrorCode(err) != "not_in_channel" || !strings.Contains(err.Error(), `to user "U1" in channel "COUT"`) {
		t.Errorf("ephemeral outside = %v", err)
	}
}

func TestInfoCalls(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	id, err := e.client.AuthTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.UserID != fakeslack.BotUserID || id.BotID != fakeslack.BotID || id.TeamID != fakeslack.TeamID {
		t.Errorf("identity = %+v", id)
	}
	u, err := e.client.UserInfo(ctx, "U1")
	if err != nil {
		t.Fatal(err)
	}
	want := slackclient.User{ID: "U1", Name: "ada", RealName: "Ada Lovelace", DisplayName: "ada", Email: "ada@example.com", TZ: "Europe/Paris", TZOffset: 3600}
	if u != want {
		t.Errorf("user = %+v, want %+v", u, want)
	}
	if _, err := e.client.UserInfo(ctx, "U404"); slackclient.ErrorCode(err) != "user_not_found" || !slackclient.IsPermanent(err) {
		t.Errorf("unknown user = %v", err)
	}
	ch, err := e.client.ChannelInfo(ctx, "COUT")
	if err != nil {
		t.Fatal(err)
	}
	if ch != (slackclient.Channel{ID: "COUT", Name: "outside"}) {
		t.Errorf("channel = %+v", ch)
	}
	if _, err := e.client.ChannelInfo(ctx, ""); !errors.Is(err, slackclient.ErrInvalidArgument) || !slackclient.IsPermanent(err) {
		t.Errorf("empty channel id = %v", err)
	}
}

func TestErrorClasses(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	post := func(c *slackclient.Client, channel, text string) error {
		_, _, err := c.PostMessage(ctx, slackclient.Message{Channel: channel, Text: text})
		return err
	}
	for _, tt := range []struct {
		name    string
		err     error
		code    string
		perm    bool
		outcome string
	}{
		{"unknown channel", post(e.client, "CNOPE", "x"), "channel_not_found", true, "channel_not_found"},
		{"not in channel", post(e.client, "COUT", "x"), "not_in_channel", true, "not_in_channel"},
		{"archived", post(e.client, "CARCH", "x"), "is_archived", true, "is_archived"},
		{"no text", post(e.client, "C1", ""), "no_text", true, "no_text"},
		{"too long", post(e.client, "C1", strings.Repeat("x", 40001)), "msg_too_long", true, "msg_too_long"},
		{"wrong token", post(newClient(e.srv, "xoxb-nope", e.metrics), "C1", "x"), "invalid_auth", true, "invalid_auth"},
		{"no token", post(newClient(e.srv, "", e.metrics), "C1", "x"), "not_authed", true, "not_authed"},
		{"server trouble", func() error {
			e.srv.FailNext("chat.postMessage", "internal_error", 1)
			return post(e.client, "C1", "x")
		}(), "internal_error", false, "internal_error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ae *slackclient.APIError
			if !errors.As(tt.err, &ae) {
				t.Fatalf("error %v (%T) is not an *APIError", tt.err, tt.err)
			}
			if ae.Code != tt.code || ae.Method != "chat.postMessage" {
				t.Errorf("APIError = %+v, want code %s", ae, tt.code)
			}
			if got := slackclient.IsPermanent(tt.err); got != tt.perm {
				t.Errorf("IsPermanent = %v, want %v", got, tt.perm)
			}
			if !strings.HasPrefix(tt.err.Error(), "post message to channel ") {
				t.Errorf("error %q does not describe the activity", tt.err)
			}
			if got := e.count("chat.postMessage", tt.outcome); got != 1 {
				t.Errorf("count(%s) = %v, want 1", tt.outcome, got)
			}
		})
	}
}

func TestRateLimited(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.srv.RateLimit(fakeslack.RateLimit{Method: "chat.postMessage", Times: 1, RetryAfter: 7 * time.Second})
	_, _, err := e.client.PostMessage(ctx, slackclient.Message{Channel: "C1", Text: "x"})
	var rl *slackclient.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second || rl.Method != "chat.postMessage" {
		t.Fatalf("error = %v (%T), want *RateLimitedError after 7s", err, err)
	}
	var inner *slack.RateLimitedError
	if !errors.As(err, &inner) {
		t.Error("slack-go's *RateLimitedError is not wrapped")
	}
	if d, ok := slackclient.RetryAfter(err); !ok || d != 7*time.Second {
		t.Errorf("RetryAfter = %v, %v", d, ok)
	}
	if slackclient.IsPermanent(err) {
		t.Error("rate limit classified as permanent")
	}
	if got := e.count("chat.postMessage", "rate_limited"); got != 1 {
		t.Errorf("rate_limited count = %v", got)
	}
	if _, _, err := e.client.PostMessage(ctx, slackclient.Message{Channel: "C1", Text: "x"}); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
	if _, ok := slackclient.RetryAfter(errors.New("other")); ok {
		t.Error("RetryAfter reported a plain error as a rate limit")
	}
}

func TestTransportErrors(t *testing.T) {
	e := setup(t)
	ctx := context.Background()

	e.srv.FailHTTP("users.info", http.StatusBadGateway, 1)
	_, err := e.client.UserInfo(ctx, "U1")
	var te *slackclient.TransportError
	if !errors.As(err, &te) || te.StatusCode != http.StatusBadGateway {
		t.Fatalf("502 = %v (%T), want *TransportError 502", err, err)
	}
	if slackclient.IsPermanent(err) {
		t.Error("5xx classified as permanent")
	}
	if got := e.count("users.info", "transport_error"); got != 1 {
		t.Errorf("transport_error count = %v", got)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = e.client.PostMessage(cctx, slackclient.Message{Channel: "C1", Text: "x"})
	if !errors.Is(err, context.Canceled) || !errors.As(err, &te) || slackclient.IsPermanent(err) {
		t.Errorf("canceled = %v (%T)", err, err)
	}

	dead := fakeslack.New(fakeslack.Options{})
	dead.Close()
	_, err = newClient(dead, fakeslack.DefaultToken, nil).AuthTest(ctx)
	if !errors.As(err, &te) || te.StatusCode != 0 || slackclient.IsPermanent(err) {
		t.Errorf("connection refused = %v (%T)", err, err)
	}
}

func TestRespond(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	u := e.srv.ResponseURL("cmd")
	err := e.client.Respond(ctx, u, slackclient.Response{
		Text: "ok!", Blocks: []slack.Block{slack.NewDividerBlock()}, ResponseType: "in_channel", ReplaceOriginal: true, ThreadTS: "1.2",
	})
	if err != nil {
		t.Fatalf("respond: %v", err)
	}
	rs := e.srv.Responses("cmd")
	if len(rs) != 1 {
		t.Fatalf("responses = %+v", rs)
	}
	if r := rs[0]; r.Text != "ok!" || r.ResponseType != "in_channel" || !r.ReplaceOriginal || r.ThreadTS != "1.2" || string(r.Blocks) != `[{"type":"divider"}]` {
		t.Errorf("response = %+v", r)
	}
	if got := e.count("response_url", "ok"); got != 1 {
		t.Errorf("ok count = %v", got)
	}

	check := func(name string, err error, code string, perm bool) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		if got := slackclient.ErrorCode(err); got != code {
			t.Errorf("%s: code %q, want %q (%v)", name, got, code, err)
		}
		if got := slackclient.IsPermanent(err); got != perm {
			t.Errorf("%s: IsPermanent = %v, want %v", name, got, perm)
		}
		if strings.Contains(err.Error(), e.srv.URL) {
			t.Errorf("%s: error %q leaks the response_url", name, err)
		}
		if !strings.HasPrefix(err.Error(), "respond via response_url: ") {
			t.Errorf("%s: error %q does not describe the activity", name, err)
		}
	}
	check("no text", e.client.Respond(ctx, u, slackclient.Response{}), "no_text", true)
	check("unknown url", e.client.Respond(ctx, e.srv.URL+"/response/nope", slackclient.Response{Text: "x"}), "expired_url", true)
	check("bad type", e.client.Respond(ctx, u, slackclient.Response{Text: "x", ResponseType: "loud"}), "", true)
	check("bad url", e.client.Respond(ctx, "ftp://x/y", slackclient.Response{Text: "x"}), "", true)

	e.srv.FailHTTP("response_url", http.StatusServiceUnavailable, 1)
	err = e.client.Respond(ctx, u, slackclient.Response{Text: "x"})
	var te *slackclient.TransportError
	if !errors.As(err, &te) || te.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("503 = %v (%T)", err, err)
	}
	check("503", err, "", false)

	e.srv.RateLimit(fakeslack.RateLimit{Method: "response_url", Times: 1, RetryAfter: 2 * time.Second})
	err = e.client.Respond(ctx, u, slackclient.Response{Text: "x"})
	if d, ok := slackclient.RetryAfter(err); !ok || d != 2*time.Second {
		t.Errorf("429 = %v", err)
	}
	check("429", err, "", false)

	// Four more good uses exhaust the URL (five in all).
	for i := range 4 {
		if err := e.client.Respond(ctx, u, slackclient.Response{Text: fmt.Sprint(i)}); err != nil {
			t.Fatalf("use %d: %v", i+2, err)
		}
	}
	check("used up", e.client.Respond(ctx, u, slackclient.Response{Text: "x"}), "used_url", true)

	late := e.srv.ResponseURL("late")
	e.clk.Advance(31 * time.Minute)
	check("expired", e.client.Respond(ctx, late, slackclient.Response{Text: "x"}), "expired_url", true)
	if got := e.count("response_url", "expired_url"); got != 2 {
		t.Errorf("expired_url count = %v, want 2", got)
	}
}

func TestFindByMetadata(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	c := e.client
	parent, _, err := c.PostMessage(ctx, slackclient.Message{Channel: "C1", Text: "pr opened",
		Metadata: &slackclient.Metadata{EventType: "golive_pr", Payload: map[string]any{"pr": 12}}})
	if err != nil {
		t.Fatal(err)
	}
	reminder, _, err := c.PostMessage(ctx, slackclient.Message{Channel: "C1", Text: "reminder", ThreadTS: parent,
		Metadata: &slackclient.Metadata{EventType: "golive_reminder", Payload: map[string]any{"id": "rem-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Seed(fakeslack.Message{Channel: "C1", User: "U1", ThreadTS: parent, Text: "human reply"}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, thread, event, key, value string
		want                            string
	}{
		{"reply in thread", parent, "golive_reminder", "id", "rem-1", reminder},
		{"parent counts in its thread", parent, "golive_pr", "pr", "12", parent},
		{"other value", parent, "golive_reminder", "id", "rem-2", ""},
		{"other event type", parent, "golive_other", "id", "rem-1", ""},
		{"missing key", parent, "golive_reminder", "nope", "rem-1", ""},
		{"channel history, numeric payload", "", "golive_pr", "pr", "12", parent},
		{"replies are not in history", "", "golive_reminder", "id", "rem-1", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts, found, err := c.FindByMetadata(ctx, "C1", tt.thread, tt.event, tt.key, tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if found != (tt.want != "") || ts != tt.want {
				t.Errorf("FindByMetadata = %q, %v; want %q", ts, found, tt.want)
			}
		})
	}

	_, _, err = c.FindByMetadata(ctx, "C1", "1.000009", "golive_reminder", "id", "rem-1")
	if slackclient.ErrorCode(err) != "thread_not_found" || !strings.HasPrefix(err.Error(), `find "golive_reminder" message with id="rem-1" in thread "1.000009" in channel "C1": `) {
		t.Errorf("unknown thread = %v", err)
	}
	if _, _, err := c.FindByMetadata(ctx, "COUT", "", "golive_pr", "pr", "12"); slackclient.ErrorCode(err) != "not_in_channel" {
		t.Errorf("outside = %v", err)
	}
	if _, _, err := c.FindByMetadata(ctx, "C1", "", "", "pr", "12"); !errors.Is(err, slackclient.ErrInvalidArgument) {
		t.Errorf("empty event type = %v", err)
	}
	if got := e.count("conversations.replies", "ok"); got != 5 {
		t.Errorf("replies ok count = %v, want 5", got)
	}
}

func TestFindByMetadataPagesAndLimit(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// The target is the oldest of 450 messages: three history pages deep.
	target, err := e.srv.Seed(fakeslack.Message{Channel: "C1", Text: "target",
		Metadata: &fakeslack.Metadata{EventType: "golive_pr", EventPayload: map[string]any{"pr": "7"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 449 {
		if _, err := e.srv.Seed(fakeslack.Message{Channel: "C1", Text: fmt.Sprint(i),
			Metadata: &fakeslack.Metadata{EventType: "golive_pr", EventPayload: map[string]any{"pr": fmt.Sprint(100 + i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	ts, found, err := e.client.FindByMetadata(ctx, "C1", "", "golive_pr", "pr", "7")
	if err != nil || !found || ts != target {
		t.Fatalf("FindByMetadata = %q, %v, %v; want %q", ts, found, err, target)
	}
	if got := e.count("conversations.history", "ok"); got != 3 {
		t.Errorf("history calls = %v, want 3 pages", got)
	}

	limited := slackclient.New(slackclient.Config{Token: fakeslack.DefaultToken, APIURL: e.srv.APIURL(), MetadataScanLimit: 300})
	before := e.srv.CallCount("conversations.history")
	if _, found, err := limited.FindByMetadata(ctx, "C1", "", "golive_pr", "pr", "7"); err != nil || found {
		t.Errorf("beyond the scan limit: found=%v err=%v", found, err)
	}
	calls := e.srv.Calls()[before:]
	if len(calls) != 2 || calls[0].Params.Get("limit") != "200" || calls[1].Params.Get("limit") != "100" {
		t.Errorf("limited scan made calls %+v, want limits 200 then 100", calls)
	}
	for _, c := range calls {
		if c.Params.Get("include_all_metadata") != "1" {
			t.Errorf("history call without include_all_metadata: %v", c.Params)
		}
	}
}

func TestAPIURLWithoutSlash(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{T: t})
	c := slackclient.New(slackclient.Config{Token: fakeslack.DefaultToken, APIURL: srv.URL + "/api"})
	if _, err := c.AuthTest(context.Background()); err != nil {
		t.Fatalf("auth.test: %v", err)
	}
}

func TestResolveChannelIDPassthrough(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// Anything shaped like an ID passes, known or not; that includes an
	// upper-case bare name such as "DEPLOYS" (Slack names are lower case).
	for _, id := range []string{"C01", "CNOPE", "GSECRET01", "D0123ABC", "C0A1B2C3D4", "DEPLOYS"} {
		got, err := e.client.ResolveChannel(ctx, id)
		if err != nil || got != id {
			t.Errorf("ResolveChannel(%q) = %q, %v; want it unchanged", id, got, err)
		}
	}
	if n := e.srv.CallCount(""); n != 0 {
		t.Errorf("resolving IDs made %d calls, want none", n)
	}
	if got := e.count("conversations.list", "ok"); got != 0 {
		t.Errorf("conversations.list ok count = %v, want 0", got)
	}
	// "C1" is too short for an ID, so it is a name (and there is no such channel).
	before := e.srv.CallCount("")
	_, err := e.client.ResolveChannel(ctx, "C1")
	checkNotFound(t, err, "", "C1")
	if e.srv.CallCount("") == before {
		t.Error(`"C1" was not looked up`)
	}
	before = e.srv.CallCount("")
	for _, bad := range []string{"", "#", "  "} {
		if _, err := e.client.ResolveChannel(ctx, bad); !errors.Is(err, slackclient.ErrInvalidArgument) || !slackclient.IsPermanent(err) {
			t.Errorf("ResolveChannel(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	if n := e.srv.CallCount(""); n != before {
		t.Errorf("empty names made %d calls, want none", n-before)
	}
}

// manyChannels puts 250 public channels ahead of the rest in conversations.list's
// order (the fake's is by ID), so that anything else is on page 2 of 200.
func manyChannels(srv *fakeslack.Server) {
	for i := range 250 {
		srv.AddChannel(fmt.Sprintf("C0%04d", i), fmt.Sprintf("filler-%d", i), false)
	}
	srv.PutChannel(fakeslack.Channel{ID: "CDEPLOY", Name: "deploys", Member: true})
	srv.PutChannel(fakeslack.Channel{ID: "GOPS", Name: "ops-private", Member: true, Private: true})
	srv.PutChannel(fakeslack.Channel{ID: "GHIDDEN", Name: "hidden", Private: true})
}

func TestResolveChannelByName(t *testing.T) {
	e := setup(t)
	manyChannels(e.srv)
	ctx := context.Background()

	id, err := e.client.ResolveChannel(ctx, "#deploys")
	if err != nil || id != "CDEPLOY" {
		t.Fatalf("ResolveChannel(#deploys) = %q, %v; want CDEPLOY", id, err)
	}
	calls := e.srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("made %d calls, want 2 pages of conversations.list: %+v", len(calls), calls)
	}
	for i, c := range calls {
		if c.Method != "conversations.list" || !c.OK {
			t.Errorf("call %d = %+v", i, c)
		}
		p := c.Params
		if p.Get("types") != "public_channel,private_channel" || p.Get("exclude_archived") != "true" || p.Get("limit") != "200" {
			t.Errorf("call %d params = %v", i, p)
		}
	}
	if calls[0].Params.Has("cursor") || calls[1].Params.Get("cursor") == "" {
		t.Errorf("cursors = %q then %q; want none then page 1's next_cursor", calls[0].Params.Get("cursor"), calls[1].Params.Get("cursor"))
	}
	if got := e.count("conversations.list", "ok"); got != 2 {
		t.Errorf("conversations.list ok count = %v, want 2", got)
	}

	// Names are compared case-insensitively, with or without '#'; a fresh
	// client has an empty cache, so these go to Slack.
	for _, tt := range []struct{ name, want string }{
		{"#Deploys", "CDEPLOY"},
		{"dePLOYS", "CDEPLOY"},
		{"general", "C1"},             // page 2 too: "C1" sorts after "C00249"
		{" #outside ", "COUT"},        // public: visible without being a member
		{"#OPS-Private", "GOPS"},      // private, member
		{"#filler-0", "C00000"},       // first on page 1
		{"#filler-199", "C00199"},     // last on page 1
		{"#filler-200", "C00200"},     // first on page 2
		{"#nowhere", ""},              // no such channel
		{"#hidden", ""},               // private, not a member
		{"#old", ""},                  // archived
		{"#deploy", ""},               // a prefix of a name
		{"#deploys-and-more", ""},     // a name is a prefix of it
		{"#" + fakeslack.BotName, ""}, // a user, not a channel
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := slackclient.New(slackclient.Config{Token: fakeslack.DefaultToken, APIURL: e.srv.APIURL(), Clock: e.clk})
			before := e.srv.CallCount("conversations.list")
			id, err := c.ResolveChannel(ctx, tt.name)
			if e.srv.CallCount("conversations.list") == before {
				t.Error("no conversations.list call")
			}
			if tt.want != "" {
				if err != nil || id != tt.want {
					t.Errorf("ResolveChannel(%q) = %q, %v; want %s", tt.name, id, err, tt.want)
				}
				return
			}
			checkNotFound(t, err, id, tt.name)
		})
	}
}

func checkNotFound(t *testing.T, err error, id, name string) {
	t.Helper()
	var ae *slackclient.APIError
	if err == nil || id != "" || !errors.As(err, &ae) {
		t.Fatalf("ResolveChannel(%q) = %q, %v (%T); want an *APIError", name, id, err, err)
	}
	if ae.Code != "channel_not_found" || slackclient.ErrorCode(err) != "channel_not_found" || !slackclient.IsPermanent(err) {
		t.Errorf("error %v: code %q, permanent %v; want permanent channel_not_found", err, ae.Code, slackclient.IsPermanent(err))
	}
	msg := err.Error()
	if !strings.Contains(msg, fmt.Sprintf("resolve channel %q", name)) || !strings.Contains(msg, "bot") || !strings.Contains(msg, "see") {
		t.Errorf("error %q does not say which channel was missing and that the bot must see it", msg)
	}
}

func TestResolveChannelCache(t *testing.T) {
	e := setup(t)
	manyChannels(e.srv)
	ctx := context.Background()
	lists := func() int { return e.srv.CallCount("conversations.list") }

	if id, err := e.client.ResolveChannel(ctx, "#deploys"); err != nil || id != "CDEPLOY" {
		t.Fatalf("first = %q, %v", id, err)
	}
	if n := lists(); n != 2 {
		t.Fatalf("first lookup made %d calls, want 2", n)
	}
	// A hit, in any spelling, makes no call; so do names seen on the way.
	for _, name := range []string{"#deploys", "Deploys", "#filler-7", "general"} {
		if _, err := e.client.ResolveChannel(ctx, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if n := lists(); n != 2 {
		t.Errorf("cache hits made %d more calls", n-2)
	}

	// The channel is renamed; the cache still answers until its 10 minutes
	// are up, then Slack is asked again.
	e.srv.PutChannel(fakeslack.Channel{ID: "CDEPLOY", Name: "deploys-old", Member: true})
	e.srv.PutChannel(fakeslack.Channel{ID: "CNEW", Name: "deploys", Member: true})
	e.clk.Advance(10*time.Minute - time.Second)
	if id, err := e.client.ResolveChannel(ctx, "#deploys"); err != nil || id != "CDEPLOY" || lists() != 2 {
		t.Errorf("at 9m59s = %q, %v after %d calls; want the cached CDEPLOY and no call", id, err, lists())
	}
	e.clk.Advance(time.Second)
	if id, err := e.client.ResolveChannel(ctx, "#deploys"); err != nil || id != "CNEW" {
		t.Errorf("at 10m = %q, %v; want CNEW from Slack", id, err)
	}
	if n := lists(); n == 2 {
		t.Error("expired entry answered without a call")
	}
	// The refreshed entry is cached again.
	n := lists()
	if id, _ := e.client.ResolveChannel(ctx, "deploys"); id != "CNEW" || lists() != n {
		t.Errorf("after refresh = %q with %d more calls", id, lists()-n)
	}

	// Not found is not cached: once the bot can see the channel, it resolves.
	_, err := e.client.ResolveChannel(ctx, "#hidden")
	checkNotFound(t, err, "", "#hidden")
	e.srv.PutChannel(fakeslack.Channel{ID: "GHIDDEN", Name: "hidden", Private: true, Member: true})
	if id, err := e.client.ResolveChannel(ctx, "#hidden"); err != nil || id != "GHIDDEN" {
		t.Errorf("after the bot joined = %q, %v", id, err)
	}
}

func TestResolveChannelErrors(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.srv.RateLimit(fakeslack.RateLimit{Method: "conversations.list", Times: 1, RetryAfter: 30 * time.Second})
	_, err := e.client.ResolveChannel(ctx, "#general")
	if d, ok := slackclient.RetryAfter(err); !ok || d != 30*time.Second || slackclient.IsPermanent(err) {
		t.Errorf("rate limited = %v", err)
	}
	if !strings.HasPrefix(err.Error(), `resolve channel "#general": `) {
		t.Errorf("error %q does not describe the activity", err)
	}
	if got := e.count("conversations.list", "rate_limited"); got != 1 {
		t.Errorf("rate_limited count = %v", got)
	}
	e.srv.FailNext("conversations.list", "missing_scope", 1)
	if _, err := e.client.ResolveChannel(ctx, "#general"); slackclient.ErrorCode(err) != "missing_scope" || !slackclient.IsPermanent(err) {
		t.Errorf("missing scope = %v", err)
	}
	if got := e.count("conversations.list", "missing_scope"); got != 1 {
		t.Errorf("missing_scope count = %v", got)
	}
	if id, err := e.client.ResolveChannel(ctx, "#general"); err != nil || id != "C1" {
		t.Errorf("after the faults = %q, %v", id, err)
	}
}

func TestGroupMembers(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.srv.SetUserGroup("S0SRE", "U1", "U2")
	got, err := e.client.GroupMembers(ctx, "S0SRE")
	if err != nil || len(got) != 2 || got[0] != "U1" || got[1] != "U2" {
		t.Fatalf("members %v, %v", got, err)
	}
	_, err = e.client.GroupMembers(ctx, "S0NOPE")
	if slackclient.ErrorCode(err) != "no_such_subteam" {
		t.Fatalf("unknown group: %v", err)
	}
}
