package schedules_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/schedules"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

const (
	installationID int64 = 42
	repoID         int64 = 1001
	repoName             = "acme/ops"
)

var berlin = mustLoad("Europe/Berlin")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// local is a time in Berlin written "2006-01-02 15:04".
func local(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// env is a fake GitHub with repository acme/ops holding a golive.yml, a
// fake Slack with channel #ops, and a fake clock the runners use.
type env struct {
	t     *testing.T
	gh    *fakegithub.Server
	sl    *fakeslack.Server
	apps  *ghclient.Apps
	slack *slackclient.Client
	clk   *clock.Fake
	logs  *syncBuffer

	mu        sync.Mutex
	createdAt map[int]time.Time // issue number → the fake time it was created
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, start time.Time, config string) *env {
	t.Helper()
	gh := fakegithub.New(fakegithub.Options{T: t})
	gh.AddInstallation(installationID, "acme", "Organization", repoName)
	gh.PutFile(repoName, ".github/golive.yml", config)
	apps, err := ghclient.New(ghclient.Config{AppID: gh.AppID(), PrivateKeyPEM: gh.PrivateKeyPEM(), BaseURL: gh.URL,
		Metrics: metrics.New(), Clock: clock.System{}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	sl := fakeslack.New(fakeslack.Options{T: t, Channels: []fakeslack.Channel{{ID: "COPS", Name: "ops", Member: true}}})
	return &env{t: t, gh: gh, sl: sl, apps: apps, clk: clock.NewFake(start), logs: &syncBuffer{},
		slack:     slackclient.New(slackclient.Config{Token: sl.Token(), APIURL: sl.APIURL(), Clock: clock.System{}}),
		createdAt: map[int]time.Time{}}
}

// seed records the installation and repository in st, as the
// installation webhooks do.
func seed(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := st.UpsertInstallation(ctx, store.Installation{ID: installationID, AccountID: 7, AccountLogin: "acme", AccountType: "Organization"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddRepositories(ctx, installationID, []store.Repository{{ID: repoID, InstallationID: installationID, FullName: repoName}}); err != nil {
		t.Fatal(err)
	}
}

// recordingRepo notes the fake time each issue is created at.
type recordingRepo struct {
	schedules.RepoAPI
	e *env
}

func (r recordingRepo) CreateIssue(ctx context.Context, title, body string, labels []string) (int, error) {
	n, err := r.RepoAPI.CreateIssue(ctx, title, body, labels)
	if err == nil {
		r.e.mu.Lock()
		r.e.createdAt[n] = r.e.clk.Now()
		r.e.mu.Unlock()
	}
	return n, err
}

func (e *env) runner(st store.Store, owner string) *schedules.Runner {
	return &schedules.Runner{Store: st, Clock: e.clk, Owner: owner, Slack: e.slack,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("owner", owner),
		Repos: func(id int64, repo string) (schedules.RepoAPI, error) {
			api, err := e.apps.Repo(id, repo)
			if err != nil {
				return nil, err
			}
			return recordingRepo{api, e}, nil
		},
		// Configuration is cached across the whole walk; TestConfigCache
		// covers refreshing it.
		ConfigTTL: 30 * 24 * time.Hour, IdleConfigTTL: 30 * 24 * time.Hour,
	}
}

// tick runs one tick of every runner at once.
func tick(t *testing.T, runners ...*schedules.Runner) {
	t.Helper()
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Tick(context.Background()); err != nil {
				t.Errorf("Tick: %v", err)
			}
		}()
	}
	wg.Wait()
}

// walk sets the clock to each step from from (included) to to (excluded)
// and ticks the runners there.
func (e *env) walk(t *testing.T, from, to time.Time, step time.Duration, runners ...*schedules.Runner) {
	t.Helper()
	for at := from; at.Before(to); at = at.Add(step) {
		e.clk.Set(at)
		tick(t, runners...)
	}
}

// at sets the clock and ticks.
func (e *env) at(t *testing.T, when time.Time, runners ...*schedules.Runner) {
	t.Helper()
	e.clk.Set(when)
	tick(t, runners...)
}

// issues returns every issue of the repository, by number.
func (e *env) issues() []fakegithub.Issue {
	var out []fakegithub.Issue
	for n := 1; ; n++ {
		is, ok := e.gh.GetIssue(repoName, n)
		if !ok {
			return out
		}
		out = append(out, is)
	}
}

func (e *env) issue(t *testing.T, n int) fakegithub.Issue {
	t.Helper()
	is, ok := e.gh.GetIssue(repoName, n)
	if !ok {
		t.Fatalf("no issue #%d", n)
	}
	return is
}

// tickItems ticks the items whose text starts with one of texts in issue
// n's body, through the API as a person would.
func (e *env) tickItems(t *testing.T, n int, texts ...string) {
	t.Helper()
	body := e.issue(t, n).Body
	for _, text := range texts {
		next := strings.Replace(body, "- [ ] "+text, "- [x] "+text, 1)
		if next == body {
			t.Fatalf("issue #%d has no open item %q", n, text)
		}
		body = next
	}
	api, err := e.apps.Repo(installationID, repoName)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.SetIssueBody(context.Background(), n, body); err != nil {
		t.Fatal(err)
	}
}

// messages returns the Slack messages in #ops with metadata of eventType.
func (e *env) messages(eventType string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range e.sl.Messages("COPS") {
		if m.Metadata != nil && m.Metadata.EventType == eventType {
			out = append(out, m)
		}
	}
	return out
}

func runs(t *testing.T, st store.Store, scheduleID string) []store.ScheduleRun {
	t.Helper()
	rs, err := st.ListScheduleRuns(context.Background(), repoID, scheduleID)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// flakyStore fails OpenScheduleRun (recording an opened run) the first
// failures times, as if the process died right after it opened the run on
// GitHub or Slack.
type flakyStore struct {
	store.Store
	failures atomic.Int32
}

var errCrash = errors.New("the process died before it recorded the run")

func (f *flakyStore) OpenScheduleRun(ctx context.Context, k store.ScheduleRunKey, owner string, o store.ScheduleOpened) error {
	if f.failures.Add(-1) >= 0 {
		return errCrash
	}
	return f.Store.OpenScheduleRun(ctx, k, owner, o)
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func titles(issues []fakegithub.Issue) []string {
	var out []string
	for _, is := range issues {
		out = append(out, is.Title)
	}
	return out
}

func describe(issues []fakegithub.Issue) string {
	var b strings.Builder
	for _, is := range issues {
		fmt.Fprintf(&b, "#%d %q %s/%s\n", is.Number, is.Title, is.State, is.StateReason)
	}
	return b.String()
}
