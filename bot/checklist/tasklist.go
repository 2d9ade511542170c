package checklist

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
)

// Task is a task-list item read back from an issue body.
type Task struct {
	// ID is the template item's id, from the item's hidden comment, or for
	// an item added by hand "manual:" and 12 hex digits of the SHA-256 of
	// its normalised text (see ParseTaskList). IDs are unique within one
	// ParseTaskList result.
	ID string
	// Text is the item's visible Markdown text: HTML comments removed,
	// whitespace collapsed, and for template items without the
	// "_(optional)_" mark and the " — owner" suffix Render adds.
	Text string
	// Owner is the owner written after " — " (for manual items only when
	// it is a single @login or @org/team).
	Owner string
	// Checked is whether the box is ticked.
	Checked bool
	// Phase is the name of the phase heading the item is under ("" before
	// the first heading); for headings golive did not write, the heading's
	// text.
	Phase string
	// Manual is true for items without a golive id comment.
	Manual bool
	// Line is a Manual item's line as written, indentation included and
	// line ending excluded; "" for template items.
	Line string
}

var (
	// taskRE matches a task-list item: any indentation, a bullet (-, *, +)
	// or an ordered-list number, whitespace, a box, then whitespace and the
	// text, or nothing.
	taskRE = regexp.MustCompile(`^[ \t]*(?:[-*+]|[0-9]{1,9}[.)])[ \t]+\[([ xX])\](?:[ \t]+(.*))?$`)
	// headingRE matches an ATX heading.
	headingRE = regexp.MustCompile(`^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	// phaseHeadingRE matches a heading Render wrote.
	phaseHeadingRE = regexp.MustCompile(`^(.+?) \(T(?:-0|[+-][0-9dhm]+) · [^()]*\)$`)
	itemIDRE       = regexp.MustCompile(`<!--[ \t]*golive:item:([A-Za-z0-9._-]+)[ \t]*-->`)
	commentRE      = regexp.MustCompile(`<!--.*?-->`)
	loginRE        = regexp.MustCompile(`^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?$`)
)

// ParseTaskList reads the task-list items of the checklist block in body
// (see ApplyToBody for how the block is found; without an end marker the
// block runs to the end of the body). Items outside the block are not read.
//
// Inside the block, every task-list item counts, at any nesting depth:
// bullets "-", "*" and "+" and ordered items ("1." or "1)"), boxes "[ ]",
// "[x]" and "[X]". Items in fenced code blocks, in HTML comment blocks and
// on quoted lines (">") are ignored. Lines may end in "\n", "\r\n" or "\r".
//
// An item carrying a "<!-- golive:item:ID -->" comment gets that ID (the
// first such comment on the line); a later item with an ID already seen is
// treated as added by hand. Any other item is Manual, with ID "manual:"
// and 12 hex digits of the SHA-256 of its text in lower case (HTML comments
// removed, whitespace collapsed); a repeated text gets "-2", "-3"… appended
// in order. The result is in body order; an empty body gives none.
func ParseTaskList(body string) []Task {
	lines := splitLines(body)
	b := findBlock(lines, body)
	if !b.found {
		return nil
	}
	var (
		tasks  []Task
		st     blockState
		phase  string
		seen   = map[string]bool{}
		manual = map[string]int{}
	)
	for _, l := range lines[b.startLine+1 : b.endLine] {
		text := body[l.start:l.end]
		if !st.step(text) {
			continue
		}
		t := strings.TrimLeft(text, " \t")
		if strings.HasPrefix(t, ">") || t == "" {
			continue
		}
		if t[0] == '#' {
			if m := headingRE.FindStringSubmatch(text); m != nil {
				phase = phaseName(m[1])
			}
			continue
		}
		if !strings.Contains(t, "[") {
			continue
		}
		m := taskRE.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		task := Task{Checked: m[1] != " ", Phase: phase}
		content := m[2]
		if id := itemIDRE.FindStringSubmatch(content); id != nil && !seen[id[1]] {
			task.ID = id[1]
			seen[task.ID] = true
		}
		visible := normaliseSpace(commentRE.ReplaceAllString(content, " "))
		if task.ID != "" {
			visible = strings.TrimPrefix(visible, optionalMark)
			if i := strings.LastIndex(visible, ownerSep); i >= 0 {
				visible, task.Owner = visible[:i], visible[i+len(ownerSep):]
			}
			task.Text = visible
		} else {
			task.Manual, task.Line = true, strings.TrimRight(text, "\r")
			task.Text = visible
			if i := strings.LastIndex(visible, ownerSep); i >= 0 && loginRE.MatchString(visible[i+len(ownerSep):]) {
				task.Text, task.Owner = visible[:i], visible[i+len(ownerSep):]
			}
			task.ID = manualID(visible)
			manual[task.ID]++
			if n := manual[task.ID]; n > 1 {
				task.ID += "-" + strconv.Itoa(n)
			}
		}
		tasks = append(tasks, task)
	}
	return tasks
}

// phaseName returns the phase name of a heading Render wrote, or the
// heading's text for any other heading.
func phaseName(heading string) string {
	h := normaliseSpace(commentRE.ReplaceAllString(heading, " "))
	if m := phaseHeadingRE.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return h
}

func normaliseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// manualID is the id of an item added by hand with the given visible text.
func manualID(visible string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(normaliseSpace(visible))))
	return "manual:" + hex.EncodeToString(sum[:6])
}

// Change is a tick or untick of one item.
type Change struct {
	ID      string
	Text    string
	Checked bool // the new state
}

// Diff compares two readings of the same issue body (ParseTaskList before
// and after an edit) and returns, in the order of after, one Change per
// item whose box changed, and one per item that appeared already checked.
// Items are matched by ID, so editing an item's text changes nothing as
// long as it keeps its id comment. Manual items have ids derived from their
// text, so a reworded manual item gets a new id: when, under one phase
// heading, as many manual items disappeared as appeared, they are paired
// in order and only a changed box is reported (with the new ID). Removed
// items yield no Change.
func Diff(before, after []Task) []Change {
	old := make(map[string]Task, len(before))
	for _, t := range before {
		old[t.ID] = t
	}
	now := make(map[string]bool, len(after))
	for _, t := range after {
		now[t.ID] = true
	}
	// Unmatched manual items per phase, in order, to pair rewordings.
	gone := map[string][]Task{}
	for _, t := range before {
		if t.Manual && !now[t.ID] {
			gone[t.Phase] = append(gone[t.Phase], t)
		}
	}
	added := map[string][]Task{}
	for _, t := range after {
		if _, ok := old[t.ID]; !ok && t.Manual {
			added[t.Phase] = append(added[t.Phase], t)
		}
	}
	paired := map[string]Task{} // new id -> the old item it rewords
	for phase, a := range added {
		if g := gone[phase]; len(g) == len(a) {
			for i := range a {
				paired[a[i].ID] = g[i]
			}
		}
	}

	var out []Change
	for _, t := range after {
		prev, ok := old[t.ID]
		if !ok {
			prev, ok = paired[t.ID]
		}
		if (ok && prev.Checked != t.Checked) || (!ok && t.Checked) {
			out = append(out, Change{ID: t.ID, Text: t.Text, Checked: t.Checked})
		}
	}
	return out
}

// TickItems ticks the open template items ids in body (a task line carrying
// the item's hidden id comment) and returns the new body and the ids it
// ticked, in body order. Ticked items, and ids the body lacks, are left
// alone; nothing else in the body changes.
func TickItems(body string, ids []string) (string, []string) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	lines := strings.SplitAfter(body, "\n")
	var ticked []string
	for i, line := range lines {
		m := itemIDRE.FindStringSubmatch(line)
		if m == nil || !want[m[1]] {
			continue
		}
		j := strings.Index(line, "[ ]")
		if j < 0 || taskRE.FindStringSubmatch(strings.TrimRight(line, "\r\n")) == nil {
			continue
		}
		lines[i] = line[:j] + "[x]" + line[j+3:]
		ticked = append(ticked, m[1])
		delete(want, m[1])
	}
	return strings.Join(lines, ""), ticked
}
