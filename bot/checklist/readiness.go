package checklist

import "time"

// Readiness is the state of a go-live's checklist.
type Readiness struct {
	// Ready is true when no required item is open.
	Ready bool
	// Phases are the template's phases, in order.
	Phases []PhaseStatus
	// Blocking lists every required item still open, in template order,
	// sign-off items included.
	Blocking []Task
	// Done and Total count all items read from the body (template items
	// and manual items) plus template items missing from the body.
	Done, Total int
}

// PhaseStatus is the progress of one phase.
type PhaseStatus struct {
	ID     string
	Name   string
	Offset Offset
	// Due is when the phase is due, in the go-live's time zone.
	Due time.Time
	// Done and Total count the phase's template items and the manual items
	// under its heading.
	Done, Total int
	// RequiredOpen lists the phase's required items still open, with the
	// template's text and owner.
	RequiredOpen []Task
}

// Decision texts.
const (
	DecisionReady    = "READY FOR PRODUCTION"
	DecisionNotReady = "NOT READY"
)

// Decision returns DecisionReady when r.Ready, DecisionNotReady otherwise.
func (r Readiness) Decision() string {
	if r.Ready {
		return DecisionReady
	}
	return DecisionNotReady
}

// BlockingDueBy returns the required items still open whose phase is due
// at or before at: what blocks a step taken at that moment (for example a
// deploy gate) without counting items that are only due later.
func (r Readiness) BlockingDueBy(at time.Time) []Task {
	var out []Task
	for _, p := range r.Phases {
		if !p.Due.After(at) {
			out = append(out, p.RequiredOpen...)
		}
	}
	return out
}

// Evaluate works out readiness from the template and the tasks read from
// the issue body (ParseTaskList).
//
// A template item is done when a task with its ID is checked; a template
// item missing from tasks (its line was deleted) is open. Manual tasks count
// in the progress of the phase whose name matches their Phase (and in the
// overall counts in any case) but are never required. Tasks with an ID the
// template does not have and that are not manual (left over from an older
// template) are ignored. Open required items are reported with the
// template's text and owner and their phase's name.
func Evaluate(t Template, golive time.Time, tasks []Task) Readiness {
	byID := make(map[string]Task, len(tasks))
	for _, tk := range tasks {
		if _, dup := byID[tk.ID]; !dup {
			byID[tk.ID] = tk
		}
	}
	phaseIndex := map[string]int{}
	r := Readiness{Phases: make([]PhaseStatus, len(t.Phases))}
	for i, ph := range t.Phases {
		phaseIndex[ph.Name] = i
		ps := PhaseStatus{ID: ph.ID, Name: ph.Name, Offset: ph.Offset, Due: ph.Offset.At(golive)}
		for _, it := range ph.Items {
			ps.Total++
			if byID[it.ID].Checked {
				ps.Done++
				continue
			}
			if it.Required {
				open := Task{ID: it.ID, Text: it.Text, Owner: it.Owner, Phase: ph.Name}
				ps.RequiredOpen = append(ps.RequiredOpen, open)
				r.Blocking = append(r.Blocking, open)
			}
		}
		r.Phases[i] = ps
	}
	for _, ps := range r.Phases {
		r.Done += ps.Done
		r.Total += ps.Total
	}
	for _, tk := range tasks {
		if !tk.Manual {
			continue
		}
		r.Total++
		if tk.Checked {
			r.Done++
		}
		if i, ok := phaseIndex[tk.Phase]; ok {
			r.Phases[i].Total++
			if tk.Checked {
				r.Phases[i].Done++
			}
		}
	}
	r.Ready = len(r.Blocking) == 0
	return r
}
