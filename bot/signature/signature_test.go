package signature_test

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/signature"
)

type vector struct {
	ID                  string `json:"id"`
	Secret              string `json:"secret"`
	Payload             string `json:"payload"`
	ExpectedHeaderValue string `json:"expected_header_value"`
	SigningSecret       string `json:"signing_secret"`
	Timestamp           string `json:"timestamp"`
	ExpectedSignature   string `json:"expected_signature"`
	Request             struct {
		RawBody string `json:"raw_body"`
	} `json:"request"`
}

func loadVectors(t *testing.T) map[string]vector {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/slack/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	m := map[string]vector{}
	for _, v := range f.Vectors {
		m[v.ID] = v
	}
	if len(m) != 2 {
		t.Fatalf("want 2 documented vectors, got %d", len(m))
	}
	return m
}

func TestGitHubDocumentedVector(t *testing.T) {
	v := loadVectors(t)["github-webhook-x-hub-signature-256"]
	if got := signature.SignGitHub([]byte(v.Secret), []byte(v.Payload)); got != v.ExpectedHeaderValue {
		t.Fatalf("SignGitHub = %q, want %q", got, v.ExpectedHeaderValue)
	}
	if err := signature.VerifyGitHub([]byte(v.Secret), []byte(v.Payload), v.ExpectedHeaderValue, ""); err != nil {
		t.Fatalf("documented vector rejected: %v", err)
	}
}

func TestGitHubRejections(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"zen":"hi"}`)
	good := signature.SignGitHub(secret, body)
	cases := []struct {
		name         string
		secret       []byte
		body         []byte
		sha256, sha1 string
		want         error
	}{
		{"no header", secret, body, "", "", signature.ErrMissing},
		{"sha1 only", secret, body, "", "sha1=0123", signature.ErrSHA1Only},
		{"wrong secret", []byte("other"), body, good, "", signature.ErrMismatch},
		{"tampered body", secret, []byte(`{"zen":"ho"}`), good, "", signature.ErrMismatch},
		{"no prefix", secret, body, good[len("sha256="):], "", signature.ErrMismatch},
		{"not hex", secret, body, "sha256=zz", "", signature.ErrMismatch},
		{"truncated", secret, body, good[:len(good)-2], "", signature.ErrMismatch},
		{"empty secret fails closed", nil, body, signature.SignGitHub(nil, body), "", signature.ErrNoSecret},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := signature.VerifyGitHub(c.secret, c.body, c.sha256, c.sha1)
			if !errors.Is(err, c.want) {
				t.Fatalf("VerifyGitHub error = %v, want %v", err, c.want)
			}
		})
	}
}

func TestSlackDocumentedVector(t *testing.T) {
	v := loadVectors(t)["slack-request-signing-v0"]
	ts, _ := strconv.ParseInt(v.Timestamp, 10, 64)
	now := time.Unix(ts, 0).Add(30 * time.Second)
	if got := signature.SignSlack([]byte(v.SigningSecret), v.Timestamp, []byte(v.Request.RawBody)); got != v.ExpectedSignature {
		t.Fatalf("SignSlack = %q, want %q", got, v.ExpectedSignature)
	}
	if err := signature.VerifySlack([]byte(v.SigningSecret), now, v.Timestamp, v.ExpectedSignature, []byte(v.Request.RawBody)); err != nil {
		t.Fatalf("documented vector rejected: %v", err)
	}
	// The same request replayed later than the window is refused even though
	// its signature is right.
	late := time.Unix(ts, 0).Add(signature.SlackReplayWindow + time.Second)
	if err := signature.VerifySlack([]byte(v.SigningSecret), late, v.Timestamp, v.ExpectedSignature, []byte(v.Request.RawBody)); !errors.Is(err, signature.ErrStale) {
		t.Fatalf("replayed request: error = %v, want ErrStale", err)
	}
	early := time.Unix(ts, 0).Add(-signature.SlackReplayWindow - time.Second)
	if err := signature.VerifySlack([]byte(v.SigningSecret), early, v.Timestamp, v.ExpectedSignature, []byte(v.Request.RawBody)); !errors.Is(err, signature.ErrStale) {
		t.Fatalf("future-dated request: error = %v, want ErrStale", err)
	}
	if err := signature.VerifySlack([]byte(v.SigningSecret), now, v.Timestamp, v.ExpectedSignature, []byte(v.Request.RawBody+"x")); !errors.Is(err, signature.ErrMismatch) {
		t.Fatalf("tampered body: error = %v, want ErrMismatch", err)
	}
	if err := signature.VerifySlack([]byte(v.SigningSecret), now, "", v.ExpectedSignature, []byte(v.Request.RawBody)); !errors.Is(err, signature.ErrMissing) {
		t.Fatalf("no timestamp: error = %v, want ErrMissing", err)
	}
	if err := signature.VerifySlack(nil, now, v.Timestamp, v.ExpectedSignature, []byte(v.Request.RawBody)); !errors.Is(err, signature.ErrNoSecret) {
		t.Fatalf("empty secret: error = %v, want ErrNoSecret", err)
	}
}

func FuzzVerifyGitHub(f *testing.F) {
	f.Add([]byte("body"), "sha256=00")
	f.Add([]byte(""), "")
	secret := []byte("fuzz-secret")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		err := signature.VerifyGitHub(secret, body, header, "")
		// Hex digits may come in either case; nothing else may verify.
		if err == nil && !strings.EqualFold(header, signature.SignGitHub(secret, body)) {
			t.Fatalf("accepted header %q that is not the body's signature", header)
		}
	})
}
