package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestCrashSmoke runs the harness at a tiny scale (no reminders, one kill),
// so the harness itself cannot rot: it builds golive and bench/fakes, sends
// 60 deliveries, kills golive once and checks every effect.
func TestCrashSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs golive")
	}
	var out, errOut bytes.Buffer
	code := runMain([]string{"-db", "sqlite", "-n", "60", "-golives", "2", "-ticks", "2", "-kills", "1",
		"-reminders=false", "-rate", "20", "-drain", "60s", "-quiet", "-work", t.TempDir()}, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "PASS") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	t.Log(out.String())
}
