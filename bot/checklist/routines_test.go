package checklist

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestBuiltInRoutines(t *testing.T) {
	want := []string{"daily-morning", "daily-evening", "weekly-monday-planning", "weekly-wednesday-deployments",
		"weekly-friday-review", "monthly-security", "monthly-performance", "monthly-business-review"}
	if got := RoutineIDs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("RoutineIDs() = %v, want %v", got, want)
	}
	// The seed's items, by routine.
	seed := map[string][]string{
		"daily-morning":                {"Review overnight alerts", "Check system health", "Review error logs", "Check backup status", "Review support queue"},
		"daily-evening":                {"Daily metrics summary", "Incident review", "Next day planning", "Team handoff (if global)"},
		"weekly-monday-planning":       {"Review previous week metrics", "Plan deployments", "Security updates review", "Capacity planning"},
		"weekly-wednesday-deployments": {"Deploy non-critical updates", "Database maintenance", "Cache warming", "Performance tuning"},
		"weekly-friday-review":         {"Week metrics summary", "Incident post-mortems", "Documentation updates", "Team retrospective"},
		"monthly-security":             {"Security patches", "Access review", "Certificate renewal check", "Penetration test (quarterly)"},
		"monthly-performance":          {"Database optimization", "Query analysis", "Index review", "Archive old data"},
		"monthly-business-review":      {"Usage analytics", "Feature adoption", "Customer satisfaction", "Cost analysis"},
	}
	for _, r := range Routines() {
		if r.Title == "" {
			t.Errorf("routine %s has no title", r.ID)
		}
		items := r.Template.Items()
		if len(items) != len(seed[r.ID]) {
			t.Errorf("routine %s has %d items, want %d", r.ID, len(items), len(seed[r.ID]))
			continue
		}
		for i, it := range items {
			if !strings.HasPrefix(it.Text, seed[r.ID][i]) {
				t.Errorf("routine %s item %d = %q, want the seed's %q", r.ID, i+1, it.Text, seed[r.ID][i])
			}
			if !strings.HasPrefix(it.ID, r.Template.Phases[0].ID+".") {
				t.Errorf("routine %s item id %q", r.ID, it.ID)
			}
		}
	}
	if _, ok := RoutineByID("daily-morning"); !ok {
		t.Error("RoutineByID(daily-morning)")
	}
	if _, ok := RoutineByID("hourly-panic"); ok {
		t.Error("RoutineByID found an unknown routine")
	}
}

func phasesNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "phases" {
			return m.Content[i+1]
		}
	}
	t.Fatal("no phases")
	return nil
}

func TestParseRoutinePhases(t *testing.T) {
	tmpl, problems := ParseRoutinePhases(phasesNode(t, `# line 1
phases:
  - name: Checks
    items:
      - text: Look at the dashboards
        owner: "@acme/sre"
      - id: logs
        text: Read the logs
        required: false
`))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(tmpl.Phases) != 1 || tmpl.Phases[0].ID != "checks" || len(tmpl.Phases[0].Items) != 2 ||
		tmpl.Phases[0].Items[1].ID != "logs" || tmpl.Phases[0].Items[1].Required || tmpl.Phases[0].Items[0].Owner != "@acme/sre" {
		t.Errorf("template %+v", tmpl)
	}

	_, problems = ParseRoutinePhases(phasesNode(t, `x: 1
phases:
  - name: Checks
    offset: T-1d
    itmes: []
    items:
      - txt: hello
  - name: Checks
    items: [{text: a}]
  - nope
`))
	want := []NodeProblem{
		{4, "phase 1: routines have no offset (each run's checklist is due by the schedule's end of day): remove it"},
		{5, `unknown field "itmes" in phase 1 (known: id, name, items)`},
		{7, `unknown field "txt" in phase "Checks" item 1 (known: id, text, owner, required)`},
		{7, `phase "Checks" item 1: missing field "text"`},
		{8, `duplicate phase name "Checks" (first at line 3)`},
		{8, `duplicate id "checks" (first used at line 3): ids must be unique across the template`},
		{10, `phase 3 must be a mapping, found "nope"`},
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems:\n%v\nwant\n%v", problems, want)
	}
	if _, problems := ParseRoutinePhases(phasesNode(t, "phases: []\n")); len(problems) != 1 || !strings.Contains(problems[0].Message, "empty") {
		t.Errorf("empty phases: %v", problems)
	}
}

func TestRenderRoutineReadsBack(t *testing.T) {
	r, _ := RoutineByID("daily-evening")
	body := "intro\n\n" + RenderRoutine(r.Template, map[string]bool{"evening.metrics": true})
	if !strings.Contains(body, "\n### Evening review\n\n- [x] Daily metrics summary — Ops lead <!-- golive:item:evening.metrics -->\n") ||
		!strings.Contains(body, "- [ ] _(optional)_ Team handoff (if global) — On-call engineer <!-- golive:item:evening.handoff -->") {
		t.Errorf("rendered:\n%s", body)
	}
	tasks := ParseTaskList(body)
	if len(tasks) != 4 || !tasks[0].Checked || tasks[1].Checked || tasks[0].Phase != "Evening review" ||
		tasks[3].ID != "evening.handoff" || tasks[3].Text != "Team handoff (if global)" || tasks[3].Owner != "On-call engineer" {
		t.Errorf("read back %+v", tasks)
	}
}
