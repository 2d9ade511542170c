package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"time"
)

// fakesProc is bench/fakes running as a child process; it stops when its
// standard input closes.
type fakesProc struct {
	cmd     *exec.Cmd
	stdin   io.Closer
	GitHub  string `json:"github_url"`
	Slack   string `json:"slack_api_url"`
	Control string `json:"control_url"`
	client  *http.Client
}

func startFakes(bin string, logTo io.Writer) (*fakesProc, error) {
	cmd := exec.Command(bin)
	cmd.Stderr = logTo
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the fakes: %w", err)
	}
	f := &fakesProc{cmd: cmd, stdin: stdin, client: &http.Client{Timeout: 5 * time.Minute}}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, f)
	}
	if err != nil || f.Control == "" {
		stdin.Close()
		cmd.Wait()
		return nil, fmt.Errorf("the fakes said %q: %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	return f, nil
}

func (f *fakesProc) Close() {
	f.stdin.Close()
	done := make(chan struct{})
	go func() { f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		f.cmd.Process.Kill()
		<-done
	}
}

// call sends in (when not nil) as JSON to the control API and decodes the
// answer into out (when not nil).
func (f *fakesProc) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.Control+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("fakes %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("fakes %s %s: %s: %s", method, path, resp.Status, b)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

type fakeInfo struct {
	AppID         int64  `json:"app_id"`
	PrivateKeyPEM string `json:"private_key_pem"`
	SlackToken    string `json:"slack_token"`
}

// The control API's bodies (bench/fakes/control.go).

type setupBody struct {
	InstallationID int64             `json:"installation_id"`
	Account        string            `json:"account"`
	Repo           string            `json:"repo"`
	Files          map[string]string `json:"files"`
	Workflows      []setupWorkflow   `json:"workflows"`
	Permissions    []setupPerm       `json:"permissions"`
}

type setupWorkflow struct {
	Path    string   `json:"path"`
	Inputs  []string `json:"inputs"`
	RunName string   `json:"run_name"`
}

type setupPerm struct {
	User       string `json:"user"`
	Permission string `json:"permission"`
	Role       string `json:"role"`
}

type issueIn struct {
	Number int      `json:"number"`
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Labels []string `json:"labels"`
	User   string   `json:"user"`
}

type commentIn struct {
	Number int    `json:"number"`
	User   string `json:"user"`
	Body   string `json:"body"`
}

type commentOut struct {
	ID   int64  `json:"id"`
	User string `json:"user"`
	Head string `json:"head"`
}

type issueOut struct {
	Number    int          `json:"number"`
	Body      string       `json:"body"`
	UpdatedAt time.Time    `json:"updated_at"`
	Comments  []commentOut `json:"comments"`
}

type dispatchOut struct {
	Workflow      string `json:"workflow"`
	Ref           string `json:"ref"`
	CorrelationID string `json:"correlation_id"`
	Environment   string `json:"environment"`
	RunID         int64  `json:"run_id"`
}

type messageOut struct {
	TS        string `json:"ts"`
	ThreadTS  string `json:"thread_ts"`
	EventType string `json:"event_type"`
	Key       string `json:"key"`
	GoLive    string `json:"golive"`
}

type faultKind struct {
	Injected    int     `json:"injected"`
	Retried     int     `json:"retried"`
	Early       int     `json:"early"`
	EarlyWrites int     `json:"early_writes"`
	MinWaitS    float64 `json:"min_wait_s"`
	MeanWaitS   float64 `json:"mean_wait_s"`

	Writes          int     `json:"writes"`
	WritesRetried   int     `json:"writes_retried"`
	WritesMinWaitS  float64 `json:"writes_min_wait_s"`
	WritesMeanWaitS float64 `json:"writes_mean_wait_s"`
}

type proxyRecord struct {
	Requests    int                       `json:"requests"`
	Calls       map[string]map[string]int `json:"calls"`
	Faults      map[string]*faultKind     `json:"faults"`
	Attempts    map[string]int            `json:"attempts"`
	MaxAttempts int                       `json:"max_attempts"`
}

type records struct {
	Issues       []issueOut              `json:"issues"`
	Dispatches   []dispatchOut           `json:"dispatches"`
	Redeliveries []int64                 `json:"redeliveries"`
	Violations   []string                `json:"violations"`
	Slack        map[string][]messageOut `json:"slack"`
	GitHub       proxyRecord             `json:"github"`
	SlackCalls   proxyRecord             `json:"slack_calls"`
}

// hookDelivery is fakegithub.HookDelivery as JSON (no tags: field names).
type hookDelivery struct {
	ID             int64
	GUID           string
	Event          string
	Action         string
	StatusCode     int
	Redelivery     bool
	DeliveredAt    time.Time
	InstallationID int64
	RepositoryID   int64
}

type faultConfig struct {
	Rate       float64  `json:"rate"`
	Kinds      []string `json:"kinds"`
	Burst      int      `json:"burst"`
	RetryAfter int      `json:"retry_after"`
	SlowMin    string   `json:"slow_min,omitempty"`
	SlowMax    string   `json:"slow_max,omitempty"`
}

func (f *fakesProc) info() (fakeInfo, error) {
	var i fakeInfo
	return i, f.call(http.MethodGet, "/info", nil, &i)
}

func (f *fakesProc) issue(n int) (issueOut, error) {
	var is issueOut
	return is, f.call(http.MethodGet, fmt.Sprintf("/github/issue?repo=%s&number=%d", url.QueryEscape(repoName), n), nil, &is)
}

func (f *fakesProc) records(issues int) (records, error) {
	var r records
	return r, f.call(http.MethodGet, fmt.Sprintf("/records?repo=%s&issues=%d", url.QueryEscape(repoName), issues), nil, &r)
}

func (f *fakesProc) setFaults(gh, sl faultConfig) error {
	return f.call(http.MethodPost, "/faults", map[string]faultConfig{"github": gh, "slack": sl}, nil)
}

// setup makes the run's GitHub and Slack world: the installation, the
// repository with its golive.yml and workflows, the commander's role, the
// issues, the command comments (their ids are returned) and the channels.
func (f *fakesProc) setup(w *world) ([]int64, error) {
	s := setupBody{InstallationID: installationID, Account: "acme", Repo: repoName,
		Files:       map[string]string{".github/golive.yml": golivesYML},
		Permissions: []setupPerm{{User: commander, Permission: "write", Role: "write"}}}
	for _, p := range []string{".github/workflows/deploy.yml"} {
		s.Workflows = append(s.Workflows, setupWorkflow{Path: p, Inputs: deployInputs, RunName: "golive ${{ inputs.environment }} ${{ inputs.correlation_id }}"})
	}
	if err := f.call(http.MethodPost, "/github/setup", s, nil); err != nil {
		return nil, err
	}
	var issues []issueIn
	var channels []map[string]any
	for _, g := range w.golives {
		issues = append(issues, issueIn{Number: g.number, Title: fmt.Sprintf("Go-live %d", g.number),
			Body: formBody(w.at, g.number, channelName(g.number)), Labels: []string{"golive"}, User: "alice"})
		channels = append(channels, map[string]any{"ID": g.channel, "Name": channelName(g.number)})
	}
	var comments []commentIn
	for _, c := range w.commands {
		issues = append(issues, issueIn{Number: c.number, Title: fmt.Sprintf("Task %d", c.number), Body: "Please look at this.", User: "carol"})
		comments = append(comments, commentIn{Number: c.number, User: commander, Body: c.text})
	}
	if err := f.call(http.MethodPost, "/github/issues?repo="+url.QueryEscape(repoName), issues, nil); err != nil {
		return nil, err
	}
	if err := f.call(http.MethodPost, "/slack/channels", channels, nil); err != nil {
		return nil, err
	}
	var ids []int64
	if err := f.call(http.MethodPost, "/github/comments?repo="+url.QueryEscape(repoName), comments, &ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// editIssue sets an issue's body on the fake, as the person ticking boxes
// does on GitHub.
func (f *fakesProc) editIssue(n int, body string) error {
	return f.call(http.MethodPost, "/github/issues?repo="+url.QueryEscape(repoName), []issueIn{{Number: n, Body: body}}, nil)
}

func (f *fakesProc) addHookDeliveries(ds []hookDelivery) ([]hookDelivery, error) {
	var out []hookDelivery
	return out, f.call(http.MethodPost, "/github/hook-deliveries", ds, &out)
}

func (f *fakesProc) hookDeliveries() ([]hookDelivery, error) {
	var out []hookDelivery
	return out, f.call(http.MethodGet, "/github/hook-deliveries", nil, &out)
}

func (f *fakesProc) redeliveries() ([]int64, error) {
	var out []int64
	return out, f.call(http.MethodGet, "/github/redeliveries", nil, &out)
}
