package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
	"github.com/golive-dev/golive/bot/tracking"
	"github.com/golive-dev/golive/handlers"
)

type forgetter struct{ forgotten []int64 }

func (f *forgetter) Forget(id int64) { f.forgotten = append(f.forgotten, id) }

// TestReplayRealPayloads sends every webhook example in testdata, signed, and
// runs the real dispatcher with every handler over them: each is accepted and
// processed without error (no retry, no dead letter).
func TestReplayRealPayloads(t *testing.T) {
	st := storetest.SQLite(t)
	r := newRig(t, st, 1000)
	files, err := filepath.Glob(filepath.Join("..", "testdata", "github", "webhooks", "*", "*.json"))
	if err != nil || len(files) < 98 {
		t.Fatalf("want the 98 payload examples, found %d (%v)", len(files), err)
	}
	for i, f := range files {
		event := filepath.Base(filepath.Dir(f))
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if code, resp := r.post(t, signed(fmt.Sprintf("replay-%d", i), event, body)); code != http.StatusAccepted {
			t.Fatalf("%s: %d %s, want 202", f, code, resp)
		}
	}

	// None of the examples is a go-live, so tracking must decide that without
	// a single GitHub call.
	tracker := &tracking.Service{Store: st, Clock: clock.System{}, Owner: "replay",
		Repos: func(int64, string) (tracking.RepoAPI, error) {
			t.Error("a non-go-live example made tracking call GitHub")
			return nil, errors.New("no GitHub in the replay test")
		}}
	d, err := inbox.NewDispatcher(inbox.DispatcherOptions{
		Store: st, Backlog: r.backlog, Logger: slog.New(slog.NewTextHandler(r.logs, nil)), PollInterval: 10 * time.Millisecond,
	}, handlers.PingHandler{}, &handlers.InstallationHandler{Store: st, Clients: &forgetter{}}, &handlers.InstallationRepositoriesHandler{Store: st},
		&handlers.IssuesHandler{Tracker: tracker}, &handlers.IssueCommentHandler{Planner: tracker})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx, 5*time.Second); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for count(t, st, store.DeliveryDone) < len(files) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if n := count(t, st, store.DeliveryDone); n != len(files) {
		t.Fatalf("%d of %d deliveries processed; dead %d, pending %d\n%s", n, len(files),
			count(t, st, store.DeliveryDead), count(t, st, store.DeliveryPending), r.logs)
	}
	if strings.Contains(r.logs.String(), "will retry") {
		t.Fatalf("a real payload failed once:\n%s", r.logs)
	}
	ins, err := st.ListInstallations(context.Background())
	if err != nil || len(ins) == 0 {
		t.Fatalf("installation payloads recorded no installation: %v %v", ins, err)
	}
}
