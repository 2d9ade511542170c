// Command reminders measures golive's reminder sender (bot/scheduler's
// Dispatcher, with its real store, Slack client and pacing) against a fake
// Slack that answers after a fixed latency, on SQLite and PostgreSQL, and
// compares the figures with the goals of issue 4 in the same run:
//
//   - throughput: a backlog of occurrences (100,000 across 10,000 go-lives
//     and 1,000 channels by default), all due when the dispatcher starts,
//     sent at ≥ 1,000 reminders/s with every channel paced to one message a
//     second;
//   - lateness: occurrences falling due while the dispatcher runs, at a rate
//     within the pace (by default each channel gets one every 2 s for 20 s:
//     10,000 occurrences, 500/s), reach Slack at most 1 s (p99) after their
//     due time;
//   - peak RSS of the process (VmHWM, reset before each phase) ≤ 150 MB.
//
// Each phase is checked against the fake's record: every occurrence posted
// exactly once (by its metadata key) in its go-live's thread, and no two
// posts to one channel less than a second apart where the fake received
// them. The fake Slack runs in a child process (this binary again, see
// fake.go): it keeps every message and call, over a GB for 100,000
// reminders, which is not golive's memory.
//
// The dispatcher runs with Senders 64, Batch 10,000 and MaxLane 40 unless
// told otherwise (golive serve uses its defaults, 16, 500 and 20), and with
// a workspace pace of 2,000/s (golive's default of 20/s would cap any run at
// 20/s). The -x-… flags emulate dispatcher changes through the store the
// dispatcher is given, to measure them before making them.
//
//	go run ./bench/reminders                        # both databases when GOLIVE_TEST_DATABASE_URL is set
//	go run ./bench/reminders -db sqlite -scale 0.1  # a quick run: 10 occurrences per channel
//	go run ./bench/reminders -check                 # exit 1 when a goal is missed
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the benchmark's schema

	"github.com/golive-dev/golive/bot/checklist"
	gometrics "github.com/golive-dev/golive/bot/metrics"
	"github.com/golive-dev/golive/bot/reminders"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/slackpace"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/tracking"
)

// Goals from the issue.
const (
	goalRate     = 1000.0          // reminders per second, phase 1
	goalLateness = time.Second     // p99, phase 2
	goalRSS      = 150 << 20       // bytes of peak RSS, each phase
	perChannel   = time.Second     // Slack's pace, checked at the fake
	dueWindow    = 5 * time.Second // phase 1's due times spread over this before the start
	leadTime     = 2 * time.Second // phase 2: the dispatcher runs this long before the first due time
	postURL      = "https://github.com/%s/issues/%d"
	pgEnv        = "GOLIVE_TEST_DATABASE_URL"
	benchOwner   = "bench"
	seedWorkers  = 8
	progressTick = 100 * time.Millisecond
)

type config struct {
	dbs           []string
	pgURL         string
	golives       int
	channels      int
	occurrences   int
	latency       time.Duration
	workspaceRate float64
	senders       int
	batch         int
	maxLane       int
	poll          time.Duration
	laterInterval time.Duration // phase 2: between two due times of one channel
	laterWindow   time.Duration // phase 2: how long occurrences keep falling due
	timeout       time.Duration // per phase, after the expected duration
	cpuProfile    string
	memProfile    string
	fakeInProcess bool
	httpIdle      int  // idle connections per host of the Slack client; 0: slackclient's default client
	claimCap      int  // experiment: claims capped at this many per channel (0: as the dispatcher asks)
	asyncMarks    bool // experiment: marking sent runs off the dispatcher's loop
	prefetch      bool // experiment: claims and their go-lives are read off the dispatcher's loop, one claim ahead
	runThroughput bool
	runLateness   bool
	check         bool
	quiet         bool // no progress lines (the test)
}

func main() {
	if spec := os.Getenv(fakeEnv); spec != "" {
		os.Exit(serveFake(spec))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reminders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	db := fs.String("db", "", `database: sqlite, postgres or both (default both when -pg-url or `+pgEnv+` is set, else sqlite)`)
	fs.StringVar(&c.pgURL, "pg-url", os.Getenv(pgEnv), "PostgreSQL URL; the run uses a fresh schema in it and drops it after (default $"+pgEnv+")")
	fs.IntVar(&c.golives, "golives", 10_000, "go-lives of the throughput phase, spread round-robin over the channels")
	fs.IntVar(&c.channels, "channels", 1_000, "Slack channels")
	fs.IntVar(&c.occurrences, "occurrences", 100_000, "occurrences of the throughput phase, all due at its start")
	scale := fs.Float64("scale", 1, "multiply -golives and -occurrences (not -channels) and the lateness window by this, for a quicker run")
	fs.DurationVar(&c.latency, "latency", time.Millisecond, "the fake Slack's response time")
	fs.Float64Var(&c.workspaceRate, "workspace-rate", 2000, "the workspace-wide pace, messages/s (production default 20: see docs/benchmarks.md)")
	fs.IntVar(&c.senders, "senders", 64, "Dispatcher.Senders: posts in flight (0: the dispatcher's default, 16, as golive serve runs)")
	fs.IntVar(&c.batch, "batch", 10_000, "Dispatcher.Batch: occurrences per claim (0: the dispatcher's default, 500)")
	fs.IntVar(&c.maxLane, "max-lane", 40, "Dispatcher.MaxLane: queued jobs per channel (0: the dispatcher's default, 20)")
	fs.DurationVar(&c.poll, "poll", 0, "Dispatcher.Poll: longest wait between claims (0: the dispatcher's default)")
	fs.DurationVar(&c.laterInterval, "lateness-interval", 2*time.Second, "lateness phase: time between two due times in one channel")
	fs.DurationVar(&c.laterWindow, "lateness-window", 20*time.Second, "lateness phase: how long occurrences keep falling due")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "give a phase up this long after its expected end")
	fake := fs.String("fake", "process", "where the fake Slack runs: process (a child process) or inproc (this one; its memory then counts in the peak RSS)")
	fs.IntVar(&c.httpIdle, "http-idle", 0, "give the Slack client an HTTP transport keeping this many idle connections (0: slackclient's default client, as golive serve uses)")
	fs.IntVar(&c.claimCap, "x-claim-per-channel", 0, "experiment: make every claim take at most this many occurrences per channel (the store's perChannel argument, which the dispatcher leaves 0)")
	fs.BoolVar(&c.asyncMarks, "x-async-marks", false, "experiment: MarkRemindersSent returns at once and writes in the background (marking off the dispatcher's loop)")
	fs.BoolVar(&c.prefetch, "x-prefetch", false, "experiment: each claim, and the go-lives it needs, is made in the background while the previous one is queued (claiming off the dispatcher's loop)")
	phases := fs.String("phases", "throughput,lateness", "the phases to run")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of each phase to this path prefix (PREFIX-sqlite-throughput.pprof, …)")
	fs.StringVar(&c.memProfile, "memprofile", "", "write a heap profile of each phase, taken when half its occurrences are marked sent, to this path prefix")
	fs.BoolVar(&c.check, "check", false, "exit 1 when a goal is missed")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	for _, p := range strings.Split(*phases, ",") {
		switch strings.TrimSpace(p) {
		case "throughput":
			c.runThroughput = true
		case "lateness":
			c.runLateness = true
		default:
			fmt.Fprintf(stderr, "-phases: unknown phase %q (want throughput, lateness)\n", p)
			return 2
		}
	}
	switch *fake {
	case "process":
	case "inproc":
		c.fakeInProcess = true
	default:
		fmt.Fprintf(stderr, "-fake %q: want process or inproc\n", *fake)
		return 2
	}
	if *scale <= 0 {
		fmt.Fprintln(stderr, "-scale must be positive")
		return 2
	}
	c.golives = max(int(float64(c.golives)**scale), 1)
	c.occurrences = max(int(float64(c.occurrences)**scale), 1)
	c.laterWindow = max(time.Duration(float64(c.laterWindow)**scale), c.laterInterval)
	switch {
	case c.channels < 1 || c.golives < c.channels:
		fmt.Fprintf(stderr, "need at least one channel and at least as many go-lives as channels (%d go-lives, %d channels)\n", c.golives, c.channels)
		return 2
	case c.occurrences > c.golives*len(reminders.DefaultOffsets()):
		fmt.Fprintf(stderr, "at most %d occurrences per go-live (the default timeline's offsets)\n", len(reminders.DefaultOffsets()))
		return 2
	case c.laterInterval < perChannel:
		fmt.Fprintln(stderr, "-lateness-interval below 1 s would exceed the per-channel pace")
		return 2
	case int(c.laterWindow/c.laterInterval) > len(reminders.DefaultOffsets()):
		fmt.Fprintf(stderr, "at most %d occurrences per channel in the lateness phase\n", len(reminders.DefaultOffsets()))
		return 2
	}
	switch *db {
	case "":
		if c.pgURL != "" {
			c.dbs = []string{"sqlite", "postgres"}
		} else {
			c.dbs = []string{"sqlite"}
			fmt.Fprintf(stdout, "SQLite only: set -pg-url or %s for PostgreSQL too\n", pgEnv)
		}
	case "sqlite", "postgres":
		c.dbs = []string{*db}
	case "both":
		c.dbs = []string{"sqlite", "postgres"}
	default:
		fmt.Fprintf(stderr, "-db %q: want sqlite, postgres or both\n", *db)
		return 2
	}
	if slices.Contains(c.dbs, "postgres") && c.pgURL == "" {
		fmt.Fprintf(stderr, "-db %s needs -pg-url or %s\n", *db, pgEnv)
		return 2
	}

	perCh := (c.occurrences + c.channels - 1) / c.channels
	fmt.Fprintf(stdout, "golive reminder sender benchmark — GOMAXPROCS=%d, %s\n", runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(stdout, "throughput: %d occurrences, %d go-lives, %d channels (≤ %d per channel: ≥ %s at 1/s per channel)\n",
		c.occurrences, c.golives, c.channels, perCh, time.Duration(perCh-1)*perChannel)
	fmt.Fprintf(stdout, "lateness: one due per channel every %s for %s (%d occurrences, %.0f/s)\n",
		c.laterInterval, c.laterWindow, c.channels*int(c.laterWindow/c.laterInterval), float64(c.channels)/c.laterInterval.Seconds())
	where, client := "in a child process", "slackclient's default HTTP client"
	if c.fakeInProcess {
		where = "in this process"
	}
	if c.httpIdle > 0 {
		client = fmt.Sprintf("an HTTP client keeping %d idle connections", c.httpIdle)
	}
	fmt.Fprintf(stdout, "fake Slack %s, answering after %s, through %s; workspace pace %.0f/s\n", where, c.latency, client, c.workspaceRate)
	fmt.Fprintf(stdout, "dispatcher: Senders %s, Batch %s, MaxLane %s, Poll %s (golive serve: the defaults, 16, 500, 20, 250ms)\n",
		orDefault(c.senders), orDefault(c.batch), orDefault(c.maxLane), pollString(c.poll))
	if c.claimCap > 0 {
		fmt.Fprintf(stdout, "experiment: claims capped at %d occurrences per channel\n", c.claimCap)
	}
	if c.asyncMarks {
		fmt.Fprintln(stdout, "experiment: marks written in the background")
	}
	if c.prefetch {
		fmt.Fprintln(stdout, "experiment: claims and their go-lives read in the background, one claim ahead")
	}
	fmt.Fprintln(stdout)

	var rows []row
	failed := false
	for _, name := range c.dbs {
		rs, err := runDB(name, c, stdout)
		rows = append(rows, rs...)
		if err != nil {
			failed = true
			fmt.Fprintf(stderr, "bench/reminders: %s: %v\n", name, err)
			rows = append(rows, row{db: name, phase: "—", figure: "run", value: "failed: " + err.Error(), goal: "completes", pass: false})
		}
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "db\tphase\tfigure\tvalue\tgoal\tresult")
	missed := 0
	for _, r := range rows {
		verdict := ""
		if r.goal != "" {
			verdict = "pass"
			if !r.pass {
				verdict = "FAIL"
				missed++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.db, r.phase, r.figure, r.value, r.goal, verdict)
	}
	tw.Flush()
	if failed {
		return 1
	}
	if missed > 0 {
		fmt.Fprintf(stdout, "\n%d goal(s) missed\n", missed)
		if c.check {
			return 1
		}
	}
	return 0
}

func pollString(d time.Duration) string {
	if d == 0 {
		return "default"
	}
	return d.String()
}

func orDefault(v int) string {
	if v == 0 {
		return "default"
	}
	return strconv.Itoa(v)
}

// row is one line of the result table; goal "" is information only.
type row struct {
	db, phase, figure, value, goal string
	pass                           bool
}

// runDB runs both phases on one database.
func runDB(name string, c config, out io.Writer) ([]row, error) {
	ctx := context.Background()
	st, cleanup, err := openStore(ctx, name, c.pgURL)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	clk := &shiftClock{}
	tmpl := checklist.Default()
	b := &bench{name: name, c: c, st: st, clk: clk, tmpl: tmpl, out: out, phases: phasesByOffset(tmpl)}
	// Phase 1's due times lie just before s1, phase 2's after s2; the
	// clock is moved to each when its phase starts, so seeding takes the
	// time it takes without eating into either.
	var rows []row
	if c.runThroughput {
		rs, err := b.throughput(ctx, time.Now().Add(24*time.Hour).Truncate(time.Second))
		rows = append(rows, rs...)
		if err != nil {
			return rows, err
		}
	}
	if c.runLateness {
		rs, err := b.lateness(ctx, clk.Now().Add(25*time.Hour).Truncate(time.Second))
		rows = append(rows, rs...)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// openStore opens a fresh store: an SQLite file in a temporary directory,
// or a new schema in the PostgreSQL database, dropped by cleanup.
func openStore(ctx context.Context, name, pgURL string) (store.Store, func(), error) {
	if name == "sqlite" {
		dir, err := os.MkdirTemp("", "golive-bench-reminders-")
		if err != nil {
			return nil, nil, err
		}
		st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "golive.db"))
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return st, func() { st.Close(); os.RemoveAll(dir) }, nil
	}
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		return nil, nil, err
	}
	var rb [6]byte
	rand.Read(rb[:])
	schema := "bench_" + hex.EncodeToString(rb[:])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(dctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "bench/reminders: drop schema %s: %v\n", schema, err)
		}
		admin.Close()
	}
	u, err := withSearchPath(pgURL, schema)
	if err != nil {
		drop()
		return nil, nil, err
	}
	st, err := store.Open(ctx, u)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() { st.Close(); drop() }, nil
}

// bench is one database's run.
type bench struct {
	name   string
	c      config
	st     store.Store
	clk    *shiftClock
	tmpl   checklist.Template
	phases map[checklist.Offset][]string
	out    io.Writer
}

// golive is what the benchmark remembers of a seeded go-live.
type golive struct {
	id       int64
	channel  int
	threadTS string
	offsets  []checklist.Offset
	due      []time.Time // per offset
}

func channelID(i int) string   { return fmt.Sprintf("C%08d", i) }
func channelName(i int) string { return fmt.Sprintf("ch%04d", i) }

// newSlack starts a phase's fake Slack.
func (b *bench) newSlack() (fakeSlack, error) {
	return newFakeSlack(b.c.fakeInProcess, b.c.channels, b.c.latency)
}

// phasesByOffset maps an offset to the names of the template's phases due
// at it, as reminders.Schedule does.
func phasesByOffset(t checklist.Template) map[checklist.Offset][]string {
	m := map[checklist.Offset][]string{}
	for _, p := range t.Phases {
		m[p.Offset] = append(m[p.Offset], p.Name)
	}
	return m
}

// seed stores go-lives through the store API as the tracker would, each
// with a few checklist items, its occurrences (due at due(goliveIndex,
// offsetIndex)) and its Slack thread already posted (a parent message seeded
// in the fake, recorded with SetSlackThread), so the phase measures
// reminders only.
func (b *bench) seed(ctx context.Context, sl fakeSlack, first, count int, counts func(i int) int, channel func(i int) int,
	at time.Time, due func(i, j int) time.Time) ([]golive, error) {
	created := b.clk.Now()
	offsets := reminders.DefaultOffsets()
	gs := make([]golive, count)
	items := b.items()
	tasks := tracking.Tasks(items)
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= count {
					return
				}
				g, err := b.seedOne(ctx, sl, first+i, channel(i), offsets[:counts(i)], items, tasks, at, created, func(j int) time.Time { return due(i, j) })
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					next.Store(int64(count))
					return
				}
				gs[i] = g
			}
		}()
	}
	wg.Wait()
	return gs, firstErr
}

func (b *bench) seedOne(ctx context.Context, sl fakeSlack, n, ch int, offsets []checklist.Offset, items []store.Item,
	tasks []checklist.Task, at, created time.Time, due func(j int) time.Time) (golive, error) {
	g, _, err := b.st.UpsertGoLive(ctx, store.GoLive{InstallationID: 1, RepoID: int64(1 + n%100), Repo: fmt.Sprintf("acme/svc%02d", n%100),
		IssueNumber: 1 + n/100, State: store.GoLiveActive, Environment: "production", At: at.UTC(), Timezone: "Europe/Berlin",
		SlackChannel: "#" + channelName(ch)}, created)
	if err != nil {
		return golive{}, err
	}
	if _, err := b.st.SaveItems(ctx, g.ID, items, created); err != nil {
		return golive{}, err
	}
	out := golive{id: g.ID, channel: ch, offsets: offsets, due: make([]time.Time, len(offsets))}
	add := make([]store.Reminder, len(offsets))
	key := tracking.ReminderKey(g.ID)
	for j, o := range offsets {
		out.due[j] = due(j)
		add[j] = store.Reminder{Key: reminders.Key(key, o), GoLiveID: g.ID, Offset: o.String(), Kind: reminders.KindOf(o).String(),
			DueAt: out.due[j].UTC(), Phases: b.phases[o]}
	}
	if _, _, _, err := b.st.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: add}); err != nil {
		return golive{}, err
	}
	// The parent as the dispatcher would have posted it, so that its first
	// reminder finds the text unchanged and edits nothing.
	loc, _ := time.LoadLocation(g.Timezone)
	view := scheduler.View{GoLive: g, Location: loc, IssueURL: fmt.Sprintf(postURL, g.Repo, g.IssueNumber),
		Readiness: checklist.Evaluate(b.tmpl, g.At.In(loc), tasks)}
	text := scheduler.ParentText(view, b.clk.Now())
	ts, err := sl.SeedThread(ch, key, text)
	if err != nil {
		return golive{}, err
	}
	if err := b.st.SetSlackThread(ctx, g.ID, channelID(ch), ts, text); err != nil {
		return golive{}, err
	}
	out.threadTS = ts
	return out, nil
}

// items are a few of the default checklist's items, two of them ticked.
func (b *bench) items() []store.Item {
	var items []store.Item
	for _, p := range b.tmpl.Phases {
		for _, it := range p.Items {
			if len(items) == 5 {
				return items
			}
			items = append(items, store.Item{ID: it.ID, Phase: p.Name, Text: it.Text, Owner: it.Owner, Required: it.Required,
				Checked: len(items) < 2, CheckedBy: "alice"})
		}
	}
	return items
}

// throughput is phase 1: the whole backlog due at s1.
func (b *bench) throughput(ctx context.Context, s1 time.Time) ([]row, error) {
	c := b.c
	sl, err := b.newSlack()
	if err != nil {
		return nil, err
	}
	defer sl.Close()
	// A fixed shuffle of the occurrences gives their due order: a backlog
	// after downtime comes due in no particular channel order.
	order := mrand.New(mrand.NewPCG(4, 2)).Perm(c.occurrences)
	counts := func(i int) int { return c.occurrences/c.golives + btoi(i < c.occurrences%c.golives) }
	due := func(i, j int) time.Time {
		idx := order[j*c.golives+i]
		return s1.Add(-dueWindow + time.Duration(idx)*dueWindow/time.Duration(c.occurrences))
	}
	b.progress("%s: seeding %d go-lives with %d occurrences", b.name, c.golives, c.occurrences)
	start := time.Now()
	var gs []golive
	gs, err = b.seed(ctx, sl, 0, c.golives, counts, func(i int) int { return i % c.channels }, s1.Add(8*24*time.Hour), due)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	seeded := time.Since(start)
	b.progress("%s: seeded in %s", b.name, seeded.Round(time.Millisecond))

	perCh := 0
	{
		n := make([]int, c.channels)
		for _, g := range gs {
			n[g.channel] += len(g.offsets)
		}
		perCh = slices.Max(n)
	}
	b.clk.Set(s1)
	res, err := b.runPhase(ctx, "throughput", sl, c.occurrences, time.Duration(perCh)*perChannel)
	if err != nil {
		return nil, err
	}
	v, err := b.verify(sl, gs, res)
	if err != nil {
		return nil, err
	}
	rate := float64(c.occurrences) / v.lastAt.Sub(res.startAt).Seconds()
	ceiling := time.Duration(perCh-1) * perChannel
	fmt.Fprintf(b.out, "%s throughput: seeded %d go-lives, %d occurrences in %s\n", b.name, c.golives, c.occurrences, seeded.Round(time.Millisecond))
	fmt.Fprintf(b.out, "  sent %d in %s from the dispatcher's start to the last arrival at Slack (%.0f/s); all marked sent after %s\n",
		v.posted, v.lastAt.Sub(res.startAt).Round(time.Millisecond), rate, res.doneAt.Sub(res.startAt).Round(time.Millisecond))
	fmt.Fprintf(b.out, "  per-channel ceiling: %d posts to the busiest channel take ≥ %s at 1/s; first arrival after %s; %s\n",
		perCh, ceiling, v.firstAt.Sub(res.startAt).Round(time.Millisecond), v.gapSummary())
	fmt.Fprintf(b.out, "  %s\n", v.paceSummary())
	b.printDetails(res, v)
	rows := []row{
		{b.name, "throughput", "seed (not measured)", fmt.Sprintf("%s (%.0f go-lives/s)", seeded.Round(time.Millisecond), float64(c.golives)/seeded.Seconds()), "", true},
		{b.name, "throughput", "reminders sent/s", fmt.Sprintf("%.0f (%.1f%% of the per-channel ceiling %.0f/s)", rate,
			100*ceiling.Seconds()/v.lastAt.Sub(res.startAt).Seconds(), float64(c.occurrences)/ceiling.Seconds()), fmt.Sprintf("≥ %.0f", goalRate), rate >= goalRate},
	}
	rows = append(rows, b.commonRows("throughput", res, v)...)
	return rows, nil
}

// lateness is phase 2: occurrences falling due from s2+leadTime while the
// dispatcher runs, each channel one per laterInterval.
func (b *bench) lateness(ctx context.Context, s2 time.Time) ([]row, error) {
	c := b.c
	sl, err := b.newSlack()
	if err != nil {
		return nil, err
	}
	defer sl.Close()
	per := int(c.laterWindow / c.laterInterval)
	n := c.channels * per
	first := s2.Add(leadTime)
	// Channel ch's k-th occurrence is due at first + k·interval, the
	// channels staggered evenly over one interval: a steady aggregate rate.
	due := func(i, j int) time.Time {
		return first.Add(time.Duration(j)*c.laterInterval + time.Duration(i)*c.laterInterval/time.Duration(c.channels))
	}
	b.progress("%s: seeding %d go-lives with %d occurrences", b.name, c.channels, n)
	start := time.Now()
	var gs []golive
	gs, err = b.seed(ctx, sl, c.golives, c.channels, func(int) int { return per }, func(i int) int { return i }, s2.Add(8*24*time.Hour), due)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	seeded := time.Since(start)
	b.clk.Set(s2)
	res, err := b.runPhase(ctx, "lateness", sl, n, leadTime+c.laterWindow)
	if err != nil {
		return nil, err
	}
	v, err := b.verify(sl, gs, res)
	if err != nil {
		return nil, err
	}
	slices.Sort(v.lateness)
	p50, p99, mx := pct(v.lateness, 50), pct(v.lateness, 99), pct(v.lateness, 100)
	fmt.Fprintf(b.out, "%s lateness: seeded %d go-lives, %d occurrences in %s; %d arrived, lateness at Slack p50 %s p99 %s max %s\n",
		b.name, c.channels, n, seeded.Round(time.Millisecond), len(v.lateness), p50, p99, mx)
	b.printDetails(res, v)
	rows := []row{
		{b.name, "lateness", "lateness p50 / max", fmt.Sprintf("%s / %s", p50, mx), "", true},
		{b.name, "lateness", "lateness p99", p99.String(), "≤ " + goalLateness.String(), p99 <= goalLateness && len(v.lateness) == n},
	}
	rows = append(rows, b.commonRows("lateness", res, v)...)
	return rows, nil
}

func (b *bench) commonRows(phase string, res phaseResult, v verification) []row {
	return []row{
		{b.name, phase, rssFigure(b.c), mb(res.hwm), fmt.Sprintf("≤ %s", mb(goalRSS)), res.hwm <= goalRSS},
		{b.name, phase, "peak Go heap (live and not yet collected)", mb(res.heapPeak), "", true},
		{b.name, phase, "occurrences not posted exactly once", fmt.Sprintf("%d of %d", v.missing+v.duplicated+v.stray, v.expected), "0", v.missing+v.duplicated+v.stray == 0},
		{b.name, phase, "posts to one channel < 1 s apart", closest(v), "0", v.tooClose == 0},
	}
}

func closest(v verification) string {
	if len(v.gaps) == 0 {
		return "0 (no channel got two posts)"
	}
	return fmt.Sprintf("%d (closest %s)", v.tooClose, v.minGap.Round(time.Millisecond))
}

func rssFigure(c config) string {
	if c.fakeInProcess {
		return "peak RSS (VmHWM, fake Slack included)"
	}
	return "peak RSS (VmHWM)"
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// phaseResult is what running the dispatcher measured.
type phaseResult struct {
	startAt, doneAt time.Time     // clock times: the dispatcher's start, all marked sent
	offset          time.Duration // the clock's shift during the phase
	hwm, fakeHWM    int64
	heapPeak        uint64
	st              *timedStore
	sl              *timedSlack
	logs            *countingHandler
	wall            time.Duration
	cpu             time.Duration // process CPU time during the phase
	fakeCPU         time.Duration // the fake Slack process's
	machine         machineTimes  // the whole machine's, during the phase
}

// runPhase runs a fresh dispatcher on the store until want occurrences are
// marked sent (or expected+timeout passes), then stops it.
func (b *bench) runPhase(ctx context.Context, phase string, sl fakeSlack, want int, expected time.Duration) (phaseResult, error) {
	c := b.c
	ts := &timedStore{Store: b.st, clk: b.clk, claimCap: c.claimCap}
	stopExperiments := ts.startExperiments(c.asyncMarks, c.prefetch)
	logs := &countingHandler{}
	cfg := slackclient.Config{Token: sl.Token(), APIURL: sl.APIURL(), Clock: b.clk, Metrics: gometrics.New()}
	if c.httpIdle > 0 {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = c.httpIdle, c.httpIdle
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	client := slackclient.New(cfg)
	tsl := &timedSlack{Slack: client}
	tmpl := b.tmpl
	d := &scheduler.Dispatcher{Store: ts, Slack: tsl, Clock: b.clk, Owner: benchOwner, Metrics: gometrics.New(), Logger: slog.New(logs),
		Pace: slackpace.Options{Workspace: c.workspaceRate},
		Settings: func(context.Context, store.GoLive) (scheduler.Settings, error) {
			return scheduler.Settings{Template: tmpl, Grace: time.Hour}, nil
		},
		Senders: c.senders, Batch: c.batch, MaxLane: c.maxLane, Poll: c.poll,
	}
	if c.cpuProfile != "" {
		f, err := os.Create(fmt.Sprintf("%s-%s-%s.pprof", c.cpuProfile, b.name, phase))
		if err != nil {
			return phaseResult{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return phaseResult{}, err
		}
		defer pprof.StopCPUProfile()
	}
	debug.FreeOSMemory()
	resetHWM()
	sl.ResetPeak()
	heap := startHeapSampler()
	cpu0, fakeCPU0, machine0 := cpuTime(), sl.CPU(), readMachine()
	wall0 := time.Now()
	res := phaseResult{st: ts, sl: tsl, logs: logs, startAt: b.clk.Now(), offset: b.clk.Offset()}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	deadline := time.Now().Add(expected + c.timeout)
	lastReport := time.Now()
	var err error
	heapProfiled := c.memProfile == ""
	for ts.marked.Load() < int64(want) {
		if !heapProfiled && ts.marked.Load() >= int64(want/2) {
			heapProfiled = true
			if f, err := os.Create(fmt.Sprintf("%s-%s-%s.pprof", c.memProfile, b.name, phase)); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		if time.Now().After(deadline) {
			err = fmt.Errorf("%s: %d of %d marked sent after %s", phase, ts.marked.Load(), want, time.Since(wall0).Round(time.Second))
			break
		}
		if time.Since(lastReport) >= 10*time.Second {
			lastReport = time.Now()
			b.progress("%s %s: %d of %d sent after %s", b.name, phase, ts.marked.Load(), want, time.Since(wall0).Round(time.Second))
		}
		time.Sleep(progressTick)
	}
	res.doneAt = b.clk.Now()
	res.wall = time.Since(wall0)
	res.cpu = cpuTime() - cpu0
	res.fakeCPU = sl.CPU() - fakeCPU0
	res.machine = readMachine().sub(machine0)
	res.hwm = readHWM()
	res.heapPeak = heap()
	res.fakeHWM = sl.PeakRSS()
	cancel()
	if rerr := <-done; rerr != nil && err == nil {
		err = rerr
	}
	stopExperiments()
	return res, err
}

// verification is what the fake Slack's record says about a phase.
type verification struct {
	expected, posted                     int
	missing, duplicated, stray, notInThr int
	tooClose                             int
	minGap                               time.Duration
	gaps                                 []time.Duration // between consecutive posts to one channel
	channelDone                          []time.Duration // per channel, its last arrival after the start
	lateness                             []time.Duration // per posted occurrence, arrival − due
	calls                                map[string]int
	failedCalls                          int
	firstAt, lastAt                      time.Time // first and last arrival at Slack, on the phase's clock
}

func (v verification) gapSummary() string {
	return fmt.Sprintf("closest two posts to one channel %s apart", v.minGap.Round(time.Millisecond))
}

// paceSummary says how well the channels' time was used: the gaps between
// two posts to one channel (ideally 1 s plus a round trip), the time
// channels stood idle while their backlog waited (gaps beyond 1.1 s), and
// when the channels finished.
func (v verification) paceSummary() string {
	if len(v.gaps) == 0 {
		return "no channel got two posts"
	}
	gaps := slices.Clone(v.gaps)
	slices.Sort(gaps)
	var idle time.Duration
	for _, g := range gaps {
		if g > perChannel*11/10 {
			idle += g - perChannel
		}
	}
	done := slices.Clone(v.channelDone)
	slices.Sort(done)
	return fmt.Sprintf("gaps between posts to a channel p50 %s p99 %s max %s; idle time beyond 1.1 s per channel %s on average; channels finished after p50 %s, p99 %s, last %s",
		pct(gaps, 50), pct(gaps, 99), pct(gaps, 100), (idle / time.Duration(len(done))).Round(time.Millisecond),
		pct(done, 50).Round(100*time.Millisecond), pct(done, 99).Round(100*time.Millisecond), pct(done, 100).Round(100*time.Millisecond))
}

// verify checks every occurrence of gs was posted once in its go-live's
// thread, that no channel got two posts less than perChannel apart, and
// collects each post's lateness. Arrival times are the fake's message ts
// (its wall clock when it handled the post) moved onto the phase's clock.
func (b *bench) verify(sl fakeSlack, gs []golive, res phaseResult) (verification, error) {
	rec, err := sl.Record()
	if err != nil {
		return verification{}, err
	}
	v := verification{minGap: time.Duration(1<<63 - 1), calls: rec.Calls, failedCalls: rec.Failed}
	type want struct {
		due    time.Time
		thread string
	}
	wants := map[string]want{}
	for _, g := range gs {
		key := tracking.ReminderKey(g.id)
		for j, o := range g.offsets {
			wants[reminders.Key(key, o)] = want{g.due[j], g.threadTS}
		}
	}
	v.expected = len(wants)
	seen := map[string]int{}
	prev, prevCh := time.Time{}, -1
	for _, p := range rec.Posts {
		v.posted++
		at := tsTime(p.TS).Add(res.offset)
		if v.firstAt.IsZero() || at.Before(v.firstAt) {
			v.firstAt = at
		}
		if at.After(v.lastAt) {
			v.lastAt = at
		}
		if p.Channel == prevCh {
			gap := at.Sub(prev)
			v.minGap = min(v.minGap, gap)
			v.gaps = append(v.gaps, gap)
			if gap < perChannel {
				v.tooClose++
			}
		}
		if p.Channel != prevCh {
			v.channelDone = append(v.channelDone, 0)
		}
		v.channelDone[len(v.channelDone)-1] = at.Sub(res.startAt)
		prev, prevCh = at, p.Channel
		w, ok := wants[p.Key]
		if !ok {
			v.stray++
			continue
		}
		if seen[p.Key]++; seen[p.Key] == 1 {
			v.lateness = append(v.lateness, at.Sub(w.due))
		} else {
			v.duplicated++
		}
		if p.Thread != w.thread {
			v.notInThr++
		}
	}
	v.missing = v.expected - len(seen)
	if v.minGap == time.Duration(1<<63-1) {
		v.minGap = 0
	}
	return v, nil
}

func (b *bench) printDetails(res phaseResult, v verification) {
	st, sl := res.st, res.sl
	fmt.Fprint(b.out, " ")
	if res.fakeCPU > 0 {
		fmt.Fprintf(b.out, " fake Slack process CPU %s (%.0f%% of a core);", res.fakeCPU.Round(time.Millisecond), 100*res.fakeCPU.Seconds()/res.wall.Seconds())
	}
	fmt.Fprintf(b.out, " machine: %s\n", res.machine)
	fakeRSS := "the fake's included"
	if res.fakeHWM > 0 {
		fakeRSS = "the fake Slack process's " + mb(res.fakeHWM)
	}
	fmt.Fprintf(b.out, "  wall %s, process CPU %s (%.0f%% of %d cores); peak RSS %s (%s), peak Go heap %s\n",
		res.wall.Round(time.Millisecond), res.cpu.Round(time.Millisecond), 100*res.cpu.Seconds()/res.wall.Seconds()/float64(runtime.GOMAXPROCS(0)),
		runtime.GOMAXPROCS(0), mb(res.hwm), fakeRSS, mb(res.heapPeak))
	golives := st.golive.String("GetGoLiveByID")
	if n := st.cachedGoLive.Load(); n > 0 {
		golives += fmt.Sprintf(" + %d read with their claim", n)
	}
	fmt.Fprintf(b.out, "  store: %s; %s; %s; %s; %s\n", st.claim.String("claims"), st.mark.String("marks"), golives,
		st.items.String("Items"), st.retry.String("RetryReminder"))
	if n := st.other.n.Load(); n > 0 {
		fmt.Fprintf(b.out, "  store, other calls: %s\n", st.other.String("calls"))
	}
	fmt.Fprintf(b.out, "  slack: %s; other calls %d\n", sl.post.String("PostMessage"), sl.other.n.Load())
	var methods []string
	for m, n := range v.calls {
		methods = append(methods, fmt.Sprintf("%s %d", m, n))
	}
	slices.Sort(methods)
	fmt.Fprintf(b.out, "  fake Slack: %s; %d failed; %d posted, %d missing, %d duplicated, %d unexpected, %d outside their thread\n",
		strings.Join(methods, ", "), v.failedCalls, v.posted, v.missing, v.duplicated, v.stray, v.notInThr)
	if w, e := res.logs.warn.Load(), res.logs.err.Load(); w+e > 0 {
		fmt.Fprintf(b.out, "  dispatcher log: %d warnings, %d errors; first: %s\n", w, e, res.logs.firstMsgs())
	}
}

func (b *bench) progress(format string, args ...any) {
	if !b.c.quiet {
		fmt.Fprintf(os.Stderr, "  "+format+"\n", args...)
	}
}

// tsTime reads a Slack ts as a time.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000)
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[i].Round(time.Millisecond)
}

func mb[T int | int64 | uint64](n T) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// shiftClock is the wall clock moved by an offset, so each phase's due
// times can be laid out before seeding and reached when it starts. Time
// passes at its real pace.
type shiftClock struct{ offset atomic.Int64 }

func (c *shiftClock) Now() time.Time { return time.Now().Add(c.Offset()) }

// Offset is how far the clock is ahead of the wall clock.
func (c *shiftClock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// Set moves the clock so that Now is t; it only ever moves it forward.
func (c *shiftClock) Set(t time.Time) {
	if d := time.Until(t); d > time.Duration(c.offset.Load()) {
		c.offset.Store(int64(d))
	}
}

// stat counts calls and their time.
type stat struct {
	n, rows, ns, maxNS atomic.Int64
}

func (s *stat) add(start time.Time, rows int) {
	d := int64(time.Since(start))
	s.n.Add(1)
	s.rows.Add(int64(rows))
	s.ns.Add(d)
	for {
		m := s.maxNS.Load()
		if d <= m || s.maxNS.CompareAndSwap(m, d) {
			return
		}
	}
}

func (s *stat) String(name string) string {
	n := s.n.Load()
	if n == 0 {
		return name + " 0"
	}
	total := time.Duration(s.ns.Load())
	out := fmt.Sprintf("%s %d in %s (mean %s, max %s", name, n, total.Round(time.Millisecond),
		(total / time.Duration(n)).Round(time.Microsecond), time.Duration(s.maxNS.Load()).Round(time.Microsecond))
	if r := s.rows.Load(); r != n {
		out += fmt.Sprintf(", %d rows", r)
	}
	return out + ")"
}

// timedStore times the store calls a dispatcher makes and counts the
// reminders it marked sent.
type timedStore struct {
	store.Store
	claim, mark, golive, items, retry, other stat
	marked                                   atomic.Int64

	// Experiments emulating dispatcher changes (see the flags).
	clk          *shiftClock
	claimCap     int
	marks        chan []store.SentReminder // asyncMarks: to the background writer
	marksDone    chan struct{}
	prefetching  bool
	next         chan claimResult // prefetch: the claim made ahead, when one is under way
	golives      sync.Map         // prefetch: go-lives read with their claim, by id
	cachedGoLive atomic.Int64
}

type claimResult struct {
	rows []store.Reminder
	err  error
}

// startExperiments starts the background work of the experiments asked
// for; the returned function waits for it to finish.
func (s *timedStore) startExperiments(asyncMarks, prefetch bool) func() {
	s.prefetching = prefetch
	if asyncMarks {
		s.marks, s.marksDone = make(chan []store.SentReminder, 1024), make(chan struct{})
		go func() {
			defer close(s.marksDone)
			for sent := range s.marks {
				s.markNow(context.Background(), benchOwner, sent)
			}
		}()
	}
	// Called once the dispatcher stopped: nothing claims or marks any more.
	return func() {
		if s.next != nil {
			<-s.next
		}
		if s.marks != nil {
			close(s.marks)
			<-s.marksDone
		}
	}
}

func (s *timedStore) ClaimDueReminders(ctx context.Context, owner string, now time.Time, lease time.Duration, limit, perChannel int) ([]store.Reminder, error) {
	if perChannel == 0 {
		perChannel = s.claimCap
	}
	if !s.prefetching {
		return s.claimNow(ctx, owner, now, lease, limit, perChannel)
	}
	// The claim made ahead, if there is one, else one now; either way the
	// next one starts in the background.
	var r claimResult
	if s.next != nil {
		r = <-s.next
	} else {
		r.rows, r.err = s.claimNow(ctx, owner, now, lease, limit, perChannel)
		s.preload(ctx, r.rows)
	}
	s.next = make(chan claimResult, 1)
	go func(next chan claimResult) {
		var r claimResult
		r.rows, r.err = s.claimNow(context.WithoutCancel(ctx), owner, s.clk.Now(), lease, limit, perChannel)
		s.preload(ctx, r.rows)
		next <- r
	}(s.next)
	return r.rows, r.err
}

func (s *timedStore) claimNow(ctx context.Context, owner string, now time.Time, lease time.Duration, limit, perChannel int) ([]store.Reminder, error) {
	t := time.Now()
	rs, err := s.Store.ClaimDueReminders(ctx, owner, now, lease, limit, perChannel)
	s.claim.add(t, len(rs))
	return rs, err
}

// preload reads the go-lives of claimed reminders for GetGoLiveByID.
func (s *timedStore) preload(ctx context.Context, rs []store.Reminder) {
	seen := map[int64]bool{}
	for _, r := range rs {
		if seen[r.GoLiveID] {
			continue
		}
		seen[r.GoLiveID] = true
		if g, err := s.Store.GetGoLiveByID(context.WithoutCancel(ctx), r.GoLiveID); err == nil {
			s.golives.Store(r.GoLiveID, g)
		}
	}
}

func (s *timedStore) MarkRemindersSent(ctx context.Context, owner string, sent []store.SentReminder) ([]string, error) {
	if s.marks != nil {
		s.marks <- slices.Clone(sent)
		return nil, nil
	}
	return s.markNow(ctx, owner, sent)
}

func (s *timedStore) markNow(ctx context.Context, owner string, sent []store.SentReminder) ([]string, error) {
	t := time.Now()
	lost, err := s.Store.MarkRemindersSent(ctx, owner, sent)
	s.mark.add(t, len(sent))
	if err == nil {
		s.marked.Add(int64(len(sent) - len(lost)))
	}
	return lost, err
}

func (s *timedStore) GetGoLiveByID(ctx context.Context, id int64) (store.GoLive, error) {
	if g, ok := s.golives.LoadAndDelete(id); ok {
		s.cachedGoLive.Add(1)
		return g.(store.GoLive), nil
	}
	t := time.Now()
	g, err := s.Store.GetGoLiveByID(ctx, id)
	s.golive.add(t, 1)
	return g, err
}

func (s *timedStore) Items(ctx context.Context, id int64) ([]store.Item, error) {
	t := time.Now()
	its, err := s.Store.Items(ctx, id)
	s.items.add(t, 1)
	return its, err
}

func (s *timedStore) RetryReminder(ctx context.Context, key, owner string, notBefore time.Time, lastErr string) error {
	t := time.Now()
	err := s.Store.RetryReminder(ctx, key, owner, notBefore, lastErr)
	s.retry.add(t, 1)
	return err
}

func (s *timedStore) MissReminder(ctx context.Context, key, owner string) error {
	t := time.Now()
	err := s.Store.MissReminder(ctx, key, owner)
	s.other.add(t, 1)
	return err
}

func (s *timedStore) SetSlackParentText(ctx context.Context, id int64, text string) error {
	t := time.Now()
	err := s.Store.SetSlackParentText(ctx, id, text)
	s.other.add(t, 1)
	return err
}

func (s *timedStore) FailReminder(ctx context.Context, key, owner, reason string) error {
	t := time.Now()
	err := s.Store.FailReminder(ctx, key, owner, reason)
	s.other.add(t, 1)
	return err
}

// timedSlack times the dispatcher's posts.
type timedSlack struct {
	scheduler.Slack
	post, other stat
}

func (s *timedSlack) PostMessage(ctx context.Context, m slackclient.Message) (string, string, error) {
	t := time.Now()
	ts, ch, err := s.Slack.PostMessage(ctx, m)
	s.post.add(t, 1)
	return ts, ch, err
}

func (s *timedSlack) UpdateMessage(ctx context.Context, channel, ts string, m slackclient.Message) error {
	t := time.Now()
	err := s.Slack.UpdateMessage(ctx, channel, ts, m)
	s.other.add(t, 1)
	return err
}

func (s *timedSlack) FindByMetadata(ctx context.Context, channel, threadTS, eventType, key, value string) (string, bool, error) {
	t := time.Now()
	ts, ok, err := s.Slack.FindByMetadata(ctx, channel, threadTS, eventType, key, value)
	s.other.add(t, 1)
	return ts, ok, err
}

// countingHandler counts the dispatcher's warnings and errors and keeps the
// first few.
type countingHandler struct {
	warn, err atomic.Int64
	mu        sync.Mutex
	first     []string
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *countingHandler) WithGroup(string) slog.Handler                { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.err.Add(1)
	} else {
		h.warn.Add(1)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.first) < 3 {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		h.first = append(h.first, b.String())
	}
	return nil
}

func (h *countingHandler) firstMsgs() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.first, " | ")
}

// resetHWM resets the process's peak RSS (VmHWM) to its current RSS, so a
// phase's figure is its own (Linux ≥ 4.0; elsewhere a no-op).
func resetHWM() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// readHWM is the process's peak RSS in bytes since the last reset, or 0.
func readHWM() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// startHeapSampler samples the Go heap's live objects until the returned
// function is called, which returns the peak.
func startHeapSampler() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-t.C:
			case <-stop:
				return
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		read()
		return peak.Load()
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses): utime and
	// stime are the 12th and 13th.
	s := string(raw)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+stt) * time.Second / 100 // USER_HZ is 100 on Linux
}

// machineTimes are the machine's CPU times from /proc/stat, in USER_HZ
// ticks, summed over its CPUs.
type machineTimes struct{ busy, idle, steal int64 }

func readMachine() machineTimes {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTimes{}
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	if len(f) < 9 || f[0] != "cpu" {
		return machineTimes{}
	}
	var v [8]int64
	for i := range v {
		v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	return machineTimes{busy: v[0] + v[1] + v[2] + v[5] + v[6], idle: v[3] + v[4], steal: v[7]}
}

func (m machineTimes) sub(o machineTimes) machineTimes {
	return machineTimes{m.busy - o.busy, m.idle - o.idle, m.steal - o.steal}
}

func (m machineTimes) String() string {
	total := m.busy + m.idle + m.steal
	if total <= 0 {
		return "CPU use unknown"
	}
	return fmt.Sprintf("CPUs %.0f%% busy, %.0f%% idle, %.0f%% stolen", 100*float64(m.busy)/float64(total),
		100*float64(m.idle)/float64(total), 100*float64(m.steal)/float64(total))
}

// withSearchPath returns the PostgreSQL URL u with search_path set to
// schema (as storetest.WithSearchPath does for the tests).
func withSearchPath(u, schema string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "postgres" && pu.Scheme != "postgresql") {
		return "", errors.New("-pg-url must be a postgres:// URL")
	}
	q := pu.Query()
	q.Set("search_path", schema)
	pu.RawQuery = q.Encode()
	return pu.String(), nil
}
