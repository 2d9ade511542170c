// Package ghclient is how golive talks to GitHub as a GitHub App across many
// installations.
//
// Every client it hands out — the App client (JWT) and one cached client per
// installation, including the installation-token requests ghinstallation
// makes — sends its calls through the same chain of transports:
//
//	metrics → rate-limit wait/retry → conditional-request cache → base
//
// Metrics count calls by route template, method and status code and record
// the remaining rate limit per installation. The retry layer waits out rate
// limits (Retry-After, X-RateLimit-Reset) and retries 502/503/504 for
// idempotent methods, within Config.MaxRetries and Config.MaxWait. The cache
// makes repository-contents reads conditional (ETag / Last-Modified) and turns
// GitHub's 304 into the stored 200. Authentication (ghinstallation) sits above
// the chain, so every attempt carries its JWT or installation token.
//
// go-github itself remembers a primary rate limit that reached zero, and a
// secondary limit it surfaced, and fails later calls on the same client with
// *github.RateLimitError / *github.AbuseRateLimitError, without a request,
// until the wall-clock reset; IsTransient classifies those as transient.
package ghclient

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/metrics"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultBaseURL    = "https://api.github.com/"
	DefaultMaxWait    = 60 * time.Second
	DefaultMaxRetries = 3
)

const userAgent = "golive"

// Config configures New.
type Config struct {
	// AppID is the GitHub App's numeric ID. Required.
	AppID int64
	// PrivateKeyPEM is the App's RSA private key, PKCS#1 or PKCS#8 PEM.
	// Required.
	PrivateKeyPEM []byte
	// BaseURL is the REST API root every call goes to, e.g.
	// "https://ghe.example.com/api/v3/". Default DefaultBaseURL; a missing
	// trailing "/" is added.
	BaseURL string
	// Transport sends the requests. Default http.DefaultTransport.
	Transport http.RoundTripper
	// Metrics, if set, receives call counts, remaining rate limits and waits.
	Metrics *metrics.Metrics
	// Clock tells the time used to compute waits until X-RateLimit-Reset.
	// Default clock.System.
	Clock clock.Clock
	// MaxWait is the longest single rate-limit or back-off wait. A call that
	// would need a longer wait is not retried; its response is returned as is.
	// Default DefaultMaxWait.
	MaxWait time.Duration
	// MaxRetries is the most retries of one call. Zero means
	// DefaultMaxRetries; a negative value disables retries.
	MaxRetries int
	// Sleep waits for d or until ctx is done, returning ctx's error in the
	// latter case. Default a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Apps hands out GitHub clients for one GitHub App. It is safe for concurrent
// use.
type Apps struct {
	appID     int64
	key       *rsa.PrivateKey
	base      *url.URL
	ep        endpoint
	transport http.RoundTripper
	metrics   *metrics.Metrics
	clock     clock.Clock
	sleep     func(context.Context, time.Duration) error
	maxWait   time.Duration
	retries   int
	cache     *condCache
	app       *github.Client

	mu       sync.Mutex
	installs map[int64]*github.Client
}

// New checks cfg, parses the App's private key and builds the App client.
// No request is made.
func New(cfg Config) (*Apps, error) {
	if cfg.AppID <= 0 {
		return nil, fmt.Errorf("configure github app: app id %d is not positive", cfg.AppID)
	}
	key, err := parsePrivateKey(cfg.PrivateKeyPEM)
	if err != nil {
		return nil, err
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	a := &Apps{
		appID:     cfg.AppID,
		key:       key,
		base:      base,
		ep:        endpoint{host: base.Host, basePath: strings.TrimSuffix(base.EscapedPath(), "/")},
		transport: cfg.Transport,
		metrics:   cfg.Metrics,
		clock:     cfg.Clock,
		sleep:     cfg.Sleep,
		maxWait:   cfg.MaxWait,
		retries:   cfg.MaxRetries,
		cache:     newCondCache(cacheMaxEntries, cacheMaxBytes, cacheMaxEntryBytes),
		installs:  make(map[int64]*github.Client),
	}
	if a.transport == nil {
		a.transport = http.DefaultTransport
	}
	if a.clock == nil {
		a.clock = clock.System{}
	}
	if a.sleep == nil {
		a.sleep = clock.Sleep
	}
	if a.maxWait <= 0 {
		a.maxWait = DefaultMaxWait
	}
	switch {
	case a.retries == 0:
		a.retries = DefaultMaxRetries
	case a.retries < 0:
		a.retries = 0
	}
	a.app = a.newClient(a.appsTransport(appLabel))
	return a, nil
}

// parsePrivateKey decodes an RSA key from PKCS#1 or PKCS#8 PEM. Its errors
// deliberately do not wrap the parser's, so no key material can leak into
// logs.
func parsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("parse github app private key: no PEM block found")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("parse github app private key: PEM block is neither a PKCS#1 nor a PKCS#8 private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse github app private key: got a %T, want an RSA key", k)
	}
	return rk, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse github base url %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("parse github base url %q: want an absolute http or https url", raw)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// chain builds metrics → rate-limit wait/retry → conditional cache → base for
// calls accounted to label (an installation ID, or "app").
func (a *Apps) chain(label string) http.RoundTripper {
	var rt http.RoundTripper = &cacheTransport{next: a.transport, cache: a.cache, ep: a.ep, label: label}
	rt = &retryTransport{next: rt, m: a.metrics, clock: a.clock, sleep: a.sleep, maxWait: a.maxWait, maxRetries: a.retries}
	return &metricsTransport{next: rt, m: a.metrics, ep: a.ep, label: label}
}

// appsTransport is a JWT-signing transport over a fresh chain for label. Each
// installation gets its own, because ghinstallation writes to it while
// refreshing tokens.
func (a *Apps) appsTransport(label string) *ghinstallation.AppsTransport {
	atr := ghinstallation.NewAppsTransportFromPrivateKey(a.chain(label), a.appID, a.key)
	atr.BaseURL = strings.TrimSuffix(a.base.String(), "/")
	return atr
}

func (a *Apps) newClient(rt http.RoundTripper) *github.Client {
	c := github.NewClient(&http.Client{Transport: rt})
	baseURL, uploadURL := *a.base, *a.base
	c.BaseURL, c.UploadURL = &baseURL, &uploadURL
	c.UserAgent = userAgent
	return c
}

// App returns the client authenticated as the App itself (JWT), for the /app
// endpoints.
func (a *Apps) App() *github.Client { return a.app }

// Installation returns the client authenticated as installation id. The
// client is created on first use and then reused, so its installation token
// is fetched once and refreshed only when it nears expiry.
func (a *Apps) Installation(id int64) (*github.Client, error) {
	if id <= 0 {
		return nil, fmt.Errorf("get github installation client: installation id %d is not positive", id)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.installs[id]; ok {
		return c, nil
	}
	label := strconv.FormatInt(id, 10)
	atr := a.appsTransport(label)
	itr := ghinstallation.NewFromAppsTransport(atr, id)
	itr.BaseURL = atr.BaseURL // token requests go to the API root too
	c := a.newClient(itr)
	a.installs[id] = c
	return c, nil
}

// Forget drops the cached client and cached responses of installation id, for
// example after the installation is deleted. Clients already handed out keep
// working until their token expires.
func (a *Apps) Forget(id int64) {
	a.mu.Lock()
	delete(a.installs, id)
	a.mu.Unlock()
	a.cache.forget(strconv.FormatInt(id, 10))
}
