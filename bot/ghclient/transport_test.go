package ghclient_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/ghclient"
)

// contentsServer serves one file whose text and ETag the test can change,
// answering 304 to a matching If-None-Match.
type contentsServer struct {
	mu      sync.Mutex
	version int
}

func (s *contentsServer) handle(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/repos/octo/hello/contents/deploy/golive.yml") {
		if strings.HasSuffix(r.URL.Path, "/repos/octo/hello/issues/7") {
			w.Header().Set("ETag", `"issue"`)
		}
		issueHandler(w, r)
		return
	}
	s.mu.Lock()
	v := s.version
	s.mu.Unlock()
	etag := fmt.Sprintf(`"v%d"`, v)
	if r.Header.Get("If-None-Match") == etag {
		w.Header().Set("ETag", etag)
		w.Header().Set("X-RateLimit-Remaining", "4990")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("X-RateLimit-Remaining", "4991")
	text := fmt.Sprintf("environments: [prod]\n# version %d\n", v)
	writeJSON(w, http.StatusOK, map[string]any{
		"type": "file", "encoding": "base64", "name": "golive.yml", "path": "deploy/golive.yml",
		"sha":     fmt.Sprintf("sha%d", v),
		"content": base64.StdEncoding.EncodeToString([]byte(text)),
	})
}

func getFile(t *testing.T, c *github.Client) (string, *github.Response) {
	t.Helper()
	file, _, resp, err := c.Repositories.GetContents(context.Background(), "octo", "hello", "deploy/golive.yml", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil {
		t.Fatalf("get contents: %v", err)
	}
	text, err := file.GetContent()
	if err != nil {
		t.Fatalf("decode contents: %v", err)
	}
	return text, resp
}

func TestContentsReadsAreConditional(t *testing.T) {
	srv := &contentsServer{version: 1}
	h := newHarness(t, srv.handle, nil)
	c := h.installation(t, 42)

	first, resp := getFile(t, c)
	if resp.Header.Get(ghclient.CacheHeader) != "" {
		t.Errorf("first read marked %q", resp.Header.Get(ghclient.CacheHeader))
	}
	second, resp := getFile(t, c)
	if second != first || !strings.Contains(second, "version 1") {
		t.Errorf("second read = %q, want the first %q", second, first)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get(ghclient.CacheHeader) != "hit" {
		t.Errorf("second read: status %d, %s %q; want 200 and a cache hit", resp.StatusCode, ghclient.CacheHeader, resp.Header.Get(ghclient.CacheHeader))
	}
	if resp.Rate.Remaining != 4990 {
		t.Errorf("second read rate remaining = %d, want the 304's 4990", resp.Rate.Remaining)
	}
	reqs := h.fake.requests(http.MethodGet, "/contents/deploy/golive.yml")
	if len(reqs) != 2 {
		t.Fatalf("server saw %d reads, want 2", len(reqs))
	}
	if got := reqs[0].Header.Get("If-None-Match"); got != "" {
		t.Errorf("first read sent If-None-Match %q", got)
	}
	if got := reqs[1].Header.Get("If-None-Match"); got != `"v1"` {
		t.Errorf("second read sent If-None-Match %q, want %q", got, `"v1"`)
	}
	if reqs[1].Query != "ref=main" {
		t.Errorf("second read query = %q", reqs[1].Query)
	}
	if got := h.calls(t, "/repos/{owner}/{repo}/contents/{path}", "GET", "200"); got != 2 {
		t.Errorf("contents calls counted = %v, want 2", got)
	}

	// The file changes: the stale ETag no longer matches and the new text is
	// returned (and cached).
	srv.mu.Lock()
	srv.version = 2
	srv.mu.Unlock()
	third, resp := getFile(t, c)
	if !strings.Contains(third, "version 2") || resp.Header.Get(ghclient.CacheHeader) != "" {
		t.Errorf("after change: %q (cache %q), want fresh version 2", third, resp.Header.Get(ghclient.CacheHeader))
	}
	fourth, resp := getFile(t, c)
	if fourth != third || resp.Header.Get(ghclient.CacheHeader) != "hit" {
		t.Errorf("fourth read = %q (cache %q), want cached version 2", fourth, resp.Header.Get(ghclient.CacheHeader))
	}

	// Another installation never sees installation 42's cache.
	getFile(t, h.installation(t, 43))
	reqs = h.fake.requests(http.MethodGet, "/contents/deploy/golive.yml")
	if got := reqs[len(reqs)-1]; got.Header.Get("If-None-Match") != "" || got.Header.Get("Authorization") != "token tok-43" {
		t.Errorf("installation 43 read sent If-None-Match %q as %q", got.Header.Get("If-None-Match"), got.Header.Get("Authorization"))
	}

	// Only contents reads are conditional.
	for i := 0; i < 2; i++ {
		if _, _, err := c.Issues.Get(context.Background(), "octo", "hello", 7); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range h.fake.requests(http.MethodGet, "/issues/7") {
		if r.Header.Get("If-None-Match") != "" {
			t.Errorf("issue read sent If-None-Match %q", r.Header.Get("If-None-Match"))
		}
	}

	// Forget drops the installation's cached responses.
	h.apps.Forget(42)
	getFile(t, h.installation(t, 42))
	reqs = h.fake.requests(http.MethodGet, "/contents/deploy/golive.yml")
	if got := reqs[len(reqs)-1].Header.Get("If-None-Match"); got != "" {
		t.Errorf("read after Forget sent If-None-Match %q", got)
	}
}

// scripted answers the n-th request to any non-token path with replies[n]
// (the last one repeats).
type scripted struct {
	replies []func(w http.ResponseWriter)
	n       atomic.Int32
}

func (s *scripted) handle(w http.ResponseWriter, r *http.Request) {
	i := int(s.n.Add(1)) - 1
	if i >= len(s.replies) {
		i = len(s.replies) - 1
	}
	s.replies[i](w)
}

func reply(code int, headers map[string]string, body any) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		writeJSON(w, code, body)
	}
}

var (
	okIssue   = reply(http.StatusOK, map[string]string{"X-RateLimit-Remaining": "4999"}, map[string]any{"number": 7, "title": "ship it"})
	okComment = reply(http.StatusCreated, nil, map[string]any{"id": 1, "body": "deploying"})
	resetIn   = func(d time.Duration) string { return strconv.FormatInt(clockStart.Add(d).Unix(), 10) }
)

func getIssue(h *harness, t *testing.T) (*github.Response, error) {
	t.Helper()
	_, resp, err := h.installation(t, 42).Issues.Get(context.Background(), "octo", "hello", 7)
	return resp, err
}

func waitsFor(h *harness, t *testing.T, reason string) float64 {
	t.Helper()
	return h.metricValue(t, "golive_github_rate_limit_waits_total", "reason", reason)
}

func TestRateLimitWaitsThenRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		limited  func(http.ResponseWriter)
		wantWait time.Duration
		reason   string
	}{
		{"429 retry-after", reply(http.StatusTooManyRequests, map[string]string{"Retry-After": "7"}, map[string]any{"message": "slow down"}), 7 * time.Second, "retry_after"},
		{"403 secondary retry-after", reply(http.StatusForbidden, map[string]string{"Retry-After": "12"},
			map[string]any{"message": "You have exceeded a secondary rate limit."}), 12 * time.Second, "retry_after"},
		{"403 primary reset", reply(http.StatusForbidden, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": resetIn(30 * time.Second)},
			map[string]any{"message": "API rate limit exceeded"}), 30 * time.Second, "reset"},
		{"429 reset", reply(http.StatusTooManyRequests, map[string]string{"X-RateLimit-Reset": resetIn(45 * time.Second)}, map[string]any{}), 45 * time.Second, "reset"},
		{"403 secondary no hint", reply(http.StatusForbidden, nil,
			map[string]any{"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}), time.Minute, "secondary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{replies: []func(http.ResponseWriter){tc.limited, okIssue}}
			h := newHarness(t, s.handle, nil)
			if _, err := getIssue(h, t); err != nil {
				t.Fatalf("get issue: %v", err)
			}
			if got := h.sleep.Waits(); !reflect.DeepEqual(got, []time.Duration{tc.wantWait}) {
				t.Errorf("waits = %v, want [%v]", got, tc.wantWait)
			}
			if n := len(h.fake.requests(http.MethodGet, "/issues/7")); n != 2 {
				t.Errorf("attempts = %d, want 2", n)
			}
			if got := waitsFor(h, t, tc.reason); got != 1 {
				t.Errorf("waits{reason=%q} = %v, want 1", tc.reason, got)
			}
			// Metrics count the call once, with its final outcome.
			if got := h.calls(t, "/repos/{owner}/{repo}/issues/{issue_number}", "GET", "200"); got != 1 {
				t.Errorf("calls{200} = %v, want 1", got)
			}
		})
	}
}

func TestRateLimitStopsAtMaxRetries(t *testing.T) {
	s := &scripted{replies: []func(http.ResponseWriter){reply(http.StatusTooManyRequests, map[string]string{"Retry-After": "1"}, map[string]any{"message": "slow down"})}}
	h := newHarness(t, s.handle, func(c *ghclient.Config) { c.MaxRetries = 2 })
	_, err := getIssue(h, t)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("error = %v, want a 429 *github.ErrorResponse", err)
	}
	if !ghclient.IsTransient(err) {
		t.Error("429 not classified transient")
	}
	if n := len(h.fake.requests(http.MethodGet, "/issues/7")); n != 3 {
		t.Errorf("attempts = %d, want 1 + MaxRetries = 3", n)
	}
	if got := h.sleep.Waits(); len(got) != 2 {
		t.Errorf("waits = %v, want 2", got)
	}
}

func TestRateLimitLongerThanMaxWaitIsReturned(t *testing.T) {
	t.Run("secondary", func(t *testing.T) {
		s := &scripted{replies: []func(http.ResponseWriter){reply(http.StatusForbidden, map[string]string{"Retry-After": "120"}, map[string]any{
			"message":           "You have exceeded a secondary rate limit.",
			"documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#secondary-rate-limits",
		}), okIssue}}
		h := newHarness(t, s.handle, func(c *ghclient.Config) { c.MaxWait = time.Minute })
		_, err := getIssue(h, t)
		var abuse *github.AbuseRateLimitError
		if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 2*time.Minute {
			t.Fatalf("error = %#v, want *github.AbuseRateLimitError retrying after 2m", err)
		}
		if !ghclient.IsTransient(err) {
			t.Error("secondary rate limit not classified transient")
		}
		if n := len(h.fake.requests(http.MethodGet, "/issues/7")); n != 1 {
			t.Errorf("attempts = %d, want 1", n)
		}
		if got := h.sleep.Waits(); len(got) != 0 {
			t.Errorf("waited %v", got)
		}
	})
	t.Run("primary", func(t *testing.T) {
		s := &scripted{replies: []func(http.ResponseWriter){reply(http.StatusForbidden,
			map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": resetIn(time.Hour)},
			map[string]any{"message": "API rate limit exceeded"}), okIssue}}
		h := newHarness(t, s.handle, nil)
		_, err := getIssue(h, t)
		var rl *github.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("error = %v, want *github.RateLimitError", err)
		}
		if !ghclient.IsTransient(err) {
			t.Error("primary rate limit not classified transient")
		}
		if n := len(h.fake.requests(http.MethodGet, "/issues/7")); n != 1 {
			t.Errorf("attempts = %d, want 1", n)
		}
		if got := h.sleep.Waits(); len(got) != 0 {
			t.Errorf("waited %v", got)
		}
	})
}

func TestForbiddenIsNotRetried(t *testing.T) {
	s := &scripted{replies: []func(http.ResponseWriter){reply(http.StatusForbidden, map[string]string{"X-RateLimit-Remaining": "4000"},
		map[string]any{"message": "Resource not accessible by integration"}), okIssue}}
	h := newHarness(t, s.handle, nil)
	_, err := getIssue(h, t)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusForbidden {
		t.Fatalf("error = %v, want a 403 *github.ErrorResponse", err)
	}
	if ghclient.IsTransient(err) {
		t.Error("permission 403 classified transient")
	}
	if n := len(h.fake.requests(http.MethodGet, "/issues/7")); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestRateLimitWaitHonoursContext(t *testing.T) {
	s := &scripted{replies: []func(http.ResponseWriter){reply(http.StatusTooManyRequests, map[string]string{"Retry-After": "30"}, map[string]any{}), okIssue}}
	h := newHarness(t, s.handle, func(c *ghclient.Config) { c.Sleep = nil }) // the real, ctx-aware timer
	c := h.installation(t, 42)
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel once the 429 came back, while the client waits out its
	// Retry-After (a fixed delay could cancel before the first attempt on a
	// loaded machine).
	go func() {
		for len(h.fake.requests(http.MethodGet, "/issues/7")) == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(10 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, _, err := c.Issues.Get(ctx, "octo", "hello", 7)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("cancelled wait took %v", elapsed)
	}
	if n := len(h.fake.requests(http.MethodGet, "/issues/7")); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

// bodyTap reads each request body itself, records it and forwards a copy, so
// that a test sees exactly the bytes the retry layer hands to Config.Transport
// (net/http's own transport can rewind in-memory bodies on its own).
type bodyTap struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies map[string][]string // by method and path
}

func (b *bodyTap) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	b.mu.Lock()
	k := req.Method + " " + req.URL.Path
	b.bodies[k] = append(b.bodies[k], string(body))
	b.mu.Unlock()
	fwd := req.Clone(req.Context())
	fwd.Body, fwd.GetBody, fwd.ContentLength = io.NopCloser(bytes.NewReader(body)), nil, int64(len(body))
	return b.next.RoundTrip(fwd)
}

func TestRetriedPostReplaysBody(t *testing.T) {
	s := &scripted{replies: []func(http.ResponseWriter){
		reply(http.StatusTooManyRequests, map[string]string{"Retry-After": "1"}, map[string]any{}),
		reply(http.StatusForbidden, map[string]string{"Retry-After": "2"}, map[string]any{"message": "secondary rate limit"}),
		okComment,
	}}
	tap := &bodyTap{bodies: map[string][]string{}}
	h := newHarness(t, s.handle, func(c *ghclient.Config) {
		tap.next = c.Transport
		c.Transport = tap
	})
	comment, _, err := h.installation(t, 42).Issues.CreateComment(context.Background(), "octo", "hello", 7, &github.IssueComment{Body: github.String("deploying to prod")})
	if err != nil {
		t.Fatalf("create comment: %v", err)
	}
	if comment.GetID() != 1 {
		t.Errorf("comment id = %d", comment.GetID())
	}
	tap.mu.Lock()
	bodies := tap.bodies["POST /repos/octo/hello/issues/7/comments"]
	tap.mu.Unlock()
	if len(bodies) != 3 {
		t.Fatalf("attempts = %d, want 3", len(bodies))
	}
	for i, b := range bodies {
		if !strings.Contains(b, `"body":"deploying to prod"`) || b != bodies[0] {
			t.Errorf("attempt %d body = %q, want %q", i, b, bodies[0])
		}
	}
	if got := h.sleep.Waits(); !reflect.DeepEqual(got, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("waits = %v, want [1s 2s]", got)
	}
}

func TestServerErrorsRetriedOnlyWhenIdempotent(t *testing.T) {
	t.Run("GET recovers", func(t *testing.T) {
		s := &scripted{replies: []func(http.ResponseWriter){
			reply(http.StatusBadGateway, nil, map[string]any{}),
			reply(http.StatusServiceUnavailable, nil, map[string]any{}),
			okIssue,
		}}
		h := newHarness(t, s.handle, nil)
		if _, err := getIssue(h, t); err != nil {
			t.Fatalf("get issue: %v", err)
		}
		if got, want := h.sleep.Waits(), []time.Duration{500 * time.Millisecond, time.Second}; !reflect.DeepEqual(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
		if got := waitsFor(h, t, "server_error"); got != 2 {
			t.Errorf("waits{server_error} = %v, want 2", got)
		}
	})
	t.Run("GET gives up", func(t *testing.T) {
		s := &scripted{replies: []func(http.ResponseWriter){reply(http.StatusGatewayTimeout, nil, map[string]any{})}}
		h := newHarness(t, s.handle, nil)
		_, err := getIssue(h, t)
		if !ghclient.IsTransient(err) {
			t.Errorf("504 error %v not classified transient", err)
		}
		if n := len(h.fake.requests(http.MethodGet, "/issues/7")); n != 1+ghclient.DefaultMaxRetries {
			t.Errorf("attempts = %d, want %d", n, 1+ghclient.DefaultMaxRetries)
		}
		if got := h.calls(t, "/repos/{owner}/{repo}/issues/{issue_number}", "GET", "504"); got != 1 {
			t.Errorf("calls{504} = %v, want 1", got)
		}
	})
	t.Run("POST not retried", func(t *testing.T) {
		s := &scripted{replies: []func(http.ResponseWriter){reply(http.StatusBadGateway, nil, map[string]any{}), okComment}}
		h := newHarness(t, s.handle, nil)
		_, _, err := h.installation(t, 42).Issues.CreateComment(context.Background(), "octo", "hello", 7, &github.IssueComment{Body: github.String("x")})
		var er *github.ErrorResponse
		if !errors.As(err, &er) || er.Response.StatusCode != http.StatusBadGateway {
			t.Fatalf("error = %v, want a 502 *github.ErrorResponse", err)
		}
		if !ghclient.IsTransient(err) {
			t.Error("502 not classified transient")
		}
		if n := len(h.fake.requests(http.MethodPost, "/issues/7/comments")); n != 1 {
			t.Errorf("attempts = %d, want 1", n)
		}
		if got := h.sleep.Waits(); len(got) != 0 {
			t.Errorf("waited %v", got)
		}
	})
}

func TestMetricsLabels(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v3/app":
			w.Header().Set("X-RateLimit-Remaining", "4800")
			writeJSON(w, http.StatusOK, map[string]any{"id": testAppID})
		case "/api/v3/repos/octo/hello/issues/7":
			w.Header().Set("X-RateLimit-Remaining", "4999")
			writeJSON(w, http.StatusOK, map[string]any{"number": 7})
		default:
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		}
	}, func(c *ghclient.Config) { c.BaseURL += "/api/v3/" })
	ctx := context.Background()

	if _, _, err := h.apps.App().Apps.Get(ctx, ""); err != nil {
		t.Fatal(err)
	}
	c := h.installation(t, 42)
	if _, _, err := c.Issues.Get(ctx, "octo", "hello", 7); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Gists.Get(ctx, "abc"); err == nil {
		t.Fatal("unknown route succeeded")
	}

	for _, want := range []struct {
		route, method, code string
	}{
		{"/app", "GET", "200"},
		{"/app/installations/{installation_id}/access_tokens", "POST", "201"},
		{"/repos/{owner}/{repo}/issues/{issue_number}", "GET", "200"},
		{ghclient.OtherRoute, "GET", "404"},
	} {
		if got := h.calls(t, want.route, want.method, want.code); got != 1 {
			t.Errorf("calls%v = %v, want 1", want, got)
		}
	}
	if n := h.seriesCount(t, "golive_github_api_calls_total"); n != 4 {
		t.Errorf("%d call series, want 4", n)
	}
	// The token request carries the App JWT, so its remaining limit (the
	// last App-authenticated response) is recorded as the App's.
	if got := h.metricValue(t, "golive_github_rate_limit_remaining", "installation", "42"); got != 4999 {
		t.Errorf("remaining{42} = %v, want 4999", got)
	}
	if got := h.metricValue(t, "golive_github_rate_limit_remaining", "installation", "app"); got != 4321 {
		t.Errorf("remaining{app} = %v, want the token response's 4321", got)
	}
}

func TestNetworkErrorsAreCountedAndTransient(t *testing.T) {
	h := newHarness(t, nil, func(c *ghclient.Config) {
		c.Transport = roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		})
	})
	_, _, err := h.apps.App().Apps.Get(context.Background(), "")
	if err == nil || !ghclient.IsTransient(err) {
		t.Fatalf("error = %v, want a transient network error", err)
	}
	if got := h.calls(t, "/app", "GET", "error"); got != 1 {
		t.Errorf("calls{error} = %v, want 1", got)
	}
	// A token request that cannot connect is transient too.
	_, err = getIssue(h, t)
	if err == nil || !ghclient.IsTransient(err) {
		t.Fatalf("token error = %v, want transient", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
