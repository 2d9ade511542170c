package reminders

import (
	"fmt"
	"time"
)

const (
	// SendWindow is how late an occurrence may be sent and still count as
	// on time.
	SendWindow = 60 * time.Second
	// DefaultGrace is how late an occurrence may still be sent on its own
	// (marked late) when Classify is given no grace.
	DefaultGrace = 15 * time.Minute
)

// Status is what to do with an occurrence at a given time.
type Status int

const (
	// NotYet: due after now; wait.
	NotYet Status = iota + 1
	// OnTime: due, at most SendWindow ago; send it.
	OnTime
	// Late: due more than SendWindow but at most the grace period ago;
	// send it and mark it late.
	Late
	// Missed: due more than the grace period ago; do not send it alone but
	// fold it into one catch-up message per go-live.
	Missed
	// BeforeCreation: due before the go-live was created; never sent.
	BeforeCreation
)

// String returns the status's name in lower case, as in "on-time".
func (s Status) String() string {
	switch s {
	case NotYet:
		return "not-yet"
	case OnTime:
		return "on-time"
	case Late:
		return "late"
	case Missed:
		return "missed"
	case BeforeCreation:
		return "before-creation"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Classify returns the status at now of an occurrence due at due, of a
// go-live created at createdAt, given the grace period (DefaultGrace when
// grace <= 0). With lateness = now - due:
//
//   - BeforeCreation when due is before createdAt, whatever now is;
//   - NotYet when due is after now;
//   - OnTime when lateness <= SendWindow;
//   - Late when lateness <= grace (so a grace shorter than SendWindow
//     leaves no Late);
//   - Missed otherwise.
func Classify(due, now, createdAt time.Time, grace time.Duration) Status {
	if grace <= 0 {
		grace = DefaultGrace
	}
	switch late := now.Sub(due); {
	case due.Before(createdAt):
		return BeforeCreation
	case late < 0:
		return NotYet
	case late <= SendWindow:
		return OnTime
	case late <= grace:
		return Late
	default:
		return Missed
	}
}

// CatchUp sorts a go-live's unsent occurrences by Classify at now: send
// holds the OnTime ones, late the Late ones (send and mark late), missed
// the Missed ones (for one catch-up message). NotYet and BeforeCreation
// occurrences are in none of them. Each list keeps occs' order.
func CatchUp(occs []Occurrence, now, createdAt time.Time, grace time.Duration) (send, late, missed []Occurrence) {
	for _, o := range occs {
		switch Classify(o.Due, now, createdAt, grace) {
		case OnTime:
			send = append(send, o)
		case Late:
			late = append(late, o)
		case Missed:
			missed = append(missed, o)
		}
	}
	return send, late, missed
}
