// Package signature checks the HMAC signatures GitHub and Slack put on the
// requests they send golive. Comparisons are constant-time.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrMissing means the request carried no usable signature header.
	ErrMissing = errors.New("signature missing")
	// ErrSHA1Only means a GitHub request carried only the legacy SHA-1
	// X-Hub-Signature header, which golive does not accept.
	ErrSHA1Only = errors.New("only the sha1 X-Hub-Signature header is present; X-Hub-Signature-256 is required")
	// ErrMismatch means the signature does not match the body.
	ErrMismatch = errors.New("signature does not match")
	// ErrStale means a Slack request's timestamp is outside the replay window.
	ErrStale = errors.New("timestamp outside the replay window")
	// ErrNoSecret means verification was attempted with an empty secret. It
	// always fails closed.
	ErrNoSecret = errors.New("no signing secret configured")
)

// SlackReplayWindow is how far a Slack request's timestamp may be from now.
const SlackReplayWindow = 5 * time.Minute

// SignGitHub returns the X-Hub-Signature-256 value for body.
func SignGitHub(secret, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, body))
}

// VerifyGitHub checks an X-Hub-Signature-256 header value against body.
// sha1Header is the legacy X-Hub-Signature value, used only to explain the
// refusal when it is the only one present.
func VerifyGitHub(secret, body []byte, sha256Header, sha1Header string) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if sha256Header == "" {
		if sha1Header != "" {
			return ErrSHA1Only
		}
		return ErrMissing
	}
	return compare(sha256Header, "sha256=", mac(secret, body))
}

// SignSlack returns the X-Slack-Signature value for a request body sent at
// timestamp (Unix seconds, as in X-Slack-Request-Timestamp).
func SignSlack(secret []byte, timestamp string, body []byte) string {
	return "v0=" + hex.EncodeToString(mac(secret, []byte("v0:"+timestamp+":"), body))
}

// VerifySlack checks Slack's v0 request signature. The timestamp must be
// within SlackReplayWindow of now, in either direction.
func VerifySlack(secret []byte, now time.Time, timestamp, sig string, body []byte) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if timestamp == "" || sig == "" {
		return ErrMissing
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not Unix seconds: %w", timestamp, ErrMismatch)
	}
	if d := now.Sub(time.Unix(secs, 0)); d > SlackReplayWindow || d < -SlackReplayWindow {
		return ErrStale
	}
	return compare(sig, "v0=", mac(secret, []byte("v0:"+timestamp+":"), body))
}

// mac is HMAC-SHA256 of the concatenated parts.
func mac(secret []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// compare checks a "<prefix><hex digest>" header against want in constant time.
func compare(header, prefix string, want []byte) error {
	hexSig, ok := strings.CutPrefix(header, prefix)
	if !ok {
		return fmt.Errorf("signature without the %q prefix: %w", prefix, ErrMismatch)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("signature is not hex: %w", ErrMismatch)
	}
	if !hmac.Equal(got, want) {
		return ErrMismatch
	}
	return nil
}
