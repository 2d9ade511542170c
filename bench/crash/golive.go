package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// replica is one golive serve process slot: a fixed address, a working
// directory of its own (no .env), and a log file per start.
type replica struct {
	index int
	bin   string
	dir   string
	addr  string
	env   []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
	logs   []string
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func newReplica(i int, bin, work string, env map[string]string) (*replica, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, fmt.Sprintf("replica-%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := &replica{index: i, bin: bin, dir: dir, addr: addr}
	r.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GOLIVE_ADDR=" + addr}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.env = append(r.env, k+"="+env[k])
	}
	return r, nil
}

func (r *replica) base() string { return "http://" + r.addr }

// start runs golive serve and waits until /healthz answers.
func (r *replica) start() error {
	r.mu.Lock()
	r.starts++
	logPath := filepath.Join(r.dir, fmt.Sprintf("golive-%02d.log", r.starts))
	r.logs = append(r.logs, logPath)
	r.mu.Unlock()
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(r.bin, "serve")
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = r.env, r.dir, logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start golive %d: %w", r.index, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	r.mu.Lock()
	r.cmd, r.exited = cmd, exited
	r.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			return fmt.Errorf("golive %d exited at start: %s", r.index, tail(b, 2000))
		default:
		}
		if resp, err := client.Get(r.base() + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("golive %d did not answer /healthz within a minute", r.index)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (r *replica) kill() {
	r.signal(syscall.SIGKILL, 0)
}

// stop sends SIGTERM and waits up to d for a clean exit, then kills.
func (r *replica) stop(d time.Duration) bool {
	return r.signal(syscall.SIGTERM, d)
}

func (r *replica) signal(sig syscall.Signal, d time.Duration) bool {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	if cmd == nil {
		return true
	}
	select {
	case <-exited:
		return true
	default:
	}
	cmd.Process.Signal(sig)
	if d == 0 {
		<-exited
		return true
	}
	select {
	case <-exited:
		return true
	case <-time.After(d):
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return false
	}
}

func (r *replica) logFiles() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs...)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// balancer is a round-robin reverse proxy in front of the replicas, as a
// load balancer would be: a request to a replica that is down fails with
// 502, and GitHub's redelivery (here the harness) lands on another one.
type balancer struct {
	replicas []*replica
	next     atomic.Uint64
	srv      *http.Server
	URL      string
}

func newBalancer(replicas []*replica) (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &balancer{replicas: replicas, URL: "http://" + ln.Addr().String()}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 128
	rp := &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			r := b.replicas[b.next.Add(1)%uint64(len(b.replicas))]
			u, _ := url.Parse(r.base())
			pr.SetURL(u)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) },
	}
	b.srv = &http.Server{Handler: rp}
	go b.srv.Serve(ln)
	return b, nil
}

func (b *balancer) Close() { b.srv.Close() }

// metrics reads the counters of golive's /metrics named in names, summed
// by the label set ("name{labels}" → value). They count since the
// process's last start.
func (r *replica) metrics(names ...string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(r.base() + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, n := range names {
			if strings.HasPrefix(line, n+"{") || strings.HasPrefix(line, n+" ") {
				i := strings.LastIndexByte(line, ' ')
				v, err := strconv.ParseFloat(line[i+1:], 64)
				if err == nil {
					out[line[:i]] += v
				}
			}
		}
	}
	return out
}
