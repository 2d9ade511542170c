package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/scheduler"
)

// The fake Slack keeps every message and every call it answered (a
// reminder of the default checklist's T-7d step is several KB of text, and
// its call's arguments are kept as well): 100,000 of them are over a GB of
// heap. By default it runs in a child process, so the peak RSS measured is
// golive's; -fake inproc runs it in this process instead.

// fakeEnv, set in a child's environment to "CHANNELS,LATENCY", makes the
// benchmark binary (or its test binary, see TestMain) serve a fake Slack
// instead.
const fakeEnv = "GOLIVE_BENCH_REMINDERS_FAKE_SLACK"

// fakeSlack is one phase's fake Slack.
type fakeSlack interface {
	APIURL() string
	Token() string
	// SeedThread stores a go-live's thread parent in channel (an index)
	// and returns its ts.
	SeedThread(channel int, goliveKey, text string) (string, error)
	// Record is what the fake received: every reminder post and the calls.
	Record() (record, error)
	// ResetPeak resets the fake's process's peak RSS; PeakRSS reads it
	// (0 when the fake runs in this process: it is in this process's).
	ResetPeak()
	PeakRSS() int64
	// CPU is the fake's process's CPU time so far (0 in this process).
	CPU() time.Duration
	Close()
}

// post is one reminder the fake stored. TS is the fake's wall clock when it
// handled the post (a unique microsecond reading).
type post struct {
	Channel int    `json:"c"`
	TS      string `json:"t"`
	Thread  string `json:"h"`
	Key     string `json:"k"`
}

type record struct {
	Posts  []post         `json:"posts"` // per channel in arrival order, channels in order
	Calls  map[string]int `json:"calls"` // by method
	Failed int            `json:"failed"`
}

func newFakeSlack(inProcess bool, channels int, latency time.Duration) (fakeSlack, error) {
	if inProcess {
		return &localFake{startFake(channels, latency), channels}, nil
	}
	return startChildFake(channels, latency)
}

// startFake starts a fake Slack on the system clock with channels
// C00000000… named ch0000…, the bot a member of each.
func startFake(channels int, latency time.Duration) *fakeslack.Server {
	chs := make([]fakeslack.Channel, channels)
	for i := range chs {
		chs[i] = fakeslack.Channel{ID: channelID(i), Name: channelName(i), Member: true}
	}
	sl := fakeslack.New(fakeslack.Options{Channels: chs})
	sl.SetLatency(latency)
	return sl
}

func seedThread(sl *fakeslack.Server, channel int, goliveKey, text string) (string, error) {
	return sl.Seed(fakeslack.Message{Channel: channelID(channel), Text: text,
		Metadata: &fakeslack.Metadata{EventType: scheduler.ThreadEvent, EventPayload: map[string]any{"golive": goliveKey}}})
}

func recordOf(sl *fakeslack.Server, channels int) record {
	r := record{Calls: map[string]int{}}
	for i := range channels {
		for _, m := range sl.Messages(channelID(i)) {
			if m.Metadata == nil || m.Metadata.EventType != scheduler.ReminderEvent {
				continue
			}
			key, _ := m.Metadata.EventPayload["key"].(string)
			r.Posts = append(r.Posts, post{Channel: i, TS: m.TS, Thread: m.ThreadTS, Key: key})
		}
	}
	for _, c := range sl.Calls() {
		r.Calls[c.Method]++
		if !c.OK {
			r.Failed++
		}
	}
	sl.ClearCalls()
	return r
}

// localFake is a fake Slack in this process.
type localFake struct {
	sl       *fakeslack.Server
	channels int
}

func (f *localFake) APIURL() string { return f.sl.APIURL() }
func (f *localFake) Token() string  { return f.sl.Token() }
func (f *localFake) SeedThread(channel int, goliveKey, text string) (string, error) {
	return seedThread(f.sl, channel, goliveKey, text)
}
func (f *localFake) Record() (record, error) { return recordOf(f.sl, f.channels), nil }
func (f *localFake) ResetPeak()              {}
func (f *localFake) PeakRSS() int64          { return 0 }
func (f *localFake) CPU() time.Duration      { return 0 }
func (f *localFake) Close()                  { f.sl.Close() }

// childFake is a fake Slack in a child process running this binary with
// fakeEnv set; it stops when its standard input closes.
type childFake struct {
	cmd            *exec.Cmd
	stdin          io.Closer
	api, token, cp string // cp: the control server's URL
}

func startChildFake(channels int, latency time.Duration) (*childFake, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%s", fakeEnv, channels, latency))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the fake Slack process: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 {
		stdin.Close()
		cmd.Wait()
		return nil, fmt.Errorf("the fake Slack process said %q: %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	return &childFake{cmd: cmd, stdin: stdin, api: f[0], token: f[1], cp: f[2]}, nil
}

func (f *childFake) APIURL() string { return f.api }
func (f *childFake) Token() string  { return f.token }

func (f *childFake) SeedThread(channel int, goliveKey, text string) (string, error) {
	resp, err := http.PostForm(f.cp+"/seed", url.Values{"channel": {strconv.Itoa(channel)}, "golive": {goliveKey}, "text": {text}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("seed a thread: %s: %s", resp.Status, b)
	}
	return string(b), nil
}

func (f *childFake) Record() (record, error) {
	var r record
	resp, err := http.Get(f.cp + "/record")
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("read the fake Slack's record: %s", resp.Status)
	}
	return r, json.NewDecoder(resp.Body).Decode(&r)
}

func (f *childFake) ResetPeak() {
	if resp, err := http.Post(f.cp+"/reset-peak", "", nil); err == nil {
		resp.Body.Close()
	}
}

func (f *childFake) PeakRSS() int64 { return f.get("/peak") }

func (f *childFake) CPU() time.Duration { return time.Duration(f.get("/cpu")) }

func (f *childFake) get(path string) int64 {
	resp, err := http.Get(f.cp + path)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n
}

func (f *childFake) Close() {
	f.stdin.Close()
	f.cmd.Wait()
}

// serveFake is the child: a fake Slack with a control server on loopback.
// It prints "APIURL TOKEN CONTROLURL" and serves until its standard input
// closes.
func serveFake(spec string) int {
	n, lat, _ := strings.Cut(spec, ",")
	channels, err1 := strconv.Atoi(n)
	latency, err2 := time.ParseDuration(lat)
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintf(os.Stderr, "bench/reminders fake Slack: %s=%q: %v\n", fakeEnv, spec, err)
		return 2
	}
	sl := startFake(channels, latency)
	defer sl.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /seed", func(w http.ResponseWriter, r *http.Request) {
		ch, err := strconv.Atoi(r.FormValue("channel"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts, err := seedThread(sl, ch, r.FormValue("golive"), r.FormValue("text"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, ts)
	})
	mux.HandleFunc("GET /record", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(recordOf(sl, channels))
	})
	mux.HandleFunc("POST /reset-peak", func(w http.ResponseWriter, r *http.Request) {
		debug.FreeOSMemory()
		resetHWM()
	})
	mux.HandleFunc("GET /peak", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, readHWM())
	})
	mux.HandleFunc("GET /cpu", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, int64(cpuTime()))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench/reminders fake Slack: %v\n", err)
		return 1
	}
	go http.Serve(ln, mux)
	fmt.Printf("%s %s http://%s\n", sl.APIURL(), sl.Token(), ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	return 0
}
