package fakegithub

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// Fixture names shared by the tests.
const (
	testOrg      = "acme"
	testRepo     = "acme/api"
	testInstall  = int64(4242)
	otherInstall = int64(5151)
	otherRepo    = "globex/web"
)

// newTestServer starts a server with two installations and checks, when the
// test ends, that every response it sent matches the spec.
func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Start(opts)
	if err != nil {
		t.Fatalf("starting fake GitHub: %v", err)
	}
	t.Cleanup(func() {
		srv.Close()
		assertResponsesMatchSpec(t, srv)
	})
	srv.AddInstallation(testInstall, testOrg, "Organization", testRepo)
	srv.AddInstallation(otherInstall, "globex", "Organization", otherRepo)
	return srv
}

// assertResponsesMatchSpec validates every recorded response against the
// spec with openapi3filter.ValidateResponse.
func assertResponsesMatchSpec(t *testing.T, srv *Server) {
	t.Helper()
	for _, err := range srv.CheckResponses() {
		t.Errorf("response does not match the spec: %v", err)
	}
}

// keyFile writes the App's private key to a file, as golive reads it.
func keyFile(t *testing.T, srv *Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(p, srv.PrivateKeyPEM(), 0o600); err != nil {
		t.Fatalf("writing key file: %v", err)
	}
	return p
}

func withBase(t *testing.T, c *github.Client, base string) *github.Client {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing base URL %q: %v", base, err)
	}
	c.BaseURL = u
	return c
}

// installationClient is a go-github client authenticated as installation id
// through ghinstallation, as golive builds it.
func installationClient(t *testing.T, srv *Server, id int64) *github.Client {
	t.Helper()
	tr, err := ghinstallation.NewKeyFromFile(http.DefaultTransport, srv.AppID(), id, keyFile(t, srv))
	if err != nil {
		t.Fatalf("creating installation transport: %v", err)
	}
	tr.BaseURL = srv.URL
	return withBase(t, github.NewClient(&http.Client{Transport: tr}), srv.URL)
}

// appClient is a go-github client authenticated as the App (JWT).
func appClient(t *testing.T, srv *Server) *github.Client {
	t.Helper()
	tr, err := ghinstallation.NewAppsTransportKeyFromFile(http.DefaultTransport, srv.AppID(), keyFile(t, srv))
	if err != nil {
		t.Fatalf("creating apps transport: %v", err)
	}
	tr.BaseURL = srv.URL
	return withBase(t, github.NewClient(&http.Client{Transport: tr}), srv.URL)
}

// anonClient is a go-github client without credentials.
func anonClient(t *testing.T, srv *Server) *github.Client {
	t.Helper()
	return withBase(t, github.NewClient(nil), srv.URL)
}

// rawDo sends a request through a go-github client for operations go-github
// v60 has no method for (or shapes differently from the spec).
func rawDo(t *testing.T, c *github.Client, method, path string, body, out any) *github.Response {
	t.Helper()
	req, err := c.NewRequest(method, path, body)
	if err != nil {
		t.Fatalf("building %s %s: %v", method, path, err)
	}
	resp, err := c.Do(context.Background(), req, out)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// do sends a plain HTTP request with an Authorization header.
func do(t *testing.T, srv *Server, method, path, auth string, body []byte, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("building %s %s: %v", method, path, err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func must[T any](t *testing.T, what string) func(T, *github.Response, error) T {
	return func(v T, _ *github.Response, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func mustResp(t *testing.T, what string) func(*github.Response, error) {
	return func(_ *github.Response, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// noViolations fails the test if the server saw any spec violation.
func noViolations(t *testing.T, srv *Server) {
	t.Helper()
	for _, v := range srv.Violations() {
		t.Errorf("unexpected spec violation: %s", v)
	}
}
