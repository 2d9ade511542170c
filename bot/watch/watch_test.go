package watch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
)

var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

const (
	errQuery = `sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))`
	latQuery = `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))`
)

// fakeSleep advances clk instead of waiting, and records every wait.
type fakeSleep struct {
	clk   *clock.Fake
	waits []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.waits = append(f.waits, d)
	f.clk.Advance(d)
	return nil
}

// promServer is a fake Prometheus whose answers the test sets.
type promServer struct {
	*httptest.Server
	mu      sync.Mutex
	errRate string // value of the error rate query
	latency string // value of the latency query, seconds
	queries []string
	path    string
}

func newPromServer(t *testing.T, errRate, latency string) *promServer {
	t.Helper()
	p := &promServer{errRate: errRate, latency: latency}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		q := r.URL.Query().Get("query")
		p.queries = append(p.queries, q)
		p.path = r.URL.Path
		v := p.latency
		if q == errQuery {
			v = p.errRate
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1741000000.123,%q]}]}}`, v)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *promServer) source() Prometheus {
	return Prometheus{BaseURL: p.URL, Client: p.Client(), ErrorRateQuery: errQuery, LatencyQuery: latQuery}
}

func (p *promServer) set(errRate, latency string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errRate, p.latency = errRate, latency
}

// The must-show: 7% errors trips the seed trigger on the first sample.
func TestWatchPrometheusErrorRateTripsAtOnce(t *testing.T) {
	p := newPromServer(t, "0.07", "0.2")
	clk := clock.NewFake(t0)
	fs := &fakeSleep{clk: clk}
	out, err := Watch(context.Background(), p.source(), SeedTriggers(), 10*time.Minute, 30*time.Second, clk, fs.sleep)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if !out.Tripped {
		t.Fatalf("7%% errors did not trip: %+v", out)
	}
	if out.Reason != "error rate 7.0% > 5.0%" {
		t.Errorf("Reason = %q, want %q", out.Reason, "error rate 7.0% > 5.0%")
	}
	if len(out.Samples) != 1 || out.Samples[0] != (Sample{ErrorRate: 0.07, Latency: 200 * time.Millisecond}) {
		t.Errorf("Samples = %+v, want the one sample {0.07 200ms}", out.Samples)
	}
	if len(fs.waits) != 0 {
		t.Errorf("slept %v after tripping, want an immediate return", fs.waits)
	}
	for _, want := range []string{
		"| 1 | 09:00:00 | 7.0% | 200 ms | ❌ error rate > 5.0% |",
		"**Verdict:** ❌ rollback trigger tripped: error rate 7.0% > 5.0%",
	} {
		if !strings.Contains(out.Markdown, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, out.Markdown)
		}
	}
}

func TestWatchHealthyWindowDoesNotTrip(t *testing.T) {
	p := newPromServer(t, "0.001", "0.2")
	clk := clock.NewFake(t0)
	fs := &fakeSleep{clk: clk}
	out, err := Watch(context.Background(), p.source(), SeedTriggers(), time.Minute, 10*time.Second, clk, fs.sleep)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if out.Tripped || out.Reason != "" {
		t.Fatalf("healthy service tripped: %q", out.Reason)
	}
	// Samples at 0, 10, …, 60 s: both ends of the window.
	if len(out.Samples) != 7 {
		t.Errorf("got %d samples, want 7 (every 10 s over 1 min, both ends)", len(out.Samples))
	}
	if len(fs.waits) != 6 {
		t.Errorf("slept %d times, want 6", len(fs.waits))
	}
	for _, w := range fs.waits {
		if w != 10*time.Second {
			t.Errorf("slept %s, want 10s", w)
		}
	}
	if got := clk.Now().Sub(t0); got != time.Minute {
		t.Errorf("watch ended %s after the start, want 1m", got)
	}
	for _, s := range out.Samples {
		if s != (Sample{ErrorRate: 0.001, Latency: 200 * time.Millisecond}) {
			t.Errorf("sample %+v, want {0.001 200ms}", s)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.Markdown), "\n")
	if lines[0] != "| # | Time (UTC) | Error rate | Latency | Status |" {
		t.Errorf("header = %q", lines[0])
	}
	if got := len(lines); got != 2+7+2 {
		t.Errorf("Markdown has %d lines, want header, separator, 7 rows, blank, verdict:\n%s", got, out.Markdown)
	}
	if lines[8] != "| 7 | 09:01:00 | 0.1% | 200 ms | ✅ |" {
		t.Errorf("last row = %q", lines[8])
	}
	if want := "**Verdict:** ✅ no rollback trigger tripped in 7 samples over 1 min (triggers: error rate > 5.0% or latency > 2 s)"; lines[len(lines)-1] != want {
		t.Errorf("verdict = %q, want %q", lines[len(lines)-1], want)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queries) != 14 || p.queries[0] != errQuery || p.queries[1] != latQuery {
		t.Errorf("queries = %d, first %q, %q; want 14 alternating error rate, latency", len(p.queries), p.queries[0], p.queries[1])
	}
}

func TestWatchLatencyTrips(t *testing.T) {
	p := newPromServer(t, "0.001", "2.5")
	clk := clock.NewFake(t0)
	fs := &fakeSleep{clk: clk}
	out, err := Watch(context.Background(), p.source(), SeedTriggers(), time.Minute, 10*time.Second, clk, fs.sleep)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if !out.Tripped || out.Reason != "latency 2.5 s > 2 s" {
		t.Errorf("Tripped = %v, Reason = %q, want tripped with %q", out.Tripped, out.Reason, "latency 2.5 s > 2 s")
	}
	if out.Samples[0].Latency != 2500*time.Millisecond {
		t.Errorf("Latency = %s, want 2.5s", out.Samples[0].Latency)
	}
}

func TestWatchTripsLaterInTheWindow(t *testing.T) {
	p := newPromServer(t, "0.001", "0.2")
	clk := clock.NewFake(t0)
	n := 0
	sleep := func(ctx context.Context, d time.Duration) error {
		n++
		if n == 3 {
			p.set("0.2", "3")
		}
		clk.Advance(d)
		return nil
	}
	out, err := Watch(context.Background(), p.source(), SeedTriggers(), time.Hour, time.Minute, clk, sleep)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if !out.Tripped || len(out.Samples) != 4 {
		t.Fatalf("Tripped = %v after %d samples, want tripped on the 4th", out.Tripped, len(out.Samples))
	}
	if want := "error rate 20.0% > 5.0%; latency 3 s > 2 s"; out.Reason != want {
		t.Errorf("Reason = %q, want %q", out.Reason, want)
	}
	if got := clk.Now().Sub(t0); got != 3*time.Minute {
		t.Errorf("stopped %s in, want 3m", got)
	}
}

func TestWatchPrometheusErrorPayloadFails(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}`))
	}))
	defer s.Close()
	src := Prometheus{BaseURL: s.URL, ErrorRateQuery: "sum(rate(x[1m]", LatencyQuery: latQuery}
	_, err := src.Sample(context.Background())
	if err == nil {
		t.Fatal("Sample succeeded on an error payload")
	}
	want := `query prometheus for the error rate "sum(rate(x[1m]": prometheus answered 400 Bad Request: bad_data: 1:5: parse error: unexpected end of input`
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	clk := clock.NewFake(t0)
	fs := &fakeSleep{clk: clk}
	out, err := Watch(context.Background(), src, SeedTriggers(), time.Hour, time.Minute, clk, fs.sleep)
	if err == nil {
		t.Fatalf("Watch passed with a broken query: %+v", out)
	}
	if !strings.Contains(err.Error(), "3 samples in a row failed") || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("Watch error = %q, want it to say 3 samples failed and why", err)
	}
	if out.Tripped || out.Failures != 3 || len(out.Samples) != 0 {
		t.Errorf("Outcome = %+v, want 3 failures, no samples, not tripped", out)
	}
	if got := clk.Now().Sub(t0); got != 2*time.Minute {
		t.Errorf("gave up %s in, want after the third sample at 2m", got)
	}
	for _, want := range []string{
		"| 3 | 09:02:00 | – | – | ⚠️ no sample: query prometheus for the error rate",
		"**Verdict:** ⚠️ watch failed: 3 samples in a row could not be taken",
	} {
		if !strings.Contains(out.Markdown, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, out.Markdown)
		}
	}
}

func promAnswering(t *testing.T, status int, body string) Prometheus {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return Prometheus{BaseURL: s.URL, ErrorRateQuery: errQuery, LatencyQuery: latQuery}
}

func TestPrometheusAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   Sample
		errHas string
	}{
		{"scalar", 200, `{"status":"success","data":{"resultType":"scalar","result":[1741000000,"0.25"]}}`,
			Sample{ErrorRate: 0.25, Latency: 250 * time.Millisecond}, ""},
		{"worst of several series", 200, `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"instance":"a"},"value":[1,"0.01"]},
			{"metric":{"instance":"b"},"value":[1,"NaN"]},
			{"metric":{"instance":"c"},"value":[1,"0.09"]},
			{"metric":{"instance":"d"},"value":[1,"0.02"]}]}}`,
			Sample{ErrorRate: 0.09, Latency: 90 * time.Millisecond}, ""},
		{"+Inf latency", 200, `{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}`,
			Sample{ErrorRate: math.Inf(1), Latency: math.MaxInt64}, ""},
		{"empty vector", 200, `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			Sample{}, `error rate "sum(rate(http_requests_total{code=~\"5..\"}[1m])) / sum(rate(http_requests_total[1m]))": empty result: no series matched the query`},
		{"only NaN", 200, `{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"NaN"]}]}}`,
			Sample{}, "all 1 series are NaN"},
		{"NaN scalar", 200, `{"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}}`,
			Sample{}, "the scalar is NaN"},
		{"matrix", 200, `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
			Sample{}, `result type "matrix" is not supported`},
		{"negative", 200, `{"status":"success","data":{"resultType":"scalar","result":[1,"-1"]}}`,
			Sample{}, "want a fraction of at least 0"},
		{"not a number", 200, `{"status":"success","data":{"resultType":"scalar","result":[1,"lots"]}}`,
			Sample{}, `value "lots" is not a number`},
		{"bad pair", 200, `{"status":"success","data":{"resultType":"vector","result":[{"value":[1]}]}}`,
			Sample{}, "want a [time, value] pair, got 1 elements"},
		{"gateway", 502, `<html>bad gateway</html>`, Sample{}, "prometheus answered 502 Bad Gateway"},
		{"not json", 200, `hello`, Sample{}, "decode the answer"},
		{"server error payload", 503, `{"status":"error","errorType":"unavailable","error":"too many queries"}`,
			Sample{}, "prometheus answered 503 Service Unavailable: unavailable: too many queries"},
		{"odd status", 200, `{"status":"pending"}`, Sample{}, `with status "pending"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := promAnswering(t, tc.status, tc.body).Sample(context.Background())
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("Sample = %+v, %v; want an error containing %q", got, err, tc.errHas)
				}
				if !strings.HasPrefix(err.Error(), "query prometheus for the ") {
					t.Errorf("error %q does not say which query it was", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sample: %v", err)
			}
			if got != tc.want {
				t.Errorf("Sample = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPrometheusRequestShape(t *testing.T) {
	var gotPath, gotQuery, accept string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery, accept = r.URL.Path, r.URL.Query().Get("query"), r.Header.Get("Accept")
		w.Write([]byte(`{"status":"success","data":{"resultType":"scalar","result":[1,"0"]}}`))
	}))
	defer s.Close()
	src := Prometheus{BaseURL: s.URL + "/prom/", ErrorRateQuery: errQuery, LatencyQuery: errQuery}
	if _, err := src.Sample(context.Background()); err != nil {
		t.Fatalf("Sample: %v", err)
	}
	if gotPath != "/prom/api/v1/query" || gotQuery != errQuery || accept != "application/json" {
		t.Errorf("request %q query %q accept %q, want /prom/api/v1/query, the query unchanged, JSON", gotPath, gotQuery, accept)
	}
}

func TestPrometheusConfigErrorsHideCredentials(t *testing.T) {
	for _, tc := range []struct {
		src  Prometheus
		want string
	}{
		{Prometheus{BaseURL: "http://x", ErrorRateQuery: errQuery}, "both an error rate query and a latency query"},
		{Prometheus{ErrorRateQuery: errQuery, LatencyQuery: latQuery}, "no base URL"},
		{Prometheus{BaseURL: "ftp://u:s3cret@x", ErrorRateQuery: errQuery, LatencyQuery: latQuery}, `scheme "ftp"`},
		{Prometheus{BaseURL: "http://u:s3cret@ho st/", ErrorRateQuery: errQuery, LatencyQuery: latQuery}, "does not parse"},
	} {
		_, err := tc.src.Sample(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Sample(%+v) = %v, want an error containing %q", tc.src, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error echoes the password: %v", err)
		}
	}
}

func TestPrometheusUnreachableHidesCredentials(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	src := Prometheus{BaseURL: "http://watcher:s3cret@" + addr, ErrorRateQuery: errQuery, LatencyQuery: latQuery}
	_, err = src.Sample(context.Background())
	if err == nil {
		t.Fatal("Sample succeeded against a closed port")
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "watcher") {
		t.Errorf("error echoes the credentials: %v", err)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q does not say the connection was refused", err)
	}
}

func TestEndpointsErrorRate(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer failing.Close()

	src := Endpoints{URLs: []string{ok.URL + "/health", failing.URL + "/health"}, Requests: 2}
	s, err := src.Sample(context.Background())
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	if s.ErrorRate != 0.5 {
		t.Errorf("ErrorRate = %v, want 0.5 (2 of 4 requests answered 500)", s.ErrorRate)
	}
	if s.Latency < 30*time.Millisecond {
		t.Errorf("Latency = %s, want at least the slow server's 30 ms", s.Latency)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/health"
	l.Close()
	src.URLs = append(src.URLs, refused)
	src.Requests = 1
	s, err = src.Sample(context.Background())
	if err != nil {
		t.Fatalf("Sample with a refused URL: %v", err)
	}
	if want := 2.0 / 3; s.ErrorRate != want {
		t.Errorf("ErrorRate = %v, want 2/3 (one 500, one refused, one ok)", s.ErrorRate)
	}

	// A down service trips the seed trigger rather than failing the watch.
	clk := clock.NewFake(t0)
	out, err := Watch(context.Background(), Endpoints{URLs: []string{refused}}, SeedTriggers(), time.Minute, 10*time.Second, clk, (&fakeSleep{clk: clk}).sleep)
	if err != nil || !out.Tripped || out.Reason != "error rate 100.0% > 5.0%" {
		t.Errorf("watching a refused URL: %+v, %v; want tripped on 100%% errors", out, err)
	}
}

func TestEndpointsLatencyIsP95WithItsClock(t *testing.T) {
	clk := clock.NewFake(t0)
	var mu sync.Mutex
	n := 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		clk.Advance(time.Duration(n) * 100 * time.Millisecond)
		mu.Unlock()
	}))
	defer s.Close()
	got, err := Endpoints{URLs: []string{s.URL}, Clock: clk, Requests: 3}.Sample(context.Background())
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	// Requests took 100, 200 and 300 ms: nearest-rank P95 of 3 is the slowest.
	if got != (Sample{ErrorRate: 0, Latency: 300 * time.Millisecond}) {
		t.Errorf("Sample = %+v, want {0 300ms}", got)
	}
}

func TestEndpointsMalformed(t *testing.T) {
	for _, tc := range []struct {
		e    Endpoints
		want string
	}{
		{Endpoints{}, "no URLs"},
		{Endpoints{URLs: []string{"http://ok", ""}}, "URL 2: URL is empty"},
		{Endpoints{URLs: []string{"file:///etc/passwd"}}, `scheme "file"`},
		{Endpoints{URLs: []string{"http://ok"}, Requests: -1}, "requests -1"},
	} {
		_, err := tc.e.Sample(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sample endpoints: ") {
			t.Errorf("Sample(%+v) = %v, want an error containing %q", tc.e, err, tc.want)
		}
	}
}

// script is a Source that replays samples and errors, one per call.
type script struct {
	steps []any // Sample or error
	calls int
	clk   *clock.Fake
	took  time.Duration // each Sample advances clk by took
}

func (s *script) Sample(ctx context.Context) (Sample, error) {
	if s.clk != nil {
		s.clk.Advance(s.took)
	}
	step := s.steps[min(s.calls, len(s.steps)-1)]
	s.calls++
	if err, ok := step.(error); ok {
		return Sample{}, err
	}
	return step.(Sample), nil
}

var (
	good   = Sample{ErrorRate: 0.01, Latency: 100 * time.Millisecond}
	errBad = Sample{ErrorRate: 0.07, Latency: 100 * time.Millisecond}
	latBad = Sample{ErrorRate: 0.01, Latency: 3 * time.Second}
)

func runScript(t *testing.T, trig Triggers, window, interval time.Duration, steps ...any) (Outcome, error, *script) {
	t.Helper()
	clk := clock.NewFake(t0)
	src := &script{steps: steps}
	out, err := Watch(context.Background(), src, trig, window, interval, clk, (&fakeSleep{clk: clk}).sleep)
	return out, err, src
}

func TestConsecutiveNeedsBreachesInARow(t *testing.T) {
	trig := SeedTriggers()
	trig.Consecutive = 2

	out, err, src := runScript(t, trig, time.Hour, time.Minute, errBad, good, errBad, errBad, good)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if !out.Tripped || src.calls != 4 {
		t.Fatalf("Tripped = %v after %d samples, want tripped on the 4th", out.Tripped, src.calls)
	}
	if out.Reason != "error rate 7.0% > 5.0% (2 samples in a row)" {
		t.Errorf("Reason = %q", out.Reason)
	}
	if !strings.Contains(out.Markdown, "| 1 | 09:00:00 | 7.0% | 100 ms | ❌ error rate > 5.0% |") {
		t.Errorf("the first, lone breach is not marked:\n%s", out.Markdown)
	}

	// Alternating breaches never trip.
	out, err, src = runScript(t, trig, 10*time.Minute, time.Minute, errBad, good)
	if err != nil || out.Tripped || src.calls != 11 {
		t.Errorf("alternating: Tripped = %v, err = %v after %d samples; want 11 samples, not tripped", out.Tripped, err, src.calls)
	}
	if want := "(triggers: error rate > 5.0% or latency > 2 s for 2 samples in a row)"; !strings.Contains(out.Markdown, want) {
		t.Errorf("verdict lacks %q:\n%s", want, out.Markdown)
	}

	// One error-rate breach and then one latency breach are not two in a row.
	out, err, _ = runScript(t, trig, time.Minute, time.Minute, errBad, latBad)
	if err != nil || out.Tripped {
		t.Errorf("mixed breaches: Tripped = %v (%q), err = %v; want not tripped", out.Tripped, out.Reason, err)
	}
	out, _, _ = runScript(t, trig, time.Hour, time.Minute, latBad, latBad)
	if !out.Tripped || out.Reason != "latency 3 s > 2 s (2 samples in a row)" {
		t.Errorf("two latency breaches: %+v", out)
	}

	// Consecutive 1 (and 0, its default) trips on the first breach.
	for _, c := range []int{0, 1} {
		trig.Consecutive = c
		if out, _, src := runScript(t, trig, time.Hour, time.Minute, good, errBad); !out.Tripped || src.calls != 2 {
			t.Errorf("Consecutive %d: Tripped = %v after %d samples, want tripped on the 2nd", c, out.Tripped, src.calls)
		}
	}
}

func TestSampleErrors(t *testing.T) {
	boom := errors.New("prometheus is down")
	trig := SeedTriggers()

	// Two failures in a row are tolerated and shown.
	out, err, src := runScript(t, trig, 4*time.Minute, time.Minute, good, boom, boom, good, good)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if out.Tripped || out.Failures != 2 || len(out.Samples) != 3 || src.calls != 5 {
		t.Errorf("Outcome %+v after %d calls, want 3 samples and 2 failures", out, src.calls)
	}
	if !strings.Contains(out.Markdown, "| 2 | 09:01:00 | – | – | ⚠️ no sample: prometheus is down |") ||
		!strings.Contains(out.Markdown, "; 2 samples could not be taken") {
		t.Errorf("failures not shown:\n%s", out.Markdown)
	}

	// A good sample resets the count: four failures, never three in a row.
	out, err, src = runScript(t, trig, 5*time.Minute, time.Minute, boom, boom, good, boom, boom, good)
	if err != nil || out.Failures != 4 || src.calls != 6 {
		t.Errorf("two failures, a sample, two failures: %+v, %v after %d calls; want 4 failures, no error", out, err, src.calls)
	}

	// Three in a row end the watch with an error wrapping the last one.
	out, err, src = runScript(t, trig, time.Hour, time.Minute, good, boom, boom, boom, good)
	if !errors.Is(err, boom) || src.calls != 4 {
		t.Errorf("err = %v after %d calls, want boom after 4", err, src.calls)
	}
	if out.Markdown == "" || len(out.Samples) != 1 {
		t.Errorf("Outcome on error = %+v, want the sample so far and a table", out)
	}

	// A failure does not break a breach streak, nor does it count as one.
	trig.Consecutive = 2
	out, err, src = runScript(t, trig, time.Hour, time.Minute, errBad, boom, errBad)
	if err != nil || !out.Tripped || src.calls != 3 {
		t.Errorf("breach, failure, breach: %+v, %v after %d calls; want tripped on the 3rd", out, err, src.calls)
	}
	out, _, _ = runScript(t, trig, 5*time.Minute, time.Minute, errBad, boom, good)
	if out.Tripped {
		t.Errorf("breach, failure, then healthy tripped: %q", out.Reason)
	}

	// A window with no successful sample is an error, not a pass.
	out, err, _ = runScript(t, SeedTriggers(), time.Minute, time.Minute, boom)
	if err == nil || !strings.Contains(err.Error(), "none of 2 samples could be taken") || out.Tripped {
		t.Errorf("all failed: %+v, %v; want an error", out, err)
	}
	if !strings.Contains(out.Markdown, "⚠️ watch failed: no sample could be taken") {
		t.Errorf("Markdown:\n%s", out.Markdown)
	}
}

func TestWatchSchedule(t *testing.T) {
	// A window that is not a multiple of the interval: samples at 0, 10, 20 s.
	out, err, src := runScript(t, SeedTriggers(), 25*time.Second, 10*time.Second, good)
	if err != nil || src.calls != 3 || len(out.Samples) != 3 {
		t.Errorf("25 s window every 10 s: %d calls, err %v; want 3", src.calls, err)
	}
	// A zero window takes one sample.
	if _, err, src := runScript(t, SeedTriggers(), 0, time.Second, good); err != nil || src.calls != 1 {
		t.Errorf("zero window: %d calls, err %v; want 1", src.calls, err)
	}

	// Sampling that takes 25 s with a 10 s interval skips the missed times.
	clk := clock.NewFake(t0)
	fs := &fakeSleep{clk: clk}
	src = &script{steps: []any{good}, clk: clk, took: 25 * time.Second}
	out, err = Watch(context.Background(), src, SeedTriggers(), time.Minute, 10*time.Second, clk, fs.sleep)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	// Starts at 0 (ends 25), next at 30 (ends 55), next at 60 (ends 85).
	if src.calls != 3 {
		t.Errorf("slow sampling: %d samples, want 3", src.calls)
	}
	if want := []time.Duration{5 * time.Second, 5 * time.Second}; fmt.Sprint(fs.waits) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", fs.waits, want)
	}
	if !strings.Contains(out.Markdown, "| 2 | 09:00:30 |") || !strings.Contains(out.Markdown, "| 3 | 09:01:00 |") {
		t.Errorf("sample times not on the schedule:\n%s", out.Markdown)
	}
}

func TestWatchCancelled(t *testing.T) {
	clk := clock.NewFake(t0)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	sleep := func(ctx context.Context, d time.Duration) error {
		n++
		if n == 2 {
			cancel()
			return ctx.Err()
		}
		clk.Advance(d)
		return nil
	}
	out, err := Watch(ctx, &script{steps: []any{good}}, SeedTriggers(), time.Hour, time.Minute, clk, sleep)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if out.Tripped || len(out.Samples) != 2 || !strings.Contains(out.Markdown, "⚠️ watch interrupted") {
		t.Errorf("Outcome = %+v, want 2 samples and an interrupted verdict", out)
	}

	// Cancelled while sampling: the error is the context's, not a failed sample.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = Watch(ctx, &script{steps: []any{context.Canceled}}, SeedTriggers(), time.Hour, time.Minute, clk, sleep)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestWatchRealSleep(t *testing.T) {
	// nil clock and sleep: the wall clock and a timer, kept short.
	out, err := Watch(context.Background(), &script{steps: []any{good}}, SeedTriggers(), 40*time.Millisecond, 20*time.Millisecond, nil, nil)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if n := len(out.Samples); n < 2 || n > 3 {
		t.Errorf("%d samples over 40 ms every 20 ms, want 3 (2 if the timer is late)", n)
	}
}

func TestWatchRejectsBadArguments(t *testing.T) {
	src := &script{steps: []any{good}}
	for _, tc := range []struct {
		name     string
		src      Source
		trig     Triggers
		window   time.Duration
		interval time.Duration
		want     string
	}{
		{"no source", nil, SeedTriggers(), time.Minute, time.Second, "no source"},
		{"no triggers", src, Triggers{}, time.Minute, time.Second, "no trigger is set"},
		{"percent", src, Triggers{MaxErrorRate: 5}, time.Minute, time.Second, "max error rate 5 must be a fraction"},
		{"NaN", src, Triggers{MaxErrorRate: math.NaN()}, time.Minute, time.Second, "max error rate NaN"},
		{"negative latency", src, Triggers{MaxLatency: -1}, time.Minute, time.Second, "max latency -1ns is negative"},
		{"negative consecutive", src, Triggers{MaxLatency: 1, Consecutive: -1}, time.Minute, time.Second, "consecutive -1"},
		{"negative window", src, SeedTriggers(), -time.Minute, time.Second, "window -1m0s"},
		{"zero interval", src, SeedTriggers(), time.Minute, 0, "interval 0s must be above 0"},
	} {
		_, err := Watch(context.Background(), tc.src, tc.trig, tc.window, tc.interval, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "watch for rollback triggers: ") {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if src.calls != 0 {
		t.Errorf("sampled %d times with bad arguments", src.calls)
	}
}

func TestTriggersOnlyOneSet(t *testing.T) {
	// Only the latency trigger: any error rate passes.
	out, err, _ := runScript(t, Triggers{MaxLatency: 2 * time.Second}, time.Minute, time.Minute, Sample{ErrorRate: 1})
	if err != nil || out.Tripped {
		t.Errorf("latency-only trigger tripped on errors: %+v, %v", out, err)
	}
	// Breach is strict: exactly at the limit does not trip.
	out, _, _ = runScript(t, SeedTriggers(), time.Minute, time.Minute, Sample{ErrorRate: 0.05, Latency: 2 * time.Second})
	if out.Tripped {
		t.Errorf("values equal to the limits tripped: %q", out.Reason)
	}
}

func TestSeedTriggers(t *testing.T) {
	want := Triggers{MaxErrorRate: 0.05, MaxLatency: 2 * time.Second, Consecutive: 1}
	if got := SeedTriggers(); got != want {
		t.Errorf("SeedTriggers() = %+v, want %+v", got, want)
	}
	if got := SeedTriggers().String(); got != "error rate > 5.0% or latency > 2 s" {
		t.Errorf("String() = %q", got)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	twenty := ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{ms(4), 4 * time.Millisecond},
		{twenty, 19 * time.Millisecond},
		{append(twenty, 21*time.Millisecond), 20 * time.Millisecond},
	} {
		if got := percentile(tc.in, 95); got != tc.want {
			t.Errorf("percentile(%d values, 95) = %s, want %s", len(tc.in), got, tc.want)
		}
	}
}
