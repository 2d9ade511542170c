// Package checklist models a go-live process as a template of phases and
// items, renders it as a GitHub task list into a go-live issue's body, reads
// the ticks back and evaluates readiness.
//
// Everything here is a pure function of its arguments: no I/O and no clock
// (times are passed in; see bot/clock).
package checklist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Template is a go-live process: phases in the order they are rendered,
// each with its items. Use Parse or Default to get one: they validate it and
// give every phase and item an ID.
type Template struct {
	Phases []Phase
}

// Phase is a group of items due at one point of the timeline.
type Phase struct {
	// ID is the phase's stable id: the YAML "id", or derived from the name
	// (see Parse).
	ID string
	// Name is the phase's heading, unique within the template.
	Name string
	// Offset is when the phase is due, relative to the go-live time.
	Offset Offset
	// Items are the phase's checklist items, at least one.
	Items []Item
}

// Item is one checklist item.
type Item struct {
	// ID is the item's stable id, unique within the template: the YAML
	// "id", or derived from the phase and the text (see Parse).
	ID string
	// Text is the item's Markdown text, on one line, whitespace collapsed.
	Text string
	// Owner is who does it: a GitHub "@login", "@org/team" or a role name;
	// it may be empty.
	Owner string
	// Required items must be ticked for the go-live to be ready; YAML
	// "required" defaults to true.
	Required bool
}

// Items returns all items of all phases, in order.
func (t Template) Items() []Item {
	var out []Item
	for _, p := range t.Phases {
		out = append(out, p.Items...)
	}
	return out
}

// Limits on template values, so that a rendered checklist stays well inside
// GitHub's issue body limit and ids fit in HTML comments.
const (
	maxIDLen    = 64
	maxNameLen  = 120 // runes
	maxTextLen  = 500 // runes
	maxOwnerLen = 100 // runes
	maxProblems = 50
)

// ownerSep separates an item's text from its owner in the rendered task list.
const ownerSep = " — "

var idRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$`)

// Parse reads a template from YAML and validates it.
//
// The document is a mapping with one key, "phases": a list of phases, each
// with "name" (required), "offset" (required, see ParseOffset), an optional
// "id" and "items" (at least one). Each item has "text" (required), an
// optional "id", an optional "owner" and "required" (default true).
//
// Decoding is strict: unknown and duplicate keys, values of the wrong kind
// and invalid values are errors, each reported with its line as in
// `line 12: unknown field "titel"`; all problems found (up to 50) are
// returned together, joined. Names, texts and owners have their whitespace
// collapsed to single spaces; they must be valid UTF-8 on one line, without
// control characters or HTML comment delimiters ("<!--", "-->"), at most
// 120 (names), 500 (texts) and 100 (owners) characters long. An owner must
// not contain " — " (which separates it from the text when rendered) nor
// start with "— "; an item without an owner must not have " — " in its text;
// no text starts with "_(optional)_ " (the mark of optional items). These
// rules let ParseTaskList give back exactly the text and owner.
//
// Ids are 1 to 64 characters from A-Z a-z 0-9 . _ - , starting and ending
// with a letter or digit, and unique across the template (phase and item
// ids share one namespace). Phase names are unique too. An id left out is
// derived deterministically:
//
//   - a phase's id is its name in lower case with every run of other
//     characters than a-z and 0-9 turned into "-" (at most 40 characters),
//     or "phase-" and 8 hex digits of the name's SHA-256 when that is empty;
//   - an item's id is "<phase id>.<slug of the text, at most 32
//     characters>-<8 hex digits of SHA-256 of phase id, NUL, text>".
//
// Derived ids change when the name or text changes, so ticks on an item
// survive a rewording only when it has an explicit id.
func Parse(data []byte) (Template, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	// KnownFields makes decoding into structs strict. Parse decodes into a
	// yaml.Node (to keep lines for every message) and applies the same rule
	// itself, key by key, below.
	dec.KnownFields(true)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Template{}, errors.New("parse checklist template: the document is empty: want a mapping with \"phases\"")
		}
		return Template{}, fmt.Errorf("parse checklist template: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return Template{}, fmt.Errorf("parse checklist template: line %d: more than one YAML document", max(extra.Line, 1))
	} else if !errors.Is(err, io.EOF) {
		return Template{}, fmt.Errorf("parse checklist template: %w", err)
	}

	p := &parser{ids: map[string]int{}, names: map[string]int{}}
	var t Template
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.add(1, "the document is empty: want a mapping with \"phases\"")
	} else {
		t = p.template(doc.Content[0])
	}
	if err := p.err(); err != nil {
		return Template{}, fmt.Errorf("parse checklist template: %w", err)
	}
	return t, nil
}

type problem struct {
	line int
	msg  string
}

type parser struct {
	problems []problem
	ids      map[string]int // id -> line of first use
	names    map[string]int // phase name -> line of first use
}

func (p *parser) add(line int, msg string) {
	p.problems = append(p.problems, problem{line: max(line, 1), msg: msg})
}

func (p *parser) addf(n *yaml.Node, format string, args ...any) {
	p.add(n.Line, fmt.Sprintf(format, args...))
}

func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].line < p.problems[j].line })
	var errs []error
	for i, pr := range p.problems {
		if i == maxProblems {
			errs = append(errs, fmt.Errorf("and %d more problems", len(p.problems)-maxProblems))
			break
		}
		errs = append(errs, fmt.Errorf("line %d: %s", pr.line, pr.msg))
	}
	return errors.Join(errs...)
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected YAML value"
}

// fields checks that n is a mapping with only known, unique keys and
// returns the value node of each key present. where names the mapping.
func (p *parser) fields(n *yaml.Node, where string, known ...string) (map[string]*yaml.Node, bool) {
	v := resolve(n)
	if v.Kind != yaml.MappingNode {
		p.addf(n, "%s must be a mapping, found %s", where, kindName(v))
		return nil, false
	}
	out := map[string]*yaml.Node{}
	lines := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := resolve(v.Content[i])
		if k.Kind != yaml.ScalarNode {
			p.addf(v.Content[i], "keys in %s must be plain names, found %s", where, kindName(k))
			continue
		}
		if !contains(known, k.Value) {
			p.addf(v.Content[i], "unknown field %q in %s (known: %s)", k.Value, where, strings.Join(known, ", "))
			continue
		}
		if first, dup := lines[k.Value]; dup {
			p.addf(v.Content[i], "duplicate field %q in %s (first at line %d)", k.Value, where, first)
			continue
		}
		lines[k.Value] = v.Content[i].Line
		out[k.Value] = v.Content[i+1]
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// list returns the elements of a sequence node; null is an empty list. ok
// is false when a problem was reported.
func (p *parser) list(n *yaml.Node, where string) ([]*yaml.Node, bool) {
	v := resolve(n)
	if isNull(v) {
		return nil, true
	}
	if v.Kind != yaml.SequenceNode {
		p.addf(n, "%s must be a list, found %s", where, kindName(v))
		return nil, false
	}
	return v.Content, true
}

// str returns a scalar's text; a missing or null value is "". ok is false
// when a problem was reported.
func (p *parser) str(n *yaml.Node, where string) (s string, ok bool) {
	if n == nil {
		return "", true
	}
	v := resolve(n)
	if isNull(v) {
		return "", true
	}
	if v.Kind != yaml.ScalarNode {
		p.addf(n, "%s must be text, found %s", where, kindName(v))
		return "", false
	}
	return v.Value, true
}

// text reads a one-line text value, checks it and collapses its whitespace.
// ok is false when a problem was reported.
func (p *parser) text(n *yaml.Node, where string, maxLen int) (string, bool) {
	s, ok := p.str(n, where)
	if !ok {
		return "", false
	}
	if !utf8.ValidString(s) {
		p.addf(n, "%s is not valid UTF-8", where)
		return "", false
	}
	s = strings.Join(strings.Fields(s), " ")
	for _, r := range s {
		if unicode.IsControl(r) {
			p.addf(n, "%s contains the control character %q", where, r)
			return "", false
		}
	}
	if strings.Contains(s, "<!--") || strings.Contains(s, "-->") {
		p.addf(n, "%s must not contain HTML comment delimiters (\"<!--\" or \"-->\")", where)
		return "", false
	}
	if c := utf8.RuneCountInString(s); c > maxLen {
		p.addf(n, "%s is %d characters long, more than %d", where, c, maxLen)
		return "", false
	}
	return s, true
}

func (p *parser) id(n *yaml.Node, where string) string {
	s, ok := p.str(n, where)
	if !ok || s == "" {
		if ok && n != nil && !isNull(resolve(n)) {
			p.addf(n, "%s is empty: leave it out to have one derived", where)
		}
		return ""
	}
	if len(s) > maxIDLen || !idRE.MatchString(s) {
		p.addf(n, "%s %q is invalid: want 1 to %d characters from A-Z a-z 0-9 . _ - starting and ending with a letter or digit", where, s, maxIDLen)
		return ""
	}
	return s
}

func (p *parser) claimID(n *yaml.Node, id string) {
	if first, dup := p.ids[id]; dup {
		p.addf(n, "duplicate id %q (first used at line %d): ids must be unique across the template", id, first)
		return
	}
	p.ids[id] = max(n.Line, 1)
}

func (p *parser) template(n *yaml.Node) Template {
	f, ok := p.fields(n, "the template", "phases")
	if !ok {
		return Template{}
	}
	pn, ok := f["phases"]
	if !ok {
		p.addf(n, "missing field \"phases\": want a list of phases")
		return Template{}
	}
	phases, ok := p.list(pn, "\"phases\"")
	if ok && len(phases) == 0 {
		p.addf(pn, "\"phases\" is empty: want at least one phase")
	}
	var t Template
	for i, ph := range phases {
		t.Phases = append(t.Phases, p.phase(ph, i+1))
	}
	return t
}

func (p *parser) phase(n *yaml.Node, index int) Phase {
	where := fmt.Sprintf("phase %d", index)
	f, ok := p.fields(n, where, "id", "name", "offset", "items")
	if !ok {
		return Phase{}
	}
	var ph Phase
	if nn, present := f["name"]; !present {
		p.addf(n, "%s: missing field \"name\"", where)
	} else if name, ok := p.text(nn, where+" name", maxNameLen); ok && name == "" {
		p.addf(nn, "%s name is empty", where)
	} else if ok {
		ph.Name = name
		where = fmt.Sprintf("phase %q", name)
		if first, dup := p.names[name]; dup {
			p.addf(nn, "duplicate phase name %q (first at line %d)", name, first)
		} else {
			p.names[name] = nn.Line
		}
	}

	if on, present := f["offset"]; !present {
		p.addf(n, "%s: missing field \"offset\" (like \"T-7d\")", where)
	} else if s, ok := p.str(on, where+" offset"); ok && s == "" {
		p.addf(on, "%s offset is empty (want one like \"T-7d\")", where)
	} else if ok {
		o, err := ParseOffset(s)
		if err != nil {
			p.addf(on, "%s: %v", where, err)
		} else {
			ph.Offset = o
		}
	}

	ph.ID = p.id(f["id"], where+" id")
	if ph.ID == "" {
		ph.ID = derivePhaseID(ph.Name)
	}
	p.claimID(keyOr(f["id"], n), ph.ID)

	in, present := f["items"]
	if !present {
		p.addf(n, "%s: missing field \"items\"", where)
		return ph
	}
	items, ok := p.list(in, where+" items")
	if ok && len(items) == 0 {
		p.addf(in, "%s has no items", where)
	}
	for i, it := range items {
		ph.Items = append(ph.Items, p.item(it, ph, fmt.Sprintf("%s item %d", where, i+1)))
	}
	return ph
}

func keyOr(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func (p *parser) item(n *yaml.Node, ph Phase, where string) Item {
	f, ok := p.fields(n, where, "id", "text", "owner", "required")
	if !ok {
		return Item{}
	}
	it := Item{Required: true}
	if tn, present := f["text"]; !present {
		p.addf(n, "%s: missing field \"text\"", where)
	} else if text, ok := p.text(tn, where+" text", maxTextLen); ok && text == "" {
		p.addf(tn, "%s text is empty", where)
	} else if ok && strings.HasPrefix(text, optionalMark) {
		p.addf(tn, "%s text must not start with %q: write \"required: false\" instead", where, optionalMark)
	} else if ok {
		it.Text = text
	}
	if on := f["owner"]; on != nil {
		if owner, ok := p.text(on, where+" owner", maxOwnerLen); ok {
			if strings.Contains(owner, ownerSep) || strings.HasPrefix(owner, strings.TrimPrefix(ownerSep, " ")) {
				p.addf(on, "%s owner %q must not contain %q nor start with %q", where, owner, ownerSep, strings.TrimPrefix(ownerSep, " "))
			}
			it.Owner = owner
		}
	}
	if it.Owner == "" && strings.Contains(it.Text, ownerSep) {
		p.addf(keyOr(f["text"], n), "%s text contains %q, which separates the owner when rendered: give the item an owner or use another dash", where, ownerSep)
	}
	if rn := f["required"]; rn != nil {
		v := resolve(rn)
		if !isNull(v) {
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
				p.addf(rn, "%s required must be true or false, found %s", where, kindName(v))
			} else if err := v.Decode(&it.Required); err != nil {
				p.addf(rn, "%s required: %v", where, err)
			}
		}
	}
	it.ID = p.id(f["id"], where+" id")
	if it.ID == "" {
		it.ID = deriveItemID(ph.ID, it.Text)
	}
	p.claimID(keyOr(f["id"], n), it.ID)
	return it
}

// slug lowers s and turns every run of characters other than a-z and 0-9
// into one "-", trimmed, cut to at most n bytes.
func slug(s string, n int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > n {
		out = strings.TrimRight(out[:n], "-")
	}
	return out
}

func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:4])
}

func derivePhaseID(name string) string {
	if s := slug(name, 40); s != "" {
		return s
	}
	return "phase-" + shortHash(name)
}

func deriveItemID(phaseID, text string) string {
	h := shortHash(phaseID, text)
	if s := slug(text, 32); s != "" {
		return phaseID + "." + s + "-" + h
	}
	return phaseID + "." + h
}
