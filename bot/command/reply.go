package command

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// unsafeInReply are the characters removed from user text before a reply
// quotes it: with them a text could mention (@here, <!channel>, <@U123>,
// @org/team), link (<https://…|…>, [text](url)), escape (&lt;) or format
// (`code`, *bold*, _italic_, ~strike~) on Slack or GitHub.
const unsafeInReply = "<>@&`*_~[]"

// maxEcho is the most runes of user text a reply quotes.
const maxEcho = 40

// q quotes user text for a reply: unsafe characters removed, cut to maxEcho
// runes (the last one "…" when cut), then quoted with %q, which also
// escapes control characters and invalid UTF-8.
func q(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(unsafeInReply, r) {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxEcho {
		s = string([]rune(s)[:maxEcho-1]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// maxSuggestDistance is how far (in edits) a word may be from a verb for
// "did you mean".
const maxSuggestDistance = 2

// suggest returns the verbs closest to word (case-insensitive), when they
// are at most maxSuggestDistance edits away (Damerau-Levenshtein: an
// insertion, deletion, substitution or swap of neighbours is one edit).
func suggest(word string) []Verb {
	w := []rune(strings.ToLower(word))
	if len(w) > 20 {
		return nil
	}
	best, out := maxSuggestDistance+1, []Verb(nil)
	for _, v := range verbs {
		switch d := distance(w, []rune(string(v))); {
		case d > maxSuggestDistance:
		case d < best:
			best, out = d, []Verb{v}
		case d == best:
			out = append(out, v)
		}
	}
	return out
}

// distance is the optimal-string-alignment Damerau-Levenshtein distance.
func distance(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// orList writes verbs as "`a`", "`a` or `b`", "`a`, `b` or `c`".
func orList(vs []Verb) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = "`" + string(v) + "`"
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
