package handlers_test

import (
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/fakegithub"
)

// An item someone adds inside the checklist stays there, as written, when
// golive rewrites the checklist for a later edit, and its tick counts.
func TestItemsAddedByHandStay(t *testing.T) {
	tr := newTrackingRig(t)
	body := formBody(inTenDays())
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 61, Title: "Go-live", Body: body, Labels: []string{"golive"}})
	tr.send(t, "", tr.issueEvent(t, "opened", 61, body, nil, "alice"))
	tr.settle(t)
	rendered, _ := tr.gh.GetIssue(trackedRepo, 61)

	// Alice adds her own item at the end of the first phase.
	lines := strings.SplitAfter(rendered.Body, "\n")
	var withItem strings.Builder
	added := false
	for i, l := range lines {
		withItem.WriteString(l)
		if !added && strings.HasPrefix(l, "- [") && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "" {
			withItem.WriteString("- [ ] Order pizza for the launch team — @alice\n")
			added = true
		}
	}
	edited := withItem.String()
	tr.send(t, "", tr.issueEvent(t, "edited", 61, edited, &rendered.Body, "alice"))
	tr.settle(t)
	if n := len(tr.gh.CallsTo("PATCH", issueRoute)); n != 1 {
		t.Fatalf("%d issue body writes, want only the first render: the edit needs no rewrite", n)
	}

	// Bob ticks it and a template item in one edit; a template change
	// (a second environment's edit) makes golive rewrite the block.
	ticked := strings.Replace(edited, "- [ ] Order pizza", "- [x] Order pizza", 1)
	ticked = strings.Replace(ticked, "- [ ] ", "- [x] ", 1)
	ticked = strings.Replace(ticked, "### Release\n\nv1.2.0", "### Release\n\nv1.2.1", 1)
	tr.send(t, "", tr.issueEvent(t, "edited", 61, ticked, &edited, "bob"))
	tr.settle(t)

	final, _ := tr.gh.GetIssue(trackedRepo, 61)
	latest := final.Body
	if len(tr.gh.CallsTo("PATCH", issueRoute)) == 1 {
		latest = ticked // golive had nothing to change
	}
	if !strings.Contains(latest, "- [x] Order pizza for the launch team — @alice\n") {
		t.Fatalf("the item added by hand is gone or changed:\n%s", latest)
	}
	if c := tr.gh.Comments(trackedRepo, 61); len(c) == 0 || !strings.Contains(c[0].Body, "Order pizza") && !strings.Contains(c[0].Body, "(2 of ") {
		t.Fatalf("tracker after ticking the hand-added item:\n%.400s", c[0].Body)
	}
}
