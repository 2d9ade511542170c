// Command crash proves that golive handles every delivery's effect exactly
// once while it is killed, restarted, run as several replicas, and while
// GitHub, Slack and its database misbehave.
//
// It builds the real golive binary and bench/fakes (the fake GitHub and the
// fake Slack in a process of their own, behind recording, fault-injecting
// proxies) with go build, runs golive serve against them over loopback, and
// sends mixed signed webhook traffic built from the real payloads of
// testdata/github/webhooks: go-live issues (opened or labeled with the
// issue form filled in; then ticks, as edits), /golive comments (deploy
// staging, lock qa, unlock qa, status, help), pings, and events that are
// none of golive's business. The go-lives are a few minutes out with short
// reminder offsets, so their reminders fall due during the run.
//
// While the traffic flows it kill -9s golive at random moments (-kills) and
// starts it again; deliveries refused meanwhile are sent again, as GitHub's
// redelivery would. At the end, once golive drained its inbox, it compares
// the fakes' records and golive's database with what it sent: one
// checklist and one tracker comment per go-live issue, one audit entry per
// tick, one dispatch per deploy command, one reply per command comment,
// one Slack thread per go-live and every due reminder exactly once (by the
// key in its Slack metadata). It prints expected / got / lost / duplicated
// per kind and exits 1 on any loss, duplicate, spec violation or secret in
// golive's logs.
//
//	go run ./bench/crash -db sqlite
//	go run ./bench/crash -db postgres -n 2000
//	go run ./bench/crash -db postgres -replicas 3
//	go run ./bench/crash -db postgres -faults -kills 0
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	db          string
	pgURL       string
	n           int
	kills       int
	replicas    int
	faults      bool
	faultRate   float64
	outage      time.Duration
	concurrency int
	rate        float64
	golives     int
	ticks       int
	lead        time.Duration
	reminders   bool
	drain       time.Duration
	workers     int
	seed        uint64
	keep        bool
	quiet       bool
	work        string // -work: use this directory (the test); else a temporary one
	bins        string // directory with prebuilt golive and fakes binaries (the test)
}

func main() { os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr)) }

func runMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.db, "db", "sqlite", "golive's database: sqlite or postgres")
	defPG := os.Getenv("GOLIVE_TEST_DATABASE_URL")
	if defPG == "" {
		defPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	fs.StringVar(&c.pgURL, "pg-url", defPG, "PostgreSQL to create the run's database in (-db postgres)")
	fs.IntVar(&c.n, "n", 10000, "deliveries to send, ticks included")
	fs.IntVar(&c.kills, "kills", 20, "kill -9s during the run (spread at random over it)")
	fs.IntVar(&c.replicas, "replicas", 1, "golive serve processes behind a round-robin proxy (more than 1 needs -db postgres)")
	fs.BoolVar(&c.faults, "faults", false, "inject API faults into the fakes, take the database away once (PostgreSQL), and let golive's redelivery sweep recover refused deliveries")
	fs.Float64Var(&c.faultRate, "fault-rate", 0.05, "share of GitHub and Slack requests that get a fault (-faults)")
	fs.DurationVar(&c.outage, "outage", 10*time.Second, "how long the database is away (-faults, PostgreSQL)")
	fs.IntVar(&c.concurrency, "concurrency", 32, "deliveries in flight")
	fs.Float64Var(&c.rate, "rate", 0, "deliveries sent per second (0: spread over the first three quarters of the run; -1: as fast as golive takes them)")
	fs.IntVar(&c.golives, "golives", 0, "go-live issues (default n/100, at least 5)")
	fs.IntVar(&c.ticks, "ticks", 4, "ticks per go-live issue")
	fs.DurationVar(&c.lead, "lead", 3*time.Minute, "the go-lives are at least this far after the start (their first reminder is due 2 minutes before)")
	fs.BoolVar(&c.reminders, "reminders", true, "plan the go-lives -lead ahead so their reminders fall due during the run (false: a day ahead, and the run is as long as its traffic)")
	fs.DurationVar(&c.drain, "drain", 4*time.Minute, "how long to wait for golive to finish once everything was sent and due")
	fs.IntVar(&c.workers, "workers", 8, "GOLIVE_WORKERS of each golive")
	fs.Uint64Var(&c.seed, "seed", 0, "random seed (0: from the clock)")
	fs.BoolVar(&c.keep, "keep", false, "keep the work directory (golive's logs, the SQLite file) even when the run passes")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines")
	fs.StringVar(&c.work, "work", "", "work directory (default: a new temporary one)")
	fs.StringVar(&c.bins, "bins", "", "directory holding prebuilt golive and fakes binaries (default: build them)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.golives == 0 {
		c.golives = max(5, c.n/100)
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	if c.replicas > 1 && c.db != "postgres" {
		fmt.Fprintln(stderr, "crash: -replicas needs -db postgres (one SQLite file has one owner)")
		return 2
	}
	r := &run{cfg: c, out: stdout, errOut: stderr}
	code, err := r.main()
	if err != nil {
		fmt.Fprintln(stderr, "crash:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// run is one harness run.
type run struct {
	cfg         config
	out, errOut io.Writer
	ctx         context.Context
	runID       string
	work        string
	fk          *fakesProc
	db          *database
	replicas    []*replica
	w           *world
	snd         *sender
	untickable  int
	killed      atomic.Int64
	restartErr  atomic.Value
	outageDone  string
	start       time.Time
}

func (r *run) logf(format string, args ...any) {
	if !r.cfg.quiet {
		fmt.Fprintf(r.errOut, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run crash inside the golive module")
	}
	return filepath.Dir(mod), nil
}

func (r *run) main() (int, error) {
	c := r.cfg
	rng := mrand.New(mrand.NewPCG(c.seed, 1))
	r.runID = randomHex(3)
	root, err := moduleRoot()
	if err != nil {
		return 2, err
	}
	r.work = c.work
	if r.work == "" {
		if r.work, err = os.MkdirTemp("", "golive-crash-"); err != nil {
			return 2, err
		}
	}
	passed := false
	defer func() {
		if c.work == "" && passed && !c.keep {
			os.RemoveAll(r.work)
		} else {
			fmt.Fprintf(r.out, "work directory (logs): %s\n", r.work)
		}
	}()

	bins := c.bins
	if bins == "" {
		bins = r.work
		r.logf("building golive and bench/fakes")
		for _, b := range [][2]string{{"golive", "./cmd/golive"}, {"fakes", "./bench/fakes"}} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(bins, b[0]), b[1])
			cmd.Dir, cmd.Stdout, cmd.Stderr = root, r.errOut, r.errOut
			if err := cmd.Run(); err != nil {
				return 2, fmt.Errorf("go build %s: %w", b[1], err)
			}
		}
	}

	fakesLog, err := os.Create(filepath.Join(r.work, "fakes.log"))
	if err != nil {
		return 2, err
	}
	defer fakesLog.Close()
	if r.fk, err = startFakes(filepath.Join(bins, "fakes"), fakesLog); err != nil {
		return 2, err
	}
	defer r.fk.Close()
	info, err := r.fk.info()
	if err != nil {
		return 2, err
	}
	if r.db, err = openDatabase(c.db, c.pgURL, r.work, r.runID); err != nil {
		return 2, err
	}
	defer r.db.drop()

	// The go-lives' time: whole minutes (the form's precision), at least
	// lead from now.
	lead := c.lead
	if !c.reminders {
		lead = 24 * time.Hour
	}
	at := time.Now().Add(lead).Truncate(time.Minute).Add(time.Minute).UTC()
	if r.w, err = newWorld(root, c.n, c.golives, c.ticks, at, rng, r.runID); err != nil {
		return 2, err
	}
	ids, err := r.fk.setup(r.w)
	if err != nil {
		return 2, err
	}
	r.w.finishCommands(ids, rng)

	webhookSecret, signingSecret := "whsec-"+randomHex(16), "slsig-"+randomHex(16)
	env := map[string]string{
		"GOLIVE_DATABASE_URL":         r.db.url,
		"GOLIVE_LOG_LEVEL":            "info",
		"GOLIVE_LOG_FORMAT":           "json",
		"GOLIVE_WORKERS":              strconv.Itoa(c.workers),
		"GOLIVE_SLACK_WORKSPACE_RATE": "200",
		"GOLIVE_SHUTDOWN_TIMEOUT":     "10s",
		"GITHUB_APP_ID":               strconv.FormatInt(info.AppID, 10),
		"GITHUB_PRIVATE_KEY":          info.PrivateKeyPEM,
		"GITHUB_WEBHOOK_SECRET":       webhookSecret,
		"GITHUB_API_URL":              r.fk.GitHub,
		"SLACK_BOT_TOKEN":             info.SlackToken,
		"SLACK_SIGNING_SECRET":        signingSecret,
		"SLACK_API_URL":               r.fk.Slack,
	}
	if c.faults {
		env["GOLIVE_REDELIVERY_INTERVAL"] = "3s"
	}
	for i := range c.replicas {
		rep, err := newReplica(i, filepath.Join(bins, "golive"), r.work, env)
		if err != nil {
			return 2, err
		}
		r.replicas = append(r.replicas, rep)
	}
	defer func() {
		for _, rep := range r.replicas {
			rep.kill()
		}
	}()
	// Interrupted: leave no golive behind, and no database.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; !ok {
			return
		}
		for _, rep := range r.replicas {
			rep.kill()
		}
		r.fk.Close()
		r.db.drop()
		fmt.Fprintf(r.errOut, "crash: interrupted; work directory %s\n", r.work)
		os.Exit(130)
	}()
	for _, rep := range r.replicas {
		if err := rep.start(); err != nil {
			return 2, err
		}
	}
	target := r.replicas[0].base()
	if c.replicas > 1 {
		lb, err := newBalancer(r.replicas)
		if err != nil {
			return 2, err
		}
		defer lb.Close()
		target = lb.URL
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.ctx = ctx
	r.snd = newSender(ctx, target, []byte(webhookSecret), r.fk, c.faults)
	r.start = time.Now()
	lastDue := at.Add(offsets[len(offsets)-1].d)
	sendTime := time.Duration(0)
	if c.rate > 0 {
		sendTime = time.Duration(float64(c.n) / c.rate * float64(time.Second))
	}
	window := max(time.Until(lastDue)+20*time.Second, sendTime+10*time.Second)
	if !c.reminders {
		if c.rate == 0 {
			c.rate, sendTime = 50, time.Duration(float64(c.n)/50*float64(time.Second))
		}
		window = sendTime + 10*time.Second
	}
	if c.rate == 0 {
		c.rate = float64(c.n) / (window.Seconds() * 3 / 4)
	}
	r.logf("run %s: %s, %d replica(s), %d deliveries (%d go-lives, %d commands) at %.0f/s, go-lives at %s, %d kills over %s, faults %v, seed %d",
		r.runID, c.db, c.replicas, c.n, len(r.w.golives), len(r.w.commands), max(c.rate, 0), at.Format("15:04"), c.kills, window.Round(time.Second), c.faults, c.seed)

	faultsOn := func(on bool) error {
		if !c.faults {
			return nil
		}
		gh, sl := faultConfig{}, faultConfig{}
		if on {
			gh = faultConfig{Rate: c.faultRate, Kinds: []string{"5xx", "429", "secondary", "slow", "reset", "lost"}, Burst: 3, RetryAfter: 1, SlowMin: "500ms", SlowMax: "2s"}
			sl = faultConfig{Rate: c.faultRate, Kinds: []string{"5xx", "429", "slow", "reset", "lost"}, Burst: 3, RetryAfter: 1, SlowMin: "500ms", SlowMax: "2s"}
		}
		return r.fk.setFaults(gh, sl)
	}
	if err := faultsOn(true); err != nil {
		return 2, err
	}

	// The traffic: planning events first, then the rest (ticks join as the
	// checklists appear), paced, through c.concurrency senders.
	queue := make(chan *delivery, c.n+len(r.w.golives)*c.ticks)
	p := &pacer{start: time.Now()}
	if c.rate > 0 {
		p.every = time.Duration(float64(time.Second) / c.rate)
	}
	var senders sync.WaitGroup
	for range c.concurrency {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for d := range queue {
				p.wait()
				r.snd.deliver(d)
			}
		}()
	}
	r.snd.pending.Add(len(r.w.plan) + len(r.w.rest))
	for _, d := range r.w.plan {
		queue <- d
	}
	for _, d := range r.w.rest {
		queue <- d
	}
	tickerDone := make(chan struct{})
	go func() { r.ticker(queue, r.start.Add(max(window, time.Minute))); close(tickerDone) }()
	redeliverCtx, stopRedeliver := context.WithCancel(ctx)
	defer stopRedeliver()
	if c.faults {
		go r.snd.redeliver(redeliverCtx)
	}

	// Kills, at random moments over the window.
	killsDone := make(chan struct{})
	go func() { r.killer(rng, window); close(killsDone) }()
	outageDone := make(chan struct{})
	go func() {
		defer close(outageDone)
		if !c.faults {
			return
		}
		if c.db != "postgres" {
			r.outageDone = "skipped (SQLite: no server to take away)"
			return
		}
		time.Sleep(min(window/3, 40*time.Second))
		r.logf("database outage: %s", c.outage)
		at := time.Now()
		if err := r.db.outage(ctx, c.outage); err != nil {
			r.outageDone = "failed: " + err.Error()
			return
		}
		r.outageDone = fmt.Sprintf("%s from +%s", c.outage, at.Sub(r.start).Round(time.Second))
	}()

	progress := time.NewTicker(10 * time.Second)
	defer progress.Stop()
	go func() {
		for range progress.C {
			r.logf("sent %d posts, %d acknowledged, %d kills", r.snd.posts.Load(), len(r.acked()), r.killed.Load())
		}
	}()

	<-tickerDone
	waitFor := func(wg *sync.WaitGroup, d time.Duration) bool {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return true
		case <-time.After(d):
			return false
		}
	}
	allAcked := waitFor(&r.snd.pending, window+c.drain)
	close(queue)
	<-killsDone
	<-outageDone
	if err, _ := r.restartErr.Load().(error); err != nil {
		return 1, err
	}
	if d := time.Until(lastDue.Add(15 * time.Second)); d > 0 && c.reminders {
		r.logf("waiting %s for the last reminders to fall due", d.Round(time.Second))
		time.Sleep(d)
	}
	sent := time.Now()
	if err := faultsOn(false); err != nil {
		return 2, err
	}
	r.logf("traffic done in %s (all acknowledged: %v); draining", sent.Sub(r.start).Round(time.Second), allAcked)

	// Drain: the inbox empty and every expected effect present, or the
	// drain time up.
	ackedIDs := r.acked()
	var ts []*tally
	drainEnd := time.Now().Add(c.drain)
	lastSummary, stableSince := "", time.Now()
	for {
		pending, err := pendingDeliveries(context.Background(), r.db.url)
		if err == nil && pending == 0 {
			if rec, err := r.fk.records(r.maxIssue()); err == nil {
				if db, err := readDB(context.Background(), r.db.url, r.w, ackedIDs); err == nil {
					ts = evaluate(r.w, rec, db, ackedIDs, sent)
					if passes(ts) {
						break
					}
					sum := summary(ts)
					r.logf("draining: %s", sum)
					if sum != lastSummary {
						lastSummary, stableSince = sum, time.Now()
					} else if time.Since(stableSince) > 45*time.Second {
						break // nothing left to do and nothing changes
					}
				}
			}
		}
		if err != nil {
			r.logf("draining: %v", err)
		} else if pending > 0 {
			r.logf("draining: %d deliveries pending", pending)
		}
		if time.Now().After(drainEnd) {
			break
		}
		time.Sleep(5 * time.Second)
	}
	time.Sleep(3 * time.Second) // anything still in flight shows up as a duplicate
	drained := time.Since(sent)
	counters := map[string]float64{}
	for _, rep := range r.replicas {
		for k, v := range rep.metrics("golive_github_rate_limit_waits_total", "golive_deliveries_processed_total", "golive_redeliveries_total") {
			counters[k] += v
		}
	}
	cleanStops := 0
	for _, rep := range r.replicas {
		if rep.stop(20 * time.Second) {
			cleanStops++
		}
	}
	stopRedeliver()

	rec, err := r.fk.records(r.maxIssue())
	if err != nil {
		return 1, err
	}
	db, err := readDB(context.Background(), r.db.url, r.w, ackedIDs)
	if err != nil {
		return 1, err
	}
	ts = evaluate(r.w, rec, db, ackedIDs, sent)

	// The report.
	fmt.Fprintf(r.out, "\ngolive crash test %s: -db %s -replicas %d -n %d -kills %d -faults=%v (seed %d)\n",
		r.runID, c.db, c.replicas, c.n, c.kills, c.faults, c.seed)
	fmt.Fprintf(r.out, "deliveries: %d distinct acknowledged of %d sent; %d posts (%d resent after a refusal, %d answered 503, %d answered 200 as already received); %d left to the redelivery sweep, %d redelivered on golive's request\n",
		len(ackedIDs), c.n+r.ticksSent()-(len(r.w.golives)*c.ticks), r.snd.posts.Load(), r.snd.resent.Load(), r.snd.unavailable.Load(), r.snd.duplicates.Load(),
		r.snd.swept.Load(), r.snd.redone)
	starts := 0
	for _, rep := range r.replicas {
		starts += rep.starts
	}
	fmt.Fprintf(r.out, "kill -9: %d; golive starts: %d; clean SIGTERM stops at the end: %d of %d; run %s, drain %s\n",
		r.killed.Load(), starts, cleanStops, len(r.replicas), sent.Sub(r.start).Round(time.Second), drained.Round(time.Second))
	var perReplica []string
	for _, rep := range r.replicas {
		n, again, most := logStats(rep.logFiles())
		perReplica = append(perReplica, fmt.Sprintf("golive %d: %d (%d on a later attempt, at most attempt %d)", rep.index, n, again, most))
	}
	fmt.Fprintf(r.out, "deliveries processed, from the logs: %s\n", strings.Join(perReplica, "; "))
	if r.untickable > 0 {
		fmt.Fprintf(r.out, "%d go-lives never showed a checklist to tick\n", r.untickable)
	}
	if c.faults {
		fmt.Fprintf(r.out, "database outage: %s\n", r.outageDone)
	}
	if len(counters) > 0 {
		keys := make([]string, 0, len(counters))
		for k := range counters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(r.out, "golive's counters since its last start (summed over replicas):\n")
		for _, k := range keys {
			fmt.Fprintf(r.out, "  %s %g\n", k, counters[k])
		}
	}
	fmt.Fprintln(r.out)
	lost, dup := printTallies(r.out, ts)
	fmt.Fprintln(r.out)
	r.printCalls(rec)

	failed := lost > 0 || dup > 0
	if len(r.snd.failures) > 0 {
		failed = true
		fmt.Fprintf(r.out, "\n%d deliveries were not acknowledged, e.g. %s\n", len(r.snd.failures), r.snd.failures[0])
	}
	if len(rec.Violations) > 0 {
		failed = true
		fmt.Fprintf(r.out, "\n%d requests outside GitHub's OpenAPI description, e.g. %s\n", len(rec.Violations), rec.Violations[0])
	}
	var logs []string
	for _, rep := range r.replicas {
		logs = append(logs, rep.logFiles()...)
	}
	hits := grepSecrets(logs, map[string]string{"webhook secret": webhookSecret, "Slack signing secret": signingSecret,
		"Slack bot token": info.SlackToken}, info.PrivateKeyPEM)
	fmt.Fprintf(r.out, "\nsecrets in golive's logs (%d files): %d\n", len(logs), len(hits))
	for _, h := range hits {
		fmt.Fprintln(r.out, "  ", h)
	}
	if len(hits) > 0 {
		failed = true
	}
	if failed {
		fmt.Fprintln(r.out, "\nFAIL")
		return 1, nil
	}
	passed = true
	fmt.Fprintln(r.out, "\nPASS: every effect exactly once")
	return 0, nil
}

func (r *run) acked() []string {
	r.snd.mu.Lock()
	defer r.snd.mu.Unlock()
	out := make([]string, 0, len(r.snd.acked))
	for id := range r.snd.acked {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (r *run) ticksSent() int {
	n := 0
	for _, g := range r.w.golives {
		n += g.ticks
	}
	return n
}

func (r *run) maxIssue() int { return len(r.w.golives) + len(r.w.commands) }

// killer kill -9s a replica at each of cfg.kills random moments of the
// window and starts it again at once.
func (r *run) killer(rng *mrand.Rand, window time.Duration) {
	at := make([]time.Duration, r.cfg.kills)
	for i := range at {
		at[i] = 2*time.Second + time.Duration(rng.Int64N(int64(window-2*time.Second)))
	}
	sort.Slice(at, func(i, j int) bool { return at[i] < at[j] })
	for _, d := range at {
		if wait := time.Until(r.start.Add(d)); wait > 0 {
			time.Sleep(wait)
		}
		rep := r.replicas[rng.IntN(len(r.replicas))]
		rep.kill()
		r.killed.Add(1)
		if err := rep.start(); err != nil {
			r.restartErr.Store(err)
			return
		}
	}
}

// printCalls summarises the API calls the fakes saw and the faults they
// injected.
func (r *run) printCalls(rec records) {
	for _, side := range []struct {
		name string
		rec  proxyRecord
	}{{"GitHub", rec.GitHub}, {"Slack", rec.SlackCalls}} {
		type row struct {
			route string
			n     int
			codes string
		}
		var rows []row
		for route, codes := range side.rec.Calls {
			n := 0
			var cs []string
			for code, k := range codes {
				n += k
				cs = append(cs, fmt.Sprintf("%s×%d", code, k))
			}
			sort.Strings(cs)
			rows = append(rows, row{route, n, strings.Join(cs, " ")})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].n > rows[j].n })
		fmt.Fprintf(r.out, "%s API: %d requests\n", side.name, side.rec.Requests)
		for _, x := range rows {
			fmt.Fprintf(r.out, "  %6d  %s  (%s)\n", x.n, x.route, x.codes)
		}
		if len(side.rec.Faults) > 0 {
			var kinds []string
			for k := range side.rec.Faults {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			fmt.Fprintf(r.out, "  faults injected:\n")
			for _, k := range kinds {
				f := side.rec.Faults[k]
				if k == "slow" {
					fmt.Fprintf(r.out, "    %-9s %5d (answered late)\n", k, f.Injected)
					continue
				}
				fmt.Fprintf(r.out, "    %-9s %5d; sent again %d", k, f.Injected, f.Retried)
				if f.WritesRetried > 0 {
					fmt.Fprintf(r.out, "; writes %d, sent again %d, after %.2fs at the soonest (mean %.2fs)", f.Writes, f.WritesRetried, f.WritesMinWaitS, f.WritesMeanWaitS)
				}
				if k == "429" || k == "secondary" {
					fmt.Fprintf(r.out, "; before Retry-After: %d writes, %d identical reads (any caller's)", f.EarlyWrites, f.Early-f.EarlyWrites)
				}
				fmt.Fprintln(r.out)
			}
		}
		if side.rec.MaxAttempts > 0 {
			var ks []int
			for k := range side.rec.Attempts {
				n, _ := strconv.Atoi(k)
				ks = append(ks, n)
			}
			sort.Ints(ks)
			var parts []string
			for _, k := range ks {
				parts = append(parts, fmt.Sprintf("%d×%d", side.rec.Attempts[strconv.Itoa(k)], k))
			}
			fmt.Fprintf(r.out, "  identical requests repeated after a failure (chains × attempts): %s; longest %d\n", strings.Join(parts, " "), side.rec.MaxAttempts)
		}
	}
}
