// Package fakegithub is an in-memory stand-in for the GitHub REST API, built
// for golive's tests and benchmarks.
//
// A Server answers over real HTTP (httptest) the operations listed in
// testdata/github/openapi/golive-rest-subset.json, with the headers, status
// codes, authentication rules and body shapes of api.github.com. Every request
// is checked against that OpenAPI description: one the spec does not allow is
// answered as GitHub would (404 or 422) and recorded as a Violation, so a test
// can prove that the real client only sends what GitHub accepts.
//
// Typical use, with the clients golive uses:
//
//	srv := fakegithub.New(fakegithub.Options{T: t})
//	srv.AddInstallation(42, "acme", "Organization", "acme/api")
//	srv.PutFile("acme/api", ".github/golive.yml", "...")
//	tr, _ := ghinstallation.New(http.DefaultTransport, srv.AppID(), 42, srv.PrivateKeyPEM())
//	tr.BaseURL = srv.URL
//	gh := github.NewClient(&http.Client{Transport: tr})
//	gh.BaseURL, _ = url.Parse(srv.URL)
//	// ... exercise golive, then inspect srv.Calls(), srv.Comments(...),
//	// srv.Dispatches(), srv.Violations(), srv.CheckResponses().
//
// State is set up and inspected through the Server's methods (AddRepo,
// AddIssue, AddWorkflow, AddHookDelivery...), failures are injected with
// Inject, and every request is recorded as a Call.
//
// Where go-github v60 and the spec disagree the spec wins, and the request
// is a Violation: AddLabelsToIssue sends a bare array (the spec wants
// {"labels": [...]}), ListEnvSecrets and ListEnvVariables use
// /repositories/{id}/environments/... (the spec has
// /repos/{owner}/{repo}/environments/{name}/...).
//
// The package does not depend on package testing's runner: Options.T is
// optional, so a benchmark harness can run a Server as a plain process.
package fakegithub

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/golive-dev/golive/bot/clock"
)

// DefaultAppID is the App ID a Server uses when Options.AppID is zero.
const DefaultAppID int64 = 1001

// DefaultRateLimit is the hourly request budget of an installation or of the
// App itself when Options.RateLimit is zero, GitHub's standard budget.
const DefaultRateLimit = 5000

// unauthenticatedRateLimit is GitHub's hourly budget per client address
// without credentials.
const unauthenticatedRateLimit = 60

// maxBody bounds the request bodies the fake reads (GitHub's limit is larger,
// but no golive request comes near this).
const maxBody = 25 << 20

// Options configures a Server. The zero value is usable.
type Options struct {
	// T, when set, receives a T.Errorf for every spec violation, and the
	// server is closed at T.Cleanup.
	T testing.TB
	// SpecPath is the OpenAPI description to enforce; DefaultSpecPath() when
	// empty.
	SpecPath string
	// Clock is the fake's notion of now (timestamps, token expiry, rate-limit
	// windows); clock.System{} when nil.
	Clock clock.Clock
	// JWTClock is the clock App JWTs' iat and exp are checked against; Clock
	// when nil. Clients such as ghinstallation sign with the wall clock, so a
	// test that sets Clock to a clock.Fake far from the wall clock sets
	// JWTClock to clock.System{}. Installation tokens still expire an hour
	// of Clock after they are issued, while ghinstallation decides when to
	// refresh one by the wall clock: such a test advances Clock by less than
	// an hour per token.
	JWTClock clock.Clock
	// AppID is the GitHub App's ID; DefaultAppID when zero.
	AppID int64
	// AppSlug and AppName name the App; "golive" and "golive" when empty.
	AppSlug, AppName string
	// AppOwner is the login of the organization owning the App;
	// "golive-dev" when empty.
	AppOwner string
	// RateLimit is the hourly request budget per installation and for the
	// App's JWT; DefaultRateLimit when zero. As on GitHub, a request over
	// budget is refused with 403 and X-RateLimit-Remaining: 0 until the
	// window resets, so a long benchmark sets this high.
	RateLimit int
	// Addr is the loopback address to listen on, such as "127.0.0.1:8089",
	// for a harness that runs the fake as a standalone process; a free port
	// when empty.
	Addr string
	// MaxCalls bounds the calls kept for Calls: only the newest MaxCalls are
	// kept. Zero keeps every call; a long benchmark sets a bound.
	MaxCalls int
}

// Call is one request the fake received, as it was answered.
type Call struct {
	Time      time.Time
	RequestID string
	Method    string
	// Path is the request path as sent (unescaped).
	Path string
	// URI is the request target as sent: escaped path and query.
	URI string
	// Route is the spec's path template the request matched, such as
	// "/repos/{owner}/{repo}/issues/{issue_number}", or "" if none did.
	Route  string
	Params map[string]string
	Query  url.Values
	Header http.Header
	Body   []byte
	// Status is the status code sent, or 0 when the connection was reset.
	Status         int
	ResponseHeader http.Header
	Response       []byte
	// InstallationID is the installation whose token made the call, 0 if
	// none did.
	InstallationID int64
	// Auth is "installation", "app" (a JWT) or "" (no valid credentials).
	Auth string
	// Violation is the spec violation the request committed, if any.
	Violation string
	// Fault reports whether an injected Fault shaped the answer.
	Fault bool
}

// Violation is a request the spec does not allow.
type Violation struct {
	Time   time.Time
	Method string
	Path   string
	Route  string
	Reason string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s", v.Method, v.Path, v.Reason)
}

// Server is a fake GitHub REST API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the API base URL with a trailing slash, usable as go-github's
	// BaseURL and as ghinstallation's BaseURL.
	URL string

	hs       *httptest.Server
	spec     *Spec
	t        testing.TB
	clock    clock.Clock
	jwtClock clock.Clock
	appID    int64
	key      *rsa.PrivateKey
	keyPEM   []byte
	limit    int
	maxCalls int
	started  time.Time
	host     string // scheme://host of the API, no trailing slash

	mu         sync.Mutex
	st         *state
	calls      []Call
	violations []Violation
	faults     []*faultState
	buckets    map[string]*bucket
	seq        int64 // request counter
}

// New starts a fake GitHub. It panics (or, with Options.T, fails the test)
// when the spec cannot be loaded; Start returns that error instead.
func New(opts Options) *Server {
	s, err := Start(opts)
	if err != nil {
		if opts.T != nil {
			opts.T.Helper()
			opts.T.Fatalf("starting fake GitHub: %v", err)
		}
		panic(fmt.Sprintf("starting fake GitHub: %v", err))
	}
	return s
}

// Start starts a fake GitHub listening on a loopback port.
func Start(opts Options) (*Server, error) {
	path := opts.SpecPath
	if path == "" {
		path = DefaultSpecPath()
	}
	spec, err := LoadSpec(path)
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating the App's RSA key: %w", err)
	}
	s := &Server{
		spec:     spec,
		t:        opts.T,
		clock:    opts.Clock,
		appID:    opts.AppID,
		key:      key,
		keyPEM:   pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		limit:    opts.RateLimit,
		maxCalls: opts.MaxCalls,
		buckets:  map[string]*bucket{},
	}
	if s.clock == nil {
		s.clock = clock.System{}
	}
	s.jwtClock = opts.JWTClock
	if s.jwtClock == nil {
		s.jwtClock = s.clock
	}
	if s.appID == 0 {
		s.appID = DefaultAppID
	}
	if s.limit <= 0 {
		s.limit = DefaultRateLimit
	}
	s.started = s.clock.Now().UTC().Truncate(time.Second)
	s.st = newState(s.started, opts)
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	if opts.Addr != "" {
		l, err := net.Listen("tcp", opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("listening on %q: %w", opts.Addr, err)
		}
		s.hs.Listener.Close()
		s.hs.Listener = l
	}
	// Every field is set before the first request can arrive.
	s.host = "http://" + s.hs.Listener.Addr().String()
	s.URL = s.host + "/"
	s.hs.Start()
	if opts.T != nil {
		opts.T.Cleanup(s.Close)
	}
	return s, nil
}

// Close shuts the server down, closing client connections. It is safe to
// call more than once.
func (s *Server) Close() {
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// Spec returns the OpenAPI description the server enforces.
func (s *Server) Spec() *Spec { return s.spec }

// AppID returns the GitHub App's ID.
func (s *Server) AppID() int64 { return s.appID }

// PrivateKeyPEM returns the App's private key as GitHub issues it (PKCS#1,
// "RSA PRIVATE KEY" PEM).
func (s *Server) PrivateKeyPEM() []byte { return append([]byte(nil), s.keyPEM...) }

// HTTPClient returns a client configured for the server's listener.
func (s *Server) HTTPClient() *http.Client { return s.hs.Client() }

// Calls returns every request received so far, in the order they were
// answered.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.keptCalls()...)
}

// CallsTo returns the calls with the given method and spec route template,
// such as CallsTo("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments").
func (s *Server) CallsTo(method, route string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.keptCalls() {
		if c.Method == method && c.Route == route {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls (not the violations).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// CheckResponses validates every recorded response (status, headers and
// body) against the spec with openapi3filter.ValidateResponse and returns
// one error per response that does not match; nil when all do. Calls that
// matched no route or whose connection was reset are skipped.
func (s *Server) CheckResponses() []error {
	var errs []error
	for _, c := range s.Calls() {
		if c.Route == "" || c.Status == 0 {
			continue
		}
		req, err := http.NewRequest(c.Method, s.host+c.URI, bytes.NewReader(c.Body))
		if err != nil {
			errs = append(errs, fmt.Errorf("rebuilding request %s %s: %w", c.Method, c.URI, err))
			continue
		}
		req.Header = c.Header.Clone()
		if err := s.spec.ValidateResponse(context.Background(), req, c.Body, c.Status, c.ResponseHeader, c.Response); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Violations returns every spec violation seen so far.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// reqCtx is what a route handler sees of a request. Handlers run with s.mu
// held.
type reqCtx struct {
	r      *http.Request
	method string
	route  string
	p      map[string]string
	q      url.Values
	body   []byte
	now    time.Time
	auth   authInfo
	repo   *repoState // resolved for /repos/{owner}/{repo}/... routes
}

// response is what a handler answers.
type response struct {
	status int
	body   any // nil: no body
	header http.Header
}

func (c *reqCtx) decode(v any) error {
	if len(c.body) == 0 {
		return nil
	}
	return json.Unmarshal(c.body, v)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveWebFlow(w, r) { // the manifest flow's web pages, not the API
		return
	}
	now := s.clock.Now().UTC()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "reading request body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	call := Call{
		Time:      now,
		RequestID: requestID(seq),
		Method:    r.Method,
		Path:      r.URL.Path,
		URI:       r.URL.RequestURI(),
		Query:     r.URL.Query(),
		Header:    r.Header.Clone(),
		Body:      body,
	}
	ctx := &reqCtx{r: r, method: r.Method, q: r.URL.Query(), body: body, now: now}

	// GitHub reads a JSON null body as no body; ghinstallation sends one
	// when it has no token options.
	specBody := body
	if string(bytes.TrimSpace(body)) == "null" {
		specBody = nil
		ctx.body = nil
	}
	var resp response
	rt, err := s.spec.findRoute(r, specBody)
	if err != nil {
		call.Violation = err.Error()
		resp = s.errorResponse(http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
	} else {
		call.Route = rt.template
		call.Params = rt.params
		ctx.route = rt.template
		ctx.p = rt.params
		normalizeQuery(rt.kinReq)
		if verr := s.spec.validateRequest(r.Context(), rt); verr != nil {
			call.Violation = describeRequestError(verr)
			resp = s.violationResponse(ctx, verr)
		}
	}
	if call.Violation != "" {
		s.recordViolation(Violation{Time: now, Method: r.Method, Path: r.URL.Path, Route: call.Route, Reason: call.Violation})
	}

	s.mu.Lock()
	s.identify(ctx)
	s.mu.Unlock()
	call.InstallationID = ctx.auth.installationID
	call.Auth = ctx.auth.kind

	if f := s.takeFault(r.Method, call.Route); f != nil {
		call.Fault = true
		if f.Latency > 0 {
			waitContext(r.Context(), f.Latency)
		}
		if f.ResetConnection {
			// Recorded first: the client sees the reset as soon as it happens.
			s.record(call)
			s.resetConnection(w)
			return
		}
		if fr, ok := s.faultResponse(ctx, f, call.RequestID); ok {
			s.send(w, ctx, &call, fr)
			return
		}
	}

	if call.Violation == "" {
		s.mu.Lock()
		resp = s.handle(ctx)
		s.mu.Unlock()
	}
	s.send(w, ctx, &call, resp)
}

// handle authenticates and answers a spec-valid request. s.mu is held.
func (s *Server) handle(c *reqCtx) response {
	h, ok := routes[c.method+" "+c.route]
	if !ok {
		return s.errorResponse(http.StatusNotFound, "Not Found", s.spec.docURL(c.method, c.route))
	}
	if resp, ok := s.authenticate(c, h); !ok {
		return resp
	}
	if s.bucketFor(c).exhausted(c.now) {
		return s.rateLimitBody(c)
	}
	if resp, ok := s.authorize(c, h); !ok {
		return resp
	}
	return h.fn(s, c)
}

// send completes resp's body against the spec, sets GitHub's headers, writes
// the response and records the call.
func (s *Server) send(w http.ResponseWriter, c *reqCtx, call *Call, resp response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	var payload []byte
	if resp.body != nil {
		body := resp.body
		if sch := s.spec.responseSchema(c.method, c.route, resp.status); sch != nil {
			body = s.shaper().complete(sch, body)
		}
		b, err := json.Marshal(body)
		if err != nil {
			resp = s.errorResponse(http.StatusInternalServerError, fmt.Sprintf("encoding response: %v", err), "")
			b, _ = json.Marshal(resp.body)
		}
		payload = b
	}
	if c.method == http.MethodGet && resp.status == http.StatusOK && payload != nil {
		etag := etagOf(payload)
		h.Set("ETag", etag)
		if etagMatches(c.r.Header.Get("If-None-Match"), etag) {
			resp.status = http.StatusNotModified
			payload = nil
		}
	}
	if h.Get("X-RateLimit-Remaining") == "" {
		s.mu.Lock()
		bk := s.bucketFor(c)
		if resp.status != http.StatusNotModified {
			bk.spend(c.now)
		}
		bk.setHeaders(h, c.now)
		s.mu.Unlock()
	}
	h.Set("X-GitHub-Request-Id", call.RequestID)
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	if v := c.r.Header.Get("X-GitHub-Api-Version"); v != "" {
		h.Set("X-GitHub-Api-Version-Selected", v)
	} else {
		h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Server", "github.com")
	if payload != nil {
		h.Set("Content-Length", strconv.Itoa(len(payload)))
	}
	w.WriteHeader(resp.status)
	if payload != nil && resp.status != http.StatusNotModified && resp.status != http.StatusNoContent {
		_, _ = w.Write(payload)
	}
	call.Status = resp.status
	call.ResponseHeader = h.Clone()
	call.Response = payload
	s.record(*call)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	if s.maxCalls > 0 && len(s.calls) >= 2*s.maxCalls {
		s.calls = append(s.calls[:0:0], s.calls[len(s.calls)-s.maxCalls:]...)
	}
}

// keptCalls returns the calls Calls reports. s.mu is held.
func (s *Server) keptCalls() []Call {
	if s.maxCalls > 0 && len(s.calls) > s.maxCalls {
		return s.calls[len(s.calls)-s.maxCalls:]
	}
	return s.calls
}

func (s *Server) recordViolation(v Violation) {
	s.mu.Lock()
	s.violations = append(s.violations, v)
	s.mu.Unlock()
	if s.t != nil {
		s.t.Errorf("fake GitHub: spec violation: %s", v)
	}
}

func (s *Server) shaper() shaper { return shaper{now: s.started, base: s.URL} }

// errorResponse is GitHub's basic-error body.
func (s *Server) errorResponse(status int, message, docURL string) response {
	body := obj{"message": message, "status": strconv.Itoa(status)}
	if docURL != "" {
		body["documentation_url"] = docURL
	}
	return response{status: status, body: body}
}

// violationResponse answers a request the spec rejects the way GitHub does:
// 404 for a bad path parameter, 400 for unparsable JSON, else 422.
func (s *Server) violationResponse(c *reqCtx, err error) response {
	doc := s.spec.docURL(c.method, c.route)
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		switch {
		case re.Parameter != nil && re.Parameter.In == "path":
			return s.errorResponse(http.StatusNotFound, "Not Found", doc)
		case re.RequestBody != nil && strings.Contains(re.Reason, "failed to decode"):
			return s.errorResponse(http.StatusBadRequest, "Problems parsing JSON", doc)
		}
		field := ""
		if re.Parameter != nil {
			field = re.Parameter.Name
		}
		var se interface{ JSONPointer() []string }
		if errors.As(err, &se) {
			field = strings.Join(se.JSONPointer(), ".")
		}
		code := "invalid"
		if errors.Is(err, openapi3filter.ErrInvalidRequired) || strings.Contains(err.Error(), "property") && strings.Contains(err.Error(), "missing") {
			code = "missing_field"
		}
		resp := s.errorResponse(http.StatusUnprocessableEntity, "Validation Failed", doc)
		resp.body.(obj)["errors"] = []any{obj{
			"resource": resourceName(c.route),
			"field":    field,
			"code":     code,
			"message":  describeRequestError(err),
		}}
		return resp
	}
	return s.errorResponse(http.StatusUnprocessableEntity, "Validation Failed", doc)
}

// resourceName names the resource a route is about, as GitHub's
// Validation Failed errors do ("Issue", "Deployment"...).
func resourceName(route string) string {
	segs := strings.Split(strings.Trim(route, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		seg := segs[i]
		if seg == "" || strings.HasPrefix(seg, "{") {
			continue
		}
		words := strings.FieldsFunc(strings.TrimSuffix(seg, "s"), func(r rune) bool { return r == '-' || r == '_' })
		for j, w := range words {
			words[j] = strings.ToUpper(w[:1]) + w[1:]
		}
		return strings.Join(words, "")
	}
	return ""
}

// describeRequestError condenses a kin-openapi error into one line.
func describeRequestError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\nSchema:"); i >= 0 {
		msg = msg[:i]
	}
	return strings.Join(strings.Fields(msg), " ")
}

// normalizeQuery rewrites query values GitHub accepts in a richer syntax than
// the spec's schema states (search qualifiers for "created") into a canonical
// form for validation; values that do not parse are left for the spec to
// reject.
func normalizeQuery(r *http.Request) {
	q := r.URL.Query()
	v := q.Get("created")
	if v == "" {
		return
	}
	if _, _, ok := parseDateRange(v); ok {
		q.Set("created", "2006-01-02T15:04:05Z")
		u := cloneURL(r.URL)
		u.RawQuery = q.Encode()
		r.URL = u
	}
}

func requestID(seq int64) string {
	return fmt.Sprintf("FA%02X:%04X:%06X:%06X:%08X", seq%251, seq%65521, seq*7919%16777213, seq, seq*2654435761%4294967291)
}

// waitContext sleeps d or until ctx is done.
func waitContext(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
