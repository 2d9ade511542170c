package reminders

import (
	"slices"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
)

// stored turns a schedule into stored occurrences, the ones due up to
// sentUpTo marked sent, in UTC as a store gives them back.
func stored(occs []Occurrence, sentUpTo time.Time) []Existing {
	var out []Existing
	for _, o := range occs {
		out = append(out, Existing{Key: o.Key, Due: o.Due.UTC(), Sent: !o.Due.After(sentUpTo)})
	}
	return out
}

func TestDiffNothingChanged(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	at := time.Date(2026, 6, 9, 10, 0, 0, 0, berlin)
	occs := Schedule("g", at, DefaultOffsets(), checklist.Default(), quiet)
	now := at.AddDate(0, 0, -8)
	add, cancel, move := Diff(nil, occs, now)
	if len(add) != len(occs) || cancel != nil || move != nil {
		t.Fatalf("first plan: %d added of %d, cancel %q, %d moved", len(add), len(occs), cancel, len(move))
	}
	// Planned late, the occurrences already due are skipped.
	add, _, _ = Diff(nil, occs, at.Add(-time.Hour))
	if len(add) == 0 || add[0].Key != "g@T-1h" {
		t.Errorf("planned at T-1h: first added %q", scheduleKeys(add))
	}
	add, cancel, move = Diff(stored(occs, now), occs, now)
	if add != nil || cancel != nil || move != nil {
		t.Errorf("unchanged plan: add %d, cancel %q, move %d", len(add), cancel, len(move))
	}
}

func TestDiffReplanByADay(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	at := time.Date(2026, 6, 9, 10, 0, 0, 0, berlin)
	old := Schedule("g", at, DefaultOffsets(), checklist.Template{}, Rules{})
	now := time.Date(2026, 6, 5, 12, 0, 0, 0, berlin) // T-7d has been sent, T-3d not
	existing := stored(old, now)
	if !existing[0].Sent || existing[1].Sent {
		t.Fatalf("setup: %+v %+v", existing[0], existing[1])
	}

	// One day later: every unsent occurrence moves by a calendar day, the
	// sent T-7d stays as it is although its Due changed too.
	later := Schedule("g", at.AddDate(0, 0, 1), DefaultOffsets(), checklist.Template{}, Rules{})
	add, cancel, move := Diff(existing, later, now)
	if add != nil || cancel != nil {
		t.Errorf("later: add %q, cancel %q", scheduleKeys(add), cancel)
	}
	if len(move) != len(later)-1 || slices.ContainsFunc(move, func(o Occurrence) bool { return o.Key == "g@T-7d" }) {
		t.Fatalf("later: moved %q", scheduleKeys(move))
	}
	for _, o := range move {
		prev := old[slices.IndexFunc(old, func(p Occurrence) bool { return p.Key == o.Key })]
		if !o.Due.Equal(prev.Due.AddDate(0, 0, 1)) {
			t.Errorf("%s moved from %v to %v, want a day later", o.Key, prev.Due, o.Due)
		}
	}

	// One day earlier: T-3d is now due before now, so it is cancelled
	// rather than moved into the past; the rest moves.
	earlier := Schedule("g", at.AddDate(0, 0, -1), DefaultOffsets(), checklist.Template{}, Rules{})
	add, cancel, move = Diff(existing, earlier, now)
	if add != nil || !slices.Equal(cancel, []string{"g@T-3d"}) || len(move) != len(earlier)-2 {
		t.Errorf("earlier: add %q, cancel %q, %d moved", scheduleKeys(add), cancel, len(move))
	}

	// Re-planning twice gives nothing more to do.
	applied := apply(existing, add, cancel, move)
	add, cancel, move = Diff(applied, earlier, now)
	if add != nil || cancel != nil || move != nil {
		t.Errorf("second diff: add %q, cancel %q, move %q", scheduleKeys(add), cancel, scheduleKeys(move))
	}
}

// apply is what a store does with Diff's result.
func apply(existing []Existing, add []Occurrence, cancel []string, move []Occurrence) []Existing {
	var out []Existing
	for _, e := range existing {
		if e.Sent || !slices.Contains(cancel, e.Key) {
			out = append(out, e)
		}
	}
	for i, e := range out {
		if j := slices.IndexFunc(move, func(o Occurrence) bool { return o.Key == e.Key }); j >= 0 && !e.Sent {
			out[i].Due = move[j].Due
		}
	}
	for _, o := range add {
		out = append(out, Existing{Key: o.Key, Due: o.Due})
	}
	return out
}

func TestDiffTemplateChange(t *testing.T) {
	at := time.Date(2026, 6, 9, 10, 0, 0, 0, time.UTC)
	now := at.AddDate(0, 0, -10)
	v1 := checklist.Template{Phases: []checklist.Phase{
		{Name: "Kick-off", Offset: off("T-5d")},
		{Name: "Freeze", Offset: off("T-1d")},
	}}
	v2 := checklist.Template{Phases: []checklist.Phase{
		{Name: "Freeze", Offset: off("T-1d")},
		{Name: "Dry run", Offset: off("T-4d")},
	}}
	existing := stored(Schedule("g", at, DefaultOffsets(), v1, Rules{}), now)
	add, cancel, move := Diff(existing, Schedule("g", at, DefaultOffsets(), v2, Rules{}), now)
	if got := scheduleKeys(add); !slices.Equal(got, []string{"g@T-4d"}) {
		t.Errorf("add %q, want [g@T-4d]", got)
	}
	if !slices.Equal(cancel, []string{"g@T-5d"}) || move != nil {
		t.Errorf("cancel %q, move %q; want cancel [g@T-5d]", cancel, scheduleKeys(move))
	}

	// An offset removed after it was sent is not cancelled; an offset
	// added after its time has passed is not added.
	existing = stored(Schedule("g", at, DefaultOffsets(), v1, Rules{}), at.AddDate(0, 0, -5))
	add, cancel, move = Diff(existing, Schedule("g", at, DefaultOffsets(), v2, Rules{}), at.AddDate(0, 0, -3))
	if add != nil || cancel != nil || move != nil {
		t.Errorf("late change: add %q, cancel %q, move %q", scheduleKeys(add), cancel, scheduleKeys(move))
	}
}

func TestDiffRulesChange(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	at := time.Date(2026, 6, 10, 23, 30, 0, 0, berlin)
	now := at.AddDate(0, 0, -10)
	existing := stored(Schedule("g", at, DefaultOffsets(), checklist.Template{}, Rules{}), now)
	_, _, move := Diff(existing, Schedule("g", at, DefaultOffsets(), checklist.Template{}, quiet), now)
	for _, o := range move {
		if !o.Shifted {
			t.Errorf("%s moved but not shifted", o.Key)
		}
	}
	if !slices.ContainsFunc(move, func(o Occurrence) bool { return o.Key == "g@T-1d" }) {
		t.Errorf("T-1d not moved into the morning: %q", scheduleKeys(move))
	}
}

func TestDiffSentAndDuplicates(t *testing.T) {
	at := time.Date(2026, 6, 9, 10, 0, 0, 0, time.UTC)
	now := at.Add(-time.Hour)
	desired := Schedule("g", at, []checklist.Offset{off("T-1d"), off("T-10m"), off("T+1h")}, checklist.Template{}, Rules{})
	existing := []Existing{
		{Key: "g@T-1d", Due: at.Add(-30 * time.Hour), Sent: true},    // sent, Due differs: left
		{Key: "g@T-10m", Due: at.Add(-20 * time.Minute)},             // pending, moves
		{Key: "g@T-10m", Due: at.Add(-20 * time.Minute), Sent: true}, // …unless a copy is sent
		{Key: "g@T-2h", Due: at.Add(-2 * time.Hour), Sent: true},     // sent, gone: left
		{Key: "g@T-3h", Due: at.Add(-3 * time.Hour)},                 // pending, gone: cancel once
		{Key: "g@T-3h", Due: at.Add(-3 * time.Hour)},
	}
	add, cancel, move := Diff(existing, desired, now)
	if got := scheduleKeys(add); !slices.Equal(got, []string{"g@T+1h"}) {
		t.Errorf("add %q", got)
	}
	if !slices.Equal(cancel, []string{"g@T-3h"}) || move != nil {
		t.Errorf("cancel %q, move %q", cancel, scheduleKeys(move))
	}
}
