package handlers_test

// The status page in a real browser: Debian's headless Chromium renders it
// (inline script and all) from the real router, signs in through the login
// form, lays it out at a phone's width and takes a screenshot.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromiumPath finds Debian's chromium (or Google Chrome, as GitHub's
// runners have it). Without one the test is skipped, except under CI=true,
// where it must run (.ci/run installs chromium).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI must run the status page's browser test: apt-get install -y chromium (.ci/run does)")
	}
	t.Skip("status page browser test skipped: chromium is not installed (Debian: apt-get install -y chromium)")
	return ""
}

// artifactDir is where screenshots are kept: the -artifacts directory when
// go test was given it, else testdata/golive/artifacts (gitignored).
func artifactDir(t *testing.T) string {
	t.Helper()
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return t.ArtifactDir()
	}
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "golive", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func chromiumArgs(t *testing.T, extra ...string) []string {
	return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-background-networking", "--lang=en-US", "--user-data-dir=" + t.TempDir()}, extra...)
}

func TestStatusPageInChromium(t *testing.T) {
	bin := chromiumPath(t)
	sr := newStatusRig(t, statusToken, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// 1. chromium --dump-dom, as a viewer in New York. The command line
	// cannot send a header, so a proxy in front of golive adds the token
	// as a script would.
	target, _ := url.Parse(sr.server.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	direct := proxy.Director
	proxy.Director = func(r *http.Request) { direct(r); r.Header.Set("Authorization", "Bearer "+statusToken) }
	withToken := httptest.NewServer(proxy)
	defer withToken.Close()
	cmd := exec.CommandContext(ctx, bin, chromiumArgs(t, "--window-size=390,844", "--dump-dom", withToken.URL+"/status")...)
	cmd.Env = append(os.Environ(), "TZ=America/New_York", "LANG=en_US.UTF-8")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
	}
	dom := string(out)
	checkStatusDOM(t, "--dump-dom", dom, "America/New_York")

	// 2. A phone: Chromium's window is at least 500 px wide even headless,
	// so the page is laid out at a phone's width through the DevTools
	// protocol (device metrics emulation), over a pipe. The browser signs in
	// with the login form, as a person would.
	b := startChromiumPipe(ctx, t, bin)
	page := b.newPage(t)
	b.call(t, page, "Emulation.setTimezoneOverride", map[string]any{"timezoneId": "Asia/Tokyo"}, nil)
	b.setViewport(t, page, 375, 812)
	b.navigate(t, page, sr.server.URL+"/status")
	if html := b.eval(t, page, "document.documentElement.outerHTML"); !strings.Contains(html, `action="/status/login"`) || strings.Contains(html, trackedRepo) {
		t.Fatalf("without a login the browser got:\n%.500s", html)
	}
	b.evalNoWait(t, page, `document.getElementById("token").value = `+strconv.Quote(statusToken)+`; document.querySelector("form").submit()`)
	b.waitLoad(t, page)
	if u := b.eval(t, page, "location.pathname"); u != "/status" {
		t.Fatalf("after signing in the browser is at %q", u)
	}
	if c := b.eval(t, page, "document.cookie"); c != "" {
		t.Fatalf("script can read the login cookie: %q", c)
	}
	dom = b.eval(t, page, "document.documentElement.outerHTML")
	checkStatusDOM(t, "phone", dom, "Asia/Tokyo")
	for _, width := range []int{375, 390} {
		b.setViewport(t, page, width, 844)
		scroll := b.eval(t, page, "String(document.documentElement.scrollWidth)")
		client := b.eval(t, page, "String(document.documentElement.clientWidth)")
		if scroll != strconv.Itoa(width) || client != strconv.Itoa(width) {
			t.Errorf("at %d px the page is %s px wide in a %s px viewport: it scrolls sideways", width, scroll, client)
		}
	}
	dir := artifactDir(t)
	shot := filepath.Join(dir, "status-390x844.png")
	b.screenshot(t, page, shot, false)
	full := filepath.Join(dir, "status-390-full.png")
	b.screenshot(t, page, full, true)
	t.Logf("screenshots of the status page at 390x844: %s (viewport), %s (whole page)", shot, full)
}

// checkStatusDOM checks the page as the browser rendered it, script run.
func checkStatusDOM(t *testing.T, what, dom, zone string) {
	t.Helper()
	prod, stag := statusArticle(t, dom, 7), statusArticle(t, dom, 8)
	for _, c := range []struct {
		article string
		want    []string
	}{
		{prod, []string{`data-repo="acme/api"`, `data-environment="production"`, `data-ready="false"`, `>NOT READY</span>`,
			`<progress value="3" max="`, `>acme/api#7</a>`, `<code>fedcba9</code>`, "launch freeze"}},
		{stag, []string{`data-repo="acme/api"`, `data-environment="staging"`, `data-ready="true"`, `>READY</span>`, `>acme/api#8</a>`}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.article, w) {
				t.Errorf("%s: lacks %q:\n%s", what, w, c.article)
			}
		}
	}
	// Every phase's bar shows its done/total.
	bars := regexp.MustCompile(`<progress value="(\d+)" max="(\d+)"[^>]*>(\d+)/(\d+)</progress>`).FindAllStringSubmatch(stag, -1)
	if len(bars) == 0 {
		t.Errorf("%s: no progress bars in #8", what)
	}
	for _, b := range bars {
		if b[1] != b[2] || b[1] != b[3] || b[2] != b[4] {
			t.Errorf("%s: #8 is done, but a bar shows %s", what, b[0])
		}
	}
	// The script showed times in the viewer's zone, keeping UTC as a title.
	if !strings.Contains(dom, `<span id="viewer-zone">your time zone (`+zone+`)</span>`) {
		t.Errorf("%s: the page does not name the viewer's zone %s", what, zone)
	}
	at := regexp.MustCompile(`<time class="golive-at" datetime="([^"]+)" data-local="" title="([^"]+)">([^<]+)</time>`).FindStringSubmatch(prod)
	if at == nil {
		t.Fatalf("%s: #7's go-live time was not converted by the script:\n%s", what, prod)
	}
	utc, err := time.Parse(time.RFC3339, at[1])
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation(zone)
	local := utc.In(loc)
	if at[2] != utc.Format("2006-01-02 15:04")+" UTC" || !strings.Contains(at[3], local.Format("3:04")) || strings.HasSuffix(at[3], "UTC") {
		t.Errorf("%s: go-live %s shown as %q (title %q), want %s's %s", what, at[1], at[3], at[2], zone, local.Format("3:04 PM"))
	}
}

// chromiumPipe is a headless Chromium driven through the DevTools protocol
// on --remote-debugging-pipe: JSON messages ending in NUL, commands on
// fd 3, answers and events on fd 4.
type chromiumPipe struct {
	w      io.Writer
	r      *bufio.Reader
	next   int
	events []cdpMessage
	stderr *bytes.Buffer
}

type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	SessionID string          `json:"sessionId"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startChromiumPipe(ctx context.Context, t *testing.T, bin string) *chromiumPipe {
	t.Helper()
	toBrowser, commands, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	answers, fromBrowser, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, chromiumArgs(t, "--remote-debugging-pipe", "--window-size=390,844", "about:blank")...)
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // fd 3, fd 4
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	t.Cleanup(func() {
		commands.Close() // the browser exits when its command pipe closes
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		answers.Close()
	})
	return &chromiumPipe{w: commands, r: bufio.NewReader(answers), stderr: stderr}
}

func (c *chromiumPipe) read(t *testing.T) cdpMessage {
	t.Helper()
	b, err := c.r.ReadBytes(0)
	if err != nil {
		t.Fatalf("read from chromium: %v\n%s", err, c.stderr)
	}
	var m cdpMessage
	if err := json.Unmarshal(b[:len(b)-1], &m); err != nil {
		t.Fatalf("chromium sent %q: %v", b, err)
	}
	return m
}

// call sends a command (to a page's session, or the browser's with "")
// and decodes its result into result, keeping events that arrive meanwhile.
func (c *chromiumPipe) call(t *testing.T, session, method string, params, result any) {
	t.Helper()
	c.next++
	msg := map[string]any{"id": c.next, "method": method, "params": params}
	if params == nil {
		msg["params"] = map[string]any{}
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if _, err := c.w.Write(append(b, 0)); err != nil {
		t.Fatalf("%s: %v\n%s", method, err, c.stderr)
	}
	for {
		m := c.read(t)
		if m.ID != c.next {
			if m.Method != "" {
				c.events = append(c.events, m)
			}
			continue
		}
		if m.Error != nil {
			t.Fatalf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				t.Fatalf("%s: result %s: %v", method, m.Result, err)
			}
		}
		return
	}
}

// waitLoad waits for the page's next load event.
func (c *chromiumPipe) waitLoad(t *testing.T, session string) {
	t.Helper()
	for i, e := range c.events {
		if e.Method == "Page.loadEventFired" && e.SessionID == session {
			c.events = c.events[i+1:]
			return
		}
	}
	c.events = nil
	for {
		if m := c.read(t); m.Method == "Page.loadEventFired" && m.SessionID == session {
			return
		}
	}
}

func (c *chromiumPipe) newPage(t *testing.T) string {
	t.Helper()
	var created struct {
		TargetID string `json:"targetId"`
	}
	c.call(t, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	c.call(t, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached)
	c.call(t, attached.SessionID, "Page.enable", nil, nil)
	c.call(t, attached.SessionID, "Runtime.enable", nil, nil)
	return attached.SessionID
}

func (c *chromiumPipe) setViewport(t *testing.T, session string, width, height int) {
	t.Helper()
	c.call(t, session, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 2, "mobile": true,
		"screenWidth": width, "screenHeight": height,
	}, nil)
}

func (c *chromiumPipe) navigate(t *testing.T, session, u string) {
	t.Helper()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	c.events = nil
	c.call(t, session, "Page.navigate", map[string]any{"url": u}, &nav)
	if nav.ErrorText != "" {
		t.Fatalf("navigate to %s: %s", u, nav.ErrorText)
	}
	c.waitLoad(t, session)
}

// eval runs expression in the page and returns its value as a string.
func (c *chromiumPipe) eval(t *testing.T, session, expression string) string {
	t.Helper()
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	c.call(t, session, "Runtime.evaluate", map[string]any{"expression": expression, "returnByValue": true}, &res)
	if res.ExceptionDetails != nil {
		t.Fatalf("evaluate %q: %s", expression, res.ExceptionDetails.Text)
	}
	s, _ := res.Result.Value.(string)
	return s
}

// evalNoWait runs expression that navigates away, clearing old load events.
func (c *chromiumPipe) evalNoWait(t *testing.T, session, expression string) {
	t.Helper()
	c.events = nil
	c.eval(t, session, expression)
}

func (c *chromiumPipe) screenshot(t *testing.T, session, path string, whole bool) {
	t.Helper()
	params := map[string]any{"format": "png"}
	if whole {
		var m struct {
			CSSContentSize struct {
				Width, Height float64
			} `json:"cssContentSize"`
		}
		c.call(t, session, "Page.getLayoutMetrics", nil, &m)
		params["captureBeyondViewport"] = true
		params["clip"] = map[string]any{"x": 0, "y": 0, "width": m.CSSContentSize.Width, "height": m.CSSContentSize.Height, "scale": 1}
	}
	var shot struct {
		Data string `json:"data"`
	}
	c.call(t, session, "Page.captureScreenshot", params, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot: not a PNG (%d bytes): %v", len(png), err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
