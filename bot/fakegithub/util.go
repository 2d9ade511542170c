package fakegithub

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func pathEscape(s string) string { return url.PathEscape(s) }

// etagOf is the ETag GitHub-style for a body.
func etagOf(body []byte) string {
	h := sha256.Sum256(body)
	return `W/"` + hex.EncodeToString(h[:16]) + `"`
}

// etagMatches reports whether an If-None-Match header names etag (weak
// comparison, as GitHub does).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == want {
			return true
		}
	}
	return false
}

// pageParams returns the page (1-based) and page size a list request asks
// for, with GitHub's bounds.
func pageParams(q url.Values, defaultPer int) (page, per int) {
	page, per = 1, defaultPer
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = v
	}
	if per > 100 {
		per = 100
	}
	return page, per
}

// paginate slices items for the request's page and returns GitHub's Link
// header for the other pages.
func (s *Server) paginate(c *reqCtx, items []any, defaultPer int) ([]any, http.Header) {
	page, per := pageParams(c.q, defaultPer)
	last := (len(items) + per - 1) / per
	if last == 0 {
		last = 1
	}
	start := (page - 1) * per
	if start > len(items) {
		start = len(items)
	}
	end := start + per
	if end > len(items) {
		end = len(items)
	}
	h := http.Header{}
	link := func(p int, rel string) string {
		q := url.Values{}
		for k, v := range c.q {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(p))
		if c.q.Get("per_page") != "" {
			q.Set("per_page", strconv.Itoa(per))
		}
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.host, c.r.URL.EscapedPath(), q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
	return items[start:end], h
}

// parseDateRange parses GitHub's date search syntax as the "created" filter
// takes it: "2024-01-02", ">=2024-01-02T15:04:05Z", "<2024-01-02",
// "2024-01-01..2024-01-31", "2024-01-01..*". It returns the inclusive bounds
// (zero for open ends).
func parseDateRange(v string) (from, to time.Time, ok bool) {
	parse := func(s string, end bool) (time.Time, bool) {
		if s == "*" {
			return time.Time{}, true
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, true
		}
		if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
			return t, true
		}
		if t, err := time.Parse("2006-01-02", s); err == nil {
			if end {
				return t.Add(24*time.Hour - time.Second), true
			}
			return t, true
		}
		return time.Time{}, false
	}
	if a, b, found := strings.Cut(v, ".."); found {
		f, ok1 := parse(a, false)
		t, ok2 := parse(b, true)
		return f, t, ok1 && ok2
	}
	switch {
	case strings.HasPrefix(v, ">="):
		f, ok := parse(v[2:], false)
		return f, time.Time{}, ok
	case strings.HasPrefix(v, "<="):
		t, ok := parse(v[2:], true)
		return time.Time{}, t, ok
	case strings.HasPrefix(v, ">"):
		f, ok := parse(v[1:], true)
		return f.Add(time.Second), time.Time{}, ok
	case strings.HasPrefix(v, "<"):
		t, ok := parse(v[1:], false)
		return time.Time{}, t.Add(-time.Second), ok
	}
	f, ok1 := parse(v, false)
	t, ok2 := parse(v, true)
	if _, err := time.Parse(time.RFC3339, v); err == nil {
		t = f
	}
	return f, t, ok1 && ok2
}

func inRange(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to))
}
