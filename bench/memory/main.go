// Command memory measures the memory golive serve holds per active go-live.
//
// It runs the real golive binary (built from ./cmd/golive unless -golive
// names one) on a SQLite file against the fake GitHub and the fake Slack,
// which run in this process so that their records do not count. It opens a
// few go-lives to warm up (installation token, configuration cache, SQLite
// pages, connections), measures, opens -golives more through signed
// issues.opened webhooks — each becomes a tracked checklist with its tracker
// comment, its reminders in the store and its Slack thread, with the inbox
// dispatcher, the reminder dispatcher, the tracker refresher and every other
// loop of golive serve running — measures again, and prints the difference
// per go-live:
//
//   - live Go heap: the least go_memstats_heap_alloc_bytes of golive's
//     /metrics over the sampling window, which is scraped every 10 ms (the
//     scrapes themselves make the garbage that makes the collector run, so
//     the least reading is taken just after a collection);
//
//   - Go heap in use and RSS (VmRSS of the process, which also holds SQLite's
//     page cache: modernc.org/sqlite allocates outside the Go heap);
//
//   - the SQLite database with its WAL, and goroutines.
//
//     go run ./bench/memory                    # 1,000 go-lives in 100 channels: the figures
//     go run ./bench/memory -golives 200       # quick
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/signature"
)

const (
	webhookSecret = "bench-memory-webhook-secret"
	signingSecret = "bench-memory-slack-signing-secret"
	repo          = "acme/api"
	repoID        = 5005
	installation  = 42
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type config struct {
	golives, warmup, channels int
	binary                    string
	window                    time.Duration
	quiet                     bool
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("memory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.golives, "golives", 1000, "go-lives opened between the two measurements")
	fs.IntVar(&c.warmup, "warmup", 50, "go-lives opened before the first measurement")
	fs.IntVar(&c.channels, "channels", 100, "Slack channels the go-lives share")
	fs.StringVar(&c.binary, "golive", "", "the golive binary; built from ./cmd/golive when empty")
	fs.DurationVar(&c.window, "window", 5*time.Second, "how long each measurement samples")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the table")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.golives < 1 || c.warmup < 1 || c.channels < 1 {
		fmt.Fprintln(stderr, "memory: -golives, -warmup and -channels must be at least 1")
		return 2
	}
	if err := measure(c, stdout); err != nil {
		fmt.Fprintln(stderr, "memory:", err)
		return 1
	}
	return 0
}

// sample is one measurement of the golive process.
type sample struct {
	heapLive, heapInuse, heapObjects, rss, dbBytes float64
	goroutines                                     float64
	gcs                                            int
	gcLiveMB                                       int // live heap of the last collection, from gctrace
}

func measure(c config, out io.Writer) error {
	logf := func(format string, args ...any) {
		if !c.quiet {
			fmt.Fprintf(out, format+"\n", args...)
		}
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "golive-bench-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if c.binary == "" {
		c.binary = filepath.Join(dir, "golive")
		logf("building golive …")
		build := exec.Command("go", "build", "-o", c.binary, "./cmd/golive")
		build.Dir, build.Stdout, build.Stderr = root, out, out
		if err := build.Run(); err != nil {
			return fmt.Errorf("build golive: %w", err)
		}
	}

	gh, err := fakegithub.Start(fakegithub.Options{RateLimit: 1 << 30, MaxCalls: 1000})
	if err != nil {
		return err
	}
	defer gh.Close()
	gh.AddRepo(repo, fakegithub.RepoOpts{})
	gh.AddInstallation(installation, "acme", "Organization")
	chans := make([]fakeslack.Channel, c.channels)
	for i := range chans {
		chans[i] = fakeslack.Channel{ID: fmt.Sprintf("C%08d", i), Name: channelName(i), Member: true}
	}
	sl := fakeslack.New(fakeslack.Options{Channels: chans})
	defer sl.Close()

	db := filepath.Join(dir, "golive.db")
	p, err := startGolive(c.binary, dir, map[string]string{
		"GOLIVE_ADDR": "127.0.0.1:0", "GOLIVE_DATABASE_URL": "sqlite:" + db, "GOLIVE_LOG_LEVEL": "info",
		"GOLIVE_LOG_FORMAT": "json", "GOLIVE_SLACK_WORKSPACE_RATE": "1000",
		"GITHUB_APP_ID": strconv.FormatInt(gh.AppID(), 10), "GITHUB_PRIVATE_KEY": string(gh.PrivateKeyPEM()),
		"GITHUB_WEBHOOK_SECRET": webhookSecret, "GITHUB_API_URL": gh.URL,
		"SLACK_BOT_TOKEN": sl.Token(), "SLACK_SIGNING_SECRET": signingSecret, "SLACK_API_URL": sl.APIURL(),
		"GODEBUG": "gctrace=1",
	})
	if err != nil {
		return err
	}
	defer p.stop()
	logf("golive serve pid %d on %s; fakes in this process; %d-core machine, GOMAXPROCS %d",
		p.cmd.Process.Pid, p.base, runtime.NumCPU(), runtime.GOMAXPROCS(0))

	template, err := issuesOpened(root)
	if err != nil {
		return err
	}
	opened := 0
	open := func(n int) (time.Duration, error) {
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		sem := make(chan struct{}, 8)
		for range n {
			opened++
			number := opened
			body := formBody(number, channelName(number%c.channels))
			gh.AddIssue(repo, fakegithub.Issue{Number: number, Title: fmt.Sprintf("Go-live %d", number), Body: body, Labels: []string{"golive"}})
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := p.webhook(fmt.Sprintf("opened-%d", number), template(number, body)); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return 0, err
		}
		err := waitSettled(p, sl, opened, 5*time.Minute)
		return time.Since(start), err
	}

	if _, err := open(c.warmup); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	logf("%d go-lives opened to warm up; sampling for %s …", c.warmup, c.window)
	before, err := p.sample(db, c.window)
	if err != nil {
		return err
	}
	took, err := open(c.golives)
	if err != nil {
		return err
	}
	logf("%d more go-lives tracked, with threads, in %s; sampling for %s …", c.golives, took.Round(time.Millisecond), c.window)
	after, err := p.sample(db, c.window)
	if err != nil {
		return err
	}
	if stray := p.errors(); len(stray) > 0 {
		return fmt.Errorf("golive logged errors:\n%s", strings.Join(stray, "\n"))
	}

	n := float64(c.golives)
	per := func(a, b float64) string { return fmt.Sprintf("%.0f", (b-a)/n) }
	fmt.Fprintf(out, "\nMemory per active go-live: golive serve (SQLite), %d go-lives after %d to warm up, %d Slack channels, %d-core machine\n\n",
		c.golives, c.warmup, c.channels, runtime.NumCPU())
	fmt.Fprintf(out, "| figure | after %d go-lives | after %d | per go-live (bytes) |\n|---|---|---|---|\n", c.warmup, c.warmup+c.golives)
	row := func(name string, a, b float64, unit func(float64) string) {
		fmt.Fprintf(out, "| %s | %s | %s | %s |\n", name, unit(a), unit(b), per(a, b))
	}
	mb := func(v float64) string { return fmt.Sprintf("%.1f MB", v/1e6) }
	plain := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	row("live Go heap (least heap_alloc while sampling)", before.heapLive, after.heapLive, mb)
	row("Go heap in use", before.heapInuse, after.heapInuse, mb)
	row("RSS (VmRSS)", before.rss, after.rss, mb)
	row("SQLite database + WAL", before.dbBytes, after.dbBytes, mb)
	fmt.Fprintf(out, "| Go heap objects | %.0f | %.0f | %.1f objects |\n", before.heapObjects, after.heapObjects, (after.heapObjects-before.heapObjects)/n)
	row("goroutines", before.goroutines, after.goroutines, plain)
	fmt.Fprintf(out, "| collections while sampling; live heap at the last (gctrace) | %d; %d MB | %d; %d MB | |\n",
		before.gcs, before.gcLiveMB, after.gcs, after.gcLiveMB)
	return nil
}

func channelName(i int) string { return fmt.Sprintf("team-%03d", i) }

// formBody is a go-live issue form going live in ten days, posting to
// channel.
func formBody(number int, channel string) string {
	when := time.Now().Add(10*24*time.Hour + time.Duration(number)*time.Minute).UTC().Format("2006-01-02 15:04")
	return "### Go-live time\n\n" + when + "\n\n### Timezone\n\nUTC\n\n### Environment\n\nproduction\n\n" +
		fmt.Sprintf("### Release\n\nv1.%d.0\n\n### Slack channel\n\n#%s\n\n### Release captain\n\n@alice\n\n### Notes\n\n_No response_\n", number, channel)
}

// issuesOpened returns a maker of issues.opened payloads from octokit's
// example, pointed at the fake's repository and installation.
func issuesOpened(root string) (func(number int, body string) []byte, error) {
	raw, err := os.ReadFile(filepath.Join(root, "testdata", "github", "webhooks", "issues", "opened.json"))
	if err != nil {
		return nil, fmt.Errorf("read the issues.opened example: %w", err)
	}
	return func(number int, body string) []byte {
		var p map[string]any
		json.Unmarshal(raw, &p)
		p["installation"] = map[string]any{"id": installation, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI="}
		r := p["repository"].(map[string]any)
		r["id"], r["full_name"], r["name"] = repoID, repo, "api"
		is := p["issue"].(map[string]any)
		is["number"], is["body"] = number, body
		is["labels"] = []any{map[string]any{"id": 1, "name": "golive", "color": "0e8a16", "default": false}}
		b, _ := json.Marshal(p)
		return b
	}, nil
}

// waitSettled waits until golive has no delivery pending and every go-live
// opened has its Slack thread.
func waitSettled(p *proc, sl *fakeslack.Server, golives int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		m, err := p.metrics()
		if err == nil && m["golive_inbox_backlog"] == 0 && threads(sl) >= golives {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("after %s: %d of %d go-lives have their Slack thread", limit, threads(sl), golives)
}

func threads(sl *fakeslack.Server) int {
	n := 0
	for _, c := range sl.Calls() {
		if c.Method == "chat.postMessage" && c.OK && strings.Contains(c.Params.Get("metadata"), scheduler.ThreadEvent) {
			n++
		}
	}
	return n
}

// proc is the golive serve process.
type proc struct {
	cmd    *exec.Cmd
	base   string
	mu     sync.Mutex
	gcs    []int // live heap (MB) of each collection, from gctrace
	errs   []string
	exited chan struct{}
}

var gcLine = regexp.MustCompile(`^gc \d+ @.*, \d+->\d+->(\d+) MB`)

func startGolive(binary, dir string, env map[string]string) (*proc, error) {
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if m := gcLine.FindStringSubmatch(line); m != nil {
				mb, _ := strconv.Atoi(m[1])
				p.mu.Lock()
				p.gcs = append(p.gcs, mb)
				p.mu.Unlock()
				continue
			}
			var l struct{ Level, Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) != nil {
				continue
			}
			switch {
			case l.Msg == "golive listening":
				addr <- l.Addr
			case l.Level == "ERROR":
				p.mu.Lock()
				p.errs = append(p.errs, line)
				p.mu.Unlock()
			}
		}
	}()
	go func() { cmd.Wait(); close(p.exited) }()
	select {
	case a := <-addr:
		p.base = "http://" + a
		return p, nil
	case <-p.exited:
		return nil, errors.New("golive exited before listening")
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, errors.New("golive did not start listening within a minute")
	}
}

func (p *proc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *proc) errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

func (p *proc) webhook(id string, body []byte) error {
	req, _ := http.NewRequest(http.MethodPost, p.base+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", signature.SignGitHub([]byte(webhookSecret), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("webhook %s: %d", id, resp.StatusCode)
	}
	return nil
}

// metrics reads golive's /metrics: each unlabelled sample by name.
func (p *proc) metrics() (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// sample scrapes /metrics every 10 ms for window and reads the process's
// RSS and the database's size at the end.
func (p *proc) sample(db string, window time.Duration) (sample, error) {
	time.Sleep(time.Second) // let work in flight finish
	p.mu.Lock()
	gcsBefore := len(p.gcs)
	p.mu.Unlock()
	s := sample{heapLive: -1}
	for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		m, err := p.metrics()
		if err != nil {
			return s, err
		}
		if a := m["go_memstats_heap_alloc_bytes"]; s.heapLive < 0 || a < s.heapLive {
			s.heapLive, s.heapObjects = a, m["go_memstats_heap_objects"]
		}
		s.heapInuse, s.goroutines = m["go_memstats_heap_inuse_bytes"], m["go_goroutines"]
	}
	p.mu.Lock()
	s.gcs = len(p.gcs) - gcsBefore
	if len(p.gcs) > 0 {
		s.gcLiveMB = p.gcs[len(p.gcs)-1]
	}
	p.mu.Unlock()
	rss, err := vmRSS(p.cmd.Process.Pid)
	if err != nil {
		return s, err
	}
	s.rss = rss
	for _, f := range []string{db, db + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			s.dbBytes += float64(fi.Size())
		}
	}
	return s, nil
}

// vmRSS is a process's resident set size in bytes, from /proc.
func vmRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

// moduleRoot is the directory of go.mod, at or above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside the golive module (no go.mod found above the working directory)")
		}
		dir = parent
	}
}
