package main

import (
	"bytes"
	"strings"
	"testing"
)

// The benchmark at a tiny scale, so it cannot rot: golive is built and
// started, go-lives are opened and tracked with their threads, and the
// table has every row.
func TestTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs golive")
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-golives", "10", "-warmup", "2", "-channels", "3", "-window", "500ms", "-quiet"}, &out, &errOut); code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, row := range []string{"| live Go heap", "| Go heap in use", "| RSS (VmRSS)", "| SQLite database + WAL", "| Go heap objects", "| goroutines"} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("no row %q in:\n%s", row, out.String())
		}
	}
}
