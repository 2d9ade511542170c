package command

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds the same text to both parsers, and to the comment parser
// behind "/golive " (most random comments are ignored early): neither may
// panic, each gives exactly one outcome, commands pass Validate and replies
// are safe to post.
func FuzzParse(f *testing.F) {
	slack, comments := allInputs()
	for _, s := range append(slack, comments...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		check := func(name, in string, r Result) {
			if n := outcomes(r); n != 1 {
				t.Fatalf("%s(%q) = %+v: %d outcomes", name, in, r, n)
			}
			if r.Command != nil {
				c := r.Command
				if err := c.Validate(); err != nil {
					t.Fatalf("%s(%q) = %+v: %v", name, in, *c, err)
				}
				for _, s := range []string{c.Repo, c.Env, c.Ref, c.Reason, c.When, c.Zone} {
					if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\x00`") {
						t.Fatalf("%s(%q) = %+v: field %q", name, in, *c, s)
					}
				}
			}
			if p := replyProblem(r.Reply); p != "" {
				t.Fatalf("%s(%q) reply %s:\n%s", name, in, p, r.Reply)
			}
		}
		check("ParseSlack", text, ParseSlack(text))
		check("ParseComment", text, ParseComment(text))
		check("ParseComment", "/golive "+text, ParseComment("/golive "+text))
	})
}
