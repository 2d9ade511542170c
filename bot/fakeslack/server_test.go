package fakeslack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakeslack"
)

var epoch = time.Unix(1700000000, 0).UTC()

func newServer(t *testing.T) (*fakeslack.Server, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(epoch)
	srv := fakeslack.New(fakeslack.Options{
		T:     t,
		Clock: clk,
		Channels: []fakeslack.Channel{
			{ID: "C1", Name: "general", Member: true},
			{ID: "C2", Name: "random", Member: true},
			{ID: "COUT", Name: "outside", Member: false},
			{ID: "GSECRET", Name: "secret", Private: true},
		},
		Users: []fakeslack.User{{
			ID: "U1", Name: "ada", RealName: "Ada Lovelace", DisplayName: "ada",
			Email: "ada@example.com", TZ: "Europe/London", TZLabel: "Greenwich Mean Time",
		}},
	})
	return srv, clk
}

func newAPI(srv *fakeslack.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(srv.APIURL()))
}

func slackCode(t *testing.T, err error) string {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a slack.SlackErrorResponse", err, err)
	}
	return se.Err
}

// rawCall posts a form (or, when body is a map, JSON) to a method.
func rawCall(t *testing.T, srv *fakeslack.Server, method string, header http.Header, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var req *http.Request
	var err error
	switch b := body.(type) {
	case url.Values:
		req, err = http.NewRequest(http.MethodPost, srv.APIURL()+method, strings.NewReader(b.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	default:
		raw, _ := json.Marshal(b)
		req, err = http.NewRequest(http.MethodPost, srv.APIURL()+method, bytes.NewReader(raw))
		if err == nil {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("call %s: %v", method, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("call %s: body %q is not JSON: %v", method, raw, err)
	}
	return resp.StatusCode, resp.Header, out
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// TestSlackGoEveryMethod proves slack-go, golive's real client, can use each
// method against the fake and reads back what was stored.
func TestSlackGoEveryMethod(t *testing.T) {
	srv, clk := newServer(t)
	api := newAPI(srv, fakeslack.DefaultToken)
	ctx := context.Background()

	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	if auth.TeamID != fakeslack.TeamID || auth.UserID != fakeslack.BotUserID || auth.BotID != fakeslack.BotID {
		t.Errorf("auth.test = %+v", auth)
	}

	blocks := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*hi*", false, false), nil, nil)
	ch, parentTS, err := api.PostMessageContext(ctx, "C1",
		slack.MsgOptionText("hello", false),
		slack.MsgOptionBlocks(blocks),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "deploy", EventPayload: map[string]any{"id": "42"}}),
	)
	if err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}
	if ch != "C1" || parentTS != "1700000000.000000" {
		t.Errorf("chat.postMessage = %q, %q", ch, parentTS)
	}

	clk.Advance(time.Second)
	_, replyTS, err := api.PostMessageContext(ctx, "#general", slack.MsgOptionText("in thread", false), slack.MsgOptionTS(parentTS))
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	clk.Advance(time.Second)
	_, bcastTS, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("to all", false), slack.MsgOptionTS(parentTS), slack.MsgOptionBroadcast())
	if err != nil {
		t.Fatalf("broadcast reply: %v", err)
	}

	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", parentTS, slack.MsgOptionText("hello, edited", false)); err != nil {
		t.Fatalf("chat.update: %v", err)
	}

	ets, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false))
	if err != nil || ets == "" {
		t.Fatalf("chat.postEphemeral = %q, %v", ets, err)
	}

	user, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil {
		t.Fatalf("users.info: %v", err)
	}
	if user.ID != "U1" || user.RealName != "Ada Lovelace" || user.TZ != "Europe/London" || user.Profile.Email != "ada@example.com" {
		t.Errorf("users.info = %+v", user)
	}

	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1"})
	if err != nil {
		t.Fatalf("conversations.info: %v", err)
	}
	if info.ID != "C1" || info.Name != "general" || !info.IsMember || info.IsPrivate {
		t.Errorf("conversations.info = %+v", info.GroupConversation)
	}

	hist, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: true})
	if err != nil {
		t.Fatalf("conversations.history: %v", err)
	}
	// Newest first; the plain reply stays in its thread, the broadcast shows.
	if got := tsList(hist.Messages); !slices.Equal(got, []string{bcastTS, parentTS}) {
		t.Fatalf("history ts = %v, want [%s %s]", got, bcastTS, parentTS)
	}
	parent := hist.Messages[1]
	if parent.Text != "hello, edited" || parent.ReplyCount != 2 || parent.Edited == nil || parent.BotID != fakeslack.BotID {
		t.Errorf("parent in history = %+v", parent.Msg)
	}
	if parent.Metadata.EventType != "deploy" || parent.Metadata.EventPayload["id"] != "42" {
		t.Errorf("parent metadata = %+v", parent.Metadata)
	}
	if len(parent.Blocks.BlockSet) != 1 || parent.Blocks.BlockSet[0].BlockType() != slack.MBTSection {
		t.Errorf("parent blocks = %+v", parent.Blocks.BlockSet)
	}
	if hist.Messages[0].SubType != "thread_broadcast" {
		t.Errorf("broadcast subtype = %q", hist.Messages[0].SubType)
	}

	replies, hasMore, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parentTS})
	if err != nil {
		t.Fatalf("conversations.replies: %v", err)
	}
	if got := tsList(replies); hasMore || !slices.Equal(got, []string{parentTS, replyTS, bcastTS}) {
		t.Errorf("replies = %v (has_more %v), want [%s %s %s]", got, hasMore, parentTS, replyTS, bcastTS)
	}

	// The store agrees with what the API returned.
	msgs := srv.Messages("C1")
	if len(msgs) != 3 {
		t.Fatalf("stored %d messages, want 3", len(msgs))
	}
	if m := msgs[0]; m.Text != "hello, edited" || len(m.Edits) != 1 || m.Edits[0].Text != "hello" || m.Metadata == nil {
		t.Errorf("stored parent = %+v", m)
	}
	if m := msgs[1]; m.ThreadTS != parentTS || m.Broadcast {
		t.Errorf("stored reply = %+v", m)
	}
	if m := msgs[2]; m.ThreadTS != parentTS || !m.Broadcast {
		t.Errorf("stored broadcast = %+v", m)
	}
	if e := srv.Ephemerals("C1"); len(e) != 1 || e[0].User != "U1" || e[0].Text != "only you" || e[0].TS != ets {
		t.Errorf("ephemerals = %+v", e)
	}

	// slack-go's response_url support reaches the fake's response_url.
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(srv.ResponseURL("cmd-1"), slack.ResponseTypeInChannel), slack.MsgOptionText("done", false)); err != nil {
		t.Fatalf("response_url via slack-go: %v", err)
	}
	if r := srv.Responses("cmd-1"); len(r) != 1 || r[0].Text != "done" || r[0].ResponseType != "in_channel" {
		t.Errorf("responses = %+v", r)
	}

	want := []string{"auth.test", "chat.postMessage", "chat.postMessage", "chat.postMessage", "chat.update",
		"chat.postEphemeral", "users.info", "conversations.info", "conversations.history", "conversations.replies", "response_url"}
	var got []string
	for _, c := range srv.Calls() {
		got = append(got, c.Method)
		if !c.OK || c.Status != http.StatusOK {
			t.Errorf("call %s not ok: %+v", c.Method, c)
		}
		if c.Params.Has("token") {
			t.Errorf("call %s recorded the token", c.Method)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}

func tsList(msgs []slack.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Timestamp)
	}
	return out
}

func TestErrorCodes(t *testing.T) {
	srv, _ := newServer(t)
	ctx := context.Background()
	api := newAPI(srv, fakeslack.DefaultToken)
	humanTS, err := srv.Seed(fakeslack.Message{Channel: "C1", User: "U1", Text: "from a human"})
	if err != nil {
		t.Fatal(err)
	}
	srv.PutChannel(fakeslack.Channel{ID: "CARCH", Name: "old", Member: true, Archived: true})

	text := slack.MsgOptionText("x", false)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"wrong token", func() error { _, err := newAPI(srv, "xoxb-wrong").AuthTestContext(ctx); return err }, "invalid_auth"},
		{"empty token", func() error { _, err := newAPI(srv, "").AuthTestContext(ctx); return err }, "not_authed"},
		{"unknown channel", func() error { _, _, err := api.PostMessageContext(ctx, "CNOPE", text); return err }, "channel_not_found"},
		{"not a member", func() error { _, _, err := api.PostMessageContext(ctx, "COUT", text); return err }, "not_in_channel"},
		{"private, not a member", func() error { _, _, err := api.PostMessageContext(ctx, "GSECRET", text); return err }, "channel_not_found"},
		{"archived", func() error { _, _, err := api.PostMessageContext(ctx, "CARCH", text); return err }, "is_archived"},
		{"no text", func() error { _, _, err := api.PostMessageContext(ctx, "C1"); return err }, "no_text"},
		{"empty blocks, no text", func() error { _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks()); return err }, "no_text"},
		{"too long", func() error {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(strings.Repeat("a", 40001), false))
			return err
		}, "msg_too_long"},
		{"bad metadata", func() error {
			_, _, err := api.PostMessageContext(ctx, "C1", text, slack.MsgOptionMetadata(slack.SlackMetadata{EventPayload: map[string]any{}}))
			return err
		}, "invalid_metadata_schema"},
		{"update unknown ts", func() error { _, _, _, err := api.UpdateMessageContext(ctx, "C1", "1.000001", text); return err }, "message_not_found"},
		{"update someone else's", func() error { _, _, _, err := api.UpdateMessageContext(ctx, "C1", humanTS, text); return err }, "cant_update_message"},
		{"update outside", func() error { _, _, _, err := api.UpdateMessageContext(ctx, "COUT", humanTS, text); return err }, "not_in_channel"},
		{"ephemeral to nobody", func() error { _, err := api.PostEphemeralContext(ctx, "C1", "nobody", text); return err }, "user_not_in_channel"},
		{"unknown user", func() error { _, err := api.GetUserInfoContext(ctx, "U404"); return err }, "user_not_found"},
		{"info unknown channel", func() error {
			_, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "CNOPE"})
			return err
		}, "channel_not_found"},
		{"history outside", func() error {
			_, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "COUT"})
			return err
		}, "not_in_channel"},
		{"history bad oldest", func() error {
			_, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: "yesterday"})
			return err
		}, "invalid_ts_oldest"},
		{"replies unknown thread", func() error {
			_, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: "1.000001"})
			return err
		}, "thread_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if got := slackCode(t, err); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
	// None of the failures stored anything, and the human message is intact.
	if msgs := srv.Messages("C1"); len(msgs) != 1 || msgs[0].Text != "from a human" {
		t.Errorf("C1 holds %+v", msgs)
	}
}

func TestBlocksValidation(t *testing.T) {
	srv, _ := newServer(t)
	for _, tt := range []struct{ blocks, want string }{
		{`not json`, "invalid_blocks_format"},
		{`{"type":"section"}`, "invalid_blocks_format"},
		{`[{"text":"no type"}]`, "invalid_blocks"},
	} {
		_, _, body := rawCall(t, srv, "chat.postMessage", bearer(fakeslack.DefaultToken),
			url.Values{"channel": {"C1"}, "text": {"t"}, "blocks": {tt.blocks}})
		if body["ok"] != false || body["error"] != tt.want {
			t.Errorf("blocks %s: got %v, want %s", tt.blocks, body, tt.want)
		}
	}
}

func TestAuthSources(t *testing.T) {
	srv, _ := newServer(t)
	post := url.Values{"channel": {"C1"}, "text": {"hi"}}

	// Form token, no header.
	withToken := url.Values{"channel": {"C1"}, "text": {"hi"}, "token": {fakeslack.DefaultToken}}
	if _, _, body := rawCall(t, srv, "chat.postMessage", nil, withToken); body["ok"] != true {
		t.Errorf("form token: %v", body)
	}
	if _, _, body := rawCall(t, srv, "chat.postMessage", nil, post); body["error"] != "not_authed" {
		t.Errorf("no token: %v", body)
	}
	if _, _, body := rawCall(t, srv, "chat.postMessage", bearer("xoxb-other"), post); body["error"] != "invalid_auth" {
		t.Errorf("wrong bearer: %v", body)
	}
	// JSON bodies must use the header: a token in the body does not count.
	jsonBody := map[string]any{"channel": "C1", "text": "hi", "token": fakeslack.DefaultToken}
	if _, _, body := rawCall(t, srv, "chat.postMessage", nil, jsonBody); body["error"] != "not_authed" {
		t.Errorf("token in JSON body: %v", body)
	}
	if _, _, body := rawCall(t, srv, "no.such.method", bearer(fakeslack.DefaultToken), post); body["error"] != "unknown_method" {
		t.Errorf("unknown method: %v", body)
	}
}

func TestJSONBody(t *testing.T) {
	srv, _ := newServer(t)
	status, _, body := rawCall(t, srv, "chat.postMessage", bearer(fakeslack.DefaultToken), map[string]any{
		"channel":  "C1",
		"text":     "json",
		"blocks":   []any{map[string]any{"type": "divider"}},
		"metadata": map[string]any{"event_type": "e", "event_payload": map[string]any{"n": 1}},
	})
	if status != http.StatusOK || body["ok"] != true {
		t.Fatalf("JSON post: %d %v", status, body)
	}
	msgs := srv.Messages("C1")
	if len(msgs) != 1 || string(msgs[0].Blocks) != `[{"type":"divider"}]` || msgs[0].Metadata.EventPayload["n"] != float64(1) {
		t.Errorf("stored = %+v", msgs)
	}
	if m := body["message"].(map[string]any); m["ts"] != body["ts"] || m["text"] != "json" {
		t.Errorf("response message = %v", m)
	}

	req, _ := http.NewRequest(http.MethodPost, srv.APIURL()+"auth.test", strings.NewReader(`[1,2]`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+fakeslack.DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if out["error"] != "json_not_object" {
		t.Errorf("array body: %v", out)
	}
}

func TestRateLimit(t *testing.T) {
	srv, _ := newServer(t)
	ctx := context.Background()
	api := newAPI(srv, fakeslack.DefaultToken)
	srv.RateLimit(fakeslack.RateLimit{Method: "chat.postMessage", Channel: "C1", Times: 2, RetryAfter: 1500 * time.Millisecond})

	// Another channel and another method are not limited.
	if _, _, err := api.PostMessageContext(ctx, "C2", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("other channel: %v", err)
	}
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatalf("other method: %v", err)
	}
	for i := range 2 {
		// By name: the rule matches the resolved channel too.
		_, _, err := api.PostMessageContext(ctx, "general", slack.MsgOptionText("x", false))
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			t.Fatalf("attempt %d: error %v (%T), want *slack.RateLimitedError", i, err, err)
		}
		if rl.RetryAfter != 2*time.Second {
			t.Errorf("attempt %d: RetryAfter = %v, want 2s (rounded up)", i, rl.RetryAfter)
		}
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("after the limit ran out: %v", err)
	}
	if n := len(srv.Messages("C1")); n != 1 {
		t.Errorf("C1 holds %d messages, want 1 (rate-limited posts must not be stored)", n)
	}

	// The wire format: 429, Retry-After in seconds, Slack's error body.
	srv.RateLimit(fakeslack.RateLimit{RetryAfter: 3 * time.Second})
	for range 3 { // zero Times: until cleared
		status, header, body := rawCall(t, srv, "auth.test", bearer(fakeslack.DefaultToken), url.Values{})
		if status != http.StatusTooManyRequests || header.Get("Retry-After") != "3" || body["ok"] != false || body["error"] != "ratelimited" {
			t.Fatalf("429 response = %d %v %v", status, header, body)
		}
	}
	srv.ClearFaults()
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
	var limited int
	for _, c := range srv.Calls() {
		if c.Status == http.StatusTooManyRequests {
			limited++
			if c.OK || c.Error != "ratelimited" {
				t.Errorf("rate-limited call recorded as %+v", c)
			}
		}
	}
	if limited != 5 {
		t.Errorf("recorded %d rate-limited calls, want 5", limited)
	}
}

func TestFailNextAndFailHTTP(t *testing.T) {
	srv, _ := newServer(t)
	ctx := context.Background()
	api := newAPI(srv, fakeslack.DefaultToken)

	srv.FailNext("chat.postMessage", "internal_error", 2)
	for range 2 {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
		if got := slackCode(t, err); got != "internal_error" {
			t.Fatalf("error = %q", got)
		}
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("third post: %v", err)
	}

	srv.FailHTTP("", http.StatusServiceUnavailable, 1)
	_, err := api.AuthTestContext(ctx)
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable {
		t.Fatalf("error = %v (%T), want StatusCodeError 503", err, err)
	}
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatalf("after the injected 503: %v", err)
	}
}

func TestMetadataOnlyWhenAsked(t *testing.T) {
	srv, _ := newServer(t)
	ctx := context.Background()
	api := newAPI(srv, fakeslack.DefaultToken)
	md := slack.SlackMetadata{EventType: "golive_reminder", EventPayload: map[string]any{"pr": "golive#7", "n": 3.5}}
	_, parent, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("p", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("r", false), slack.MsgOptionTS(parent), slack.MsgOptionMetadata(md)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("top", false), slack.MsgOptionMetadata(md)); err != nil {
		t.Fatal(err)
	}

	for _, all := range []bool{false, true} {
		hist, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: all})
		if err != nil {
			t.Fatal(err)
		}
		top := hist.Messages[0]
		replies, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent, IncludeAllMetadata: all})
		if err != nil {
			t.Fatal(err)
		}
		reply := replies[1]
		for name, got := range map[string]slack.SlackMetadata{"history": top.Metadata, "replies": reply.Metadata} {
			if !all && got.EventType != "" {
				t.Errorf("%s without include_all_metadata returned metadata %+v", name, got)
			}
			if all && (got.EventType != md.EventType || got.EventPayload["pr"] != "golive#7" || got.EventPayload["n"] != 3.5) {
				t.Errorf("%s with include_all_metadata returned %+v", name, got)
			}
		}
	}

	// chat.update without metadata keeps it; with metadata replaces it.
	msgs := srv.Messages("C1")
	top := msgs[2]
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", top.TS, slack.MsgOptionText("top2", false)); err != nil {
		t.Fatal(err)
	}
	if m, _ := srv.Message("C1", top.TS); m.Metadata == nil || m.Metadata.EventType != md.EventType {
		t.Errorf("metadata after text-only update = %+v", m.Metadata)
	}
	newMD := slack.SlackMetadata{EventType: "other", EventPayload: map[string]any{}}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", top.TS, slack.MsgOptionText("top3", false), slack.MsgOptionMetadata(newMD)); err != nil {
		t.Fatal(err)
	}
	if m, _ := srv.Message("C1", top.TS); m.Metadata == nil || m.Metadata.EventType != "other" || len(m.Edits) != 2 {
		t.Errorf("after metadata update = %+v", m)
	}
}

func TestUpdateKeepsAndClearsBlocks(t *testing.T) {
	srv, _ := newServer(t)
	ctx := context.Background()
	api := newAPI(srv, fakeslack.DefaultToken)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("t", false), slack.MsgOptionBlocks(slack.NewDividerBlock()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("t2", false)); err != nil {
		t.Fatal(err)
	}
	if m, _ := srv.Message("C1", ts); string(m.Blocks) != `[{"type":"divider"}]` {
		t.Errorf("blocks after text-only update = %s, want kept", m.Blocks)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("t3", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	if m, _ := srv.Message("C1", ts); m.Blocks != nil || m.Text != "t3" {
		t.Errorf("after blocks=[] update: %+v", m)
	}
}

func TestTimestampsUniqueAndIncreasing(t *testing.T) {
	srv, _ := newServer(t) // the fake clock never moves here
	api := newAPI(srv, fakeslack.DefaultToken)
	const n = 40
	var wg sync.WaitGroup
	tss := make([]string, n)
	for i := range n {
		wg.Go(func() {
			_, ts, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText(fmt.Sprint(i), false))
			if err != nil {
				t.Errorf("post %d: %v", i, err)
			}
			tss[i] = ts
		})
	}
	wg.Wait()
	msgs := srv.Messages("C1")
	if len(msgs) != n {
		t.Fatalf("stored %d, want %d", len(msgs), n)
	}
	for i, m := range msgs {
		want := fmt.Sprintf("1700000000.%06d", i)
		if m.TS != want {
			t.Errorf("message %d ts = %q, want %q", i, m.TS, want)
		}
	}
	slices.Sort(tss)
	if len(slices.Compact(tss)) != n {
		t.Errorf("duplicate ts among %v", tss)
	}
}

func TestHistoryWindowAndCursor(t *testing.T) {
	srv, clk := newServer(t)
	ctx := context.Background()
	api := newAPI(srv, fakeslack.DefaultToken)
	var tss []string
	for i := range 5 {
		_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(fmt.Sprint(i), false))
		if err != nil {
			t.Fatal(err)
		}
		tss = append(tss, ts)
		clk.Advance(time.Second)
	}
	// Pages of two, newest first, via cursors.
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		h, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tsList(h.Messages)...)
		if !h.HasMore {
			break
		}
		cursor = h.ResponseMetaData.NextCursor
	}
	want := slices.Clone(tss)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("paged history = %v, want %v", got, want)
	}

	h, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: tss[1], Latest: tss[3]})
	if err != nil {
		t.Fatal(err)
	}
	if got := tsList(h.Messages); !slices.Equal(got, []string{tss[2]}) {
		t.Errorf("exclusive window = %v, want [%s]", got, tss[2])
	}
	h, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Oldest: tss[1], Latest: tss[3], Inclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := tsList(h.Messages); !slices.Equal(got, []string{tss[3], tss[2], tss[1]}) {
		t.Errorf("inclusive window = %v", got)
	}
}

func TestRepliesPagination(t *testing.T) {
	srv, _ := newServer(t)
	ctx := context.Background()
	api := newAPI(srv, fakeslack.DefaultToken)
	_, parent, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("p", false))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{parent}
	for i := range 4 {
		_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(fmt.Sprint(i), false), slack.MsgOptionTS(parent))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ts)
	}
	// A reply to a reply lands in the parent's thread.
	_, last, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("nested", false), slack.MsgOptionTS(want[1]))
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, last)

	var got []string
	cursor := ""
	for range 10 {
		msgs, more, next, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: parent, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tsList(msgs)...)
		if !more {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged replies = %v, want %v", got, want)
	}
}

func TestDirectMessageToUser(t *testing.T) {
	srv, _ := newServer(t)
	api := newAPI(srv, fakeslack.DefaultToken)
	ch, _, err := api.PostMessageContext(context.Background(), "U1", slack.MsgOptionText("psst", false))
	if err != nil {
		t.Fatal(err)
	}
	if ch != srv.DMChannel("U1") || !strings.HasPrefix(ch, "D") {
		t.Errorf("DM channel = %q, want %q", ch, srv.DMChannel("U1"))
	}
	if msgs := srv.Messages(ch); len(msgs) != 1 || msgs[0].Text != "psst" {
		t.Errorf("DM messages = %+v", msgs)
	}
	info, err := api.GetConversationInfoContext(context.Background(), &slack.GetConversationInfoInput{ChannelID: ch})
	if err != nil || !info.IsIM || info.User != "U1" {
		t.Errorf("DM info = %+v, %v", info, err)
	}
}

func TestLatency(t *testing.T) {
	srv, _ := newServer(t)
	api := newAPI(srv, fakeslack.DefaultToken)
	srv.SetLatency(2 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := api.AuthTestContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow call = %v, want deadline exceeded", err)
	}
	srv.SetLatency(0)
	if _, err := api.AuthTestContext(context.Background()); err != nil {
		t.Fatalf("after latency removed: %v", err)
	}
}

func postResponse(t *testing.T, u string, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("response_url body is not JSON: %v", err)
	}
	return resp.StatusCode, out
}

func TestResponseURL(t *testing.T) {
	srv, clk := newServer(t)
	u := srv.ResponseURL("a/b c") // ids with odd characters are escaped
	status, body := postResponse(t, u, `{"text":"hi","response_type":"ephemeral","replace_original":true,"thread_ts":"1.2","blocks":[{"type":"divider"}]}`)
	if status != http.StatusOK || body["ok"] != true {
		t.Fatalf("post = %d %v", status, body)
	}
	rs := srv.Responses("a/b c")
	if len(rs) != 1 {
		t.Fatalf("responses = %+v", rs)
	}
	if r := rs[0]; r.Text != "hi" || r.ResponseType != "ephemeral" || !r.ReplaceOriginal || r.ThreadTS != "1.2" || string(r.Blocks) != `[{"type":"divider"}]` || !r.Time.Equal(epoch) {
		t.Errorf("response = %+v", r)
	}

	for _, tt := range []struct{ body, want string }{
		{`nope`, "invalid_payload"},
		{`{"response_type":"loud","text":"x"}`, "invalid_payload"},
		{`{"response_type":"in_channel"}`, "no_text"},
		{`{"text":"x","blocks":[{}]}`, "invalid_blocks"},
	} {
		if status, body := postResponse(t, u, tt.body); status != http.StatusBadRequest || body["error"] != tt.want {
			t.Errorf("body %s: %d %v, want 400 %s", tt.body, status, body, tt.want)
		}
	}

	if status, body := postResponse(t, srv.URL+"/response/unknown", `{"text":"x"}`); status != http.StatusNotFound || body["error"] != "expired_url" {
		t.Errorf("unknown id: %d %v", status, body)
	}

	// Five uses in all, then used_url.
	for i := range 4 {
		if status, _ := postResponse(t, u, `{"text":"again"}`); status != http.StatusOK {
			t.Fatalf("use %d: status %d", i+2, status)
		}
	}
	if status, body := postResponse(t, u, `{"text":"sixth"}`); status != http.StatusNotFound || body["error"] != "used_url" {
		t.Errorf("sixth use: %d %v", status, body)
	}

	// Thirty minutes later a fresh URL has expired.
	u2 := srv.ResponseURL("later")
	clk.Advance(fakeslack.ResponseURLLifetime + time.Second)
	if status, body := postResponse(t, u2, `{"text":"late"}`); status != http.StatusNotFound || body["error"] != "expired_url" {
		t.Errorf("expired: %d %v", status, body)
	}

	u3 := srv.ResponseURL("faulty")
	srv.FailNext("response_url", "internal_error", 1)
	if status, body := postResponse(t, u3, `{"text":"x"}`); status != http.StatusBadRequest || body["error"] != "internal_error" {
		t.Errorf("injected failure: %d %v", status, body)
	}
	if len(srv.Responses("faulty")) != 0 {
		t.Error("a failed response was recorded")
	}
}

func TestStandaloneWithoutT(t *testing.T) {
	srv := fakeslack.New(fakeslack.Options{Addr: "127.0.0.1:0", Token: "xoxb-bench"})
	defer srv.Close()
	if _, err := newAPI(srv, "xoxb-bench").AuthTestContext(context.Background()); err != nil {
		t.Fatalf("auth.test with custom token: %v", err)
	}
	if _, err := newAPI(srv, fakeslack.DefaultToken).AuthTestContext(context.Background()); err == nil {
		t.Fatal("default token accepted by a server with a custom token")
	}
	srv.Close() // twice is fine
}

// listAll pages through conversations.list with params, returning the IDs
// listed and the number of pages.
func listAll(t *testing.T, srv *fakeslack.Server, params url.Values) ([]string, int) {
	t.Helper()
	var ids []string
	cursor := ""
	for pages := 1; ; pages++ {
		if pages > 50 {
			t.Fatal("pagination does not end")
		}
		p := cloneParams(params)
		if cursor != "" {
			p.Set("cursor", cursor)
		}
		status, _, body := rawCall(t, srv, "conversations.list", bearer(fakeslack.DefaultToken), p)
		if status != http.StatusOK || body["ok"] != true {
			t.Fatalf("conversations.list %v: %d %v", p, status, body)
		}
		chans, _ := body["channels"].([]any)
		for _, c := range chans {
			ids = append(ids, c.(map[string]any)["id"].(string))
		}
		meta, ok := body["response_metadata"].(map[string]any)
		if !ok {
			t.Fatalf("page %d has no response_metadata: %v", pages, body)
		}
		next, ok := meta["next_cursor"].(string)
		if !ok {
			t.Fatalf("page %d: next_cursor is %v, want a string", pages, meta["next_cursor"])
		}
		if next == "" {
			return ids, pages
		}
		cursor = next
	}
}

func cloneParams(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func TestConversationsList(t *testing.T) {
	srv, _ := newServer(t)
	srv.PutChannel(fakeslack.Channel{ID: "CARCH", Name: "old", Member: true, Archived: true})
	srv.PutChannel(fakeslack.Channel{ID: "GMINE", Name: "mine", Private: true, Member: true})
	srv.PutChannel(fakeslack.Channel{ID: "GOLDMINE", Name: "old-mine", Private: true, Member: true, Archived: true})
	// A DM channel exists once the bot has written to a user; it is never listed.
	if _, _, body := rawCall(t, srv, "chat.postMessage", bearer(fakeslack.DefaultToken), url.Values{"channel": {"U1"}, "text": {"hi"}}); body["ok"] != true {
		t.Fatalf("DM: %v", body)
	}

	// Visible: C1, C2, COUT (public; COUT without the bot), CARCH (public,
	// archived), GMINE and GOLDMINE (private, member). GSECRET (private,
	// not a member) and the DM never are.
	for _, tt := range []struct {
		name      string
		params    url.Values
		want      []string
		wantPages int
	}{
		{"default is public channels", url.Values{}, []string{"C1", "C2", "CARCH", "COUT"}, 1},
		{"public and private", url.Values{"types": {"public_channel,private_channel"}},
			[]string{"C1", "C2", "CARCH", "COUT", "GMINE", "GOLDMINE"}, 1},
		{"private only", url.Values{"types": {"private_channel"}}, []string{"GMINE", "GOLDMINE"}, 1},
		{"ims are not listed", url.Values{"types": {"im,mpim"}}, nil, 1},
		{"exclude archived", url.Values{"types": {"public_channel, private_channel"}, "exclude_archived": {"true"}},
			[]string{"C1", "C2", "COUT", "GMINE"}, 1},
		{"exclude_archived=1", url.Values{"exclude_archived": {"1"}}, []string{"C1", "C2", "COUT"}, 1},
		{"exclude_archived=false", url.Values{"exclude_archived": {"false"}}, []string{"C1", "C2", "CARCH", "COUT"}, 1},
		{"pages of two", url.Values{"types": {"public_channel,private_channel"}, "limit": {"2"}},
			[]string{"C1", "C2", "CARCH", "COUT", "GMINE", "GOLDMINE"}, 3},
		{"pages of four, archived excluded", url.Values{"types": {"public_channel,private_channel"}, "limit": {"4"}, "exclude_archived": {"true"}},
			[]string{"C1", "C2", "COUT", "GMINE"}, 1},
		{"pages of one", url.Values{"limit": {"1"}}, []string{"C1", "C2", "CARCH", "COUT"}, 4},
		{"bad limit uses the default", url.Values{"limit": {"zero"}}, []string{"C1", "C2", "CARCH", "COUT"}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, pages := listAll(t, srv, tt.params)
			if !slices.Equal(got, tt.want) {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
			if pages != tt.wantPages {
				t.Errorf("took %d pages, want %d", pages, tt.wantPages)
			}
		})
	}

	for _, tt := range []struct {
		name   string
		params url.Values
		want   string
	}{
		{"unknown type", url.Values{"types": {"public_channel,shared"}}, "invalid_types"},
		{"garbage cursor", url.Values{"cursor": {"!!"}}, "invalid_cursor"},
		{"foreign cursor", url.Values{"cursor": {"bmV4dF90czoxLjA="}}, "invalid_cursor"}, // a history cursor
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, body := rawCall(t, srv, "conversations.list", bearer(fakeslack.DefaultToken), tt.params)
			if body["ok"] != false || body["error"] != tt.want {
				t.Errorf("got %v, want error %s", body, tt.want)
			}
		})
	}
}

func TestConversationsListLimits(t *testing.T) {
	srv, _ := newServer(t) // four channels, three of them public
	for i := range 1200 {
		srv.AddChannel(fmt.Sprintf("CP%04d", i), fmt.Sprintf("chan-%d", i), i%2 == 0)
	}
	const public = 1203
	for _, tt := range []struct {
		name      string
		limit     string
		firstPage int
		pages     int
	}{
		{"default 100", "", 100, 13},
		{"at most 1000", "5000", 1000, 2},
		{"exactly 1000", "1000", 1000, 2},
		{"200", "200", 200, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			params := url.Values{}
			if tt.limit != "" {
				params.Set("limit", tt.limit)
			}
			_, _, body := rawCall(t, srv, "conversations.list", bearer(fakeslack.DefaultToken), params)
			if n := len(body["channels"].([]any)); n != tt.firstPage {
				t.Errorf("first page has %d channels, want %d", n, tt.firstPage)
			}
			ids, pages := listAll(t, srv, params)
			if len(ids) != public || pages != tt.pages {
				t.Errorf("listed %d channels in %d pages, want %d in %d", len(ids), pages, public, tt.pages)
			}
			if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
				t.Error("channels repeated or out of order across pages")
			}
		})
	}
}

// TestConversationsListShape checks a listed channel against the fields
// Slack's Web API spec (testdata) requires of a conversation and allows in
// a conversations.list answer, and that slack-go reads it.
func TestConversationsListShape(t *testing.T) {
	srv, _ := newServer(t)
	srv.PutChannel(fakeslack.Channel{ID: "GMINE", Name: "mine", Private: true, Member: true, Archived: true})

	raw, err := os.ReadFile("../../testdata/slack/slack-api-specs/web-api/slack_web_openapi_v2.json")
	if err != nil {
		t.Fatal(err)
	}
	type schema struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Schema schema `json:"schema"`
			} `json:"responses"`
		} `json:"paths"`
		Definitions struct {
			Conversation struct {
				Items []schema `json:"items"`
			} `json:"objs_conversation"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	answer := spec.Paths["/conversations.list"]["get"].Responses["200"].Schema
	conv := spec.Definitions.Conversation.Items
	if len(answer.Properties) == 0 || len(conv) == 0 {
		t.Fatal("conversations.list or objs_conversation not found in the spec")
	}
	channel := conv[0] // the first form is the channel one (the last is the IM one)

	_, _, body := rawCall(t, srv, "conversations.list", bearer(fakeslack.DefaultToken), url.Values{"types": {"public_channel,private_channel"}})
	for _, k := range answer.Required {
		if _, ok := body[k]; !ok {
			t.Errorf("answer lacks %q", k)
		}
	}
	for k := range body {
		if _, ok := answer.Properties[k]; !ok {
			t.Errorf("answer has %q, which the spec does not allow", k)
		}
	}
	chans := body["channels"].([]any)
	if len(chans) != 4 {
		t.Fatalf("channels = %v", chans)
	}
	byID := map[string]map[string]any{}
	for _, c := range chans {
		c := c.(map[string]any)
		byID[c["id"].(string)] = c
		for _, k := range channel.Required {
			if _, ok := c[k]; !ok {
				t.Errorf("channel %v lacks %q", c["id"], k)
			}
		}
		for k := range c {
			if _, ok := channel.Properties[k]; !ok {
				t.Errorf("channel %v has %q, which the spec does not allow", c["id"], k)
			}
		}
	}
	for id, want := range map[string]map[string]any{
		"C1":    {"name": "general", "is_channel": true, "is_private": false, "is_archived": false, "is_member": true},
		"COUT":  {"name": "outside", "is_channel": true, "is_private": false, "is_archived": false, "is_member": false},
		"GMINE": {"name": "mine", "is_private": true, "is_archived": true, "is_member": true},
	} {
		for k, v := range want {
			if got := byID[id][k]; got != v {
				t.Errorf("%s.%s = %v, want %v", id, k, got, v)
			}
		}
	}

	// slack-go, golive's client, reads the pages.
	api := newAPI(srv, fakeslack.DefaultToken)
	var names []string
	cursor := ""
	for range 10 {
		chans, next, err := api.GetConversationsContext(context.Background(), &slack.GetConversationsParameters{
			Types: []string{"public_channel", "private_channel"}, ExcludeArchived: true, Limit: 2, Cursor: cursor,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chans {
			names = append(names, c.Name)
			if c.ID == "COUT" && (c.IsMember || c.IsPrivate || !c.IsChannel) {
				t.Errorf("slack-go read COUT as %+v", c.GroupConversation)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if want := []string{"general", "random", "outside"}; !slices.Equal(names, want) {
		t.Errorf("slack-go listed %v, want %v", names, want)
	}
}

// AfterPost sees a stored message before its poster gets the answer.
func TestAfterPost(t *testing.T) {
	var seen []fakeslack.Message
	var stored int
	var srv *fakeslack.Server
	srv = fakeslack.New(fakeslack.Options{T: t, Channels: []fakeslack.Channel{{ID: "C1", Name: "general", Member: true}},
		AfterPost: func(m fakeslack.Message) { seen = append(seen, m); stored = 1 }})
	api := newAPI(srv, srv.Token())
	_, ts, err := api.PostMessage("#general", slack.MsgOptionText("hello", false))
	if err != nil {
		t.Fatal(err)
	}
	if stored != 1 || len(seen) != 1 || seen[0].TS != ts || seen[0].Text != "hello" || seen[0].Channel != "C1" {
		t.Fatalf("AfterPost saw %+v, want the message posted as %s", seen, ts)
	}
	if _, _, err := api.PostMessage("CNOPE", slack.MsgOptionText("x", false)); err == nil || len(seen) != 1 {
		t.Fatalf("a refused post reached AfterPost (%d calls, err %v)", len(seen), err)
	}
}
