package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary serve the fake Slack when the benchmark
// starts it as its child process, as the command's main does.
func TestMain(m *testing.M) {
	if spec := os.Getenv(fakeEnv); spec != "" {
		os.Exit(serveFake(spec))
	}
	os.Exit(m.Run())
}

// The benchmark at a tiny scale, so it cannot rot: both phases run (on
// PostgreSQL too when GOLIVE_TEST_DATABASE_URL is set), every occurrence
// reaches the fake Slack exactly once, paced, and the table reports every
// figure. The throughput goal cannot be met with four channels, so only
// the correctness rows must pass.
func TestTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the dispatcher for several seconds")
	}
	var out, errOut bytes.Buffer
	args := []string{"-golives", "8", "-channels", "4", "-occurrences", "12", "-lateness-interval", "1s", "-lateness-window", "2s",
		"-senders", "4", "-quiet"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	dbs := []string{"sqlite"}
	if os.Getenv(pgEnv) != "" {
		dbs = append(dbs, "postgres")
	}
	for _, db := range dbs {
		for _, want := range []struct{ phase, figure string }{
			{"throughput", "reminders sent/s"},
			{"throughput", "occurrences not posted exactly once"},
			{"throughput", "posts to one channel < 1 s apart"},
			{"throughput", "peak RSS (VmHWM)"},
			{"lateness", "lateness p99"},
			{"lateness", "occurrences not posted exactly once"},
			{"lateness", "posts to one channel < 1 s apart"},
		} {
			line := tableRow(out.String(), db, want.phase, want.figure)
			if line == "" {
				t.Errorf("no %s %s row %q in:\n%s", db, want.phase, want.figure, out.String())
				continue
			}
			if strings.Contains(want.figure, "exactly once") || strings.Contains(want.figure, "apart") {
				if !strings.HasSuffix(line, "pass") {
					t.Errorf("%s", line)
				}
			}
		}
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", errOut.String())
	}
}

func tableRow(out, db, phase, figure string) string {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) > 2 && f[0] == db && f[1] == phase && strings.HasPrefix(strings.Join(f[2:], " "), figure) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
