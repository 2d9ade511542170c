package reminders

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
)

// fuzzZones are zones with regular daylight-saving rules in 2015-2035,
// including half-hour and 45-minute offsets and a 30-minute change
// (Lord Howe) and negative DST (Dublin).
var fuzzZones = []string{
	"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
	"America/St_Johns", "Pacific/Chatham", "Australia/Sydney", "Europe/London", "Europe/Dublin",
	"America/Santiago", "Asia/Tehran", "America/Los_Angeles",
}

var (
	fuzzFrom = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	fuzzTo   = time.Date(2035, 12, 31, 0, 0, 0, 0, time.UTC)
)

// allowedOracle is the rules' contract, written independently: the wall
// clock is outside [start, end) (wrapping at midnight) and, with Weekends,
// not on Saturday or Sunday.
func allowedOracle(r Rules, t time.Time) bool {
	if r.Weekends && (t.Weekday() == time.Saturday || t.Weekday() == time.Sunday) {
		return false
	}
	if r.QuietStart == r.QuietEnd {
		return true
	}
	h, m, s := t.Clock()
	c := time.Duration(h*3600+m*60+s)*time.Second + time.Duration(t.Nanosecond())
	if r.QuietStart < r.QuietEnd {
		return c < r.QuietStart || c >= r.QuietEnd
	}
	return c >= r.QuietEnd && c < r.QuietStart
}

// checkSchedule checks the properties of the default schedule of one
// go-live; scan also looks for an allowed time skipped by each move.
func checkSchedule(t *testing.T, at time.Time, rules Rules, scan bool) {
	t.Helper()
	offsets := DefaultOffsets()
	occs := Schedule("acme/api#7", at, offsets, checklist.Template{}, rules)
	if len(occs) != len(offsets) {
		t.Fatalf("at %v: %d occurrences, want %d", at, len(occs), len(offsets))
	}
	byKey := map[string]Occurrence{}
	for i, o := range occs {
		if _, dup := byKey[o.Key]; dup {
			t.Fatalf("at %v: key %q twice", at, o.Key)
		}
		byKey[o.Key] = o
		if i > 0 && o.Due.Before(occs[i-1].Due) {
			t.Errorf("at %v: %s before %s", at, o.Key, occs[i-1].Key)
		}
		if o.Due.Location() != at.Location() || !o.OriginalDue.Equal(o.Offset.At(at)) {
			t.Errorf("at %v: %s due %v, original %v", at, o.Key, o.Due, o.OriginalDue)
		}
		if o.Shifted != !o.Due.Equal(o.OriginalDue) || o.Due.Before(o.OriginalDue) {
			t.Errorf("at %v: %s shifted %v from %v to %v", at, o.Key, o.Shifted, o.OriginalDue, o.Due)
		}
		if !o.Shifted && o.Kind.followsRules() && !allowedOracle(rules, o.Due) &&
			!(o.Kind == Countdown && !rules.nextAllowed(o.Due).Before(at.Add(-2*time.Hour))) {
			t.Errorf("at %v: %s due %v is not allowed", at, o.Key, o.Due)
		}
		if o.Shifted {
			if !o.Kind.followsRules() {
				t.Errorf("at %v: %s (%v) shifted", at, o.Key, o.Kind)
			}
			if !allowedOracle(rules, o.Due) {
				t.Errorf("at %v: %s shifted to %v, which is not allowed", at, o.Key, o.Due)
			}
			if o.Kind == Countdown && !o.Due.Before(at.Add(-2*time.Hour)) {
				t.Errorf("at %v: countdown %s shifted to %v, past T-2h", at, o.Key, o.Due)
			}
			if scan {
				for x := o.OriginalDue; x.Before(o.Due); x = x.Add(5 * time.Minute) {
					if allowedOracle(rules, x) {
						t.Errorf("at %v: %s shifted from %v to %v, but %v is allowed", at, o.Key, o.OriginalDue, o.Due, x)
						break
					}
				}
			}
			if before := o.Due.Add(-time.Second); before.After(o.OriginalDue) && allowedOracle(rules, before) {
				t.Errorf("at %v: %s shifted to %v, but a second earlier is allowed", at, o.Key, o.Due)
			}
		}
	}
	// In offset order, unshifted occurrences are due in the same order.
	// Two are due at the same instant only when a calendar day is not 24
	// hours long (T+23h and T+1d over a spring-forward change).
	var prev *Occurrence
	for _, off := range offsets {
		o := byKey[Key("acme/api#7", off)]
		if o.Shifted {
			continue
		}
		if prev != nil {
			switch c := prev.Due.Compare(o.Due); {
			case c > 0:
				t.Errorf("at %v: %s (%v) after %s (%v)", at, prev.Key, prev.Due, o.Key, o.Due)
			case c == 0 && (prev.Offset.Days() == o.Offset.Days() || at.AddDate(0, 0, 1).Sub(at) == 24*time.Hour):
				t.Errorf("at %v: %s and %s both at %v", at, prev.Key, o.Key, o.Due)
			}
		}
		prev = &o
	}
	// Keys do not depend on the time.
	other := Schedule("acme/api#7", at.Add(-1234*time.Hour).In(time.UTC), offsets, checklist.Template{}, Rules{})
	for _, o := range other {
		if _, ok := byKey[o.Key]; !ok {
			t.Errorf("key %q only at another time", o.Key)
		}
	}
}

func fuzzInput(t *testing.T, unix int64, zone uint8, quietStart, quietEnd uint16, weekends bool) (time.Time, Rules) {
	loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
	if err != nil {
		t.Fatal(err)
	}
	span := fuzzTo.Unix() - fuzzFrom.Unix()
	at := time.Unix(fuzzFrom.Unix()+((unix%span)+span)%span, 0).In(loc)
	rules := Rules{
		QuietStart: time.Duration(quietStart%(24*60)) * time.Minute,
		QuietEnd:   time.Duration(quietEnd%(24*60)) * time.Minute,
		Weekends:   weekends,
	}
	if rules.QuietStart == rules.QuietEnd {
		rules.QuietStart, rules.QuietEnd = 0, 0
	}
	return at, rules
}

func FuzzSchedule(f *testing.F) {
	for _, s := range []struct {
		unix       int64
		zone       uint8
		start, end uint16
		weekends   bool
	}{
		{time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC).Unix(), 1, 22 * 60, 7 * 60, true},
		{time.Date(2026, 3, 28, 19, 0, 0, 0, time.UTC).Unix(), 1, 0, 0, false},
		{time.Date(2026, 10, 24, 20, 0, 0, 0, time.UTC).Unix(), 1, 60, 150, false},
		{time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC).Unix(), 2, 22 * 60, 7 * 60, true},
		{time.Date(2026, 4, 4, 14, 0, 0, 0, time.UTC).Unix(), 3, 23 * 60, 6 * 60, false},
		{time.Date(2026, 6, 13, 8, 0, 0, 0, time.UTC).Unix(), 0, 12 * 60, 14 * 60, true},
	} {
		f.Add(s.unix, s.zone, s.start, s.end, s.weekends)
	}
	f.Fuzz(func(t *testing.T, unix int64, zone uint8, quietStart, quietEnd uint16, weekends bool) {
		at, rules := fuzzInput(t, unix, zone, quietStart, quietEnd, weekends)
		checkSchedule(t, at, rules, true)
	})
}

// TestScheduleProperties runs the fuzz properties on a fixed pseudo-random
// sample, so that plain `go test` covers more than the seeds.
func TestScheduleProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 400
	if testing.Short() {
		n = 50
	}
	for i := range n {
		quiet := r.IntN(3) > 0
		var start, end uint16
		if quiet {
			start, end = uint16(r.IntN(24*60)), uint16(r.IntN(24*60))
		}
		at, rules := fuzzInput(t, r.Int64(), uint8(r.IntN(256)), start, end, r.IntN(2) == 0)
		checkSchedule(t, at, rules, i%4 == 0)
	}
}
