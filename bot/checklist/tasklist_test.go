package checklist

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTaskList(t *testing.T) {
	body := strings.Join([]string{
		"### Form answer",
		"- [x] outside the block <!-- golive:item:outside -->",
		MarkerStart,
		"_note_",
		"- [ ] before any heading",
		"",
		"### Pre-launch (T-7d · 2026-11-24 14:00 CET)",
		"",
		"- [x] Servers provisioned — @ops <!-- golive:item:servers -->",
		"  - [ ] nested by hand",
		"    * [X] deeper, `code` **bold** | pipe \\[x\\] — @alice",
		"+ [x] plus bullet <!-- a note --> with a comment",
		"1. [ ] ordered",
		"2) [x] ordered paren",
		"- [ ] _(optional)_ CDN — DevOps <!-- golive:item:cdn -->",
		"- [x] copied line <!-- golive:item:servers -->",
		"- [ ] Same  text",
		"- [ ] same text",
		"-  [ ] two spaces",
		"- [ ]no space is not a task",
		"- [y] not a box",
		"> - [ ] quoted",
		">- [x] quoted too",
		"```",
		"- [ ] in a fence <!-- golive:item:fenced -->",
		"```",
		"~~~md",
		"- [ ] in a tilde fence",
		"~~~",
		"<!--",
		"- [ ] in a comment block",
		"-->",
		"    - [ ] indented four <!-- golive:item:indented -->",
		"## Custom heading ##",
		"* [x] under a custom heading",
		"### Go live! (T+30m · 2026-12-01 14:30 CET)",
		"- [x] Reworded text — DevOps <!-- golive:item:live -->",
		"",
		MarkerEnd,
		"- [ ] after the block",
	}, "\r\n")

	got := ParseTaskList(body)
	pre := "Pre-launch"
	want := []Task{
		{Text: "before any heading", Manual: true},
		{ID: "servers", Text: "Servers provisioned", Owner: "@ops", Checked: true, Phase: pre},
		{Text: "nested by hand", Manual: true, Phase: pre},
		{Text: "deeper, `code` **bold** | pipe \\[x\\]", Owner: "@alice", Checked: true, Manual: true, Phase: pre},
		{Text: "plus bullet with a comment", Checked: true, Manual: true, Phase: pre},
		{Text: "ordered", Manual: true, Phase: pre},
		{Text: "ordered paren", Checked: true, Manual: true, Phase: pre},
		{ID: "cdn", Text: "CDN", Owner: "DevOps", Phase: pre},
		{Text: "copied line", Checked: true, Manual: true, Phase: pre},
		{Text: "Same text", Manual: true, Phase: pre},
		{Text: "same text", Manual: true, Phase: pre},
		{Text: "two spaces", Manual: true, Phase: pre},
		{ID: "indented", Text: "indented four", Phase: pre},
		{Text: "under a custom heading", Checked: true, Manual: true, Phase: "Custom heading"},
		{ID: "live", Text: "Reworded text", Owner: "DevOps", Checked: true, Phase: "Go live!"},
	}
	for i := range want {
		if want[i].Manual {
			want[i].ID = manualID(want[i].Text)
			if want[i].Owner != "" {
				want[i].ID = manualID(want[i].Text + ownerSep + want[i].Owner)
			}
		}
	}
	want[10].ID += "-2" // same normalised text as the one before
	// Line is each manual item's line as written; compared apart.
	noLines := make([]Task, len(got))
	for i, tk := range got {
		if tk.Manual != (tk.Line != "") || (tk.Manual && !strings.Contains(body, tk.Line)) {
			t.Errorf("task %d: line %q is not the manual item's line of the body", i, tk.Line)
		}
		tk.Line = ""
		noLines[i] = tk
	}
	if !reflect.DeepEqual(noLines, want) {
		t.Errorf("ParseTaskList =\n%s\nwant\n%s", dump(got), dump(want))
	}
	ids := map[string]bool{}
	for _, tk := range got {
		if ids[tk.ID] {
			t.Errorf("duplicate id %q", tk.ID)
		}
		ids[tk.ID] = true
		if tk.Manual && (!strings.HasPrefix(tk.ID, "manual:") || len(strings.TrimPrefix(strings.TrimSuffix(tk.ID, "-2"), "manual:")) != 12) {
			t.Errorf("manual id %q is not manual:<12 hex>", tk.ID)
		}
	}
	// Same items with LF line endings give the same result.
	if lf := ParseTaskList(strings.ReplaceAll(body, "\r\n", "\n")); !reflect.DeepEqual(lf, got) {
		t.Errorf("LF body parsed differently:\n%s", dump(lf))
	}
	if cr := ParseTaskList(strings.ReplaceAll(body, "\r\n", "\r")); !reflect.DeepEqual(cr, got) {
		t.Errorf("CR body parsed differently:\n%s", dump(cr))
	}
}

func TestParseTaskListEdges(t *testing.T) {
	if got := ParseTaskList(""); len(got) != 0 {
		t.Errorf("empty body: %v", got)
	}
	if got := ParseTaskList("- [x] no block <!-- golive:item:a -->"); len(got) != 0 {
		t.Errorf("body without a block: %v", got)
	}
	// A block in a fence is no block; the real one follows.
	body := "```\n" + MarkerStart + "\n- [x] a <!-- golive:item:a -->\n" + MarkerEnd + "\n```\n" +
		MarkerStart + "\n- [ ] b <!-- golive:item:b -->\n" + MarkerEnd
	if got := ParseTaskList(body); len(got) != 1 || got[0].ID != "b" {
		t.Errorf("fenced block was read: %+v", got)
	}
	// Without an end marker the block runs to the end.
	if got := ParseTaskList(MarkerStart + "\n- [x] a <!-- golive:item:a -->\n- [ ] b"); len(got) != 2 || !got[0].Checked {
		t.Errorf("unterminated block: %+v", got)
	}
	// Manual ids ignore case and spacing, not wording.
	if manualID("Call  the vendor") != manualID("call the vendor") || manualID("call the vendor") == manualID("call the vendors") {
		t.Error("manual ids are not normalised as documented")
	}
}

func dump(ts []Task) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(
			strings.Join([]string{t.ID, t.Text, t.Owner, t.Phase}, " | "), "\n", " ")), "\r", ""))
		if t.Checked {
			b.WriteString(" [x]")
		}
		if t.Manual {
			b.WriteString(" (manual)")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestDiff(t *testing.T) {
	block := func(lines ...string) []Task {
		return ParseTaskList(MarkerStart + "\n### P (T-1d · 2026-01-01 00:00 UTC)\n" + strings.Join(lines, "\n") + "\n" + MarkerEnd)
	}
	before := block(
		"- [ ] A <!-- golive:item:a -->",
		"- [x] B <!-- golive:item:b -->",
		"- [ ] C <!-- golive:item:c -->",
		"- [ ] by hand",
		"- [x] removed later <!-- golive:item:r -->",
	)
	after := block(
		"- [x] A reworded <!-- golive:item:a -->",               // ticked and reworded
		"- [ ] B <!-- golive:item:b -->",                        // unticked
		"- [ ] C, new wording — someone <!-- golive:item:c -->", // reworded only
		"- [ ] by hand, reworded",                               // manual reworded only
		"- [x] new and done",                                    // appeared checked
		"- [ ] new and open",                                    // appeared open
	)
	got := Diff(before, after)
	want := []Change{
		{ID: "a", Text: "A reworded", Checked: true},
		{ID: "b", Text: "B", Checked: false},
		{ID: manualID("new and done"), Text: "new and done", Checked: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff = %+v\nwant %+v", got, want)
	}

	// A manual item reworded and ticked in one edit is one change.
	b2 := block("- [ ] by hand")
	a2 := block("- [x] by hand, done")
	if got := Diff(b2, a2); len(got) != 1 || !got[0].Checked || got[0].ID != manualID("by hand, done") {
		t.Errorf("reworded and ticked manual item: %+v", got)
	}
	// Nothing changed, nothing reported; first reading reports checked items.
	if got := Diff(before, before); len(got) != 0 {
		t.Errorf("Diff of identical lists = %+v", got)
	}
	if got := Diff(nil, before); len(got) != 2 || got[0].ID != "b" || got[1].ID != "r" {
		t.Errorf("Diff from nothing = %+v", got)
	}
}

func TestTickItems(t *testing.T) {
	body := "intro [ ] not a task\n" +
		"- [ ] Deploy to staging <!-- golive:item:deploy-staging -->\n" +
		"- [x] Smoke tests pass <!-- golive:item:smoke -->\n" +
		"- [ ] Something by hand\n" +
		"- [ ] Announce <!-- golive:item:announce -->\n"
	got, ticked := TickItems(body, []string{"deploy-staging", "smoke", "missing"})
	want := strings.Replace(body, "- [ ] Deploy to staging", "- [x] Deploy to staging", 1)
	if got != want || len(ticked) != 1 || ticked[0] != "deploy-staging" {
		t.Fatalf("TickItems = %q, %v\nwant %q", got, ticked, want)
	}
	tasks := ParseTaskList(got)
	for _, task := range tasks {
		if task.ID == "announce" && task.Checked {
			t.Fatal("an item not asked for was ticked")
		}
	}
}
