// Package slackclient is golive's narrow adapter over slack-go: the few
// Slack Web API calls golive makes, response_url replies, typed and
// classifiable errors, and a Prometheus count of every call.
//
// Every error returned by a Client wraps one of *APIError (Slack said
// ok:false), *RateLimitedError (HTTP 429), *TransportError (network failure
// or a bad HTTP status) or ErrInvalidArgument; use IsPermanent, RetryAfter
// and ErrorCode to decide what to do.
package slackclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/metrics"
)

// DefaultAPIURL is Slack's Web API base URL.
const DefaultAPIURL = "https://slack.com/api/"

// DefaultMetadataScanLimit is how many messages FindByMetadata examines
// when Config.MetadataScanLimit is not set.
const DefaultMetadataScanLimit = 1000

// ChannelCacheTTL is how long ResolveChannel remembers a channel name's ID.
const ChannelCacheTTL = 10 * time.Minute

// Method names used in errors and the metrics' method label.
const (
	MethodAuthTest             = "auth.test"
	MethodPostMessage          = "chat.postMessage"
	MethodUpdate               = "chat.update"
	MethodPostEphemeral        = "chat.postEphemeral"
	MethodUsersInfo            = "users.info"
	MethodConversationsInfo    = "conversations.info"
	MethodConversationsList    = "conversations.list"
	MethodUserGroupMembers     = "usergroups.users.list"
	MethodConversationsHistory = "conversations.history"
	MethodConversationsReplies = "conversations.replies"
	MethodResponseURL          = "response_url"
)

// Config configures a Client.
type Config struct {
	// Token is the bot token (xoxb-...).
	Token string
	// APIURL is the Web API base; DefaultAPIURL when empty. A missing
	// trailing slash is added.
	APIURL string
	// HTTPClient sends every request; when nil, a client with a 30-second
	// timeout is used.
	HTTPClient *http.Client
	// Metrics, when set, counts every call in SlackCalls.
	Metrics *metrics.Metrics
	// MetadataScanLimit caps how many messages one FindByMetadata call
	// examines; DefaultMetadataScanLimit when zero or less.
	MetadataScanLimit int
	// Clock times the expiry of ResolveChannel's cache; clock.System when
	// nil.
	Clock clock.Clock
}

// Client calls Slack. It is safe for concurrent use.
type Client struct {
	api       *slack.Client
	http      *http.Client
	metrics   *metrics.Metrics
	scanLimit int
	clock     clock.Clock

	mu       sync.Mutex
	channels map[string]cachedChannel // by lower-case name, without '#'
}

type cachedChannel struct {
	id      string
	expires time.Time
}

// New makes a Client. It does not contact Slack; call AuthTest to check the
// token.
func New(cfg Config) *Client {
	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	limit := cfg.MetadataScanLimit
	if limit <= 0 {
		limit = DefaultMetadataScanLimit
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.System{}
	}
	return &Client{
		api:       slack.New(cfg.Token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(hc)),
		http:      hc,
		metrics:   cfg.Metrics,
		scanLimit: limit,
		clock:     clk,
		channels:  map[string]cachedChannel{},
	}
}

// Metadata is Slack message metadata: golive tags its messages with it so
// it can find them again (see FindByMetadata).
type Metadata struct {
	EventType string
	// Payload must encode as a JSON object; nil is sent as {}.
	Payload map[string]any
}

// Message is the content of a message golive sends. Text is sent as
// mrkdwn exactly as given: pass untrusted parts through EscapeText first.
type Message struct {
	Channel string
	Text    string
	Blocks  []slack.Block
	// ThreadTS makes the message a reply in that thread.
	ThreadTS string
	// Broadcast also shows a thread reply in the channel; it is ignored
	// without ThreadTS.
	Broadcast bool
	Metadata  *Metadata
}

// Response is a reply sent to an interaction's response_url.
type Response struct {
	Text   string
	Blocks []slack.Block
	// ResponseType is "ephemeral" (the default when empty) or "in_channel".
	ResponseType string
	// ReplaceOriginal replaces the message the interaction came from.
	ReplaceOriginal bool
	// ThreadTS, when set, posts an in_channel response in that thread.
	ThreadTS string
}

// Identity is who the token belongs to, from auth.test.
type Identity struct {
	URL    string
	Team   string
	TeamID string
	User   string
	UserID string
	BotID  string
}

// User is the part of users.info golive uses.
type User struct {
	ID          string
	Name        string
	RealName    string
	DisplayName string
	Email       string
	// TZ is an IANA zone name; TZOffset is seconds east of UTC.
	TZ       string
	TZOffset int
	IsBot    bool
	Deleted  bool
}

// Channel is the part of conversations.info golive uses.
type Channel struct {
	ID         string
	Name       string
	IsPrivate  bool
	IsIM       bool
	IsArchived bool
	// IsMember reports whether the bot is in the channel.
	IsMember bool
}

// AuthTest checks the token and returns whom it belongs to.
func (c *Client) AuthTest(ctx context.Context) (Identity, error) {
	var r *slack.AuthTestResponse
	err := c.do(MethodAuthTest, func() (err error) {
		r, err = c.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		return Identity{}, fmt.Errorf("check slack credentials: %w", err)
	}
	return Identity{URL: r.URL, Team: r.Team, TeamID: r.TeamID, User: r.User, UserID: r.UserID, BotID: r.BotID}, nil
}

// PostMessage posts m to m.Channel (a channel ID, a channel name like
// "#deploys", or a user ID for a DM) and returns the new message's ts and
// the ID of the channel Slack posted it in (for a name, the channel's ID;
// for a user, the DM's). Use both to update or reply to the message.
func (c *Client) PostMessage(ctx context.Context, m Message) (ts, channelID string, err error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
		if m.Broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	if m.Metadata != nil {
		opts = append(opts, metadataOption(m.Metadata))
	}
	err = c.do(MethodPostMessage, func() (err error) {
		channelID, ts, err = c.api.PostMessageContext(ctx, m.Channel, opts...)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("post message to channel %q: %w", m.Channel, err)
	}
	return ts, channelID, nil
}

// UpdateMessage replaces the text and blocks of the message ts in channel
// with m's (no blocks in m removes the old ones). The metadata is replaced
// when m.Metadata is set and kept otherwise. m.Channel, m.ThreadTS and
// m.Broadcast are ignored.
func (c *Client) UpdateMessage(ctx context.Context, channel, ts string, m Message) error {
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks...), // none sends blocks=[]: clear them
	}
	if m.Metadata != nil {
		opts = append(opts, metadataOption(m.Metadata))
	}
	err := c.do(MethodUpdate, func() error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("update message %q in channel %q: %w", ts, channel, err)
	}
	return nil
}

// PostEphemeral shows m to user only, in channel (in m.ThreadTS's thread
// when set). m.Channel, m.Broadcast and m.Metadata are ignored: ephemeral
// messages carry no metadata and are not stored by Slack.
func (c *Client) PostEphemeral(ctx context.Context, channel, user string, m Message) error {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
	}
	err := c.do(MethodPostEphemeral, func() error {
		_, err := c.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("post ephemeral message to user %q in channel %q: %w", user, channel, err)
	}
	return nil
}

// UserInfo looks a user up.
func (c *Client) UserInfo(ctx context.Context, userID string) (User, error) {
	var u *slack.User
	err := c.do(MethodUsersInfo, func() (err error) {
		u, err = c.api.GetUserInfoContext(ctx, userID)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("get info for user %q: %w", userID, err)
	}
	return User{
		ID:          u.ID,
		Name:        u.Name,
		RealName:    u.RealName,
		DisplayName: u.Profile.DisplayName,
		Email:       u.Profile.Email,
		TZ:          u.TZ,
		TZOffset:    u.TZOffset,
		IsBot:       u.IsBot,
		Deleted:     u.Deleted,
	}, nil
}

// GroupMembers lists the user ids in a Slack user group (S…).
func (c *Client) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	if groupID == "" {
		return nil, fmt.Errorf("list the members of user group %q: empty id: %w", groupID, ErrInvalidArgument)
	}
	var members []string
	err := c.do(MethodUserGroupMembers, func() (err error) {
		members, err = c.api.GetUserGroupMembersContext(ctx, groupID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list the members of user group %q: %w", groupID, err)
	}
	return members, nil
}

// ChannelInfo looks a channel up by ID.
func (c *Client) ChannelInfo(ctx context.Context, channelID string) (Channel, error) {
	if channelID == "" {
		return Channel{}, fmt.Errorf("get info for channel %q: empty channel id: %w", channelID, ErrInvalidArgument)
	}
	var ch *slack.Channel
	err := c.do(MethodConversationsInfo, func() (err error) {
		ch, err = c.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channelID})
		return err
	})
	if err != nil {
		return Channel{}, fmt.Errorf("get info for channel %q: %w", channelID, err)
	}
	return Channel{
		ID:         ch.ID,
		Name:       ch.Name,
		IsPrivate:  ch.IsPrivate,
		IsIM:       ch.IsIM,
		IsArchived: ch.IsArchived,
		IsMember:   ch.IsMember,
	}, nil
}

// channelIDPattern matches conversation IDs: public (C), private (G) and
// direct-message (D) channels.
var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// ResolveChannel turns a channel reference into a channel ID. An ID (an
// upper-case C, G or D and at least two more upper-case letters or digits)
// is returned unchanged without calling Slack, whether or not the channel
// exists; so is a bare upper-case name like "DEPLOYS", which cannot be a
// Slack channel name (write "#deploys"). A name, with or without a
// leading '#', is looked up among the unarchived public and private
// channels the bot can see (conversations.list, every page if need be),
// compared case-insensitively; a private channel is visible only to its
// members. A name found is remembered for ChannelCacheTTL, as is every other
// name on the pages read; a name not found is not remembered, so inviting
// the bot takes effect on the next call. Not found is an *APIError with Code
// "channel_not_found" (permanent).
func (c *Client) ResolveChannel(ctx context.Context, channel string) (string, error) {
	ref := strings.TrimSpace(channel)
	if channelIDPattern.MatchString(ref) {
		return ref, nil
	}
	name := strings.ToLower(strings.TrimPrefix(ref, "#"))
	if name == "" {
		return "", fmt.Errorf("resolve channel %q: empty channel name: %w", channel, ErrInvalidArgument)
	}
	if id, ok := c.cachedChannel(name); ok {
		return id, nil
	}
	const pageSize = 200
	cursor := ""
	for {
		var (
			chans []slack.Channel
			next  string
		)
		err := c.do(MethodConversationsList, func() (err error) {
			chans, next, err = c.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
				Types: []string{"public_channel", "private_channel"}, ExcludeArchived: true, Limit: pageSize, Cursor: cursor,
			})
			return err
		})
		if err != nil {
			return "", fmt.Errorf("resolve channel %q: %w", channel, err)
		}
		found := ""
		now := c.clock.Now()
		c.mu.Lock()
		for _, ch := range chans {
			if ch.Name == "" || ch.ID == "" {
				continue
			}
			c.channels[strings.ToLower(ch.Name)] = cachedChannel{id: ch.ID, expires: now.Add(ChannelCacheTTL)}
			if found == "" && strings.EqualFold(ch.Name, name) {
				found = ch.ID
			}
		}
		c.mu.Unlock()
		if found != "" {
			return found, nil
		}
		if next == "" || next == cursor {
			break
		}
		cursor = next
	}
	return "", fmt.Errorf("resolve channel %q: no channel named %q among the unarchived channels the bot can see "+
		"(the channel must exist, and the bot must be a member of it if it is private): %w",
		channel, "#"+name, &APIError{Method: MethodConversationsList, Code: "channel_not_found"})
}

// cachedChannel returns the remembered ID of a channel name, if it has not
// expired.
func (c *Client) cachedChannel(name string) (string, bool) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.channels[name]
	if !ok {
		return "", false
	}
	if !now.Before(e.expires) {
		delete(c.channels, name)
		return "", false
	}
	return e.id, true
}

// FindByMetadata looks for a message whose metadata has event type
// eventType and whose payload[key] equals value (a string payload value
// compared as is, any other by its JSON text, so 42 matches "42"). It
// searches the replies of threadTS (the parent included), oldest first, or,
// when threadTS is empty, the channel's history, newest first; thread
// replies that were not broadcast are not part of the history. At most
// Config.MetadataScanLimit messages are examined. It returns the first
// match's ts; found is false when there is none. golive uses it before
// posting, to avoid posting a message twice after a crash.
func (c *Client) FindByMetadata(ctx context.Context, channel, threadTS, eventType, key, value string) (ts string, found bool, err error) {
	where := fmt.Sprintf("channel %q", channel)
	if threadTS != "" {
		where = fmt.Sprintf("thread %q in channel %q", threadTS, channel)
	}
	if eventType == "" || key == "" {
		return "", false, fmt.Errorf("find %q message with %s=%q in %s: empty event type or key: %w",
			eventType, key, value, where, ErrInvalidArgument)
	}
	const pageSize = 200
	cursor := ""
	for scanned := 0; scanned < c.scanLimit; {
		limit := min(pageSize, c.scanLimit-scanned)
		var (
			msgs []slack.Message
			next string
		)
		if threadTS != "" {
			err = c.do(MethodConversationsReplies, func() (err error) {
				var more bool
				msgs, more, next, err = c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
					ChannelID: channel, Timestamp: threadTS, Cursor: cursor, Limit: limit, IncludeAllMetadata: true,
				})
				if !more {
					next = ""
				}
				return err
			})
		} else {
			err = c.do(MethodConversationsHistory, func() error {
				h, err := c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
					ChannelID: channel, Cursor: cursor, Limit: limit, IncludeAllMetadata: true,
				})
				if h != nil {
					msgs = h.Messages
					if h.HasMore {
						next = h.ResponseMetaData.NextCursor
					}
				}
				return err
			})
		}
		if err != nil {
			return "", false, fmt.Errorf("find %q message with %s=%q in %s: %w", eventType, key, value, where, err)
		}
		for _, m := range msgs {
			if m.Metadata.EventType == eventType && payloadEquals(m.Metadata.EventPayload[key], value) {
				return m.Timestamp, true, nil
			}
		}
		scanned += len(msgs)
		if next == "" || next == cursor || len(msgs) == 0 {
			break
		}
		cursor = next
	}
	return "", false, nil
}

func payloadEquals(v any, want string) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x == want
	default:
		b, err := json.Marshal(x)
		return err == nil && string(b) == want
	}
}

func metadataOption(md *Metadata) slack.MsgOption {
	payload := md.Payload
	if payload == nil {
		payload = map[string]any{}
	}
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: md.EventType, EventPayload: payload})
}

// maxResponseBody caps how much of a response_url answer is read.
const maxResponseBody = 64 << 10

// Respond posts r to an interaction's response_url. It succeeds only on an
// HTTP 200 that is not a Slack {"ok":false} body. Errors never include the
// URL, which grants posting rights for as long as it lives.
func (c *Client) Respond(ctx context.Context, responseURL string, r Response) error {
	if err := c.respond(ctx, responseURL, r); err != nil {
		return fmt.Errorf("respond via response_url: %w", err)
	}
	return nil
}

func (c *Client) respond(ctx context.Context, responseURL string, r Response) error {
	switch r.ResponseType {
	case "", slack.ResponseTypeEphemeral, slack.ResponseTypeInChannel:
	default:
		return fmt.Errorf("response type %q: %w", r.ResponseType, ErrInvalidArgument)
	}
	u, err := url.Parse(responseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("unusable response url: %w", ErrInvalidArgument)
	}
	body, err := json.Marshal(struct {
		Text            string        `json:"text,omitempty"`
		Blocks          []slack.Block `json:"blocks,omitempty"`
		ResponseType    string        `json:"response_type,omitempty"`
		ReplaceOriginal bool          `json:"replace_original"`
		ThreadTS        string        `json:"thread_ts,omitempty"`
	}{r.Text, r.Blocks, r.ResponseType, r.ReplaceOriginal, r.ThreadTS})
	if err != nil {
		return fmt.Errorf("encode response: %w", errors.Join(ErrInvalidArgument, err))
	}
	return c.do(MethodResponseURL, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
		if err != nil {
			return &TransportError{Method: MethodResponseURL, Err: err}
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := c.http.Do(req)
		if err != nil {
			// *url.Error repeats the URL; keep only the cause.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return &TransportError{Method: MethodResponseURL, Err: err}
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
		code, readable := slackErrorCode(resp.Header.Get("Content-Type"), raw)
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			return &RateLimitedError{Method: MethodResponseURL, RetryAfter: time.Duration(max(secs, 0)) * time.Second}
		case !readable:
			return &TransportError{Method: MethodResponseURL, StatusCode: resp.StatusCode, Err: errors.New("unreadable json response")}
		case resp.StatusCode == http.StatusOK && code == "":
			return nil
		case code != "" && resp.StatusCode < 500:
			return &APIError{Method: MethodResponseURL, Code: code}
		default:
			return &TransportError{Method: MethodResponseURL, StatusCode: resp.StatusCode, Err: errors.New(http.StatusText(resp.StatusCode))}
		}
	})
}

// slackErrorCode extracts the error code of an {"ok":false,"error":...}
// body, or of a bare-text error like "expired_url"; "" for success.
// readable is false for a JSON body that does not parse.
func slackErrorCode(contentType string, raw []byte) (code string, readable bool) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" {
		var r struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &r) != nil {
			return "", false
		}
		switch {
		case r.OK:
			return "", true
		case r.Error == "":
			return "unknown_error", true
		}
		return r.Error, true
	}
	text := strings.TrimSpace(string(raw))
	if text == "ok" || !isCode(text) {
		return "", true
	}
	return text, true
}

// do runs one Slack call, turns its error into this package's types and
// counts it.
func (c *Client) do(method string, call func() error) error {
	err := classify(method, call())
	if c.metrics != nil {
		c.metrics.SlackCalls.WithLabelValues(method, outcome(err)).Inc()
	}
	return err
}

func classify(method string, err error) error {
	if err == nil {
		return nil
	}
	var (
		ae  *APIError
		rle *RateLimitedError
		te  *TransportError
	)
	if errors.As(err, &ae) || errors.As(err, &rle) || errors.As(err, &te) {
		return err
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &RateLimitedError{Method: method, RetryAfter: rl.RetryAfter, Err: rl}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return &APIError{Method: method, Code: se.Err, Err: err}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code == http.StatusTooManyRequests { // 429 without Retry-After
			return &RateLimitedError{Method: method, Err: err}
		}
		return &TransportError{Method: method, StatusCode: sc.Code, Err: err}
	}
	return &TransportError{Method: method, Err: err}
}

// outcome is the metrics label for a call's result: "ok", the Slack error
// code, "rate_limited" or "transport_error".
func outcome(err error) string {
	var (
		ae  *APIError
		rle *RateLimitedError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &rle):
		return "rate_limited"
	case errors.As(err, &ae):
		if isCode(ae.Code) {
			return ae.Code
		}
		return "unknown_error"
	}
	return "transport_error"
}

// isCode reports whether s looks like a Slack error code (bounded
// lowercase snake case), which keeps the metrics label set small.
func isCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}
