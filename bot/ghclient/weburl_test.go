package ghclient_test

import (
	"testing"

	"github.com/golive-dev/golive/bot/ghclient"
)

func TestIssueURL(t *testing.T) {
	for _, tc := range []struct{ api, want string }{
		{"https://api.github.com/", "https://github.com/acme/api/issues/7"},
		{"", "https://github.com/acme/api/issues/7"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/acme/api/issues/7"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/acme/api/issues/7"},
		{"http://127.0.0.1:4000/", "http://127.0.0.1:4000/acme/api/issues/7"},
	} {
		if got := ghclient.IssueURL(tc.api, "acme/api", 7); got != tc.want {
			t.Errorf("IssueURL(%q) = %q, want %q", tc.api, got, tc.want)
		}
	}
}
