package tracking

import (
	"context"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

// TemplateFor is the checklist template a repository's configuration asks
// for: the built-in one, the configured phases instead of it, or (extend)
// the built-in phases followed by the configured ones.
func TemplateFor(cfg *repoconfig.Config) (checklist.Template, error) {
	if cfg.Template == nil || cfg.Template.Phases.Kind == 0 {
		return checklist.Default(), nil
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "phases"}, &cfg.Template.Phases}}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return checklist.Template{}, fmt.Errorf("read the template in .github/golive.yml: %w", err)
	}
	own, err := checklist.Parse(data)
	if err != nil {
		return checklist.Template{}, fmt.Errorf("the template in `.github/golive.yml` is invalid: %w", err)
	}
	if !cfg.Template.Extend {
		return own, nil
	}
	// Extending re-validates the whole, so ids stay unique across both parts.
	both, err := yaml.Marshal(map[string]any{"phases": append(phasesYAML(checklist.Default()), phasesYAML(own)...)})
	if err != nil {
		return checklist.Template{}, fmt.Errorf("extend the built-in template: %w", err)
	}
	t, err := checklist.Parse(both)
	if err != nil {
		return checklist.Template{}, fmt.Errorf("the template in `.github/golive.yml` does not extend the built-in one: %w", err)
	}
	return t, nil
}

func phasesYAML(t checklist.Template) []map[string]any {
	out := make([]map[string]any, 0, len(t.Phases))
	for _, p := range t.Phases {
		items := make([]map[string]any, 0, len(p.Items))
		for _, it := range p.Items {
			m := map[string]any{"id": it.ID, "text": it.Text, "required": it.Required}
			if it.Owner != "" {
				m["owner"] = it.Owner
			}
			items = append(items, m)
		}
		out = append(out, map[string]any{"id": p.ID, "name": p.Name, "offset": p.Offset.String(), "items": items})
	}
	return out
}

// maxBlockersShown bounds the open items the tracker lists.
const maxBlockersShown = 10

// trackerBody renders the tracker comment: progress per phase with its due
// time in the go-live's zone, the decision and what blocks it, and the last
// re-plan.
func (s *Service) trackerBody(ctx context.Context, g store.GoLive, tmpl checklist.Template, tasks []checklist.Task) (string, error) {
	loc := location(g.Timezone)
	at := g.At.In(loc)
	r := checklist.Evaluate(tmpl, at, tasks)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Go-live tracker: %s at %s\n\n", trackerMarker, g.Environment, formatTime(at))
	if r.Ready {
		fmt.Fprintf(&b, "**%s** — every required item is done (%d of %d items).\n\n", r.Decision(), r.Done, r.Total)
	} else {
		fmt.Fprintf(&b, "**%s** — %d required items open (%d of %d items done).\n\n", r.Decision(), len(r.Blocking), r.Done, r.Total)
	}
	b.WriteString("| Phase | Due | Done | Required open |\n|---|---|---|---|\n")
	for _, p := range r.Phases {
		open := "—"
		if n := len(p.RequiredOpen); n > 0 {
			open = fmt.Sprint(n)
			if owners := ownersOf(p.RequiredOpen); owners != "" {
				open += " (" + owners + ")"
			}
		}
		fmt.Fprintf(&b, "| %s (%s) | %s | %d/%d | %s |\n", escapeCell(p.Name), p.Offset, formatTime(p.Due.In(loc)), p.Done, p.Total, open)
	}
	if len(r.Blocking) > 0 {
		b.WriteString("\n**Blocking:**\n")
		for i, t := range r.Blocking {
			if i == maxBlockersShown {
				fmt.Fprintf(&b, "- …and %d more\n", len(r.Blocking)-maxBlockersShown)
				break
			}
			line := "- " + t.Text
			if t.Owner != "" {
				line += " — " + t.Owner
			}
			b.WriteString(line + "\n")
		}
	}
	replan, ok, err := s.Store.LatestAudit(ctx, g.ID, "replan")
	if err != nil {
		return "", err
	}
	if ok {
		fmt.Fprintf(&b, "\n_Re-planned by @%s: %s._\n", replan.Actor, replan.Detail)
	}
	lines, err := s.reminderLines(ctx, g)
	if err != nil {
		return "", err
	}
	b.WriteString(lines)
	return b.String(), nil
}

func ownersOf(tasks []checklist.Task) string {
	seen := map[string]bool{}
	var owners []string
	for _, t := range tasks {
		if t.Owner != "" && !seen[t.Owner] {
			seen[t.Owner] = true
			owners = append(owners, t.Owner)
		}
	}
	if len(owners) > 3 {
		owners = append(owners[:3], "…")
	}
	return strings.Join(owners, ", ")
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func progressLine(items []store.Item) string {
	done := 0
	for _, it := range items {
		if it.Checked {
			done++
		}
	}
	return fmt.Sprintf("%d of %d checklist items were done.", done, len(items))
}
