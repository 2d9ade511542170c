package reminders

import (
	"slices"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
)

func TestClassify(t *testing.T) {
	due := time.Date(2026, 6, 9, 10, 0, 0, 0, time.UTC)
	created := due.AddDate(0, 0, -2)
	for _, tc := range []struct {
		name    string
		now     time.Time
		created time.Time
		grace   time.Duration
		want    Status
	}{
		{"a second early", due.Add(-time.Second), created, 0, NotYet},
		{"exactly due", due, created, 0, OnTime},
		{"send window", due.Add(SendWindow), created, 0, OnTime},
		{"just past the send window", due.Add(SendWindow + time.Nanosecond), created, 0, Late},
		{"exactly at grace", due.Add(DefaultGrace), created, 0, Late},
		{"a second over grace", due.Add(DefaultGrace + time.Second), created, 0, Missed},
		{"custom grace", due.Add(time.Hour), created, time.Hour, Late},
		{"over custom grace", due.Add(time.Hour + time.Second), created, time.Hour, Missed},
		{"grace below the send window", due.Add(SendWindow + time.Second), created, 10 * time.Second, Missed},
		{"days later", due.AddDate(0, 0, 3), created, 0, Missed},
		{"created exactly at due", due, due, 0, OnTime},
		{"created a second after due", due.Add(time.Second), due.Add(time.Second), 0, BeforeCreation},
		{"before creation, long ago", due.AddDate(0, 0, 5), due.Add(time.Hour), 0, BeforeCreation},
		{"before creation, future now", due.Add(-time.Hour), due.Add(time.Minute), 0, BeforeCreation},
	} {
		if got := Classify(due, tc.now, tc.created, tc.grace); got != tc.want {
			t.Errorf("%s: Classify = %v, want %v", tc.name, got, tc.want)
		}
	}
	// Zones do not matter: instants are compared.
	berlin := mustLoc(t, "Europe/Berlin")
	if got := Classify(due.In(berlin), due.Add(DefaultGrace), created.In(berlin), 0); got != Late {
		t.Errorf("in Berlin: %v", got)
	}
	if s := Status(0).String(); s != "status(0)" {
		t.Errorf("Status(0).String() = %q", s)
	}
}

func TestCatchUp(t *testing.T) {
	at := time.Date(2026, 6, 9, 10, 0, 0, 0, time.UTC)
	// The go-live was created two days before T; the bot was down from
	// T-2h and comes back at T+10m30s.
	created := at.AddDate(0, 0, -2)
	now := at.Add(10*time.Minute + 30*time.Second)
	occs := Schedule("g", at, DefaultOffsets(), checklist.Template{}, Rules{})
	send, late, missed := CatchUp(occs, now, created, 0)
	if got := scheduleKeys(send); !slices.Equal(got, []string{"g@T+10m"}) {
		t.Errorf("send %q", got)
	}
	// T-10m is 20m30s late: over the grace.
	if late != nil {
		t.Errorf("late %q", scheduleKeys(late))
	}
	if got := scheduleKeys(missed); !slices.Equal(got, []string{"g@T-1d", "g@T-2h", "g@T-1h", "g@T-30m", "g@T-20m", "g@T-10m"}) {
		t.Errorf("missed %q", got)
	}

	// With a longer grace the recent ones are late instead (T-20m is
	// 30m30s late).
	send, late, missed = CatchUp(occs, now, created, 30*time.Minute+30*time.Second)
	if got := scheduleKeys(late); !slices.Equal(got, []string{"g@T-20m", "g@T-10m"}) || len(send) != 1 || len(missed) != 4 {
		t.Errorf("grace 30m: send %q, late %q, missed %q", scheduleKeys(send), got, scheduleKeys(missed))
	}

	// Nothing due: all empty.
	send, late, missed = CatchUp(occs, at.AddDate(0, 0, -3), created, 0)
	if send != nil || late != nil || missed != nil {
		t.Errorf("before anything is due: %q %q %q", scheduleKeys(send), scheduleKeys(late), scheduleKeys(missed))
	}
}
