// Command ingest measures golive's durable webhook ingest against a bare
// handler that only verifies the HMAC and answers 202, in one run on one
// machine, and prints the throughput ratio and the ack latency at a fixed
// rate.
//
// All servers listen on loopback. The durable ones are golive's real
// handler stack: signature check, envelope read and group-commit ingest into
// a SQLite inbox, measured once with the workers paused (the ingest the goal
// is about) and once with the dispatcher's workers processing the rows on the
// same cores, as in production. Each phase sends 25 KB signed payloads over
// 64 connections.
//
//	go run ./bench/ingest                 # defaults: 5 s per phase, 2000 req/s
//	go run ./bench/ingest -duration 10s -rate 2000 -conns 64
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/signature"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/handlers"
)

var secret = []byte("bench-webhook-secret")

// Goals from the issue: durable throughput at least half the bare handler's,
// p99 acknowledgement at 2,000 req/s within 20 ms.
const (
	goalRatio = 0.5
	goalP99   = 20 * time.Millisecond
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "length of each measured phase")
	rate := flag.Int("rate", 2000, "requests per second of the fixed-rate phase")
	conns := flag.Int("conns", 64, "concurrent connections")
	size := flag.Int("size", 25_000, "payload size in bytes")
	strict := flag.Bool("strict", false, "exit 1 when a goal is missed")
	flag.Parse()

	body := payload(*size)
	bare := listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || signature.VerifyGitHub(secret, b, r.Header.Get("X-Hub-Signature-256"), "") != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	ingestOnly, _, stopIngestOnly := durableServer(false)
	durable, backlog, stop := durableServer(true)
	defer stop()

	fmt.Printf("golive webhook ingest benchmark — %d-byte signed payloads, %d connections, %s per phase, GOMAXPROCS=%d\n",
		len(body), *conns, *duration, goMaxProcs())
	bareRPS, _ := closedLoop(bare, body, *conns, *duration, "bare")
	ingestRPS, _ := closedLoop(ingestOnly, body, *conns, *duration, "durable ingest")
	stopIngestOnly()
	durRPS, _ := closedLoop(durable, body, *conns, *duration, "durable with workers")
	ratio := ingestRPS / bareRPS
	// The fixed-rate phase measures the steady state: first let the workers
	// finish what the saturating phase left pending.
	drainStart, left := time.Now(), backlog.Len()
	for backlog.Len() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	drained := time.Since(drainStart)
	lat, achieved, errs := fixedRate(durable, body, *conns, *rate, *duration)

	fmt.Printf("\nthroughput  bare HMAC+202:                   %8.0f req/s\n", bareRPS)
	fmt.Printf("throughput  durable ingest (workers paused): %8.0f req/s\n", ingestRPS)
	fmt.Printf("throughput  durable ingest, workers running: %8.0f req/s (ratio %.2f)\n", durRPS, durRPS/bareRPS)
	if left > 0 {
		fmt.Printf("workers finished the %d deliveries left pending in %s (%.0f/s)\n", left, drained.Round(time.Millisecond), float64(left)/drained.Seconds())
	}
	fmt.Printf("ratio durable ingest/bare:                   %8.2f   (goal ≥ %.2f) %s\n", ratio, goalRatio, verdict(ratio >= goalRatio))
	fmt.Printf("at %d req/s, workers running (achieved %.0f, %d errors): p50 %s  p95 %s  p99 %s   (goal p99 ≤ %s) %s\n",
		*rate, achieved, errs, pct(lat, 50), pct(lat, 95), pct(lat, 99), goalP99, verdict(pct(lat, 99) <= goalP99))
	if *strict && (ratio < goalRatio || pct(lat, 99) > goalP99) {
		os.Exit(1)
	}
}

func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "MISSED"
}

// payload is a real issues.opened example padded to size bytes.
func payload(size int) []byte {
	raw, err := os.ReadFile(filepath.Join("testdata", "github", "webhooks", "issues", "opened.json"))
	if err != nil {
		fail("read the payload example (run from the repository root): %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		fail("parse the payload example: %v", err)
	}
	b, _ := json.Marshal(m)
	if pad := size - len(b) - len(`,"padding":""`); pad > 0 {
		m["padding"] = string(bytes.Repeat([]byte("x"), pad))
	}
	b, _ = json.Marshal(m)
	return b
}

// durableServer is golive's real ingest path on a fresh SQLite inbox; with
// workers, the dispatcher processes and completes rows as in production.
func durableServer(workers bool) (string, *inbox.Backlog, func()) {
	dir, err := os.MkdirTemp("", "golive-bench-")
	if err != nil {
		fail("temp dir: %v", err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "golive.db"))
	if err != nil {
		fail("open store: %v", err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	m := metrics.New()
	clk := clock.System{}
	backlog := inbox.NewBacklog(0, 1<<30, m.InboxBacklog)
	d, err := inbox.NewDispatcher(inbox.DispatcherOptions{Store: st, Clock: clk, Logger: logger, Metrics: m, Backlog: backlog},
		handlers.PingHandler{})
	if err != nil {
		fail("dispatcher: %v", err)
	}
	in := inbox.NewIngester(inbox.IngesterOptions{Store: st, Backlog: backlog, Wake: d.Wake})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if workers {
		go func() { d.Run(runCtx, 5*time.Second); close(done) }()
	} else {
		close(done)
	}
	url := listen(&handlers.GitHubWebhook{Secret: secret, Ingester: in, DeadLetters: st, Clock: clk, Metrics: m, Logger: logger})
	return url, backlog, func() {
		in.Stop()
		cancel()
		<-done
		st.Close()
		os.RemoveAll(dir)
	}
}

func listen(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	go http.Serve(ln, h)
	return "http://" + ln.Addr().String()
}

func client(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
	}}
}

var seq atomic.Int64

func send(c *http.Client, url string, body []byte) error {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", seq.Add(1)))
	req.Header.Set("X-Hub-Signature-256", signature.SignGitHub(secret, body))
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// closedLoop keeps conns requests in flight for d and returns requests/s.
func closedLoop(url string, body []byte, conns int, d time.Duration, name string) (float64, int64) {
	c := client(conns)
	var ok, errs atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := send(c, url+"/", body); err != nil {
					errs.Add(1)
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if errs.Load() > 0 {
		fmt.Printf("  %s: %d errors\n", name, errs.Load())
	}
	return float64(ok.Load()) / elapsed, errs.Load()
}

// fixedRate sends rate requests per second for d over at most conns
// connections and returns each request's latency measured from its scheduled
// start (so a stalled server cannot hide its queueing).
func fixedRate(url string, body []byte, conns, rate int, d time.Duration) ([]time.Duration, float64, int64) {
	c := client(conns)
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	jobs := make(chan time.Time, n)
	lat := make([]time.Duration, 0, n)
	var mu sync.Mutex
	var errs atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for scheduled := range jobs {
				if wait := time.Until(scheduled); wait > 0 {
					time.Sleep(wait)
				}
				err := send(c, url+"/", body)
				l := time.Since(scheduled)
				if err != nil {
					errs.Add(1)
					continue
				}
				mu.Lock()
				lat = append(lat, l)
				mu.Unlock()
			}
		}()
	}
	start := time.Now().Add(50 * time.Millisecond)
	for i := range n {
		jobs <- start.Add(time.Duration(i) * interval)
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	slices.Sort(lat)
	return lat, float64(len(lat)) / elapsed, errs.Load()
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[i].Round(10 * time.Microsecond)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench/ingest: "+format+"\n", args...)
	os.Exit(1)
}

func goMaxProcs() int { return runtime.GOMAXPROCS(0) }
