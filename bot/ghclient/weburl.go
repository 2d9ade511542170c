package ghclient

import (
	"fmt"
	"net/url"
	"strings"
)

// IssueURL returns the web address of issue number of repo ("owner/name")
// on the GitHub whose REST API root is apiURL: github.com for
// api.github.com, the host without /api/v3 for GitHub Enterprise Server.
func IssueURL(apiURL, repo string, number int) string {
	web := "https://github.com"
	if u, err := url.Parse(apiURL); err == nil && u.Host != "" && u.Host != "api.github.com" {
		u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3")
		u.RawQuery, u.Fragment = "", ""
		web = strings.TrimSuffix(u.String(), "/")
	}
	return fmt.Sprintf("%s/%s/issues/%d", web, repo, number)
}
