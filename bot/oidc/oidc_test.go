package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakeoidc"
	"github.com/golive-dev/golive/bot/oidc"
)

const audience = "https://golive.example.com"

func jobClaims() map[string]any {
	return map[string]any{"repository": "acme/shop", "repository_id": "42", "run_id": "9001", "run_attempt": "1",
		"actor": "octocat", "sha": strings.Repeat("a", 40), "aud": audience}
}

func TestVerifyAcceptsAJobToken(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	is := fakeoidc.New(clk, jobClaims())
	defer is.Close()
	v := &oidc.Verifier{Issuer: is.URL(), Audience: audience, Clock: clk}
	c, err := v.Verify(context.Background(), is.Sign(jobClaims(), clk.Now()))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if c.Repository != "acme/shop" || c.RunID != "9001" || c.Actor != "octocat" {
		t.Fatalf("claims = %+v", c)
	}
}

func TestVerifyRefuses(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	is := fakeoidc.New(clk, jobClaims())
	defer is.Close()
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) string {
		c := jobClaims()
		c[k] = v
		return is.Sign(c, clk.Now())
	}
	good := is.Sign(jobClaims(), clk.Now())
	payload := strings.Split(good, ".")[1]
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"fake-key-1"}`))
	cases := []struct {
		name, token, want string
	}{
		{"wrong audience", with("aud", "https://evil.example.com"), "audience"},
		{"wrong issuer", with("iss", "https://token.example.com"), "issuer"},
		{"expired", is.Sign(jobClaims(), clk.Now().Add(-10*time.Minute)), "expired"},
		{"not valid yet", is.Sign(jobClaims(), clk.Now().Add(10*time.Minute)), "not valid yet"},
		{"no repository", with("repository", ""), "repository"},
		{"forged signature", is.SignWith(otherKey, "fake-key-1", jwt.MapClaims(mapOf(jobClaims(), is.URL(), clk.Now()))), "verification error"},
		{"unknown key id", is.SignWith(otherKey, "attacker", jwt.MapClaims(mapOf(jobClaims(), is.URL(), clk.Now()))), "no key"},
		{"alg none", noneHeader + "." + payload + ".", "signing method"},
		{"garbage", "not-a-jwt", "token"},
	}
	v := &oidc.Verifier{Issuer: is.URL(), Audience: audience, Clock: clk}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			if !errors.Is(err, oidc.ErrInvalidToken) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidToken mentioning %q", err, tc.want)
			}
		})
	}
}

// mapOf is a full claim set as the issuer would sign it.
func mapOf(c map[string]any, iss string, now time.Time) map[string]any {
	c["iss"] = iss
	c["iat"], c["nbf"], c["exp"] = now.Unix(), now.Unix(), now.Add(5*time.Minute).Unix()
	return c
}

func TestVerifyFetchesKeysOnceAndWhenTheyRotate(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	is := fakeoidc.New(clk, jobClaims())
	defer is.Close()
	v := &oidc.Verifier{Issuer: is.URL(), Audience: audience, Clock: clk}
	for i := 0; i < 3; i++ {
		if _, err := v.Verify(context.Background(), is.Sign(jobClaims(), clk.Now())); err != nil {
			t.Fatal(err)
		}
	}
	// The issuer goes away: keys already fetched keep verifying.
	is.Close()
	if _, err := v.Verify(context.Background(), is.Sign(jobClaims(), clk.Now())); err != nil {
		t.Fatalf("verify with cached keys: %v", err)
	}
	// An unknown key id with the issuer down is refused, not crashed on.
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	clk.Advance(2 * time.Minute)
	if _, err := v.Verify(context.Background(), is.SignWith(otherKey, "rotated", jwt.MapClaims(mapOf(jobClaims(), is.URL(), clk.Now())))); err == nil {
		t.Fatal("a token signed with an unknown key verified")
	}
}
