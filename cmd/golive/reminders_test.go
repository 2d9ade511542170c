package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/fakeslack"
	"github.com/golive-dev/golive/bot/scheduler"
	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

// seedGoLive stores an active go-live in channel with the default checklist
// and one reminder per offset, each due at dueIn from now.
func seedGoLive(t *testing.T, st store.Store, number int, channel string, dueIn time.Duration, offsets ...string) store.GoLive {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	g, _, err := st.UpsertGoLive(ctx, store.GoLive{InstallationID: 1, RepoID: 10, Repo: "acme/api", IssueNumber: number,
		State: store.GoLiveActive, Environment: "production", At: now.Add(time.Hour).UTC(), Timezone: "Europe/Berlin", SlackChannel: channel}, now)
	if err != nil {
		t.Fatal(err)
	}
	var items []store.Item
	for _, p := range checklist.Default().Phases {
		for _, it := range p.Items {
			items = append(items, store.Item{ID: it.ID, Phase: p.Name, Text: it.Text, Owner: it.Owner, Required: it.Required})
		}
	}
	if _, err := st.SaveItems(ctx, g.ID, items, now); err != nil {
		t.Fatal(err)
	}
	var add []store.Reminder
	for _, o := range offsets {
		add = append(add, store.Reminder{Key: fmt.Sprintf("%d@%s", g.ID, o), GoLiveID: g.ID, Offset: o, Kind: "t-day", DueAt: now.Add(dueIn)})
	}
	if _, _, _, err := st.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: add}); err != nil {
		t.Fatal(err)
	}
	return g
}

// postsByKey counts the reminders in channel by occurrence key, and the
// thread parents by go-live.
func postsByKey(sl *fakeslack.Server, channel string) (reminders, parents map[string]int) {
	reminders, parents = map[string]int{}, map[string]int{}
	for _, m := range sl.Messages(channel) {
		if m.Metadata == nil {
			continue
		}
		switch m.Metadata.EventType {
		case scheduler.ReminderEvent:
			reminders[fmt.Sprint(m.Metadata.EventPayload["key"])]++
		case scheduler.ThreadEvent:
			parents[fmt.Sprint(m.Metadata.EventPayload["golive"])]++
		}
	}
	return reminders, parents
}

func reminderState(t *testing.T, st store.Store, goliveID int64, key string) store.Reminder {
	t.Helper()
	rs, err := st.ListReminders(context.Background(), goliveID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no reminder %s", key)
	return store.Reminder{}
}

// TestReminderKill9BetweenPostAndMark kills golive after Slack stored a
// reminder and before golive learned it was posted; after a restart the
// reminder is marked sent and Slack holds it once.
func TestReminderKill9BetweenPostAndMark(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/golive.db"
	var victim atomic.Pointer[proc]
	var kills atomic.Int32
	e := newEnvWith(t, dbURL, fakeslack.Options{
		Channels: []fakeslack.Channel{{ID: "CDEPLOYS", Name: "deploys", Member: true}},
		AfterPost: func(m fakeslack.Message) {
			if m.Metadata != nil && m.Metadata.EventType == scheduler.ReminderEvent && kills.Add(1) == 1 {
				victim.Load().cmd.Process.Signal(syscall.SIGKILL)
			}
		},
	})
	st := openStore(t, dbURL)
	g := seedGoLive(t, st, 7, "#deploys", 2*time.Second, "T-20m")
	key := fmt.Sprintf("%d@T-20m", g.ID)

	p := e.start(t)
	victim.Store(p)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("golive was not killed at its first reminder post:\n%s", p.logs)
	}
	if r := reminderState(t, st, g.ID, key); r.State != store.ReminderPending {
		t.Fatalf("reminder %s after kill -9 between post and mark, want pending", r.State)
	}

	p2 := e.start(t)
	waitFor(t, "the reminder to be marked sent after the restart", 30*time.Second, func() bool {
		return reminderState(t, st, g.ID, key).State == store.ReminderSent
	})
	reminders, parents := postsByKey(e.slack, "CDEPLOYS")
	if reminders[key] != 1 || len(reminders) != 1 || parents[fmt.Sprint(g.ID)] != 1 {
		t.Fatalf("Slack holds reminders %v and thread parents %v, want the one reminder and one parent once each\n%s", reminders, parents, p2.logs)
	}
	if r := reminderState(t, st, g.ID, key); r.Attempts != 2 {
		t.Fatalf("reminder claimed %d times, want 2 (posted by the first run, found by the second)", r.Attempts)
	}
	p2.kill()
}

// TestTwoServersOnePostgres runs two golive processes on one PostgreSQL
// database: every occurrence is posted exactly once, and every go-live has
// one thread.
func TestTwoServersOnePostgres(t *testing.T) {
	dbURL := storetest.PostgresSchemaURL(t)
	var channels []fakeslack.Channel
	for i := range 8 {
		channels = append(channels, fakeslack.Channel{ID: fmt.Sprintf("C%02d", i), Name: fmt.Sprintf("team-%d", i), Member: true})
	}
	e := newEnvWith(t, dbURL, fakeslack.Options{Channels: channels})
	st := openStore(t, dbURL)
	defer st.Close()
	// Start the processes first (they migrate the schema), then seed
	// occurrences due a few seconds later, two per go-live, so both
	// processes race for the same go-lives' threads too.
	p1, p2 := e.start(t), e.start(t)
	var golives []store.GoLive
	for i := range 32 {
		golives = append(golives, seedGoLive(t, st, 100+i, "#"+channels[i%len(channels)].Name,
			time.Duration(2000+i*50)*time.Millisecond, "T-20m", "T-10m"))
	}
	waitFor(t, "every occurrence to be marked sent", 60*time.Second, func() bool {
		for _, g := range golives {
			for _, o := range []string{"T-20m", "T-10m"} {
				if reminderState(t, st, g.ID, fmt.Sprintf("%d@%s", g.ID, o)).State != store.ReminderSent {
					return false
				}
			}
		}
		return true
	})
	var mu sync.Mutex
	total := 0
	for _, c := range channels {
		reminders, parents := postsByKey(e.slack, c.ID)
		for key, n := range reminders {
			if n != 1 {
				t.Errorf("occurrence %s posted %d times", key, n)
			}
		}
		for g, n := range parents {
			if n != 1 {
				t.Errorf("go-live %s has %d thread parents", g, n)
			}
		}
		mu.Lock()
		total += len(reminders)
		mu.Unlock()
	}
	if total != 2*len(golives) {
		t.Fatalf("%d distinct occurrences in Slack, want %d", total, 2*len(golives))
	}
	p1.kill()
	p2.kill()
}
