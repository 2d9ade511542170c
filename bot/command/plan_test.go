package command

import (
	"reflect"
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/issueform"
)

// plan splits its arguments as issueform.ParsePlanCommand does (which the
// planner uses), so the time, zone and environment a plan command carries
// are the answers the planner would read from the same text.
func TestPlanAgreesWithIssueform(t *testing.T) {
	n := 0
	for _, tc := range commandCases {
		if !strings.HasPrefix(strings.ToLower(tc.in), "plan ") {
			continue
		}
		n++
		args := strings.TrimSpace(tc.in[len("plan "):])
		a, err := issueform.ParsePlanCommand(args)
		if err != nil {
			t.Errorf("issueform.ParsePlanCommand(%q): %v", args, err)
			continue
		}
		got := issueform.Answers{issueform.LabelTime: tc.want.When}
		if tc.want.Zone != "" {
			got[issueform.LabelTimezone] = tc.want.Zone
		}
		if tc.want.Env != "" {
			got[issueform.LabelEnvironment] = tc.want.Env
		}
		if !reflect.DeepEqual(a, got) {
			t.Errorf("plan %q: issueform reads %q, command %q", args, a, got)
		}
	}
	if n < 5 {
		t.Fatalf("only %d plan cases", n)
	}
	// What issueform refuses to read, the command refuses too.
	for _, args := range []string{"", `"2026-12-01 14:00 production`, "2026-12-01 14:00 staging production", "x Europe/Berlin UTC"} {
		if _, err := issueform.ParsePlanCommand(args); err == nil {
			t.Errorf("issueform reads %q", args)
		}
		if r := ParseSlack("plan " + args); r.Command != nil {
			t.Errorf("plan %q = %+v", args, *r.Command)
		}
	}
}
