package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

// fakeRepo records reviews; fail, when set, answers the next reviews.
type fakeRepo struct {
	mu      sync.Mutex
	reviews []review
	fail    []error
	runs    map[int64]ghclient.WorkflowRun
}

type review struct {
	run            int64
	env, state, cm string
}

func (f *fakeRepo) ReviewDeploymentGate(_ context.Context, runID int64, env, state, comment string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		return err
	}
	f.reviews = append(f.reviews, review{runID, env, state, comment})
	return nil
}

func (f *fakeRepo) WorkflowRun(_ context.Context, id int64) (ghclient.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.runs[id]; ok {
		return r, nil
	}
	return ghclient.WorkflowRun{}, fmt.Errorf("read run %d: %w", id, ghclient.ErrRunNotFound)
}

func (f *fakeRepo) byState(state string) []review {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []review
	for _, r := range f.reviews {
		if r.state == state {
			out = append(out, r)
		}
	}
	return out
}

// fakeChecklist reports blocking as the open required items.
type fakeChecklist struct {
	mu       sync.Mutex
	blocking []checklist.Task
}

func (c *fakeChecklist) Config(context.Context, store.GoLive) (*repoconfig.Config, checklist.Template, error) {
	return &repoconfig.Config{}, checklist.Template{}, nil
}

func (c *fakeChecklist) Readiness(context.Context, store.GoLive, checklist.Template) (checklist.Readiness, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return checklist.Readiness{Ready: len(c.blocking) == 0, Blocking: c.blocking, Done: 1, Total: 1 + len(c.blocking)}, nil
}

func (c *fakeChecklist) set(blocking []checklist.Task) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocking = blocking
}

type world struct {
	st   store.Store
	gh   *fakeRepo
	cl   *fakeChecklist
	svc  *Service
	clk  *clock.Fake
	gl   store.GoLive
	repo int64
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{st: storetest.SQLite(t), gh: &fakeRepo{runs: map[int64]ghclient.WorkflowRun{}}, cl: &fakeChecklist{},
		clk: clock.NewFake(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)), repo: 5005}
	w.svc = &Service{Store: w.st, Checklist: w.cl, Clock: w.clk, Owner: "test",
		Logger: slog.New(slog.DiscardHandler), Repos: func(int64, string) (RepoAPI, error) { return w.gh, nil }}
	gl, _, err := w.st.UpsertGoLive(t.Context(), store.GoLive{InstallationID: 42, RepoID: w.repo, Repo: "acme/api", IssueNumber: 7,
		State: store.GoLiveActive, Environment: "production", At: w.clk.Now().Add(48 * time.Hour), Timezone: "UTC"}, w.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.gl = gl
	w.cl.set([]checklist.Task{{ID: "go", Text: "Go decision made", Owner: "@alice"}})
	return w
}

func (w *world) request(run int64, delivery string) Request {
	return Request{DeliveryID: delivery, InstallationID: 42, RepoID: w.repo, Repo: "acme/api", Environment: "Production",
		RunID: run, SHA: "abc", Ref: "refs/heads/main", Sender: "carol"}
}

// A request handled again (the inbox retries a delivery) notes once; new
// requests for the run (re-runs) note until GitHub's 10 per run.
func TestNotesOncePerRequestAndTenPerRun(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for range 3 {
		if err := w.svc.HandleRequest(ctx, w.request(1, "d-1")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.gh.byState("")); n != 1 {
		t.Fatalf("%d notes for one request handled 3 times, want 1", n)
	}
	for i := 2; i <= 15; i++ {
		if err := w.svc.HandleRequest(ctx, w.request(1, fmt.Sprint("d-", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.gh.byState("")); n != MaxNotes {
		t.Fatalf("%d notes on one run, want GitHub's limit %d", n, MaxNotes)
	}
	// The environment is matched to the go-live ignoring case.
	g, err := w.st.GetGate(ctx, store.GateKey{RepoID: w.repo, RunID: 1, Environment: "Production"})
	if err != nil || g.GoLiveID != w.gl.ID || g.Notes != MaxNotes {
		t.Fatalf("gate %+v, %v", g, err)
	}
	// A note GitHub failed to take is posted when the request is retried.
	w.gh.fail = []error{transientError()}
	if err := w.svc.HandleRequest(ctx, w.request(2, "d-x")); err == nil || !ghclient.IsTransient(err) {
		t.Fatalf("a note that timed out: %v, want the transient error", err)
	}
	if err := w.svc.HandleRequest(ctx, w.request(2, "d-x")); err != nil {
		t.Fatal(err)
	}
	if n := len(w.gh.byState("")); n != MaxNotes+1 {
		t.Fatalf("%d notes after the retry, want %d", n, MaxNotes+1)
	}
}

// Several replicas told at once that the go-live is ready approve each
// waiting deployment exactly once.
func TestGoLiveReadyApprovesOnceAcrossReplicas(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for run := int64(1); run <= 3; run++ {
		if err := w.svc.HandleRequest(ctx, w.request(run, fmt.Sprint("d-", run))); err != nil {
			t.Fatal(err)
		}
	}
	w.cl.set(nil)
	var wg sync.WaitGroup
	for i := range 8 {
		replica := *w.svc
		replica.Owner = fmt.Sprint("replica-", i)
		wg.Go(func() {
			// ErrGateBusy: another replica holds the gate; its event is retried.
			if err := replica.GoLiveReady(ctx, w.gl.ID); err != nil && !errors.Is(err, ErrGateBusy) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	approvals := w.gh.byState(ghclient.GateApproved)
	if len(approvals) != 3 {
		t.Fatalf("%d approvals of 3 waiting deployments, want 3: %+v", len(approvals), approvals)
	}
	seen := map[int64]bool{}
	for _, a := range approvals {
		if seen[a.run] || a.env != "Production" || !strings.Contains(a.cm, "READY") {
			t.Fatalf("approvals %+v", approvals)
		}
		seen[a.run] = true
	}
	if err := w.svc.GoLiveReady(ctx, w.gl.ID); err != nil || len(w.gh.byState(ghclient.GateApproved)) != 3 {
		t.Fatalf("GoLiveReady again: %v, %d approvals", err, len(w.gh.byState(ghclient.GateApproved)))
	}
}

// A transient failure leaves the gate pending for the retry; a refusal is
// recorded as failed and not tried again.
func TestReviewFailures(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.cl.set(nil)
	w.gh.fail = []error{transientError()}
	if err := w.svc.HandleRequest(ctx, w.request(1, "d-1")); !ghclient.IsTransient(err) {
		t.Fatalf("an approval that timed out: %v, want the transient error", err)
	}
	k := store.GateKey{RepoID: w.repo, RunID: 1, Environment: "Production"}
	if g, _ := w.st.GetGate(ctx, k); g.State != store.GatePending || g.LeaseOwner != "" {
		t.Fatalf("gate after a transient failure: %+v, want pending and unclaimed", g)
	}
	if err := w.svc.HandleRequest(ctx, w.request(1, "d-1")); err != nil {
		t.Fatal(err)
	}
	if g, _ := w.st.GetGate(ctx, k); g.State != store.GateApproved || len(w.gh.byState(ghclient.GateApproved)) != 1 {
		t.Fatalf("gate after the retry: %+v", g)
	}

	w.gh.fail = []error{fmt.Errorf("review: %w", ghclient.ErrRunNotFound)}
	if err := w.svc.HandleRequest(ctx, w.request(2, "d-2")); err != nil {
		t.Fatalf("a refused approval: %v, want recorded, not retried", err)
	}
	if g, _ := w.st.GetGate(ctx, store.GateKey{RepoID: w.repo, RunID: 2, Environment: "Production"}); g.State != store.GateFailed || !strings.Contains(g.Detail, "not found") {
		t.Fatalf("gate after GitHub refused the answer: %+v", g)
	}
}

func TestWrongSHA(t *testing.T) {
	g := store.Gate{SHA: "aaaa", Ref: "refs/heads/main"}
	for _, tc := range []struct {
		name string
		d    store.Deploy
		ref  string
		want bool
	}{
		{"same commit", store.Deploy{Kind: "deploy", Ref: "main", SHA: "AAAA"}, "", false},
		{"the branch moved", store.Deploy{Kind: "deploy", Ref: "main", SHA: "bbbb"}, "", true},
		{"bare ref", store.Deploy{Kind: "deploy", Ref: "main", SHA: "bbbb"}, "main", true},
		{"deploys a tag from the default branch", store.Deploy{Kind: "deploy", Ref: "v1.2.0", SHA: "bbbb"}, "", false},
		{"deploys a pull request's branch", store.Deploy{Kind: "deploy", Ref: "feature/x", SHA: "bbbb"}, "", false},
		{"a tag run deploying that tag", store.Deploy{Kind: "deploy", Ref: "v1.2.0", SHA: "bbbb"}, "refs/tags/v1.2.0", true},
		{"rollbacks deploy older commits", store.Deploy{Kind: "rollback", Ref: "main", SHA: "bbbb"}, "", false},
		{"no SHA known", store.Deploy{Kind: "deploy", Ref: "main"}, "", false},
	} {
		g := g
		if tc.ref != "" {
			g.Ref = tc.ref
		}
		if got := wrongSHA(g, tc.d); got != tc.want {
			t.Errorf("%s: wrongSHA = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Notes fit GitHub's 1,024 characters, naming how many items they leave out.
func TestFit(t *testing.T) {
	head := "⏳ Go-live acme/api#7 is NOT READY: 60 required checklist items are open.\n"
	var lines []string
	for i := range 60 {
		lines = append(lines, fmt.Sprintf("- Item %02d with a rather long text — @owner-%02d", i, i))
	}
	got := fit(head, lines)
	if n := utf8.RuneCountInString(got); n > ghclient.MaxGateComment {
		t.Fatalf("note of %d characters", n)
	}
	shown := strings.Count(got, "\n- Item ")
	if shown == 0 || shown == 60 || !strings.HasSuffix(got, fmt.Sprintf("\n…and %d more", 60-shown)) {
		t.Fatalf("note shows %d items and ends %q", shown, got[max(0, len(got)-40):])
	}
	if full := fit(head, lines[:3]); strings.Contains(full, "more") || strings.Count(full, "\n- Item ") != 3 {
		t.Fatalf("a short list was cut:\n%s", full)
	}
	if long := fit(strings.Repeat("x", 2000), nil); utf8.RuneCountInString(long) != ghclient.MaxGateComment || !strings.HasSuffix(long, "…") {
		t.Fatalf("a long comment was not clipped to the limit: %d characters", utf8.RuneCountInString(long))
	}
}

// transientError is an error ghclient.IsTransient reports as worth retrying.
func transientError() error { return context.DeadlineExceeded }
