// Package fakeslack is an in-process fake of the Slack Web API for tests and
// benchmarks. It answers like Slack: HTTP 200 with {"ok":true,...} or
// {"ok":false,"error":"..."}, HTTP 429 with Retry-After when rate limited,
// form or JSON request bodies, and bearer or form tokens. It keeps channels,
// users and messages in memory, records every call, and can inject faults.
//
// Supported methods: chat.postMessage, chat.update, chat.postEphemeral,
// users.info, conversations.info, conversations.list, conversations.history,
// conversations.replies and auth.test, plus response_url endpoints made with
// Server.ResponseURL.
//
// Behaviour worth knowing:
//   - The bot may only post to, update in and read channels it is a member
//     of (not_in_channel otherwise; a private channel it is not in is
//     channel_not_found). chat.postMessage and chat.postEphemeral also take
//     a channel name, and a known user's ID for a DM (see DMChannel); they
//     answer with the channel's ID in "channel".
//   - conversations.list lists the channels the bot can see, ordered by ID:
//     every public channel and the private channels it is a member of, never
//     DMs. It honours types (default public_channel; an unknown type is
//     invalid_types), exclude_archived, limit (default 100, at most 1000)
//     and cursor; response_metadata.next_cursor is "" on the last page.
//   - Message ts values come from Options.Clock and are unique and strictly
//     increasing across the server, even when the clock stands still.
//   - conversations.history lists top-level messages and broadcast replies,
//     newest first; conversations.replies lists a thread's parent then its
//     replies, oldest first. Both return metadata only with
//     include_all_metadata=true (or 1), as Slack does.
//   - chat.update replaces the fields it is given and keeps the others;
//     only the bot's own messages can be updated.
//   - Faults are checked after authentication, in this order: FailHTTP,
//     RateLimit, FailNext.
//
// A Server is safe for concurrent use.
package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// T, when set, closes the server at the end of the test and fails the
	// test if the server cannot start. Without T, New panics on that failure.
	T testing.TB
	// Token is the only token accepted; DefaultToken when empty.
	Token string
	// Clock stamps message ts values, calls and response_url expiry;
	// clock.System when nil.
	Clock clock.Clock
	// Channels are created up front.
	Channels []Channel
	// Users are known to users.info, besides the bot user.
	Users []User
	// Addr, when set, is the TCP address to listen on (for running the fake
	// as a standalone process); otherwise a free loopback port is used.
	Addr string
	// AfterPost, when set, sees every message chat.postMessage stored, before
	// the caller gets its answer: a test can kill the caller there, so the
	// message is in Slack but the caller never learned it. It runs holding
	// the server's lock and must not call the Server.
	AfterPost func(Message)
}

// Server is a running fake Slack. Its Web API base URL (with the trailing
// slash slack-go's OptionAPIURL needs) is APIURL().
type Server struct {
	// URL is the server's root, like "http://127.0.0.1:41234".
	URL string

	hs    *httptest.Server
	token string
	clock clock.Clock

	mu           sync.Mutex
	channels     map[string]*Channel
	users        map[string]User
	userGroups   map[string][]string   // user group id → member user ids
	messages     map[string][]*Message // by channel ID, ts ascending
	ephemerals   []Ephemeral
	calls        []Call
	responseURLs map[string]*responseURL
	rateLimits   []*rateLimitRule
	failures     []*failRule
	httpFailures []*httpFailRule
	latency      time.Duration
	afterPost    func(Message)
	lastTS       int64 // microseconds since the epoch
}

type rateLimitRule struct {
	RateLimit
	left int // <0: unlimited
}

type failRule struct {
	method string
	code   string
	left   int
}

type httpFailRule struct {
	method string
	status int
	left   int
}

// New starts a fake Slack. See Options for defaults.
func New(opts Options) *Server {
	s, err := start(opts)
	if err != nil {
		if opts.T != nil {
			opts.T.Helper()
			opts.T.Fatalf("start fake slack: %v", err)
		}
		panic(fmt.Sprintf("start fake slack: %v", err))
	}
	if opts.T != nil {
		opts.T.Cleanup(s.Close)
	}
	return s
}

func start(opts Options) (*Server, error) {
	s := &Server{
		token:        opts.Token,
		clock:        opts.Clock,
		afterPost:    opts.AfterPost,
		channels:     map[string]*Channel{},
		users:        map[string]User{},
		userGroups:   map[string][]string{},
		messages:     map[string][]*Message{},
		responseURLs: map[string]*responseURL{},
	}
	if s.token == "" {
		s.token = DefaultToken
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	s.users[BotUserID] = User{ID: BotUserID, Name: BotName, RealName: BotName, IsBot: true}
	for _, u := range opts.Users {
		s.users[u.ID] = u
	}
	for _, c := range opts.Channels {
		s.channels[c.ID] = &c
	}
	s.hs = httptest.NewUnstartedServer(s)
	if opts.Addr != "" {
		l, err := net.Listen("tcp", opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("listen on %q: %w", opts.Addr, err)
		}
		_ = s.hs.Listener.Close()
		s.hs.Listener = l
	}
	// Every field is set before the first request can arrive.
	s.URL = "http://" + s.hs.Listener.Addr().String()
	s.hs.Start()
	return s, nil
}

// APIURL is the Web API base URL, ending in "/api/".
func (s *Server) APIURL() string { return s.URL + "/api/" }

// Close shuts the server down. It is safe to call more than once.
func (s *Server) Close() { s.hs.Close() }

// Token is the token the server accepts.
func (s *Server) Token() string { return s.token }

// AddChannel creates (or replaces the settings of) a public channel.
func (s *Server) AddChannel(id, name string, member bool) {
	s.PutChannel(Channel{ID: id, Name: name, Member: member})
}

// PutChannel creates or replaces a channel. Messages already in it are kept.
func (s *Server) PutChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[c.ID] = &c
}

// SetArchived archives or unarchives a channel; posting to an archived
// channel fails with is_archived. It reports whether the channel exists.
func (s *Server) SetArchived(id string, archived bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if ok {
		c.Archived = archived
	}
	return ok
}

// AddUser makes a user known to users.info (and a valid DM target).
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// SetUserGroup makes a user group (an S… id, a Slack "subteam") with
// members, for usergroups.users.list.
func (s *Server) SetUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userGroups[id] = append([]string(nil), members...)
}

// DMChannel is the ID of the direct-message channel the bot shares with a
// user: chat.postMessage with channel set to a known user ID posts there.
func (s *Server) DMChannel(userID string) string { return "D" + strings.TrimPrefix(userID, "U") }

// SetLatency delays every later response by d (0 turns it off). A request
// whose context ends during the delay is abandoned.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// RateLimit adds a rule answering matching requests with HTTP 429, a
// Retry-After header and {"ok":false,"error":"ratelimited"}.
func (s *Server) RateLimit(rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := rl.Times
	if left <= 0 {
		left = -1
	}
	s.rateLimits = append(s.rateLimits, &rateLimitRule{RateLimit: rl, left: left})
}

// FailNext makes the next times calls (at least one) of method ("" for
// any method, "response_url" for response_url posts) fail with errorCode.
// API methods answer HTTP 200 {"ok":false,"error":errorCode}; response_url
// answers 400 with the same body. Authentication is checked first.
func (s *Server) FailNext(method, errorCode string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failRule{method: method, code: errorCode, left: times})
}

// FailHTTP makes the next times calls (at least one) of method ("" for
// any) answer with the bare HTTP status (for example 503) and an HTML body,
// as Slack's edge does when it is unwell.
func (s *Server) FailHTTP(method string, status, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpFailures = append(s.httpFailures, &httpFailRule{method: method, status: status, left: times})
}

// ClearFaults removes every rate limit and injected failure.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimits, s.failures, s.httpFailures = nil, nil, nil
}

// Messages returns copies of the messages stored in a channel (top-level
// messages and thread replies), oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channel]))
	for _, m := range s.messages[channel] {
		out = append(out, copyMessage(m))
	}
	return out
}

// Message returns a copy of the message with the given ts in a channel.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMessage(channel, ts)
	if m == nil {
		return Message{}, false
	}
	return copyMessage(m), true
}

// Seed stores a message as if someone had posted it, without a call being
// recorded. m.Channel must exist; m.User defaults to the bot (with BotID);
// m.TS is assigned and returned.
func (s *Server) Seed(m Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[m.Channel]; !ok {
		return "", fmt.Errorf("seed message in channel %q: channel not found", m.Channel)
	}
	m = copyMessage(&m)
	if m.User == "" {
		m.User, m.BotID = BotUserID, BotID
	}
	m.TS = s.nextTS()
	m.Edits = nil
	s.messages[m.Channel] = append(s.messages[m.Channel], &m)
	return m.TS, nil
}

// Ephemerals returns the ephemeral messages sent to a channel ("" for all
// channels), oldest first.
func (s *Server) Ephemerals(channel string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if channel == "" || e.Channel == channel {
			e.Blocks = slices.Clone(e.Blocks)
			e.Attachments = slices.Clone(e.Attachments)
			out = append(out, e)
		}
	}
	return out
}

// Calls returns every call answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Params = cloneValues(c.Params)
		out[i] = c
	}
	return out
}

// CallCount counts the calls of method answered so far ("" for all).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			n++
		}
	}
	return n
}

// ClearCalls forgets the recorded calls (useful for long benchmark runs).
func (s *Server) ClearCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// ServeHTTP routes /api/{method} to the Web API and /response/{id} to
// response_url handling; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the whole body before any delay, so the server notices (and
	// cancels r.Context()) when the client gives up during it.
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "read request body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if !s.delay(r.Context()) {
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		s.serveAPI(w, r, strings.TrimPrefix(r.URL.Path, "/api/"))
	case strings.HasPrefix(r.URL.Path, responsePath):
		s.serveResponseURL(w, r, strings.TrimPrefix(r.URL.Path, responsePath))
	default:
		http.NotFound(w, r)
	}
}

// delay waits out the configured latency; false means the request's context
// ended first.
func (s *Server) delay(ctx context.Context) bool {
	s.mu.Lock()
	d := s.latency
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// maxBody caps request bodies, like Slack's own limits do.
const maxBody = 10 << 20

type apiHandler func(s *Server, p url.Values) (map[string]any, string)

var apiMethods = map[string]apiHandler{
	"auth.test":             (*Server).authTest,
	"chat.postMessage":      (*Server).postMessage,
	"chat.update":           (*Server).update,
	"chat.postEphemeral":    (*Server).postEphemeral,
	"users.info":            (*Server).usersInfo,
	"conversations.info":    (*Server).conversationsInfo,
	"conversations.list":    (*Server).conversationsList,
	"conversations.history": (*Server).conversationsHistory,
	"conversations.replies": (*Server).conversationsReplies,
	"usergroups.users.list": (*Server).userGroupMembers,
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, method string) {
	params, bodyToken, perr := readParams(r)
	token := bearer(r)
	if token == "" {
		token = bodyToken
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{Method: method, Params: params, Time: s.clock.Now()}
	defer func() { s.calls = append(s.calls, call) }()

	handler, known := apiMethods[method]
	switch {
	case !known:
		call.Status, call.Error = http.StatusOK, "unknown_method"
	case perr != "":
		call.Status, call.Error = http.StatusOK, perr
	case token == "":
		call.Status, call.Error = http.StatusOK, "not_authed"
	case token != s.token:
		call.Status, call.Error = http.StatusOK, "invalid_auth"
	}
	if call.Error != "" {
		writeJSON(w, call.Status, map[string]any{"ok": false, "error": call.Error})
		return
	}
	if s.injectFault(w, &call, method, params.Get("channel"), false) {
		return
	}
	body, code := handler(s, params)
	call.Status = http.StatusOK
	if code != "" {
		call.Error = code
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	call.OK = true
	body["ok"] = true
	if method == "chat.postMessage" && s.afterPost != nil {
		if ms := s.messages[body["channel"].(string)]; len(ms) > 0 {
			s.afterPost(copyMessage(ms[len(ms)-1]))
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// injectFault applies the first matching injected fault, writing its
// response and filling call. Must hold s.mu.
func (s *Server) injectFault(w http.ResponseWriter, call *Call, method, channel string, responseURL bool) bool {
	for i, f := range s.httpFailures {
		if f.method != "" && f.method != method {
			continue
		}
		if f.left--; f.left <= 0 {
			s.httpFailures = slices.Delete(s.httpFailures, i, i+1)
		}
		call.Status = f.status
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.status)
		_, _ = fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", f.status, http.StatusText(f.status))
		return true
	}
	for i, rl := range s.rateLimits {
		if rl.Method != "" && rl.Method != method {
			continue
		}
		if rl.Channel != "" && rl.Channel != channel && rl.Channel != s.resolveID(channel) {
			continue
		}
		if rl.left > 0 {
			if rl.left--; rl.left == 0 {
				s.rateLimits = slices.Delete(s.rateLimits, i, i+1)
			}
		}
		secs := int64(math.Ceil(rl.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 0), 10))
		call.Status, call.Error = http.StatusTooManyRequests, "ratelimited"
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return true
	}
	for i, f := range s.failures {
		if f.method != "" && f.method != method {
			continue
		}
		if f.left--; f.left <= 0 {
			s.failures = slices.Delete(s.failures, i, i+1)
		}
		call.Status, call.Error = http.StatusOK, f.code
		if responseURL {
			call.Status = http.StatusBadRequest
		}
		writeJSON(w, call.Status, map[string]any{"ok": false, "error": f.code})
		return true
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// readParams gathers a request's arguments from its query string and body.
// It returns the token found among them separately (Slack ignores a token
// inside a JSON body, so none is returned for JSON), and a Slack error code
// when the body cannot be read.
func readParams(r *http.Request) (url.Values, string, string) {
	params := cloneValues(r.URL.Query())
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case r.Method == http.MethodPost && ct == "application/json":
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			return params, "", "request_timeout"
		}
		fields, code := flattenJSON(raw)
		if code != "" {
			return params, "", code
		}
		for k, v := range fields {
			params[k] = v
		}
		// Slack ignores a token inside a JSON body: JSON requests must
		// authenticate with the Authorization header.
		params.Del("token")
		return params, "", ""
	case r.Method == http.MethodPost && ct == "multipart/form-data":
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return params, "", "invalid_form_data"
		}
	case r.Method == http.MethodPost && (ct == "application/x-www-form-urlencoded" || ct == "" || ct == "text/plain"):
		if err := r.ParseForm(); err != nil {
			return params, "", "invalid_form_data"
		}
	case r.Method == http.MethodPost:
		return params, "", "invalid_post_type"
	}
	if r.PostForm != nil {
		for k, v := range r.PostForm {
			params[k] = v
		}
	}
	token := params.Get("token")
	params.Del("token")
	return params, token, ""
}

// flattenJSON turns a JSON object body into arguments: strings as they are,
// other values as their JSON text (so blocks and metadata may be given
// either as JSON or as JSON-in-a-string, like Slack accepts).
func flattenJSON(raw []byte) (url.Values, string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			return nil, "json_not_object"
		}
		return nil, "invalid_json"
	}
	if obj == nil {
		return nil, "json_not_object"
	}
	out := url.Values{}
	for k, v := range obj {
		var str string
		switch {
		case json.Unmarshal(v, &str) == nil:
			out.Set(k, str)
		case string(v) == "null":
		default:
			out.Set(k, string(v))
		}
	}
	return out, ""
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// nextTS returns a unique ts from the clock, strictly greater than every ts
// issued before. Must hold s.mu.
func (s *Server) nextTS() string {
	us := max(s.clock.Now().UnixMicro(), s.lastTS+1)
	s.lastTS = us
	return formatTS(us)
}

func formatTS(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

// parseTS reads a Slack ts ("1700000000.000100", "1700000000" or
// "1700000000.5") as microseconds since the epoch.
func parseTS(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 || len(frac) > 6 {
		return 0, false
	}
	var f int64
	if frac != "" {
		f, err = strconv.ParseInt((frac + "000000")[:6], 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
	}
	return n*1_000_000 + f, true
}

func copyMessage(m *Message) Message {
	c := *m
	c.Blocks = slices.Clone(m.Blocks)
	c.Attachments = slices.Clone(m.Attachments)
	c.Metadata = copyMetadata(m.Metadata)
	c.Edits = make([]Revision, len(m.Edits))
	for i, r := range m.Edits {
		r.Blocks = slices.Clone(r.Blocks)
		r.Attachments = slices.Clone(r.Attachments)
		r.Metadata = copyMetadata(r.Metadata)
		c.Edits[i] = r
	}
	if len(m.Edits) == 0 {
		c.Edits = nil
	}
	return c
}

func copyMetadata(md *Metadata) *Metadata {
	if md == nil {
		return nil
	}
	c := &Metadata{EventType: md.EventType}
	if md.EventPayload != nil {
		// A JSON round trip deep-copies nested maps and slices.
		raw, err := json.Marshal(md.EventPayload)
		if err == nil && json.Unmarshal(raw, &c.EventPayload) == nil {
			return c
		}
		c.EventPayload = maps.Clone(md.EventPayload)
	}
	return c
}
