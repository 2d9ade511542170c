package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/golive-dev/golive/bot/fakegithub"
)

// Found by bench/crash -faults: a dispatch that failed transiently left its
// deploy row behind, and the inbox's retry found the row by its
// correlation id and reported the deploy as started — it never was. The
// retry now dispatches again when GitHub has no run for it.
func TestDeployDispatchedAfterATransientDispatchFailure(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 40, Title: "Release"})
	tr.gh.Inject(fakegithub.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", Status: 500, Times: 1})
	tr.command(t, 40, "walt", "write", "/golive deploy staging")
	tr.settle(t)
	if n := len(tr.gh.CallsTo("POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches")); n != 2 {
		t.Fatalf("%d dispatch requests, want 2 (the failed one and its retry)", n)
	}
	if ds := tr.gh.Dispatches(); len(ds) != 1 {
		t.Fatalf("%d dispatches reached GitHub, want 1", len(ds))
	}
	if r := tr.replies(40); len(r) != 1 || !strings.Contains(r[0], "/actions/runs/") {
		t.Fatalf("replies %q, want one with the run's link", r)
	}
}

// Found by bench/crash -faults: a command's reply was posted, the reaction
// after it failed, and the retry posted the reply again and audited the
// command again. The retry now finds the reply by its marker, and the audit
// entry is keyed by the request.
func TestCommandReplyPostedOnceWhenTheReactionFails(t *testing.T) {
	tr := newTrackingRig(t)
	tr.withWorkflows(t)
	tr.gh.AddIssue(trackedRepo, fakegithub.Issue{Number: 41, Title: "Release"})
	// /golive help answers without 👀 first: the reply, then 🚀, which fails once.
	tr.gh.Inject(fakegithub.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", Status: 500, Times: 1})
	id := tr.command(t, 41, "walt", "write", "/golive help")
	tr.settle(t)
	if n := len(tr.gh.CallsTo("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions")); n != 2 {
		t.Fatalf("%d reaction requests, want 2 (the failed one and its retry)", n)
	}
	if r := tr.replies(41); len(r) != 1 {
		t.Fatalf("%d replies, want 1", len(r))
	}
	if got := tr.reactions(id); len(got) != 1 || got[0] != "rocket" {
		t.Fatalf("reactions %v, want 🚀", got)
	}
	if audit, _ := tr.store.ListCommandAudit(context.Background(), trackedRepo, 10); len(audit) != 1 {
		t.Fatalf("%d command audit entries, want 1: %+v", len(audit), audit)
	}
}
