// Package incident runs incidents: /golive incident opens one (an issue
// with the response steps, a timeline comment, a Slack thread), ack, severity
// and resolve move it, and SLA alerts warn before and at each breach.
package incident

import (
	"time"

	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

// Alert kinds: a warning before and an alert at each timer's breach.
const (
	ResponseWarning   = "response-warning"
	ResponseBreach    = "response-breach"
	ResolutionWarning = "resolution-warning"
	ResolutionBreach  = "resolution-breach"
)

// Hours are business hours: Monday to Friday, Start to End (times of day)
// in Loc. The zero value counts every hour.
type Hours struct {
	Start, End time.Duration
	Loc        *time.Location
}

func (h Hours) counting() bool { return h.End > h.Start && h.Loc != nil }

// Add returns the instant d of counted time after from: every hour for
// zero Hours, else only business hours.
func (h Hours) Add(from time.Time, d time.Duration) time.Time {
	if !h.counting() {
		return from.Add(d)
	}
	t := from.In(h.Loc)
	for {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.Loc)
		open, shut := dayTime(day, h.Start), dayTime(day, h.End)
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday || !t.Before(shut) {
			t = dayTime(day.AddDate(0, 0, 1), 0) // the next day's midnight
			continue
		}
		if t.Before(open) {
			t = open
		}
		if left := shut.Sub(t); d <= left {
			return t.Add(d).UTC()
		} else {
			d -= left
			t = shut
		}
	}
}

// dayTime is the instant at time-of-day d on day (midnight, local), read as
// wall-clock time so a DST change that day does not shift it.
func dayTime(day time.Time, d time.Duration) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), int(d/time.Hour), int(d%time.Hour/time.Minute), 0, 0, day.Location())
}

// warnBefore is how long before a breach its warning goes: a fifth of the
// target, at least a minute and at most an hour.
func warnBefore(target time.Duration) time.Duration {
	return min(max(target/5, time.Minute), time.Hour)
}

// Deadlines are when an incident's timers run out; zero for a stopped one.
type Deadlines struct {
	Response, Resolution time.Time
}

// DeadlinesOf computes in's timers from when it opened, with its
// severity's targets: the response timer runs until it is acknowledged, the
// resolution timer until it is resolved. P2 and P3 count business hours
// when cfg sets them; P0 and P1 count every hour.
func DeadlinesOf(in store.Incident, cfg *repoconfig.Config) Deadlines {
	sla := cfg.SLA(in.Severity)
	var h Hours
	if (in.Severity == "P2" || in.Severity == "P3") && cfg.Incidents.BusinessEnd > cfg.Incidents.BusinessStart {
		h = Hours{Start: cfg.Incidents.BusinessStart, End: cfg.Incidents.BusinessEnd, Loc: cfg.Location()}
	}
	var d Deadlines
	if in.State == store.IncidentOpen {
		d.Response = h.Add(in.OpenedAt, sla.Response)
	}
	if in.State != store.IncidentResolved {
		d.Resolution = h.Add(in.OpenedAt, sla.Resolution)
	}
	return d
}

// Alerts are the SLA alerts in's running timers call for, by kind: a
// warning shortly before each deadline (dropped when it would come before
// the incident opened) and an alert at it.
func Alerts(in store.Incident, cfg *repoconfig.Config) map[string]time.Time {
	d := DeadlinesOf(in, cfg)
	sla := cfg.SLA(in.Severity)
	out := map[string]time.Time{}
	add := func(warn, breach string, deadline time.Time, target time.Duration) {
		if deadline.IsZero() {
			return
		}
		out[breach] = deadline
		if w := deadline.Add(-warnBefore(target)); w.After(in.OpenedAt) {
			out[warn] = w
		}
	}
	add(ResponseWarning, ResponseBreach, d.Response, sla.Response)
	add(ResolutionWarning, ResolutionBreach, d.Resolution, sla.Resolution)
	return out
}
