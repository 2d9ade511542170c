package cron

import (
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, expr string) *Schedule {
	t.Helper()
	s, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	return s
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"":                  "want 5 fields",
		"* * * *":           "want 5 fields (minute hour day-of-month month day-of-week), found 4",
		"* * * * * *":       "found 6",
		"60 * * * *":        `minute "60": 60 is out of range 0-59`,
		"* 24 * * *":        `hour "24": 24 is out of range 0-23`,
		"* * 0 * *":         `day-of-month "0": 0 is out of range 1-31`,
		"* * * 13 *":        `month "13": 13 is out of range 1-12`,
		"* * * * 8":         `day-of-week "8": 8 is out of range 0-7`,
		"* * * * MONDAY":    `day-of-week "MONDAY": "MONDAY" is not a number from 0 to 7 nor a name like MON`,
		"*/0 * * * *":       `minute "*/0": step "0" is not a positive number`,
		"*/x * * * *":       `step "x"`,
		"5-1 * * * *":       `minute "5-1": the range runs backwards (write it as 1-5)`,
		"1,,2 * * * *":      `minute "1,,2" has an empty list entry`,
		"1- * * * *":        `a range needs a value on both sides`,
		"0 9 30 2 *":        `day-of-month "30" never occurs in the months "2"`,
		"0 9 31 APR,JUN *":  `never occurs`,
		"@fortnightly":      `unknown macro "@fortnightly"`,
		"*/61 * * * *":      `step 61 is larger than the field's range 0-59`,
		"+5 * * * *":        `"+5" is not a number`,
		"0 9 * * FRI-MON":   `the range runs backwards (write it as MON-FRI)`,
		"0 9 * JAN-FOO *":   `"FOO" is not a number from 1 to 12 nor a name like FEB`,
		"0 9 * * 1-5/0":     `step "0"`,
		"a b c d e":         `minute "a"`,
		"0 9 * * 1 extra":   "found 6",
		"0\t9 * * * *":      "found 6",
		"0 9 29 2 * # leap": "found 7",
	} {
		_, err := Parse(expr)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error containing %q", expr, want)
			continue
		}
		if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "parse cron expression ") {
			t.Errorf("Parse(%q) = %q, want it to contain %q", expr, err, want)
		}
	}
}

func TestParseFields(t *testing.T) {
	s := mustParse(t, "*/15 9-17/4 1,15 jan-MAR,dec sun,7,Wed")
	if got := s.minutes; len(got) != 4 || got[0] != 0 || got[3] != 45 {
		t.Errorf("minutes %v", got)
	}
	if got := s.hours; len(got) != 3 || got[0] != 9 || got[1] != 13 || got[2] != 17 {
		t.Errorf("hours %v", got)
	}
	if s.dom != 1<<1|1<<15 || s.month != 1<<1|1<<2|1<<3|1<<12 || s.dow != 1<<0|1<<3 {
		t.Errorf("dom %b month %b dow %b", s.dom, s.month, s.dow)
	}
	if s.domStar || s.dowStar || s.OncePerDay() {
		t.Errorf("domStar %v dowStar %v once %v", s.domStar, s.dowStar, s.OncePerDay())
	}
	if !mustParse(t, "@daily").OncePerDay() || mustParse(t, "@hourly").OncePerDay() {
		t.Error("OncePerDay of @daily / @hourly")
	}
	if s := mustParse(t, "5/20 * * * *"); len(s.minutes) != 3 || s.minutes[2] != 45 {
		t.Errorf("5/20: %v", s.minutes)
	}
	if s.String() != "*/15 9-17/4 1,15 jan-MAR,dec sun,7,Wed" {
		t.Errorf("String() = %q", s.String())
	}
}

func at(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNextAndPrev(t *testing.T) {
	utc := time.UTC
	for _, tc := range []struct {
		expr, after, want string
	}{
		{"0 9 * * *", "2026-11-23 08:59", "2026-11-23 09:00"},
		{"0 9 * * *", "2026-11-23 09:00", "2026-11-24 09:00"},
		{"0 9 * * MON-FRI", "2026-11-27 10:00", "2026-11-30 09:00"}, // Friday → Monday
		{"0 9 1 * *", "2026-11-23 10:00", "2026-12-01 09:00"},
		{"0 9 1 * MON", "2026-11-23 10:00", "2026-11-30 09:00"}, // Vixie: the 1st or a Monday
		{"0 9 29 2 *", "2026-03-01 00:00", "2028-02-29 09:00"},
		{"*/15 * * * *", "2026-11-23 09:07", "2026-11-23 09:15"},
		{"0 0 1 1 *", "2026-12-31 23:59", "2027-01-01 00:00"},
		{"0 17 * * 5", "2026-11-23 00:00", "2026-11-27 17:00"},
	} {
		s := mustParse(t, tc.expr)
		o, ok := s.Next(at(t, utc, tc.after), utc)
		if !ok || !o.At.Equal(at(t, utc, tc.want)) {
			t.Errorf("%q.Next(%s) = %v %v, want %s", tc.expr, tc.after, o.At, ok, tc.want)
			continue
		}
		if o.Key() != strings.Replace(tc.want, " ", "T", 1) {
			t.Errorf("key %q", o.Key())
		}
		// Prev of the occurrence is itself; Prev of a moment before it is
		// an earlier one.
		if p, ok := s.Prev(o.At, utc); !ok || !p.At.Equal(o.At) {
			t.Errorf("%q.Prev(%v) = %v", tc.expr, o.At, p.At)
		}
		if p, ok := s.Prev(o.At.Add(-time.Second), utc); ok && !p.At.Before(o.At) {
			t.Errorf("%q.Prev(just before %v) = %v", tc.expr, o.At, p.At)
		}
	}
}

// TestDailyAcrossDSTFiresOncePerLocalDay walks a daily 09:00 in
// Europe/Berlin through both changes of 2026 (March 29, October 25): one
// occurrence per local day, at 09:00 local, 24 or 23 or 25 hours apart.
func TestDailyAcrossDSTFiresOncePerLocalDay(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	s := mustParse(t, "0 9 * * *")
	for _, start := range []string{"2026-03-25 12:00", "2026-10-21 12:00"} {
		cur := at(t, berlin, start)
		seen := map[string]bool{}
		for range 8 {
			o, ok := s.Next(cur, berlin)
			if !ok {
				t.Fatal("no next")
			}
			local := o.At.In(berlin)
			if local.Hour() != 9 || local.Minute() != 0 {
				t.Errorf("fires at %v", local)
			}
			day := local.Format("2006-01-02")
			if seen[day] {
				t.Errorf("fires twice on %s", day)
			}
			seen[day] = true
			if o.Key() != day+"T09:00" {
				t.Errorf("key %q on %s", o.Key(), day)
			}
			cur = o.At
		}
		first := at(t, berlin, start).AddDate(0, 0, 1)
		for i := range 8 {
			if day := first.AddDate(0, 0, i).Format("2006-01-02"); !seen[day] {
				t.Errorf("skips %s", day)
			}
		}
		// Stepping minute by minute through the change finds the same.
		n, more := s.Count(at(t, berlin, start), at(t, berlin, start).AddDate(0, 0, 8), berlin, 100)
		if n != 8 || more {
			t.Errorf("Count over 8 days from %s = %d, %v", start, n, more)
		}
	}
}

func TestSkippedAndRepeatedTimes(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	s := mustParse(t, "30 2 * * *")
	// March 29, 2026: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist
	// and fires at the jump, 01:00 UTC.
	o, _ := s.Next(at(t, berlin, "2026-03-28 12:00"), berlin)
	if want := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC); !o.At.Equal(want) || o.Key() != "2026-03-29T02:30" {
		t.Errorf("spring-forward day: %v (%s), want %v (2026-03-29T02:30)", o.At, o.Key(), want)
	}
	o, _ = s.Next(o.At, berlin)
	if want := time.Date(2026, 3, 30, 0, 30, 0, 0, time.UTC); !o.At.Equal(want) {
		t.Errorf("day after: %v, want %v", o.At, want)
	}
	// October 25, 2026: 03:00 CEST goes back to 02:00 CET; 02:30 happens
	// twice and fires the first time, 00:30 UTC, only.
	o, _ = s.Next(at(t, berlin, "2026-10-24 12:00"), berlin)
	if want := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC); !o.At.Equal(want) {
		t.Errorf("fall-back day: %v, want %v", o.At, want)
	}
	next, _ := s.Next(o.At, berlin)
	if want := time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC); !next.At.Equal(want) {
		t.Errorf("after the fall-back day: %v, want %v (the repeated 02:30 must not fire again)", next.At, want)
	}

	// Hourly on the spring-forward day: 02:00 is skipped and fires at 03:00
	// with 03:00 itself, once, as 03:00.
	h := mustParse(t, "0 * * * *")
	var keys []string
	cur := at(t, berlin, "2026-03-29 00:30")
	for range 4 {
		o, _ := h.Next(cur, berlin)
		keys = append(keys, o.Key()+"@"+o.At.Format("15:04Z"))
		cur = o.At
	}
	if got := strings.Join(keys, " "); got != "2026-03-29T01:00@00:00Z 2026-03-29T03:00@01:00Z 2026-03-29T04:00@02:00Z 2026-03-29T05:00@03:00Z" {
		t.Errorf("hourly on the spring-forward day: %s", got)
	}
	if n, _ := h.Count(at(t, berlin, "2026-03-28 23:30"), at(t, berlin, "2026-03-29 23:30"), berlin, 100); n != 23 {
		t.Errorf("hourly fires %d times on a 23-hour day", n)
	}
	if n, _ := h.Count(at(t, berlin, "2026-10-24 23:30"), at(t, berlin, "2026-10-25 23:30"), berlin, 100); n != 24 {
		t.Errorf("hourly fires %d times on the 25-hour day, want 24 (the repeated hour once)", n)
	}
	// Prev agrees with Next at the collapsed instant.
	if p, _ := h.Prev(time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), berlin); p.Key() != "2026-03-29T03:00" {
		t.Errorf("Prev at the jump = %s", p.Key())
	}
}

func TestSkippedDay(t *testing.T) {
	// Samoa skipped December 30, 2011: its 09:00 fires when the clocks
	// jumped, at midnight into December 31.
	apia := mustLoad(t, "Pacific/Apia")
	s := mustParse(t, "0 9 * * *")
	o, _ := s.Next(time.Date(2011, 12, 29, 20, 0, 0, 0, time.UTC), apia) // Dec 29 10:00 local
	if o.Key() != "2011-12-30T09:00" || o.At.In(apia).Format("2006-01-02 15:04") != "2011-12-31 00:00" {
		t.Errorf("skipped day: %s at %v", o.Key(), o.At.In(apia))
	}
	o, _ = s.Next(o.At, apia)
	if o.Key() != "2011-12-31T09:00" || o.At.In(apia).Hour() != 9 {
		t.Errorf("day after: %s at %v", o.Key(), o.At.In(apia))
	}
}

func TestHalfHourDST(t *testing.T) {
	// Lord Howe Island moves its clocks by 30 minutes: 02:00 → 02:30 on
	// October 4, 2026.
	lh := mustLoad(t, "Australia/Lord_Howe")
	s := mustParse(t, "15 2 * * *")
	o, _ := s.Next(at(t, lh, "2026-10-03 12:00"), lh)
	if got := o.At.In(lh).Format("2006-01-02 15:04"); got != "2026-10-04 02:30" {
		t.Errorf("02:15 on the change day fires at %s, want 2026-10-04 02:30", got)
	}
}

func TestCountLimit(t *testing.T) {
	s := mustParse(t, "* * * * *")
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if n, more := s.Count(from, from.Add(time.Hour), time.UTC, 1000); n != 59 || more {
		t.Errorf("Count = %d, %v, want 59 (both ends excluded)", n, more)
	}
	if n, more := s.Count(from, from.Add(time.Hour), time.UTC, 10); n != 10 || !more {
		t.Errorf("Count limited = %d, %v", n, more)
	}
	if n, _ := s.Count(from, from, time.UTC, 10); n != 0 {
		t.Errorf("empty range: %d", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0 9 * * *", "*/15 9-17 1,15 JAN-MAR MON-FRI", "@daily", "5/20 1-2/3 * * 7", "0 9 29 2 *"} {
		f.Add(s)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	from := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		o, ok := s.Next(from, berlin)
		if !ok {
			t.Fatalf("%q parses but never fires", expr)
		}
		if !o.At.After(from) {
			t.Fatalf("%q: Next(%v) = %v", expr, from, o.At)
		}
		if p, ok := s.Prev(o.At, berlin); !ok || !p.At.Equal(o.At) || p.Key() != o.Key() {
			t.Fatalf("%q: Prev(%v) = %v %s, want %s", expr, o.At, p.At, p.Key(), o.Key())
		}
	})
}
