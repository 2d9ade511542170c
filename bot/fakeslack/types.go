package fakeslack

import (
	"encoding/json"
	"net/url"
	"time"
)

// Identity of the bot and workspace the fake answers as. auth.test returns
// these, and every message posted through the API is authored by BotUserID.
const (
	TeamID    = "T0GOLIVE01"
	TeamName  = "golive-test"
	TeamURL   = "https://golive-test.slack.com/"
	BotUserID = "U0GOLIVEBOT"
	BotName   = "golive"
	BotID     = "B0GOLIVEBOT"
	AppID     = "A0GOLIVEAPP"
)

// DefaultToken is the bot token the fake accepts when Options.Token is empty.
const DefaultToken = "xoxb-test-token"

// Channel describes a conversation known to the fake.
type Channel struct {
	ID   string
	Name string
	// Member reports whether the bot is in the channel. Posting to, reading
	// or updating in a channel the bot is not in fails with not_in_channel;
	// a private channel the bot is not in is invisible (channel_not_found).
	Member   bool
	Private  bool
	Archived bool
	// IM is set for direct-message channels; User is the other party.
	IM   bool
	User string
}

// User describes a workspace member known to users.info.
type User struct {
	ID          string
	Name        string
	RealName    string
	DisplayName string
	Email       string
	// TZ is an IANA zone name; TZLabel and TZOffset (seconds east of UTC) are
	// returned as given. Empty TZ is reported as "UTC".
	TZ       string
	TZLabel  string
	TZOffset int
	IsBot    bool
	IsAdmin  bool
	Deleted  bool
}

// Metadata is Slack message metadata: an event type and a JSON payload.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
}

// Message is a message stored by the fake, as recorded from
// chat.postMessage (or Seed) and changed by chat.update.
type Message struct {
	Channel string
	TS      string
	// ThreadTS is the parent's ts for a thread reply and empty for a
	// top-level message.
	ThreadTS string
	// User is the author; BotID is set when the bot posted it.
	User  string
	BotID string
	Text  string
	// Blocks and Attachments are compact JSON arrays, nil when absent.
	Blocks      json.RawMessage
	Attachments json.RawMessage
	Metadata    *Metadata
	// Broadcast is reply_broadcast: a reply also shown in the channel.
	Broadcast bool
	// Edits holds the content the message had before each chat.update,
	// oldest first.
	Edits []Revision
}

// Revision is a message's content before one chat.update.
type Revision struct {
	// EditTS is the ts-formatted time at which this content was replaced.
	EditTS      string
	Text        string
	Blocks      json.RawMessage
	Attachments json.RawMessage
	Metadata    *Metadata
}

// Ephemeral is a message sent with chat.postEphemeral. Ephemeral messages
// never appear in conversation history.
type Ephemeral struct {
	Channel     string
	User        string
	TS          string
	ThreadTS    string
	Text        string
	Blocks      json.RawMessage
	Attachments json.RawMessage
}

// Response is one JSON payload POSTed to a response_url.
type Response struct {
	ID              string
	Text            string
	Blocks          json.RawMessage
	Attachments     json.RawMessage
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	// Raw is the body as received.
	Raw  json.RawMessage
	Time time.Time
}

// Call is one request the fake answered.
type Call struct {
	// Method is the Web API method ("chat.postMessage") or "response_url".
	Method string
	// Params are the request's arguments (query, form or flattened JSON
	// body) without the token.
	Params url.Values
	Time   time.Time
	// Status is the HTTP status sent: 200, 429 for rate limits, or the
	// status injected with FailHTTP.
	Status int
	OK     bool
	// Error is the Slack error code when OK is false and Status is 200 or 429.
	Error string
}

// RateLimit makes matching requests fail with HTTP 429.
type RateLimit struct {
	// Method limits the rule to one API method ("response_url" for
	// response_url posts); empty matches every method.
	Method string
	// Channel limits the rule to requests whose channel argument is this ID
	// (or resolves to it); empty matches any channel.
	Channel string
	// Times is how many requests are rejected; zero or less means every
	// matching request until ClearFaults.
	Times int
	// RetryAfter is sent in the Retry-After header, rounded up to whole
	// seconds.
	RetryAfter time.Duration
}
