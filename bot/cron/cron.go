// Package cron parses standard 5-field cron expressions and tells when they
// fire in a time zone, across daylight-saving changes.
//
// An expression is "minute hour day-of-month month day-of-week":
//
//	field         values
//	minute        0-59
//	hour          0-23
//	day-of-month  1-31
//	month         1-12 or JAN-DEC
//	day-of-week   0-7 or SUN-SAT (0 and 7 are Sunday)
//
// Each field is "*" or a comma-separated list of values ("5"), ranges
// ("1-5", "MON-FRI") and steps ("*/15", "0-30/10", "5/20": from 5 to the
// end of the field every 20). Names ignore case. When both day-of-month and
// day-of-week are restricted (neither starts with "*"), a day matches when
// either does, as in Vixie cron: "0 9 1 * MON" fires on the 1st and on every
// Monday. The macros @yearly (@annually), @monthly, @weekly, @daily
// (@midnight) and @hourly, in lower case, stand for their usual expressions.
//
// Times are wall-clock times in the schedule's zone. Across a
// daylight-saving change a scheduled wall time W fires at the first instant
// at which the zone's clock shows W or later:
//
//   - a time that exists once fires then;
//   - a time that occurs twice (the hour repeated when clocks go back) fires
//     once, the first time;
//   - a time that does not exist (the hour skipped when clocks go forward,
//     like 02:30 in Europe/Berlin on the last Sunday of March) fires at the
//     first valid instant after it: the moment the clocks jump (03:00).
//
// Scheduled times that fall on the same instant this way (02:30 moved to
// 03:00, and 03:00 itself) fire once, as the later scheduled time. So a daily
// 09:00 fires once per local day at 09:00, never twice and never skipped.
//
// Nothing here reads the clock: times are passed in.
package cron

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed cron expression.
type Schedule struct {
	expr                 string
	minute, hour         uint64 // bit i: value i
	dom, month, dow      uint64 // day-of-month bits 1-31, month 1-12, day-of-week 0-6
	domStar, dowStar     bool   // the field starts with "*"
	minutes, hours       []int  // the set bits, ascending
	minutesDesc, hoursDs []int  // the same, descending
}

// field describes one of the five fields.
type field struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i, or nil
}

var fields = [5]field{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	// 7 is Sunday too; it is folded into 0 after parsing.
	{name: "day-of-week", min: 0, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// Parse parses a cron expression (see the package documentation). Errors
// name the field and the part that is wrong.
func Parse(expr string) (*Schedule, error) {
	s, err := parse(expr)
	if err != nil {
		return nil, fmt.Errorf("parse cron expression %q: %w", expr, err)
	}
	return s, nil
}

func parse(expr string) (*Schedule, error) {
	text := strings.TrimSpace(expr)
	if strings.HasPrefix(text, "@") {
		m, ok := macros[text]
		if !ok {
			return nil, fmt.Errorf("unknown macro %q: use @yearly, @monthly, @weekly, @daily or @hourly", text)
		}
		text = m
	}
	parts := strings.Fields(text)
	if len(parts) != 5 {
		return nil, fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), found %d", len(parts))
	}
	s := &Schedule{expr: expr}
	dst := [5]*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, p := range parts {
		bits, err := parseField(p, fields[i])
		if err != nil {
			return nil, err
		}
		*dst[i] = bits
	}
	if s.dow&(1<<7) != 0 {
		s.dow = s.dow&^(1<<7) | 1
	}
	s.domStar = strings.HasPrefix(parts[2], "*")
	s.dowStar = strings.HasPrefix(parts[4], "*")
	if s.dowStar || s.domStar {
		// Only the day of the month decides (or nothing does): it must
		// occur in one of the months.
		if !s.domStar && !s.domPossible() {
			return nil, fmt.Errorf("day-of-month %q never occurs in the months %q", parts[2], parts[3])
		}
	}
	s.minutes, s.hours = setBits(s.minute), setBits(s.hour)
	s.minutesDesc, s.hoursDs = reversed(s.minutes), reversed(s.hours)
	return s, nil
}

// daysIn is the most days each month has (February 29 in leap years).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func (s *Schedule) domPossible() bool {
	for m := 1; m <= 12; m++ {
		if s.month&(1<<m) == 0 {
			continue
		}
		if s.dom&((1<<(daysIn[m]+1))-2) != 0 {
			return true
		}
	}
	return false
}

func setBits(b uint64) []int {
	out := make([]int, 0, bits.OnesCount64(b))
	for i := 0; i < 64; i++ {
		if b&(1<<i) != 0 {
			out = append(out, i)
		}
	}
	return out
}

func reversed(in []int) []int {
	out := make([]int, len(in))
	for i, v := range in {
		out[len(in)-1-i] = v
	}
	return out
}

// parseField parses one field into a bit set.
func parseField(text string, f field) (uint64, error) {
	var set uint64
	for _, part := range strings.Split(text, ",") {
		if part == "" {
			return 0, fmt.Errorf("%s %q has an empty list entry", f.name, text)
		}
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("%s %q: step %q is not a positive number", f.name, part, stepText)
			}
			if n > f.max-f.min+1 {
				return 0, fmt.Errorf("%s %q: step %d is larger than the field's range %d-%d", f.name, part, n, f.min, f.max)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
			if f.name == "day-of-week" {
				hi = 6 // 7 would repeat Sunday
			}
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, f, part); err != nil {
				return 0, err
			}
			if hi, err = value(b, f, part); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("%s %q: the range runs backwards (write it as %s-%s)", f.name, part, b, a)
			}
		default:
			v, err := value(rng, f, part)
			if err != nil {
				return 0, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// value parses one value of a field: a number or a name.
func value(text string, f field, part string) (int, error) {
	if text == "" {
		return 0, fmt.Errorf("%s %q: a range needs a value on both sides of \"-\"", f.name, part)
	}
	for i, n := range f.names {
		if strings.EqualFold(text, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(text)
	if err != nil || text[0] == '+' || text[0] == '-' {
		if f.names != nil {
			return 0, fmt.Errorf("%s %q: %q is not a number from %d to %d nor a name like %s", f.name, part, text, f.min, f.max, f.names[1])
		}
		return 0, fmt.Errorf("%s %q: %q is not a number from %d to %d", f.name, part, text, f.min, f.max)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%s %q: %d is out of range %d-%d", f.name, part, v, f.min, f.max)
	}
	return v, nil
}

// String returns the expression as given to Parse.
func (s *Schedule) String() string { return s.expr }

// OncePerDay reports whether the schedule fires at most once on any day (one
// minute and one hour).
func (s *Schedule) OncePerDay() bool { return len(s.minutes) == 1 && len(s.hours) == 1 }

// Occurrence is one firing of a schedule.
type Occurrence struct {
	// Wall is the scheduled local date and time, as a civil time in UTC:
	// for a time skipped by a daylight-saving change it is the time the
	// schedule names, not the one the clock showed when it fired.
	Wall time.Time
	// At is the instant it fires, in UTC.
	At time.Time
}

// KeyLayout formats an occurrence's Wall as its Key.
const KeyLayout = "2006-01-02T15:04"

// Key identifies the occurrence among its schedule's: its scheduled local
// date and time, like "2026-11-23T09:00". Keys sort in time order.
func (o Occurrence) Key() string { return o.Wall.Format(KeyLayout) }

// maxDays bounds how far Next and Prev look: February 29 may be eight years
// away (2096 to 2104).
const maxDays = 9 * 366

func (s *Schedule) dayMatches(d time.Time) bool {
	if s.month&(1<<int(d.Month())) == 0 {
		return false
	}
	domOK := s.dom&(1<<d.Day()) != 0
	dowOK := s.dow&(1<<int(d.Weekday())) != 0
	if s.domStar || s.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// civilDay returns the civil date of t in loc as midnight UTC.
func civilDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// forward calls fn with the occurrences from the civil day from on, in
// scheduled order, until fn returns false or maxDays are searched.
func (s *Schedule) forward(from time.Time, loc *time.Location, fn func(Occurrence) bool) {
	for i := 0; i < maxDays; i++ {
		day := from.AddDate(0, 0, i)
		if !s.dayMatches(day) {
			continue
		}
		for _, h := range s.hours {
			for _, m := range s.minutes {
				wall := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if !fn(Occurrence{Wall: wall, At: Resolve(wall, loc)}) {
					return
				}
			}
		}
	}
}

// backward is forward in reverse, from the civil day from back.
func (s *Schedule) backward(from time.Time, loc *time.Location, fn func(Occurrence) bool) {
	for i := 0; i < maxDays; i++ {
		day := from.AddDate(0, 0, -i)
		if !s.dayMatches(day) {
			continue
		}
		for _, h := range s.hoursDs {
			for _, m := range s.minutesDesc {
				wall := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if !fn(Occurrence{Wall: wall, At: Resolve(wall, loc)}) {
					return
				}
			}
		}
	}
}

// lookBack is how many civil days before an instant's own the search for
// its next occurrence starts: a wall time skipped by a change fires at the
// change, which may be the next day (Pacific/Apia skipped 2011-12-30).
const lookBack = 2

// Next returns the first occurrence that fires after after, in loc. Of
// scheduled times firing at the same instant it returns the last. ok is
// false when there is none within nine years.
func (s *Schedule) Next(after time.Time, loc *time.Location) (o Occurrence, ok bool) {
	s.forward(civilDay(after, loc).AddDate(0, 0, -lookBack), loc, func(c Occurrence) bool {
		switch {
		case !c.At.After(after):
			return true
		case !ok:
			o, ok = c, true
			return true
		case c.At.Equal(o.At):
			o = c // the later scheduled time of the same instant
			return true
		}
		return false
	})
	return o, ok
}

// Prev returns the last occurrence that fires at or before t, in loc. Of
// scheduled times firing at the same instant it returns the last, as Next
// does. ok is false when there is none within nine years.
func (s *Schedule) Prev(t time.Time, loc *time.Location) (o Occurrence, ok bool) {
	s.backward(civilDay(t, loc).AddDate(0, 0, lookBack), loc, func(c Occurrence) bool {
		if c.At.After(t) {
			return true
		}
		o, ok = c, true
		return false
	})
	return o, ok
}

// Count returns how many distinct instants the schedule fires at after from
// and before to, at most limit (then more is true).
func (s *Schedule) Count(from, to time.Time, loc *time.Location, limit int) (n int, more bool) {
	if !to.After(from) {
		return 0, false
	}
	var last time.Time
	s.forward(civilDay(from, loc).AddDate(0, 0, -lookBack), loc, func(c Occurrence) bool {
		switch {
		case !c.At.After(from), c.At.Equal(last):
			return true
		case !c.At.Before(to):
			return false
		case n == limit:
			more = true
			return false
		}
		n++
		last = c.At
		return true
	})
	return n, more
}

// Resolve returns the instant a wall-clock time fires at in loc: the first
// instant at which loc's clock shows wall or later (see the package
// documentation). wall is a civil time expressed in UTC (its zone is
// ignored).
func Resolve(wall time.Time, loc *time.Location) time.Time {
	w := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC).Unix()
	// Fast path: one offset all around.
	o := offsetAt(w, loc)
	if offsetAt(w-36*3600, loc) == o && offsetAt(w+36*3600, loc) == o && offsetAt(w-int64(o), loc) == o {
		return time.Unix(w-int64(o), 0).UTC()
	}
	// Near a change: every offset in effect within two days.
	var offsets []int
	for k := int64(-16); k <= 16; k++ {
		o := offsetAt(w+k*3*3600, loc)
		if !containsInt(offsets, o) {
			offsets = append(offsets, o)
		}
	}
	best, found := int64(0), false
	for _, o := range offsets {
		// An instant whose clock shows exactly wall.
		if u := w - int64(o); offsetAt(u, loc) == o && (!found || u < best) {
			best, found = u, true
		}
	}
	if found {
		return time.Unix(best, 0).UTC()
	}
	// wall was skipped: the first instant after it is when the clocks
	// jumped past it, the start of a zone period.
	for _, o := range offsets {
		start, _ := time.Unix(w-int64(o), 0).In(loc).ZoneBounds()
		if start.IsZero() {
			continue
		}
		s := start.Unix()
		if s+int64(offsetAt(s, loc)) >= w && s-1+int64(offsetAt(s-1, loc)) < w && (!found || s < best) {
			best, found = s, true
		}
	}
	if found {
		return time.Unix(best, 0).UTC()
	}
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc).UTC()
}

func offsetAt(unix int64, loc *time.Location) int {
	_, o := time.Unix(unix, 0).In(loc).Zone()
	return o
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
