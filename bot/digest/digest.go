// Package digest is the weekly Slack digest of what golive knows of a
// repository's week: go-lives completed (on time or late), deploys and
// rollbacks, incidents by severity, SLA breaches, mean times to acknowledge
// and resolve, and open operations items.
package digest

import (
	"fmt"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/incident"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

// OnTimeGrace is how long after its go-live time a go-live's first
// successful deploy may finish and still count as on time.
const OnTimeGrace = time.Hour

// Digest is one repository's week.
type Digest struct {
	Repo     string
	From, To time.Time // [From, To)

	// Go-lives closed as done in the week, by whether their first
	// successful deploy finished by their time plus OnTimeGrace.
	GoLivesDone, OnTime, Late, NoDeploy int
	// Deploys and Rollbacks dispatched in the week; Failed of them ended
	// in failure, cancellation, error or timeout.
	Deploys, Rollbacks, Failed int
	// Incidents opened in the week, by severity.
	Incidents map[string]int
	// Breaches of the response and resolution targets of those incidents,
	// as of To.
	ResponseBreaches, ResolutionBreaches int
	// MTTA and MTTR are the mean times to acknowledge and to resolve over
	// Acked and Resolved of the week's incidents; zero when none.
	MTTA, MTTR      time.Duration
	Acked, Resolved int
	// OpenOpsItems are the unticked items of open operations checklists;
	// -1 when unknown.
	OpenOpsItems int
}

// Compute builds the digest of [from, to) from the repository's go-lives,
// its deploys since well before from, its incidents and its configuration.
func Compute(repo string, from, to time.Time, golives []store.GoLive, deploys []store.Deploy, incidents []store.Incident, cfg *repoconfig.Config, openOpsItems int) Digest {
	d := Digest{Repo: repo, From: from, To: to, Incidents: map[string]int{}, OpenOpsItems: openOpsItems}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }

	firstSuccess := map[int64]time.Time{}
	for _, dep := range deploys {
		if dep.Kind == "deploy" && dep.State == store.DeploySuccess && dep.GoLiveID != 0 {
			if t, ok := firstSuccess[dep.GoLiveID]; !ok || dep.FinishedAt.Before(t) {
				firstSuccess[dep.GoLiveID] = dep.FinishedAt
			}
		}
		if !in(dep.DispatchedAt) {
			continue
		}
		if dep.Kind == "rollback" {
			d.Rollbacks++
		} else {
			d.Deploys++
		}
		switch dep.State {
		case store.DeployFailure, store.DeployCancelled, store.DeployError, store.DeployTimedOut:
			d.Failed++
		}
	}
	for _, g := range golives {
		if g.State != store.GoLiveDone || !in(g.UpdatedAt) {
			continue
		}
		d.GoLivesDone++
		switch t, ok := firstSuccess[g.ID]; {
		case !ok:
			d.NoDeploy++
		case t.After(g.At.Add(OnTimeGrace)):
			d.Late++
		default:
			d.OnTime++
		}
	}
	var ack, res time.Duration
	for _, i := range incidents {
		if !in(i.OpenedAt) {
			continue
		}
		d.Incidents[i.Severity]++
		open := i
		open.State = store.IncidentOpen
		dl := incident.DeadlinesOf(open, cfg)
		if late(i.AckedAt, dl.Response, to) {
			d.ResponseBreaches++
		}
		if late(i.ResolvedAt, dl.Resolution, to) {
			d.ResolutionBreaches++
		}
		if !i.AckedAt.IsZero() && i.AckedAt.Before(to) {
			d.Acked++
			ack += i.AckedAt.Sub(i.OpenedAt)
		}
		if !i.ResolvedAt.IsZero() && i.ResolvedAt.Before(to) {
			d.Resolved++
			res += i.ResolvedAt.Sub(i.OpenedAt)
		}
	}
	if d.Acked > 0 {
		d.MTTA = ack / time.Duration(d.Acked)
	}
	if d.Resolved > 0 {
		d.MTTR = res / time.Duration(d.Resolved)
	}
	return d
}

// late reports whether something done at done (zero: not yet) missed
// deadline, judged at asOf.
func late(done, deadline, asOf time.Time) bool {
	if done.IsZero() || !done.Before(asOf) {
		return asOf.After(deadline)
	}
	return done.After(deadline)
}

// Text is the digest as a Slack message.
func (d Digest) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "📊 *Weekly digest of %s* — %s to %s\n", d.Repo, d.From.Format("Mon 2 Jan"), d.To.Add(-time.Second).Format("Mon 2 Jan 2006"))
	fmt.Fprintf(&b, "• Go-lives completed: *%d* (%d on time, %d late, %d without a recorded deploy)\n", d.GoLivesDone, d.OnTime, d.Late, d.NoDeploy)
	fmt.Fprintf(&b, "• Deploys: *%d*, rollbacks: *%d*, failed runs: %d\n", d.Deploys, d.Rollbacks, d.Failed)
	var sev []string
	total := 0
	for _, s := range repoconfig.Severities {
		sev = append(sev, fmt.Sprintf("%s %d", s, d.Incidents[s]))
		total += d.Incidents[s]
	}
	fmt.Fprintf(&b, "• Incidents: *%d* (%s)\n", total, strings.Join(sev, ", "))
	fmt.Fprintf(&b, "• SLA breaches: %d response, %d resolution\n", d.ResponseBreaches, d.ResolutionBreaches)
	fmt.Fprintf(&b, "• Mean time to acknowledge: %s (%d), to resolve: %s (%d)\n", mean(d.MTTA, d.Acked), d.Acked, mean(d.MTTR, d.Resolved), d.Resolved)
	if d.OpenOpsItems >= 0 {
		fmt.Fprintf(&b, "• Open operations items: %d\n", d.OpenOpsItems)
	}
	return b.String()
}

func mean(d time.Duration, n int) string {
	if n == 0 {
		return "–"
	}
	return d.Round(time.Minute).String()
}

// WeekOf returns the Monday-to-Monday week before the one holding t, in
// loc, and its key like "2026-W47".
func WeekOf(t time.Time, loc *time.Location) (from, to time.Time, key string) {
	l := t.In(loc)
	back := (int(l.Weekday()) + 6) % 7 // days since Monday
	to = time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, loc)
	from = to.AddDate(0, 0, -7)
	y, w := from.ISOWeek()
	return from, to, fmt.Sprintf("%d-W%02d", y, w)
}
