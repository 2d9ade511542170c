package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/oidc"
	"github.com/golive-dev/golive/handlers"
)

// serverURL is the golive server the step reports to (input server_url),
// "" when none is configured. A malformed URL is a bad input.
func (a *actionRun) serverURL() string {
	s := a.input("server_url")
	if s == "" {
		return ""
	}
	if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		a.problem("input `server_url` %q is not an http or https URL", s)
		return ""
	}
	return s
}

// errNoIDToken: the job may not ask for an OIDC token.
var errNoIDToken = errors.New("the job cannot get a GitHub Actions OIDC token to prove itself to the golive server: give the job `permissions: id-token: write`")

// idToken asks the runner for an OIDC token for audience.
func (a *actionRun) idToken(ctx context.Context, audience string) (string, error) {
	reqURL, _ := a.env.Lookup("ACTIONS_ID_TOKEN_REQUEST_URL")
	reqToken, _ := a.env.Lookup("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL == "" || reqToken == "" {
		return "", errNoIDToken
	}
	sep := "&"
	if !strings.Contains(reqURL, "?") {
		sep = "?"
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reqURL+sep+"audience="+url.QueryEscape(audience), nil)
	if err != nil {
		return "", fmt.Errorf("ask for an OIDC token: %w", err)
	}
	req.Header.Set("Authorization", "bearer "+reqToken)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("ask for an OIDC token: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var v struct {
		Value string `json:"value"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil || v.Value == "" {
		return "", fmt.Errorf("ask for an OIDC token: the runner answered %d", resp.StatusCode)
	}
	return v.Value, nil
}

// serverAttempts bounds how often a report is sent; the server keeps one
// report per run and body, so sending again after a lost answer is safe.
const serverAttempts = 4

// notifyServer sends ev to the golive server at server and returns its
// status ("accepted", or "duplicate" when it already had it). Network
// errors, 429 and 5xx are retried with growing waits (Retry-After, when
// given, up to 30 s); other refusals are returned at once.
func (a *actionRun) notifyServer(ctx context.Context, server string, ev handlers.ActionEventRequest) (string, error) {
	token, err := a.idToken(ctx, oidc.Audience(server))
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("encode the report: %w", err)
	}
	endpoint := strings.TrimSuffix(oidc.Audience(server), "/") + "/api/actions/events"
	wait := time.Second
	var last error
	for attempt := 1; attempt <= serverAttempts; attempt++ {
		status, retryAfter, err := postEvent(ctx, endpoint, token, body)
		if err == nil {
			return status, nil
		}
		last = err
		var perm permanentError
		if errors.As(err, &perm) || attempt == serverAttempts {
			break
		}
		d := wait
		if retryAfter > 0 {
			d = min(retryAfter, 30*time.Second)
		}
		if err := actionSleep(ctx, d); err != nil {
			return "", err
		}
		wait *= 2
	}
	return "", fmt.Errorf("report to the golive server at %q: %w", server, last)
}

// permanentError is a refusal that sending again will not change.
type permanentError struct{ error }

// postEvent sends one report.
func postEvent(ctx context.Context, endpoint, token string, body []byte) (status string, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", 0, permanentError{err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var answer struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	_ = json.Unmarshal(raw, &answer)
	why := answer.Error
	if why == "" {
		why = strings.TrimSpace(string(raw))
	}
	switch {
	case resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK:
		return answer.Status, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return "", time.Duration(secs) * time.Second, fmt.Errorf("the server answered %d: %s", resp.StatusCode, why)
	}
	return "", 0, permanentError{fmt.Errorf("the server refused the report (%d): %s", resp.StatusCode, why)}
}

// actionSleep waits between attempts to reach the server; tests shorten it.
var actionSleep = clock.Sleep

// tickOnIssue ticks the go-live issue's task-list items ids by editing its
// body, as a person would; golive's server, when installed, sees the edit
// and audits it. It returns the items it ticked.
func (a *actionRun) tickOnIssue(ctx context.Context, number int, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	is, err := a.repo.Issue(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("read go-live issue #%d: %w", number, err)
	}
	body, ticked := checklist.TickItems(is.Body, ids)
	if len(ticked) == 0 {
		return nil, nil
	}
	if err := a.repo.SetIssueBody(ctx, number, body); err != nil {
		return nil, fmt.Errorf("tick %q on go-live issue #%d: %w", ticked, number, err)
	}
	return ticked, nil
}
