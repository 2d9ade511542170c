package store_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

// BenchmarkInsertDeliveriesBatch64 measures one group commit of the webhook
// ingester: 64 new deliveries of 25 KB in one InsertDeliveries call.
func BenchmarkInsertDeliveriesBatch64(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) store.Store
	}{
		{"sqlite", storetest.SQLite},
		{"postgres", storetest.Postgres},
	} {
		b.Run(tc.name, func(b *testing.B) {
			benchmarkInsertBatch(b, tc.open(b), 64, 25<<10)
		})
	}
}

func benchmarkInsertBatch(b *testing.B, s store.Store, batch, size int) {
	rng := rand.New(rand.NewPCG(1, 2))
	// JSON-like text: compressible, like real payloads.
	const alphabet = `{}[]":, abcdefghijklmnopqrstuvwxyz0123456789_-`
	payloads := make([][]byte, batch)
	for i := range payloads {
		p := make([]byte, size)
		for j := range p {
			p[j] = alphabet[rng.IntN(len(alphabet))]
		}
		payloads[i] = p
	}
	received := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ds := make([]store.Delivery, batch)
	b.SetBytes(int64(batch * size))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range ds {
			n++
			ds[i] = store.Delivery{
				ID:             fmt.Sprintf("%08x-0000-0000-0000-%012x", n, n),
				Event:          "pull_request",
				Action:         "synchronize",
				InstallationID: 12345678,
				Payload:        payloads[i],
				ReceivedAt:     received.Add(time.Duration(n) * time.Microsecond),
			}
		}
		ok, err := s.InsertDeliveries(b.Context(), ds)
		if err != nil {
			b.Fatal(err)
		}
		if !ok[0] || !ok[batch-1] {
			b.Fatalf("InsertDeliveries = %v, want all new", ok)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/delivery")
}

// BenchmarkClaimDueRemindersPerChannel measures one claim of the reminder
// dispatcher against a large backlog: 1,000 reminders, at most 2 per channel,
// out of 100,000 due ones of 10,000 go-lives in 1,000 channels. Every claim
// sees the whole backlog: the previous claim's leases have run out.
func BenchmarkClaimDueRemindersPerChannel(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		// The store never runs ANALYZE on SQLite: no statistics, as in
		// production.
		benchmarkClaimPerChannel(b, storetest.SQLite(b), nil, 10000, 1000, 10, 1000, 2)
	})
	b.Run("postgres", func(b *testing.B) {
		u := storetest.PostgresSchemaURL(b)
		s, err := store.Open(b.Context(), u)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		db, err := sql.Open("pgx", u)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		// Statistics, as autovacuum would have gathered them by the time
		// such a backlog is claimed; without them the planner joins the
		// go-lives row by row.
		analyze := func() {
			if _, err := db.ExecContext(b.Context(), `ANALYZE`); err != nil {
				b.Fatal(err)
			}
		}
		benchmarkClaimPerChannel(b, s, analyze, 10000, 1000, 10, 1000, 2)
	})
}

// benchmarkClaimPerChannel seeds s with golives go-lives spread over channels,
// each with perGoLive reminders due in the hour before the claims, and
// measures claims of limit reminders with perChannel, then without a cap.
func benchmarkClaimPerChannel(b *testing.B, s store.Store, analyze func(), golives, channels, perGoLive, limit, perChannel int) {
	ctx := b.Context()
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	// Seeded from several goroutines: on PostgreSQL the transactions
	// overlap; SQLite's writer serialises them anyway.
	type job struct {
		g   store.GoLive
		due []time.Duration
	}
	jobs := make(chan job)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			defer func() { errs <- err }()
			for j := range jobs {
				if err != nil {
					continue // drain
				}
				var g store.GoLive
				if g, _, err = s.UpsertGoLive(ctx, j.g, base); err != nil {
					continue
				}
				rs := make([]store.Reminder, len(j.due))
				for k, d := range j.due {
					rs[k] = store.Reminder{
						Key: fmt.Sprintf("%d@T-%dm", g.ID, k), GoLiveID: g.ID, Offset: fmt.Sprintf("T-%dm", k),
						Kind: "countdown", Phases: []string{"Pre-launch"}, DueAt: base.Add(-d),
					}
				}
				_, _, _, err = s.ApplyReminderChanges(ctx, g.ID, store.ReminderChanges{Add: rs})
			}
		}()
	}
	for i := range golives {
		due := make([]time.Duration, perGoLive)
		for k := range due {
			due[k] = time.Duration(rng.Int64N(int64(time.Hour)))
		}
		jobs <- job{store.GoLive{
			InstallationID: 1, RepoID: int64(1 + i/100), Repo: "acme/api", IssueNumber: 1 + i%100,
			State: store.GoLiveActive, Environment: "production", At: base.Add(time.Hour), Timezone: "UTC",
			SlackChannel: fmt.Sprintf("#team-%d", i%channels), Captain: "@octocat",
		}, due}
	}
	close(jobs)
	for range 8 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	if analyze != nil {
		analyze()
	}
	const lease = time.Second
	now := base
	// The uncapped claim of the same batch, for comparison.
	for _, pc := range []int{perChannel, 0} {
		b.Run(fmt.Sprintf("perChannel=%d", pc), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(lease) // the last claim's leases have run out
				got, err := s.ClaimDueReminders(ctx, "bench", now, lease, limit, pc)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != limit {
					b.Fatalf("claimed %d reminders, want %d", len(got), limit)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*limit), "µs/reminder")
		})
	}
}
