package smoke

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
)

var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// server starts an httptest server running h and stops it with the test.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// refusedURL returns a URL on a local port that nothing listens on.
func refusedURL(t *testing.T, path string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + path
}

func mustRun(t *testing.T, checks []Check, load *Load, clk clock.Clock) Result {
	t.Helper()
	res, err := Run(context.Background(), nil, checks, load, clk)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func onlyRow(t *testing.T, res Result) Row {
	t.Helper()
	if len(res.Rows) != 1 {
		t.Fatalf("got %d rows, want 1: %+v", len(res.Rows), res.Rows)
	}
	return res.Rows[0]
}

func TestCheckHealthyPasses(t *testing.T) {
	var method, ua string
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		method, ua = r.Method, r.UserAgent()
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	})
	res := mustRun(t, []Check{{URL: s.URL + "/health", MaxLatency: 5 * time.Second}}, nil, clock.System{})
	row := onlyRow(t, res)
	if !row.Pass || !res.Pass {
		t.Fatalf("healthy check failed: %+v", row)
	}
	if row.Check != "/health" {
		t.Errorf("Check = %q, want the path %q", row.Check, "/health")
	}
	if row.Expected != "200 within 5 s" {
		t.Errorf("Expected = %q, want %q", row.Expected, "200 within 5 s")
	}
	if !strings.HasPrefix(row.Actual, "200 in ") || !strings.HasSuffix(row.Actual, " ms") {
		t.Errorf("Actual = %q, want \"200 in <n> ms\"", row.Actual)
	}
	if method != http.MethodGet || ua != "golive-smoke" {
		t.Errorf("request was %s with User-Agent %q, want GET with golive-smoke", method, ua)
	}
	if res.LoadStats != nil {
		t.Errorf("LoadStats = %+v without a load test", res.LoadStats)
	}
}

// The must-show: /health answering in 80 ms against a 50 ms budget fails.
func TestCheckSlowHealthFailsLatency(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(80 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	})
	checks, _ := SeedDefaults(s.URL + "/")
	res := mustRun(t, checks, nil, clock.System{})
	row := onlyRow(t, res)
	if row.Pass || res.Pass {
		t.Fatalf("80 ms /health passed a 50 ms budget: %+v", row)
	}
	if row.Expected != "200 within 50 ms" {
		t.Errorf("Expected = %q, want %q", row.Expected, "200 within 50 ms")
	}
	if !strings.HasPrefix(row.Actual, "200 in ") {
		t.Errorf("Actual = %q, want the status and latency", row.Actual)
	}
	if !strings.Contains(res.Markdown(), "| /health | 200 within 50 ms | 200 in ") {
		t.Errorf("Markdown lacks the /health row:\n%s", res.Markdown())
	}
}

// With a fake clock that the server moves, latency is exact, and the budget
// is inclusive ("within").
func TestCheckLatencyBudgetWithFakeClock(t *testing.T) {
	clk := clock.NewFake(t0)
	var took atomic.Int64
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		clk.Advance(time.Duration(took.Load()))
	})
	for _, tc := range []struct {
		took   time.Duration
		pass   bool
		actual string
	}{
		{80 * time.Millisecond, false, "200 in 80 ms"},
		{50 * time.Millisecond, true, "200 in 50 ms"},
		{50*time.Millisecond + 300*time.Microsecond, false, "200 in 50.3 ms"},
		{3 * time.Millisecond, true, "200 in 3 ms"},
	} {
		took.Store(int64(tc.took))
		row := onlyRow(t, mustRun(t, []Check{{Name: "health", URL: s.URL + "/health", MaxLatency: 50 * time.Millisecond}}, nil, clk))
		if row.Pass != tc.pass || row.Actual != tc.actual {
			t.Errorf("took %s: row %+v, want pass=%v actual %q", tc.took, row, tc.pass, tc.actual)
		}
	}
}

func TestCheckWrongStatusFails(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	row := onlyRow(t, mustRun(t, []Check{{URL: s.URL + "/health"}}, nil, nil))
	if row.Pass {
		t.Fatalf("500 passed: %+v", row)
	}
	if row.Expected != "200" || !strings.HasPrefix(row.Actual, "500 in ") {
		t.Errorf("row = %+v, want Expected 200 and Actual \"500 in …\"", row)
	}
}

func TestCheckExpectedStatusAndMethod(t *testing.T) {
	var method string
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		method = r.Method
		w.WriteHeader(http.StatusNoContent)
	})
	row := onlyRow(t, mustRun(t, []Check{{URL: s.URL + "/api/ping?x=1", Method: http.MethodHead, ExpectStatus: http.StatusNoContent}}, nil, nil))
	if !row.Pass || method != http.MethodHead {
		t.Fatalf("row %+v with method %s, want a HEAD that passes", row, method)
	}
	if row.Check != "HEAD /api/ping" || row.Expected != "204" {
		t.Errorf("row = %+v, want Check \"HEAD /api/ping\" and Expected 204", row)
	}
}

func TestCheckConnectionRefusedHidesCredentials(t *testing.T) {
	u := refusedURL(t, "/health?token=hunter2")
	u = strings.Replace(u, "http://", "http://admin:s3cret@", 1)
	res := mustRun(t, []Check{{URL: u, MaxLatency: 50 * time.Millisecond}}, nil, nil)
	row := onlyRow(t, res)
	if row.Pass {
		t.Fatalf("refused connection passed: %+v", row)
	}
	if row.Actual != "no response: connection refused" {
		t.Errorf("Actual = %q, want %q", row.Actual, "no response: connection refused")
	}
	md := res.Markdown()
	for _, secret := range []string{"s3cret", "hunter2", "admin"} {
		if strings.Contains(md, secret) {
			t.Errorf("Markdown echoes %q:\n%s", secret, md)
		}
	}
}

func TestCheckTimeoutSaysTimedOut(t *testing.T) {
	release := make(chan struct{})
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	res, err := Run(context.Background(), client, []Check{{URL: s.URL}}, nil, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if row := onlyRow(t, res); row.Pass || row.Actual != "no response: timed out" {
		t.Errorf("row = %+v, want a failure that says it timed out", row)
	}
}

func TestRunRejectsBadInputBeforeRequesting(t *testing.T) {
	var hits atomic.Int64
	s := server(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	good := Check{URL: s.URL}
	goodLoad := Load{URL: s.URL, Duration: time.Second}
	for _, tc := range []struct {
		name   string
		checks []Check
		load   *Load
		want   string
	}{
		{"nothing", nil, nil, "no checks and no load test"},
		{"empty url", []Check{good, {}}, nil, "URL is empty"},
		{"ftp", []Check{{URL: "ftp://example.com/x"}}, nil, `scheme "ftp"`},
		{"relative", []Check{{URL: "/health"}}, nil, "not http or https"},
		{"no host", []Check{{URL: "http:///health"}}, nil, "no host"},
		{"bad method", []Check{{URL: s.URL, Method: "GE T"}}, nil, `method "GE T"`},
		{"bad status", []Check{{URL: s.URL, ExpectStatus: 42}}, nil, "expected status 42"},
		{"negative latency", []Check{{URL: s.URL, MaxLatency: -time.Second}}, nil, "negative"},
		{"load no duration", []Check{good}, &Load{URL: s.URL}, "duration 0s must be above 0"},
		{"load negative concurrency", nil, &Load{URL: s.URL, Duration: time.Second, Concurrency: -1}, "concurrency -1"},
		{"load NaN rate", nil, &Load{URL: s.URL, Duration: time.Second, Rate: math.NaN()}, "rate NaN"},
		{"load percent error rate", nil, &Load{URL: s.URL, Duration: time.Second, MaxErrorRate: 5}, "max error rate 5"},
		{"load negative p95", nil, &Load{URL: s.URL, Duration: time.Second, P95: -1}, "p95 budget"},
		{"load negative throughput", nil, &Load{URL: s.URL, Duration: time.Second, MinThroughput: -1}, "min throughput"},
		{"load bad url", []Check{good}, &Load{URL: "localhost:8080/health", Duration: time.Second}, "load test"},
		{"good checks, bad load", []Check{good}, &Load{URL: goodLoad.URL, Duration: -time.Second}, "duration -1s"},
	} {
		_, err := Run(context.Background(), nil, tc.checks, tc.load, nil)
		if err == nil {
			t.Errorf("%s: Run succeeded, want an error", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "run smoke checks: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want it to start with \"run smoke checks: \" and mention %q", tc.name, msg, tc.want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server got %d requests from malformed runs, want 0", n)
	}
}

func TestRunURLErrorsDoNotEchoCredentials(t *testing.T) {
	_, err := Run(context.Background(), nil, []Check{{Name: "x", URL: "http://admin:s3cret@exa mple.com/%zz"}}, nil, nil)
	if err == nil {
		t.Fatal("Run accepted an unparsable URL")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error echoes the password: %v", err)
	}
}

func TestRunCancelledIsAnError(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, nil, []Check{{URL: s.URL}}, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context = %v, want context.Canceled", err)
	}
	_, err = Run(ctx, nil, nil, &Load{URL: s.URL, Duration: time.Second, Concurrency: 2}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("load with a cancelled context = %v, want context.Canceled", err)
	}
}

// inflight counts concurrent requests and remembers the most seen at once.
type inflight struct {
	mu       sync.Mutex
	now, max int
	total    int
}

func (f *inflight) enter() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now++
	f.total++
	f.max = max(f.max, f.now)
	return f.total
}

func (f *inflight) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now--
}

func rowsByCheck(res Result) map[string]Row {
	m := map[string]Row{}
	for _, r := range res.Rows {
		m[r.Check] = r
	}
	return m
}

func TestLoadHealthyPassesBudgets(t *testing.T) {
	t.Parallel()
	var f inflight
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		f.enter()
		defer f.leave()
		time.Sleep(2 * time.Millisecond)
	})
	load := &Load{
		URL: s.URL + "/health", Concurrency: 4, Duration: time.Second, Rate: 50,
		P50: 500 * time.Millisecond, P95: 900 * time.Millisecond, P99: time.Second,
		MaxErrorRate: 0.01, MinThroughput: 40,
	}
	res := mustRun(t, nil, load, clock.System{})
	st := res.LoadStats
	if st == nil {
		t.Fatal("no LoadStats")
	}
	if !res.Pass {
		t.Errorf("healthy load failed:\n%s", res.Markdown())
	}
	// Paced at 50 req/s for 1 s: slots at 0, 20 ms, …, 980 ms.
	if st.Requests < 45 || st.Requests > 50 {
		t.Errorf("Requests = %d, want about 50 (paced at 50 req/s for 1 s)", st.Requests)
	}
	f.mu.Lock()
	total, most := f.total, f.max
	f.mu.Unlock()
	if total != st.Requests {
		t.Errorf("server saw %d requests, stats say %d", total, st.Requests)
	}
	if most > 4 {
		t.Errorf("%d requests in flight at once, want at most the concurrency 4", most)
	}
	if st.Errors != 0 || st.ErrorRate != 0 {
		t.Errorf("Errors = %d, ErrorRate = %v, want none", st.Errors, st.ErrorRate)
	}
	if !(0 < st.P50 && st.P50 <= st.P95 && st.P95 <= st.P99) {
		t.Errorf("percentiles out of order: p50 %s p95 %s p99 %s", st.P50, st.P95, st.P99)
	}
	if st.P50 < 2*time.Millisecond {
		t.Errorf("P50 = %s, below the server's 2 ms", st.P50)
	}
	if want := float64(st.Requests); st.Throughput != want {
		t.Errorf("Throughput = %v, want Requests/1s = %v", st.Throughput, want)
	}
	rows := rowsByCheck(res)
	if got := rows["load"].Expected; got != "4 concurrent, 50 req/s, for 1 s" {
		t.Errorf("load Expected = %q", got)
	}
	if got := rows["load p95"].Expected; got != "p95 < 900 ms" {
		t.Errorf("p95 Expected = %q, want %q", got, "p95 < 900 ms")
	}
	if got := rows["load p99"].Expected; got != "p99 < 1 s" {
		t.Errorf("p99 Expected = %q, want %q", got, "p99 < 1 s")
	}
	if got := rows["load error rate"]; got.Expected != "error rate ≤ 1.0%" || !strings.HasPrefix(got.Actual, "0.0% (0 of ") {
		t.Errorf("error rate row = %+v", got)
	}
	if got := rows["load throughput"].Expected; got != "≥ 40 req/s" {
		t.Errorf("throughput Expected = %q", got)
	}
}

func TestLoadBudgetsFail(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		if n.Add(1)%10 == 0 {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}
	})
	load := &Load{
		URL: s.URL, Concurrency: 4, Duration: time.Second,
		P50: 5 * time.Millisecond, P99: 10 * time.Second,
		MaxErrorRate: 0.01, MinThroughput: 1000,
	}
	res := mustRun(t, nil, load, clock.System{})
	st := res.LoadStats
	if res.Pass {
		t.Fatalf("load against a slow, failing server passed:\n%s", res.Markdown())
	}
	// 4 workers, 20 ms each, unpaced: about 200 requests, every 10th a 503.
	if st.Requests < 40 || st.Requests > 200 {
		t.Errorf("Requests = %d, want at most 4 workers × 1 s / 20 ms = 200", st.Requests)
	}
	if st.Errors != st.Requests/10 {
		t.Errorf("Errors = %d of %d, want every 10th", st.Errors, st.Requests)
	}
	if st.ErrorRate < 0.08 || st.ErrorRate > 0.1 {
		t.Errorf("ErrorRate = %v, want about 0.1", st.ErrorRate)
	}
	if st.P50 < 20*time.Millisecond {
		t.Errorf("P50 = %s, below the server's 20 ms", st.P50)
	}
	rows := rowsByCheck(res)
	for name, pass := range map[string]bool{
		"load": true, "load p50": false, "load p99": true, "load error rate": false, "load throughput": false,
	} {
		r, ok := rows[name]
		if !ok {
			t.Errorf("no %q row", name)
			continue
		}
		if r.Pass != pass {
			t.Errorf("row %+v: pass = %v, want %v", r, r.Pass, pass)
		}
	}
	if _, ok := rows["load p95"]; ok {
		t.Error("a p95 row without a p95 budget")
	}
	if got := rows["load error rate"].Actual; !strings.Contains(got, "first: 503 Service Unavailable") {
		t.Errorf("error rate Actual = %q, want it to name the first failure", got)
	}
}

func TestLoadAgainstNothingFails(t *testing.T) {
	t.Parallel()
	load := &Load{URL: refusedURL(t, "/"), Concurrency: 2, Duration: 200 * time.Millisecond, Rate: 20, MaxErrorRate: 0.5}
	res := mustRun(t, nil, load, clock.System{})
	if res.Pass {
		t.Fatalf("load against a closed port passed:\n%s", res.Markdown())
	}
	st := res.LoadStats
	if st.Requests == 0 || st.Errors != st.Requests || st.ErrorRate != 1 {
		t.Errorf("stats %+v, want every request an error", st)
	}
	if got := rowsByCheck(res)["load error rate"].Actual; !strings.Contains(got, "first: no response: connection refused") {
		t.Errorf("error rate Actual = %q", got)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 95, 10 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 10, 1 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 11, 2 * time.Millisecond},
		{ms(hundred...), 95, 95 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 100, 100 * time.Millisecond},
		{ms(15, 20, 35, 40, 50), 30, 20 * time.Millisecond}, // the textbook example
		{ms(15, 20, 35, 40, 50), 40, 20 * time.Millisecond},
		{ms(15, 20, 35, 40, 50), 50, 35 * time.Millisecond},
	} {
		if got := Percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("Percentile(%v, %v) = %s, want %s", tc.in, tc.p, got, tc.want)
		}
	}
}

func TestPacerSpacesSlotsWithoutCatchUp(t *testing.T) {
	p := &pacer{next: t0, interval: 10 * time.Millisecond}
	// Workers ahead of time get consecutive slots.
	for i := range 3 {
		if got, want := p.reserve(t0), t0.Add(time.Duration(i)*10*time.Millisecond); !got.Equal(want) {
			t.Errorf("slot %d = %s, want %s", i, got, want)
		}
	}
	// Nobody came for 100 ms: the next slot is now, not a burst of missed ones.
	late := t0.Add(100 * time.Millisecond)
	if got := p.reserve(late); !got.Equal(late) {
		t.Errorf("late slot = %s, want now %s", got, late)
	}
	if got := p.reserve(late); !got.Equal(late.Add(10 * time.Millisecond)) {
		t.Errorf("slot after the late one = %s, want 10 ms later", got)
	}
}

func TestMarkdownTable(t *testing.T) {
	res := Result{Rows: []Row{
		{Check: "/health", Expected: "200 within 50 ms", Actual: "200 in 3 ms", Pass: true},
		{Check: "a|b", Expected: "p95 < 500 ms", Actual: "line\nbreak", Pass: false},
		{Check: "empty", Expected: "200", Actual: "", Pass: true},
	}}
	lines := strings.Split(strings.TrimRight(res.Markdown(), "\n"), "\n")
	want := []string{
		"| Check | Expected | Actual | Status |",
		"|-------|----------|--------|--------|",
		"| /health | 200 within 50 ms | 200 in 3 ms | ✅ PASS |",
		`| a\|b | p95 < 500 ms | line break | ❌ FAIL |`,
		"| empty | 200 | – | ✅ PASS |",
		"",
		"**Smoke:** ❌ 1 of 3 checks failed",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Markdown:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range lines[:5] {
		// Every table line has exactly five unescaped pipes.
		if n := strings.Count(l, "|") - strings.Count(l, `\|`); n != 5 {
			t.Errorf("line %q has %d cell separators, want 5", l, n)
		}
	}

	ok := Result{Rows: res.Rows[:1], Pass: true}
	if md := ok.Markdown(); !strings.HasSuffix(md, "**Smoke:** ✅ all 1 checks passed\n") {
		t.Errorf("passing Markdown ends %q", md)
	}
	if md := (Result{}).Markdown(); !strings.Contains(md, "❌ nothing was checked") {
		t.Errorf("empty Markdown = %q, want it to say nothing was checked", md)
	}
}

func TestMarkdownOfARealRun(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	res := mustRun(t, []Check{{URL: s.URL + "/health"}, {URL: s.URL + "/down"}}, nil, nil)
	md := res.Markdown()
	for _, want := range []string{
		"| Check | Expected | Actual | Status |\n",
		"| /health | 200 | 200 in ",
		"| ✅ PASS |\n",
		"| /down | 200 | 502 in ",
		"| ❌ FAIL |\n",
		"**Smoke:** ❌ 1 of 2 checks failed",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestSeedDefaults(t *testing.T) {
	checks, load := SeedDefaults("https://api.example.com/")
	if len(checks) != 1 {
		t.Fatalf("got %d checks, want 1", len(checks))
	}
	want := Check{Name: "/health", URL: "https://api.example.com/health", Method: "GET", ExpectStatus: 200, MaxLatency: 50 * time.Millisecond}
	if checks[0] != want {
		t.Errorf("check = %+v, want %+v", checks[0], want)
	}
	wantLoad := Load{
		URL: "https://api.example.com/health", Concurrency: 50, Duration: 10 * time.Second, Rate: 100,
		P50: 100 * time.Millisecond, P95: 500 * time.Millisecond, P99: time.Second,
		MaxErrorRate: 0.01, MinThroughput: 100,
	}
	if load == nil || *load != wantLoad {
		t.Errorf("load = %+v, want %+v", load, wantLoad)
	}
	for _, c := range checks {
		if err := c.validate(); err != nil {
			t.Errorf("seed check invalid: %v", err)
		}
	}
	if err := load.validate(); err != nil {
		t.Errorf("seed load invalid: %v", err)
	}
	// The seed's rows read like the QA hand-off report.
	rows := loadRows(*load, LoadStats{Requests: 1000, P50: 12 * time.Millisecond, P95: 40 * time.Millisecond, P99: 90 * time.Millisecond, Throughput: 100}, "")
	var exp []string
	for _, r := range rows {
		exp = append(exp, r.Expected)
		if !r.Pass {
			t.Errorf("row %+v failed on good stats", r)
		}
	}
	if got, want := strings.Join(exp, "; "), "50 concurrent, 100 req/s, for 10 s; p50 < 100 ms; p95 < 500 ms; p99 < 1 s; error rate ≤ 1.0%; ≥ 100 req/s"; got != want {
		t.Errorf("seed Expected column = %q, want %q", got, want)
	}
}

func TestLoadRowsEdges(t *testing.T) {
	l := Load{URL: "http://x", Duration: time.Second, P50: time.Second, MaxErrorRate: 0.05, MinThroughput: 10}
	rows := loadRows(l, LoadStats{}, "")
	for _, r := range rows {
		if r.Pass {
			t.Errorf("row %+v passed with no requests", r)
		}
	}
	// Budgets: percentiles strict, error rate and throughput inclusive.
	at := LoadStats{Requests: 100, Errors: 5, ErrorRate: 0.05, P50: time.Second, Throughput: 10}
	m := map[string]bool{}
	for _, r := range loadRows(l, at, "") {
		m[r.Check] = r.Pass
	}
	if m["load p50"] {
		t.Error("p50 equal to its budget passed; the budget is strict (<)")
	}
	if !m["load error rate"] {
		t.Error("error rate equal to the max failed; the max is inclusive (≤)")
	}
	if !m["load throughput"] {
		t.Error("throughput equal to the minimum failed; the minimum is inclusive (≥)")
	}
	// Zero MaxErrorRate tolerates no errors.
	zero := Load{URL: "http://x", Duration: time.Second}
	for _, r := range loadRows(zero, LoadStats{Requests: 100, Errors: 1, ErrorRate: 0.01}, "500") {
		if r.Check == "load error rate" && r.Pass {
			t.Error("one error passed a zero MaxErrorRate")
		}
	}
	if got := loadRows(zero, LoadStats{}, "")[0].Expected; got != "1 concurrent, as fast as possible, for 1 s" {
		t.Errorf("unpaced load Expected = %q", got)
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                         "0 ms",
		400 * time.Microsecond:    "0.4 ms",
		3 * time.Millisecond:      "3 ms",
		50 * time.Millisecond:     "50 ms",
		80*time.Millisecond + 1e5: "80.1 ms",
		100 * time.Millisecond:    "100 ms",
		499600 * time.Microsecond: "500 ms",
		time.Second:               "1 s",
		2500 * time.Millisecond:   "2.5 s",
		10 * time.Second:          "10 s",
		90 * time.Second:          "1m30s",
		10 * time.Minute:          "10 min",
		-2 * time.Second:          "-2 s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
	for f, want := range map[float64]string{
		0: "0.0%", 0.07: "7.0%", 0.05: "5.0%", 0.01: "1.0%", 0.001: "0.1%", 0.0004: "0.04%", 1: "100.0%",
	} {
		if got := FormatPercent(f); got != want {
			t.Errorf("FormatPercent(%v) = %q, want %q", f, got, want)
		}
	}
}
