package main

// End-to-end tests of golive reconcile: the built binary against the fake
// GitHub and a fresh SQLite file, as an operator runs it after losing the
// database.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/fakegithub"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

const (
	reconcileInstall = 4747
	// acme/api takes the default label, golive; acme/web names its own.
	// Reminders go to a go-live's Slack channel: both name one.
	apiConfig = "version: 1\nslack:\n  channel: \"#deploys\"\n"
	webConfig = "version: 1\nlabel: release\nslack:\n  channel: \"#web\"\n"
)

// reconcileResult is one run of golive reconcile.
type reconcileResult struct {
	code           int
	stdout, stderr string
}

// runReconcile runs golive reconcile with e's environment in an empty
// working directory (no .env).
func runReconcile(t *testing.T, e *env, args ...string) reconcileResult {
	t.Helper()
	cmd := exec.Command(golivePath, append([]string{"reconcile"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := reconcileResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run golive reconcile: %v", err)
	}
	assertNoSecrets(t, e, r.stdout+r.stderr)
	t.Logf("golive reconcile %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stdout)
	return r
}

// reconcileWorld is the fake GitHub after the database was lost: one
// installation of acme with two repositories and their go-live issues.
type reconcileWorld struct {
	e *env
	// The go-live issues reconcile must rebuild: acme/api #1 (which has
	// its tracker comment already), acme/api #2, acme/web #1.
	api1, api2, web1 fakegithub.Issue
	trackerID        int64
}

func newReconcileWorld(t *testing.T, dbURL string) *reconcileWorld {
	t.Helper()
	e := newEnv(t, dbURL)
	gh := e.gh
	t.Cleanup(func() {
		if v := gh.Violations(); len(v) != 0 {
			t.Errorf("requests outside GitHub's OpenAPI description: %+v", v)
		}
		if errs := gh.CheckResponses(); len(errs) != 0 {
			t.Errorf("the fake answered off-spec: %v", errs)
		}
	})
	// Created in this order, so that acme/broken (added to the
	// installation later) is listed between the two.
	gh.AddRepo("acme/api", fakegithub.RepoOpts{})
	gh.AddRepo("acme/broken", fakegithub.RepoOpts{})
	gh.AddRepo("acme/web", fakegithub.RepoOpts{Private: true})
	gh.AddInstallation(reconcileInstall, "acme", "Organization", "acme/api", "acme/web")
	gh.PutFile("acme/api", repoconfig.Path, apiConfig)
	gh.PutFile("acme/web", repoconfig.Path, webConfig)

	w := &reconcileWorld{e: e}
	first := checklist.Default().Phases[0].Items[0]
	w.api1 = gh.AddIssue("acme/api", fakegithub.Issue{Title: "Go-live v2.0", Labels: []string{"golive"},
		Body: goLiveBody(t, apiConfig, "production", map[string]bool{first.ID: true})})
	// The tracker comment golive posted before the database was lost.
	c, ok := gh.AddComment("acme/api", w.api1.Number, "golive[bot]", "<!-- golive:tracker -->\n## Go-live production\n(as it was before the database was lost)")
	if !ok {
		t.Fatal("add the tracker comment")
	}
	w.trackerID = c.ID
	w.api2 = gh.AddIssue("acme/api", fakegithub.Issue{Title: "Go-live staging", Labels: []string{"golive", "team:payments"},
		Body: goLiveBody(t, apiConfig, "staging", nil)})
	// Not go-lives: an issue without the label, and a closed go-live.
	gh.AddIssue("acme/api", fakegithub.Issue{Title: "Unlabelled", Body: goLiveBody(t, apiConfig, "production", nil)})
	gh.AddIssue("acme/api", fakegithub.Issue{Title: "Old go-live", Labels: []string{"golive"}, State: "closed", StateReason: "completed",
		Body: goLiveBody(t, apiConfig, "production", nil)})
	w.web1 = gh.AddIssue("acme/web", fakegithub.Issue{Title: "Web go-live", Labels: []string{"release"},
		Body: goLiveBody(t, webConfig, "production", nil)})
	// acme/web's label is "release": the default label means nothing there.
	gh.AddIssue("acme/web", fakegithub.Issue{Title: "Not web's label", Labels: []string{"golive"}, Body: goLiveBody(t, webConfig, "staging", nil)})
	return w
}

// reconciledState is what the store holds of the installations and the
// rebuilt go-lives.
type reconciledState struct {
	Installations []store.Installation
	Repositories  []store.Repository
	GoLives       []store.GoLive
	Items         map[int64][]store.Item
	Reminders     map[int64][]store.Reminder
	Audit         map[int64][]store.AuditEntry
}

func snapshot(t *testing.T, dbURL string) reconciledState {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, dbURL)
	defer st.Close()
	s := reconciledState{Items: map[int64][]store.Item{}, Reminders: map[int64][]store.Reminder{}, Audit: map[int64][]store.AuditEntry{}}
	var err error
	if s.Installations, err = st.ListInstallations(ctx); err != nil {
		t.Fatal(err)
	}
	for _, in := range s.Installations {
		rs, err := st.ListRepositories(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.Repositories = append(s.Repositories, rs...)
	}
	for _, state := range []store.GoLiveState{store.GoLiveActive, store.GoLiveInvalid, store.GoLiveDone, store.GoLiveCancelled} {
		gs, err := st.ListGoLives(ctx, state)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			if s.Items[g.ID], err = st.Items(ctx, g.ID); err != nil {
				t.Fatal(err)
			}
			if s.Reminders[g.ID], err = st.ListReminders(ctx, g.ID); err != nil {
				t.Fatal(err)
			}
			if s.Audit[g.ID], err = st.Audit(ctx, g.ID); err != nil {
				t.Fatal(err)
			}
			s.GoLives = append(s.GoLives, g)
		}
	}
	return s
}

// withoutBookkeeping drops the fields a second run may refresh without
// changing anything golive shows or does: a tracker refresh asked for with
// the same text, the updated_at of the body last saved.
func (s reconciledState) withoutBookkeeping() reconciledState {
	out := s
	out.GoLives = slices.Clone(s.GoLives)
	for i := range out.GoLives {
		g := &out.GoLives[i]
		g.TrackerDueAt, g.TrackerBody, g.BodyAsOf, g.UpdatedAt = time.Time{}, "", time.Time{}, time.Time{}
	}
	return out
}

// writes are the calls that changed something on GitHub; the installation
// tokens a run mints are not counted.
func writes(gh *fakegithub.Server) []string {
	var out []string
	for _, c := range gh.Calls() {
		if c.Method == "GET" || c.Route == "/app/installations/{installation_id}/access_tokens" {
			continue
		}
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

func TestReconcileRebuildsLostGoLives(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "golive.db")
	w := newReconcileWorld(t, dbURL)
	gh := w.e.gh

	// --dry-run lists what would be rebuilt and writes nothing: no
	// database file, no write to GitHub.
	dryDB := filepath.Join(t.TempDir(), "dry.db")
	w.e.vars["GOLIVE_DATABASE_URL"] = "sqlite:" + dryDB
	r := runReconcile(t, w.e, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, `acme/api: would rebuild 2 go-lives (#1, #2) (label "golive")`) ||
		!strings.Contains(r.stdout, `acme/web: would rebuild 1 go-live (#1) (label "release")`) ||
		!strings.Contains(r.stdout, "1 installations, 2 repositories, 3 go-lives to rebuild (dry run: nothing was written), 0 errors") {
		t.Fatalf("dry run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(dryDB); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the dry run created the database file (%v)", err)
	}
	if ws := writes(gh); len(ws) != 0 {
		t.Fatalf("the dry run wrote to GitHub: %v", ws)
	}
	w.e.vars["GOLIVE_DATABASE_URL"] = dbURL

	// The real run: exactly the open labelled go-lives come back.
	gh.ResetCalls()
	r = runReconcile(t, w.e)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"acme/api: 2 go-lives (#1, #2) rebuilt\n", "acme/web: 1 go-live (#1) rebuilt\n",
		"1 installations, 2 repositories, 3 go-lives rebuilt, 0 errors\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	first := snapshot(t, dbURL)
	if len(first.Installations) != 1 || first.Installations[0].ID != reconcileInstall || first.Installations[0].AccountLogin != "acme" {
		t.Fatalf("installations %+v", first.Installations)
	}
	var repoNames []string
	for _, rp := range first.Repositories {
		repoNames = append(repoNames, rp.FullName)
	}
	if slices.Sort(repoNames); strings.Join(repoNames, " ") != "acme/api acme/web" {
		t.Fatalf("repositories %v", repoNames)
	}
	got := map[string]store.GoLive{}
	for _, g := range first.GoLives {
		got[fmt.Sprintf("%s#%d", g.Repo, g.IssueNumber)] = g
	}
	if len(got) != 3 {
		t.Fatalf("%d go-lives in the store, want 3: %+v", len(got), first.GoLives)
	}
	tmpl := checklist.Default()
	for key, env := range map[string]string{"acme/api#1": "production", "acme/api#2": "staging", "acme/web#1": "production"} {
		g, ok := got[key]
		if !ok || g.State != store.GoLiveActive || g.Environment != env || !g.At.Equal(goLiveAt) || g.Release != "v2.0.0" || g.TrackerCommentID == 0 {
			t.Fatalf("go-live %s: %+v", key, g)
		}
		if items := first.Items[g.ID]; len(items) != len(tmpl.Items()) {
			t.Errorf("go-live %s has %d items, want the template's %d", key, len(items), len(tmpl.Items()))
		}
		rs := first.Reminders[g.ID]
		if len(rs) == 0 {
			t.Errorf("go-live %s has no reminders", key)
		}
		for _, rm := range rs {
			if rm.State != store.ReminderPending {
				t.Errorf("go-live %s: reminder %s is %s", key, rm.Key, rm.State)
			}
		}
	}
	// The tick on acme/api #1's issue is in its items.
	if it := first.Items[got["acme/api#1"].ID][0]; !it.Checked || it.ID != tmpl.Phases[0].Items[0].ID {
		t.Errorf("first item of acme/api#1: %+v, want it ticked", it)
	}

	// The tracker comment already on acme/api #1 was found by its marker
	// and brought up to date: no second one. The others got one each.
	if g := got["acme/api#1"]; g.TrackerCommentID != w.trackerID {
		t.Errorf("acme/api#1's tracker is comment %d, want the existing %d", g.TrackerCommentID, w.trackerID)
	}
	for _, is := range []struct {
		repo   string
		number int
	}{{"acme/api", w.api1.Number}, {"acme/api", w.api2.Number}, {"acme/web", w.web1.Number}} {
		var trackers []fakegithub.Comment
		for _, c := range gh.Comments(is.repo, is.number) {
			if strings.HasPrefix(c.Body, "<!-- golive:tracker -->") {
				trackers = append(trackers, c)
			}
		}
		if len(trackers) != 1 || strings.Contains(trackers[0].Body, "before the database was lost") {
			t.Errorf("%s#%d has %d tracker comments, want one up to date: %+v", is.repo, is.number, len(trackers), trackers)
		}
	}
	if posted := gh.CallsTo("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"); len(posted) != 2 {
		t.Errorf("%d comments posted, want 2 (acme/api#1 had its tracker)", len(posted))
	}

	// Twice changes nothing: the same store, nothing written to GitHub.
	gh.ResetCalls()
	r = runReconcile(t, w.e)
	if r.code != 0 || !strings.Contains(r.stdout, "1 installations, 2 repositories, 3 go-lives rebuilt, 0 errors") {
		t.Fatalf("second run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if ws := writes(gh); len(ws) != 0 {
		t.Errorf("the second run wrote to GitHub: %v", ws)
	}
	second := snapshot(t, dbURL)
	if a, b := first.withoutBookkeeping(), second.withoutBookkeeping(); !reflect.DeepEqual(a, b) {
		t.Errorf("the second run changed the store:\nfirst:  %+v\nsecond: %+v", a, b)
	}

	// A repository whose configuration is broken is reported with its
	// error; the repositories after it are still reconciled.
	gh.AddInstallation(reconcileInstall, "acme", "Organization", "acme/broken")
	gh.PutFile("acme/broken", repoconfig.Path, "version: 1\nlabel: [golive\n")
	gh.AddIssue("acme/broken", fakegithub.Issue{Title: "Go-live", Labels: []string{"golive"}, Body: goLiveBody(t, apiConfig, "production", nil)})
	r = runReconcile(t, w.e)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	brokenAt := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "acme/broken: error: ") })
	webAt := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "acme/web: 1 go-live (#1) rebuilt") })
	if r.code != 1 || brokenAt < 0 || webAt < brokenAt || !strings.Contains(lines[brokenAt], repoconfig.Path) ||
		lines[len(lines)-1] != "1 installations, 3 repositories, 3 go-lives rebuilt, 1 errors" {
		t.Fatalf("with a broken configuration: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	third := snapshot(t, dbURL)
	if len(third.Repositories) != 3 {
		t.Fatalf("repositories after adding acme/broken: %+v", third.Repositories)
	}
	if a, b := first.withoutBookkeeping().GoLives, third.withoutBookkeeping().GoLives; !reflect.DeepEqual(a, b) {
		t.Fatalf("go-lives after the run with a broken repository:\n%+v\nwant\n%+v", b, a)
	}
	if cs := gh.Comments("acme/broken", 1); len(cs) != 0 {
		t.Fatalf("golive commented on the broken repository's issue: %+v", cs)
	}
}

// Bad usage and configuration exit 2 and say why.
func TestReconcileRefusesBadConfiguration(t *testing.T) {
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "golive.db"))
	if r := runReconcile(t, e, "--bogus"); r.code != 2 {
		t.Fatalf("unknown flag: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.vars["GITHUB_APP_ID"] = ""
	if r := runReconcile(t, e); r.code != 2 || !strings.Contains(r.stderr, "GITHUB_APP_ID") {
		t.Fatalf("without GITHUB_APP_ID: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
