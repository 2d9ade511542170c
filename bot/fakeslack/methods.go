package fakeslack

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits Slack enforces on message content.
const (
	maxTextRunes       = 40000
	maxBlocks          = 50
	maxAttachments     = 100
	defaultHistoryPage = 100
	maxHistoryPage     = 999
	defaultRepliesPage = 1000
	defaultListPage    = 100
	maxListPage        = 1000
)

// The method handlers below run with s.mu held. Each returns the success
// body (without "ok") or a Slack error code.

func (s *Server) authTest(url.Values) (map[string]any, string) {
	return map[string]any{
		"url":                   TeamURL,
		"team":                  TeamName,
		"user":                  BotName,
		"team_id":               TeamID,
		"user_id":               BotUserID,
		"bot_id":                BotID,
		"is_enterprise_install": false,
	}, ""
}

func (s *Server) postMessage(p url.Values) (map[string]any, string) {
	c := s.lookupChannel(p.Get("channel"), true)
	if code := s.access(c, true); code != "" {
		return nil, code
	}
	ct, code := parseContent(p)
	if code != "" {
		return nil, code
	}
	if ct.empty() {
		return nil, "no_text"
	}
	m := &Message{
		Channel:     c.ID,
		User:        BotUserID,
		BotID:       BotID,
		Text:        ct.text,
		Blocks:      ct.blocks,
		Attachments: ct.attachments,
		Metadata:    ct.metadata,
	}
	if thread := p.Get("thread_ts"); thread != "" {
		// Replying to a reply lands in the parent's thread. An unknown
		// thread_ts is accepted, as Slack does; the reply is then orphaned.
		if parent := s.findMessage(c.ID, thread); parent != nil && parent.ThreadTS != "" {
			thread = parent.ThreadTS
		}
		m.ThreadTS = thread
		m.Broadcast = parseBool(p.Get("reply_broadcast"))
	}
	m.TS = s.nextTS()
	s.messages[c.ID] = append(s.messages[c.ID], m)
	return map[string]any{
		"channel": c.ID,
		"ts":      m.TS,
		"message": s.render(m, true),
	}, ""
}

func (s *Server) update(p url.Values) (map[string]any, string) {
	c := s.lookupChannel(p.Get("channel"), false)
	if code := s.access(c, true); code != "" {
		return nil, code
	}
	m := s.findMessage(c.ID, p.Get("ts"))
	if m == nil {
		return nil, "message_not_found"
	}
	if m.BotID != BotID {
		return nil, "cant_update_message"
	}
	ct, code := parseContent(p)
	if code != "" {
		return nil, code
	}
	if !ct.hasText && !ct.hasBlocks && !ct.hasAttachments {
		return nil, "no_text"
	}
	next := Revision{Text: m.Text, Blocks: m.Blocks, Attachments: m.Attachments, Metadata: m.Metadata}
	if ct.hasText {
		next.Text = ct.text
	}
	if ct.hasBlocks {
		next.Blocks = ct.blocks
	}
	if ct.hasAttachments {
		next.Attachments = ct.attachments
	}
	if ct.hasMeta {
		next.Metadata = ct.metadata
	}
	if next.Text == "" && next.Blocks == nil && next.Attachments == nil {
		return nil, "no_text"
	}
	m.Edits = append(m.Edits, Revision{
		EditTS:      s.nextTS(),
		Text:        m.Text,
		Blocks:      m.Blocks,
		Attachments: m.Attachments,
		Metadata:    m.Metadata,
	})
	m.Text, m.Blocks, m.Attachments, m.Metadata = next.Text, next.Blocks, next.Attachments, next.Metadata
	return map[string]any{
		"channel": c.ID,
		"ts":      m.TS,
		"text":    m.Text,
		"message": s.render(m, true),
	}, ""
}

func (s *Server) postEphemeral(p url.Values) (map[string]any, string) {
	c := s.lookupChannel(p.Get("channel"), true)
	if code := s.access(c, true); code != "" {
		return nil, code
	}
	user := p.Get("user")
	if !looksLikeUserID(user) {
		return nil, "user_not_in_channel"
	}
	if u, ok := s.users[user]; ok && u.Deleted {
		return nil, "user_not_in_channel"
	}
	ct, code := parseContent(p)
	if code != "" {
		return nil, code
	}
	if ct.empty() {
		return nil, "no_text"
	}
	e := Ephemeral{
		Channel:     c.ID,
		User:        user,
		TS:          s.nextTS(),
		ThreadTS:    p.Get("thread_ts"),
		Text:        ct.text,
		Blocks:      ct.blocks,
		Attachments: ct.attachments,
	}
	s.ephemerals = append(s.ephemerals, e)
	return map[string]any{"message_ts": e.TS}, ""
}

func (s *Server) usersInfo(p url.Values) (map[string]any, string) {
	u, ok := s.users[p.Get("user")]
	if !ok {
		return nil, "user_not_found"
	}
	tz, label := u.TZ, u.TZLabel
	if tz == "" {
		tz = "UTC"
	}
	if label == "" && tz == "UTC" {
		label = "Coordinated Universal Time"
	}
	display := u.DisplayName
	user := map[string]any{
		"id":        u.ID,
		"team_id":   TeamID,
		"name":      u.Name,
		"deleted":   u.Deleted,
		"real_name": u.RealName,
		"tz":        tz,
		"tz_label":  label,
		"tz_offset": u.TZOffset,
		"profile": map[string]any{
			"real_name":               u.RealName,
			"real_name_normalized":    u.RealName,
			"display_name":            display,
			"display_name_normalized": display,
			"email":                   u.Email,
			"team":                    TeamID,
		},
		"is_admin":            u.IsAdmin,
		"is_owner":            false,
		"is_primary_owner":    false,
		"is_restricted":       false,
		"is_ultra_restricted": false,
		"is_bot":              u.IsBot,
		"is_app_user":         false,
		"updated":             s.clock.Now().Unix(),
	}
	if u.IsBot && u.ID == BotUserID {
		user["profile"].(map[string]any)["bot_id"] = BotID
		user["profile"].(map[string]any)["api_app_id"] = AppID
	}
	if parseBool(p.Get("include_locale")) {
		user["locale"] = "en-US"
	}
	return map[string]any{"user": user}, ""
}

func (s *Server) conversationsInfo(p url.Values) (map[string]any, string) {
	c := s.lookupChannel(p.Get("channel"), false)
	if c == nil || (c.Private && !c.Member) {
		return nil, "channel_not_found"
	}
	ch := renderChannel(c)
	if parseBool(p.Get("include_locale")) {
		ch["locale"] = "en-US"
	}
	return map[string]any{"channel": ch}, ""
}

// conversationTypes are the values conversations.list accepts in types.
var conversationTypes = map[string]bool{"public_channel": true, "private_channel": true, "mpim": true, "im": true}

// conversationsList lists the channels the bot can see, ordered by ID:
// every public channel, and the private ones it is a member of. DMs are
// never listed (the fake has no group DMs), so types=im or mpim add nothing.
func (s *Server) conversationsList(p url.Values) (map[string]any, string) {
	public, private := true, false // Slack's default types: public_channel
	if v := p.Get("types"); v != "" {
		public = false
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if !conversationTypes[t] {
				return nil, "invalid_types"
			}
			public = public || t == "public_channel"
			private = private || t == "private_channel"
		}
	}
	limit := defaultListPage
	if v := p.Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			limit = min(n, maxListPage)
		}
	}
	from := ""
	if v := p.Get("cursor"); v != "" {
		id, ok := decodeListCursor(v)
		if !ok {
			return nil, "invalid_cursor"
		}
		from = id
	}
	excludeArchived := parseBool(p.Get("exclude_archived"))
	var list []*Channel
	for _, c := range s.channels {
		switch {
		case c.IM,
			c.Private && (!private || !c.Member),
			!c.Private && !public,
			excludeArchived && c.Archived,
			c.ID < from:
			continue
		}
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b *Channel) int { return strings.Compare(a.ID, b.ID) })
	next := ""
	if len(list) > limit {
		next = encodeListCursor(list[limit].ID)
		list = list[:limit]
	}
	chans := make([]any, 0, len(list))
	for _, c := range list {
		chans = append(chans, renderChannel(c))
	}
	// Slack always sends response_metadata; next_cursor is "" on the last page.
	return map[string]any{
		"channels":          chans,
		"response_metadata": map[string]any{"next_cursor": next},
	}, ""
}

// renderChannel is the API form of a conversation, as conversations.info
// and conversations.list return it.
func renderChannel(c *Channel) map[string]any {
	ch := map[string]any{
		"id":          c.ID,
		"created":     1600000000,
		"is_archived": c.Archived,
		"is_im":       c.IM,
		"is_mpim":     false,
		"is_private":  c.Private || c.IM,
	}
	if c.IM {
		ch["user"] = c.User
		ch["is_open"] = true
	} else {
		ch["name"] = c.Name
		ch["name_normalized"] = c.Name
		ch["is_channel"] = !c.Private
		ch["is_group"] = c.Private
		ch["is_general"] = false
		ch["is_shared"] = false
		ch["is_ext_shared"] = false
		ch["is_org_shared"] = false
		ch["is_member"] = c.Member
		ch["creator"] = BotUserID
		ch["topic"] = map[string]any{"value": "", "creator": "", "last_set": 0}
		ch["purpose"] = map[string]any{"value": "", "creator": "", "last_set": 0}
	}
	return ch
}

func (s *Server) conversationsHistory(p url.Values) (map[string]any, string) {
	c := s.lookupChannel(p.Get("channel"), false)
	if code := s.access(c, false); code != "" {
		return nil, code
	}
	win, code := parseWindow(p, defaultHistoryPage)
	if code != "" {
		return nil, code
	}
	// Newest first: top-level messages and replies broadcast to the channel.
	var list []*Message
	all := s.messages[c.ID]
	for i := len(all) - 1; i >= 0; i-- {
		m := all[i]
		if m.ThreadTS != "" && !m.Broadcast {
			continue
		}
		us, _ := parseTS(m.TS)
		if !win.contains(us) || (win.cursor >= 0 && us > win.cursor) {
			continue
		}
		list = append(list, m)
	}
	page, next := paginate(list, win.limit)
	withMeta := parseBool(p.Get("include_all_metadata"))
	msgs := make([]any, 0, len(page))
	for _, m := range page {
		msgs = append(msgs, s.render(m, withMeta))
	}
	body := map[string]any{
		"messages":              msgs,
		"has_more":              next != "",
		"pin_count":             0,
		"channel_actions_ts":    nil,
		"channel_actions_count": 0,
	}
	if next != "" {
		body["response_metadata"] = map[string]any{"next_cursor": encodeCursor(next)}
	}
	return body, ""
}

func (s *Server) conversationsReplies(p url.Values) (map[string]any, string) {
	c := s.lookupChannel(p.Get("channel"), false)
	if code := s.access(c, false); code != "" {
		return nil, code
	}
	parent := s.findMessage(c.ID, p.Get("ts"))
	if parent == nil {
		return nil, "thread_not_found"
	}
	if parent.ThreadTS != "" {
		if root := s.findMessage(c.ID, parent.ThreadTS); root != nil {
			parent = root
		}
	}
	win, code := parseWindow(p, defaultRepliesPage)
	if code != "" {
		return nil, code
	}
	// Oldest first: the parent (on the first page only), then its replies.
	var list []*Message
	if win.cursor < 0 {
		list = append(list, parent)
	}
	for _, m := range s.messages[c.ID] {
		if m.ThreadTS != parent.TS || m == parent {
			continue
		}
		us, _ := parseTS(m.TS)
		if !win.contains(us) || (win.cursor >= 0 && us < win.cursor) {
			continue
		}
		list = append(list, m)
	}
	page, next := paginate(list, win.limit)
	withMeta := parseBool(p.Get("include_all_metadata"))
	msgs := make([]any, 0, len(page))
	for _, m := range page {
		msgs = append(msgs, s.render(m, withMeta))
	}
	body := map[string]any{"messages": msgs, "has_more": next != ""}
	if next != "" {
		body["response_metadata"] = map[string]any{"next_cursor": encodeCursor(next)}
	}
	return body, ""
}

// render is the API form of a message. Metadata is included only when
// asked for, as Slack does with include_all_metadata.
func (s *Server) render(m *Message, withMeta bool) map[string]any {
	out := map[string]any{
		"type": "message",
		"ts":   m.TS,
		"text": m.Text,
		"user": m.User,
		"team": TeamID,
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
		out["app_id"] = AppID
		out["bot_profile"] = map[string]any{
			"id": m.BotID, "app_id": AppID, "name": BotName, "deleted": false,
			"team_id": TeamID, "updated": 1600000000,
			"icons": map[string]any{"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
		}
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.Attachments != nil {
		out["attachments"] = m.Attachments
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
		if parent := s.findMessage(m.Channel, m.ThreadTS); parent != nil {
			out["parent_user_id"] = parent.User
		}
		if m.Broadcast {
			out["subtype"] = "thread_broadcast"
		}
	} else if replies, users, latest := s.threadStats(m); replies > 0 {
		out["thread_ts"] = m.TS
		out["reply_count"] = replies
		out["reply_users_count"] = len(users)
		out["reply_users"] = users
		out["latest_reply"] = latest
		out["is_locked"] = false
		out["subscribed"] = false
	}
	if n := len(m.Edits); n > 0 {
		out["edited"] = map[string]any{"user": m.User, "ts": m.Edits[n-1].EditTS}
	}
	if withMeta && m.Metadata != nil {
		payload := m.Metadata.EventPayload
		if payload == nil {
			payload = map[string]any{}
		}
		out["metadata"] = map[string]any{"event_type": m.Metadata.EventType, "event_payload": payload}
	}
	return out
}

func (s *Server) threadStats(parent *Message) (count int, users []string, latest string) {
	for _, m := range s.messages[parent.Channel] {
		if m.ThreadTS != parent.TS {
			continue
		}
		count++
		latest = m.TS
		if !slices.Contains(users, m.User) {
			users = append(users, m.User)
		}
	}
	return count, users, latest
}

// lookupChannel finds a channel by ID or, when names is set, by name
// ("general" or "#general"). A known user's ID stands for the bot's DM
// with that user, created on first use. Must hold s.mu.
func (s *Server) lookupChannel(arg string, names bool) *Channel {
	if arg == "" {
		return nil
	}
	if c, ok := s.channels[arg]; ok {
		return c
	}
	if names {
		name := strings.TrimPrefix(arg, "#")
		for _, c := range s.channels {
			if c.Name != "" && c.Name == name {
				return c
			}
		}
	}
	if u, ok := s.users[arg]; ok && !u.Deleted && looksLikeUserID(arg) {
		id := s.DMChannel(arg)
		c, ok := s.channels[id]
		if !ok {
			c = &Channel{ID: id, Member: true, IM: true, User: arg}
			s.channels[id] = c
		}
		return c
	}
	return nil
}

// resolveID maps a channel argument to a channel ID without creating
// anything. Must hold s.mu.
func (s *Server) resolveID(arg string) string {
	if _, ok := s.channels[arg]; ok {
		return arg
	}
	name := strings.TrimPrefix(arg, "#")
	for _, c := range s.channels {
		if c.Name != "" && c.Name == name {
			return c.ID
		}
	}
	if _, ok := s.users[arg]; ok {
		return s.DMChannel(arg)
	}
	return arg
}

// access is the error code for using channel c, or "". Must hold s.mu.
func (s *Server) access(c *Channel, write bool) string {
	switch {
	case c == nil || (c.Private && !c.Member):
		return "channel_not_found"
	case write && c.Archived:
		return "is_archived"
	case !c.Member:
		return "not_in_channel"
	}
	return ""
}

// findMessage returns the stored message or nil. Must hold s.mu.
func (s *Server) findMessage(channel, ts string) *Message {
	if ts == "" {
		return nil
	}
	msgs := s.messages[channel]
	i, ok := slices.BinarySearchFunc(msgs, ts, func(m *Message, ts string) int {
		a, _ := parseTS(m.TS)
		b, _ := parseTS(ts)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return msgs[i]
}

func looksLikeUserID(id string) bool {
	return len(id) >= 2 && (id[0] == 'U' || id[0] == 'W')
}

func parseBool(v string) bool {
	return v == "1" || strings.EqualFold(v, "true")
}

type content struct {
	text                                        string
	blocks, attachments                         json.RawMessage
	metadata                                    *Metadata
	hasText, hasBlocks, hasAttachments, hasMeta bool
}

func (c content) empty() bool {
	return c.text == "" && c.blocks == nil && c.attachments == nil
}

// parseContent reads and validates text, blocks, attachments and metadata.
func parseContent(p url.Values) (content, string) {
	var c content
	if _, ok := p["text"]; ok {
		c.hasText, c.text = true, p.Get("text")
		if utf8.RuneCountInString(c.text) > maxTextRunes {
			return c, "msg_too_long"
		}
	}
	if v := strings.TrimSpace(p.Get("blocks")); v != "" {
		c.hasBlocks = true
		var blocks []json.RawMessage
		if err := json.Unmarshal([]byte(v), &blocks); err != nil {
			return c, "invalid_blocks_format"
		}
		if len(blocks) > maxBlocks {
			return c, "invalid_blocks"
		}
		for _, b := range blocks {
			var typed struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(b, &typed) != nil || typed.Type == "" {
				return c, "invalid_blocks"
			}
		}
		if len(blocks) > 0 {
			c.blocks = compact(v)
		}
	}
	if v := strings.TrimSpace(p.Get("attachments")); v != "" {
		c.hasAttachments = true
		var atts []json.RawMessage
		if err := json.Unmarshal([]byte(v), &atts); err != nil {
			return c, "invalid_attachments"
		}
		if len(atts) > maxAttachments {
			return c, "too_many_attachments"
		}
		if len(atts) > 0 {
			c.attachments = compact(v)
		}
	}
	if v := strings.TrimSpace(p.Get("metadata")); v != "" {
		c.hasMeta = true
		var raw struct {
			EventType    any             `json:"event_type"`
			EventPayload json.RawMessage `json:"event_payload"`
		}
		if err := json.Unmarshal([]byte(v), &raw); err != nil {
			return c, "invalid_metadata_format"
		}
		et, _ := raw.EventType.(string)
		var payload map[string]any
		if et == "" || json.Unmarshal(raw.EventPayload, &payload) != nil || payload == nil {
			return c, "invalid_metadata_schema"
		}
		c.metadata = &Metadata{EventType: et, EventPayload: payload}
	}
	return c, ""
}

func compact(v string) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(v)); err != nil {
		return json.RawMessage(v)
	}
	return buf.Bytes()
}

// window is a history/replies query: a ts range, a page size and a cursor
// (the ts to resume from, inclusive; -1 for the first page).
type window struct {
	oldest, latest int64
	inclusive      bool
	limit          int
	cursor         int64
}

func (w window) contains(us int64) bool {
	if w.inclusive {
		return us >= w.oldest && us <= w.latest
	}
	return us > w.oldest && us < w.latest
}

func parseWindow(p url.Values, defaultLimit int) (window, string) {
	w := window{latest: 1<<63 - 1, limit: defaultLimit, cursor: -1}
	w.inclusive = parseBool(p.Get("inclusive"))
	if v := p.Get("oldest"); v != "" {
		us, ok := parseTS(v)
		if !ok {
			return w, "invalid_ts_oldest"
		}
		w.oldest = us
	}
	if v := p.Get("latest"); v != "" {
		us, ok := parseTS(v)
		if !ok {
			return w, "invalid_ts_latest"
		}
		w.latest = us
	}
	if p.Get("oldest") == "" {
		w.oldest = -1 // without oldest, nothing is excluded at the bottom
	}
	if v := p.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err == nil && n > 0 {
			w.limit = min(n, max(maxHistoryPage, defaultLimit))
		}
	}
	if v := p.Get("cursor"); v != "" {
		ts, ok := decodeCursor(v)
		if !ok {
			return w, "invalid_cursor"
		}
		us, _ := parseTS(ts)
		w.cursor = us
	}
	return w, ""
}

// paginate cuts list to limit, returning the ts of the first message left
// out (the next cursor) or "".
func paginate(list []*Message, limit int) ([]*Message, string) {
	if len(list) <= limit {
		return list, ""
	}
	return list[:limit], list[limit].TS
}

// Cursors look like Slack's: base64 of "next_ts:<ts>".
func encodeCursor(ts string) string {
	return base64.StdEncoding.EncodeToString([]byte("next_ts:" + ts))
}

// encodeListCursor makes a conversations.list cursor: base64 of
// "next_id:<channel ID>", the first channel of the next page.
func encodeListCursor(id string) string {
	return base64.StdEncoding.EncodeToString([]byte("next_id:" + id))
}

func decodeListCursor(c string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	id, ok := strings.CutPrefix(string(raw), "next_id:")
	return id, ok && id != ""
}

func decodeCursor(c string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	ts, ok := strings.CutPrefix(string(raw), "next_ts:")
	if !ok {
		return "", false
	}
	if _, valid := parseTS(ts); !valid {
		return "", false
	}
	return ts, true
}

// userGroupMembers answers usergroups.users.list: the group's member ids, or
// no_such_subteam for an unknown group (as Slack does).
func (s *Server) userGroupMembers(p url.Values) (map[string]any, string) {
	members, ok := s.userGroups[p.Get("usergroup")]
	if !ok {
		return nil, "no_such_subteam"
	}
	return map[string]any{"users": append([]string{}, members...)}, ""
}
