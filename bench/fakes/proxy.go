package main

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/bot/ghclient"
)

// FaultConfig makes a proxy fail a share of the requests it forwards. The
// zero value injects nothing.
type FaultConfig struct {
	// Rate is the share of requests that get a fault (0.05: 5 %).
	Rate float64 `json:"rate"`
	// Kinds are drawn from uniformly: "5xx" (a burst of Burst server errors
	// on the route), "429" (with Retry-After), "secondary" (GitHub's
	// secondary-rate-limit 403 with Retry-After; GitHub only), "slow" (the
	// request waits SlowMin…SlowMax before it is forwarded), "reset" (the
	// connection is closed without an answer, before the fake sees the
	// request) and "lost" (the fake handles the request, then the
	// connection is closed without its answer: the caller cannot know
	// whether it took effect).
	Kinds []string `json:"kinds"`
	// Burst is how many consecutive requests to a route a 5xx fault fails
	// (1 when 0).
	Burst int `json:"burst"`
	// RetryAfter is the Retry-After of 429 and secondary faults, in whole
	// seconds (1 when 0).
	RetryAfter int `json:"retry_after"`
	// SlowMin and SlowMax bound the wait of a slow fault (500 ms and 2 s
	// when 0).
	SlowMin Duration `json:"slow_min"`
	SlowMax Duration `json:"slow_max"`
}

// Duration is a time.Duration written as "1.5s" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// entry is one request a proxy answered or forwarded.
type entry struct {
	start, end time.Time
	method     string
	route      string
	sig        uint64 // hash of method, request URI and body: a retry has the same
	status     int    // 0: connection reset
	fault      string
	retryAfter time.Duration
}

// proxy forwards to one fake, recording every request and injecting faults.
type proxy struct {
	name  string
	URL   string
	srv   *http.Server
	rp    *httputil.ReverseProxy
	route func(path string) string

	mu      sync.Mutex
	cfg     FaultConfig
	rng     *rand.Rand
	bursts  map[string]int // route → 5xx answers still to give
	entries []entry
}

func newProxy(name, target string, route func(string) string) (*proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%s proxy: %w", name, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	p := &proxy{name: name, URL: "http://" + ln.Addr().String(), route: route,
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8)), bursts: map[string]int{}}
	p.rp = &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = u.Host },
		Transport: tr,
		ErrorLog:  nil,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				w.WriteHeader(499) // the caller went away (killed) before the fake answered
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: p}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *proxy) Close() { p.srv.Close() }

func (p *proxy) setFaults(cfg FaultConfig) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = cfg
	p.bursts = map[string]int{}
}

// pick decides the fault for one request to route, "" for none.
func (p *proxy) pick(route string) (string, FaultConfig) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cfg := p.cfg
	if n := p.bursts[route]; n > 0 {
		p.bursts[route] = n - 1
		return "5xx", cfg
	}
	if cfg.Rate <= 0 || len(cfg.Kinds) == 0 || p.rng.Float64() >= cfg.Rate {
		return "", cfg
	}
	kind := cfg.Kinds[p.rng.IntN(len(cfg.Kinds))]
	if kind == "secondary" && p.name != "github" {
		kind = "429"
	}
	if kind == "5xx" && cfg.Burst > 1 {
		p.bursts[route] = cfg.Burst - 1
	}
	return kind, cfg
}

func (p *proxy) record(e entry) {
	p.mu.Lock()
	p.entries = append(p.entries, e)
	p.mu.Unlock()
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := fnv.New64a()
	io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\x00")
	h.Write(body)
	e := entry{start: start, method: r.Method, route: p.route(r.URL.Path), sig: h.Sum64()}
	kind, cfg := p.pick(e.route)
	e.fault = kind
	retry := time.Duration(max(cfg.RetryAfter, 1)) * time.Second
	switch kind {
	case "lost":
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		e.status = 0
		e.end = time.Now()
		p.record(e)
		reset(w)
		return
	case "reset":
		e.end = time.Now()
		p.record(e)
		reset(w)
		return
	case "5xx":
		statuses := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		p.mu.Lock()
		e.status = statuses[p.rng.IntN(len(statuses))]
		p.mu.Unlock()
		if p.name == "github" {
			writeJSON(w, e.status, map[string]any{"message": http.StatusText(e.status), "documentation_url": "https://docs.github.com/rest"})
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(e.status)
			fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", e.status, http.StatusText(e.status))
		}
	case "429":
		e.status, e.retryAfter = http.StatusTooManyRequests, retry
		w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)))
		if p.name == "github" {
			writeJSON(w, e.status, map[string]any{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
		} else {
			writeJSON(w, e.status, map[string]any{"ok": false, "error": "ratelimited"})
		}
	case "secondary":
		e.status, e.retryAfter = http.StatusForbidden, retry
		w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)))
		writeJSON(w, e.status, map[string]any{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAULT.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"})
	default:
		if kind == "slow" {
			lo, hi := time.Duration(cfg.SlowMin), time.Duration(cfg.SlowMax)
			if lo <= 0 {
				lo = 500 * time.Millisecond
			}
			if hi < lo {
				hi = max(lo, 2*time.Second)
			}
			p.mu.Lock()
			d := lo + time.Duration(p.rng.Int64N(int64(hi-lo)+1))
			p.mu.Unlock()
			if !sleep(r.Context(), d) {
				e.end = time.Now()
				p.record(e) // the client gave up: nothing was forwarded
				return
			}
		}
		sw := &statusWriter{ResponseWriter: w}
		p.rp.ServeHTTP(sw, r)
		e.status = sw.status
	}
	e.end = time.Now()
	p.record(e)
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// reset closes the client's connection without an answer, with a TCP RST.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func ghRoute(path string) string { return ghclient.RouteTemplate(path) }

func slackRoute(path string) string {
	if m, ok := strings.CutPrefix(path, "/api/"); ok {
		return m
	}
	return path
}

// FaultKind is what a proxy's record says about one kind of fault.
type FaultKind struct {
	Injected int `json:"injected"`
	// Retried counts faults followed by the same request (method, URI and
	// body) again; Early counts those sent again before the fault's
	// Retry-After had passed, EarlyWrites those among requests that are not
	// GETs (whose bodies identify them; a GET may be another caller's
	// identical read).
	Retried     int     `json:"retried"`
	Early       int     `json:"early"`
	EarlyWrites int     `json:"early_writes"`
	MinWaitS    float64 `json:"min_wait_s"` // shortest wait before the same request came again
	MeanWaitS   float64 `json:"mean_wait_s"`
	// The same for requests that are not GETs, whose bodies make a repeat
	// the same caller's retry.
	Writes          int     `json:"writes"`
	WritesRetried   int     `json:"writes_retried"`
	WritesMinWaitS  float64 `json:"writes_min_wait_s"`
	WritesMeanWaitS float64 `json:"writes_mean_wait_s"`
}

// Record is a proxy's record: calls per route and status, and the faults.
type Record struct {
	Requests int                       `json:"requests"`
	Calls    map[string]map[string]int `json:"calls"` // "METHOD route" → status → count ("reset" for none)
	Faults   map[string]*FaultKind     `json:"faults"`
	// Attempts is how many times requests were sent in a row while the
	// earlier ones failed (a fault or a 5xx), by count; MaxAttempts the
	// longest such chain.
	Attempts    map[string]int `json:"attempts"`
	MaxAttempts int            `json:"max_attempts"`
}

func (p *proxy) snapshot() Record {
	p.mu.Lock()
	es := slices.Clone(p.entries)
	p.mu.Unlock()
	sort.SliceStable(es, func(i, j int) bool { return es[i].start.Before(es[j].start) })
	rec := Record{Requests: len(es), Calls: map[string]map[string]int{}, Faults: map[string]*FaultKind{}, Attempts: map[string]int{}}
	bySig := map[uint64][]int{}
	for i, e := range es {
		k := e.method + " " + e.route
		if rec.Calls[k] == nil {
			rec.Calls[k] = map[string]int{}
		}
		st := "reset"
		if e.fault == "lost" {
			st = "lost"
		}
		if e.status != 0 {
			st = strconv.Itoa(e.status)
		}
		if e.fault == "slow" && e.status == 0 {
			st = "abandoned"
		}
		rec.Calls[k][st]++
		bySig[e.sig] = append(bySig[e.sig], i)
	}
	waits, writeWaits := map[string][]time.Duration{}, map[string][]time.Duration{}
	for _, idx := range bySig {
		chain := 1
		for n, i := range idx {
			e := es[i]
			failed := e.fault != "" && e.fault != "slow" || e.status >= 500 || e.status == 0
			if e.fault != "" {
				fk := rec.Faults[e.fault]
				if fk == nil {
					fk = &FaultKind{}
					rec.Faults[e.fault] = fk
				}
				fk.Injected++
				write := e.method != http.MethodGet
				if write {
					fk.Writes++
				}
				if n+1 < len(idx) && e.fault != "slow" {
					next := es[idx[n+1]]
					if gap := max(next.start.Sub(e.end), 0); gap < 10*time.Minute {
						fk.Retried++
						waits[e.fault] = append(waits[e.fault], gap)
						if write {
							fk.WritesRetried++
							writeWaits[e.fault] = append(writeWaits[e.fault], gap)
						}
						if e.retryAfter > 0 && gap < e.retryAfter-100*time.Millisecond {
							fk.Early++
							if e.method != http.MethodGet {
								fk.EarlyWrites++
							}
						}
					}
				}
			}
			if failed && n+1 < len(idx) && es[idx[n+1]].start.Sub(e.end) < 10*time.Minute {
				chain++
				continue
			}
			if chain > 1 {
				rec.Attempts[strconv.Itoa(chain)]++
				rec.MaxAttempts = max(rec.MaxAttempts, chain)
			}
			chain = 1
		}
	}
	stats := func(ws []time.Duration) (minS, meanS float64) {
		var sum time.Duration
		minW := ws[0]
		for _, w := range ws {
			sum += w
			minW = min(minW, w)
		}
		return minW.Seconds(), (sum / time.Duration(len(ws))).Seconds()
	}
	for kind, ws := range waits {
		fk := rec.Faults[kind]
		fk.MinWaitS, fk.MeanWaitS = stats(ws)
	}
	for kind, ws := range writeWaits {
		fk := rec.Faults[kind]
		fk.WritesMinWaitS, fk.WritesMeanWaitS = stats(ws)
	}
	return rec
}
