// Package oidc verifies the OpenID Connect tokens GitHub Actions issues to a
// workflow job, so golive's server can trust what the job says about itself:
// its repository, run and commit come from GitHub's signature, not from the
// request body.
//
// A job asks for a token with `permissions: id-token: write`, naming golive's
// public URL as the audience; the server checks issuer, audience, expiry and
// the RS256 signature against the issuer's published keys.
package oidc

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/golive-dev/golive/bot/clock"
)

// GitHubActionsIssuer is the issuer of GitHub.com's Actions tokens. GitHub
// Enterprise Server issues them as https://HOST/_services/token.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// Audience is the audience a job asks its token for to call the golive
// server at serverURL, and the one that server checks: the URL without a
// trailing slash, query or fragment.
func Audience(serverURL string) string {
	u, err := url.Parse(strings.TrimSpace(serverURL))
	if err != nil {
		return strings.TrimSuffix(strings.TrimSpace(serverURL), "/")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// Claims are the parts of an Actions token golive uses.
type Claims struct {
	Repository   string `json:"repository"`    // owner/name
	RepositoryID string `json:"repository_id"` // numeric, as a string
	RunID        string `json:"run_id"`
	RunAttempt   string `json:"run_attempt"`
	Actor        string `json:"actor"`
	SHA          string `json:"sha"`
	Ref          string `json:"ref"`
	Environment  string `json:"environment"`
	Workflow     string `json:"workflow"`
	jwt.RegisteredClaims
}

// ErrInvalidToken wraps every reason a token is refused.
var ErrInvalidToken = errors.New("invalid actions token")

// Verifier checks Actions tokens of one issuer for one audience. Keys are
// fetched from the issuer's discovery document and kept for KeyTTL; a token
// signed with an unknown key id refreshes them at most once a minute.
type Verifier struct {
	Issuer   string
	Audience string
	HTTP     *http.Client
	Clock    clock.Clock
	// KeyTTL is how long fetched keys are trusted; an hour when zero.
	KeyTTL time.Duration

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	fetchedAt time.Time
}

// minRefetch bounds how often an unknown key id makes the verifier fetch
// the issuer's keys again, so forged key ids cannot flood the issuer.
const minRefetch = time.Minute

// Verify returns the claims of a valid token.
func (v *Verifier) Verify(ctx context.Context, raw string) (Claims, error) {
	var c Claims
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	_, err := parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return v.key(ctx, kid)
	})
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	now := v.Clock.Now()
	const leeway = time.Minute
	switch {
	case c.Issuer != v.Issuer:
		return Claims{}, fmt.Errorf("%w: issuer %q is not %q", ErrInvalidToken, c.Issuer, v.Issuer)
	case !c.VerifyAudience(v.Audience, true):
		return Claims{}, fmt.Errorf("%w: audience %q does not include %q", ErrInvalidToken, []string(c.Audience), v.Audience)
	case c.ExpiresAt == nil || now.After(c.ExpiresAt.Add(leeway)):
		return Claims{}, fmt.Errorf("%w: token expired", ErrInvalidToken)
	case c.NotBefore != nil && now.Add(leeway).Before(c.NotBefore.Time):
		return Claims{}, fmt.Errorf("%w: token not valid yet", ErrInvalidToken)
	case c.Repository == "" || !strings.Contains(c.Repository, "/"):
		return Claims{}, fmt.Errorf("%w: no repository claim", ErrInvalidToken)
	}
	return c, nil
}

// key returns the public key with id kid, fetching the issuer's keys when
// they are stale or do not hold it.
func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ttl := v.KeyTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	now := v.Clock.Now()
	k, ok := v.keys[kid]
	stale := v.keys == nil || now.Sub(v.fetchedAt) > ttl
	if ok && !stale {
		return k, nil
	}
	if stale || now.Sub(v.fetchedAt) >= minRefetch {
		keys, err := v.fetchKeys(ctx)
		if err != nil {
			if ok {
				return k, nil // the issuer is unreachable; the key we have still signs
			}
			return nil, err
		}
		v.keys, v.fetchedAt = keys, now
	}
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("no key %q among the issuer's keys", kid)
}

func (v *Verifier) fetchKeys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, strings.TrimSuffix(v.Issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, fmt.Errorf("read the issuer's discovery document: %w", err)
	}
	if disc.JWKSURI == "" {
		return nil, fmt.Errorf("the issuer's discovery document names no jwks_uri")
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := v.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("read the issuer's keys: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("the issuer publishes no RSA keys")
	}
	return keys, nil
}

func (v *Verifier) getJSON(ctx context.Context, url string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	hc := v.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.Unmarshal(body, into)
}
