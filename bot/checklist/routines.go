package checklist

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// A routine is a recurring operations checklist (a daily morning check, a
// weekly review…): phases of items without offsets, opened as an issue or
// posted to Slack on a schedule. Its checklist is rendered and read back like
// a go-live's, in the same marked block, so the same task-list code tracks
// its ticks.

//go:embed routines.yml
var routinesYAML []byte

// Routine is a built-in recurring checklist.
type Routine struct {
	// ID names the routine in a schedule's "routine" field.
	ID string
	// Title is the default title of its runs' issues.
	Title    string
	Template Template
}

// NodeProblem is one problem in YAML read from a node of a larger document,
// at the line of that document it is on.
type NodeProblem struct {
	Line    int
	Message string
}

// RoutineIDs returns the ids of the built-in routines, in routines.yml's
// order: daily-morning, daily-evening, weekly-monday-planning,
// weekly-wednesday-deployments, weekly-friday-review, monthly-security,
// monthly-performance, monthly-business-review.
func RoutineIDs() []string {
	rs := Routines()
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// Routines returns the built-in routines (routines.yml, embedded): the
// seed's "Ongoing Operations", daily, weekly and monthly. Each call returns
// new values.
func Routines() []Routine {
	rs, err := parseRoutines(routinesYAML)
	if err != nil {
		// routines.yml is part of the binary and tested.
		panic(fmt.Sprintf("checklist: parse embedded routines.yml: %v", err))
	}
	return rs
}

// RoutineByID returns the built-in routine with this id.
func RoutineByID(id string) (Routine, bool) {
	for _, r := range Routines() {
		if r.ID == id {
			return r, true
		}
	}
	return Routine{}, false
}

func parseRoutines(data []byte) ([]Routine, error) {
	var top struct {
		Routines []struct {
			ID     string    `yaml:"id"`
			Title  string    `yaml:"title"`
			Phases yaml.Node `yaml:"phases"`
		} `yaml:"routines"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&top); err != nil {
		return nil, err
	}
	var out []Routine
	seen := map[string]bool{}
	for _, r := range top.Routines {
		if r.ID == "" || r.Title == "" || seen[r.ID] {
			return nil, fmt.Errorf("routine %q: an id (unique) and a title are required", r.ID)
		}
		seen[r.ID] = true
		t, problems := ParseRoutinePhases(&r.Phases)
		if len(problems) > 0 {
			return nil, fmt.Errorf("routine %q: line %d: %s", r.ID, problems[0].Line, problems[0].Message)
		}
		out = append(out, Routine{ID: r.ID, Title: r.Title, Template: t})
	}
	return out, nil
}

// routinePhaseFields are the keys of a routine's phase.
var routinePhaseFields = []string{"id", "name", "items"}

// ParseRoutinePhases reads a routine's phases from n, the YAML value of a
// "phases" key in a larger document, checking them as Parse does a
// template's (ids, names, texts, owners, required; see Parse) except that
// phases have no "offset": a routine's checklist is due by its run's end of
// day. Problems are at the document's lines, in line order, at most 50.
func ParseRoutinePhases(n *yaml.Node) (Template, []NodeProblem) {
	p := &parser{ids: map[string]int{}, names: map[string]int{}}
	var t Template
	if n == nil || n.Kind == 0 {
		p.add(1, "missing \"phases\": want a list of phases")
		return Template{}, p.nodeProblems()
	}
	phases, ok := p.list(n, "\"phases\"")
	if ok && len(phases) == 0 {
		p.addf(n, "\"phases\" is empty: want at least one phase")
	}
	for i, ph := range phases {
		v := resolve(ph)
		if v.Kind != yaml.MappingNode {
			p.addf(ph, "phase %d must be a mapping, found %s", i+1, kindName(v))
			continue
		}
		// A copy without the keys a routine's phase does not have, and
		// with the offset the go-live parser wants.
		cp := *v
		cp.Content = nil
		for j := 0; j+1 < len(v.Content); j += 2 {
			k := resolve(v.Content[j])
			switch {
			case k.Kind == yaml.ScalarNode && k.Value == "offset":
				p.addf(v.Content[j], "phase %d: routines have no offset (each run's checklist is due by the schedule's end of day): remove it", i+1)
				continue
			case k.Kind == yaml.ScalarNode && !contains(routinePhaseFields, k.Value) && k.ShortTag() != "!!merge":
				p.addf(v.Content[j], "unknown field %q in phase %d (known: %s)", k.Value, i+1, strings.Join(routinePhaseFields, ", "))
				continue
			}
			cp.Content = append(cp.Content, v.Content[j], v.Content[j+1])
		}
		cp.Content = append(cp.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "offset", Line: v.Line, Column: v.Column},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "T-0", Line: v.Line, Column: v.Column})
		t.Phases = append(t.Phases, p.phase(&cp, i+1))
	}
	if len(p.problems) > 0 {
		return Template{}, p.nodeProblems()
	}
	return t, nil
}

func (p *parser) nodeProblems() []NodeProblem {
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].line < p.problems[j].line })
	var out []NodeProblem
	for i, pr := range p.problems {
		if i == maxProblems {
			out = append(out, NodeProblem{Line: pr.line, Message: fmt.Sprintf("and %d more problems", len(p.problems)-maxProblems)})
			break
		}
		out = append(out, NodeProblem{Line: pr.line, Message: pr.msg})
	}
	return out
}

// routineIntro is the first line inside a routine's checklist block.
const routineIntro = "_Checklist of this run, tracked by golive: tick items as they are done. " +
	"Items still open when the next run opens are listed there, and this issue is closed._"

// RenderRoutine renders a routine's checklist as Markdown for its run's
// issue: the start marker line, a short note, then per phase a heading with
// its name and one GitHub task-list item per item (as Render writes them),
// and the end marker line. ParseTaskList reads it back; a task's Phase is
// the phase's name. checked may be nil.
func RenderRoutine(t Template, checked map[string]bool) string {
	var b strings.Builder
	b.WriteString(MarkerStart + "\n")
	b.WriteString(routineIntro + "\n")
	for _, ph := range t.Phases {
		fmt.Fprintf(&b, "\n### %s\n\n", ph.Name)
		for _, it := range ph.Items {
			b.WriteString(renderItem(it, checked[it.ID]))
		}
	}
	b.WriteString("\n" + MarkerEnd + "\n")
	return b.String()
}
