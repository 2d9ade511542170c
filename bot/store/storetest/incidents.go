package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// incidentBase is when the test incidents open (with nanoseconds, which
// the store keeps to the microsecond).
var incidentBase = time.Date(2026, 11, 22, 9, 30, 0, 123456789, time.UTC)

func newIncident(key string, at time.Time) store.Incident {
	return store.Incident{OpenKey: key, InstallationID: 4200000042, RepoID: 4200000007, Repo: "acme/shop",
		Severity: "P1", Title: "Checkout is down", State: store.IncidentOpen, OpenedBy: "slack:U1", OpenedAt: at,
		SlackChannel: "#incidents"}
}

// An incident opened twice by one command is one incident; its updates,
// timeline and lookups round-trip.
func testIncidents(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := incidentBase
	in, created, err := s.CreateIncident(ctx, newIncident("slack:trigger-1", at))
	if err != nil || !created || in.ID == 0 || in.State != store.IncidentOpen || !in.OpenedAt.Equal(stored(at)) {
		t.Fatalf("create: %+v %v %v", in, created, err)
	}
	again, created, err := s.CreateIncident(ctx, newIncident("slack:trigger-1", at.Add(time.Minute)))
	if err != nil || created || again.ID != in.ID || !again.OpenedAt.Equal(in.OpenedAt) {
		t.Fatalf("the same opening again: %+v %v %v", again, created, err)
	}
	if _, err := s.GetIncidentByIssue(ctx, in.RepoID, 12); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("by issue before it exists: %v", err)
	}
	in.IssueNumber, in.State, in.AckedBy, in.AckedAt = 12, store.IncidentAcknowledged, "@alice", at.Add(5*time.Minute)
	in.SlackChannelID, in.SlackThreadTS, in.TimelineCommentID = "CINC", "1700000000.000100", 9900000001
	up, err := s.UpdateIncident(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetIncidentByIssue(ctx, in.RepoID, 12)
	if err != nil || got != up || got.AckedBy != "@alice" || !got.AckedAt.Equal(stored(in.AckedAt)) || got.TimelineCommentID != 9900000001 {
		t.Fatalf("by issue: %+v %v (updated %+v)", got, err, up)
	}
	if _, err := s.UpdateIncident(ctx, store.Incident{ID: in.ID + 1000, Severity: "P2", State: store.IncidentOpen}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing incident: %v", err)
	}
	other, _, err := s.CreateIncident(ctx, newIncident("slack:trigger-2", at.Add(2*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListIncidents(ctx, in.RepoID, at.Add(time.Hour))
	if err != nil || len(list) != 1 || list[0].ID != other.ID {
		t.Fatalf("incidents since: %+v %v", list, err)
	}
	if all, err := s.ListIncidents(ctx, 0, time.Time{}); err != nil || len(all) != 2 || all[0].ID != in.ID {
		t.Fatalf("all incidents: %+v %v", all, err)
	}

	for i, e := range []store.IncidentEvent{
		{IncidentID: in.ID, At: at, Actor: "slack:U1", Action: "opened", Detail: "P1", DedupKey: "open"},
		{IncidentID: in.ID, At: at.Add(5 * time.Minute), Actor: "@alice", Action: "acknowledged", DedupKey: "d1"},
		{IncidentID: in.ID, At: at.Add(5 * time.Minute), Actor: "@alice", Action: "acknowledged", DedupKey: "d1"},
	} {
		added, err := s.AppendIncidentEvent(ctx, e)
		if err != nil || added != (i < 2) {
			t.Fatalf("event %d: added %v, %v", i, added, err)
		}
	}
	events, err := s.IncidentEvents(ctx, in.ID)
	if err != nil || len(events) != 2 || events[0].Action != "opened" || events[1].Actor != "@alice" {
		t.Fatalf("timeline: %+v %v", events, err)
	}
	if _, err := s.AppendIncidentEvent(ctx, store.IncidentEvent{IncidentID: in.ID, At: at, Action: "x"}); err == nil {
		t.Fatal("an event without a dedup key was recorded")
	}
}

// Alerts are planned, moved, cancelled, claimed once and finished by their
// claim's holder.
func testIncidentAlerts(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := incidentBase
	in, _, err := s.CreateIncident(ctx, newIncident("gh:delivery-7", at))
	if err != nil {
		t.Fatal(err)
	}
	plan := map[string]time.Time{"response-warning": at.Add(12 * time.Minute), "response-breach": at.Add(15 * time.Minute),
		"resolution-breach": at.Add(4 * time.Hour)}
	if err := s.PlanIncidentAlerts(ctx, in.ID, plan); err != nil {
		t.Fatal(err)
	}
	now := at.Add(13 * time.Minute)
	claimed, err := s.ClaimDueIncidentAlerts(ctx, "a", now, lease, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Kind != "response-warning" || claimed[0].Attempts != 1 || claimed[0].LeaseOwner != "a" {
		t.Fatalf("claim at 13 min: %+v %v", claimed, err)
	}
	if again, err := s.ClaimDueIncidentAlerts(ctx, "b", now, lease, 10); err != nil || len(again) != 0 {
		t.Fatalf("a held alert claimed again: %+v %v", again, err)
	}
	w := claimed[0]
	w.SlackTS = "1700000000.000200"
	if err := s.FinishIncidentAlert(ctx, w, "b", store.AlertSent, now, time.Time{}); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("finish by another owner: %v", err)
	}
	if err := s.FinishIncidentAlert(ctx, w, "a", store.AlertSent, now, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Acknowledged: the response timer's breach is cancelled, the sent
	// warning stays; a new severity moves the resolution breach.
	if err := s.PlanIncidentAlerts(ctx, in.ID, map[string]time.Time{"resolution-breach": at.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	alerts, err := s.IncidentAlerts(ctx, in.ID)
	if err != nil || len(alerts) != 3 {
		t.Fatalf("alerts: %+v %v", alerts, err)
	}
	byKind := map[string]store.IncidentAlert{}
	for _, a := range alerts {
		byKind[a.Kind] = a
	}
	if a := byKind["response-warning"]; a.State != store.AlertSent || a.SlackTS != "1700000000.000200" {
		t.Errorf("sent warning: %+v", a)
	}
	if a := byKind["response-breach"]; a.State != store.AlertCancelled {
		t.Errorf("breach after the acknowledgement: %+v", a)
	}
	if a := byKind["resolution-breach"]; a.State != store.AlertPending || !a.DueAt.Equal(stored(at.Add(24*time.Hour))) {
		t.Errorf("moved resolution breach: %+v", a)
	}
	// A cancelled alert planned again is revived; a retry waits.
	if err := s.PlanIncidentAlerts(ctx, in.ID, map[string]time.Time{"response-breach": at.Add(20 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	now = at.Add(21 * time.Minute)
	c, err := s.ClaimDueIncidentAlerts(ctx, "a", now, lease, 10)
	if err != nil || len(c) != 1 || c[0].Kind != "response-breach" || c[0].Attempts != 1 {
		t.Fatalf("revived breach: %+v %v", c, err)
	}
	c[0].LastError = "slack: ratelimited"
	if err := s.FinishIncidentAlert(ctx, c[0], "a", store.AlertPending, now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.ClaimDueIncidentAlerts(ctx, "a", now.Add(30*time.Second), lease, 10); len(c) != 0 {
		t.Fatalf("claimed before its retry time: %+v", c)
	}
	if c, _ := s.ClaimDueIncidentAlerts(ctx, "a", now.Add(time.Minute), lease, 10); len(c) != 1 || c[0].Attempts != 2 || c[0].LastError != "slack: ratelimited" {
		t.Fatalf("retry: %+v", c)
	}
}

// Of concurrent claimers, each due alert goes to exactly one.
func testIncidentAlertsConcurrentClaim(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := incidentBase
	for i := 0; i < 10; i++ {
		in, _, err := s.CreateIncident(ctx, newIncident(fmt.Sprintf("k%d", i), at))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PlanIncidentAlerts(ctx, in.ID, map[string]time.Time{"response-warning": at, "response-breach": at}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := s.ClaimDueIncidentAlerts(ctx, fmt.Sprint("w", w), at.Add(time.Minute), lease, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(c) == 0 {
					return
				}
				mu.Lock()
				for _, a := range c {
					seen[fmt.Sprint(a.IncidentID, a.Kind)]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Fatalf("%d alerts claimed, want 20", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("alert %s claimed %d times", k, n)
		}
	}
}
