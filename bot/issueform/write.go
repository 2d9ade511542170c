package issueform

import "strings"

// WithAnswers returns body with the form sections of the non-empty answers
// set: an existing "### <label>" section gets the new answer in place of its
// old one; sections the body lacks are added, in form order, after the
// body's own text and before golive's checklist block (text before them
// would run into an answer). Parse(WithAnswers(body, a)).Get(label) ==
// a[label] for each of them. It is how `/golive plan` writes its arguments
// into an issue.
func WithAnswers(body string, a Answers) string {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	var missing []string
	for _, label := range Labels() {
		v := strings.TrimSpace(a[label])
		if v == "" {
			continue
		}
		start := -1
		for i, l := range lines {
			if isHeading(l) && normalizeLabel(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "###"))) == normalizeLabel(label) {
				start = i
				break
			}
		}
		if start < 0 {
			missing = append(missing, "### "+label, "", v, "")
			continue
		}
		end := start + 1
		for end < len(lines) && !isHeading(lines[end]) {
			end++
		}
		section := []string{lines[start], "", v, ""}
		lines = append(lines[:start], append(section, lines[end:]...)...)
	}
	if len(missing) > 0 {
		at := len(lines)
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), golivePrefix) {
				at = i
				break
			}
		}
		block := append([]string{""}, missing...)
		lines = append(lines[:at], append(block, lines[at:]...)...)
	}
	return strings.Join(lines, "\n")
}

func isHeading(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "### ") || t == "###"
}
