package ghclient

import (
	"fmt"
	"net/url"
	"strings"
)

// WebURL returns the web root of the GitHub whose REST API root is apiURL:
// https://github.com for api.github.com, the host without /api/v3 for
// GitHub Enterprise Server.
func WebURL(apiURL string) string {
	if u, err := url.Parse(apiURL); err == nil && u.Host != "" && u.Host != "api.github.com" {
		u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3")
		u.RawQuery, u.Fragment = "", ""
		return strings.TrimSuffix(u.String(), "/")
	}
	return "https://github.com"
}

// IssueURL returns the web address of issue number of repo ("owner/name").
func IssueURL(apiURL, repo string, number int) string {
	return fmt.Sprintf("%s/%s/issues/%d", WebURL(apiURL), repo, number)
}

// RunURL returns the web address of a workflow run of repo.
func RunURL(apiURL, repo, runID string) string {
	return fmt.Sprintf("%s/%s/actions/runs/%s", WebURL(apiURL), repo, url.PathEscape(runID))
}
