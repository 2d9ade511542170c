package metrics

import "github.com/prometheus/client_golang/prometheus"

// Outcomes of a deploy or rollback dispatch (golive_dispatches_total).
const (
	// DispatchDispatched: GitHub accepted the workflow dispatch.
	DispatchDispatched = "dispatched"
	// DispatchRefused: golive refused the command (role, allowlist,
	// readiness, a lock, an unknown ref, …); nothing was dispatched.
	DispatchRefused = "refused"
	// DispatchFailed: GitHub refused the dispatch (say the workflow is
	// missing), or the command failed for good.
	DispatchFailed = "failed"
)

// Conclusions of a dispatched run (golive_deploy_runs_total).
const (
	RunSuccess   = "success"
	RunFailure   = "failure"
	RunCancelled = "cancelled"
	// RunTimedOut: no run of the dispatch appeared in time.
	RunTimedOut = "timed_out"
)

// Outcomes of an incident SLA alert (golive_incident_alerts_total).
const (
	AlertSent = "sent"
	// AlertFailed: Slack refused the alert for good, or it was tried too
	// often; it is not sent.
	AlertFailed = "failed"
)

// Outcomes of a scheduled run (golive_schedule_runs_total).
const (
	ScheduleRunOpened = "opened"
	// ScheduleRunFailed: GitHub or Slack refused the run for good.
	ScheduleRunFailed = "failed"
)

// deployKinds are the kinds of dispatch (bot/deploy's KindDeploy and
// KindRollback).
var deployKinds = []string{"deploy", "rollback"}

// addOperations builds and registers the operations' counters. Series with
// a fixed set of labels start at zero, so an alert on their increase sees
// the first one.
func (m *Metrics) addOperations() {
	m.Dispatches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "golive_dispatches_total",
		Help: "Deploy and rollback workflow dispatches, by kind (deploy, rollback) and outcome (dispatched, refused, failed).",
	}, []string{"kind", "outcome"})
	m.DeployRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "golive_deploy_runs_total",
		Help: "Dispatched deploy and rollback runs that ended, by kind and conclusion (success, failure, cancelled, timed_out).",
	}, []string{"kind", "conclusion"})
	m.Incidents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "golive_incidents_opened_total",
		Help: "Incidents opened, by severity.",
	}, []string{"severity"})
	m.IncidentAlerts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "golive_incident_alerts_total",
		Help: "Incident SLA alerts, by kind (response-warning, response-breach, resolution-warning, resolution-breach) and outcome (sent, failed).",
	}, []string{"kind", "outcome"})
	m.ScheduleRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "golive_schedule_runs_total",
		Help: "Runs of recurring operations schedules, by outcome (opened, failed).",
	}, []string{"outcome"})
	for _, kind := range deployKinds {
		for _, o := range []string{DispatchDispatched, DispatchRefused, DispatchFailed} {
			m.Dispatches.WithLabelValues(kind, o)
		}
		for _, c := range []string{RunSuccess, RunFailure, RunCancelled, RunTimedOut} {
			m.DeployRuns.WithLabelValues(kind, c)
		}
	}
	for _, o := range []string{ScheduleRunOpened, ScheduleRunFailed} {
		m.ScheduleRuns.WithLabelValues(o)
	}
	m.Registry.MustRegister(m.Dispatches, m.DeployRuns, m.Incidents, m.IncidentAlerts, m.ScheduleRuns)
}

// Dispatch counts a deploy or rollback command's outcome. Like the other
// methods here it does nothing on a nil *Metrics, so services may leave
// their Metrics unset.
func (m *Metrics) Dispatch(kind, outcome string) {
	if m != nil {
		m.Dispatches.WithLabelValues(kind, outcome).Inc()
	}
}

// DeployRunEnded counts a dispatched run's end.
func (m *Metrics) DeployRunEnded(kind, conclusion string) {
	if m != nil {
		m.DeployRuns.WithLabelValues(kind, conclusion).Inc()
	}
}

// IncidentOpened counts an incident opened.
func (m *Metrics) IncidentOpened(severity string) {
	if m != nil {
		m.Incidents.WithLabelValues(severity).Inc()
	}
}

// IncidentAlert counts an SLA alert sent or given up on.
func (m *Metrics) IncidentAlert(kind, outcome string) {
	if m != nil {
		m.IncidentAlerts.WithLabelValues(kind, outcome).Inc()
	}
}

// ScheduleRun counts a scheduled run opened or failed.
func (m *Metrics) ScheduleRun(outcome string) {
	if m != nil {
		m.ScheduleRuns.WithLabelValues(outcome).Inc()
	}
}
