package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/tracking"
)

const validateUsage = `Usage: golive validate [FILE]

Checks a golive configuration (default: .github/golive.yml), including the
checklist template it asks for, or a checklist template file (a YAML document
with "phases"). Prints "FILE: ok (…)" and exits 0, or prints each problem as
FILE:LINE: message and exits 1; exits 2 when FILE cannot be read.
`

// validate checks one configuration or template file.
func validate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("golive validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, validateUsage) }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, validateUsage)
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "golive validate: want at most one file, got %d\n\n%s", fs.NArg(), validateUsage)
		return 2
	}
	name := repoconfig.Path
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(stderr, "golive validate: read %q: %v\n", name, err)
		return 2
	}
	f := checkFile(name, data)
	if len(f.problems) > 0 {
		for _, p := range f.problems {
			fmt.Fprintln(stderr, p.String(name))
		}
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%s)\n", name, f.summary())
	return 0
}

// fileProblem is one problem in a checked file; line is 0 when unknown.
type fileProblem struct {
	line int
	msg  string
}

// String returns "FILE:LINE: message", or "FILE: message" without a line.
func (p fileProblem) String(file string) string {
	if p.line > 0 {
		return fmt.Sprintf("%s:%d: %s", file, p.line, p.msg)
	}
	return fmt.Sprintf("%s: %s", file, p.msg)
}

// checkedFile is what checkFile found in a file.
type checkedFile struct {
	cfg          *repoconfig.Config // nil for a template file
	template     checklist.Template
	templateKind string // where the template comes from, for people
	problems     []fileProblem
}

func (f checkedFile) summary() string {
	items, optional := 0, 0
	for _, it := range f.template.Items() {
		items++
		if !it.Required {
			optional++
		}
	}
	tmpl := fmt.Sprintf("%s, %s, %s (%d optional)", f.templateKind, plural(len(f.template.Phases), "phase"), plural(items, "item"), optional)
	if f.cfg == nil {
		return tmpl
	}
	c := f.cfg
	slack := "no Slack channel"
	if c.Slack.Channel != "" {
		slack = "Slack channel " + c.Slack.Channel
	}
	return fmt.Sprintf("golive configuration version %d: label %q, time zone %s, %s, environments %s; checklist: %s",
		c.Version, c.Label, c.Timezone, slack, strings.Join(c.EnvironmentNames(), ", "), tmpl)
}

// checkFile checks data, the contents of the file name. A document with a
// top-level "phases" key and no "version" is a checklist template (read by
// checklist.Parse); anything else is a golive configuration (read by
// repoconfig.Decode), whose template is then built as the bot builds it
// (tracking.TemplateFor).
func checkFile(name string, data []byte) checkedFile {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// repoconfig locates YAML syntax errors carefully (yaml.v3 reports
		// some lines 0-based); it stops at them, whatever the document is.
		if _, derr := repoconfig.Decode(data); derr != nil {
			return checkedFile{problems: configProblems(derr)}
		}
		return checkedFile{problems: []fileProblem{{msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	keys := topLevelKeys(&doc)
	if keys["phases"] && !keys["version"] {
		t, err := checklist.Parse(data)
		if err != nil {
			ps, _ := checklistProblems(err)
			return checkedFile{problems: ps}
		}
		return checkedFile{template: t, templateKind: "checklist template"}
	}

	cfg, err := repoconfig.Decode(data)
	if err != nil {
		return checkedFile{problems: configProblems(err)}
	}
	f := checkedFile{cfg: cfg}
	t, err := tracking.TemplateFor(cfg)
	if err != nil {
		f.problems = templateProblems(data, cfg, err)
		return f
	}
	f.template = t
	switch {
	case cfg.Template == nil || cfg.Template.Phases.Kind == 0:
		f.templateKind = "built-in checklist"
	case cfg.Template.Extend:
		own := len(t.Phases) - len(checklist.Default().Phases)
		f.templateKind = fmt.Sprintf("built-in checklist extended by %s", plural(own, "phase"))
	default:
		f.templateKind = "own checklist replacing the built-in one"
	}
	return f
}

// topLevelKeys returns the keys of the document's top-level mapping.
func topLevelKeys(doc *yaml.Node) map[string]bool {
	keys := map[string]bool{}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return keys
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return keys
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode {
			keys[m.Content[i].Value] = true
		}
	}
	return keys
}

func configProblems(err error) []fileProblem {
	var pe *repoconfig.ParseError
	if !errors.As(err, &pe) {
		return []fileProblem{{msg: err.Error()}}
	}
	out := make([]fileProblem, 0, len(pe.Problems))
	for _, p := range pe.Problems {
		out = append(out, fileProblem{line: p.Line, msg: p.Message})
	}
	return out
}

var (
	checklistLineRE = regexp.MustCompile(`^(yaml: )?line (\d+): (.*)$`)
	moreProblemsRE  = regexp.MustCompile(`^and \d+ more problems$`)
)

// checklistProblems splits an error of checklist.Parse into its problems.
// ok is false when one of them is a YAML syntax error or has no line (other
// than the closing "and N more problems").
func checklistProblems(err error) (ps []fileProblem, ok bool) {
	ok = true
	msg := strings.TrimPrefix(err.Error(), "parse checklist template: ")
	for _, l := range strings.Split(msg, "\n") {
		m := checklistLineRE.FindStringSubmatch(l)
		if m == nil {
			ok = ok && moreProblemsRE.MatchString(l)
			ps = append(ps, fileProblem{msg: l})
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if m[1] != "" {
			ok = false
			ps = append(ps, fileProblem{line: n, msg: "invalid YAML: " + m[3]})
			continue
		}
		ps = append(ps, fileProblem{line: n, msg: m[3]})
	}
	return ps, ok
}

var syntheticLineRE = regexp.MustCompile(`line \d+: | \((?:first (?:used )?at line \d+)\)|parse checklist template: `)

// templateProblems reports why a configuration's template is invalid (err
// from tracking.TemplateFor), with lines in the configuration file.
//
// TemplateFor re-encodes the phases, which loses their lines. So the phases
// are first checked on their own in a copy of the file in which everything
// but them is blanked out, keeping every line where it is; when that finds
// the problems, they are reported. Otherwise (the problem is in extending
// the built-in checklist, or the phases cannot be cut out of the file, as
// when they use aliases) TemplateFor's error is reported on the phases'
// first line, without its lines, which refer to no file.
func templateProblems(data []byte, cfg *repoconfig.Config, err error) []fileProblem {
	phases := &cfg.Template.Phases
	if doc, ok := phasesDocument(data, phases); ok {
		if _, perr := checklist.Parse(doc); perr != nil {
			if ps, ok := checklistProblems(perr); ok {
				for i := range ps {
					ps[i].msg = "template: " + ps[i].msg
				}
				return ps
			}
		}
	}
	var msgs []string
	for _, l := range strings.Split(err.Error(), "\n") {
		msgs = append(msgs, syntheticLineRE.ReplaceAllString(l, ""))
	}
	msg := strings.ReplaceAll(strings.Join(msgs, "; "), "`.github/golive.yml`", "this configuration")
	return []fileProblem{{line: phases.Line, msg: msg}}
}

// phasesDocument returns a checklist template document made of the file's
// template.phases value n at the lines it is on in data: every other line
// is blank, and the line before a block value (or the value's own line, for
// a flow or scalar value) holds the "phases" key. ok is false when n cannot
// be cut out this way.
func phasesDocument(data []byte, n *yaml.Node) (doc []byte, ok bool) {
	if n.Kind == 0 || n.Line < 1 || n.Column < 1 || hasAlias(n) {
		return nil, false
	}
	lines := strings.Split(string(data), "\n")
	start, col := n.Line-1, n.Column-1
	if start >= len(lines) {
		return nil, false
	}
	out := make([]string, start, len(lines))
	block := (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && n.Style&yaml.FlowStyle == 0
	first := []rune(lines[start])
	if col > len(first) {
		return nil, false
	}
	var ends func(line string) bool
	if block {
		if start == 0 || strings.TrimLeft(string(first[:col]), " ") != "" {
			return nil, false
		}
		out[start-1] = "phases:"
		out = append(out, lines[start])
		ends = func(l string) bool {
			ind := indent(l)
			if ind < col {
				return true
			}
			// A sequence may sit at its key's indentation; then a sibling
			// key at that indentation ends it.
			rest := l[ind:]
			return ind == col && n.Kind == yaml.SequenceNode && rest != "-" && !strings.HasPrefix(rest, "- ")
		}
	} else {
		keyIndent := indent(lines[start])
		out = append(out, "phases: "+string(first[col:]))
		ends = func(l string) bool { return indent(l) <= keyIndent }
	}
	for _, l := range lines[start+1:] {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "#") && ends(strings.TrimRight(l, "\r")) {
			break
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n") + "\n"), true
}

func indent(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}
