package status_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/status"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
	"github.com/golive-dev/golive/bot/tracking"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// items are the default checklist's items as the issue body holds them,
// the first done of them ticked.
func items(tmpl checklist.Template, done int) []store.Item {
	var out []store.Item
	for _, p := range tmpl.Phases {
		for _, it := range p.Items {
			out = append(out, store.Item{ID: it.ID, Phase: p.Name, Text: it.Text, Required: it.Required, Owner: it.Owner, Checked: len(out) < done})
		}
	}
	return out
}

func TestBuild(t *testing.T) {
	ctx := t.Context()
	st := storetest.SQLite(t)
	tmpl := checklist.Default()
	total := len(tmpl.Items())
	save := func(repoID int64, repo string, issue int, env string, at time.Time, done int) store.GoLive {
		t.Helper()
		g, _, err := st.UpsertGoLive(ctx, store.GoLive{InstallationID: 1, RepoID: repoID, Repo: repo, IssueNumber: issue,
			State: store.GoLiveActive, Environment: env, At: at, Timezone: "Europe/Berlin", Release: "v1", Captain: "@alice"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveItems(ctx, g.ID, items(tmpl, done), now); err != nil {
			t.Fatal(err)
		}
		return g
	}
	later := save(7, "acme/api", 3, "production", now.Add(72*time.Hour), 2)
	sooner := save(7, "acme/api", 4, "staging", now.Add(26*time.Hour), total)
	broken := save(8, "acme/web", 1, "production", now.Add(100*time.Hour), 1)
	if _, _, err := st.UpsertGoLive(ctx, store.GoLive{InstallationID: 1, RepoID: 9, Repo: "acme/done", IssueNumber: 1,
		State: store.GoLiveDone, Environment: "production", At: now}, now); err != nil {
		t.Fatal(err)
	}
	// The start occurrence is no reminder; the cancelled one is not next.
	if _, _, _, err := st.ApplyReminderChanges(ctx, later.ID, store.ReminderChanges{Add: []store.Reminder{
		{Key: "x@start", Offset: "start", Kind: "start", DueAt: now.Add(-time.Minute)},
		{Key: "x@T-2d", Offset: "T-2d", Kind: "countdown", DueAt: now.Add(24 * time.Hour)},
		{Key: "x@T-1d", Offset: "T-1d", Kind: "countdown", DueAt: now.Add(48 * time.Hour), Phases: []string{"Prepare"}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.ApplyReminderChanges(ctx, later.ID, store.ReminderChanges{Cancel: []string{"x@T-2d"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.AcquireEnvLock(ctx, store.EnvLock{RepoID: 7, Environment: "production", Holder: "@bob", HolderKey: "github:2",
		Reason: "freeze", ExpiresAt: now.Add(90 * time.Minute)}, now); err != nil {
		t.Fatal(err)
	}
	for i, env := range []string{"staging", "production"} {
		if _, err := st.CreateDeploy(ctx, store.Deploy{CorrelationID: "gl-00000000000" + string(rune('a'+i)), Kind: "deploy", RepoID: 7,
			Repo: "acme/api", Environment: env, SHA: "0123456789abcdef", State: store.DeploySuccess, DispatchedAt: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}

	reads := map[string]int{}
	b := &status.Builder{Store: st, Checklist: &tracking.Service{Store: st}, Clock: clock.NewFake(now), Deploys: 1, MaxBlocking: 2,
		Templates: func(_ context.Context, g store.GoLive) (checklist.Template, error) {
			reads[g.Repo]++
			if g.Repo == "acme/web" {
				return checklist.Template{}, errors.New("golive.yml: line 3: unknown key")
			}
			return tmpl, nil
		}}
	page, err := b.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !page.Now.Equal(now) || len(page.GoLives) != 3 {
		t.Fatalf("page at %v with %d go-lives, want 3 active", page.Now, len(page.GoLives))
	}
	s, l, w := page.GoLives[0], page.GoLives[1], page.GoLives[2]
	if s.ID != sooner.ID || l.ID != later.ID || w.ID != broken.ID {
		t.Fatalf("order %d %d %d, want the soonest first", s.ID, l.ID, w.ID)
	}
	if !s.Ready || s.Decision != checklist.DecisionReady || s.Blocking != 0 || s.Done != total || s.Percent() != 100 {
		t.Fatalf("all ticked: %+v", s)
	}
	if l.Ready || l.Decision != checklist.DecisionNotReady || l.Blocking == 0 || len(l.BlockingItems) != 2 || l.Done != 2 || l.Total != total {
		t.Fatalf("two ticked: ready %v, %d blocking (%d listed), %d/%d", l.Ready, l.Blocking, len(l.BlockingItems), l.Done, l.Total)
	}
	if len(l.Phases) != len(tmpl.Phases) || l.Phases[0].Done != 2 || l.Phases[0].Due.IsZero() || l.Phases[0].Offset == "" {
		t.Fatalf("phases %+v", l.Phases)
	}
	if l.IssueURL != "https://github.com/acme/api/issues/3" || l.Until != "in 3d" || l.Local != "2026-03-05 10:00 CET" {
		t.Fatalf("issue %q, until %q, local %q", l.IssueURL, l.Until, l.Local)
	}
	if r := l.NextReminder; r == nil || r.Offset != "T-1d" || r.Until != "in 2d" || len(r.Phases) != 1 {
		t.Fatalf("next reminder %+v, want T-1d", r)
	}
	if s.NextReminder != nil {
		t.Fatalf("a go-live without reminders has next reminder %+v", s.NextReminder)
	}
	if len(l.Locks) != 1 || l.Locks[0].Environment != "production" || l.Locks[0].Until != "in 1h 30m" || len(s.Locks) != 1 {
		t.Fatalf("locks %+v / %+v, want production's on both of acme/api's go-lives", l.Locks, s.Locks)
	}
	if len(l.Deploys) != 1 || l.Deploys[0].Environment != "production" || l.Deploys[0].SHA != "0123456" || l.Deploys[0].Ago != "1h ago" {
		t.Fatalf("deploys %+v, want the newest, production", l.Deploys)
	}
	if len(w.Locks) != 0 || len(w.Deploys) != 0 {
		t.Fatalf("acme/web shows %+v %+v", w.Locks, w.Deploys)
	}
	// An unreadable configuration: progress from the stored items, a note.
	if w.Note == "" || w.Done != 1 || w.Total != total || w.Ready || len(w.Phases) != len(tmpl.Phases) || w.Phases[0].Offset != "" {
		t.Fatalf("go-live without its template: note %q, %d/%d, phases %+v", w.Note, w.Done, w.Total, w.Phases)
	}
	if reads["acme/api"] != 2 || reads["acme/web"] != 1 {
		t.Fatalf("template reads %v", reads)
	}
}

func TestRelative(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                "now",
		59 * time.Second:                 "now",
		-59 * time.Second:                "now",
		time.Minute:                      "in 1m",
		-(2*time.Hour + 5*time.Minute):   "2h 5m ago",
		3 * time.Hour:                    "in 3h",
		3*24*time.Hour + 4*time.Hour:     "in 3d 4h",
		-(10*24*time.Hour + time.Minute): "10d ago",
	} {
		if got := status.Relative(now, now.Add(d)); got != want {
			t.Errorf("Relative(%v) = %q, want %q", d, got, want)
		}
	}
}
