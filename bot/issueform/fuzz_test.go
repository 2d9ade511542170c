package issueform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("### Go-live time\n\n2026-12-01 14:00\n\n### Environment\n\nproduction\n\n### Notes\n\n_No response_")
	f.Add("### A\r\n```\r\n### B\r\n~~~\r\n```\r\n# C\n### D ###\n")
	f.Add("   ### \t#\n####### x\n```` \n```\n")
	files, _ := filepath.Glob("../../testdata/github/webhooks/issues/*.json")
	for _, file := range files {
		var payload struct {
			Issue struct{ Body string } `json:"issue"`
		}
		if data, err := os.ReadFile(file); err == nil && json.Unmarshal(data, &payload) == nil {
			f.Add(payload.Issue.Body)
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		a := Parse(body)
		for k, v := range a {
			if k == "" || k != strings.TrimSpace(k) || strings.ContainsAny(k, "\r\n") {
				t.Fatalf("heading %q", k)
			}
			if v != strings.TrimSpace(v) || v == NoResponse || strings.Contains(v, "\r") {
				t.Fatalf("answer %q for %q", v, k)
			}
		}
		// Plan and the command parser must not panic on anything either.
		a.Plan(repoDefaults, testNow)
		if cmd, err := ParsePlanCommand(body); err == nil {
			cmd.Plan(Defaults{}, testNow)
		}
	})
}
