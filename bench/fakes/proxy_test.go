package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/fakeslack"
)

// The proxy forwards, records, and injects the faults it is told to; its
// record attributes a retry of the same request to the fault before it.
func TestProxyFaultsAndRecord(t *testing.T) {
	sl := fakeslack.New(fakeslack.Options{T: t})
	p, err := newProxy("slack", sl.URL+"/", slackRoute)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	post := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, p.URL+"/api/auth.test", strings.NewReader("token="+sl.Token()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Retry-After") + " " + string(b)
	}
	if code, body := post(); code != http.StatusOK || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("forwarded: %d %s", code, body)
	}
	p.setFaults(FaultConfig{Rate: 1, Kinds: []string{"429"}, RetryAfter: 2})
	if code, body := post(); code != http.StatusTooManyRequests || !strings.HasPrefix(body, "2 ") {
		t.Fatalf("429 fault: %d %q", code, body)
	}
	p.setFaults(FaultConfig{Rate: 1, Kinds: []string{"5xx"}, Burst: 2})
	for i := range 2 {
		if code, _ := post(); code < 500 {
			t.Fatalf("5xx burst answer %d: %d", i, code)
		}
	}
	p.setFaults(FaultConfig{Rate: 1, Kinds: []string{"reset"}})
	if code, _ := post(); code != 0 {
		t.Fatalf("reset answered %d", code)
	}
	p.setFaults(FaultConfig{Rate: 1, Kinds: []string{"lost"}})
	if code, _ := post(); code != 0 {
		t.Fatalf("lost answered %d", code)
	}
	if n := sl.CallCount("auth.test"); n != 2 {
		t.Fatalf("the fake saw %d calls, want 2 (the first and the lost one)", n)
	}
	p.setFaults(FaultConfig{})
	time.Sleep(10 * time.Millisecond)
	if code, _ := post(); code != http.StatusOK {
		t.Fatalf("faults off: %d", code)
	}
	rec := p.snapshot()
	if rec.Requests != 7 {
		t.Fatalf("%d requests recorded, want 7", rec.Requests)
	}
	calls := rec.Calls["POST auth.test"]
	if calls["200"] != 2 || calls["429"] != 1 || calls["reset"] != 1 || calls["lost"] != 1 {
		t.Fatalf("calls %v", calls)
	}
	f := rec.Faults["429"]
	if f == nil || f.Injected != 1 || f.Retried != 1 || f.EarlyWrites != 1 {
		t.Fatalf("429 record %+v: want one, sent again at once (before its Retry-After)", f)
	}
	if rec.MaxAttempts != 6 {
		t.Fatalf("longest chain %d, want 6 (five failures and the success)", rec.MaxAttempts)
	}
}
