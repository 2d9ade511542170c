// Package issueform reads the go-live issue form
// (.github/ISSUE_TEMPLATE/golive.yml) and the /golive plan command, and
// turns their answers into a Plan, explaining exactly what to fix when an
// answer cannot be used.
//
// GitHub renders a submitted issue form as one "### <label>" section per
// field, with "_No response_" for an empty optional field. Parse reads such
// bodies, including ones people edited by hand afterwards.
//
// The package is pure: it does no I/O and never reads the clock; "now" is an
// argument.
package issueform

import (
	"regexp"
	"sort"
	"strings"
)

// The labels of the issue form's fields, exactly as in
// .github/ISSUE_TEMPLATE/golive.yml.
const (
	LabelTime         = "Go-live time"
	LabelTimezone     = "Timezone"
	LabelEnvironment  = "Environment"
	LabelRelease      = "Release"
	LabelSlackChannel = "Slack channel"
	LabelCaptain      = "Release captain"
	LabelNotes        = "Notes"
)

// Labels returns the form's field labels in form order.
func Labels() []string {
	return []string{LabelTime, LabelTimezone, LabelEnvironment, LabelRelease, LabelSlackChannel, LabelCaptain, LabelNotes}
}

// NoResponse is what GitHub writes for an optional field left empty.
const NoResponse = "_No response_"

// Answers maps a heading of the issue body (a form label, or any other
// "###" heading) to its answer: the text under it, trimmed, with
// "_No response_" read as "".
type Answers map[string]string

// Get returns the answer for label: the exact heading if present, else a
// heading that differs only in case, spacing or a trailing colon.
func (a Answers) Get(label string) string {
	if v, ok := a[label]; ok {
		return v
	}
	want := normalizeLabel(label)
	best, found := "", false
	for k := range a {
		if normalizeLabel(k) == want && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return ""
	}
	return a[best]
}

func normalizeLabel(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ": ")
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

var (
	headingRE      = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$`)
	closingHashRE  = regexp.MustCompile(`(?:^|[ \t]+)#+$`)
	fenceOpeningRE = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
)

// Parse reads an issue body written by a GitHub issue form. It never fails:
//
//   - "### Label" (an ATX heading of level 3, up to three spaces of indent,
//     optional closing #s) starts the answer for Label; the answer runs to
//     the next heading of level 1 to 3 and is trimmed;
//   - headings of level 1 or 2 end the form part: their content is
//     ignored, so text appended after the form does not leak into an
//     answer; deeper headings are part of the answer;
//   - a line starting with "<!-- golive:" (golive's checklist block) ends
//     the form part too, so the checklist never becomes part of an answer;
//   - headings inside fenced code blocks are text;
//   - text before the first heading is ignored;
//   - CRLF and CR line ends are read as LF;
//   - "_No response_" is an empty answer;
//   - when a label appears twice, the first answer wins.
func Parse(body string) Answers {
	body = strings.TrimPrefix(body, "\ufeff")
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")

	answers := Answers{}
	var (
		label  string
		inForm bool // collecting an answer
		lines  []string
		fence  string // the opening fence while inside a fenced block
		flush  = func() {
			if _, dup := answers[label]; inForm && !dup {
				answers[label] = cleanAnswer(strings.Join(lines, "\n"))
			}
			inForm, lines = false, nil
		}
	)
	for _, line := range strings.Split(body, "\n") {
		if fence != "" {
			if closesFence(line, fence) {
				fence = ""
			}
			lines = append(lines, line)
			continue
		}
		if m := fenceOpeningRE.FindStringSubmatch(line); m != nil {
			fence = m[1]
			lines = append(lines, line)
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), golivePrefix) {
			// golive's own block (the checklist) follows the answers.
			flush()
			continue
		}
		m := headingRE.FindStringSubmatch(line)
		if m == nil || len(m[1]) > 3 {
			lines = append(lines, line)
			continue
		}
		flush()
		text := strings.TrimSpace(closingHashRE.ReplaceAllString(m[2], ""))
		text = strings.Join(strings.Fields(text), " ")
		if len(m[1]) == 3 && text != "" {
			label, inForm = text, true
		}
	}
	flush()
	return answers
}

// closesFence reports whether line closes a fenced block opened by fence:
// the same character, at least as many, and nothing else on the line.
func closesFence(line, fence string) bool {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return false
	}
	t = strings.TrimRight(t, " \t")
	return len(t) >= len(fence) && strings.Trim(t, fence[:1]) == ""
}

// golivePrefix starts the hidden markers of golive's own blocks in a body.
const golivePrefix = "<!-- golive:"

func cleanAnswer(s string) string {
	s = strings.TrimSpace(s)
	if s == NoResponse {
		return ""
	}
	return s
}

// Unknown returns the headings in a that are not form labels, sorted; handy to
// tell people about headings golive does not read.
func (a Answers) Unknown() []string {
	known := map[string]bool{}
	for _, l := range Labels() {
		known[normalizeLabel(l)] = true
	}
	var out []string
	for k := range a {
		if !known[normalizeLabel(k)] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
