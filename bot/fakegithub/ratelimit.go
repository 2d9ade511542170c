package fakegithub

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// rateWindow is the length of GitHub's primary rate-limit window.
const rateWindow = time.Hour

// bucket is one caller's primary rate-limit budget. Guarded by Server.mu.
type bucket struct {
	limit int
	used  int
	start time.Time // window start; zero until first use
}

func (b *bucket) roll(now time.Time) {
	if b.start.IsZero() || !now.Before(b.start.Add(rateWindow)) {
		b.start = now.Truncate(time.Second)
		b.used = 0
	}
}

func (b *bucket) exhausted(now time.Time) bool {
	b.roll(now)
	return b.used >= b.limit
}

func (b *bucket) spend(now time.Time) {
	b.roll(now)
	if b.used < b.limit {
		b.used++
	}
}

func (b *bucket) resetAt(now time.Time) time.Time {
	b.roll(now)
	return b.start.Add(rateWindow)
}

func (b *bucket) setHeaders(h http.Header, now time.Time) {
	b.roll(now)
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(b.limit-b.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(b.resetAt(now).Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(b.used))
	h.Set("X-RateLimit-Resource", "core")
}

// bucketFor returns the budget the request draws on: its installation's, the
// App's, or its client address's. s.mu is held.
func (s *Server) bucketFor(c *reqCtx) *bucket {
	key, limit := "", s.limit
	switch c.auth.kind {
	case authKindInstallation:
		key = "installation:" + strconv.FormatInt(c.auth.installationID, 10)
	case authKindApp:
		key = "app"
	default:
		host, _, err := net.SplitHostPort(c.r.RemoteAddr)
		if err != nil {
			host = c.r.RemoteAddr
		}
		key, limit = "ip:"+host, unauthenticatedRateLimit
	}
	b, ok := s.buckets[key]
	if !ok {
		b = &bucket{limit: limit}
		s.buckets[key] = b
	}
	return b
}

// RateLimitRemaining returns how many requests installation id has left in
// its current window.
func (s *Server) RateLimitRemaining(installationID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets["installation:"+strconv.FormatInt(installationID, 10)]
	if !ok {
		return s.limit
	}
	b.roll(s.clock.Now())
	return b.limit - b.used
}

// rateLimitBody is GitHub's answer to a request over the primary budget,
// without its headers (send adds the bucket's, with Remaining: 0).
func (s *Server) rateLimitBody(c *reqCtx) response {
	var msg string
	switch c.auth.kind {
	case authKindInstallation:
		msg = fmt.Sprintf("API rate limit exceeded for installation ID %d.", c.auth.installationID)
	case authKindApp:
		msg = fmt.Sprintf("API rate limit exceeded for app ID %d.", s.appID)
	default:
		host, _, _ := net.SplitHostPort(c.r.RemoteAddr)
		msg = fmt.Sprintf("API rate limit exceeded for %s. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)", host)
	}
	return s.errorResponse(http.StatusForbidden, msg, primaryRateLimitDoc)
}
