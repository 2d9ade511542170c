package ghclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/metrics"
)

// Labels and reasons reported in metrics.
const (
	appLabel = "app" // installation label for calls authenticated by the App JWT

	reasonRetryAfter  = "retry_after"  // waited for a Retry-After header
	reasonReset       = "reset"        // waited until X-RateLimit-Reset
	reasonSecondary   = "secondary"    // secondary limit with no hint; waited secondaryWait
	reasonServerError = "server_error" // backed off after 502/503/504
)

const (
	// secondaryWait is how long to wait after a secondary rate limit that
	// names no time; GitHub asks for at least a minute.
	secondaryWait = time.Minute
	// serverErrorBackoff is the first wait after a 502/503/504; it doubles on
	// each retry up to serverErrorMaxBackoff.
	serverErrorBackoff    = 500 * time.Millisecond
	serverErrorMaxBackoff = 8 * time.Second
	// peekLimit bounds how much of a 403 body is read to recognise a
	// secondary rate limit, and how much of a discarded body is drained.
	peekLimit = 64 << 10
)

// endpoint locates the API root that every client of an *Apps talks to.
type endpoint struct {
	host     string // host[:port] of the base URL
	basePath string // escaped base path without its trailing "/", e.g. "" or "/api/v3"
}

// route returns the route template of u, or OtherRoute when u is not under
// the API root.
func (e endpoint) route(u *url.URL) string {
	if u.Host != e.host {
		return OtherRoute
	}
	p := u.EscapedPath()
	if e.basePath != "" {
		if !strings.HasPrefix(p, e.basePath+"/") {
			return OtherRoute
		}
		p = p[len(e.basePath):]
	}
	return RouteTemplate(p)
}

// requestLabel is the installation label of req on a chain labelled label:
// calls carrying the App JWT (including installation token requests) are
// accounted to the App.
func requestLabel(req *http.Request, label string) string {
	if strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
		return appLabel
	}
	return label
}

// metricsTransport counts each call by route template, method and final
// status code ("error" when no response arrived), and records the remaining
// rate limit reported by GitHub.
type metricsTransport struct {
	next  http.RoundTripper
	m     *metrics.Metrics
	ep    endpoint
	label string
}

func (t *metricsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	label := requestLabel(req, t.label)
	route := t.ep.route(req.URL)
	method := req.Method
	resp, err := t.next.RoundTrip(req)
	if t.m == nil {
		return resp, err
	}
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
		if n, perr := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining")); perr == nil {
			t.m.GitHubRateLimitRemaining.WithLabelValues(label).Set(float64(n))
		}
	}
	t.m.GitHubCalls.WithLabelValues(route, method, code).Inc()
	return resp, err
}

// retryTransport waits out GitHub rate limits and retries transient server
// errors of idempotent calls. See Config for the limits it obeys.
type retryTransport struct {
	next       http.RoundTripper
	m          *metrics.Metrics
	clock      clock.Clock
	sleep      func(context.Context, time.Duration) error
	maxWait    time.Duration
	maxRetries int
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	idempotent := isIdempotent(req.Method)
	r := req
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(r)
		if err != nil || attempt >= t.maxRetries {
			return resp, err
		}
		wait, reason, retry := t.decide(resp, idempotent, attempt)
		if !retry || wait > t.maxWait {
			return resp, nil
		}
		next, ok := rewind(req)
		if !ok {
			return resp, nil
		}
		discard(resp)
		if t.m != nil {
			t.m.GitHubRateLimitWaits.WithLabelValues(reason).Inc()
		}
		if err := t.sleep(req.Context(), wait); err != nil {
			closeBody(next)
			return nil, fmt.Errorf("wait %s before retrying %s %q: %w", wait, req.Method, req.URL.Path, err)
		}
		r = next
	}
}

// decide says whether resp should be retried, after how long, and why.
func (t *retryTransport) decide(resp *http.Response, idempotent bool, attempt int) (time.Duration, string, bool) {
	now := t.clock.Now()
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests || code == http.StatusForbidden:
		secondary := code == http.StatusTooManyRequests
		if code == http.StatusForbidden {
			secondary = isSecondaryLimit(resp)
			if !secondary && resp.Header.Get("X-RateLimit-Remaining") != "0" {
				return 0, "", false // an ordinary permission error
			}
		}
		if d, ok := retryAfter(resp.Header, now); ok {
			return d, reasonRetryAfter, true
		}
		if d, ok := untilReset(resp.Header, now); ok {
			return d, reasonReset, true
		}
		if secondary {
			return secondaryWait, reasonSecondary, true
		}
		return 0, "", false
	case idempotent && (code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout):
		d := serverErrorBackoff << attempt
		if d > serverErrorMaxBackoff || d <= 0 {
			d = serverErrorMaxBackoff
		}
		if ra, ok := retryAfter(resp.Header, now); ok && ra > d {
			d = ra
		}
		return d, reasonServerError, true
	}
	return 0, "", false
}

// isSecondaryLimit reports whether a 403 response is a secondary (abuse) rate
// limit: it carries Retry-After or its message says so. The body stays
// readable by the caller.
func isSecondaryLimit(resp *http.Response) bool {
	if resp.Header.Get("Retry-After") != "" {
		return true
	}
	msg := strings.ToLower(string(peekBody(resp)))
	return strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse detection")
}

// retryAfter parses Retry-After as delay seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			secs = 0
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// untilReset is the time from now until X-RateLimit-Reset (epoch seconds).
func untilReset(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("X-RateLimit-Reset"))
	if v == "" {
		return 0, false
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false
	}
	return max(time.Unix(secs, 0).Sub(now), 0), true
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// rewind returns a copy of req that can be sent again, with a fresh body from
// req.GetBody. It reports false when the body cannot be replayed.
func rewind(req *http.Request) (*http.Request, bool) {
	r := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return r, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	r.Body = body
	return r, true
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// peekBody returns up to peekLimit bytes of resp's body and leaves the whole
// body readable from the start.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = &prefixedBody{Reader: io.MultiReader(bytes.NewReader(head), errReader{err}, resp.Body), Closer: resp.Body}
	return head
}

type prefixedBody struct {
	io.Reader
	io.Closer
}

// errReader yields err (if any) once the peeked prefix is exhausted.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}

// discard drains a little of resp's body, so the connection can be reused,
// and closes it.
func discard(resp *http.Response) {
	if resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, peekLimit))
	resp.Body.Close()
}
