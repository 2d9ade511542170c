package ghclient

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
)

func TestCondCacheIsBoundedLRU(t *testing.T) {
	entry := func(key, label string, n int) *cacheEntry {
		return &cacheEntry{key: key, label: label, etag: `"` + key + `"`, status: 200, header: http.Header{}, body: []byte(strings.Repeat("x", n))}
	}
	c := newCondCache(2, 1<<20, 1<<10)
	c.put(entry("a", "1", 10))
	c.put(entry("b", "1", 10))
	if c.get("a") == nil { // a becomes most recently used
		t.Fatal("a missing")
	}
	c.put(entry("c", "2", 10))
	if c.get("b") != nil {
		t.Error("least recently used entry b survived")
	}
	if c.get("a") == nil || c.get("c") == nil {
		t.Error("recent entries evicted")
	}

	c.put(entry("big", "2", 2<<10))
	if c.get("big") != nil {
		t.Error("entry over the per-entry bound was stored")
	}

	c.forget("2")
	if c.get("c") != nil || c.get("a") == nil || c.len() != 1 {
		t.Errorf("forget(2) left %d entries", c.len())
	}

	byBytes := newCondCache(100, 40, 40)
	for _, k := range []string{"p", "q", "r"} {
		byBytes.put(entry(k, "1", 15))
	}
	if byBytes.len() != 2 || byBytes.get("p") != nil || byBytes.bytes > 40 {
		t.Errorf("byte-bounded cache holds %d entries, %d bytes", byBytes.len(), byBytes.bytes)
	}
}

type countingTransport struct {
	n    int
	resp func() *http.Response
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n++
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	r := c.resp()
	r.Request = req
	return r, nil
}

// TestRetryNeedsReplayableBody checks that a request whose body cannot be
// rebuilt is not retried (it would be sent empty).
func TestRetryNeedsReplayableBody(t *testing.T) {
	base := &countingTransport{resp: func() *http.Response {
		return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"1"}}, Body: io.NopCloser(strings.NewReader("{}"))}
	}}
	var slept []time.Duration
	rt := &retryTransport{
		next: base, clock: clock.NewFake(time.Unix(0, 0)), maxWait: time.Minute, maxRetries: 3,
		sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	}
	req, err := http.NewRequest(http.MethodPost, "https://api.github.com/repos/o/r/issues", io.NopCloser(strings.NewReader(`{"title":"t"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if base.n != 1 || len(slept) != 0 || resp.StatusCode != 429 {
		t.Errorf("non-replayable POST: %d attempts, waits %v, status %d; want 1, none, 429", base.n, slept, resp.StatusCode)
	}

	// The same request with a replayable body is retried.
	req, _ = http.NewRequest(http.MethodPost, "https://api.github.com/repos/o/r/issues", strings.NewReader(`{"title":"t"}`))
	base.n = 0
	if resp, err = rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if base.n != 4 || len(slept) != 3 {
		t.Errorf("replayable POST: %d attempts, %d waits; want 4 and 3", base.n, len(slept))
	}
}

func TestForbiddenBodyStaysReadable(t *testing.T) {
	body := `{"message":"Resource not accessible by integration"}` + strings.Repeat(" ", peekLimit)
	base := &countingTransport{resp: func() *http.Response {
		return &http.Response{StatusCode: 403, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	}}
	rt := &retryTransport{next: base, clock: clock.NewFake(time.Unix(0, 0)), maxWait: time.Minute, maxRetries: 3, sleep: clock.Sleep}
	req, _ := http.NewRequest(http.MethodGet, "https://api.github.com/repos/o/r", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(got) != body {
		t.Errorf("403 body read back %d bytes (err %v), want the original %d", len(got), err, len(body))
	}
	if base.n != 1 {
		t.Errorf("attempts = %d, want 1", base.n)
	}
}
