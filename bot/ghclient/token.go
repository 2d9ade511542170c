package ghclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/metrics"
)

// tokenLabel is the installation label of calls made with a plain token
// (NewTokenRepo): metrics and the conditional-request cache account them
// under it.
const tokenLabel = "token"

// NewTokenRepo returns the API of repository fullName ("owner/name") at the
// REST root baseURL (DefaultBaseURL when empty; a GitHub Actions runner's
// GITHUB_API_URL), authenticated by a plain token: the GITHUB_TOKEN of a
// workflow run, an installation token minted elsewhere, or a personal access
// token. No request is made.
//
// Its calls go through the same chain of transports as an installation's
// (metrics → rate-limit wait/retry → conditional-request cache → base, with
// the defaults of Config), accounted under the installation label "token".
// The token is sent as "Authorization: token …" and never appears in an
// error.
func NewTokenRepo(baseURL, token, fullName string, m *metrics.Metrics) (*Repo, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("repository %q is not owner/name", fullName)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("configure github token client: the token is empty")
	}
	if strings.ContainsAny(token, " \t\r\n") {
		// Never repeat it: it may be a real credential pasted wrongly.
		return nil, errors.New("configure github token client: the token contains white space")
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	// An Apps without an App: its chain and client builder are what every
	// installation client uses. Its app client and JWT key stay unset.
	a := &Apps{
		base:      base,
		ep:        endpoint{host: base.Host, basePath: strings.TrimSuffix(base.EscapedPath(), "/")},
		transport: http.DefaultTransport,
		metrics:   m,
		clock:     clock.System{},
		sleep:     clock.Sleep,
		maxWait:   DefaultMaxWait,
		retries:   DefaultMaxRetries,
		cache:     newCondCache(cacheMaxEntries, cacheMaxBytes, cacheMaxEntryBytes),
	}
	c := a.newClient(&tokenTransport{next: a.chain(tokenLabel), token: token})
	return &Repo{client: c, owner: owner, name: name}, nil
}

// tokenTransport authenticates every request, retries included, with a
// plain token.
type tokenTransport struct {
	next  http.RoundTripper
	token string
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	// "token", not "Bearer": the chain accounts Bearer calls to the App.
	r.Header.Set("Authorization", "token "+t.token)
	return t.next.RoundTrip(r)
}
