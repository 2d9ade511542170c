package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
	"github.com/golive-dev/golive/handlers"
)

var webhookSecret = []byte("test-webhook-secret")

type rig struct {
	store    store.Store
	backlog  *inbox.Backlog
	ingester *inbox.Ingester
	server   *httptest.Server
	logs     *syncBuffer
	clock    *clock.Fake
}

// syncBuffer is a log sink safe for the server's goroutines.
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

func newRig(t testing.TB, st store.Store, maxBacklog int) *rig {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := metrics.New()
	clk := clock.NewFake(time.Unix(1531420618, 0))
	backlog := inbox.NewBacklog(0, maxBacklog, m.InboxBacklog)
	ing := inbox.NewIngester(inbox.IngesterOptions{Store: st, Backlog: backlog})
	router := handlers.NewRouter(handlers.Routes{
		Webhook:           &handlers.GitHubWebhook{Secret: webhookSecret, Ingester: ing, DeadLetters: st, Clock: clk, Metrics: m, Logger: logger},
		Slack:             &handlers.SlackVerifier{SigningSecret: []byte(slackSecret), Clock: clk, Metrics: m, Logger: logger},
		SlackCommands:     &handlers.SlackCommands{Ingester: ing, Clock: clk, Logger: logger},
		SlackInteractions: &handlers.SlackInteractions{Logger: logger, Ingester: ing, Clock: clk},
		Store:             st, Metrics: m, Clock: clk, Logger: logger,
	})
	srv := httptest.NewServer(router)
	t.Cleanup(func() { srv.Close(); ing.Stop() })
	return &rig{store: st, backlog: backlog, ingester: ing, server: srv, logs: logs, clock: clk}
}

type delivery struct {
	id, event string
	body      []byte
	headers   map[string]string
}

func signed(id, event string, body []byte) delivery {
	return delivery{id: id, event: event, body: body, headers: map[string]string{
		"X-Hub-Signature-256": signature.SignGitHub(webhookSecret, body),
	}}
}

func (r *rig) post(t testing.TB, d delivery) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.server.URL+"/webhooks/github", bytes.NewReader(d.body))
	req.Header.Set("Content-Type", "application/json")
	if d.event != "" {
		req.Header.Set("X-GitHub-Event", d.event)
	}
	if d.id != "" {
		req.Header.Set("X-GitHub-Delivery", d.id)
	}
	for k, v := range d.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func count(t *testing.T, st store.Store, s store.DeliveryStatus) int {
	t.Helper()
	n, err := st.CountDeliveries(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func readPayload(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "github", "webhooks", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhookAcceptsOnceAndStores(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 100)
	ping := readPayload(t, "ping/event.json")

	if code, body := r.post(t, signed("d-1", "ping", ping)); code != http.StatusAccepted {
		t.Fatalf("signed ping: %d %s, want 202", code, body)
	}
	row, err := r.store.GetDelivery(context.Background(), "d-1")
	if err != nil {
		t.Fatalf("202 answered but no inbox row: %v", err)
	}
	if row.Event != "ping" || row.Status != store.DeliveryPending || !bytes.Equal(row.Payload, ping) {
		t.Fatalf("stored row %+v does not match the delivery", row)
	}
	if code, _ := r.post(t, signed("d-1", "ping", ping)); code != http.StatusOK {
		t.Fatalf("repeated delivery id: %d, want 200", code)
	}
	if n := count(t, r.store, store.DeliveryPending); n != 1 {
		t.Fatalf("pending rows = %d after a duplicate, want 1", n)
	}
	if r.backlog.Len() != 1 {
		t.Fatalf("backlog = %d, want 1", r.backlog.Len())
	}
}

func TestWebhookRoutesByInstallationAndAction(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 100)
	body := readPayload(t, "issues/opened.json")
	if code, _ := r.post(t, signed("d-issue", "issues", body)); code != http.StatusAccepted {
		t.Fatalf("issues.opened: %d", code)
	}
	row, err := r.store.GetDelivery(context.Background(), "d-issue")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Installation struct{ ID int64 } `json:"installation"`
	}
	_ = json.Unmarshal(body, &want)
	if row.Action != "opened" || row.InstallationID != want.Installation.ID {
		t.Fatalf("row action %q installation %d, want opened/%d", row.Action, row.InstallationID, want.Installation.ID)
	}
}

func TestWebhookRefusesBadSignatures(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 100)
	body := readPayload(t, "ping/event.json")
	cases := map[string]delivery{
		"unsigned":                  {id: "u", event: "ping", body: body},
		"wrong secret":              {id: "w", event: "ping", body: body, headers: map[string]string{"X-Hub-Signature-256": signature.SignGitHub([]byte("other"), body)}},
		"sha1 only":                 {id: "s", event: "ping", body: body, headers: map[string]string{"X-Hub-Signature": "sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0"}},
		"signature of another body": {id: "o", event: "ping", body: body, headers: map[string]string{"X-Hub-Signature-256": signature.SignGitHub(webhookSecret, []byte("{}"))}},
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) {
			if code, resp := r.post(t, d); code != http.StatusUnauthorized {
				t.Fatalf("%s: %d %s, want 401", name, code, resp)
			}
		})
	}
	for _, s := range []store.DeliveryStatus{store.DeliveryPending, store.DeliveryDead, store.DeliveryDone} {
		if n := count(t, r.store, s); n != 0 {
			t.Fatalf("refused deliveries left %d %s rows", n, s)
		}
	}
}

func TestWebhookBodyLimit(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 100)
	big := bytes.Repeat([]byte(" "), handlers.MaxWebhookBody+1)
	copy(big, `{"zen":"x"}`)
	if code, _ := r.post(t, signed("big", "ping", big)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("body over 25 MiB: %d, want 413", code)
	}
	// Without a Content-Length (chunked) the limit still holds while reading.
	pr, pw := io.Pipe()
	go func() { pw.Write(big); pw.Close() }()
	req, _ := http.NewRequest(http.MethodPost, r.server.URL+"/webhooks/github", pr)
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-GitHub-Delivery", "big-chunked")
	req.Header.Set("X-Hub-Signature-256", signature.SignGitHub(webhookSecret, big))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over 25 MiB: %d, want 413", resp.StatusCode)
	}
	if n := count(t, r.store, store.DeliveryPending) + count(t, r.store, store.DeliveryDead); n != 0 {
		t.Fatalf("oversized bodies stored %d rows", n)
	}
	// Exactly at the limit is fine.
	atLimit := bytes.Repeat([]byte(" "), handlers.MaxWebhookBody)
	copy(atLimit, `{"zen":"x"}`)
	if code, _ := r.post(t, signed("at-limit", "ping", atLimit)); code != http.StatusAccepted {
		t.Fatalf("body of exactly 25 MiB: %d, want 202", code)
	}
}

func TestWebhookMalformedBodyIsDeadLettered(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 100)
	for id, body := range map[string]string{"not-json": "payload=%7B%7D", "array": "[1,2]", "truncated": `{"action":"opened"`} {
		code, resp := r.post(t, signed(id, "issues", []byte(body)))
		if code != http.StatusBadRequest {
			t.Fatalf("%s: %d %s, want 400", id, code, resp)
		}
		row, err := r.store.GetDelivery(context.Background(), id)
		if err != nil {
			t.Fatalf("%s: no dead letter kept: %v", id, err)
		}
		if row.Status != store.DeliveryDead || !strings.Contains(row.LastError, "not a JSON object") || string(row.Payload) != body {
			t.Fatalf("%s: dead letter %+v lacks the reason or the body", id, row)
		}
	}
	if n := count(t, r.store, store.DeliveryPending); n != 0 {
		t.Fatalf("malformed bodies queued %d rows for processing", n)
	}
}

func TestWebhookMissingHeaders(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 100)
	body := []byte(`{"zen":"x"}`)
	if code, _ := r.post(t, signed("", "ping", body)); code != http.StatusBadRequest {
		t.Fatalf("no delivery id: %d, want 400", code)
	}
	if code, _ := r.post(t, signed("id", "", body)); code != http.StatusBadRequest {
		t.Fatalf("no event: %d, want 400", code)
	}
}

func TestWebhookBacklogFull(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 2)
	body := []byte(`{"zen":"x"}`)
	for i := range 2 {
		if code, _ := r.post(t, signed(fmt.Sprint("ok-", i), "ping", body)); code != http.StatusAccepted {
			t.Fatalf("delivery %d within the backlog: %d", i, code)
		}
	}
	code, _ := r.post(t, signed("over", "ping", body))
	if code != http.StatusServiceUnavailable {
		t.Fatalf("delivery over the backlog: %d, want 503", code)
	}
	if _, err := r.store.GetDelivery(context.Background(), "over"); err == nil {
		t.Fatal("a delivery refused with 503 was stored")
	}
}

func TestWebhookStoreDown(t *testing.T) {
	st := storetest.SQLite(t)
	r := newRig(t, st, 100)
	st.Close()
	if code, _ := r.post(t, signed("d", "ping", []byte(`{"zen":"x"}`))); code != http.StatusServiceUnavailable {
		t.Fatalf("store closed: %d, want 503", code)
	}
	resp, err := http.Get(r.server.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the store closed: %d, want 503", resp.StatusCode)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), 100)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		resp, err := http.Get(r.server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: %d, want %d", path, resp.StatusCode, want)
		}
		if path == "/metrics" && !strings.Contains(string(b), "golive_inbox_backlog") {
			t.Fatalf("/metrics lacks golive metrics")
		}
	}
	r.post(t, signed("m-1", "ping", []byte(`{"zen":"x"}`)))
	r.post(t, delivery{id: "m-2", event: "ping", body: []byte(`{}`)})
	resp, _ := http.Get(r.server.URL + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{
		`golive_webhook_requests_total{event="ping",outcome="accepted"} 1`,
		`golive_webhook_requests_total{event="ping",outcome="bad_signature"} 1`,
	} {
		if !strings.Contains(string(b), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}
