package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DefaultTimeout bounds each request of a source with a nil Client.
const DefaultTimeout = 10 * time.Second

// maxAnswer is the most of a Prometheus answer that is read.
const maxAnswer = 10 << 20

// Prometheus samples with two instant queries against a Prometheus server's
// HTTP API, GET {BaseURL}/api/v1/query?query=….
//
// Each query must give a vector or a scalar. A vector with several series
// counts its worst (largest) value, so a per-instance query trips on any
// instance; NaN series (such as 0/0 without traffic) are skipped. An empty
// result, or one of only NaNs, is an error rather than a zero: a watch must
// not pass because nothing was measured.
type Prometheus struct {
	// BaseURL is the server's root, e.g. "http://prometheus:9090" or one
	// with a path prefix; it may carry basic-auth credentials, which no
	// error repeats.
	BaseURL string
	// Client makes the requests; nil means one with DefaultTimeout.
	Client *http.Client
	// ErrorRateQuery gives the error rate as a fraction, e.g.
	// sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m])).
	ErrorRateQuery string
	// LatencyQuery gives the latency in seconds, e.g.
	// histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))).
	LatencyQuery string
}

// Sample runs both queries.
func (p Prometheus) Sample(ctx context.Context) (Sample, error) {
	if p.ErrorRateQuery == "" || p.LatencyQuery == "" {
		return Sample{}, errors.New("sample prometheus: both an error rate query and a latency query are needed")
	}
	endpoint, err := p.endpoint()
	if err != nil {
		return Sample{}, fmt.Errorf("sample prometheus: %w", err)
	}
	rate, err := p.query(ctx, endpoint, p.ErrorRateQuery)
	if err != nil {
		return Sample{}, fmt.Errorf("query prometheus for the error rate %q: %w", p.ErrorRateQuery, err)
	}
	if rate < 0 {
		return Sample{}, fmt.Errorf("query prometheus for the error rate %q: got %v, want a fraction of at least 0", p.ErrorRateQuery, rate)
	}
	secs, err := p.query(ctx, endpoint, p.LatencyQuery)
	if err != nil {
		return Sample{}, fmt.Errorf("query prometheus for the latency %q: %w", p.LatencyQuery, err)
	}
	if secs < 0 {
		return Sample{}, fmt.Errorf("query prometheus for the latency %q: got %v, want seconds of at least 0", p.LatencyQuery, secs)
	}
	return Sample{ErrorRate: rate, Latency: seconds(secs)}, nil
}

// seconds converts s to a Duration, +Inf and overflows to the largest one.
func seconds(s float64) time.Duration {
	ns := math.Round(s * float64(time.Second))
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// endpoint is the query API URL. Its errors never repeat BaseURL.
func (p Prometheus) endpoint() (*url.URL, error) {
	if p.BaseURL == "" {
		return nil, errors.New("no base URL")
	}
	u, err := url.Parse(p.BaseURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("base URL does not parse: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("base URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("base URL has no host")
	}
	u = u.JoinPath("api", "v1", "query")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// promAnswer is the envelope of every Prometheus API answer.
type promAnswer struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// query runs one instant query and returns its value.
func (p Prometheus) query(ctx context.Context, endpoint *url.URL, q string) (float64, error) {
	u := *endpoint
	u.RawQuery = url.Values{"query": {q}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("build the request: %w", unwrapURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "golive-watch")
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("request: %w", unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, fmt.Errorf("read the answer: %w", unwrapURLError(err))
	}
	var a promAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return 0, fmt.Errorf("prometheus answered %s", statusText(resp.StatusCode))
		}
		return 0, fmt.Errorf("decode the answer: %w", err)
	}
	if a.Status != "success" {
		if a.ErrorType == "" && a.Error == "" {
			return 0, fmt.Errorf("prometheus answered %s with status %q", statusText(resp.StatusCode), a.Status)
		}
		return 0, fmt.Errorf("prometheus answered %s: %s: %s", statusText(resp.StatusCode), a.ErrorType, a.Error)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, fmt.Errorf("prometheus answered %s", statusText(resp.StatusCode))
	}
	return value(a.Data.ResultType, a.Data.Result)
}

// value reads a vector's worst value or a scalar's value.
func value(resultType string, result json.RawMessage) (float64, error) {
	switch resultType {
	case "scalar":
		v, err := samplePair(result)
		if err != nil {
			return 0, fmt.Errorf("read the scalar: %w", err)
		}
		if math.IsNaN(v) {
			return 0, errors.New("the scalar is NaN: nothing was measured")
		}
		return v, nil
	case "vector":
		var series []struct {
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(result, &series); err != nil {
			return 0, fmt.Errorf("read the vector: %w", err)
		}
		if len(series) == 0 {
			return 0, errors.New("empty result: no series matched the query")
		}
		worst, found := 0.0, false
		for i, s := range series {
			v, err := samplePair(s.Value)
			if err != nil {
				return 0, fmt.Errorf("read series %d of the vector: %w", i+1, err)
			}
			if math.IsNaN(v) {
				continue
			}
			if !found || v > worst {
				worst, found = v, true
			}
		}
		if !found {
			return 0, fmt.Errorf("all %d series are NaN: nothing was measured", len(series))
		}
		return worst, nil
	default:
		return 0, fmt.Errorf("result type %q is not supported: want a vector or a scalar", resultType)
	}
}

// samplePair reads a [<unix time>, "<value>"] pair.
func samplePair(raw json.RawMessage) (float64, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil {
		return 0, err
	}
	if len(pair) != 2 {
		return 0, fmt.Errorf("want a [time, value] pair, got %d elements", len(pair))
	}
	var s string
	if err := json.Unmarshal(pair[1], &s); err != nil {
		return 0, fmt.Errorf("value is not a string: %w", err)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q is not a number", s)
	}
	return v, nil
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the
// URL, keeping the cause (so errors.Is still finds timeouts and
// cancellations).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
