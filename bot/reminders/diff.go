package reminders

import "time"

// Existing is a stored occurrence of a go-live, as Diff needs it.
type Existing struct {
	Key string
	Due time.Time
	// Sent marks an occurrence that is settled and must never be touched
	// again: sent, and also missed (folded into a catch-up) or failed for
	// good. Only pending occurrences have Sent false.
	Sent bool
}

// Diff returns what re-planning a go-live changes: existing are all its
// stored occurrences, desired is its new Schedule (keys unique), now the
// current time.
//
//   - add: desired occurrences whose key is not among existing, unless due
//     before now (a moment that has passed when it is planned is skipped,
//     as BeforeCreation in Classify);
//   - cancel: keys of unsent existing occurrences that desired no longer
//     has, or whose new Due is before now (re-planning moved them into the
//     past: sending them now would be wrong, not late);
//   - move: desired occurrences whose key is unsent in existing with a
//     different Due (compared as instants), not before now.
//
// Sent occurrences are never added, moved or cancelled, whatever desired
// says. Unsent ones whose Due is unchanged are left alone, even when past
// due (that is for CatchUp). add and move keep desired's order, cancel
// existing's; a key listed twice in existing counts as sent if any copy is.
func Diff(existing []Existing, desired []Occurrence, now time.Time) (add []Occurrence, cancel []string, move []Occurrence) {
	have := make(map[string]Existing, len(existing))
	for _, e := range existing {
		if prev, dup := have[e.Key]; dup {
			prev.Sent = prev.Sent || e.Sent
			have[e.Key] = prev
			continue
		}
		have[e.Key] = e
	}
	want := make(map[string]Occurrence, len(desired))
	for _, o := range desired {
		want[o.Key] = o
		e, ok := have[o.Key]
		switch {
		case !ok:
			if !o.Due.Before(now) {
				add = append(add, o)
			}
		case e.Sent, e.Due.Equal(o.Due), o.Due.Before(now):
			// Settled, unchanged, or cancelled below.
		default:
			move = append(move, o)
		}
	}
	cancelled := map[string]bool{}
	for _, e := range existing {
		e = have[e.Key]
		if e.Sent || cancelled[e.Key] {
			continue
		}
		o, ok := want[e.Key]
		if !ok || (!e.Due.Equal(o.Due) && o.Due.Before(now)) {
			cancelled[e.Key] = true
			cancel = append(cancel, e.Key)
		}
	}
	return add, cancel, move
}
