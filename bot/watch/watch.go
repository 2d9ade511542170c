// Package watch watches a service after a go-live for the operations
// checklist's immediate rollback triggers (error rate > 5%, response time
// > 2 s) and says whether one tripped.
//
// A Source takes one Sample: Prometheus asks a Prometheus server two
// instant queries, Endpoints requests the service's own URLs. Watch samples
// every interval for a window, and stops at once when a trigger trips.
//
// A sample that cannot be taken is never a silent pass: it is shown in the
// table, MaxSampleFailures of them in a row end the watch with an error, and
// a watch that took no sample at all is an error too.
package watch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/smoke"
)

// MaxSampleFailures is how many samples in a row may fail before Watch gives
// up with an error.
const MaxSampleFailures = 3

// Source takes one observation of the service.
type Source interface {
	Sample(ctx context.Context) (Sample, error)
}

// Sample is one observation.
type Sample struct {
	// ErrorRate is the fraction of failed requests (0.07 = 7%).
	ErrorRate float64
	// Latency is the response time the source measures (P95 for
	// Endpoints; whatever the query computes for Prometheus).
	Latency time.Duration
}

// Triggers are the rollback triggers. A sample breaches a trigger when its
// value is strictly above the limit; a trigger trips when Consecutive
// samples in a row breach it. Each trigger keeps its own count, so an error
// rate breach followed by a latency breach is one of each, not two in a row.
type Triggers struct {
	// MaxErrorRate is the highest tolerated error rate, a fraction; 0
	// turns the trigger off (to trip on any error, use a tiny value).
	MaxErrorRate float64
	// MaxLatency is the highest tolerated latency; 0 turns it off.
	MaxLatency time.Duration
	// Consecutive is how many samples in a row must breach a trigger for
	// it to trip; 0 means 1.
	Consecutive int
}

// SeedTriggers returns the operations checklist's immediate rollback
// triggers: error rate > 5% or response time > 2 s, on a single sample.
func SeedTriggers() Triggers {
	return Triggers{MaxErrorRate: 0.05, MaxLatency: 2 * time.Second, Consecutive: 1}
}

func (t Triggers) consecutive() int { return max(t.Consecutive, 1) }

func (t Triggers) validate() error {
	if math.IsNaN(t.MaxErrorRate) || t.MaxErrorRate < 0 || t.MaxErrorRate > 1 {
		return fmt.Errorf("max error rate %v must be a fraction from 0 to 1 (0.05 for 5%%)", t.MaxErrorRate)
	}
	if t.MaxLatency < 0 {
		return fmt.Errorf("max latency %s is negative", t.MaxLatency)
	}
	if t.Consecutive < 0 {
		return fmt.Errorf("consecutive %d is negative", t.Consecutive)
	}
	if t.MaxErrorRate == 0 && t.MaxLatency == 0 {
		return errors.New("no trigger is set: give a max error rate, a max latency or both")
	}
	return nil
}

// String describes the triggers: "error rate > 5.0% or latency > 2 s".
func (t Triggers) String() string {
	var parts []string
	if t.MaxErrorRate > 0 {
		parts = append(parts, "error rate > "+formatPercent(t.MaxErrorRate))
	}
	if t.MaxLatency > 0 {
		parts = append(parts, "latency > "+formatDuration(t.MaxLatency))
	}
	s := strings.Join(parts, " or ")
	if n := t.consecutive(); n > 1 {
		s += fmt.Sprintf(" for %d samples in a row", n)
	}
	return s
}

// Outcome is what a watch saw.
type Outcome struct {
	// Tripped is true when a trigger tripped; the watch stopped there.
	Tripped bool
	// Reason says which trigger tripped and why, e.g. "error rate 7.0% >
	// 5.0% (2 samples in a row)"; empty when none did.
	Reason string
	// Samples are the samples taken, in order; failed ones are left out.
	Samples []Sample
	// Failures counts the samples that could not be taken.
	Failures int
	// Markdown is a table of every sample, failed ones included, and the
	// verdict.
	Markdown string
}

// entry is one row of the table.
type entry struct {
	at     time.Time
	sample Sample
	err    error
	breach []string // triggers this sample breached
}

// Watch samples src at once and then every interval until window has passed
// (samples at start, start+interval, …, up to and including start+window),
// or until a trigger trips, in which case it returns at once. If sampling
// falls behind, missed sample times are skipped rather than caught up.
//
// A failed sample neither breaches nor clears a trigger. MaxSampleFailures
// failures in a row end the watch with an error, and so does a window
// without a single successful sample. When ctx ends Watch returns its error.
// On every error the Outcome still holds what was seen, with Markdown.
//
// A nil clk means clock.System; a nil sleep waits on a timer. sleep must
// return ctx's error when ctx ends before d has passed.
func Watch(ctx context.Context, src Source, trig Triggers, window, interval time.Duration, clk clock.Clock, sleep func(ctx context.Context, d time.Duration) error) (Outcome, error) {
	if src == nil {
		return Outcome{}, errors.New("watch for rollback triggers: no source")
	}
	if err := trig.validate(); err != nil {
		return Outcome{}, fmt.Errorf("watch for rollback triggers: %w", err)
	}
	if window < 0 {
		return Outcome{}, fmt.Errorf("watch for rollback triggers: window %s is negative", window)
	}
	if interval <= 0 {
		return Outcome{}, fmt.Errorf("watch for rollback triggers: interval %s must be above 0", interval)
	}
	if clk == nil {
		clk = clock.System{}
	}
	if sleep == nil {
		sleep = clock.Sleep
	}

	w := &watcher{trig: trig, window: window}
	start := clk.Now()
	end := start.Add(window)
	failStreak := 0
	for k := int64(0); ; {
		at := clk.Now()
		s, err := src.Sample(ctx)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return w.fail(fmt.Errorf("watch for rollback triggers: %w", ctxErr), "⚠️ watch interrupted")
		}
		if err != nil {
			w.entries = append(w.entries, entry{at: at, err: err})
			w.out.Failures++
			failStreak++
			if failStreak >= MaxSampleFailures {
				return w.fail(fmt.Errorf("watch for rollback triggers: %d samples in a row failed, the last: %w", failStreak, err),
					fmt.Sprintf("⚠️ watch failed: %d samples in a row could not be taken", failStreak))
			}
		} else {
			failStreak = 0
			if w.observe(at, s) {
				return w.finish(), nil
			}
		}

		now := clk.Now()
		k++
		next := start.Add(time.Duration(k) * interval)
		if next.Before(now) {
			// Behind schedule: skip to the first sample time not yet past.
			k = int64((now.Sub(start) + interval - 1) / interval)
			next = start.Add(time.Duration(k) * interval)
		}
		if next.After(end) {
			break
		}
		if err := sleep(ctx, next.Sub(now)); err != nil {
			return w.fail(fmt.Errorf("watch for rollback triggers: %w", err), "⚠️ watch interrupted")
		}
	}
	if len(w.out.Samples) == 0 {
		return w.fail(fmt.Errorf("watch for rollback triggers: none of %d samples could be taken, the last: %w", w.out.Failures, w.entries[len(w.entries)-1].err),
			"⚠️ watch failed: no sample could be taken")
	}
	return w.finish(), nil
}

type watcher struct {
	trig    Triggers
	window  time.Duration
	entries []entry
	out     Outcome
	// streaks of samples in a row breaching each trigger.
	errStreak, latStreak int
}

// observe records s and reports whether a trigger tripped.
func (w *watcher) observe(at time.Time, s Sample) bool {
	w.out.Samples = append(w.out.Samples, s)
	e := entry{at: at, sample: s}
	need := w.trig.consecutive()
	var reasons []string
	if w.trig.MaxErrorRate > 0 {
		if s.ErrorRate > w.trig.MaxErrorRate {
			w.errStreak++
			e.breach = append(e.breach, "error rate > "+formatPercent(w.trig.MaxErrorRate))
			if w.errStreak >= need {
				reasons = append(reasons, fmt.Sprintf("error rate %s > %s", formatPercent(s.ErrorRate), formatPercent(w.trig.MaxErrorRate))+inARow(w.errStreak, need))
			}
		} else {
			w.errStreak = 0
		}
	}
	if w.trig.MaxLatency > 0 {
		if s.Latency > w.trig.MaxLatency {
			w.latStreak++
			e.breach = append(e.breach, "latency > "+formatDuration(w.trig.MaxLatency))
			if w.latStreak >= need {
				reasons = append(reasons, fmt.Sprintf("latency %s > %s", formatDuration(s.Latency), formatDuration(w.trig.MaxLatency))+inARow(w.latStreak, need))
			}
		} else {
			w.latStreak = 0
		}
	}
	w.entries = append(w.entries, e)
	if len(reasons) == 0 {
		return false
	}
	w.out.Tripped = true
	w.out.Reason = strings.Join(reasons, "; ")
	return true
}

func inARow(streak, need int) string {
	if need <= 1 {
		return ""
	}
	return fmt.Sprintf(" (%d samples in a row)", streak)
}

func (w *watcher) finish() Outcome {
	verdict := ""
	if w.out.Tripped {
		verdict = "❌ rollback trigger tripped: " + w.out.Reason
	} else {
		verdict = fmt.Sprintf("✅ no rollback trigger tripped in %d samples over %s (triggers: %s)", len(w.out.Samples), formatDuration(w.window), w.trig)
		if w.out.Failures > 0 {
			verdict += fmt.Sprintf("; %d samples could not be taken", w.out.Failures)
		}
	}
	w.out.Markdown = w.markdown(verdict)
	return w.out
}

func (w *watcher) fail(err error, verdict string) (Outcome, error) {
	w.out.Markdown = w.markdown(verdict)
	return w.out, err
}

func (w *watcher) markdown(verdict string) string {
	var b strings.Builder
	b.WriteString("| # | Time (UTC) | Error rate | Latency | Status |\n")
	b.WriteString("|---|------------|------------|---------|--------|\n")
	for i, e := range w.entries {
		at := e.at.UTC().Format("15:04:05")
		switch {
		case e.err != nil:
			fmt.Fprintf(&b, "| %d | %s | – | – | ⚠️ no sample: %s |\n", i+1, at, cell(e.err.Error()))
		case len(e.breach) > 0:
			fmt.Fprintf(&b, "| %d | %s | %s | %s | ❌ %s |\n", i+1, at, formatPercent(e.sample.ErrorRate), formatDuration(e.sample.Latency), cell(strings.Join(e.breach, ", ")))
		default:
			fmt.Fprintf(&b, "| %d | %s | %s | %s | ✅ |\n", i+1, at, formatPercent(e.sample.ErrorRate), formatDuration(e.sample.Latency))
		}
	}
	if len(w.entries) == 0 {
		b.WriteString("| – | – | – | – | no samples |\n")
	}
	b.WriteString("\n**Verdict:** " + cell(verdict) + "\n")
	return b.String()
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// formatDuration writes d as the smoke report does ("200 ms", "2.5 s"),
// and an unbounded latency (+Inf from Prometheus) as "∞".
func formatDuration(d time.Duration) string {
	if d == math.MaxInt64 {
		return "∞"
	}
	return smoke.FormatDuration(d)
}

// formatPercent writes a fraction as the smoke report does: "7.0%".
func formatPercent(f float64) string { return smoke.FormatPercent(f) }

// percentile returns the nearest-rank p-th percentile of sorted, 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
