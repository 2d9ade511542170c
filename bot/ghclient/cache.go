package ghclient

import (
	"bytes"
	"container/list"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// CacheHeader is set to "hit" on a response the conditional-request cache
// rebuilt from a stored 200 after GitHub answered 304 Not Modified.
const CacheHeader = "X-Golive-Cache"

// Bounds of the conditional-request cache.
const (
	cacheMaxEntries    = 1000
	cacheMaxBytes      = 32 << 20
	cacheMaxEntryBytes = 2 << 20
)

// cacheEntry is an immutable stored 200 response.
type cacheEntry struct {
	key          string
	label        string
	etag         string
	lastModified string
	status       int
	header       http.Header
	body         []byte
}

func (e *cacheEntry) size() int64 { return int64(len(e.body) + len(e.key)) }

// condCache is a size-bounded LRU of responses keyed by installation, Accept
// header and full URL. It is safe for concurrent use.
type condCache struct {
	maxEntries int
	maxBytes   int64
	maxEntry   int64

	mu    sync.Mutex
	bytes int64
	ll    *list.List // of *cacheEntry, most recently used first
	items map[string]*list.Element
}

func newCondCache(maxEntries int, maxBytes, maxEntry int64) *condCache {
	return &condCache{
		maxEntries: maxEntries,
		maxBytes:   maxBytes,
		maxEntry:   maxEntry,
		ll:         list.New(),
		items:      make(map[string]*list.Element),
	}
}

func (c *condCache) get(key string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil
	}
	c.ll.MoveToFront(el)
	return el.Value.(*cacheEntry)
}

func (c *condCache) put(e *cacheEntry) {
	if e.size() > c.maxEntry || e.size() > c.maxBytes {
		c.remove(e.key)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.key]; ok {
		c.removeElement(el)
	}
	c.items[e.key] = c.ll.PushFront(e)
	c.bytes += e.size()
	for c.ll.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.removeElement(c.ll.Back())
	}
}

func (c *condCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.removeElement(el)
	}
}

// forget drops every entry stored for label.
func (c *condCache) forget(label string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.ll.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*cacheEntry).label == label {
			c.removeElement(el)
		}
		el = next
	}
}

func (c *condCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

func (c *condCache) removeElement(el *list.Element) {
	e := c.ll.Remove(el).(*cacheEntry)
	delete(c.items, e.key)
	c.bytes -= e.size()
}

// cacheTransport makes GET requests for repository contents conditional on
// the last 200 seen for the same installation, Accept header and URL, and
// turns GitHub's 304 into the stored 200 (go-github treats 304 as an error).
// Requests that already carry their own validators pass through untouched.
type cacheTransport struct {
	next  http.RoundTripper
	cache *condCache
	ep    endpoint
	label string
}

func (t *cacheTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || t.ep.route(req.URL) != contentsRoute ||
		req.Header.Get("If-None-Match") != "" || req.Header.Get("If-Modified-Since") != "" ||
		req.Header.Get("Range") != "" {
		return t.next.RoundTrip(req)
	}
	label := requestLabel(req, t.label)
	key := label + "\x00" + req.Header.Get("Accept") + "\x00" + req.URL.String()
	stored := t.cache.get(key)
	r := req
	if stored != nil {
		r = req.Clone(req.Context())
		if stored.etag != "" {
			r.Header.Set("If-None-Match", stored.etag)
		} else {
			r.Header.Set("If-Modified-Since", stored.lastModified)
		}
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && stored != nil:
		return stored.response(req, resp), nil
	case resp.StatusCode == http.StatusOK:
		return t.store(req, key, label, resp)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		t.cache.remove(key)
	}
	return resp, nil
}

// store keeps resp if it carries a validator and is small enough, and returns
// a response whose body is still readable.
func (t *cacheTransport) store(req *http.Request, key, label string, resp *http.Response) (*http.Response, error) {
	etag, lastModified := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" && lastModified == "" {
		return resp, nil
	}
	limit := t.cache.maxEntry
	if resp.ContentLength > limit {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("read github response body of %q: %w", req.URL.Path, err)
	}
	if int64(len(body)) > limit {
		resp.Body = &prefixedBody{Reader: io.MultiReader(bytes.NewReader(body), resp.Body), Closer: resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	t.cache.put(&cacheEntry{
		key:          key,
		label:        label,
		etag:         etag,
		lastModified: lastModified,
		status:       resp.StatusCode,
		header:       resp.Header.Clone(),
		body:         body,
	})
	return resp, nil
}

// response rebuilds the stored response for req, taking rate-limit and
// request-identifying headers from the fresh 304 notModified, which it closes.
func (e *cacheEntry) response(req *http.Request, notModified *http.Response) *http.Response {
	discard(notModified)
	h := e.header.Clone()
	for k, v := range notModified.Header {
		ck := http.CanonicalHeaderKey(k)
		if strings.HasPrefix(ck, "X-Ratelimit-") || ck == "Date" || ck == "X-Github-Request-Id" {
			h[ck] = append([]string(nil), v...)
		}
	}
	h.Set(CacheHeader, "hit")
	h.Set("Content-Length", strconv.Itoa(len(e.body)))
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", e.status, http.StatusText(e.status)),
		StatusCode:    e.status,
		Proto:         notModified.Proto,
		ProtoMajor:    notModified.ProtoMajor,
		ProtoMinor:    notModified.ProtoMinor,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       req,
		TLS:           notModified.TLS,
	}
}
