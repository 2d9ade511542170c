package issueform

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParsePlanCommand(t *testing.T) {
	tests := []struct {
		args string
		want Answers
	}{
		{`2026-12-01 14:00`, Answers{LabelTime: "2026-12-01 14:00"}},
		{`plan 2026-12-01 14:00 production`, Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "production"}},
		{`"2026-12-01 14:00" staging`, Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "staging"}},
		{"\u201c2026-12-01 14:00\u201d  staging ", Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "staging"}},
		{`'2026-12-01 14:00' Europe/Berlin production`, Answers{LabelTime: "2026-12-01 14:00", LabelTimezone: "Europe/Berlin", LabelEnvironment: "production"}},
		{`2026-12-01T14:00:00+01:00 production`, Answers{LabelTime: "2026-12-01T14:00:00+01:00", LabelEnvironment: "production"}},
		{`tomorrow`, Answers{LabelTime: "tomorrow"}},
	}
	for _, tt := range tests {
		got, err := ParsePlanCommand(tt.args)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePlanCommand(%q) = %q, %v; want %q", tt.args, got, err, tt.want)
		}
	}
}

func TestParsePlanCommandErrors(t *testing.T) {
	tests := map[string]string{
		"":                                    "read /golive plan arguments: the go-live time is missing; usage: " + PlanUsage,
		"plan":                                "read /golive plan arguments: the go-live time is missing; usage: " + PlanUsage,
		`"2026-12-01 14:00 production`:        `read /golive plan arguments "\"2026-12-01 14:00 production": a quote is not closed; usage: ` + PlanUsage,
		`2026-12-01 14:00 staging production`: `read /golive plan arguments "2026-12-01 14:00 staging production": unexpected "production" after the environment; usage: ` + PlanUsage,
	}
	for args, want := range tests {
		if _, err := ParsePlanCommand(args); err == nil || err.Error() != want {
			t.Errorf("ParsePlanCommand(%q) error = %v\nwant %s", args, err, want)
		}
	}
}

// The command and the form give the same plan.
func TestPlanCommandAndFormAgree(t *testing.T) {
	cmd, err := ParsePlanCommand(`"2026-12-01 14:00" production`)
	if err != nil {
		t.Fatal(err)
	}
	form := Parse("### Go-live time\n\n2026-12-01 14:00\n\n### Environment\n\nproduction\n\n### Notes\n\n_No response_\n")
	p1, pr1 := cmd.Plan(repoDefaults, testNow)
	p2, pr2 := form.Plan(repoDefaults, testNow)
	if len(pr1)+len(pr2) != 0 || !reflect.DeepEqual(p1, p2) {
		t.Errorf("command %+v %q\nform    %+v %q", p1, pr1, p2, pr2)
	}
	if want := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC); !p1.At.Equal(want) {
		t.Errorf("At = %v, want %v", p1.At, want)
	}
	if strings.Contains(PlanUsage, "\n") {
		t.Error("usage spans lines")
	}
}
