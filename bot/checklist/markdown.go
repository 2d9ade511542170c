package checklist

import "strings"

// line is one line of a body: body[start:end] is its text without the line
// terminator, body[end:next] the terminator ("\n", "\r\n", "\r" or none for
// the last line).
type line struct {
	start, end, next int
}

// splitLines splits body into lines the way CommonMark does: "\n", "\r\n"
// and a lone "\r" each end a line. An empty body has no lines; a body
// ending in a terminator has no empty last line.
func splitLines(body string) []line {
	var out []line
	start := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '\n':
			out = append(out, line{start, i, i + 1})
			start = i + 1
		case '\r':
			next := i + 1
			if next < len(body) && body[next] == '\n' {
				next++
			}
			out = append(out, line{start, i, next})
			start = next
			i = next - 1
		}
	}
	if start < len(body) {
		out = append(out, line{start, len(body), len(body)})
	}
	return out
}

// blockState follows the Markdown constructs whose content is never a task
// list item nor a marker: fenced code blocks and HTML comment blocks. It is
// a deliberately small subset of CommonMark, shared by ApplyToBody and
// ParseTaskList so that both always agree on where the checklist block is.
type blockState struct {
	fenceChar byte // '`' or '~' while inside a fenced code block
	fenceLen  int
	comment   bool // inside an HTML comment block (<!-- … -->)
}

// open reports whether a fence or a comment is open.
func (s blockState) open() bool { return s.fenceChar != 0 || s.comment }

// closer returns the line that closes what is open: a closing fence or "-->".
func (s blockState) closer() string {
	if s.fenceChar != 0 {
		return strings.Repeat(string(s.fenceChar), s.fenceLen)
	}
	if s.comment {
		return "-->"
	}
	return ""
}

// step advances the state over one line and reports whether the line is
// ordinary Markdown: false for fence lines, lines inside a fence and lines
// of an HTML comment block.
func (s *blockState) step(text string) bool {
	if s.fenceChar != 0 {
		if c, n, rest, ok := fence(text); ok && c == s.fenceChar && n >= s.fenceLen && strings.TrimLeft(rest, " \t") == "" {
			s.fenceChar, s.fenceLen = 0, 0
		}
		return false
	}
	if s.comment {
		if strings.Contains(text, "-->") {
			s.comment = false
		}
		return false
	}
	if c, n, rest, ok := fence(text); ok && (c == '~' || !strings.ContainsRune(rest, '`')) {
		s.fenceChar, s.fenceLen = c, n
		return false
	}
	if t, ok := indentUpTo3(text); ok && strings.HasPrefix(t, "<!--") {
		if !strings.Contains(t, "-->") {
			s.comment = true
		}
		return false
	}
	return true
}

// fence reports whether text starts a code fence: up to three spaces, then
// three or more backticks or tildes. rest is what follows the fence.
func fence(text string) (c byte, n int, rest string, ok bool) {
	t, ok := indentUpTo3(text)
	if !ok || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return 0, 0, "", false
	}
	c = t[0]
	for n < len(t) && t[n] == c {
		n++
	}
	if n < 3 {
		return 0, 0, "", false
	}
	return c, n, t[n:], true
}

// indentUpTo3 strips up to three leading spaces; ok is false when the line
// is indented further (or by a tab), making it code or a continuation.
func indentUpTo3(text string) (string, bool) {
	i := 0
	for i < len(text) && i < 4 && text[i] == ' ' {
		i++
	}
	if i == 4 || (i < len(text) && text[i] == '\t') {
		return "", false
	}
	return text[i:], true
}

// isMarker reports whether a line is exactly the marker, trailing spaces
// and tabs aside.
func isMarker(text, marker string) bool {
	return strings.TrimRight(text, " \t") == marker
}

// block is where the checklist block lies in a body.
type block struct {
	found      bool
	terminated bool // the end marker was found
	startLine  int  // index of the start marker line
	endLine    int  // index of the end marker line (len(lines) when unterminated)
	// atEnd is the state after the last line when no block was found.
	atEnd blockState
}

// findBlock finds the checklist block: the first start marker line outside
// fenced code and HTML comments, up to the first end marker line after it.
// Inside the block, the end marker line always ends it, whatever the user
// wrote between.
func findBlock(lines []line, body string) block {
	var st blockState
	for i, l := range lines {
		text := body[l.start:l.end]
		if !st.open() && isMarker(text, MarkerStart) {
			b := block{found: true, startLine: i, endLine: len(lines)}
			for j := i + 1; j < len(lines); j++ {
				if isMarker(body[lines[j].start:lines[j].end], MarkerEnd) {
					b.endLine, b.terminated = j, true
					break
				}
			}
			return b
		}
		st.step(text)
	}
	return block{atEnd: st}
}
