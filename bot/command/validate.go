package command

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var (
	envRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	// GitHub owners (users and organizations): alphanumerics and single
	// hyphens, not at either end, at most 39 characters.
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`)
	// GitHub repository names: alphanumerics, ".", "_" and "-", at most
	// 100 characters.
	repoNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	shaRE      = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)
	// IANA zone names (Area/Location[/Sub]); a space may stand for "_" as
	// issueform accepts ("America/New York").
	zoneRE      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9][A-Za-z0-9_+ -]*)+$`)
	issueNumRE  = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)
	daysRE      = regexp.MustCompile(`^[0-9]{1,3}$`)
	errDuration = errors.New("not a duration: write it like 30m, 2h or 1d12h")
)

// ValidEnv reports whether s is an environment name:
// ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$.
func ValidEnv(s string) bool { return envRE.MatchString(s) }

// ValidRepo reports whether s is "owner/name" by GitHub's rules: the owner
// is alphanumerics and single inner hyphens, at most 39; the name is
// alphanumerics, ".", "_" and "-", at most 100, not "." or "..", not ending
// in ".git".
func ValidRepo(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	return ok && len(owner) <= 39 && ownerRE.MatchString(owner) &&
		repoNameRE.MatchString(name) && name != "." && name != ".." && !strings.HasSuffix(strings.ToLower(name), ".git")
}

// ValidRef reports whether s is a ref deploy and rollback accept: a full or
// abbreviated commit SHA, or a branch or tag name by git check-ref-format's
// rules (refs/heads/NAME and refs/tags/NAME too), at most MaxRef bytes.
func ValidRef(s string) bool { return refProblem(s) == "" }

// IsSHA reports whether ref looks like a full or abbreviated commit SHA
// (7 to 40 hex digits). Such a ref may still name a branch or tag.
func IsSHA(ref string) bool { return shaRE.MatchString(ref) }

// refProblem says what makes s unusable as a ref, "" when it is fine. It
// follows git check-ref-format (with --allow-onelevel) and is stricter in
// two ways: s must be valid, printable UTF-8, and a "refs/" name must be
// under refs/heads/ or refs/tags/.
func refProblem(s string) string {
	switch {
	case s == "":
		return "it is empty"
	case len(s) > MaxRef:
		return "it is longer than 200 bytes"
	case IsSHA(s):
		return ""
	case !utf8.ValidString(s):
		return "it is not valid UTF-8"
	case s == "@":
		return "it is a lone at sign"
	case strings.HasPrefix(s, "-"):
		return `it starts with "-"`
	case strings.HasPrefix(s, "/"):
		return `it starts with "/"`
	case strings.HasSuffix(s, "/"):
		return `it ends with "/"`
	case strings.HasSuffix(s, "."):
		return `it ends with "."`
	case strings.Contains(s, ".."):
		return `it contains ".."`
	case strings.Contains(s, "//"):
		return `it contains "//"`
	case strings.Contains(s, "@{"):
		return "it contains an at sign followed by {"
	}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			return "it contains a control character"
		case r == ' ':
			return "it contains a space"
		case strings.ContainsRune(`~^:?*[\`, r):
			return "it contains " + strconv.QuoteRune(r)
		case !unicode.IsPrint(r):
			return "it contains a non-printing character"
		}
	}
	for _, part := range strings.Split(s, "/") {
		if strings.HasPrefix(part, ".") {
			return `a part of it starts with "."`
		}
		if strings.HasSuffix(part, ".lock") {
			return `a part of it ends with ".lock"`
		}
	}
	if rest, ok := strings.CutPrefix(s, "refs/"); ok {
		name, ok1 := strings.CutPrefix(rest, "heads/")
		if !ok1 {
			name, ok1 = strings.CutPrefix(rest, "tags/")
		}
		if !ok1 || name == "" {
			return "only refs/heads/ and refs/tags/ refs can be deployed"
		}
	}
	return ""
}

// ParseDuration reads a duration in Go's syntax ("90m", "1h30m") or with a
// leading count of days ("1d", "2d12h"); units are case-insensitive. It
// does not check a range.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.ToLower(s)
	var days time.Duration
	if before, after, ok := strings.Cut(s, "d"); ok {
		if !daysRE.MatchString(before) {
			return 0, errDuration
		}
		n, _ := strconv.Atoi(before)
		days = time.Duration(n) * 24 * time.Hour
		s = after
		if s == "" {
			return days, nil
		}
		if s[0] == '+' || s[0] == '-' {
			return 0, errDuration
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > math.MaxInt64-days {
		return 0, errDuration
	}
	return days + d, nil
}

// reasonProblem says what makes s unusable as a lock reason, "" when it is
// fine: at most MaxReason runes, valid UTF-8, printable (the zero-width
// joiner of emoji sequences is allowed; control and other format
// characters are not).
func reasonProblem(s string) string {
	if !utf8.ValidString(s) {
		return "the reason is not valid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n > MaxReason {
		return "the reason is longer than 200 characters (" + strconv.Itoa(n) + ")"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != '\u200d' {
			return "the reason has a control or non-printing character"
		}
	}
	return ""
}

// whenProblem says what makes s unusable as plan's WHEN, "" when it is fine:
// one printable line of at most 64 runes.
func whenProblem(s string) string {
	switch {
	case s == "":
		return "the go-live time is missing"
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > 64:
		return "it is not a time"
	case s != strings.Join(strings.Fields(s), " "):
		return "it has extra spaces"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "it has a control or non-printing character"
		}
	}
	return ""
}

// isZone reports whether a plan argument names a time zone rather than an
// environment (issueform.ParsePlanCommand's rule): it holds "/" or is
// "UTC" in any case.
func isZone(s string) bool { return strings.Contains(s, "/") || strings.EqualFold(s, "UTC") }

func validZone(s string) bool {
	return strings.EqualFold(s, "UTC") || (len(s) <= 64 && zoneRE.MatchString(s))
}

// parseIssue reads N of "#N" (without the "#").
func parseIssue(s string) (int, bool) {
	if !issueNumRE.MatchString(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n <= MaxIssue
}
