package main

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
)

// fakes is the process's state: the two fakes and their proxies.
type fakes struct {
	gh               *fakegithub.Server
	sl               *fakeslack.Server
	ghProxy, slProxy *proxy

	mu       sync.Mutex
	channels []string // IDs of the channels made through the control API
}

// The control API's bodies. Every route takes and answers JSON.

// Setup is the GitHub world a run needs.
type Setup struct {
	InstallationID int64             `json:"installation_id"`
	Account        string            `json:"account"`
	Repo           string            `json:"repo"`
	Files          map[string]string `json:"files"` // path on the default branch → content
	Workflows      []SetupWorkflow   `json:"workflows"`
	Permissions    []SetupPermission `json:"permissions"`
}

type SetupWorkflow struct {
	Path    string   `json:"path"`
	Inputs  []string `json:"inputs"`
	RunName string   `json:"run_name"`
}

type SetupPermission struct {
	User       string `json:"user"`
	Permission string `json:"permission"`
	Role       string `json:"role"`
}

type IssueIn struct {
	Number int      `json:"number"`
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Labels []string `json:"labels"`
	User   string   `json:"user"`
}

type CommentIn struct {
	Number int    `json:"number"`
	User   string `json:"user"`
	Body   string `json:"body"`
}

// CommentOut is a comment in the records: its start identifies golive's
// (markers) and command replies.
type CommentOut struct {
	ID   int64  `json:"id"`
	User string `json:"user"`
	Head string `json:"head"` // the first 200 bytes
}

type IssueOut struct {
	Number    int          `json:"number"`
	Body      string       `json:"body"`
	UpdatedAt time.Time    `json:"updated_at"`
	Comments  []CommentOut `json:"comments"`
}

type DispatchOut struct {
	Workflow      string `json:"workflow"`
	Ref           string `json:"ref"`
	CorrelationID string `json:"correlation_id"`
	Environment   string `json:"environment"`
	RunID         int64  `json:"run_id"`
}

type MessageOut struct {
	TS        string `json:"ts"`
	ThreadTS  string `json:"thread_ts,omitempty"`
	EventType string `json:"event_type,omitempty"`
	Key       string `json:"key,omitempty"`
	GoLive    string `json:"golive,omitempty"`
}

// Records is everything the fakes saw, as GET /records answers it.
type Records struct {
	Issues       []IssueOut              `json:"issues"`
	Dispatches   []DispatchOut           `json:"dispatches"`
	Redeliveries []int64                 `json:"redeliveries"`
	Violations   []string                `json:"violations"`
	Slack        map[string][]MessageOut `json:"slack"` // by channel ID
	GitHub       Record                  `json:"github"`
	SlackCalls   Record                  `json:"slack_calls"`
}

func (f *fakes) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"app_id": f.gh.AppID(), "private_key_pem": string(f.gh.PrivateKeyPEM()),
			"slack_token": f.sl.Token()})
	})
	mux.HandleFunc("POST /github/setup", func(w http.ResponseWriter, r *http.Request) {
		var s Setup
		if !decode(w, r, &s) {
			return
		}
		f.gh.AddInstallation(s.InstallationID, s.Account, "Organization", s.Repo)
		for p, c := range s.Files {
			f.gh.PutFile(s.Repo, p, c)
		}
		for _, wf := range s.Workflows {
			f.gh.AddWorkflow(s.Repo, fakegithub.Workflow{Path: wf.Path, Inputs: wf.Inputs, RunName: wf.RunName})
		}
		for _, p := range s.Permissions {
			f.gh.SetPermission(s.Repo, p.User, p.Permission, p.Role)
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	mux.HandleFunc("POST /github/issues", func(w http.ResponseWriter, r *http.Request) {
		var in []IssueIn
		if !decode(w, r, &in) {
			return
		}
		repo := r.URL.Query().Get("repo")
		for _, is := range in {
			old, ok := f.gh.GetIssue(repo, is.Number)
			next := fakegithub.Issue{Number: is.Number, Title: is.Title, Body: is.Body, Labels: is.Labels, User: is.User}
			if ok { // an edit: the issue keeps its identity
				next.ID, next.CreatedAt, next.UpdatedAt = old.ID, old.CreatedAt, time.Now().UTC()
				next.Title = old.Title
				if next.Labels == nil {
					next.Labels = old.Labels
				}
				if next.User == "" {
					next.User = old.User
				}
			}
			f.gh.AddIssue(repo, next)
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	mux.HandleFunc("POST /github/comments", func(w http.ResponseWriter, r *http.Request) {
		var in []CommentIn
		if !decode(w, r, &in) {
			return
		}
		repo := r.URL.Query().Get("repo")
		ids := make([]int64, len(in))
		for i, c := range in {
			cm, ok := f.gh.AddComment(repo, c.Number, c.User, c.Body)
			if !ok {
				http.Error(w, "no issue "+strconv.Itoa(c.Number), http.StatusBadRequest)
				return
			}
			ids[i] = cm.ID
		}
		writeJSON(w, http.StatusOK, ids)
	})
	mux.HandleFunc("GET /github/issue", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("number"))
		is, ok := f.gh.GetIssue(r.URL.Query().Get("repo"), n)
		if !ok {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, IssueOut{Number: is.Number, Body: is.Body, UpdatedAt: is.UpdatedAt})
	})
	mux.HandleFunc("POST /github/hook-deliveries", func(w http.ResponseWriter, r *http.Request) {
		var in []fakegithub.HookDelivery
		if !decode(w, r, &in) {
			return
		}
		out := make([]fakegithub.HookDelivery, len(in))
		for i, d := range in {
			out[i] = f.gh.AddHookDelivery(d)
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /github/hook-deliveries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, f.gh.HookDeliveries())
	})
	mux.HandleFunc("GET /github/redeliveries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, f.gh.Redeliveries())
	})
	mux.HandleFunc("POST /slack/channels", func(w http.ResponseWriter, r *http.Request) {
		var in []fakeslack.Channel
		if !decode(w, r, &in) {
			return
		}
		f.mu.Lock()
		for _, c := range in {
			c.Member = true
			f.sl.PutChannel(c)
			f.channels = append(f.channels, c.ID)
		}
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			GitHub FaultConfig `json:"github"`
			Slack  FaultConfig `json:"slack"`
		}
		if !decode(w, r, &in) {
			return
		}
		f.ghProxy.setFaults(in.GitHub)
		f.slProxy.setFaults(in.Slack)
		writeJSON(w, http.StatusOK, map[string]any{})
	})
	mux.HandleFunc("GET /records", func(w http.ResponseWriter, r *http.Request) {
		repo := r.URL.Query().Get("repo")
		maxIssue, _ := strconv.Atoi(r.URL.Query().Get("issues"))
		writeJSON(w, http.StatusOK, f.records(repo, maxIssue))
	})
	return mux
}

func (f *fakes) records(repo string, maxIssue int) Records {
	rec := Records{Slack: map[string][]MessageOut{}, GitHub: f.ghProxy.snapshot(), SlackCalls: f.slProxy.snapshot()}
	for n := 1; n <= maxIssue; n++ {
		is, ok := f.gh.GetIssue(repo, n)
		if !ok {
			continue
		}
		out := IssueOut{Number: n, Body: is.Body, UpdatedAt: is.UpdatedAt}
		for _, c := range f.gh.Comments(repo, n) {
			head := c.Body
			if len(head) > 200 {
				head = head[:200]
			}
			out.Comments = append(out.Comments, CommentOut{ID: c.ID, User: c.User, Head: head})
		}
		rec.Issues = append(rec.Issues, out)
	}
	for _, d := range f.gh.Dispatches() {
		s := func(k string) string { v, _ := d.Inputs[k].(string); return v }
		rec.Dispatches = append(rec.Dispatches, DispatchOut{Workflow: d.WorkflowPath, Ref: d.Ref,
			CorrelationID: s("correlation_id"), Environment: s("environment"), RunID: d.RunID})
	}
	rec.Redeliveries = f.gh.Redeliveries()
	for _, v := range f.gh.Violations() {
		rec.Violations = append(rec.Violations, v.String())
	}
	f.mu.Lock()
	channels := append([]string(nil), f.channels...)
	f.mu.Unlock()
	sort.Strings(channels)
	for _, ch := range channels {
		var ms []MessageOut
		for _, m := range f.sl.Messages(ch) {
			mo := MessageOut{TS: m.TS, ThreadTS: m.ThreadTS}
			if m.Metadata != nil {
				mo.EventType = m.Metadata.EventType
				mo.Key, _ = m.Metadata.EventPayload["key"].(string)
				mo.GoLive, _ = m.Metadata.EventPayload["golive"].(string)
			}
			ms = append(ms, mo)
		}
		rec.Slack[ch] = ms
	}
	return rec
}

// clearSlackCalls keeps the fake Slack's call log from growing through a
// long run: the proxy records the calls.
func (f *fakes) clearSlackCalls() {
	for range time.Tick(5 * time.Second) {
		f.sl.ClearCalls()
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
