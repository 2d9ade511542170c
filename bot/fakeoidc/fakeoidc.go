// Package fakeoidc is a stand-in for GitHub Actions' OpenID Connect
// provider: it publishes a discovery document and keys as
// token.actions.githubusercontent.com does, and answers a job's token
// request (ACTIONS_ID_TOKEN_REQUEST_URL) with a signed token for the
// audience asked for.
package fakeoidc

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/golive-dev/golive/bot/clock"
)

// RequestToken is the bearer token a job sends to ask for an ID token (the
// runner's ACTIONS_ID_TOKEN_REQUEST_TOKEN).
const RequestToken = "fake-actions-id-token-request-token"

// Issuer is a running fake provider.
type Issuer struct {
	srv   *httptest.Server
	key   *rsa.PrivateKey
	kid   string
	clock clock.Clock

	mu sync.Mutex
	// Claims are the job claims put into tokens the request endpoint issues
	// (repository, run_id, …); iss, aud, iat, nbf and exp are added.
	claims   map[string]any
	requests int
}

// New starts a provider whose tokens carry claims and are issued at clk's
// now; Close stops it.
func New(clk clock.Clock, claims map[string]any) *Issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	is := &Issuer{key: key, kid: "fake-key-1", claims: claims, clock: clk}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"issuer": is.URL(), "jwks_uri": is.URL() + "/.well-known/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /.well-known/jwks", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": is.kid,
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	// The runner's token endpoint: GET with the request token as bearer,
	// the audience as a query parameter; the answer is {"value": JWT}.
	mux.HandleFunc("GET /token", func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Authorization"), "bearer "+RequestToken) {
			http.Error(w, `{"message":"bad request token"}`, http.StatusUnauthorized)
			return
		}
		is.mu.Lock()
		is.requests++
		claims := map[string]any{}
		for k, v := range is.claims {
			claims[k] = v
		}
		is.mu.Unlock()
		aud := r.URL.Query().Get("audience")
		if aud == "" {
			aud = "https://github.com/" + strings.Split(claims["repository"].(string), "/")[0]
		}
		claims["aud"] = aud
		writeJSON(w, map[string]any{"count": 1, "value": is.Sign(claims, is.clock.Now())})
	})
	is.srv = httptest.NewServer(mux)
	return is
}

// URL is the issuer (GOLIVE_ACTIONS_OIDC_ISSUER).
func (is *Issuer) URL() string { return is.srv.URL }

// RequestURL is the job's ACTIONS_ID_TOKEN_REQUEST_URL.
func (is *Issuer) RequestURL() string { return is.srv.URL + "/token?api-version=2.0" }

// Requests counts the token requests answered.
func (is *Issuer) Requests() int {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.requests
}

// Close stops the provider.
func (is *Issuer) Close() { is.srv.Close() }

// Sign returns a token with claims (iss, iat, nbf and a 5-minute exp from
// now are added unless present) signed by the provider's key.
func (is *Issuer) Sign(claims map[string]any, now time.Time) string {
	c := jwt.MapClaims{"iss": is.URL(), "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	return is.SignWith(is.key, is.kid, c)
}

// SignWith signs claims with any key and key id, for forged tokens.
func (is *Issuer) SignWith(key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = kid
	s, err := t.SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
