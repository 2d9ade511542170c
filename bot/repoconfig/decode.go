package repoconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/reminders"
)

var (
	environmentNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	workflowRE        = regexp.MustCompile(`^[^/\\]+\.ya?ml$`)
	slackChannelRE    = regexp.MustCompile(`^(#[^\s#]+|[CG][A-Z0-9]{2,})$`)
	variableNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	yamlErrorRE       = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	// githubNameRE is a GitHub login (up to 39 letters, digits and inner
	// hyphens) or an org/team, without the "@"; teams are written as in
	// checklist owners.
	githubNameRE  = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?$`)
	slackUserIDRE = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)
	timeOfDayRE   = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
)

// Bounds on reminders.grace.
const (
	minGrace = time.Minute
	maxGrace = 24 * time.Hour
)

// MaxSize is the largest configuration file Decode reads.
const MaxSize = 256 << 10

// maxProblems is how many problems a ParseError lists before summing up
// the rest.
const maxProblems = 50

// Decode parses a version 1 configuration, checks it and fills in defaults.
//
// Decoding is strict: unknown keys, duplicate keys, values of the wrong type
// and invalid values are all reported, each with its line, in one
// *ParseError. Null for a mapping or a list means "empty"; null for a scalar
// is an error. YAML anchors, aliases and merge keys (<<) are supported.
// Decode never returns a nil *Config with a nil error.
func Decode(data []byte) (*Config, error) {
	if len(data) > MaxSize {
		return nil, &ParseError{Problems: []Problem{{Line: 1, Message: fmt.Sprintf("the file is %d bytes: golive reads at most %d", len(data), MaxSize)}}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ParseError{Problems: []Problem{yamlProblem(err, data)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ParseError{Problems: []Problem{{Line: max(extra.Line, 1), Message: "the file holds more than one YAML document: keep only one"}}}
	} else if !errors.Is(err, io.EOF) {
		return nil, &ParseError{Problems: []Problem{yamlProblem(err, data)}}
	}

	d := &decoder{cfg: &Config{}}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.add(1, fmt.Sprintf("the file is empty: start it with \"version: %d\"", SupportedVersion))
	} else {
		d.top(doc.Content[0])
	}
	if len(d.problems) > 0 {
		ps := d.problems
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		if len(ps) > maxProblems {
			more := Problem{Line: ps[maxProblems].Line, Message: fmt.Sprintf("%d more problems not shown", len(ps)-maxProblems)}
			ps = append(ps[:maxProblems:maxProblems], more)
		}
		return nil, &ParseError{Problems: ps}
	}
	return d.cfg, nil
}

// yamlParserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner): yaml.v3 reports their line 0-based.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// yamlProblem turns a YAML parser error into a Problem with the line it is
// on. yaml.v3 leaves the line out when it is the first one, reports parser
// errors 0-based, and never gives one for encoding errors or unknown
// anchors; those are located in data.
func yamlProblem(err error, data []byte) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlErrorRE.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line, msg = n, m[2]
		}
	}
	switch {
	case yamlParserProblems[msg]:
		line++
	case msg == "control characters are not allowed" || strings.Contains(msg, "UTF-8") || strings.Contains(msg, "Unicode"):
		line = badCharLine(data)
	case unknownAnchorRE.MatchString(msg):
		name := unknownAnchorRE.FindStringSubmatch(msg)[1]
		msg = fmt.Sprintf("alias *%s names no anchor: define &%s before using it", name, name)
		line = aliasLine(data, name)
	case line == 0:
		line = 1
	}
	return Problem{Line: line, Message: "invalid YAML: " + msg}
}

// badCharLine returns the line of the first byte sequence YAML refuses:
// invalid UTF-8 or a control character; 0 when there is none.
func badCharLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line
		case r == '\n':
			line++
		case r < 0x20 && r != '\t' && r != '\r', r == 0x7f, r >= 0x80 && r <= 0x9f && r != 0x85, r == 0xfffe, r == 0xffff:
			return line
		}
		i += size
	}
	return 0
}

// aliasLine returns the line of the first "*name" in data; 0 when absent.
func aliasLine(data []byte, name string) int {
	i := bytes.Index(data, []byte("*"+name))
	if i < 0 {
		return 0
	}
	return 1 + bytes.Count(data[:i], []byte("\n"))
}

type decoder struct {
	cfg       *Config
	problems  []Problem
	expanded  map[*yaml.Node][]pair // mappings whose pairs are known (nil: in progress)
	expanding map[*yaml.Node]bool
}

func (d *decoder) add(line int, msg string) {
	d.problems = append(d.problems, Problem{Line: max(line, 1), Message: msg})
}

func (d *decoder) addf(n *yaml.Node, format string, args ...any) {
	d.add(n.Line, fmt.Sprintf(format, args...))
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!bool":
			return "a boolean " + n.Value
		case "!!int", "!!float":
			return "a number " + n.Value
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected YAML value"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// field handles the value of one known key; at is the node to report
// problems at (the alias when the value came through one).
type field func(at, v *yaml.Node)

type pair struct{ key, value *yaml.Node }

// fields walks a mapping: known keys go to their handler, unknown and
// duplicate keys are problems. where names the mapping in messages.
func (d *decoder) fields(n *yaml.Node, where string, known map[string]field) {
	v := resolve(n)
	if isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		d.addf(n, "%s must be a mapping, found %s", where, kindName(v))
		return
	}
	for _, p := range d.pairs(v, where) {
		key := p.key.Value
		f, ok := known[key]
		if !ok {
			msg := fmt.Sprintf("unknown field %q in %s", key, where)
			if s := suggest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.addf(p.key, "%s", msg)
			continue
		}
		f(p.value, resolve(p.value))
	}
}

// pairs lists a mapping's keys and values, expanding merge keys: keys
// written in the mapping win over merged ones, earlier merges over later.
// Duplicate keys written in the mapping are problems. Each mapping is
// expanded once (so aliases cannot blow up the work) and a mapping that
// merges itself is a problem.
func (d *decoder) pairs(m *yaml.Node, where string) []pair {
	if ps, done := d.expanded[m]; done {
		if ps == nil && d.expanding[m] {
			d.addf(m, "a merge key (<<) in %s merges the mapping into itself", where)
		}
		return ps
	}
	if d.expanded == nil {
		d.expanded, d.expanding = map[*yaml.Node][]pair{}, map[*yaml.Node]bool{}
	}
	d.expanded[m], d.expanding[m] = nil, true
	defer delete(d.expanding, m)

	var own, merged []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.addf(m.Content[i], "keys in %s must be plain names, found %s", where, kindName(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, where)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.addf(m.Content[i], "duplicate field %q in %s (first at line %d)", k.Value, where, first)
			continue
		}
		seen[k.Value] = k.Line
		own = append(own, pair{k, v})
	}
	for _, p := range merged {
		if _, dup := seen[p.key.Value]; !dup {
			seen[p.key.Value] = p.key.Line
			own = append(own, p)
		}
	}
	if own == nil {
		own = []pair{}
	}
	d.expanded[m] = own
	return own
}

// merge returns the pairs a merge key (<<) brings in: from a mapping, or
// from each mapping of a list (earlier ones winning).
func (d *decoder) merge(v *yaml.Node, where string) []pair {
	src := resolve(v)
	switch src.Kind {
	case yaml.MappingNode:
		return d.pairs(src, where)
	case yaml.SequenceNode:
		var out []pair
		seen := map[string]bool{}
		for _, item := range src.Content {
			r := resolve(item)
			if r.Kind != yaml.MappingNode {
				d.addf(item, "a merge key (<<) in %s must name mappings, found %s", where, kindName(r))
				continue
			}
			for _, p := range d.pairs(r, where) {
				if !seen[p.key.Value] {
					seen[p.key.Value] = true
					out = append(out, p)
				}
			}
		}
		return out
	}
	d.addf(v, "a merge key (<<) in %s must name a mapping, found %s", where, kindName(src))
	return nil
}

func (d *decoder) str(at, v *yaml.Node, name string) (string, bool) {
	if v.Kind == yaml.ScalarNode {
		switch v.ShortTag() {
		case "!!str", "!!timestamp":
			return v.Value, true
		}
	}
	d.addf(at, "%s must be a string, found %s", name, kindName(v))
	return "", false
}

func (d *decoder) boolean(at, v *yaml.Node, name string) (bool, bool) {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool" {
		var b bool
		if err := v.Decode(&b); err == nil {
			return b, true
		}
	}
	d.addf(at, "%s must be true or false, found %s", name, kindName(v))
	return false, false
}

// item is one string entry of a list, with its node for reporting.
type item struct {
	node *yaml.Node
	s    string
}

// stringItems returns the non-empty string entries of a list, reporting
// entries that are not strings or are empty. ok is false when v is null or
// not a list (the latter reported).
func (d *decoder) stringItems(at, v *yaml.Node, name string) (items []item, ok bool) {
	if isNull(v) {
		return nil, false
	}
	if v.Kind != yaml.SequenceNode {
		d.addf(at, "%s must be a list of strings, found %s", name, kindName(v))
		return nil, false
	}
	items = make([]item, 0, len(v.Content))
	for _, n := range v.Content {
		s, ok := d.str(n, resolve(n), "each entry of "+name)
		if !ok {
			continue
		}
		if s == "" {
			d.addf(n, "%s must not have empty entries", name)
			continue
		}
		items = append(items, item{n, s})
	}
	return items, true
}

func (d *decoder) strings(at, v *yaml.Node, name string, check func(string) string) []string {
	items, ok := d.stringItems(at, v, name)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if check != nil {
			if msg := check(it.s); msg != "" {
				d.addf(it.node, "%s", msg)
				continue
			}
		}
		out = append(out, it.s)
	}
	return out
}

func (d *decoder) top(root *yaml.Node) {
	c := d.cfg
	var versionSeen, tzSet bool
	tzLine := 0
	if r := resolve(root); r.Kind != yaml.MappingNode && !isNull(r) {
		d.addf(root, "the configuration must be a mapping of fields, found %s", kindName(r))
		return
	}
	d.fields(root, "the configuration", map[string]field{
		"version": func(at, v *yaml.Node) {
			versionSeen = true
			var f float64
			if v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float") && v.Decode(&f) == nil && f == SupportedVersion {
				c.Version = SupportedVersion
				return
			}
			if v.Kind == yaml.ScalarNode && !isNull(v) {
				d.addf(at, "unsupported version %q: golive supports version %d (write \"version: %d\")", v.Value, SupportedVersion, SupportedVersion)
				return
			}
			d.addf(at, "version must be %d, found %s", SupportedVersion, kindName(v))
		},
		"label": func(at, v *yaml.Node) {
			if s, ok := d.str(at, v, "label"); ok {
				if strings.TrimSpace(s) == "" {
					d.addf(at, "label must not be empty (the default is %q)", DefaultLabel)
					return
				}
				c.Label = s
			}
		},
		"timezone": func(at, v *yaml.Node) {
			if s, ok := d.str(at, v, "timezone"); ok {
				tzSet, tzLine = true, at.Line
				c.Timezone = s
			}
		},
		"slack": func(at, v *yaml.Node) {
			d.fields(at, "slack", map[string]field{
				"channel": func(at, v *yaml.Node) {
					if s, ok := d.str(at, v, "slack.channel"); ok {
						if !slackChannelRE.MatchString(s) {
							d.addf(at, "slack.channel %q is not a Slack channel: write it as \"#deploys\" or as a channel ID like C0123ABCD", s)
							return
						}
						c.Slack.Channel = s
					}
				},
				"users": func(at, v *yaml.Node) {
					c.Slack.Users = d.slackUsers(at, v)
				},
			})
		},
		"reminders": func(at, _ *yaml.Node) {
			d.reminders(at)
		},
		"incidents": func(at, _ *yaml.Node) {
			d.incidents(at)
		},
		"environments": func(at, v *yaml.Node) {
			d.environments(at, v)
		},
		"schedules": func(at, v *yaml.Node) {
			d.schedules(at, v)
		},
		"template": func(at, v *yaml.Node) {
			t := &TemplateOverride{Extend: true}
			if isNull(v) {
				c.Template = t
				return
			}
			d.fields(at, "template", map[string]field{
				"extend": func(at, v *yaml.Node) {
					if b, ok := d.boolean(at, v, "template.extend"); ok {
						t.Extend = b
					}
				},
				"phases": func(_, v *yaml.Node) { t.Phases = *v },
			})
			c.Template = t
		},
	})

	if !versionSeen {
		d.add(root.Line, fmt.Sprintf("version is required: add \"version: %d\"", SupportedVersion))
	}
	if c.Label == "" {
		c.Label = DefaultLabel
	}
	if !tzSet {
		c.Timezone = DefaultTimezone
	}
	if loc, err := loadLocation(c.Timezone); err == nil {
		c.loc = loc
	} else if tzSet {
		d.add(tzLine, fmt.Sprintf("timezone %q is not an IANA time zone: write a name like \"Europe/Berlin\" or \"UTC\"", c.Timezone))
	}
	if len(c.Environments) == 0 {
		c.Environments = defaultEnvironments()
	}
	d.finishSchedules()
}

func (d *decoder) environments(at, v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		d.addf(at, "environments must be a mapping of environment names, found %s", kindName(v))
		return
	}
	envs := map[string]Environment{}
	for _, p := range d.pairs(v, "environments") {
		name := p.key.Value
		if !environmentNameRE.MatchString(name) {
			d.addf(p.key, "environment name %q may only hold letters, digits, '.', '_' and '-'", name)
			continue
		}
		envs[name] = d.environment(name, p.value)
	}
	d.cfg.Environments = envs
}

func (d *decoder) environment(name string, n *yaml.Node) Environment {
	e := Environment{Name: name}
	where := "environments." + name
	workflow := func(key string, dst *string) field {
		return func(at, v *yaml.Node) {
			s, ok := d.str(at, v, where+"."+key)
			if !ok {
				return
			}
			if !workflowRE.MatchString(s) {
				d.addf(at, "%s.%s %q must be a workflow file name in .github/workflows ending in .yml or .yaml, like \"deploy.yml\"", where, key, s)
				return
			}
			*dst = s
		}
	}
	d.fields(n, where, map[string]field{
		"production": func(at, v *yaml.Node) {
			if b, ok := d.boolean(at, v, where+".production"); ok {
				e.Production = b
			}
		},
		"workflow":          workflow("workflow", &e.Workflow),
		"rollback_workflow": workflow("rollback_workflow", &e.RollbackWorkflow),
		"min_role": func(at, v *yaml.Node) {
			s, ok := d.str(at, v, where+".min_role")
			if !ok {
				return
			}
			if !Role(s).Valid() {
				d.addf(at, "%s.min_role %q is not a role: write one of read, triage, write, maintain, admin", where, s)
				return
			}
			e.MinRole = Role(s)
		},
		"slack_users": func(at, v *yaml.Node) {
			e.SlackUsers = d.strings(at, v, where+".slack_users", nil)
		},
		"slack_groups": func(at, v *yaml.Node) {
			e.SlackGroups = d.strings(at, v, where+".slack_groups", nil)
		},
		"required_variables": func(at, v *yaml.Node) {
			e.RequiredVariables = d.strings(at, v, where+".required_variables", func(s string) string {
				if !variableNameRE.MatchString(s) {
					return fmt.Sprintf("%s.required_variables entry %q is not a variable name: use letters, digits and '_', not starting with a digit", where, s)
				}
				return ""
			})
		},
		"tick_on_success": func(at, v *yaml.Node) {
			e.TickOnSuccess = d.strings(at, v, where+".tick_on_success", func(s string) string {
				if !itemIDRE.MatchString(s) {
					return fmt.Sprintf("%s.tick_on_success entry %q is not a checklist item id: use letters, digits, '.', '_' and '-'", where, s)
				}
				return ""
			})
		},
	})
	return withDefaults(e)
}

// itemIDRE matches a checklist item id: the characters an environment name
// may hold.
var itemIDRE = environmentNameRE

// slackUsers decodes slack.users: GitHub logins and teams (with or without
// "@") to Slack user or user group IDs. nil when it maps nobody.
func (d *decoder) slackUsers(at, v *yaml.Node) map[string]string {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		d.addf(at, "slack.users must be a mapping of GitHub logins or teams to Slack IDs, like \"alice: U0123ABCD\", found %s", kindName(v))
		return nil
	}
	users := map[string]string{}
	seen := map[string]*yaml.Node{} // keys by lower-case name
	for _, p := range d.pairs(v, "slack.users") {
		key := p.key.Value
		name := strings.TrimPrefix(key, "@")
		if !githubNameRE.MatchString(name) {
			d.addf(p.key, "slack.users key %q is not a GitHub login or team: write a login like alice or a team like acme/sre", key)
			continue
		}
		if first, dup := seen[strings.ToLower(name)]; dup {
			d.addf(p.key, "slack.users key %q names the same GitHub login or team as %q (line %d): GitHub ignores case and the \"@\" is optional, so keep one", key, first.Value, first.Line)
			continue
		}
		seen[strings.ToLower(name)] = p.key
		where := "slack.users." + key
		id, ok := d.str(p.value, resolve(p.value), where)
		if !ok {
			continue
		}
		if !slackUserIDRE.MatchString(id) {
			d.addf(p.value, "%s %q is not a Slack user or user group ID: write a user ID like U0123ABCD (or W0123ABCD) or a user group ID like S0123ABCD", where, id)
			continue
		}
		users[name] = id
	}
	if len(users) == 0 {
		return nil
	}
	return users
}

// reminders decodes the reminders section into d.cfg.Reminders.
func (d *decoder) reminders(n *yaml.Node) {
	r := &d.cfg.Reminders
	d.fields(n, "reminders", map[string]field{
		"offsets": func(at, v *yaml.Node) {
			r.Offsets = d.offsets(at, v)
		},
		"grace": func(at, v *yaml.Node) {
			if v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float") {
				d.addf(at, "reminders.grace %s has no unit: write a duration like \"15m\" or \"1h\", from 1m to 24h", v.Value)
				return
			}
			s, ok := d.str(at, v, "reminders.grace")
			if !ok {
				return
			}
			g, err := time.ParseDuration(s)
			if err != nil {
				d.addf(at, "reminders.grace %q is not a duration: write one like \"15m\" or \"1h30m\", from 1m to 24h", s)
				return
			}
			if g < minGrace || g > maxGrace {
				d.addf(at, "reminders.grace %q is out of range: write a duration from 1m to 24h, like \"15m\"", s)
				return
			}
			r.Grace = g
		},
		"quiet_hours": func(at, v *yaml.Node) {
			d.quietHours(at, v)
		},
		"skip_weekends": func(at, v *yaml.Node) {
			if b, ok := d.boolean(at, v, "reminders.skip_weekends"); ok {
				r.SkipWeekends = b
			}
		},
		"escalation": func(at, v *yaml.Node) {
			r.Escalation = d.escalation(at, v)
		},
	})
}

// offsets decodes reminders.offsets: a non-empty list of distinct offsets.
func (d *decoder) offsets(at, v *yaml.Node) []checklist.Offset {
	const name = "reminders.offsets"
	if isNull(v) || (v.Kind == yaml.SequenceNode && len(v.Content) == 0) {
		d.addf(at, "%s is empty: list at least one offset like \"T-1d\", or leave offsets out for golive's default timeline", name)
		return nil
	}
	items, _ := d.stringItems(at, v, name)
	var out []checklist.Offset
	seen := map[checklist.Offset]item{}
	for _, it := range items {
		o, err := checklist.ParseOffset(it.s)
		if err != nil {
			why := strings.TrimPrefix(err.Error(), fmt.Sprintf("parse offset %q: ", it.s))
			d.addf(it.node, "%s entry %q is not an offset: %s", name, it.s, why)
			continue
		}
		if first, dup := seen[o]; dup {
			if first.s == it.s {
				d.addf(it.node, "duplicate offset %q in %s (first at line %d)", it.s, name, first.node.Line)
			} else {
				d.addf(it.node, "offset %q in %s is the same as %q (line %d): keep one", it.s, name, first.s, first.node.Line)
			}
			continue
		}
		seen[o] = it
		out = append(out, o)
	}
	return out
}

// quietHours decodes reminders.quiet_hours: start and end, both HH:MM and
// not equal.
func (d *decoder) quietHours(at, v *yaml.Node) {
	const where = "reminders.quiet_hours"
	if !isNull(v) && v.Kind != yaml.MappingNode {
		d.addf(at, "%s must be a mapping like {start: \"20:00\", end: \"08:00\"}, found %s", where, kindName(v))
		return
	}
	type clock struct {
		present, ok bool
		d           time.Duration
		text        string
	}
	var start, end clock
	timeOfDay := func(key string, c *clock) field {
		return func(at, v *yaml.Node) {
			c.present = true
			if v.Kind != yaml.ScalarNode || isNull(v) {
				d.addf(at, "%s.%s must be a time of day like \"20:00\", found %s", where, key, kindName(v))
				return
			}
			m := timeOfDayRE.FindStringSubmatch(v.Value)
			if m == nil || v.ShortTag() != "!!str" {
				d.addf(at, "%s.%s %q is not a time of day: write it as HH:MM, from 00:00 to 23:59, like \"20:00\"", where, key, v.Value)
				return
			}
			h, _ := strconv.Atoi(m[1])
			mm, _ := strconv.Atoi(m[2])
			c.ok, c.d, c.text = true, time.Duration(h)*time.Hour+time.Duration(mm)*time.Minute, v.Value
		}
	}
	d.fields(at, where, map[string]field{
		"start": timeOfDay("start", &start),
		"end":   timeOfDay("end", &end),
	})
	switch {
	case !start.present && !end.present:
		d.addf(at, "%s needs a start and an end, like {start: \"20:00\", end: \"08:00\"}: add them, or leave quiet_hours out for none", where)
		return
	case !start.present:
		d.addf(at, "%s has no start: add one as HH:MM, like start: \"20:00\"", where)
		return
	case !end.present:
		d.addf(at, "%s has no end: add one as HH:MM, like end: \"08:00\"", where)
		return
	case !start.ok || !end.ok:
		return
	case start.d == end.d:
		d.addf(at, "%s start and end are both %q: end the quiet hours at another time, or leave quiet_hours out for none", where, start.text)
		return
	}
	rules := reminders.Rules{QuietStart: start.d, QuietEnd: end.d}
	if err := rules.Validate(); err != nil {
		d.addf(at, "%s: %v", where, err)
		return
	}
	d.cfg.Reminders.QuietStart, d.cfg.Reminders.QuietEnd = start.d, end.d
}

// escalation decodes reminders.escalation: distinct "@login" or "@org/team"
// mentions, kept as written. nil when it lists nobody.
func (d *decoder) escalation(at, v *yaml.Node) []string {
	const name = "reminders.escalation"
	items, _ := d.stringItems(at, v, name)
	var out []string
	seen := map[string]*yaml.Node{}
	for _, it := range items {
		mention, hasAt := strings.CutPrefix(it.s, "@")
		switch {
		case !githubNameRE.MatchString(mention):
			d.addf(it.node, "%s entry %q is not a GitHub login or team: write \"@login\" or \"@org/team\", like \"@bob\" or \"@acme/sre\"", name, it.s)
			continue
		case !hasAt:
			d.addf(it.node, "%s entry %q must start with \"@\": write \"@%s\" (in quotes, as YAML reserves a leading @)", name, it.s, it.s)
			continue
		}
		if first, dup := seen[strings.ToLower(it.s)]; dup {
			d.addf(it.node, "duplicate entry %q in %s (first at line %d): GitHub ignores case, so keep one", it.s, name, first.Line)
			continue
		}
		seen[strings.ToLower(it.s)] = it.node
		out = append(out, it.s)
	}
	return out
}

// suggest returns the known key closest to key when it is a likely typo.
func suggest(key string, known map[string]field) string {
	best, bestDist := "", 3
	for k := range known {
		dist := editDistance(strings.ToLower(key), k)
		if dist >= len(k) {
			continue
		}
		if dist < bestDist || (dist == bestDist && k < best) {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
