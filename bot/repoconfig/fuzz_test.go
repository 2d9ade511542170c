package repoconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yml")
	files = append(files, "../../docs/golive.example.yml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("version: 1\nenvironments:\n  x: &a\n    <<: [*a, *a]\n"))
	f.Add([]byte("version: 1\nenvironments: &e {x: *e}\n"))
	f.Add([]byte("\t"))
	f.Add([]byte("version: 1\nslack:\n  users: {\"@Alice\": U1AB, alice: S2CD, acme/sre: W3EF}\n"))
	f.Add([]byte("version: 1\nreminders:\n  offsets: [T-90m, T-1h30m, T+0, T-0]\n  grace: 24h0m1s\n"))
	f.Add([]byte("version: 1\nreminders:\n  quiet_hours: {start: \"00:00\", end: \"00:00\"}\n  escalation: [\"@b\", \"@B\", b]\n"))
	f.Add([]byte("version: 1\nreminders: &r\n  quiet_hours: &q {start: \"23:59\", end: \"00:00\", <<: *q}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Decode(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if cfg != nil || len(pe.Problems) == 0 {
				t.Fatalf("config %v with error %v", cfg, err)
			}
			for _, p := range pe.Problems {
				if p.Line < 0 || p.Message == "" {
					t.Fatalf("problem %+v", p)
				}
				// Only the YAML parser may not know the line, and then
				// it is the only problem.
				if p.Line == 0 && (len(pe.Problems) != 1 || !strings.HasPrefix(p.Message, "invalid YAML: ")) {
					t.Fatalf("problem without a line: %+v", pe.Problems)
				}
			}
			return
		}
		if cfg.Version != 1 || strings.TrimSpace(cfg.Label) == "" || cfg.Location() == nil || len(cfg.Environments) == 0 {
			t.Fatalf("invalid config accepted: %+v", cfg)
		}
		for github, id := range cfg.Slack.Users {
			if got, ok := cfg.Slack.SlackID("@" + strings.ToUpper(github)); !githubNameRE.MatchString(github) || !slackUserIDRE.MatchString(id) || !ok || got != id {
				t.Fatalf("invalid slack user accepted: %q: %q", github, id)
			}
		}
		r := cfg.Reminders
		if (r.Offsets != nil && len(r.Offsets) == 0) || (r.Grace != 0 && (r.Grace < minGrace || r.Grace > maxGrace)) ||
			cfg.ReminderRules().Validate() != nil || (r.QuietStart == r.QuietEnd && r.QuietStart != 0) {
			t.Fatalf("invalid reminders accepted: %+v", r)
		}
		seen := map[any]bool{}
		for _, o := range cfg.ReminderOffsets() {
			if seen[o] {
				t.Fatalf("duplicate offset %v accepted", o)
			}
			seen[o] = true
		}
		for _, e := range r.Escalation {
			if !strings.HasPrefix(e, "@") || !githubNameRE.MatchString(e[1:]) || seen[strings.ToLower(e)] {
				t.Fatalf("invalid escalation accepted: %q", r.Escalation)
			}
			seen[strings.ToLower(e)] = true
		}
		for name, e := range cfg.Environments {
			if e.Name != name || !environmentNameRE.MatchString(name) || !workflowRE.MatchString(e.Workflow) || !e.MinRole.Valid() {
				t.Fatalf("invalid environment accepted: %+v", e)
			}
		}
	})
}
