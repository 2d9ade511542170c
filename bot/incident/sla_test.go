package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

func mustConfig(t *testing.T, yml string) *repoconfig.Config {
	t.Helper()
	cfg, err := repoconfig.Decode([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestSeedTimers(t *testing.T) {
	cfg := mustConfig(t, "version: 1\n")
	opened := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	in := store.Incident{Severity: "P1", State: store.IncidentOpen, OpenedAt: opened}
	got := Alerts(in, cfg)
	want := map[string]time.Time{
		ResponseWarning:   opened.Add(12 * time.Minute),
		ResponseBreach:    opened.Add(15 * time.Minute),
		ResolutionWarning: opened.Add(3*time.Hour + 12*time.Minute), // a fifth of 4 h before
		ResolutionBreach:  opened.Add(4 * time.Hour),
	}
	if len(got) != len(want) {
		t.Fatalf("alerts %v, want %v", got, want)
	}
	for k, w := range want {
		if !got[k].Equal(w) {
			t.Errorf("%s at %s, want %s", k, got[k], w)
		}
	}
	// Acknowledged: only the resolution timer runs; resolved: none.
	in.State = store.IncidentAcknowledged
	if got := Alerts(in, cfg); len(got) != 2 || !got[ResolutionBreach].Equal(opened.Add(4*time.Hour)) {
		t.Errorf("acknowledged: %v", got)
	}
	in.State = store.IncidentResolved
	if got := Alerts(in, cfg); len(got) != 0 {
		t.Errorf("resolved: %v", got)
	}
	// P0's five minutes warn one minute before.
	in = store.Incident{Severity: "P0", State: store.IncidentOpen, OpenedAt: opened}
	if got := Alerts(in, cfg); !got[ResponseWarning].Equal(opened.Add(4*time.Minute)) || !got[ResponseBreach].Equal(opened.Add(5*time.Minute)) {
		t.Errorf("P0: %v", got)
	}
}

func TestConfiguredTargetsAndBusinessHours(t *testing.T) {
	cfg := mustConfig(t, `version: 1
timezone: Europe/Berlin
incidents:
  sla:
    P1: {response: 10m, resolution: 2h}
  business_hours: {start: "09:00", end: "17:00"}
`)
	// Friday 16:30 Berlin (15:30 UTC): a P2's one-hour response counts the
	// half hour left on Friday and half an hour on Monday morning.
	fri := time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC)
	d := DeadlinesOf(store.Incident{Severity: "P2", State: store.IncidentOpen, OpenedAt: fri}, cfg)
	if want := time.Date(2026, 11, 30, 8, 30, 0, 0, time.UTC); !d.Response.Equal(want) {
		t.Errorf("P2 response due %s, want Monday 09:30 Berlin (%s)", d.Response, want)
	}
	// P1 counts every hour, with the configured targets.
	d = DeadlinesOf(store.Incident{Severity: "P1", State: store.IncidentOpen, OpenedAt: fri}, cfg)
	if !d.Response.Equal(fri.Add(10*time.Minute)) || !d.Resolution.Equal(fri.Add(2*time.Hour)) {
		t.Errorf("P1 deadlines %+v", d)
	}
	// Opened on Saturday: the clock starts Monday 09:00.
	sat := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	d = DeadlinesOf(store.Incident{Severity: "P3", State: store.IncidentOpen, OpenedAt: sat}, cfg)
	if want := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC); !d.Response.Equal(want) {
		t.Errorf("P3 response due %s, want Monday 13:00 Berlin", d.Response)
	}
}

func TestBusinessHoursAcrossDST(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	h := Hours{Start: 9 * time.Hour, End: 17 * time.Hour, Loc: berlin}
	// Friday 16:00 before the October change; two business hours end
	// Monday 10:00 local, which is 09:00 UTC after the change.
	fri := time.Date(2026, 10, 23, 16, 0, 0, 0, berlin)
	if got, want := h.Add(fri, 2*time.Hour), time.Date(2026, 10, 26, 10, 0, 0, 0, berlin); !got.Equal(want) {
		t.Errorf("got %s, want %s", got.In(berlin), want)
	}
}

func TestIncidentsConfigErrors(t *testing.T) {
	for yml, want := range map[string]string{
		"incidents:\n  sla:\n    P1: {response: 15}\n":                       "has no unit",
		"incidents:\n  sla:\n    P1: {response: 5h, resolution: 1h}\n":       "later than the resolution target",
		"incidents:\n  sla:\n    P5: {response: 5m}\n":                       "P5",
		"incidents:\n  business_hours: {start: \"17:00\", end: \"09:00\"}\n": "start is not before end",
		"incidents:\n  oncall: everyone\n":                                   "not a person, team or Slack user group",
		"incidents:\n  channel: incidents\n":                                 "not a Slack channel",
		"incidents:\n  open_on_rollback: high\n":                             "not a severity",
	} {
		_, err := repoconfig.Decode([]byte("version: 1\n" + yml))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want it to mention %q", yml, err, want)
		}
	}
}
