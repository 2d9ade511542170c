package reminders

import (
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the DST tests must not depend on the host's zoneinfo

	"github.com/golive-dev/golive/bot/checklist"
)

const wallLayout = "Mon 2006-01-02 15:04 MST"

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load location %q: %v", name, err)
	}
	return loc
}

func off(s string) checklist.Offset { return checklist.MustParseOffset(s) }

// byOffset indexes a schedule by offset text, failing on duplicates.
func byOffset(t *testing.T, occs []Occurrence) map[string]Occurrence {
	t.Helper()
	m := map[string]Occurrence{}
	for _, o := range occs {
		s := o.Offset.String()
		if _, dup := m[s]; dup {
			t.Fatalf("offset %q scheduled twice", s)
		}
		m[s] = o
	}
	return m
}

const wantDefault = "T-7d T-3d T-1d T-2h T-1h T-30m T-20m T-10m T+10m T+30m " +
	"T+45m T+1h T+1h15m T+1h30m T+1h45m T+2h T+2h15m T+2h30m T+2h45m T+3h T+3h15m T+3h30m T+3h45m T+4h " +
	"T+5h T+6h T+7h T+8h T+9h T+10h T+11h T+12h T+13h T+14h T+15h T+16h T+17h T+18h T+19h T+20h T+21h T+22h T+23h " +
	"T+1d T+2d T+3d T+4d T+5d T+6d T+7d"

func offsetsText(os []checklist.Offset) string {
	var s []string
	for _, o := range os {
		s = append(s, o.String())
	}
	return strings.Join(s, " ")
}

func TestDefaultOffsets(t *testing.T) {
	got := DefaultOffsets()
	if s := offsetsText(got); s != wantDefault {
		t.Errorf("DefaultOffsets:\n got %s\nwant %s", s, wantDefault)
	}
	if len(got) != 50 {
		t.Errorf("%d offsets, want 50", len(got))
	}
	for i := 1; i < len(got); i++ {
		if nominal(got[i-1]) >= nominal(got[i]) {
			t.Errorf("%v is not before %v", got[i-1], got[i])
		}
	}
	got[0] = off("T-99d")
	if DefaultOffsets()[0] != off("T-7d") {
		t.Error("DefaultOffsets shares its slice between calls")
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		offset string
		want   Kind
	}{
		{"T-7d", Countdown}, {"T-1d", Countdown}, {"T-2h1m", Countdown},
		{"T-2h", TDay}, {"T-10m", TDay}, {"T-0", TDay}, {"T+30m", TDay},
		{"T+31m", Critical}, {"T+45m", Critical}, {"T+1h", Critical}, {"T+4h", Critical},
		{"T+4h1m", Stabilization}, {"T+5h", Stabilization}, {"T+23h", Stabilization},
		{"T+1d", Stabilization}, {"T+24h", Stabilization},
		{"T+1d1m", Daily}, {"T+2d", Daily}, {"T+7d", Daily}, {"T+30d", Daily},
	} {
		if got := KindOf(off(tc.offset)); got != tc.want {
			t.Errorf("KindOf(%s) = %v, want %v", tc.offset, got, tc.want)
		}
	}
	if s := Kind(0).String(); s != "kind(0)" {
		t.Errorf("Kind(0).String() = %q", s)
	}
}

func TestScheduleDefault(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	at := time.Date(2026, 5, 12, 14, 0, 0, 0, berlin) // a Tuesday, no DST change near
	occs := Schedule("acme/api#7", at, DefaultOffsets(), checklist.Template{}, Rules{})
	if len(occs) != 50 {
		t.Fatalf("%d occurrences, want 50", len(occs))
	}
	var offs []checklist.Offset
	kinds := map[Kind]int{}
	keys := map[string]bool{}
	for i, o := range occs {
		offs = append(offs, o.Offset)
		kinds[o.Kind]++
		if want := "acme/api#7@" + o.Offset.String(); o.Key != want {
			t.Errorf("key %q, want %q", o.Key, want)
		}
		if keys[o.Key] {
			t.Errorf("key %q twice", o.Key)
		}
		keys[o.Key] = true
		if o.Shifted || !o.Due.Equal(o.OriginalDue) || o.Phases != nil {
			t.Errorf("%s: shifted %v, due %v, original %v, phases %q", o.Key, o.Shifted, o.Due, o.OriginalDue, o.Phases)
		}
		if o.Due.Location() != berlin {
			t.Errorf("%s due in %v, want Europe/Berlin", o.Key, o.Due.Location())
		}
		if i > 0 && !occs[i-1].Due.Before(o.Due) {
			t.Errorf("%s (%v) not after %s (%v)", o.Key, o.Due, occs[i-1].Key, occs[i-1].Due)
		}
	}
	if s := offsetsText(offs); s != wantDefault {
		t.Errorf("schedule order:\n got %s\nwant %s", s, wantDefault)
	}
	if want := map[Kind]int{Countdown: 3, TDay: 7, Critical: 14, Stabilization: 20, Daily: 6}; !mapsEqual(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	m := byOffset(t, occs)
	for off, want := range map[string]string{
		"T-7d": "Tue 2026-05-05 14:00 CEST", "T-2h": "Tue 2026-05-12 12:00 CEST",
		"T+1h15m": "Tue 2026-05-12 15:15 CEST", "T+23h": "Wed 2026-05-13 13:00 CEST",
		"T+1d": "Wed 2026-05-13 14:00 CEST", "T+7d": "Tue 2026-05-19 14:00 CEST",
	} {
		if got := m[off].Due.Format(wallLayout); got != want {
			t.Errorf("%s due %s, want %s", off, got, want)
		}
	}

	// Keys are stable across calls and do not depend on the time or zone.
	again := Schedule("acme/api#7", at.AddDate(0, 1, 3).In(time.UTC), DefaultOffsets(), checklist.Template{}, Rules{})
	if !slices.Equal(scheduleKeys(occs), scheduleKeys(again)) {
		t.Errorf("keys differ between calls:\n%q\n%q", scheduleKeys(occs), scheduleKeys(again))
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func scheduleKeys(occs []Occurrence) []string {
	var ks []string
	for _, o := range occs {
		ks = append(ks, o.Key)
	}
	return ks
}

func TestScheduleTemplatePhases(t *testing.T) {
	at := time.Date(2026, 5, 12, 14, 0, 0, 0, time.UTC)
	tmpl := checklist.Default()
	occs := Schedule("g", at, DefaultOffsets(), tmpl, Rules{})
	if len(occs) != 50 {
		t.Fatalf("%d occurrences, want 50 (the default template adds no offset)", len(occs))
	}
	m := byOffset(t, occs)
	for _, p := range tmpl.Phases {
		if !slices.Contains(m[p.Offset.String()].Phases, p.Name) {
			t.Errorf("phase %q not on the %s occurrence", p.Name, p.Offset)
		}
	}
	var wantT1d []string
	for _, p := range tmpl.Phases {
		if p.Offset == off("T-1d") {
			wantT1d = append(wantT1d, p.Name)
		}
	}
	if got := m["T-1d"].Phases; len(got) != 3 || !slices.Equal(got, wantT1d) {
		t.Errorf("T-1d phases %q, want the template's three T-1d phases in order %q", got, wantT1d)
	}
	if got := m["T+2h"].Phases; got != nil {
		t.Errorf("T+2h phases %q, want none", got)
	}

	// Template offsets outside the list are scheduled too; duplicates
	// (also spelled differently) collapse into one occurrence.
	custom := checklist.Template{Phases: []checklist.Phase{
		{Name: "Kick-off", Offset: off("T-14d")},
		{Name: "Freeze", Offset: off("T-1d")},
		{Name: "Freeze check", Offset: off("T-1d")},
	}}
	occs = Schedule("g", at, []checklist.Offset{off("T-90m"), off("T-1h30m"), off("T-1d")}, custom, Rules{})
	if got := scheduleKeys(occs); !slices.Equal(got, []string{"g@T-14d", "g@T-1d", "g@T-1h30m"}) {
		t.Fatalf("keys %q", got)
	}
	if got := occs[1].Phases; !slices.Equal(got, []string{"Freeze", "Freeze check"}) {
		t.Errorf("T-1d phases %q", got)
	}
	if occs[0].Kind != Countdown || occs[0].Phases[0] != "Kick-off" {
		t.Errorf("T-14d: %+v", occs[0])
	}
}

func TestScheduleDST(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	type want struct {
		offset string
		wall   string        // Due in the go-live's zone
		before time.Duration // T - Due, elapsed
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		want []want
	}{
		{
			// Berlin springs forward on Sun 2026-03-29 02:00 CET.
			"berlin march", time.Date(2026, 3, 30, 10, 0, 0, 0, berlin), []want{
				{"T-7d", "Mon 2026-03-23 10:00 CET", 167 * time.Hour},
				{"T-3d", "Fri 2026-03-27 10:00 CET", 71 * time.Hour},
				{"T-1d", "Sun 2026-03-29 10:00 CEST", 24 * time.Hour},
				{"T-2h", "Mon 2026-03-30 08:00 CEST", 2 * time.Hour},
				{"T+1d", "Tue 2026-03-31 10:00 CEST", -24 * time.Hour},
			},
		},
		{
			// The change falls in the first post-launch day: the hours
			// stay elapsed time, so T+23h and T+1d (23 hours) coincide.
			"berlin march, hours over the change", time.Date(2026, 3, 28, 20, 0, 0, 0, berlin), []want{
				{"T-1d", "Fri 2026-03-27 20:00 CET", 24 * time.Hour},
				{"T+5h", "Sun 2026-03-29 01:00 CET", -5 * time.Hour},
				{"T+6h", "Sun 2026-03-29 03:00 CEST", -6 * time.Hour},
				{"T+23h", "Sun 2026-03-29 20:00 CEST", -23 * time.Hour},
				{"T+1d", "Sun 2026-03-29 20:00 CEST", -23 * time.Hour},
				{"T+2d", "Mon 2026-03-30 20:00 CEST", -47 * time.Hour},
			},
		},
		{
			// Berlin falls back on Sun 2026-10-25 03:00 CEST.
			"berlin october", time.Date(2026, 10, 26, 10, 0, 0, 0, berlin), []want{
				{"T-7d", "Mon 2026-10-19 10:00 CEST", 169 * time.Hour},
				{"T-3d", "Fri 2026-10-23 10:00 CEST", 73 * time.Hour},
				{"T-1d", "Sun 2026-10-25 10:00 CET", 24 * time.Hour},
				{"T-1h", "Mon 2026-10-26 09:00 CET", time.Hour},
				{"T+7d", "Mon 2026-11-02 10:00 CET", -7 * 24 * time.Hour},
			},
		},
		{
			"berlin october, hours over the change", time.Date(2026, 10, 24, 22, 0, 0, 0, berlin), []want{
				{"T+4h", "Sun 2026-10-25 02:00 CEST", -4 * time.Hour},
				{"T+5h", "Sun 2026-10-25 02:00 CET", -5 * time.Hour},
				{"T+6h", "Sun 2026-10-25 03:00 CET", -6 * time.Hour},
				{"T+23h", "Sun 2026-10-25 20:00 CET", -23 * time.Hour},
				{"T+1d", "Sun 2026-10-25 22:00 CET", -25 * time.Hour},
			},
		},
		{
			// New York springs forward on Sun 2026-03-08 02:00 EST.
			"new york march", time.Date(2026, 3, 9, 9, 0, 0, 0, ny), []want{
				{"T-7d", "Mon 2026-03-02 09:00 EST", 167 * time.Hour},
				{"T-3d", "Fri 2026-03-06 09:00 EST", 71 * time.Hour},
				{"T-1d", "Sun 2026-03-08 09:00 EDT", 24 * time.Hour},
				{"T-30m", "Mon 2026-03-09 08:30 EDT", 30 * time.Minute},
			},
		},
		{
			"new york march, T-day over the change", time.Date(2026, 3, 8, 3, 30, 0, 0, ny), []want{
				{"T-1d", "Sat 2026-03-07 03:30 EST", 23 * time.Hour},
				{"T-2h", "Sun 2026-03-08 00:30 EST", 2 * time.Hour},
				{"T-1h", "Sun 2026-03-08 01:30 EST", time.Hour},
				{"T-30m", "Sun 2026-03-08 03:00 EDT", 30 * time.Minute},
			},
		},
		{
			// New York falls back on Sun 2026-11-01 02:00 EDT.
			"new york november", time.Date(2026, 11, 2, 9, 0, 0, 0, ny), []want{
				{"T-7d", "Mon 2026-10-26 09:00 EDT", 169 * time.Hour},
				{"T-3d", "Fri 2026-10-30 09:00 EDT", 73 * time.Hour},
				{"T-1d", "Sun 2026-11-01 09:00 EST", 24 * time.Hour},
			},
		},
		{
			"new york november, hours over the change", time.Date(2026, 10, 31, 22, 0, 0, 0, ny), []want{
				{"T+3h", "Sun 2026-11-01 01:00 EDT", -3 * time.Hour},
				{"T+4h", "Sun 2026-11-01 01:00 EST", -4 * time.Hour},
				{"T+5h", "Sun 2026-11-01 02:00 EST", -5 * time.Hour},
				{"T+1d", "Sun 2026-11-01 22:00 EST", -25 * time.Hour},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := byOffset(t, Schedule("g", tc.at, DefaultOffsets(), checklist.Template{}, Rules{}))
			for _, w := range tc.want {
				o, ok := m[w.offset]
				if !ok {
					t.Errorf("no %s occurrence", w.offset)
					continue
				}
				if got := o.Due.Format(wallLayout); got != w.wall {
					t.Errorf("%s due %s, want %s", w.offset, got, w.wall)
				}
				if got := tc.at.Sub(o.Due); got != w.before {
					t.Errorf("%s is %v before T, want %v", w.offset, got, w.before)
				}
				if o.Due.Location() != tc.at.Location() {
					t.Errorf("%s due in %v", w.offset, o.Due.Location())
				}
			}
		})
	}
}

// Every hour and minute offset of the default timeline is elapsed time,
// whatever the zone does in between.
func TestScheduleHoursAreElapsed(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		loc := mustLoc(t, zone)
		for _, at := range []time.Time{
			time.Date(2026, 3, 28, 23, 0, 0, 0, loc), time.Date(2026, 3, 8, 1, 0, 0, 0, loc),
			time.Date(2026, 10, 24, 23, 0, 0, 0, loc), time.Date(2026, 11, 1, 0, 30, 0, 0, loc),
			time.Date(2026, 4, 5, 1, 0, 0, 0, loc), time.Date(2026, 10, 4, 1, 0, 0, 0, loc),
		} {
			for _, o := range Schedule("g", at, DefaultOffsets(), checklist.Template{}, Rules{}) {
				if o.Offset.Days() == 0 && o.Due.Sub(at) != o.Offset.Duration() {
					t.Errorf("%s at %v: due %v after T, want %v", o.Offset, at, o.Due.Sub(at), o.Offset.Duration())
				}
				if o.Offset.Days() != 0 {
					y, m, d := at.Date()
					wy, wm, wd := o.Due.Date()
					want := time.Date(y, m, d+o.Offset.Days(), 0, 0, 0, 0, time.UTC)
					if got := time.Date(wy, wm, wd, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
						t.Errorf("%s at %v: due on %v, want %v", o.Offset, at, got, want)
					}
				}
			}
		}
	}
}

var quiet = Rules{QuietStart: 22 * time.Hour, QuietEnd: 7 * time.Hour}

func TestScheduleQuietHours(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")

	// T-1d at 23:30 moves to 07:00 the next day.
	at := time.Date(2026, 6, 10, 23, 30, 0, 0, berlin) // Wednesday
	m := byOffset(t, Schedule("g", at, DefaultOffsets(), checklist.Template{}, quiet))
	o := m["T-1d"]
	if got := o.Due.Format(wallLayout); !o.Shifted || got != "Wed 2026-06-10 07:00 CEST" {
		t.Errorf("T-1d due %s (shifted %v), want Wed 2026-06-10 07:00 CEST", got, o.Shifted)
	}
	if got := o.OriginalDue.Format(wallLayout); got != "Tue 2026-06-09 23:30 CEST" {
		t.Errorf("T-1d original due %s", got)
	}
	if o.Key != "g@T-1d" {
		t.Errorf("shifted key %q", o.Key)
	}
	// T-day steps and critical hours ignore quiet hours.
	for _, k := range []string{"T-2h", "T-10m", "T+30m", "T+1h", "T+4h"} {
		if m[k].Shifted {
			t.Errorf("%s shifted to %v", k, m[k].Due)
		}
	}
	// Stabilization hours in the night move to 07:00 and pile up there,
	// each keeping its key; those after 07:00 stay.
	var at7 []string
	for _, o := range m {
		if o.Kind == Stabilization && o.Due.Format(wallLayout) == "Thu 2026-06-11 07:00 CEST" {
			at7 = append(at7, o.Offset.String())
		}
	}
	slices.Sort(at7)
	if want := []string{"T+5h", "T+6h", "T+7h"}; !slices.Equal(at7, want) {
		t.Errorf("stabilization at 07:00: %q, want %q", at7, want)
	}
	for k, want := range map[string]string{
		"T+4h": "Thu 2026-06-11 03:30 CEST", // critical
		"T+8h": "Thu 2026-06-11 07:30 CEST", "T+22h": "Thu 2026-06-11 21:30 CEST",
		"T+23h": "Fri 2026-06-12 07:00 CEST", "T+1d": "Fri 2026-06-12 07:00 CEST",
		"T+2d": "Sat 2026-06-13 07:00 CEST", // daily, from Friday 23:30 (no weekend rule)
	} {
		if got := m[k].Due.Format(wallLayout); got != want {
			t.Errorf("%s due %s, want %s", k, got, want)
		}
	}

	// A T-2h at 23:30 is a T-day step: it stays.
	at = time.Date(2026, 6, 11, 1, 30, 0, 0, berlin)
	m = byOffset(t, Schedule("g", at, DefaultOffsets(), checklist.Template{}, quiet))
	if o := m["T-2h"]; o.Shifted || o.Due.Format(wallLayout) != "Wed 2026-06-10 23:30 CEST" {
		t.Errorf("T-2h due %s, shifted %v", o.Due.Format(wallLayout), o.Shifted)
	}
	// Here T-1d (01:30) moves within its day.
	if o := m["T-1d"]; o.Due.Format(wallLayout) != "Wed 2026-06-10 07:00 CEST" {
		t.Errorf("T-1d due %s", o.Due.Format(wallLayout))
	}

	// Boundaries: the start is quiet, the end is not; within a day
	// (12:00-14:00) and over midnight (22:00-07:00). T-3d is on Sunday
	// 2026-06-14.
	lunch := Rules{QuietStart: 12 * time.Hour, QuietEnd: 14 * time.Hour}
	for _, tc := range []struct {
		rules    Rules
		at, want string
	}{
		{lunch, "11:59", "Sun 11:59"}, {lunch, "12:00", "Sun 14:00"}, {lunch, "13:59", "Sun 14:00"}, {lunch, "14:00", "Sun 14:00"},
		{quiet, "21:59", "Sun 21:59"}, {quiet, "22:00", "Mon 07:00"}, {quiet, "23:59", "Mon 07:00"},
		{quiet, "00:00", "Sun 07:00"}, {quiet, "06:59", "Sun 07:00"}, {quiet, "07:00", "Sun 07:00"},
	} {
		clock, _ := time.Parse("15:04", tc.at)
		at := time.Date(2026, 6, 17, clock.Hour(), clock.Minute(), 0, 0, berlin)
		o := Schedule("g", at, []checklist.Offset{off("T-3d")}, checklist.Template{}, tc.rules)[0]
		if got := o.Due.Format("Mon 15:04"); got != tc.want || o.Shifted != (tc.want[4:] != tc.at) {
			t.Errorf("%+v: T-3d at %s due %s (shifted %v), want %s", tc.rules, tc.at, got, o.Shifted, tc.want)
		}
	}
}

func TestScheduleWeekends(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	weekends := Rules{Weekends: true}

	// Go-live Tuesday 2026-06-09 10:00: T-3d is Saturday, T+4d and T+5d
	// fall on the next weekend.
	at := time.Date(2026, 6, 9, 10, 0, 0, 0, berlin)
	for _, tc := range []struct {
		rules Rules
		want  map[string]string
	}{
		{weekends, map[string]string{
			"T-7d": "Tue 2026-06-02 10:00 CEST", "T-3d": "Mon 2026-06-08 00:00 CEST", "T-1d": "Mon 2026-06-08 10:00 CEST",
			"T+4d": "Mon 2026-06-15 00:00 CEST", "T+5d": "Mon 2026-06-15 00:00 CEST", "T+6d": "Mon 2026-06-15 10:00 CEST",
		}},
		{Rules{QuietStart: 22 * time.Hour, QuietEnd: 7 * time.Hour, Weekends: true}, map[string]string{
			"T-3d": "Mon 2026-06-08 07:00 CEST", "T+4d": "Mon 2026-06-15 07:00 CEST", "T+5d": "Mon 2026-06-15 07:00 CEST",
		}},
	} {
		m := byOffset(t, Schedule("g", at, DefaultOffsets(), checklist.Template{}, tc.rules))
		for k, want := range tc.want {
			if got := m[k].Due.Format(wallLayout); got != want {
				t.Errorf("%+v: %s due %s, want %s", tc.rules, k, got, want)
			}
		}
	}

	// Go-live on Saturday 2026-06-13 10:00: T-day steps and critical hours
	// stay on Saturday, stabilization hours and days move to Monday, the
	// Friday countdown stays.
	at = time.Date(2026, 6, 13, 10, 0, 0, 0, berlin)
	m := byOffset(t, Schedule("g", at, DefaultOffsets(), checklist.Template{}, weekends))
	for _, o := range m {
		shifted := o.Due.Weekday() == time.Monday && o.OriginalDue.Weekday() != time.Monday
		switch o.Kind {
		case TDay, Critical:
			if o.Shifted || o.Due.Weekday() != time.Saturday {
				t.Errorf("%s moved to %v", o.Key, o.Due)
			}
		case Stabilization:
			if !o.Shifted || !shifted || o.Due.Format(wallLayout) != "Mon 2026-06-15 00:00 CEST" {
				t.Errorf("%s due %v, shifted %v", o.Key, o.Due, o.Shifted)
			}
		}
	}
	if m["T-1d"].Shifted || m["T+2d"].Shifted || !m["T+1d"].Shifted {
		t.Errorf("T-1d shifted %v, T+1d %v, T+2d %v", m["T-1d"].Shifted, m["T+1d"].Shifted, m["T+2d"].Shifted)
	}

	// Go-live on Monday 2026-06-15 01:00: the countdown T-1d (Sunday) would
	// move past T-2h, so it keeps its time; T-3d (Friday) is unaffected.
	at = time.Date(2026, 6, 15, 1, 0, 0, 0, berlin)
	m = byOffset(t, Schedule("g", at, DefaultOffsets(), checklist.Template{}, weekends))
	if o := m["T-1d"]; o.Shifted || o.Due.Format(wallLayout) != "Sun 2026-06-14 01:00 CEST" {
		t.Errorf("T-1d due %s, shifted %v", o.Due.Format(wallLayout), o.Shifted)
	}
	// Go-live on Monday 2026-06-15 03:00: T-1d may move to Monday 00:00,
	// which is still before T-2h (01:00).
	at = time.Date(2026, 6, 15, 3, 0, 0, 0, berlin)
	m = byOffset(t, Schedule("g", at, DefaultOffsets(), checklist.Template{}, weekends))
	if o := m["T-1d"]; !o.Shifted || o.Due.Format(wallLayout) != "Mon 2026-06-15 00:00 CEST" {
		t.Errorf("T-1d due %s, shifted %v", o.Due.Format(wallLayout), o.Shifted)
	}
}

// Quiet hours ending inside a daylight-saving change: the next allowed time
// is the first instant whose wall clock is allowed.
func TestScheduleQuietHoursOverDST(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	for _, tc := range []struct {
		name     string
		rules    Rules
		original time.Time
		want     string
	}{
		// 02:30 does not exist on 2026-03-29: the clock jumps from 02:00
		// CET to 03:00 CEST, which is past the end of the quiet hours.
		{"spring, end skipped", Rules{QuietStart: 1 * time.Hour, QuietEnd: 2*time.Hour + 30*time.Minute},
			time.Date(2026, 3, 29, 1, 15, 0, 0, berlin), "Sun 2026-03-29 03:00 CEST"},
		{"spring, end after the gap", Rules{QuietStart: 22 * time.Hour, QuietEnd: 7 * time.Hour},
			time.Date(2026, 3, 28, 23, 0, 0, 0, berlin), "Sun 2026-03-29 07:00 CEST"},
		// On 2026-10-25 02:00-02:59 happens twice. From 02:10 CET (the
		// second pass) the quiet hours end at 02:30 CET, not at the
		// earlier 02:30 CEST.
		{"autumn, second pass", Rules{QuietStart: 1 * time.Hour, QuietEnd: 2*time.Hour + 30*time.Minute},
			time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC).In(berlin), "Sun 2026-10-25 02:30 CET"},
		{"autumn, first pass", Rules{QuietStart: 1 * time.Hour, QuietEnd: 2*time.Hour + 30*time.Minute},
			time.Date(2026, 10, 25, 0, 10, 0, 0, time.UTC).In(berlin), "Sun 2026-10-25 02:30 CEST"},
		// 02:45 CEST is quiet (02:30-05:00); at 03:00 CEST the clock goes
		// back to 02:00 CET, which is allowed.
		{"autumn, clock falls out of the quiet hours", Rules{QuietStart: 2*time.Hour + 30*time.Minute, QuietEnd: 5 * time.Hour},
			time.Date(2026, 10, 25, 0, 45, 0, 0, time.UTC).In(berlin), "Sun 2026-10-25 02:00 CET"},
	} {
		got := tc.rules.nextAllowed(tc.original)
		if s := got.Format(wallLayout); s != tc.want || got.Before(tc.original) || got.Location() != berlin {
			t.Errorf("%s: next allowed after %v = %s (%v), want %s", tc.name, tc.original, s, got, tc.want)
		}
	}

	// Through Schedule: T-3d at 01:15 CET on the day of the spring change.
	at := time.Date(2026, 4, 1, 1, 15, 0, 0, berlin)
	o := Schedule("g", at, []checklist.Offset{off("T-3d")}, checklist.Template{},
		Rules{QuietStart: 1 * time.Hour, QuietEnd: 2*time.Hour + 30*time.Minute})[0]
	if s := o.Due.Format(wallLayout); s != "Sun 2026-03-29 03:00 CEST" || !o.Shifted {
		t.Errorf("T-3d due %s, shifted %v", s, o.Shifted)
	}
}

func TestRulesValidate(t *testing.T) {
	for _, r := range []Rules{{}, quiet, {Weekends: true}, {QuietStart: 0, QuietEnd: 6 * time.Hour},
		{QuietStart: 23*time.Hour + 59*time.Minute, QuietEnd: 0}} {
		if err := r.Validate(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	for _, tc := range []struct {
		r    Rules
		want string
	}{
		{Rules{QuietStart: 24 * time.Hour, QuietEnd: 7 * time.Hour}, `quiet hours start "24h0m0s" is not a time of day`},
		{Rules{QuietStart: 22 * time.Hour, QuietEnd: -time.Hour}, `quiet hours end "-1h0m0s" is not a time of day`},
		{Rules{QuietStart: 7 * time.Hour, QuietEnd: 7 * time.Hour}, `quiet hours start and end are both "07:00"`},
	} {
		err := tc.r.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %s…", tc.r, err, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Schedule with invalid rules did not panic")
		}
	}()
	Schedule("g", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), DefaultOffsets(), checklist.Template{}, Rules{QuietStart: 25 * time.Hour})
}
