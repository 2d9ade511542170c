package checklist

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func smallTemplate(t testing.TB) Template {
	t.Helper()
	tp, err := Parse([]byte(smallYAML))
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func TestRender(t *testing.T) {
	tp := smallTemplate(t)
	berlin := mustLoc(t, "Europe/Berlin")
	golive := time.Date(2026, 12, 1, 14, 0, 0, 0, berlin)
	cdn := tp.Phases[0].Items[1].ID
	got := Render(tp, golive, map[string]bool{"servers": true, "live": false, "unknown": true})
	want := MarkerStart + "\n" + intro + "\n" +
		"\n### Pre-launch (T-7d · 2026-11-24 14:00 CET)\n\n" +
		"- [x] Servers provisioned — @ops-team <!-- golive:item:servers -->\n" +
		"- [ ] _(optional)_ CDN configured — DevOps <!-- golive:item:" + cdn + " -->\n" +
		"\n### Go live! (T+30m · 2026-12-01 14:30 CET)\n\n" +
		"- [ ] Maintenance mode off <!-- golive:item:live -->\n" +
		"- [ ] Announce — on chat — @acme/comms <!-- golive:item:" + tp.Phases[1].Items[1].ID + " -->\n" +
		"\n" + MarkerEnd + "\n"
	if got != want {
		t.Errorf("Render =\n%s\nwant\n%s", got, want)
	}

	// Due times are in the go-live's zone, DST included.
	summer := Render(tp, time.Date(2026, 7, 1, 9, 0, 0, 0, berlin), nil)
	if !strings.Contains(summer, "(T-7d · 2026-06-24 09:00 CEST)") {
		t.Errorf("summer render lacks the CEST due time:\n%s", summer)
	}
	ny := mustLoc(t, "America/New_York")
	if s := Render(tp, time.Date(2026, 11, 3, 9, 0, 0, 0, ny), nil); !strings.Contains(s, "(T-7d · 2026-10-27 09:00 EDT)") ||
		!strings.Contains(s, "(T+30m · 2026-11-03 09:30 EST)") {
		t.Errorf("New York render has wrong due times:\n%s", s)
	}
}

func TestApplyToBodyAppend(t *testing.T) {
	tp := smallTemplate(t)
	golive := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	r := Render(tp, golive, nil)
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "", r},
		{"no newline", "### Service\n\napi", "### Service\n\napi\n\n" + r},
		{"newline", "### Service\n\napi\n", "### Service\n\napi\n\n" + r},
		{"blank line", "api\n\n", "api\n\n" + r},
		{"crlf", "### Service\r\n\r\napi", "### Service\r\n\r\napi\r\n\r\n" + strings.ReplaceAll(r, "\n", "\r\n")},
		{"open fence", "notes\n```go\nx := 1\n", "notes\n```go\nx := 1\n```\n\n" + r},
		{"open long tilde fence", "~~~~\nx", "~~~~\nx\n~~~~\n\n" + r},
		{"open comment", "a\n<!-- hidden\nb\n", "a\n<!-- hidden\nb\n-->\n\n" + r},
		{"marker in a fence", "```\n" + MarkerStart + "\n" + MarkerEnd + "\n```\n", "```\n" + MarkerStart + "\n" + MarkerEnd + "\n```\n\n" + r},
		{"marker in a quote", "> " + MarkerStart + "\n> " + MarkerEnd, "> " + MarkerStart + "\n> " + MarkerEnd + "\n\n" + r},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApplyToBody(tc.body, r)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ApplyToBody =\n%q\nwant\n%q", got, tc.want)
			}
			if n := len(ParseTaskList(got)); n != 4 {
				t.Errorf("ParseTaskList found %d items, want 4", n)
			}
		})
	}
}

func TestApplyToBodyReplace(t *testing.T) {
	tp := smallTemplate(t)
	golive := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	before := "### Service\r\n\r\napi  \r\n\r\n"
	after := "\r\n\r\n## Notes\r\nkeep *this* <!-- and this -->\r\n" + MarkerEnd + "\r\n"
	old := MarkerStart + "\r\n- [x] stale <!-- golive:item:gone -->\r\n```\r\nunclosed fence\r\n" + MarkerEnd
	body := before + old + after
	r := Render(tp, golive, map[string]bool{"live": true})
	got, err := ApplyToBody(body, r)
	if err != nil {
		t.Fatal(err)
	}
	want := before + strings.TrimSuffix(strings.ReplaceAll(r, "\n", "\r\n"), "\r\n") + after
	if got != want {
		t.Errorf("ApplyToBody =\n%q\nwant\n%q", got, want)
	}
	// Applying again is stable, and a second rendering replaces the first.
	again, err := ApplyToBody(got, r)
	if err != nil || again != got {
		t.Errorf("second ApplyToBody changed the body: %v\n%q", err, again)
	}
	tasks := ParseTaskList(got)
	if len(tasks) != 4 || !tasks[2].Checked || tasks[2].ID != "live" {
		t.Errorf("ParseTaskList = %+v", tasks)
	}
}

func TestApplyToBodyErrors(t *testing.T) {
	tp := smallTemplate(t)
	r := Render(tp, time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC), nil)

	_, err := ApplyToBody("a\n"+MarkerStart+"\n- [ ] x\n", r)
	if !errors.Is(err, ErrUnterminatedBlock) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("unterminated block: err = %v", err)
	}
	if _, err := ApplyToBody("a", "- [ ] not a block"); err == nil {
		t.Error("ApplyToBody accepted a rendered text without markers")
	}

	// Exactly at the limit is fine; one character more is not. Characters
	// are runes: "é" is two bytes but one character.
	fill := MaxBodyChars - utf8.RuneCountInString(r) - 2 // "\n\n" separator
	body := strings.Repeat("é", fill)
	got, err := ApplyToBody(body, r)
	if err != nil {
		t.Fatalf("body of exactly %d characters refused: %v", MaxBodyChars, err)
	}
	if n := utf8.RuneCountInString(got); n != MaxBodyChars {
		t.Fatalf("result has %d characters, want %d", n, MaxBodyChars)
	}
	_, err = ApplyToBody(body+"é", r)
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	if want := fmt.Sprintf("%d characters", MaxBodyChars+1); !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), fmt.Sprint(MaxBodyChars)) {
		t.Errorf("error %q does not give the sizes", err)
	}
}

// Items added by hand inside the block survive a re-render: under their
// phase, or under ByHandHeading when the template lost that phase, with
// their boxes, owners and ids.
func TestRenderKeepsItemsAddedByHand(t *testing.T) {
	tmpl := Default()
	at := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	first := tmpl.Phases[0]
	body := Render(tmpl, at, nil)
	// People add two items under the first phase, one nested under a
	// template item, and one under a heading of their own.
	body = strings.Replace(body, "\n### "+tmpl.Phases[1].Name,
		"- [x] Warm the CDN cache — @alice\n- [ ] Tell the **support** team\n\n### Extra\n\n- [ ] Order pizza\n\n### "+tmpl.Phases[1].Name, 1)
	body = strings.Replace(body, "<!-- golive:item:"+first.Items[0].ID+" -->\n", "<!-- golive:item:"+first.Items[0].ID+" -->\n  - [ ] nested check\n", 1)
	before := manualOf(ParseTaskList(body))
	if len(before) != 4 {
		t.Fatalf("%d manual tasks parsed, want 4: %+v", len(before), before)
	}
	again := RenderKeeping(tmpl, at, nil, ParseTaskList(body))
	after := manualOf(ParseTaskList(again))
	if len(after) != len(before) {
		t.Fatalf("after a re-render %d manual tasks, want %d:\n%s", len(after), len(before), again)
	}
	for id, b := range before {
		a, ok := after[id]
		if !ok || a.Checked != b.Checked || a.Owner != b.Owner || a.Text != b.Text {
			t.Errorf("manual item %q (%+v) became %+v", id, b, a)
		}
		want := b.Phase
		if want == "Extra" {
			want = ByHandHeading
		}
		if a.Phase != want {
			t.Errorf("manual item %q is under %q, want %q", b.Text, a.Phase, want)
		}
	}
	// Stable: rendering what was rendered changes nothing.
	if third := RenderKeeping(tmpl, at, nil, ParseTaskList(again)); third != again {
		t.Errorf("a second re-render changed the block:\n%s\n---\n%s", again, third)
	}
	if !strings.Contains(again, "- [x] Warm the CDN cache — @alice\n") {
		t.Errorf("the ticked, owned item is not kept as written:\n%s", again)
	}
}

func manualOf(tasks []Task) map[string]Task {
	out := map[string]Task{}
	for _, t := range tasks {
		if t.Manual {
			out[t.ID] = t
		}
	}
	return out
}
