package digest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/digest"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

const repoID = 4200000007

var berlin, _ = time.LoadLocation("Europe/Berlin")

// at is a moment of the seeded week (Monday 16 to Monday 23 November 2026,
// Berlin) or around it.
func at(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, berlin).UTC()
}

const config = `version: 1
timezone: Europe/Berlin
slack:
  channel: "#deploys"
`

// seed fills a store with a week of go-lives, deploys and incidents, and
// some just outside it.
func seed(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := st.UpsertInstallation(ctx, store.Installation{ID: 42, AccountLogin: "acme", AccountType: "Organization"}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddRepositories(ctx, 42, []store.Repository{{ID: repoID, InstallationID: 42, FullName: "acme/shop"}}); err != nil {
		t.Fatal(err)
	}
	golive := func(n int, state store.GoLiveState, when, closed time.Time) store.GoLive {
		g, _, err := st.UpsertGoLive(ctx, store.GoLive{InstallationID: 42, RepoID: repoID, Repo: "acme/shop", IssueNumber: n,
			State: state, Environment: "production", At: when, Timezone: "Europe/Berlin"}, closed)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	onTime := golive(1, store.GoLiveDone, at(18, 14, 0), at(18, 16, 0))
	late := golive(2, store.GoLiveDone, at(17, 10, 0), at(17, 13, 0))
	golive(3, store.GoLiveDone, at(19, 9, 0), at(20, 9, 0))   // done, never deployed by golive
	golive(4, store.GoLiveDone, at(12, 9, 0), at(13, 9, 0))   // done the week before
	golive(5, store.GoLiveActive, at(26, 9, 0), at(18, 9, 0)) // not done
	deploy := func(cid, kind string, g int64, state store.DeployState, dispatched, finished time.Time) {
		if _, err := st.CreateDeploy(ctx, store.Deploy{CorrelationID: cid, Kind: kind, InstallationID: 42, RepoID: repoID,
			Repo: "acme/shop", Environment: "production", Ref: "main", SHA: strings.Repeat("a", 40), Workflow: kind + ".yml",
			GoLiveID: g, State: state, DispatchedAt: dispatched, FinishedAt: finished}); err != nil {
			t.Fatal(err)
		}
	}
	deploy("gl-1", "deploy", onTime.ID, store.DeploySuccess, at(18, 14, 5), at(18, 14, 20))
	deploy("gl-2", "deploy", late.ID, store.DeployFailure, at(17, 10, 5), at(17, 10, 15))
	deploy("gl-3", "deploy", late.ID, store.DeploySuccess, at(17, 12, 0), at(17, 12, 30))
	deploy("gl-4", "rollback", 0, store.DeploySuccess, at(19, 15, 0), at(19, 15, 10))
	deploy("gl-5", "deploy", 0, store.DeploySuccess, at(13, 8, 0), at(13, 8, 10)) // the week before
	incident := func(key, sev string, opened, acked, resolved time.Time) {
		in, _, err := st.CreateIncident(ctx, store.Incident{OpenKey: key, InstallationID: 42, RepoID: repoID, Repo: "acme/shop",
			Severity: sev, Title: key, State: store.IncidentOpen, OpenedAt: opened})
		if err != nil {
			t.Fatal(err)
		}
		in.AckedAt, in.ResolvedAt = acked, resolved
		switch {
		case !resolved.IsZero():
			in.State = store.IncidentResolved
		case !acked.IsZero():
			in.State = store.IncidentAcknowledged
		}
		if _, err := st.UpdateIncident(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	incident("in-time", "P1", at(16, 10, 0), at(16, 10, 10), at(16, 12, 0)) // within 15m / 4h
	incident("slow", "P1", at(17, 9, 0), at(17, 9, 20), at(17, 14, 0))      // 20m > 15m, 5h > 4h
	incident("unanswered", "P0", at(20, 22, 0), time.Time{}, time.Time{})   // neither by the week's end
	incident("last-week", "P3", at(15, 22, 0), at(15, 23, 0), time.Time{})  // opened the week before
}

// The digest of a seeded week counts exactly the store's records of that
// week.
func TestDigestOfASeededWeek(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	cfg, err := repoconfig.Decode([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	from, to, week := digest.WeekOf(at(23, 9, 30), berlin)
	if week != "2026-W47" || !from.Equal(at(16, 0, 0)) || !to.Equal(at(23, 0, 0)) {
		t.Fatalf("week %s from %s to %s", week, from, to)
	}
	p := &digest.Poster{Store: st}
	d, err := p.Compute(context.Background(), store.Repository{ID: repoID, InstallationID: 42, FullName: "acme/shop"}, cfg, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := digest.Digest{Repo: "acme/shop", From: from, To: to, GoLivesDone: 3, OnTime: 1, Late: 1, NoDeploy: 1,
		Deploys: 3, Rollbacks: 1, Failed: 1, Incidents: map[string]int{"P0": 1, "P1": 2},
		ResponseBreaches: 2, ResolutionBreaches: 2, MTTA: 15 * time.Minute, MTTR: 210 * time.Minute, Acked: 2, Resolved: 2, OpenOpsItems: -1}
	if fmt.Sprintf("%+v", d) != fmt.Sprintf("%+v", want) {
		t.Fatalf("digest\n  %+v\nwant\n  %+v", d, want)
	}
	for _, line := range []string{"Go-lives completed: *3* (1 on time, 1 late, 1 without a recorded deploy)", "Deploys: *3*, rollbacks: *1*, failed runs: 1",
		"Incidents: *3* (P0 1, P1 2, P2 0, P3 0)", "SLA breaches: 2 response, 2 resolution", "Mean time to acknowledge: 15m0s (2), to resolve: 3h30m0s (2)"} {
		if !strings.Contains(d.Text(), line) {
			t.Errorf("text lacks %q:\n%s", line, d.Text())
		}
	}
}

// The digest goes out once, on Monday after 09:00 in the repository's zone,
// also when the poster restarts or a second replica runs.
func TestDigestPostedOncePerWeek(t *testing.T) {
	st := storetest.SQLite(t)
	seed(t, st)
	sl := fakeslack.New(fakeslack.Options{T: t, Channels: []fakeslack.Channel{{ID: "CDEPLOYS", Name: "deploys", Member: true}}})
	clk := clock.NewFake(at(23, 8, 59))
	poster := func(owner string) *digest.Poster {
		return &digest.Poster{Store: st, Clock: clk, Owner: owner,
			Slack: slackclient.New(slackclient.Config{Token: sl.Token(), APIURL: sl.APIURL()}),
			Config: func(context.Context, int64, string) (*repoconfig.Config, error) {
				return repoconfig.Decode([]byte(config))
			},
			OpenOpsItems: func(context.Context, store.Repository, *repoconfig.Config) (int, error) { return 3, nil }}
	}
	a, b := poster("a"), poster("b")
	ctx := context.Background()
	if n, err := a.PostDue(ctx); err != nil || n != 0 {
		t.Fatalf("at 08:59: posted %d (%v)", n, err)
	}
	clk.Set(at(23, 9, 1))
	if n, err := a.PostDue(ctx); err != nil || n != 1 {
		t.Fatalf("at 09:01: posted %d (%v)", n, err)
	}
	for _, p := range []*digest.Poster{a, b, poster("a-restarted")} {
		if n, err := p.PostDue(ctx); err != nil || n != 0 {
			t.Fatalf("again: posted %d (%v)", n, err)
		}
	}
	msgs := sl.Messages("CDEPLOYS")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Weekly digest of acme/shop") || !strings.Contains(msgs[0].Text, "Open operations items: 3") || msgs[0].Metadata == nil ||
		msgs[0].Metadata.EventPayload["week"] != "acme/shop@2026-W47" {
		t.Fatalf("messages %+v", msgs)
	}
}
