package issueform

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// PlanUsage is the syntax of the plan command.
const PlanUsage = `/golive plan <when> [environment], like /golive plan "2026-12-01 14:00" production`

var (
	dateRE  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	clockRE = regexp.MustCompile(`^\d{1,2}:\d{2}$`)
)

// ParsePlanCommand reads the arguments of "/golive plan <when> [environment]"
// into the same Answers an issue form gives, for Answers.Plan to check.
//
// args may start with the word "plan". <when> is "YYYY-MM-DD HH:MM" (quoted
// or not) or RFC 3339; quotes may be straight or typographic (as Slack
// clients write them). An argument holding "/" (like Europe/Berlin) or
// "UTC" is the time zone. The error, for a command that cannot be read
// (no <when>, an unclosed quote, extra arguments), includes the usage.
func ParsePlanCommand(args string) (Answers, error) {
	tokens, err := splitArgs(args)
	if err != nil {
		return nil, fmt.Errorf("read /golive plan arguments %q: %w; usage: %s", args, err, PlanUsage)
	}
	if len(tokens) > 0 && strings.EqualFold(tokens[0], "plan") {
		tokens = tokens[1:]
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("read /golive plan arguments: the go-live time is missing; usage: %s", PlanUsage)
	}
	a := Answers{}
	if len(tokens) >= 2 && dateRE.MatchString(tokens[0]) && clockRE.MatchString(tokens[1]) {
		a[LabelTime] = tokens[0] + " " + tokens[1]
		tokens = tokens[2:]
	} else {
		a[LabelTime] = tokens[0]
		tokens = tokens[1:]
	}
	for _, t := range tokens {
		label := LabelEnvironment
		if strings.Contains(t, "/") || strings.EqualFold(t, "UTC") {
			label = LabelTimezone
		}
		if _, dup := a[label]; dup {
			return nil, fmt.Errorf("read /golive plan arguments %q: unexpected %q after the %s; usage: %s", args, t, strings.ToLower(label), PlanUsage)
		}
		a[label] = t
	}
	return a, nil
}

var errUnclosedQuote = errors.New("a quote is not closed")

// splitArgs splits s at spaces, keeping quoted text (straight or
// typographic quotes) together.
func splitArgs(s string) ([]string, error) {
	s = strings.NewReplacer("\u201c", `"`, "\u201d", `"`, "\u201e", `"`, "\u2018", "'", "\u2019", "'").Replace(s)
	var (
		tokens []string
		cur    strings.Builder
		quote  rune
		inTok  bool
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inTok = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0':
			if inTok {
				tokens = append(tokens, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	if quote != 0 {
		return nil, errUnclosedQuote
	}
	if inTok {
		tokens = append(tokens, cur.String())
	}
	return tokens, nil
}
