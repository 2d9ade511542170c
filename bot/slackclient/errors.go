package slackclient

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidArgument marks calls refused before reaching Slack because an
// argument was unusable. Such errors are permanent.
var ErrInvalidArgument = errors.New("invalid argument")

// APIError is Slack answering a call with {"ok":false,"error":Code}.
type APIError struct {
	// Method is the Web API method, or "response_url".
	Method string
	Code   string
	// Err is the underlying error from slack-go, if any.
	Err error
}

func (e *APIError) Error() string { return fmt.Sprintf("slack %s: %s", e.Method, e.Code) }

func (e *APIError) Unwrap() error { return e.Err }

// transientCodes are the Slack error codes worth retrying; every other code
// describes a request that will keep failing until something changes.
var transientCodes = map[string]bool{
	"internal_error":         true,
	"fatal_error":            true,
	"service_unavailable":    true,
	"request_timeout":        true,
	"ratelimited":            true,
	"rate_limited":           true,
	"message_limit_exceeded": true,
	"team_added_to_org":      true,
}

// Permanent reports whether retrying the same call cannot succeed. It is
// false only for Slack's server-side and throttling codes (internal_error,
// fatal_error, service_unavailable, request_timeout, ratelimited,
// rate_limited, message_limit_exceeded, team_added_to_org); codes such as
// channel_not_found, not_in_channel, invalid_auth, not_authed,
// account_inactive, is_archived, no_text and msg_too_long, and codes this
// package does not know, are permanent.
func (e *APIError) Permanent() bool { return !transientCodes[e.Code] }

// RateLimitedError is Slack answering HTTP 429. Retry after RetryAfter.
type RateLimitedError struct {
	Method     string
	RetryAfter time.Duration
	// Err is slack-go's *slack.RateLimitedError (nil for response_url).
	Err error
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("slack %s: rate limited, retry after %s", e.Method, e.RetryAfter)
}

func (e *RateLimitedError) Unwrap() error { return e.Err }

// Permanent is false: the call may succeed after RetryAfter.
func (e *RateLimitedError) Permanent() bool { return false }

// TransportError is a call that got no usable Slack answer: the request
// failed on the network, timed out, or got a non-200 HTTP status without a
// Slack error code.
type TransportError struct {
	Method string
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	Err        error
}

func (e *TransportError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("slack %s: http status %d: %v", e.Method, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("slack %s: %v", e.Method, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Permanent is true only for 4xx statuses other than 408 and 429; network
// failures and 5xx are transient.
func (e *TransportError) Permanent() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != 408 && e.StatusCode != 429
}

// IsPermanent reports whether err (from this package) means retrying the
// same call is pointless: a permanent APIError or TransportError, or an
// ErrInvalidArgument. Rate limits, network trouble, 5xx and context errors
// are not permanent; nil is not permanent.
func IsPermanent(err error) bool {
	if errors.Is(err, ErrInvalidArgument) {
		return true
	}
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// RetryAfter returns how long Slack asked to wait, when err is a rate limit.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}

// ErrorCode returns the Slack error code carried by err, or "".
func ErrorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
