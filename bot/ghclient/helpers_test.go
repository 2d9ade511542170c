package ghclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
)

const testAppID = 31337

// clockStart is where every test's fake clock stands.
var clockStart = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// rsaKey returns one RSA key shared by all tests (generation is slow).
func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("generate rsa key: %v", err))
		}
		testKey = k
	})
	return testKey
}

// keyPEM is the test key as PKCS#1 PEM.
func keyPEM(t *testing.T) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey(t))})
}

// seen is one request as the fake GitHub received it.
type seen struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// fakeGitHub is a tiny GitHub: it issues installation tokens "tok-<id>" and
// hands every other request to the test's handler, recording all of them.
type fakeGitHub struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

var tokenPath = regexp.MustCompile(`/app/installations/(\d+)/access_tokens$`)

func newFake(t *testing.T, handler http.HandlerFunc) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if m := tokenPath.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
			w.Header().Set("X-RateLimit-Remaining", "4321")
			writeJSON(w, http.StatusCreated, map[string]any{"token": "tok-" + m[1], "expires_at": "2999-01-01T00:00:00Z"})
			return
		}
		if handler == nil {
			http.NotFound(w, r)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// requests returns the recorded requests with this method and path suffix
// ("" matches any).
func (f *fakeGitHub) requests(method, pathSuffix string) []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seen
	for _, r := range f.reqs {
		if (method == "" || r.Method == method) && strings.HasSuffix(r.Path, pathSuffix) {
			out = append(out, r)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// sleeper records the waits asked of Config.Sleep and moves the fake clock
// instead of sleeping.
type sleeper struct {
	clock *clock.Fake
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	s.clock.Advance(d)
	return nil
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// harness is an *ghclient.Apps wired to a fake GitHub, fresh metrics, a fake
// clock and a recording sleeper.
type harness struct {
	apps    *ghclient.Apps
	fake    *fakeGitHub
	metrics *metrics.Metrics
	clock   *clock.Fake
	sleep   *sleeper
}

func newHarness(t *testing.T, handler http.HandlerFunc, tweak func(*ghclient.Config)) *harness {
	t.Helper()
	h := &harness{fake: newFake(t, handler), metrics: metrics.New(), clock: clock.NewFake(clockStart)}
	h.sleep = &sleeper{clock: h.clock}
	cfg := ghclient.Config{
		AppID:         testAppID,
		PrivateKeyPEM: keyPEM(t),
		BaseURL:       h.fake.URL,
		Transport:     h.fake.Client().Transport,
		Metrics:       h.metrics,
		Clock:         h.clock,
		Sleep:         h.sleep.Sleep,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	apps, err := ghclient.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.apps = apps
	return h
}

func (h *harness) installation(t *testing.T, id int64) *github.Client {
	t.Helper()
	c, err := h.apps.Installation(id)
	if err != nil {
		t.Fatalf("Installation(%d): %v", id, err)
	}
	return c
}

// metricValue returns the value of the counter or gauge series name{labels}
// in h's registry, or 0 if there is none.
func (h *harness) metricValue(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	families, err := h.metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(want) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if v, ok := want[lp.GetName()]; !ok || v != lp.GetValue() {
					continue series
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// seriesCount is the number of series of metric name in h's registry.
func (h *harness) seriesCount(t *testing.T, name string) int {
	t.Helper()
	families, err := h.metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range families {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// calls is golive_github_api_calls_total{route,method,code}.
func (h *harness) calls(t *testing.T, route, method, code string) float64 {
	t.Helper()
	return h.metricValue(t, "golive_github_api_calls_total", "route", route, "method", method, "code", code)
}
