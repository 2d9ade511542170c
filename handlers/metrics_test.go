package handlers_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/incident"
	"github.com/golive-dev/golive/bot/metrics"
)

// withMetrics counts the rig's deploys and incidents on a fresh registry.
// Set before the first event, so the workers see it.
func (tr *trackingRig) withMetrics() *metrics.Metrics {
	m := metrics.New()
	tr.cmds.Metrics, tr.incs.Metrics = m, m
	return m
}

// lastRun is the run the latest dispatch started.
func (tr *trackingRig) lastRun(t *testing.T) fakegithub.WorkflowRun {
	t.Helper()
	ds := tr.gh.Dispatches()
	if len(ds) == 0 {
		t.Fatal("nothing was dispatched")
	}
	for _, r := range tr.gh.WorkflowRuns(trackedRepo) {
		if r.ID == ds[len(ds)-1].RunID {
			return r
		}
	}
	t.Fatalf("no run for dispatch %+v", ds[len(ds)-1])
	return fakegithub.WorkflowRun{}
}

// golive_dispatches_total counts deploys and rollbacks dispatched, refused
// and failed; golive_deploy_runs_total counts how their runs ended.
func TestDeployMetrics(t *testing.T) {
	tr := newTrackingRig(t)
	m := tr.withMetrics()
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 30, Title: "Release"})
	dispatches := func(kind, outcome string) float64 {
		return testutil.ToFloat64(m.Dispatches.WithLabelValues(kind, outcome))
	}
	runs := func(kind, conclusion string) float64 {
		return testutil.ToFloat64(m.DeployRuns.WithLabelValues(kind, conclusion))
	}

	// Refused: a read user's deploy, and a rollback with nothing to roll
	// back to.
	tr.command(t, 30, "rita", "read", "/golive deploy staging")
	tr.command(t, 30, "walt", "write", "/golive rollback staging")
	tr.settle(t)
	if d, r := dispatches("deploy", metrics.DispatchRefused), dispatches("rollback", metrics.DispatchRefused); d != 1 || r != 1 {
		t.Fatalf("refused: deploy %v, rollback %v; want 1 each", d, r)
	}

	// Dispatched three times; the runs end in success, failure and
	// cancellation, each counted once (a second completion of the same run
	// changes nothing).
	for _, conclusion := range []string{"success", "failure", "cancelled"} {
		tr.command(t, 30, "walt", "write", "/golive deploy staging")
		tr.settle(t)
		run := tr.lastRun(t)
		tr.completeRun(t, run, conclusion)
		tr.settle(t)
		if conclusion == "success" {
			tr.completeRun(t, run, "failure")
			tr.settle(t)
		}
	}
	if n := dispatches("deploy", metrics.DispatchDispatched); n != 3 {
		t.Fatalf("dispatched %v, want 3", n)
	}
	for _, c := range []string{metrics.RunSuccess, metrics.RunFailure, metrics.RunCancelled} {
		if n := runs("deploy", c); n != 1 {
			t.Errorf("runs ended %s: %v, want 1", c, n)
		}
	}

	// Failed: GitHub refuses to dispatch a workflow that does not exist.
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", "version: 1\nenvironments:\n  staging:\n    workflow: missing.yml\n")
	tr.command(t, 30, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	if f, r := dispatches("deploy", metrics.DispatchFailed), dispatches("deploy", metrics.DispatchRefused); f != 1 || r != 1 {
		t.Fatalf("after a missing workflow: failed %v, refused %v; want 1, 1", f, r)
	}

	// Timed out: a run golive cannot find is reported after RunTimeout.
	tr.gh.AddWorkflow(trackedRepo, fakegithub.Workflow{Path: ".github/workflows/anonymous.yml", Inputs: deployInputs, RunName: "deploy"})
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", "version: 1\nenvironments:\n  staging:\n    workflow: anonymous.yml\n")
	tr.command(t, 30, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	tr.clock.Advance(11 * time.Minute)
	if err := tr.cmds.SweepRuns(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, d := runs("deploy", metrics.RunTimedOut), dispatches("deploy", metrics.DispatchDispatched); n != 1 || d != 4 {
		t.Fatalf("timed out %v, dispatched %v; want 1, 4", n, d)
	}
}

// golive_incidents_opened_total counts incidents by severity, and
// golive_incident_alerts_total the SLA alerts sent by kind.
func TestIncidentMetrics(t *testing.T) {
	tr := newTrackingRig(t)
	m := tr.withMetrics()
	tr.storeInstallation(t)
	tr.gh.PutFile(trackedRepo, ".github/golive.yml", incidentConfig)

	in := tr.openIncidentFromSlack(t, "P1", "checkout is down")
	if n := testutil.ToFloat64(m.Incidents.WithLabelValues("P1")); n != 1 {
		t.Fatalf("incidents opened P1: %v, want 1", n)
	}
	sent := func(kind string) float64 {
		return testutil.ToFloat64(m.IncidentAlerts.WithLabelValues(kind, metrics.AlertSent))
	}
	if n := tr.sendAlertsAt(t, in, 12*time.Minute+30*time.Second); n != 1 || sent(incident.ResponseWarning) != 1 {
		t.Fatalf("%d alerts at 12.5 min, counted %v; want the response warning once", n, sent(incident.ResponseWarning))
	}
	if n := tr.sendAlertsAt(t, in, 15*time.Minute+time.Second); n != 1 || sent(incident.ResponseBreach) != 1 || sent(incident.ResponseWarning) != 1 {
		t.Fatalf("%d alerts at 15 min: warning %v, breach %v; want 1 each", n, sent(incident.ResponseWarning), sent(incident.ResponseBreach))
	}
	if n := testutil.CollectAndCount(m.Incidents); n != 1 {
		t.Fatalf("%d incident series, want P1 only", n)
	}
}
