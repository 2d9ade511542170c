package checklist

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The markers around the checklist block in an issue body. Each stands on
// a line of its own.
const (
	MarkerStart = "<!-- golive:checklist:start -->"
	MarkerEnd   = "<!-- golive:checklist:end -->"
)

// MaxBodyChars is GitHub's limit on an issue body, in characters.
const MaxBodyChars = 65536

// ErrBodyTooLarge is returned (wrapped) by ApplyToBody when the new body
// would exceed MaxBodyChars.
var ErrBodyTooLarge = errors.New("issue body too large")

// ErrUnterminatedBlock is returned (wrapped) by ApplyToBody when the body
// has a start marker but no end marker after it, so the block's extent is
// unknown.
var ErrUnterminatedBlock = errors.New("checklist block has no end marker")

// dueLayout formats a phase's due time in the heading.
const dueLayout = "2006-01-02 15:04 MST"

// optionalMark precedes the text of items that are not required.
const optionalMark = "_(optional)_ "

// intro is the first line inside the block, telling people how to use it.
const intro = "_Go-live checklist, tracked by golive: tick items as they are done. " +
	"Keep each item's hidden `golive:item` comment so that its tick is tracked; " +
	"items you add in this block are tracked too._"

// Render renders the checklist as Markdown for the issue body: the start
// marker line, a short note, then per phase a heading with its offset and
// due time in golive's time zone, followed by one GitHub task-list item per
// item, and finally the end marker line:
//
//	### Pre-launch (T-7d · 2026-11-24 14:00 CET)
//
//	- [ ] _(optional)_ text — owner <!-- golive:item:ID -->
//
// The box is "[x]" for ids with checked[id] true; the "_(optional)_ " mark
// is there only for items that are not required, and " — owner" only when
// there is an owner. Lines end in "\n", the last one too. Item texts are
// Markdown and are written as they are. t must come from Parse or Default
// (every item has an id); checked may be nil.
func Render(t Template, golive time.Time, checked map[string]bool) string {
	return RenderKeeping(t, golive, checked, nil)
}

// ByHandHeading heads the items added by hand under no phase of the
// template (their phase was removed, or they sat under a heading of their
// own).
const ByHandHeading = "Added by hand"

// RenderKeeping is Render keeping the items people added by hand: each
// Manual task of kept (as ParseTaskList read them from the block being
// replaced) follows its phase's template items, with its box and owner;
// those whose phase the template no longer has follow under ByHandHeading.
// Each is written as its Line (as the person wrote it), else from its box,
// text and owner, so reading the result again yields the same ids.
func RenderKeeping(t Template, golive time.Time, checked map[string]bool, kept []Task) string {
	byPhase := map[string][]Task{}
	for _, k := range kept {
		if k.Manual {
			byPhase[k.Phase] = append(byPhase[k.Phase], k)
		}
	}
	var b strings.Builder
	b.WriteString(MarkerStart + "\n")
	b.WriteString(intro + "\n")
	for _, ph := range t.Phases {
		fmt.Fprintf(&b, "\n### %s (%s · %s)\n\n", ph.Name, ph.Offset, ph.Offset.At(golive).Format(dueLayout))
		for _, it := range ph.Items {
			b.WriteString(renderItem(it, checked[it.ID]))
		}
		for _, k := range byPhase[ph.Name] {
			b.WriteString(renderManual(k))
		}
		delete(byPhase, ph.Name)
	}
	var orphans []Task
	for _, k := range kept {
		if k.Manual && byPhase[k.Phase] != nil {
			orphans = append(orphans, k)
		}
	}
	if len(orphans) > 0 {
		b.WriteString("\n### " + ByHandHeading + "\n\n")
		for _, k := range orphans {
			b.WriteString(renderManual(k))
		}
	}
	b.WriteString("\n" + MarkerEnd + "\n")
	return b.String()
}

// renderManual writes an item added by hand.
func renderManual(k Task) string {
	if k.Line != "" {
		return k.Line + "\n"
	}
	box := "- [ ] "
	if k.Checked {
		box = "- [x] "
	}
	if k.Owner != "" {
		return box + k.Text + ownerSep + k.Owner + "\n"
	}
	return box + k.Text + "\n"
}

func renderItem(it Item, checked bool) string {
	box := "- [ ] "
	if checked {
		box = "- [x] "
	}
	var b strings.Builder
	b.WriteString(box)
	if !it.Required {
		b.WriteString(optionalMark)
	}
	b.WriteString(it.Text)
	if it.Owner != "" {
		b.WriteString(ownerSep + it.Owner)
	}
	b.WriteString(" <!-- golive:item:" + it.ID + " -->\n")
	return b.String()
}

// ApplyToBody puts a rendered checklist block into an issue body.
//
// When body has a checklist block (the first start marker line outside
// fenced code and HTML comments, through the next end marker line), the
// block is replaced. Otherwise the block is appended after the body (the
// form answers), separated by a blank line; if the body ends inside a
// fenced code block or an HTML comment, a line closing it is added first so
// that the block renders. Everything outside the block is kept byte for
// byte. The rendered block takes the body's line endings: "\r\n" when the
// body contains a carriage return (GitHub sends "\r\n" for bodies edited in
// the browser), "\n" otherwise.
//
// It fails with an error wrapping ErrUnterminatedBlock when the body has a
// start marker without an end marker after it, and with one wrapping
// ErrBodyTooLarge when the result is longer than MaxBodyChars characters.
// Characters are counted as Unicode code points (runes; an invalid UTF-8
// byte counts as one): GitHub checks the limit on the server, in Ruby,
// whose String#length counts code points, so neither bytes (too strict for
// non-ASCII text) nor UTF-16 units (what a browser counts) would match.
func ApplyToBody(body, rendered string) (string, error) {
	core := strings.ReplaceAll(rendered, "\r\n", "\n")
	core = strings.TrimRight(core, "\n")
	if !strings.HasPrefix(core, MarkerStart+"\n") || !strings.HasSuffix(core, "\n"+MarkerEnd) {
		return "", fmt.Errorf("apply checklist to issue body: the rendered text does not start with %q and end with %q", MarkerStart, MarkerEnd)
	}
	eol := "\n"
	if strings.Contains(body, "\r") {
		eol = "\r\n"
		core = strings.ReplaceAll(core, "\n", "\r\n")
	}

	lines := splitLines(body)
	b := findBlock(lines, body)
	var out string
	switch {
	case b.found && !b.terminated:
		return "", fmt.Errorf("apply checklist to issue body: start marker on line %d: %w", b.startLine+1, ErrUnterminatedBlock)
	case b.found:
		out = body[:lines[b.startLine].start] + core + body[lines[b.endLine].end:]
	default:
		var sb strings.Builder
		sb.WriteString(body)
		endsWithEOL := len(lines) > 0 && lines[len(lines)-1].next > lines[len(lines)-1].end
		if b.atEnd.open() {
			if !endsWithEOL {
				sb.WriteString(eol)
			}
			sb.WriteString(b.atEnd.closer() + eol + eol)
		} else if len(lines) > 0 {
			last := lines[len(lines)-1]
			switch {
			case !endsWithEOL:
				sb.WriteString(eol + eol)
			case strings.TrimSpace(body[last.start:last.end]) != "":
				sb.WriteString(eol)
			}
		}
		sb.WriteString(core + eol)
		out = sb.String()
	}
	if n := utf8.RuneCountInString(out); n > MaxBodyChars {
		return "", fmt.Errorf("apply checklist to issue body: the body would have %d characters (the checklist block %d), more than GitHub's limit of %d: %w",
			n, utf8.RuneCountInString(core), MaxBodyChars, ErrBodyTooLarge)
	}
	return out, nil
}
