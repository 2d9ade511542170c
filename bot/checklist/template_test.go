package checklist

import (
	"reflect"
	"strings"
	"testing"
)

const smallYAML = `phases:
  - id: pre
    name: Pre-launch
    offset: T-7d
    items:
      - id: servers
        text: Servers   provisioned
        owner: "@ops-team"
      - text: CDN configured
        owner: DevOps
        required: false
  - name: Go live!
    offset: T+30m
    items:
      - id: live
        text: Maintenance mode off
      - text: "Announce — on chat"
        owner: "@acme/comms"
`

func TestParseSmall(t *testing.T) {
	tp, err := Parse([]byte(smallYAML))
	if err != nil {
		t.Fatal(err)
	}
	want := Template{Phases: []Phase{
		{ID: "pre", Name: "Pre-launch", Offset: MustParseOffset("T-7d"), Items: []Item{
			{ID: "servers", Text: "Servers provisioned", Owner: "@ops-team", Required: true},
			{ID: deriveItemID("pre", "CDN configured"), Text: "CDN configured", Owner: "DevOps", Required: false},
		}},
		{ID: "go-live", Name: "Go live!", Offset: MustParseOffset("T+30m"), Items: []Item{
			{ID: "live", Text: "Maintenance mode off", Required: true},
			{ID: deriveItemID("go-live", "Announce — on chat"), Text: "Announce — on chat", Owner: "@acme/comms", Required: true},
		}},
	}}
	if !reflect.DeepEqual(tp, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", tp, want)
	}
	if got := tp.Phases[0].Items[1].ID; !strings.HasPrefix(got, "pre.cdn-configured-") || len(got) != len("pre.cdn-configured-")+8 {
		t.Errorf("derived id = %q, want pre.cdn-configured-<8 hex>", got)
	}
	// Derived ids are deterministic and depend on phase and text.
	again, _ := Parse([]byte(smallYAML))
	if again.Phases[0].Items[1].ID != tp.Phases[0].Items[1].ID {
		t.Error("derived ids differ between two parses")
	}
	if deriveItemID("pre", "CDN configured") == deriveItemID("other", "CDN configured") ||
		deriveItemID("pre", "CDN configured") == deriveItemID("pre", "CDN configured!") {
		t.Error("derived ids do not depend on phase and text")
	}
	if got := deriveItemID("p", "日本語"); !strings.HasPrefix(got, "p.") || len(got) != 10 {
		t.Errorf("derived id for a text without ASCII letters = %q", got)
	}
	if got := derivePhaseID("日本語"); !strings.HasPrefix(got, "phase-") {
		t.Errorf("derived phase id = %q", got)
	}
	if n := len(tp.Items()); n != 4 {
		t.Errorf("Items() has %d items, want 4", n)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown item field", `phases:
  - name: A
    offset: T-1d
    items:
      - text: x
        titel: y
`, []string{`line 6: unknown field "titel"`}},
		{"unknown top field", "phases: []\nversion: 2\n", []string{`line 2: unknown field "version"`, `line 1: "phases" is empty`}},
		{"bad offset", `phases:
  - name: A
    offset: T-7x
    items: [{text: x}]
`, []string{`line 3: phase "A": parse offset "T-7x"`}},
		{"missing and empty", `phases:
  - name: ""
    items:
      - text: "  "
      - owner: me
`, []string{`line 2: phase 1 name is empty`, `line 2: phase 1: missing field "offset"`, `line 4: phase 1 item 1 text is empty`, `line 5: phase 1 item 2: missing field "text"`}},
		{"duplicate ids", `phases:
  - id: a
    name: A
    offset: T-1d
    items:
      - id: x
        text: one
      - id: x
        text: two
      - id: a
        text: three
`, []string{`line 8: duplicate id "x" (first used at line 6)`, `line 10: duplicate id "a" (first used at line 2)`}},
		{"duplicate derived ids", `phases:
  - name: A
    offset: T-1d
    items:
      - text: same
      - text: same
`, []string{`line 6: duplicate id "a.same-`}},
		{"duplicate phase names", `phases:
  - {name: A, offset: T-1d, items: [{text: x}]}
  - {name: A, offset: T-2d, items: [{text: y}]}
`, []string{`line 3: duplicate phase name "A"`}},
		{"invalid id", `phases:
  - {name: A, offset: T-1d, items: [{id: "has space", text: x}, {id: "-x", text: y}, {id: "manual:x", text: z}]}
`, []string{`id "has space" is invalid`, `id "-x" is invalid`, `id "manual:x" is invalid`}},
		{"wrong kinds", `phases:
  - name: [A]
    offset: T-1d
    items: {text: x}
  - x
`, []string{`line 2: phase 1 name must be text, found a list`, `line 4: phase 1 items must be a list, found a mapping`, `line 5: phase 2 must be a mapping, found "x"`}},
		{"required not bool", `phases:
  - {name: A, offset: T-1d, items: [{text: x, required: maybe}]}
`, []string{`required must be true or false, found "maybe"`}},
		{"duplicate key", `phases:
  - name: A
    name: B
    offset: T-1d
    items: [{text: x}]
`, []string{`line 3: duplicate field "name" in phase 1 (first at line 2)`}},
		{"comment delimiters", `phases:
  - {name: A, offset: T-1d, items: [{text: "a <!-- b", owner: "c -->"}]}
`, []string{`text must not contain HTML comment delimiters`, `owner must not contain HTML comment delimiters`}},
		{"owner separator", `phases:
  - {name: A, offset: T-1d, items: [{text: "a — b"}, {text: c, owner: "d — e"}, {text: f, owner: "— g"}, {text: "_(optional)_ h"}]}
`, []string{`text contains " — "`, `owner "d — e" must not contain " — "`, `owner "— g" must not`, `text must not start with "_(optional)_ "`}},
		{"too long", "phases:\n  - {name: A, offset: T-1d, items: [{text: " + strings.Repeat("x", 501) + "}]}\n",
			[]string{`text is 501 characters long, more than 500`}},
		{"control character", "phases:\n  - {name: A, offset: T-1d, items: [{text: \"a\\u0007b\"}]}\n",
			[]string{`contains the control character '\a'`}},
		{"not a mapping", "- a\n- b\n", []string{`line 1: the template must be a mapping, found a list`}},
		{"empty", "", []string{`the document is empty`}},
		{"only a comment", "# nothing\n", []string{`the document is empty`}},
		{"two documents", "phases: []\n---\nphases: []\n", []string{`line 2: more than one YAML document`}},
		{"syntax", "phases: [\n", []string{`parse checklist template: yaml: line`}},
		{"no phases", "{}\n", []string{`line 1: missing field "phases"`}},
		{"no items", "phases:\n  - {name: A, offset: T-1d, items: []}\n  - {name: B, offset: T-1d}\n",
			[]string{`line 2: phase "A" has no items`, `line 3: phase "B": missing field "items"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "parse checklist template: ") {
				t.Errorf("error %q does not say what failed", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain %q", msg, w)
				}
			}
		})
	}
}

func TestParseAliasesAndNulls(t *testing.T) {
	tp, err := Parse([]byte(`phases:
  - name: A
    offset: &o T-1d
    items:
      - &it {id: x, text: shared, owner: ~, required: ~}
  - name: B
    offset: *o
    items:
      - {id: y, text: other}
`))
	if err != nil {
		t.Fatal(err)
	}
	if tp.Phases[1].Offset.String() != "T-1d" || tp.Phases[0].Items[0].Owner != "" || !tp.Phases[0].Items[0].Required {
		t.Errorf("aliases or nulls not handled: %+v", tp)
	}
}

func TestParseManyProblemsIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("phases:\n  - {name: A, offset: T-1d, items: [")
	for i := 0; i < 200; i++ {
		b.WriteString("{text: x, bad: 1},")
	}
	b.WriteString("]}\n")
	_, err := Parse([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "and ") || strings.Count(err.Error(), "\n") > maxProblems+1 {
		t.Errorf("error is not bounded: %v", err)
	}
}
