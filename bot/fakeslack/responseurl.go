package fakeslack

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"
)

const responsePath = "/response/"

// Slack lets an app use a response_url at most this many times, within this
// long after the interaction.
const (
	ResponseURLMaxUses  = 5
	ResponseURLLifetime = 30 * time.Minute
)

type responseURL struct {
	created   time.Time
	uses      int
	responses []Response
}

// ResponseURL returns a response_url on the fake for id, registering it on
// first use; the clock starts its 30-minute life then. POSTs of JSON like
// Slack's response_url accepts (text, blocks, attachments, response_type,
// replace_original, delete_original, thread_ts) are answered with
// {"ok":true} and recorded under id. After 5 successful uses it answers
// 404 used_url, after 30 minutes 404 expired_url; a bad payload gets 400
// with invalid_payload, invalid_blocks or no_text.
func (s *Server) ResponseURL(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.responseURLs[id]; !ok {
		s.responseURLs[id] = &responseURL{created: s.clock.Now()}
	}
	return s.URL + responsePath + url.PathEscape(id)
}

// Responses returns what was posted to the response_url for id, oldest
// first.
func (s *Server) Responses(id string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	ru, ok := s.responseURLs[id]
	if !ok {
		return nil
	}
	out := make([]Response, len(ru.responses))
	for i, r := range ru.responses {
		r.Blocks = slices.Clone(r.Blocks)
		r.Attachments = slices.Clone(r.Attachments)
		r.Raw = slices.Clone(r.Raw)
		out[i] = r
	}
	return out
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request, escapedID string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	id, uerr := url.PathUnescape(escapedID)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	params, _ := flattenJSON(raw)
	if params == nil {
		params = url.Values{}
	}
	call := Call{Method: "response_url", Params: params, Time: now}
	defer func() { s.calls = append(s.calls, call) }()
	fail := func(status int, code string) {
		call.Status, call.Error = status, code
		writeJSON(w, status, map[string]any{"ok": false, "error": code})
	}

	ru, ok := s.responseURLs[id]
	switch {
	case uerr != nil || !ok:
		fail(http.StatusNotFound, "expired_url")
		return
	case now.Sub(ru.created) > ResponseURLLifetime:
		fail(http.StatusNotFound, "expired_url")
		return
	case ru.uses >= ResponseURLMaxUses:
		fail(http.StatusNotFound, "used_url")
		return
	}
	if s.injectFault(w, &call, "response_url", "", true) {
		return
	}
	if err != nil {
		fail(http.StatusBadRequest, "invalid_payload")
		return
	}
	var body struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		Attachments     json.RawMessage `json:"attachments"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if json.Unmarshal(raw, &body) != nil {
		fail(http.StatusBadRequest, "invalid_payload")
		return
	}
	if body.ResponseType != "" && body.ResponseType != "ephemeral" && body.ResponseType != "in_channel" {
		fail(http.StatusBadRequest, "invalid_payload")
		return
	}
	// Reuse the Web API's validation of blocks and attachments.
	ct, code := parseContent(url.Values{
		"text":        {body.Text},
		"blocks":      {nullToEmpty(body.Blocks)},
		"attachments": {nullToEmpty(body.Attachments)},
	})
	if code != "" {
		fail(http.StatusBadRequest, code)
		return
	}
	if ct.empty() && !body.DeleteOriginal {
		fail(http.StatusBadRequest, "no_text")
		return
	}
	ru.uses++
	ru.responses = append(ru.responses, Response{
		ID:              id,
		Text:            body.Text,
		Blocks:          ct.blocks,
		Attachments:     ct.attachments,
		ResponseType:    body.ResponseType,
		ReplaceOriginal: body.ReplaceOriginal,
		DeleteOriginal:  body.DeleteOriginal,
		ThreadTS:        body.ThreadTS,
		Raw:             slices.Clone(raw),
		Time:            now,
	})
	call.Status, call.OK = http.StatusOK, true
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func nullToEmpty(raw json.RawMessage) string {
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}
