package checklist

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

func TestDefaultParsesWithExplicitIDs(t *testing.T) {
	tp := Default()
	// Every phase and item carries an explicit id in the YAML (derived ids
	// would change with the wording).
	var raw struct {
		Phases []struct {
			ID    string `yaml:"id"`
			Items []struct {
				ID string `yaml:"id"`
			} `yaml:"items"`
		} `yaml:"phases"`
	}
	if err := yaml.Unmarshal(DefaultYAML(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Phases) != len(tp.Phases) {
		t.Fatalf("%d raw phases, %d parsed", len(raw.Phases), len(tp.Phases))
	}
	ids := map[string]bool{}
	for i, ph := range tp.Phases {
		if raw.Phases[i].ID != ph.ID || ph.ID == "" {
			t.Errorf("phase %q has no explicit id", ph.Name)
		}
		for j, it := range ph.Items {
			if raw.Phases[i].Items[j].ID != it.ID || it.ID == "" {
				t.Errorf("item %q has no explicit id", it.Text)
			}
			if ids[it.ID] {
				t.Errorf("duplicate id %q", it.ID)
			}
			ids[it.ID] = true
			if it.Owner == "" {
				t.Errorf("item %q has no owner", it.ID)
			}
		}
	}
	// DefaultYAML returns a copy.
	y := DefaultYAML()
	y[0] = 'X'
	if DefaultYAML()[0] == 'X' {
		t.Error("DefaultYAML exposes the embedded bytes")
	}
}

func TestDefaultRendersWellUnderTheLimit(t *testing.T) {
	tp := Default()
	golive := time.Date(2026, 12, 1, 14, 0, 0, 0, mustLoc(t, "Europe/Berlin"))
	all := map[string]bool{}
	for _, it := range tp.Items() {
		all[it.ID] = true
	}
	r := Render(tp, golive, all)
	n := utf8.RuneCountInString(r)
	t.Logf("default template: %d phases, %d items, rendered %d characters (%d bytes), %.0f %% of GitHub's limit",
		len(tp.Phases), len(tp.Items()), n, len(r), 100*float64(n)/MaxBodyChars)
	// Room to spare: the form answers and hand-added items need space too.
	if n > MaxBodyChars/2 {
		t.Errorf("rendered default checklist has %d characters, more than half of %d", n, MaxBodyChars)
	}
	body, err := ApplyToBody("### Service\n\npayments-api\n", r)
	if err != nil {
		t.Fatal(err)
	}
	tasks := ParseTaskList(body)
	if len(tasks) != len(tp.Items()) {
		t.Fatalf("read back %d tasks, want %d", len(tasks), len(tp.Items()))
	}
	items := tp.Items()
	for i, tk := range tasks {
		if tk.ID != items[i].ID || tk.Text != items[i].Text || tk.Owner != items[i].Owner || !tk.Checked || tk.Manual {
			t.Errorf("task %d = %+v, want item %+v", i, tk, items[i])
		}
	}
	if r := Evaluate(tp, golive, tasks); !r.Ready || r.Decision() != DecisionReady {
		t.Errorf("all ticked but %s: %+v", r.Decision(), r.Blocking)
	}
}

func TestDefaultCoversTheProcess(t *testing.T) {
	tp := Default()
	byID := map[string]Phase{}
	for _, ph := range tp.Phases {
		byID[ph.ID] = ph
	}
	for _, tc := range []struct{ phase, offset string }{
		{"pre-infra", "T-7d"}, {"pre-security", "T-7d"}, {"pre-monitoring", "T-7d"}, {"pre-code", "T-7d"},
		{"pre-database", "T-7d"}, {"pre-api", "T-7d"}, {"pre-legal", "T-7d"}, {"pre-support", "T-7d"},
		{"comms-plan", "T-7d"},
		{"qa-functional", "T-3d"}, {"qa-flows", "T-3d"}, {"qa-load", "T-3d"}, {"qa-security", "T-3d"},
		{"config", "T-1d"}, {"rollback-plan", "T-1d"}, {"comms-reminders", "T-1d"},
		{"final-checks", "T-2h"}, {"sign-off", "T-1h"}, {"maintenance", "T-30m"}, {"migration", "T-20m"},
		{"deploy", "T-10m"}, {"verify", "T+10m"}, {"go-live", "T+30m"},
		{"rollback-triggers", "T+1h"}, {"post-launch", "T+1d"}, {"handoff", "T+1d"},
	} {
		ph, ok := byID[tc.phase]
		if !ok {
			t.Errorf("no phase %q", tc.phase)
			continue
		}
		if ph.Offset.String() != tc.offset {
			t.Errorf("phase %q at %s, want %s", tc.phase, ph.Offset, tc.offset)
		}
		required := 0
		for _, it := range ph.Items {
			if it.Required {
				required++
			}
		}
		if required == 0 {
			t.Errorf("phase %q has no required item", tc.phase)
		}
	}
	if len(byID) != 26 {
		t.Errorf("%d phases, want the 26 above", len(byID))
	}

	text := map[string]string{}
	optional := 0
	for _, ph := range tp.Phases {
		for _, it := range ph.Items {
			text[it.ID] = it.Text
			if !it.Required {
				optional++
				if ph.ID == "sign-off" {
					t.Errorf("sign-off item %q is optional", it.ID)
				}
			}
		}
	}
	if optional < 5 || optional > len(text)/5 {
		t.Errorf("%d of %d items optional: want a small subset", optional, len(text))
	}
	// The seeds' targets and thresholds.
	for id, want := range map[string][]string{
		"load.100-users":                {"100 concurrent users", "200 ms"},
		"load.1000-users":               {"1000 concurrent users", "500 ms"},
		"load.db-p95":                   {"50 ms", "p95"},
		"load.api-p95":                  {"200 ms", "p95"},
		"mon.alert-error-rate":          {"1 %"},
		"mon.alert-latency":             {"500 ms"},
		"mon.alert-resources":           {"80 %"},
		"trigger.error-rate":            {"5 %"},
		"trigger.response-time":         {"2 s"},
		"trigger.database":              {"database connection failures"},
		"trigger.data-corruption":       {"data corruption"},
		"rollback.steps":                {"maintenance mode", "previous version", "restored from backup", "caches cleared"},
		"config.database-url":           {"DATABASE_URL"},
		"verify.api-latency":            {"p50", "p95", "p99"},
		"signoff.technical.tests":       {"Technical"},
		"signoff.operational.rollback":  {"Operational"},
		"signoff.business.features":     {"Business"},
		"deploy.production":             {"production"},
		"maint.page":                    {"Maintenance page"},
		"migrate.run":                   {"Migration scripts"},
		"post.first-hours":              {"every 15 minutes"},
		"handoff.known-issues":          {"workaround"},
		"comms.users-announcement":      {"maintenance window"},
		"pentest.sql-injection":         {"SQL injection"},
		"flows.revenue":                 {"end to end"},
		"legal.data-protection":         {"GDPR"},
		"infra.database-cluster":        {"replicas"},
		"sec.audit":                     {"OWASP"},
		"code.vulnerabilities":          {"critical security vulnerabilities"},
		"api.webhooks":                  {"signatures"},
		"support.escalation":            {"Escalation"},
		"signoff.operational.on-call":   {"on-call"},
		"signoff.business.slas":         {"service level agreements"},
		"signoff.technical.performance": {"benchmarks"},
	} {
		got, ok := text[id]
		if !ok {
			t.Errorf("no item %q", id)
			continue
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("item %q = %q, lacks %q", id, got, w)
			}
		}
	}

	// Generic: no product, vendor or seed-specific names.
	banned := regexp.MustCompile(`(?i)\b(erp|crm|weathercraft|stripe|brainops|supabase|openai|anthropic|claude|langgraph|sentry|redis|pagerduty|splunk|elk|celery|fastapi|docker|postgres(ql)?|alembic|render\.com|opportunity)\b|lead\s*(→|->)`)
	if m := banned.FindAllString(string(DefaultYAML()), -1); len(m) > 0 {
		t.Errorf("default.yml names specific products or flows: %q", m)
	}
}
