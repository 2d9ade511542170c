package ghclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// IsTransient reports whether err, returned by a call through a client from
// this package, may succeed if the same call is tried again later, so a caller
// should retry (or leave the work queued) rather than give up:
//
//   - true: network failures (connection refused or reset, timeouts,
//     unexpected EOF), context cancellation or deadline (the work was cut
//     short, not refused), 5xx responses, rate limits (*github.RateLimitError,
//     *github.AbuseRateLimitError, 429, and 403 responses that are rate
//     limits), and 202 Accepted (*github.AcceptedError: GitHub is still
//     computing the answer) — also when they happen while fetching an
//     installation token;
//   - false: nil, every other 4xx (bad request, unauthorised, forbidden, not
//     found, conflict, validation failed), and anything else, such as TLS
//     certificate errors or malformed responses.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var (
		rateErr     *github.RateLimitError
		abuseErr    *github.AbuseRateLimitError
		acceptedErr *github.AcceptedError
		respErr     *github.ErrorResponse
		tokenErr    *ghinstallation.HTTPError
	)
	switch {
	case errors.As(err, &rateErr), errors.As(err, &abuseErr), errors.As(err, &acceptedErr):
		return true
	case errors.As(err, &respErr):
		return transientResponse(respErr.Response, respErr.Message)
	case errors.As(err, &tokenErr):
		if tokenErr.Response != nil {
			return transientResponse(tokenErr.Response, "")
		}
		return tokenErr.RootCause != nil && IsTransient(tokenErr.RootCause)
	}
	// http.Client wraps every transport error in *url.Error, which itself
	// looks like a net.Error; judge what it wraps instead.
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// transientResponse classifies a failed response by its status and headers;
// message is GitHub's error message, if known.
func transientResponse(resp *http.Response, message string) bool {
	if resp == nil {
		return false
	}
	switch code := resp.StatusCode; {
	case code >= 500, code == http.StatusTooManyRequests:
		return true
	case code == http.StatusForbidden:
		return resp.Header.Get("X-RateLimit-Remaining") == "0" ||
			resp.Header.Get("Retry-After") != "" ||
			strings.Contains(strings.ToLower(message), "secondary rate limit")
	}
	return false
}
