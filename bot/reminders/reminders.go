// Package reminders computes a go-live's reminder occurrences: when each
// reminder of the timeline is due, which kind it is, how quiet hours and
// weekends move it, what re-planning changes against the stored ones, and
// whether a due one is sent on time, late or folded into a catch-up.
//
// Everything here is a pure function of its arguments: no I/O and no clock
// (times are passed in; see bot/clock). Storing occurrences and posting them
// to Slack is left to the callers.
package reminders

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
)

// Kind groups occurrences by where they fall in the timeline; it decides
// whether quiet hours and weekends apply (see Rules) and lets the sender
// word and route them.
type Kind int

const (
	// Countdown: before T-2h (T-7d, T-3d, T-1d, …).
	Countdown Kind = iota + 1
	// TDay: T-2h through T+30m, the T-day steps; also broadcast to the
	// go-live's channel. Never moved by Rules.
	TDay
	// Critical: after T+30m through T+4h, the first post-launch hours.
	// Never moved by Rules.
	Critical
	// Stabilization: after T+4h through T+1d (hours 5 to 24).
	Stabilization
	// Daily: after T+1d (days 2 to 7 by default).
	Daily
)

// String returns the kind's name in lower case ("countdown", "t-day",
// "critical", "stabilization", "daily"), suitable for storing.
func (k Kind) String() string {
	switch k {
	case Countdown:
		return "countdown"
	case TDay:
		return "t-day"
	case Critical:
		return "critical"
	case Stabilization:
		return "stabilization"
	case Daily:
		return "daily"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// followsRules reports whether Rules may move occurrences of kind k.
func (k Kind) followsRules() bool {
	return k == Countdown || k == Stabilization || k == Daily
}

// nominal returns the offset in minutes, counting a day as 24 hours. It
// orders and classifies offsets independently of any time zone.
func nominal(o checklist.Offset) int {
	return o.Days()*24*60 + int(o.Duration()/time.Minute)
}

// KindOf returns the kind of an offset, counting a day as 24 hours:
// before T-2h Countdown; T-2h through T+30m TDay; after that through T+4h
// Critical; after that through T+1d (and T+24h) Stabilization; later Daily.
func KindOf(o checklist.Offset) Kind {
	switch n := nominal(o); {
	case n < -2*60:
		return Countdown
	case n <= 30:
		return TDay
	case n <= 4*60:
		return Critical
	case n <= 24*60:
		return Stabilization
	default:
		return Daily
	}
}

// DefaultOffsets returns the default reminder timeline, earliest first:
// T-7d, T-3d, T-1d, T-2h, T-1h, T-30m, T-20m, T-10m, T+10m, T+30m, then every
// 15 minutes through hour 4 (T+45m, T+1h, T+1h15m, …, T+4h), hourly through
// hour 24 (T+5h … T+23h, then T+1d: the 24-hour mark is one calendar day),
// and daily through day 7 (T+2d … T+7d); 50 offsets, no duplicates. It is
// the schedule `golive timeline` prints. Each call returns a new slice.
func DefaultOffsets() []checklist.Offset {
	var out []checklist.Offset
	for _, s := range []string{"T-7d", "T-3d", "T-1d", "T-2h", "T-1h", "T-30m", "T-20m", "T-10m", "T+10m", "T+30m"} {
		out = append(out, checklist.MustParseOffset(s))
	}
	for m := 45; m <= 4*60; m += 15 {
		out = append(out, checklist.MustParseOffset(fmt.Sprintf("T+%dm", m)))
	}
	for h := 5; h < 24; h++ {
		out = append(out, checklist.MustParseOffset(fmt.Sprintf("T+%dh", h)))
	}
	for d := 1; d <= 7; d++ {
		out = append(out, checklist.MustParseOffset(fmt.Sprintf("T+%dd", d)))
	}
	return out
}

// Occurrence is one reminder of one go-live.
type Occurrence struct {
	// Key identifies the occurrence across re-planning:
	// "<goliveKey>@<offset>", as in "acme/api#7@T-1d". It depends on the
	// go-live and the offset only, never on the time.
	Key string
	// Offset is the point of the timeline the reminder is for.
	Offset checklist.Offset
	// Due is when to send it, in the go-live's Location: OriginalDue, or
	// the next allowed time when Rules moved it.
	Due time.Time
	// OriginalDue is Offset.At(go-live), in the go-live's Location.
	OriginalDue time.Time
	// Shifted reports that Rules moved the occurrence (Due is after
	// OriginalDue).
	Shifted bool
	// Kind is KindOf(Offset).
	Kind Kind
	// Phases are the names of the template's phases due at exactly Offset,
	// in template order; nil when none is.
	Phases []string
}

// StartOffset is the offset text of a go-live's start occurrence: due when
// the go-live is planned, it opens the go-live's Slack thread. It is not a
// point of the timeline, so Schedule never returns it.
const StartOffset = "start"

// StartKey is the key of goliveKey's start occurrence.
func StartKey(goliveKey string) string { return goliveKey + "@" + StartOffset }

// Key returns the occurrence key of offset o of the go-live goliveKey:
// "<goliveKey>@<o>" with o in its canonical form, as in "acme/api#7@T+1h15m".
func Key(goliveKey string, o checklist.Offset) string {
	return goliveKey + "@" + o.String()
}

// Rules keep non-urgent reminders out of quiet hours and weekends. The zero
// Rules move nothing.
type Rules struct {
	// QuietStart and QuietEnd are the quiet hours as wall-clock times of
	// day in the go-live's Location, each given as the time from 00:00 on
	// the clock face (22*time.Hour for 22:00, 7*time.Hour+30*time.Minute
	// for 07:30), in [0, 24h). Quiet hours start at QuietStart and end just
	// before QuietEnd; they span midnight when QuietStart > QuietEnd. Both
	// zero means no quiet hours; equal non-zero values are invalid.
	QuietStart, QuietEnd time.Duration
	// Weekends, when true, keeps reminders off Saturdays and Sundays (in
	// the go-live's Location).
	Weekends bool
}

// Validate reports whether the rules are usable: quiet hours within a day
// and not starting where they end (unless both are zero).
func (r Rules) Validate() error {
	for _, q := range []struct {
		name string
		d    time.Duration
	}{{"start", r.QuietStart}, {"end", r.QuietEnd}} {
		if q.d < 0 || q.d >= 24*time.Hour {
			return fmt.Errorf("quiet hours %s %q is not a time of day: want 00:00 up to 24:00", q.name, q.d.String())
		}
	}
	if r.QuietStart == r.QuietEnd && r.QuietStart != 0 {
		return fmt.Errorf("quiet hours start and end are both %q: leave both zero for no quiet hours", clockString(r.QuietStart))
	}
	return nil
}

// clockString formats a time of day as "15:04" (or "15:04:05").
func clockString(d time.Duration) string {
	h, m, s := int(d/time.Hour), int(d/time.Minute%60), int(d/time.Second%60)
	if s != 0 || d%time.Second != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

// sinceMidnight is t's wall-clock time of day as a duration from 00:00.
func sinceMidnight(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second +
		time.Duration(t.Nanosecond())
}

func (r Rules) quiet(t time.Time) bool {
	if r.QuietStart == r.QuietEnd {
		return false
	}
	c := sinceMidnight(t)
	if r.QuietStart < r.QuietEnd {
		return r.QuietStart <= c && c < r.QuietEnd
	}
	return c >= r.QuietStart || c < r.QuietEnd
}

func (r Rules) weekend(t time.Time) bool {
	wd := t.Weekday()
	return r.Weekends && (wd == time.Saturday || wd == time.Sunday)
}

// allowed reports whether t's wall clock (in t's Location) is outside the
// quiet hours and, with Weekends, not on a weekend.
func (r Rules) allowed(t time.Time) bool { return !r.quiet(t) && !r.weekend(t) }

// nextAllowed returns the first instant at or after t that the rules allow,
// in t's Location. Allowed-ness depends on the wall clock only, so within
// one zone period (constant UTC offset) the answer follows from plain clock
// arithmetic; across a daylight-saving change the wall clock jumps, and the
// change itself is the next candidate.
func (r Rules) nextAllowed(t time.Time) time.Time {
	loc := t.Location()
	// Real zones change their offset a few times a year at most, and the
	// next allowed time is at most three days away (a weekend, then quiet
	// hours), so this loop ends long before its bound.
	for range 64 {
		if r.allowed(t) {
			return t
		}
		name, offset := t.Zone()
		_, end := t.ZoneBounds()
		w := r.nextAllowedFixed(t.In(time.FixedZone(name, offset)))
		if end.IsZero() || w.Before(end) {
			return w.In(loc)
		}
		t = end.In(loc)
	}
	return t
}

// nextAllowedFixed is nextAllowed for t in a fixed zone, where wall-clock
// arithmetic is exact.
func (r Rules) nextAllowedFixed(t time.Time) time.Time {
	// At most: weekend -> Monday 00:00 -> end of quiet hours, or quiet
	// hours -> their end on a Saturday -> Monday 00:00 -> end of quiet hours.
	for range 8 {
		y, m, d := t.Date()
		switch {
		case r.weekend(t):
			days := 1
			if t.Weekday() == time.Saturday {
				days = 2
			}
			t = time.Date(y, m, d+days, 0, 0, 0, 0, t.Location())
		case r.quiet(t):
			if r.QuietStart > r.QuietEnd && sinceMidnight(t) >= r.QuietStart {
				d++
			}
			t = time.Date(y, m, d, 0, 0, 0, 0, t.Location()).Add(r.QuietEnd)
		default:
			return t
		}
	}
	return t
}

// Schedule returns the reminder occurrences of the go-live goliveKey at
// time at, whose Location is the go-live's time zone.
//
// There is one occurrence per distinct offset among offsets and the
// template's phase offsets (pass DefaultOffsets() for the standard
// timeline), with Key(goliveKey, offset), Kind KindOf(offset) and the names
// of the template's phases due at exactly that offset. Its OriginalDue is
// offset.At(at): calendar days in at's Location, hours and minutes elapsed.
//
// Rules move Countdown, Stabilization and Daily occurrences whose
// OriginalDue falls in quiet hours or (with Weekends) on a weekend to the
// next allowed wall-clock time; TDay and Critical ones are never moved. A
// Countdown is moved only while it stays before the T-day steps (before
// T-2h); if the next allowed time is later, it keeps its OriginalDue.
// Moved occurrences keep their Key and have Shifted set. Occurrences that
// end up at the same time stay separate.
//
// The result is ordered by Due, then OriginalDue, then offset. rules must
// be valid (see Rules.Validate); Schedule panics otherwise.
func Schedule(goliveKey string, at time.Time, offsets []checklist.Offset, tmpl checklist.Template, rules Rules) []Occurrence {
	if err := rules.Validate(); err != nil {
		panic("reminders: schedule " + goliveKey + ": " + err.Error())
	}
	phases := map[checklist.Offset][]string{}
	all := slices.Clone(offsets)
	for _, p := range tmpl.Phases {
		phases[p.Offset] = append(phases[p.Offset], p.Name)
		all = append(all, p.Offset)
	}
	seen := map[checklist.Offset]bool{}
	tdayStart := at.Add(-2 * time.Hour)
	var out []Occurrence
	for _, o := range all {
		if seen[o] {
			continue
		}
		seen[o] = true
		due := o.At(at)
		occ := Occurrence{
			Key:         Key(goliveKey, o),
			Offset:      o,
			Due:         due,
			OriginalDue: due,
			Kind:        KindOf(o),
			Phases:      phases[o],
		}
		if occ.Kind.followsRules() {
			next := rules.nextAllowed(due)
			if occ.Kind == Countdown && !next.Before(tdayStart) {
				next = due
			}
			if !next.Equal(due) {
				occ.Due, occ.Shifted = next, true
			}
		}
		out = append(out, occ)
	}
	slices.SortFunc(out, compareOccurrences)
	return out
}

// compareOccurrences orders by Due, OriginalDue, the offset's length (a day
// counting 24 hours), then the offset's canonical text: a total order on
// distinct offsets, so Schedule's result is deterministic.
func compareOccurrences(a, b Occurrence) int {
	return cmp.Or(
		a.Due.Compare(b.Due),
		a.OriginalDue.Compare(b.OriginalDue),
		cmp.Compare(nominal(a.Offset), nominal(b.Offset)),
		cmp.Compare(a.Offset.String(), b.Offset.String()),
	)
}
