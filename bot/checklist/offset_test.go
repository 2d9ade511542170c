package checklist

import (
	"testing"
	"time"
	_ "time/tzdata" // the DST tests must not depend on the host's zoneinfo
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load location %q: %v", name, err)
	}
	return loc
}

func TestParseOffset(t *testing.T) {
	for _, tc := range []struct {
		in, canon string
		days      int
		dur       time.Duration
	}{
		{"T-7d", "T-7d", -7, 0},
		{"T-3d", "T-3d", -3, 0},
		{"T-1d", "T-1d", -1, 0},
		{"T-2h", "T-2h", 0, -2 * time.Hour},
		{"T-30m", "T-30m", 0, -30 * time.Minute},
		{"T+10m", "T+10m", 0, 10 * time.Minute},
		{"T+30m", "T+30m", 0, 30 * time.Minute},
		{"T+1d", "T+1d", 1, 0},
		{"T-0", "T-0", 0, 0},
		{"T+0", "T-0", 0, 0},
		{"T-0d", "T-0", 0, 0},
		{"T-90m", "T-1h30m", 0, -90 * time.Minute},
		{"T-1d12h", "T-1d12h", -1, -12 * time.Hour},
		{"T+48h", "T+48h", 0, 48 * time.Hour},
		{"T-1d2h3m", "T-1d2h3m", -1, -(2*time.Hour + 3*time.Minute)},
	} {
		o, err := ParseOffset(tc.in)
		if err != nil {
			t.Errorf("ParseOffset(%q): %v", tc.in, err)
			continue
		}
		if got := o.String(); got != tc.canon {
			t.Errorf("ParseOffset(%q).String() = %q, want %q", tc.in, got, tc.canon)
		}
		if o.Days() != tc.days || o.Duration() != tc.dur {
			t.Errorf("ParseOffset(%q) = %dd %v, want %dd %v", tc.in, o.Days(), o.Duration(), tc.days, tc.dur)
		}
		back, err := ParseOffset(o.String())
		if err != nil || back != o {
			t.Errorf("ParseOffset(%q) does not round-trip: %v, %v", o.String(), back, err)
		}
	}
	for _, bad := range []string{"", "T", "T-", "T7d", "-7d", "t-7d", "T-7", "T-7w", "T-d", "T--7d",
		"T-7d7d", "T-2h1d", "T-1m2h", "T- 7d", "T-7d ", "T-9999999d", "T-3661d", "T-100000h", "T-1.5h", "T−7d"} {
		if o, err := ParseOffset(bad); err == nil {
			t.Errorf("ParseOffset(%q) = %v, want an error", bad, o)
		}
	}
}

func TestOffsetText(t *testing.T) {
	var o Offset
	if err := o.UnmarshalText([]byte("T-2h")); err != nil {
		t.Fatal(err)
	}
	b, _ := o.MarshalText()
	if string(b) != "T-2h" {
		t.Errorf("MarshalText = %q", b)
	}
	if err := o.UnmarshalText([]byte("soon")); err == nil {
		t.Error("UnmarshalText(soon) succeeded")
	}
}

func TestOffsetAtDST(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	for _, tc := range []struct {
		name    string
		golive  time.Time
		offset  string
		want    time.Time
		elapsed time.Duration // golive - want
	}{
		// Berlin springs forward on 2026-03-29 (CET -> CEST).
		{"berlin march T-7d", time.Date(2026, 3, 31, 14, 0, 0, 0, berlin), "T-7d",
			time.Date(2026, 3, 24, 14, 0, 0, 0, berlin), 167 * time.Hour},
		{"berlin march T-1d over the change", time.Date(2026, 3, 29, 12, 0, 0, 0, berlin), "T-1d",
			time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), 23 * time.Hour},
		{"berlin march T-2h is elapsed", time.Date(2026, 3, 29, 3, 30, 0, 0, berlin), "T-2h",
			time.Date(2026, 3, 29, 0, 30, 0, 0, berlin), 2 * time.Hour},
		{"berlin march T+1d", time.Date(2026, 3, 28, 9, 0, 0, 0, berlin), "T+1d",
			time.Date(2026, 3, 29, 9, 0, 0, 0, berlin), -23 * time.Hour},
		// Berlin falls back on 2026-10-25 (CEST -> CET).
		{"berlin october T-7d", time.Date(2026, 10, 28, 10, 0, 0, 0, berlin), "T-7d",
			time.Date(2026, 10, 21, 10, 0, 0, 0, berlin), 169 * time.Hour},
		{"berlin october T-3d", time.Date(2026, 10, 26, 8, 0, 0, 0, berlin), "T-3d",
			time.Date(2026, 10, 23, 8, 0, 0, 0, berlin), 73 * time.Hour},
		{"berlin october T+30m over the change", time.Date(2026, 10, 25, 2, 45, 0, 0, time.FixedZone("CEST", 2*3600)).In(berlin), "T+30m",
			time.Date(2026, 10, 25, 1, 15, 0, 0, time.UTC).In(berlin), -30 * time.Minute},
		{"berlin october T-1d2h", time.Date(2026, 10, 26, 1, 0, 0, 0, berlin), "T-1d2h",
			time.Date(2026, 10, 24, 23, 0, 0, 0, berlin), 27 * time.Hour},
		// New York springs forward 2026-03-08 and falls back 2026-11-01.
		{"new york march T-7d", time.Date(2026, 3, 10, 9, 0, 0, 0, ny), "T-7d",
			time.Date(2026, 3, 3, 9, 0, 0, 0, ny), 167 * time.Hour},
		{"new york november T-3d", time.Date(2026, 11, 3, 9, 0, 0, 0, ny), "T-3d",
			time.Date(2026, 10, 31, 9, 0, 0, 0, ny), 73 * time.Hour},
		{"new york november T-1d", time.Date(2026, 11, 1, 12, 0, 0, 0, ny), "T-1d",
			time.Date(2026, 10, 31, 12, 0, 0, 0, ny), 25 * time.Hour},
		{"new york november T-2h", time.Date(2026, 11, 1, 2, 30, 0, 0, ny), "T-2h",
			time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC).In(ny), 2 * time.Hour},
		{"utc T-7d", time.Date(2026, 3, 31, 14, 0, 0, 0, time.UTC), "T-7d",
			time.Date(2026, 3, 24, 14, 0, 0, 0, time.UTC), 168 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MustParseOffset(tc.offset).At(tc.golive)
			if !got.Equal(tc.want) {
				t.Errorf("At = %v, want %v", got, tc.want)
			}
			if got.Location() != tc.golive.Location() {
				t.Errorf("At is in %v, want %v", got.Location(), tc.golive.Location())
			}
			if d := tc.golive.Sub(got); d != tc.elapsed {
				t.Errorf("T - At = %v, want %v", d, tc.elapsed)
			}
		})
	}
}

func TestOffsetAtWallClock(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	golive := time.Date(2026, 4, 2, 14, 0, 0, 0, berlin)
	due := MustParseOffset("T-7d").At(golive)
	if got := due.Format("2006-01-02 15:04 MST"); got != "2026-03-26 14:00 CET" {
		t.Errorf("T-7d of %v = %s, want 2026-03-26 14:00 CET", golive, got)
	}
}
