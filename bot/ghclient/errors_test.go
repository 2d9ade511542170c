package ghclient_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/ghclient"
)

func errorResponse(code int, header http.Header, message string) *github.ErrorResponse {
	if header == nil {
		header = http.Header{}
	}
	return &github.ErrorResponse{
		Response: &http.Response{StatusCode: code, Header: header, Request: &http.Request{Method: "GET", URL: &url.URL{Path: "/x"}}},
		Message:  message,
	}
}

func TestIsTransient(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "https://api.github.com/app", Err: err} }
	retryAfter := time.Minute
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"canceled", urlErr(context.Canceled), true},
		{"deadline", fmt.Errorf("get issue: %w", context.DeadlineExceeded), true},
		{"connection refused", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), true},
		{"connection reset", urlErr(syscall.ECONNRESET), true},
		{"unexpected EOF", urlErr(io.ErrUnexpectedEOF), true},
		{"dns", urlErr(&net.DNSError{Err: "no such host", Name: "api.github.com", IsTimeout: true}), true},
		{"tls certificate", urlErr(x509.UnknownAuthorityError{}), false},
		{"500", errorResponse(500, nil, ""), true},
		{"502", errorResponse(502, nil, ""), true},
		{"429", errorResponse(429, nil, ""), true},
		{"403 remaining 0", errorResponse(403, http.Header{"X-Ratelimit-Remaining": {"0"}}, ""), true},
		{"403 retry-after", errorResponse(403, http.Header{"Retry-After": {"30"}}, ""), true},
		{"403 secondary message", errorResponse(403, nil, "You have exceeded a secondary rate limit"), true},
		{"403 permission", errorResponse(403, http.Header{"X-Ratelimit-Remaining": {"4000"}}, "Resource not accessible by integration"), false},
		{"400", errorResponse(400, nil, ""), false},
		{"401", errorResponse(401, nil, ""), false},
		{"404", fmt.Errorf("get issue: %w", errorResponse(404, nil, "Not Found")), false},
		{"409", errorResponse(409, nil, ""), false},
		{"422", errorResponse(422, nil, "Validation Failed"), false},
		{"rate limit", &github.RateLimitError{Response: &http.Response{StatusCode: 403}}, true},
		{"abuse rate limit", &github.AbuseRateLimitError{Response: &http.Response{StatusCode: 403}, RetryAfter: &retryAfter}, true},
		{"accepted", &github.AcceptedError{}, true},
		{"token 503", urlErr(fmt.Errorf("refresh: %w", &ghinstallation.HTTPError{Response: &http.Response{StatusCode: 503, Header: http.Header{}}})), true},
		{"token 401", urlErr(fmt.Errorf("refresh: %w", &ghinstallation.HTTPError{Response: &http.Response{StatusCode: 401, Header: http.Header{}}})), false},
		{"token 404 (installation gone)", &ghinstallation.HTTPError{Response: &http.Response{StatusCode: 404, Header: http.Header{}}}, false},
		{"token network", urlErr(&ghinstallation.HTTPError{RootCause: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}), true},
		{"plain error", errors.New("decode: invalid character"), false},
	} {
		if got := ghclient.IsTransient(tc.err); got != tc.want {
			t.Errorf("%s: IsTransient(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
