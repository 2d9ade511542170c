package slackpace

import (
	"math"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func mustNew(t testing.TB, o Options) *Pacer {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return p
}

func TestNewDefaults(t *testing.T) {
	p := mustNew(t, Options{})
	if p.perChannel != time.Second {
		t.Errorf("perChannel = %s, want 1s", p.perChannel)
	}
	if p.interval != 50*time.Millisecond {
		t.Errorf("interval = %s, want 50ms (20/s)", p.interval)
	}
	if p.tolerance != 4*50*time.Millisecond {
		t.Errorf("tolerance = %s, want 200ms (burst 5)", p.tolerance)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{PerChannel: -time.Second},
		{Workspace: -1},
		{Workspace: 1e-30},
		{Burst: -1},
		{Workspace: 1, Burst: 1 << 40}, // (Burst-1)*1s overflows
	} {
		p, err := New(o)
		if err == nil {
			t.Errorf("New(%+v) = %v, want error", o, p)
			continue
		}
		if msg := err.Error(); msg != strings.ToLower(msg) || !strings.HasPrefix(msg, "slackpace: ") {
			t.Errorf("New(%+v) error %q: want lowercase with package prefix", o, msg)
		}
	}
	for _, w := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := New(Options{Workspace: w}); err == nil {
			t.Errorf("New(Workspace: %v) succeeded", w)
		}
	}
}

func TestAllowPerChannelSpacing(t *testing.T) {
	p := mustNew(t, Options{})
	if ok, _ := p.Allow("A", at(0)); !ok {
		t.Fatal("first message refused")
	}
	for _, d := range []time.Duration{0, 500 * time.Millisecond, time.Second - 1} {
		ok, retry := p.Allow("A", at(d))
		if ok || !retry.Equal(at(time.Second)) {
			t.Errorf("Allow(A, %s) = %v, %s; want false, 1s", d, ok, retry.Sub(t0))
		}
	}
	if ok, _ := p.Allow("B", at(0)); !ok {
		t.Error("channel B refused because of A")
	}
	if ok, _ := p.Allow("A", at(time.Second)); !ok {
		t.Error("A refused at 1s")
	}
	if got := p.When("A", at(1500*time.Millisecond)); !got.Equal(at(2 * time.Second)) {
		t.Errorf("When(A) = %s, want 2s", got.Sub(t0))
	}
	if got := p.When("C", at(3*time.Second)); !got.Equal(at(3 * time.Second)) {
		t.Errorf("When(C) = %s, want now (3s)", got.Sub(t0))
	}
}

func TestAllowWorkspaceBurstThenRate(t *testing.T) {
	p := mustNew(t, Options{Workspace: 10, Burst: 3}) // 100ms interval
	for i := range 3 {
		if ok, _ := p.Allow(string(rune('a'+i)), at(0)); !ok {
			t.Fatalf("burst message %d refused", i)
		}
	}
	ok, retry := p.Allow("d", at(0))
	if ok || !retry.Equal(at(100*time.Millisecond)) {
		t.Fatalf("4th at 0 = %v, %s; want false, 100ms", ok, retry.Sub(t0))
	}
	if ok, _ := p.Allow("d", at(100*time.Millisecond)); !ok {
		t.Fatal("refused at 100ms")
	}
	// An idle second refills the bucket to Burst, not beyond.
	for i := range 3 {
		if ok, _ := p.Allow(string(rune('e'+i)), at(2*time.Second)); !ok {
			t.Fatalf("refilled burst message %d refused", i)
		}
	}
	if ok, _ := p.Allow("h", at(2*time.Second)); ok {
		t.Fatal("bucket exceeded its burst after idling")
	}
}

func TestBlockedOnlyExtends(t *testing.T) {
	p := mustNew(t, Options{})
	p.Blocked("A", at(5*time.Second))
	p.Blocked("A", at(2*time.Second)) // shorter: ignored
	if ok, retry := p.Allow("A", at(3*time.Second)); ok || !retry.Equal(at(5*time.Second)) {
		t.Errorf("Allow(A, 3s) = %v, %s; want false, 5s", ok, retry.Sub(t0))
	}
	if ok, _ := p.Allow("B", at(0)); !ok {
		t.Error("B refused while only A is blocked")
	}
	p.BlockWorkspace(at(4 * time.Second))
	p.BlockWorkspace(at(1 * time.Second)) // shorter: ignored
	if ok, retry := p.Allow("C", at(2*time.Second)); ok || !retry.Equal(at(4*time.Second)) {
		t.Errorf("Allow(C, 2s) = %v, %s; want false, 4s", ok, retry.Sub(t0))
	}
	if ok, _ := p.Allow("C", at(4*time.Second)); !ok {
		t.Error("C refused after workspace block ended")
	}
}

func TestRateLimited(t *testing.T) {
	p := mustNew(t, Options{})
	p.RateLimited("A", at(0), 2*time.Second)
	if got := p.When("A", at(0)); !got.Equal(at(2 * time.Second)) {
		t.Errorf("A after Retry-After 2s: When = %s", got.Sub(t0))
	}
	p.RateLimited("B", at(0), 0) // missing header
	if got := p.When("B", at(0)); !got.Equal(at(DefaultRetryAfter)) {
		t.Errorf("B after Retry-After 0: When = %s, want %s", got.Sub(t0), DefaultRetryAfter)
	}
	p.RateLimited("", at(0), 3*time.Second)
	if got := p.When("C", at(0)); !got.Equal(at(3 * time.Second)) {
		t.Errorf("C after workspace 429: When = %s, want 3s", got.Sub(t0))
	}
}

func TestPrune(t *testing.T) {
	p := mustNew(t, Options{})
	p.Allow("A", at(0))
	p.Allow("B", at(500*time.Millisecond))
	p.Blocked("C", at(10*time.Second))
	if n := p.Prune(at(1200 * time.Millisecond)); n != 1 {
		t.Errorf("Prune forgot %d channels, want 1 (A)", n)
	}
	if got := p.When("B", at(1200*time.Millisecond)); !got.Equal(at(1500 * time.Millisecond)) {
		t.Errorf("B after Prune: When = %s, want 1.5s", got.Sub(t0))
	}
	if got := p.When("C", at(1200*time.Millisecond)); !got.Equal(at(10 * time.Second)) {
		t.Errorf("C after Prune: When = %s, want 10s", got.Sub(t0))
	}
	if len(p.channels) != 2 {
		t.Errorf("%d channels remembered, want 2", len(p.channels))
	}
}

func TestHoldAndRelease(t *testing.T) {
	p, err := New(Options{Workspace: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if ok, _ := p.Allow("C1", t0); !ok {
		t.Fatal("first post refused")
	}
	p.Hold("C1")
	// A slow request: still in flight 3 s later, nothing else goes to C1,
	// while other channels are free.
	if ok, _ := p.Allow("C1", t0.Add(3*time.Second)); ok {
		t.Fatal("a post went to C1 while its previous post was in flight")
	}
	if ok, _ := p.Allow("C2", t0.Add(3*time.Second)); !ok {
		t.Fatal("a post in flight to C1 held back C2")
	}
	p.Release("C1", t0.Add(3*time.Second+200*time.Millisecond))
	if got := p.When("C1", t0.Add(3*time.Second)); !got.Equal(t0.Add(4*time.Second + 200*time.Millisecond)) {
		t.Fatalf("C1 next allowed at %s, want one second after the answer", got.Sub(t0))
	}
	// A 429 answer: Release, then the Retry-After extends it.
	p.Hold("C1")
	done := t0.Add(5 * time.Second)
	p.Release("C1", done)
	p.RateLimited("C1", done, 2*time.Second)
	if got := p.When("C1", done); !got.Equal(done.Add(2 * time.Second)) {
		t.Fatalf("C1 next allowed %s after a 429 with Retry-After 2, want 2s", got.Sub(done))
	}
}
