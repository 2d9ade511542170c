package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/golive-dev/golive/bot/clock"
)

// Endpoints samples by requesting the service's own URLs with GET: each URL
// Requests times in a row, all URLs at once.
//
//   - The error rate is the fraction of requests that failed in transport
//     (refused, timed out, …) or answered a status outside 200–299. A
//     service that is down is an error rate of 100%, not a failed sample.
//   - The latency is the nearest-rank P95 of the requests that got an
//     answer (with fewer than 20 requests, the slowest), measured with Clock
//     until the whole body is read; 0 when none got an answer.
//
// Sample fails only when Endpoints is malformed or ctx ends. Its errors
// never repeat a URL, which may carry credentials.
type Endpoints struct {
	// URLs are the http or https URLs to request.
	URLs []string
	// Client makes the requests; nil means one with DefaultTimeout.
	Client *http.Client
	// Clock measures latencies; nil means clock.System.
	Clock clock.Clock
	// Requests is the number of requests to each URL per sample; 0 means 1.
	Requests int
}

// Sample requests every URL.
func (e Endpoints) Sample(ctx context.Context) (Sample, error) {
	if len(e.URLs) == 0 {
		return Sample{}, errors.New("sample endpoints: no URLs")
	}
	for i, raw := range e.URLs {
		if err := checkURL(raw); err != nil {
			return Sample{}, fmt.Errorf("sample endpoints: URL %d: %w", i+1, err)
		}
	}
	if e.Requests < 0 {
		return Sample{}, fmt.Errorf("sample endpoints: requests %d is negative", e.Requests)
	}
	n := max(e.Requests, 1)
	client := e.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	clk := e.Clock
	if clk == nil {
		clk = clock.System{}
	}

	results := make([][]hit, len(e.URLs))
	var wg sync.WaitGroup
	for i, target := range e.URLs {
		wg.Go(func() {
			for range n {
				if ctx.Err() != nil {
					return
				}
				results[i] = append(results[i], get(ctx, client, clk, target))
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Sample{}, fmt.Errorf("sample endpoints: %w", err)
	}

	var total, failed int
	var lat []time.Duration
	for _, hs := range results {
		for _, h := range hs {
			total++
			if !h.answered || h.status < 200 || h.status > 299 {
				failed++
			}
			if h.answered {
				lat = append(lat, h.latency)
			}
		}
	}
	slices.Sort(lat)
	return Sample{ErrorRate: float64(failed) / float64(total), Latency: percentile(lat, 95)}, nil
}

// hit is what one request got.
type hit struct {
	answered bool
	status   int
	latency  time.Duration
}

func get(ctx context.Context, client *http.Client, clk clock.Clock, target string) hit {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return hit{}
	}
	req.Header.Set("User-Agent", "golive-watch")
	start := clk.Now()
	resp, err := client.Do(req)
	if err != nil {
		return hit{}
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return hit{}
	}
	return hit{answered: true, status: resp.StatusCode, latency: clk.Now().Sub(start)}
}

// checkURL accepts absolute http(s) URLs; its errors never repeat the URL.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("URL does not parse: %w", unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}
