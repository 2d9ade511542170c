package checklist

import (
	_ "embed"
	"fmt"
)

//go:embed default.yml
var defaultYAML []byte

// DefaultYAML returns a copy of the default template's YAML source, for
// teams that want to start their own template from it.
func DefaultYAML() []byte {
	return append([]byte(nil), defaultYAML...)
}

// Default returns golive's default go-live process (default.yml, embedded):
// pre-launch at T-7d (infrastructure, security hardening, monitoring and
// alerting, code quality, database, API and integrations, legal and
// compliance, support and operations, communication plan), QA at T-3d
// (functional, business flows, load and stress, security), configuration
// and environment, rollback procedure and reminders at T-1d, the go-live
// day (final checks T-2h, final sign-off T-1h, maintenance mode T-30m,
// database migration T-20m, deployment and smoke tests T-10m,
// post-deployment verification T+10m, go live T+30m), rollback triggers at
// T+1h, and post-launch monitoring and handoff at T+1d. Every phase and item
// has a stable id. Each call returns a new Template.
func Default() Template {
	t, err := Parse(defaultYAML)
	if err != nil {
		// default.yml is part of the binary and tested; this cannot happen
		// in a build whose tests pass.
		panic(fmt.Sprintf("checklist: parse embedded default.yml: %v", err))
	}
	return t
}
