package ghclient_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/google/go-github/v60/github"
)

func TestNewRejectsBadKeyWithoutLeakingIt(t *testing.T) {
	good := keyPEM(t)
	block, _ := pem.Decode(good)

	corruptDER := append([]byte(nil), block.Bytes...)
	for i := 4; i < 64; i++ {
		corruptDER[i] ^= 0x5a
	}
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: corruptDER})

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ec := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})

	// The base64 body of the good key without its PEM armour.
	bare := []byte(strings.Join(strings.Split(string(good), "\n")[1:5], "\n"))

	for name, key := range map[string][]byte{
		"empty":       nil,
		"no armour":   bare,
		"corrupt DER": corrupt,
		"EC key":      ec,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ghclient.New(ghclient.Config{AppID: testAppID, PrivateKeyPEM: key})
			if err == nil {
				t.Fatal("New accepted a bad key")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "parse github app private key: ") {
				t.Errorf("error %q does not say it failed to parse the private key", msg)
			}
			for _, src := range [][]byte{key, good} {
				leak := leakedChunk(msg, src)
				if leak != "" {
					t.Errorf("error %q leaks key material %q", msg, leak)
				}
			}
		})
	}
}

// leakedChunk returns any 12-character run of key's base64 lines that
// appears in msg, or "".
func leakedChunk(msg string, key []byte) string {
	for _, line := range strings.Split(string(key), "\n") {
		if strings.HasPrefix(line, "-----") {
			continue
		}
		for i := 0; i+12 <= len(line); i++ {
			if strings.Contains(msg, line[i:i+12]) {
				return line[i : i+12]
			}
		}
	}
	return ""
}

func TestNewValidatesConfig(t *testing.T) {
	if _, err := ghclient.New(ghclient.Config{AppID: 0, PrivateKeyPEM: keyPEM(t)}); err == nil {
		t.Error("New accepted app id 0")
	}
	if _, err := ghclient.New(ghclient.Config{AppID: 1, PrivateKeyPEM: keyPEM(t), BaseURL: "ghe.example.com/api/v3"}); err == nil {
		t.Error("New accepted a base url without scheme")
	}
	apps, err := ghclient.New(ghclient.Config{AppID: 1, PrivateKeyPEM: keyPEM(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := apps.App().BaseURL.String(); got != "https://api.github.com/" {
		t.Errorf("default base url = %q", got)
	}
	apps, err = ghclient.New(ghclient.Config{AppID: 1, PrivateKeyPEM: keyPEM(t), BaseURL: "https://ghe.example.com/api/v3"})
	if err != nil {
		t.Fatal(err)
	}
	if got := apps.App().BaseURL.String(); got != "https://ghe.example.com/api/v3/" {
		t.Errorf("normalised base url = %q", got)
	}
	c, err := apps.Installation(5)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BaseURL.String(); got != "https://ghe.example.com/api/v3/" {
		t.Errorf("installation base url = %q", got)
	}
	if _, err := apps.Installation(0); err == nil {
		t.Error("Installation(0) succeeded")
	}
}

// TestAppClientSignsJWT checks that the App client sends a valid RS256 JWT
// issued by the App, and that every call (under an Enterprise-style path)
// goes to BaseURL.
func TestAppClientSignsJWT(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v3/app" {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": testAppID, "slug": "golive"})
	}, func(c *ghclient.Config) { c.BaseURL += "/api/v3" })

	app, _, err := h.apps.App().Apps.Get(context.Background(), "")
	if err != nil {
		t.Fatalf("get app: %v", err)
	}
	if app.GetSlug() != "golive" {
		t.Errorf("slug = %q", app.GetSlug())
	}
	reqs := h.fake.requests(http.MethodGet, "/api/v3/app")
	if len(reqs) != 1 {
		t.Fatalf("server saw %d GET /api/v3/app, want 1", len(reqs))
	}
	auth := reqs[0].Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") {
		t.Fatalf("authorization = %q, want a bearer JWT", auth)
	}
	claims := verifyJWT(t, strings.TrimPrefix(auth, "Bearer "), &rsaKey(t).PublicKey)
	if claims["iss"] != strconv.Itoa(testAppID) {
		t.Errorf("jwt iss = %v, want %d", claims["iss"], testAppID)
	}
}

// verifyJWT checks an RS256 signature and returns the claims.
func verifyJWT(t *testing.T, token string, pub *rsa.PublicKey) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("jwt has %d parts", len(parts))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatalf("decode jwt signature: %v", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("jwt signature does not verify: %v", err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode jwt payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("decode jwt claims: %v", err)
	}
	return claims
}

func issueHandler(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/repos/octo/hello/issues/7") {
		w.Header().Set("X-RateLimit-Remaining", "4999")
		writeJSON(w, http.StatusOK, map[string]any{"number": 7, "title": "ship it"})
		return
	}
	http.NotFound(w, r)
}

func TestInstallationClientIsCachedAndTokenReused(t *testing.T) {
	h := newHarness(t, issueHandler, nil)
	ctx := context.Background()

	var wg sync.WaitGroup
	clients := make([]*github.Client, 20)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i] = h.installation(t, 42)
		}()
	}
	wg.Wait()
	for i, c := range clients {
		if c != clients[0] {
			t.Fatalf("client %d differs from client 0", i)
		}
	}

	for i := 0; i < 5; i++ {
		issue, _, err := clients[0].Issues.Get(ctx, "octo", "hello", 7)
		if err != nil {
			t.Fatalf("get issue: %v", err)
		}
		if issue.GetTitle() != "ship it" {
			t.Fatalf("title = %q", issue.GetTitle())
		}
	}
	tokens := h.fake.requests(http.MethodPost, "/app/installations/42/access_tokens")
	if len(tokens) != 1 {
		t.Fatalf("token requests = %d, want 1", len(tokens))
	}
	if !strings.HasPrefix(tokens[0].Header.Get("Authorization"), "Bearer ") {
		t.Errorf("token request authorization = %q, want the App JWT", tokens[0].Header.Get("Authorization"))
	}
	for _, r := range h.fake.requests(http.MethodGet, "/issues/7") {
		if got := r.Header.Get("Authorization"); got != "token tok-42" {
			t.Errorf("issue request authorization = %q, want the installation token", got)
		}
	}

	other := h.installation(t, 43)
	if other == clients[0] {
		t.Fatal("installations 42 and 43 share a client")
	}
	if _, _, err := other.Issues.Get(ctx, "octo", "hello", 7); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.requests(http.MethodPost, "/app/installations/43/access_tokens")); n != 1 {
		t.Errorf("token requests for 43 = %d, want 1", n)
	}

	h.apps.Forget(42)
	fresh := h.installation(t, 42)
	if fresh == clients[0] {
		t.Fatal("Forget(42) kept the cached client")
	}
	if _, _, err := fresh.Issues.Get(ctx, "octo", "hello", 7); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.requests(http.MethodPost, "/app/installations/42/access_tokens")); n != 2 {
		t.Errorf("token requests for 42 after Forget = %d, want 2", n)
	}
}

func TestRedeliver(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/app/hook/deliveries/99/attempts":
			writeJSON(w, http.StatusAccepted, map[string]any{})
		default:
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		}
	}, nil)
	if err := h.apps.Redeliver(context.Background(), 99); err != nil {
		t.Fatalf("Redeliver(99): %v", err)
	}
	reqs := h.fake.requests(http.MethodPost, "/app/hook/deliveries/99/attempts")
	if len(reqs) != 1 || !strings.HasPrefix(reqs[0].Header.Get("Authorization"), "Bearer ") {
		t.Fatalf("redelivery requests = %+v, want one JWT-authenticated POST", reqs)
	}
	err := h.apps.Redeliver(context.Background(), 100)
	if err == nil || !strings.Contains(err.Error(), "redeliver github hook delivery 100") {
		t.Fatalf("Redeliver(100) error = %v", err)
	}
	if ghclient.IsTransient(err) {
		t.Errorf("404 from redelivery classified transient")
	}
}

// TestConcurrentInstallations uses many installations at once (run with
// -race): each gets exactly one token and its own client.
func TestConcurrentInstallations(t *testing.T) {
	h := newHarness(t, issueHandler, nil)
	var wg sync.WaitGroup
	for id := int64(1); id <= 8; id++ {
		for j := 0; j < 4; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := h.apps.Installation(id)
				if err != nil {
					t.Error(err)
					return
				}
				if _, _, err := c.Issues.Get(context.Background(), "octo", "hello", 7); err != nil {
					t.Errorf("installation %d: %v", id, err)
				}
			}()
		}
	}
	wg.Wait()
	for id := 1; id <= 8; id++ {
		path := "/app/installations/" + strconv.Itoa(id) + "/access_tokens"
		if n := len(h.fake.requests(http.MethodPost, path)); n != 1 {
			t.Errorf("installation %d: %d token requests, want 1", id, n)
		}
	}
	if got := h.calls(t, "/repos/{owner}/{repo}/issues/{issue_number}", "GET", "200"); got != 32 {
		t.Errorf("issue calls counted = %v, want 32", got)
	}
}
