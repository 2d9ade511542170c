package fakegithub

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Fault makes matching requests fail the way GitHub sometimes does. A
// faulted request is still spec-checked (and its violation recorded) and
// recorded as a Call with the status actually sent.
//
// The kinds combine: Latency delays the answer and then, unless another kind
// is set, the request is answered normally.
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Route matches the spec path template, such as
	// "/repos/{owner}/{repo}/issues/{issue_number}/comments"; "" matches any.
	Route string
	// Times is how many matching requests the fault applies to; zero or less
	// means every matching request until ClearFaults.
	Times int
	// Status answers with this status (500, 502, 503...) and a GitHub error
	// body.
	Status int
	// RetryAfter sends a Retry-After header of this many seconds, with status
	// 429 unless Status or Secondary says otherwise.
	RetryAfter time.Duration
	// Secondary answers 403 with GitHub's secondary-rate-limit message and
	// documentation URL and a Retry-After header (RetryAfter, or 60 s).
	Secondary bool
	// PrimaryExhausted answers 403 with X-RateLimit-Remaining: 0 and
	// X-RateLimit-Reset at the end of the caller's rate-limit window (or
	// RetryAfter from now, when set), as GitHub does when the hourly budget
	// is spent.
	PrimaryExhausted bool
	// Latency delays the answer by this much wall time.
	Latency time.Duration
	// ResetConnection closes the connection without answering.
	ResetConnection bool
}

type faultState struct {
	Fault
	left int // remaining applications; <0 for unlimited
}

// Inject adds a fault. Faults are tried in the order injected; the first
// matching one with applications left shapes the answer.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.faults = append(s.faults, &faultState{Fault: f, left: left})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault consumes one application of the first fault matching the
// request, if any.
func (s *Server) takeFault(method, route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method || f.Route != "" && f.Route != route {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		fault := f.Fault
		return &fault
	}
	return nil
}

const (
	secondaryRateLimitDoc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	primaryRateLimitDoc   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
)

// faultResponse builds the answer for f, or ok=false when f only delays.
func (s *Server) faultResponse(c *reqCtx, f *Fault, requestID string) (response, bool) {
	retry := func(h http.Header, d time.Duration) {
		h.Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	switch {
	case f.Secondary:
		d := f.RetryAfter
		if d <= 0 {
			d = 60 * time.Second
		}
		resp := s.errorResponse(http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID "+requestID+".", secondaryRateLimitDoc)
		resp.header = http.Header{}
		retry(resp.header, d)
		return resp, true
	case f.PrimaryExhausted:
		s.mu.Lock()
		bk := s.bucketFor(c)
		reset := bk.resetAt(c.now)
		s.mu.Unlock()
		if f.RetryAfter > 0 {
			reset = c.now.Add(f.RetryAfter)
		}
		resp := s.rateLimitBody(c)
		resp.header = http.Header{}
		resp.header.Set("X-RateLimit-Limit", strconv.Itoa(bk.limit))
		resp.header.Set("X-RateLimit-Remaining", "0")
		resp.header.Set("X-RateLimit-Used", strconv.Itoa(bk.limit))
		resp.header.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		resp.header.Set("X-RateLimit-Resource", "core")
		return resp, true
	case f.Status != 0 || f.RetryAfter > 0:
		status := f.Status
		if status == 0 {
			status = http.StatusTooManyRequests
		}
		resp := s.errorResponse(status, faultMessage(status), s.spec.docURL(c.method, c.route))
		if f.RetryAfter > 0 {
			resp.header = http.Header{}
			retry(resp.header, f.RetryAfter)
		}
		return resp, true
	}
	return response{}, false
}

func faultMessage(status int) string {
	switch status {
	case http.StatusInternalServerError:
		return "Server Error"
	case http.StatusTooManyRequests:
		return "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("Error %d", status)
}

// resetConnection drops the connection without an answer, with a TCP reset
// where it can.
func (s *Server) resetConnection(w http.ResponseWriter) {
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
