package checklist

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Offset is a point in a go-live's timeline relative to the go-live time T,
// written like "T-7d", "T-2h", "T-30m", "T+1d", "T-1d12h" or "T-0".
//
// An offset has a sign and up to three parts, in this order: days (d), hours
// (h) and minutes (m). Days are calendar days in the go-live's time zone;
// hours and minutes are elapsed time (see At). The zero Offset is T itself.
type Offset struct {
	neg     bool
	days    int // >= 0
	minutes int // >= 0, hours and minutes together
}

// Bounds on the parts of an offset, so that every offset is well inside
// time.Time's range and a typo like "T-70000d" is caught.
const (
	maxOffsetDays    = 3660
	maxOffsetMinutes = maxOffsetDays * 24 * 60
)

// ParseOffset parses an offset such as "T-7d", "T+10m", "T-1d12h" or "T-0"
// ("T+0" is accepted too). Each part is a decimal number followed by its
// unit; the parts appear at most once each, in the order d, h, m. At most
// 3660 days and as many days' worth of hours and minutes are accepted.
func ParseOffset(s string) (Offset, error) {
	if s == "T-0" || s == "T+0" {
		return Offset{}, nil
	}
	if len(s) < 4 || s[0] != 'T' || (s[1] != '-' && s[1] != '+') {
		return Offset{}, fmt.Errorf("parse offset %q: want T, a sign and a duration such as \"T-7d\", \"T-2h\", \"T+30m\" or \"T-0\"", s)
	}
	o := Offset{neg: s[1] == '-'}
	rest := s[2:]
	var hours, minutes int
	seen := ""
	const order = "dhm"
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return Offset{}, fmt.Errorf("parse offset %q: want a number followed by d, h or m", s)
		}
		if i > 7 {
			return Offset{}, fmt.Errorf("parse offset %q: number %q is too large", s, rest[:i])
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			return Offset{}, fmt.Errorf("parse offset %q: %w", s, err)
		}
		unit := rest[i]
		pos := strings.IndexByte(order, unit)
		if pos < 0 {
			return Offset{}, fmt.Errorf("parse offset %q: unknown unit %q (want d, h or m)", s, string(unit))
		}
		if seen != "" && strings.IndexByte(order, seen[len(seen)-1]) >= pos {
			return Offset{}, fmt.Errorf("parse offset %q: write each unit once, in the order d, h, m", s)
		}
		seen += string(unit)
		switch unit {
		case 'd':
			o.days = n
		case 'h':
			hours = n
		case 'm':
			minutes = n
		}
		rest = rest[i+1:]
	}
	if o.days > maxOffsetDays || hours > maxOffsetMinutes/60 || minutes > maxOffsetMinutes ||
		hours*60+minutes > maxOffsetMinutes {
		return Offset{}, fmt.Errorf("parse offset %q: more than %d days away from T", s, maxOffsetDays)
	}
	o.minutes = hours*60 + minutes
	if o.days == 0 && o.minutes == 0 {
		o.neg = false
	}
	return o, nil
}

// MustParseOffset is ParseOffset for offsets known to be valid; it panics on
// an error.
func MustParseOffset(s string) Offset {
	o, err := ParseOffset(s)
	if err != nil {
		panic(err)
	}
	return o
}

// String returns the offset's canonical form: "T-0" for zero, otherwise the
// sign followed by the non-zero parts among days, hours and minutes
// ("T-90m" reads back as "T-1h30m"; days and hours are never merged, as
// they differ across daylight-saving changes). ParseOffset(o.String())
// returns o.
func (o Offset) String() string {
	if o.IsZero() {
		return "T-0"
	}
	var b strings.Builder
	b.WriteString("T+")
	if o.neg {
		b.Reset()
		b.WriteString("T-")
	}
	if o.days > 0 {
		b.WriteString(strconv.Itoa(o.days) + "d")
	}
	if h := o.minutes / 60; h > 0 {
		b.WriteString(strconv.Itoa(h) + "h")
	}
	if m := o.minutes % 60; m > 0 {
		b.WriteString(strconv.Itoa(m) + "m")
	}
	return b.String()
}

// IsZero reports whether the offset is T itself.
func (o Offset) IsZero() bool { return o.days == 0 && o.minutes == 0 }

// Days returns the signed number of calendar days in the offset.
func (o Offset) Days() int {
	if o.neg {
		return -o.days
	}
	return o.days
}

// Duration returns the signed elapsed-time part of the offset (its hours
// and minutes), without the days.
func (o Offset) Duration() time.Duration {
	d := time.Duration(o.minutes) * time.Minute
	if o.neg {
		return -d
	}
	return d
}

// At returns the moment the offset names for a go-live at golive, in
// golive's Location.
//
// Days move by calendar days in that Location (time.Time.AddDate): "T-7d"
// is the same wall-clock time seven local days earlier, even when a
// daylight-saving change lies between, so it may be 167 or 169 hours before
// T. Hours and minutes are then added as elapsed time: "T-2h" is always
// exactly two hours before T, and "T-1d2h" is two hours before "T-1d". When
// a day move lands on a wall-clock time that does not exist (skipped by a
// spring-forward change) or twice (fall-back), it is resolved as time.Date
// does.
func (o Offset) At(golive time.Time) time.Time {
	t := golive
	if o.days != 0 {
		// Not for zero days: AddDate(0, 0, 0) is no identity when golive's
		// wall-clock time occurs twice (fall-back), it may pick the other one.
		t = t.AddDate(0, 0, o.Days())
	}
	return t.Add(o.Duration())
}

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (o Offset) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseOffset.
func (o *Offset) UnmarshalText(b []byte) error {
	p, err := ParseOffset(string(b))
	if err != nil {
		return err
	}
	*o = p
	return nil
}
