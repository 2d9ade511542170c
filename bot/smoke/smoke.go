// Package smoke runs a go-live's smoke checks and a short load test against a
// deployed service, and reports both as the "Check | Expected | Actual |
// Status" table of the go-live QA hand-off report.
//
// A smoke check is one request: it passes when the answer has the expected
// status within the latency budget. A load test sends requests from several
// workers for a fixed window, optionally paced to a target rate, and judges
// the nearest-rank P50/P95/P99 latencies, the error rate and the throughput
// against budgets.
//
// Everything that decides something reads time from a clock.Clock. The load
// window and the pacing compare clock readings, so a load test needs a clock
// that moves (clock.System in production); checks work with any clock, and a
// clock.Fake that the test server advances gives exact latencies.
//
// Nothing here echoes a check's URL: rows name checks by their path, and
// transport failures are described by what went wrong ("connection refused",
// "timed out"), never by the URL, which may carry credentials or tokens.
package smoke

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golive-dev/golive/bot/clock"
)

// DefaultTimeout bounds each request when Run is given a nil client.
const DefaultTimeout = 10 * time.Second

// maxBody is how much of a response body is read (and thrown away) so that
// the latency covers the whole answer and connections can be reused.
const maxBody = 1 << 20

// Check is one smoke check: a single request that must answer ExpectStatus
// within MaxLatency.
type Check struct {
	// Name labels the row; empty means the URL's path (with the method
	// when it is not GET), never the full URL.
	Name string
	// URL is the http or https URL to request.
	URL string
	// Method is the request method; empty means GET.
	Method string
	// ExpectStatus is the status the check wants; 0 means 200.
	ExpectStatus int
	// MaxLatency is the latency budget (inclusive: "within 50 ms"), measured
	// from sending the request to reading the whole body; 0 means none.
	MaxLatency time.Duration
}

// Load is a load test: Concurrency workers send GET requests to URL for
// Duration, paced together to Rate requests per second.
type Load struct {
	// URL is the http or https URL every request goes to.
	URL string
	// Concurrency is the number of workers, and so the most requests in
	// flight at once; 0 means 1.
	Concurrency int
	// Duration is the length of the window in which requests are started.
	// Requests started in the window run to completion and count.
	Duration time.Duration
	// Rate is the target number of requests per second across all workers,
	// held by a shared scheduler without bursts: a worker that is late for
	// its slot does not make up for it later. 0 means as fast as the
	// workers can go.
	Rate float64
	// P50, P95 and P99 are strict latency budgets ("p95 < 500 ms") for the
	// nearest-rank percentiles over all requests; 0 means none.
	P50, P95, P99 time.Duration
	// MaxErrorRate is the largest tolerated fraction (0.01 = 1%) of requests
	// that failed in transport or answered a status outside 200–299. The
	// zero value tolerates no errors at all.
	MaxErrorRate float64
	// MinThroughput is the lowest acceptable throughput in requests per
	// second (see LoadStats.Throughput); 0 means none.
	MinThroughput float64
}

// Row is one line of the report table.
type Row struct {
	Check, Expected, Actual string
	Pass                    bool
}

// Result is the outcome of Run: one row per check, then the load rows.
type Result struct {
	Rows []Row
	// Pass is true when every row passed.
	Pass bool
	// LoadStats is set when a load test ran.
	LoadStats *LoadStats
}

// LoadStats summarises a load test.
type LoadStats struct {
	// Requests counts the requests started in the window; Errors those of
	// them that failed in transport or answered outside 200–299.
	Requests, Errors int
	// P50, P95 and P99 are nearest-rank percentiles of the latencies of all
	// requests, failed ones included.
	P50, P95, P99 time.Duration
	// Throughput is Requests divided by the window's length, in requests
	// per second. Workers wait for each answer before they start another
	// request, so a slow service lowers it.
	Throughput float64
	// ErrorRate is Errors/Requests (0 when there were no requests).
	ErrorRate float64
}

// SeedDefaults returns the checks and load test of the go-live QA hand-off
// report for the service at baseURL:
//
//   - /health answers 200 within 50 ms ("Health Check Response <50ms"). The
//     report's /api/v1/health endpoints belong to one application, so they
//     are left for the caller to add.
//   - A load test of /health, the one endpoint every service has: 50
//     concurrent users paced to 100 requests per second, with P50 < 100 ms,
//     P95 < 500 ms, P99 < 1 s, at least 100 requests per second, and an
//     error rate of at most 1% (the operations checklist's "high error rates
//     (>1%)" alert).
//   - The load test runs for 10 s: about 1000 requests, so that P99 is the
//     10th-slowest request rather than the single slowest one, while a CI
//     step stays short.
func SeedDefaults(baseURL string) ([]Check, *Load) {
	base := strings.TrimRight(baseURL, "/")
	checks := []Check{{
		Name:         "/health",
		URL:          base + "/health",
		Method:       http.MethodGet,
		ExpectStatus: http.StatusOK,
		MaxLatency:   50 * time.Millisecond,
	}}
	load := &Load{
		URL:           base + "/health",
		Concurrency:   50,
		Duration:      10 * time.Second,
		Rate:          100,
		P50:           100 * time.Millisecond,
		P95:           500 * time.Millisecond,
		P99:           time.Second,
		MaxErrorRate:  0.01,
		MinThroughput: 100,
	}
	return checks, load
}

// Run runs checks one after the other, then the load test if load is not
// nil, and reports every budget as a row. A nil client means one with a
// DefaultTimeout timeout; a nil clk means clock.System. The load test's
// window and pacing read clk, so with a load test clk must be a clock that
// moves on its own.
//
// A failed check is a failed row, not an error: Run returns an error only
// when a check or the load test is malformed (then nothing is requested),
// when there is nothing to run, or when ctx ends before the run does.
func Run(ctx context.Context, client *http.Client, checks []Check, load *Load, clk clock.Clock) (Result, error) {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	if clk == nil {
		clk = clock.System{}
	}
	if len(checks) == 0 && load == nil {
		return Result{}, errors.New("run smoke checks: no checks and no load test given")
	}
	for i, c := range checks {
		if err := c.validate(); err != nil {
			return Result{}, fmt.Errorf("run smoke checks: check %d %q: %w", i+1, c.name(), err)
		}
	}
	if load != nil {
		if err := load.validate(); err != nil {
			return Result{}, fmt.Errorf("run smoke checks: load test: %w", err)
		}
	}

	var res Result
	for _, c := range checks {
		row, err := runCheck(ctx, client, clk, c)
		if err != nil {
			return Result{}, fmt.Errorf("run smoke checks: check %q: %w", c.name(), err)
		}
		res.Rows = append(res.Rows, row)
	}
	if load != nil {
		stats, firstErr, err := runLoad(ctx, client, clk, *load)
		if err != nil {
			return Result{}, fmt.Errorf("run smoke checks: load test: %w", err)
		}
		res.LoadStats = &stats
		res.Rows = append(res.Rows, loadRows(*load, stats, firstErr)...)
	}
	res.Pass = true
	for _, r := range res.Rows {
		res.Pass = res.Pass && r.Pass
	}
	return res, nil
}

func (c Check) method() string {
	if c.Method == "" {
		return http.MethodGet
	}
	return c.Method
}

func (c Check) expectStatus() int {
	if c.ExpectStatus == 0 {
		return http.StatusOK
	}
	return c.ExpectStatus
}

// name is the row label: Name, or the URL's path, never the whole URL.
func (c Check) name() string {
	if c.Name != "" {
		return c.Name
	}
	p := "/"
	if u, err := url.Parse(c.URL); err == nil && u.Path != "" {
		p = u.Path
	}
	if m := c.method(); m != http.MethodGet {
		return m + " " + p
	}
	return p
}

func (c Check) validate() error {
	if err := validateURL(c.URL); err != nil {
		return err
	}
	if _, err := http.NewRequest(c.method(), "http://localhost/", nil); err != nil {
		return fmt.Errorf("method %q is not a valid HTTP method", c.Method)
	}
	if s := c.expectStatus(); s < 100 || s > 599 {
		return fmt.Errorf("expected status %d is not an HTTP status (100–599)", s)
	}
	if c.MaxLatency < 0 {
		return fmt.Errorf("latency budget %s is negative", c.MaxLatency)
	}
	return nil
}

func (l Load) validate() error {
	if err := validateURL(l.URL); err != nil {
		return err
	}
	if l.Concurrency < 0 {
		return fmt.Errorf("concurrency %d is negative", l.Concurrency)
	}
	if l.Duration <= 0 {
		return fmt.Errorf("duration %s must be above 0", l.Duration)
	}
	if math.IsNaN(l.Rate) || math.IsInf(l.Rate, 0) || l.Rate < 0 {
		return fmt.Errorf("rate %v must be a number of requests per second, at least 0", l.Rate)
	}
	for _, b := range []struct {
		name string
		d    time.Duration
	}{{"p50", l.P50}, {"p95", l.P95}, {"p99", l.P99}} {
		if b.d < 0 {
			return fmt.Errorf("%s budget %s is negative", b.name, b.d)
		}
	}
	if math.IsNaN(l.MaxErrorRate) || l.MaxErrorRate < 0 || l.MaxErrorRate > 1 {
		return fmt.Errorf("max error rate %v must be a fraction from 0 to 1 (0.01 for 1%%)", l.MaxErrorRate)
	}
	if math.IsNaN(l.MinThroughput) || math.IsInf(l.MinThroughput, 0) || l.MinThroughput < 0 {
		return fmt.Errorf("min throughput %v must be a number of requests per second, at least 0", l.MinThroughput)
	}
	return nil
}

// validateURL accepts absolute http(s) URLs. Its errors never repeat the
// URL, which may carry credentials.
func validateURL(raw string) error {
	if raw == "" {
		return errors.New("URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("URL does not parse: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}

// answer is what one request got.
type answer struct {
	status  int           // 0 when err is set
	latency time.Duration // until the whole body was read, or the failure
	err     error         // transport failure
}

func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status <= 299 }

// describe says what happened, without the URL.
func (a answer) describe() string {
	if a.err != nil {
		return "no response: " + describeErr(a.err)
	}
	return statusText(a.status)
}

func request(ctx context.Context, client *http.Client, clk clock.Clock, method, target string) answer {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("User-Agent", "golive-smoke")
	start := clk.Now()
	resp, err := client.Do(req)
	if err != nil {
		return answer{latency: clk.Now().Sub(start), err: err}
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	lat := clk.Now().Sub(start)
	if err != nil {
		return answer{latency: lat, err: fmt.Errorf("read the body: %w", err)}
	}
	return answer{status: resp.StatusCode, latency: lat}
}

func runCheck(ctx context.Context, client *http.Client, clk clock.Clock, c Check) (Row, error) {
	want := c.expectStatus()
	row := Row{Check: c.name(), Expected: strconv.Itoa(want)}
	if c.MaxLatency > 0 {
		row.Expected += " within " + FormatDuration(c.MaxLatency)
	}
	a := request(ctx, client, clk, c.method(), c.URL)
	if err := ctx.Err(); err != nil {
		return Row{}, err
	}
	if a.err != nil {
		row.Actual = a.describe()
		return row, nil
	}
	row.Actual = fmt.Sprintf("%d in %s", a.status, FormatDuration(a.latency))
	row.Pass = a.status == want && (c.MaxLatency == 0 || a.latency <= c.MaxLatency)
	return row, nil
}

// pacer hands out request start times interval apart, shared by all
// workers. It keeps no credit: when nobody took a slot in time, the next
// slot is now, so a stalled service is not made up for by a burst.
type pacer struct {
	mu       sync.Mutex
	next     time.Time
	interval time.Duration
}

func (p *pacer) reserve(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(p.interval)
	return at
}

// runLoad runs l and returns its stats and a description of the first
// failed request ("" when none failed).
func runLoad(ctx context.Context, client *http.Client, clk clock.Clock, l Load) (LoadStats, string, error) {
	workers := max(l.Concurrency, 1)
	start := clk.Now()
	end := start.Add(l.Duration)
	var p *pacer
	if l.Rate > 0 {
		if iv := time.Duration(float64(time.Second) / l.Rate); iv > 0 {
			p = &pacer{next: start, interval: iv}
		}
	}

	answers := make([][]answer, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				now := clk.Now()
				if !now.Before(end) {
					return
				}
				if p != nil {
					at := p.reserve(now)
					if !at.Before(end) {
						return
					}
					if d := at.Sub(now); d > 0 {
						if clock.Sleep(ctx, d) != nil {
							return
						}
					}
				}
				answers[w] = append(answers[w], request(ctx, client, clk, http.MethodGet, l.URL))
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return LoadStats{}, "", err
	}

	all := slices.Concat(answers...)
	var stats LoadStats
	var firstErr string
	lat := make([]time.Duration, 0, len(all))
	for _, a := range all {
		lat = append(lat, a.latency)
		if !a.ok() {
			stats.Errors++
			if firstErr == "" {
				firstErr = a.describe()
			}
		}
	}
	slices.Sort(lat)
	stats.Requests = len(all)
	stats.P50 = Percentile(lat, 50)
	stats.P95 = Percentile(lat, 95)
	stats.P99 = Percentile(lat, 99)
	stats.Throughput = float64(stats.Requests) / l.Duration.Seconds()
	if stats.Requests > 0 {
		stats.ErrorRate = float64(stats.Errors) / float64(stats.Requests)
	}
	return stats, firstErr, nil
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted: the smallest value that at least p% of the values are at or
// below. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func loadRows(l Load, s LoadStats, firstErr string) []Row {
	workers := max(l.Concurrency, 1)
	pace := "as fast as possible"
	if l.Rate > 0 {
		pace = formatRate(l.Rate)
	}
	rows := []Row{{
		Check:    "load",
		Expected: fmt.Sprintf("%d concurrent, %s, for %s", workers, pace, FormatDuration(l.Duration)),
		Actual:   fmt.Sprintf("%d requests, %d concurrent", s.Requests, workers),
		Pass:     s.Requests > 0,
	}}
	if s.Requests == 0 {
		rows[0].Actual = "no requests were made"
	}
	for _, b := range []struct {
		name         string
		budget, have time.Duration
	}{{"p50", l.P50, s.P50}, {"p95", l.P95, s.P95}, {"p99", l.P99, s.P99}} {
		if b.budget == 0 {
			continue
		}
		r := Row{
			Check:    "load " + b.name,
			Expected: b.name + " < " + FormatDuration(b.budget),
			Actual:   b.name + " " + FormatDuration(b.have),
			Pass:     s.Requests > 0 && b.have < b.budget,
		}
		if s.Requests == 0 {
			r.Actual = "no requests"
		}
		rows = append(rows, r)
	}
	er := Row{
		Check:    "load error rate",
		Expected: "error rate ≤ " + FormatPercent(l.MaxErrorRate),
		Actual:   fmt.Sprintf("%s (%d of %d)", FormatPercent(s.ErrorRate), s.Errors, s.Requests),
		Pass:     s.Requests > 0 && s.ErrorRate <= l.MaxErrorRate,
	}
	if firstErr != "" {
		er.Actual = fmt.Sprintf("%s (%d of %d, first: %s)", FormatPercent(s.ErrorRate), s.Errors, s.Requests, firstErr)
	}
	rows = append(rows, er)
	if l.MinThroughput > 0 {
		rows = append(rows, Row{
			Check:    "load throughput",
			Expected: "≥ " + formatRate(l.MinThroughput),
			Actual:   formatRate(s.Throughput),
			Pass:     s.Throughput >= l.MinThroughput,
		})
	}
	return rows
}

// Markdown renders r as a GitHub-flavoured Markdown table with a ✅ PASS or
// ❌ FAIL status per row, followed by a one-line verdict.
func (r Result) Markdown() string {
	var b strings.Builder
	b.WriteString("| Check | Expected | Actual | Status |\n")
	b.WriteString("|-------|----------|--------|--------|\n")
	failed := 0
	for _, row := range r.Rows {
		status := "✅ PASS"
		if !row.Pass {
			status = "❌ FAIL"
			failed++
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(row.Check), cell(row.Expected), cell(row.Actual), status)
	}
	b.WriteString("\n")
	switch {
	case len(r.Rows) == 0:
		b.WriteString("**Smoke:** ❌ nothing was checked\n")
	case failed == 0:
		fmt.Fprintf(&b, "**Smoke:** ✅ all %d checks passed\n", len(r.Rows))
	default:
		fmt.Fprintf(&b, "**Smoke:** ❌ %d of %d checks failed\n", failed, len(r.Rows))
	}
	return b.String()
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return "–"
	}
	return s
}

// FormatDuration writes d the way the go-live report does: "80 ms",
// "3.2 ms", "1 s", "2.5 s"; whole minutes as "10 min", other spans of a
// minute or more as "1m30s".
func FormatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + FormatDuration(-d)
	case d == 0:
		return "0 ms"
	case d < 100*time.Millisecond:
		return trimFloat(float64(d)/float64(time.Millisecond), 1) + " ms"
	case d < time.Second:
		return strconv.FormatInt(int64((d+time.Millisecond/2)/time.Millisecond), 10) + " ms"
	case d < time.Minute:
		return trimFloat(d.Seconds(), 2) + " s"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	default:
		return d.Round(time.Second).String()
	}
}

// FormatPercent writes the fraction f as a percentage with one decimal
// ("7.0%"), with more precision for small non-zero values ("0.04%").
func FormatPercent(f float64) string {
	p := f * 100
	if p != 0 && math.Abs(p) < 0.05 {
		return strconv.FormatFloat(p, 'g', 1, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

func formatRate(r float64) string {
	return trimFloat(r, 1) + " req/s"
}

// trimFloat formats f with at most prec decimals and no trailing zeros.
func trimFloat(f float64, prec int) string {
	s := strconv.FormatFloat(f, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// describeErr says what went wrong with a request without repeating its
// URL, which may carry credentials.
func describeErr(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "host not found"
		}
		return "DNS lookup failed"
	case errors.As(err, &certErr):
		return "TLS certificate not trusted"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
