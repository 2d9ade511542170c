package ghclient_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/ghclient"
	"github.com/golive-dev/golive/bot/metrics"
)

// TestRepoAgainstFakeGitHub runs every Repo method against the fake GitHub,
// which checks each request against GitHub's OpenAPI description.
func TestRepoAgainstFakeGitHub(t *testing.T) {
	ctx := context.Background()
	gh := fakegithub.New(fakegithub.Options{T: t})
	gh.AddRepo("acme/api", fakegithub.RepoOpts{})
	gh.AddRepo("acme/.github", fakegithub.RepoOpts{})
	gh.AddInstallation(42, "acme", "Organization")
	gh.PutFile("acme/api", ".github/golive.yml", "version: 1\n")
	gh.AddIssue("acme/api", fakegithub.Issue{Number: 7, Title: "Go-live", Body: "old"})
	gh.SetPermission("acme/api", "alice", "write", "maintain")
	m := metrics.New()
	apps, err := ghclient.New(ghclient.Config{AppID: gh.AppID(), PrivateKeyPEM: gh.PrivateKeyPEM(), BaseURL: gh.URL, Metrics: m, Clock: clock.System{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Repo(42, "not-a-repo"); err == nil {
		t.Fatal("a name without owner/ accepted")
	}
	r, err := apps.Repo(42, "acme/api")
	if err != nil {
		t.Fatal(err)
	}

	// The same file twice: one full read, then a 304 that costs no rate limit.
	remaining := -1
	for i := range 2 {
		data, found, err := r.File(ctx, "acme", "api", ".github/golive.yml")
		if err != nil || !found || string(data) != "version: 1\n" {
			t.Fatalf("read %d: %q %v %v", i, data, found, err)
		}
		if i == 0 {
			remaining = gh.RateLimitRemaining(42)
		}
	}
	reads := gh.CallsTo("GET", "/repos/{owner}/{repo}/contents/{path}")
	if len(reads) != 2 || reads[0].Status != http.StatusOK || reads[1].Status != http.StatusNotModified {
		t.Fatalf("file reads answered %v, want one 200 then one 304", statuses(reads))
	}
	if gh.RateLimitRemaining(42) != remaining {
		t.Fatalf("the 304 cost rate limit: %d → %d", remaining, gh.RateLimitRemaining(42))
	}
	if _, found, err := r.File(ctx, "acme", ".github", ".github/golive.yml"); err != nil || found {
		t.Fatalf("missing file: found=%v err=%v", found, err)
	}

	if err := r.SetIssueBody(ctx, 7, "new body"); err != nil {
		t.Fatal(err)
	}
	if is, _ := gh.GetIssue("acme/api", 7); is.Body != "new body" {
		t.Fatalf("body = %q", is.Body)
	}
	id, err := r.CreateComment(ctx, 7, "tracker")
	if err != nil || id == 0 {
		t.Fatalf("CreateComment = %d, %v", id, err)
	}
	if err := r.EditComment(ctx, id, "tracker v2"); err != nil {
		t.Fatal(err)
	}
	if err := r.EditComment(ctx, id+999, "x"); !errors.Is(err, ghclient.ErrCommentGone) {
		t.Fatalf("editing a deleted comment: %v, want ErrCommentGone", err)
	}
	cs, err := r.Comments(ctx, 7)
	if err != nil || len(cs) != 1 || cs[0].ID != id || cs[0].Body != "tracker v2" {
		t.Fatalf("Comments = %+v, %v", cs, err)
	}
	if role, err := r.Permission(ctx, "alice"); err != nil || role != "maintain" {
		t.Fatalf("Permission(alice) = %q, %v; want the role name", role, err)
	}
	if role, err := r.Permission(ctx, "mallory"); err != nil || role != "none" {
		t.Fatalf("Permission(mallory) = %q, %v; want none", role, err)
	}
	if v := gh.Violations(); len(v) != 0 {
		t.Fatalf("requests outside GitHub's OpenAPI description: %+v", v)
	}
	if errs := gh.CheckResponses(); len(errs) != 0 {
		t.Fatalf("fake answered off-spec: %v", errs)
	}
}

func statuses(cs []fakegithub.Call) []int {
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i] = c.Status
	}
	return out
}
