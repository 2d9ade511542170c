package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

func delivery(id string) store.Delivery {
	return store.Delivery{ID: id, Event: "push", Payload: []byte(`{}`), ReceivedAt: t0}
}

func mustOpen(t *testing.T, url string) store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	return s
}

func mustClose(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// rawSQLite opens path directly, bypassing the store.
func rawSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenEmptyURLCreatesGoliveDBInWorkingDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := mustOpen(t, "")
	if got := s.Dialect(); got != "sqlite" {
		t.Errorf("Dialect() = %q, want sqlite", got)
	}
	if _, err := s.InsertDeliveries(t.Context(), []store.Delivery{delivery("a")}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	path := filepath.Join(dir, "golive.db")
	var n int
	if err := rawSQLite(t, path).QueryRow(`SELECT COUNT(*) FROM deliveries`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows in %s = %d, %v; want 1", path, n, err)
	}
}

func TestOpenSQLiteURLForms(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "dir with space")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ url, file string }{
		{"sqlite:" + filepath.Join(dir, "a.db"), "a.db"},
		{"sqlite://" + filepath.Join(dir, "b.db"), "b.db"}, // sqlite:///abs/b.db
		{"SQLite:" + filepath.Join(dir, "odd?name#1%41.db"), "odd?name#1%41.db"},
		{"file:" + filepath.Join(dir, "c.db"), "c.db"},
		{"file:" + filepath.Join(dir, "d.db") + "?mode=rwc", "d.db"},
	}
	for _, tc := range cases {
		s := mustOpen(t, tc.url)
		if _, err := s.InsertDeliveries(t.Context(), []store.Delivery{delivery("a")}); err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		mustClose(t, s)
		if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
			t.Errorf("Open(%q) did not create %q: %v", tc.url, tc.file, err)
		}
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url    string
		quoted string // the value as the error must show it
	}{
		{"mysql://golive:hunter2@db:3306/golive", `"mysql://xxxxx@db:3306/golive"`},
		{"mysql://db/golive?password=hunter2&x=1", `"mysql://db/golive?password=xxxxx&x=1"`},
		{"golive:hunter2@tcp(db)/golive", `"golive:xxxxx@tcp(db)/golive"`},
		{"host=db user=golive password=hunter2", `"host=db user=golive password=xxxxx"`},
		{"golive.db", `"golive.db"`},
		{"http://example.com/db", `"http://example.com/db"`},
	}
	for _, tc := range cases {
		s, err := store.Open(t.Context(), tc.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q): no error", tc.url)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "hunter2") {
			t.Errorf("Open(%q) error leaks the password: %s", tc.url, msg)
		}
		for _, want := range []string{tc.quoted, `"sqlite:PATH"`, `"postgres://…"`, `"file:PATH"`, `"sqlite://PATH"`, `"postgresql://…"`} {
			if !strings.Contains(msg, want) {
				t.Errorf("Open(%q) error %q does not contain %s", tc.url, msg, want)
			}
		}
	}
	for _, url := range []string{"sqlite:", "sqlite://", "sqlite::memory:", "file::memory:", "file:x?mode=memory&cache=shared"} {
		if s, err := store.Open(t.Context(), url); err == nil {
			s.Close()
			t.Errorf("Open(%q): no error", url)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", url)) {
			t.Errorf("Open(%q) error %q does not quote the URL", url, err)
		}
	}
}

func TestOpenPostgresErrorHidesPassword(t *testing.T) {
	t.Parallel()
	url := "postgres://golive:hunter2@127.0.0.1:1/golive?sslmode=disable&connect_timeout=5"
	s, err := store.Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("Open of an unreachable database: no error")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q does not say which database", err)
	}
}

// migrationVersions lists the versions recorded in schema_migrations.
func migrationVersions(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// scriptVersions lists the versions of the migration scripts in dir.
func scriptVersions(t *testing.T, dir string) []int64 {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("migrations", dir))
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err != nil {
			t.Fatalf("migration %q: %v", e.Name(), err)
		}
		vs = append(vs, v)
	}
	return vs
}

// testReopen opens url twice with data written in between and checks that
// the second Open kept the data and applied nothing again.
func testReopen(t *testing.T, url string, raw *sql.DB, dialect string) {
	s := mustOpen(t, url)
	if _, err := s.InsertDeliveries(t.Context(), []store.Delivery{delivery("kept")}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	want := fmt.Sprint(scriptVersions(t, dialect))
	if got := fmt.Sprint(migrationVersions(t, raw)); got != want {
		t.Fatalf("schema_migrations after first Open = %s, want %s", got, want)
	}
	// A re-run of 0001 would fail on existing tables or wipe them; mark the
	// recorded row to see that it is not rewritten either.
	if _, err := raw.Exec(`UPDATE schema_migrations SET name = 'marker' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, url)
	defer mustClose(t, s)
	if _, err := s.GetDelivery(t.Context(), "kept"); err != nil {
		t.Errorf("GetDelivery after reopening: %v", err)
	}
	if got := fmt.Sprint(migrationVersions(t, raw)); got != want {
		t.Errorf("schema_migrations after second Open = %s, want %s", got, want)
	}
	var name string
	if err := raw.QueryRow(`SELECT name FROM schema_migrations WHERE version = 1`).Scan(&name); err != nil || name != "marker" {
		t.Errorf("schema_migrations row 1 name = %q, %v; want it untouched (marker)", name, err)
	}
}

func TestSQLiteReopenDoesNotReapplyMigrations(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.db")
	testReopen(t, "sqlite:"+path, rawSQLite(t, path), "sqlite")
}

func TestPostgresReopenDoesNotReapplyMigrations(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresSchemaURL(t)
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	testReopen(t, url, raw, "postgres")
}

// testConcurrentOpen opens a fresh database from several goroutines at once:
// every Open succeeds and each migration is recorded once.
func testConcurrentOpen(t *testing.T, url string, raw *sql.DB, dialect string) {
	const n = 6
	var wg sync.WaitGroup
	stores := make([]store.Store, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = store.Open(t.Context(), url) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		mustClose(t, stores[i])
	}
	if got, want := fmt.Sprint(migrationVersions(t, raw)), fmt.Sprint(scriptVersions(t, dialect)); got != want {
		t.Errorf("schema_migrations = %s, want %s", got, want)
	}
}

func TestSQLiteConcurrentOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.db")
	testConcurrentOpen(t, "sqlite:"+path, rawSQLite(t, path), "sqlite")
	var mode string
	if err := rawSQLite(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestPostgresConcurrentOpen(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresSchemaURL(t)
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	testConcurrentOpen(t, url, raw, "postgres")
}

// TestSQLiteTwoStoresOneFile has two stores (as two processes would) write
// the same file at once: busy_timeout and BEGIN IMMEDIATE keep SQLITE_BUSY
// away.
func TestSQLiteTwoStoresOneFile(t *testing.T) {
	t.Parallel()
	url := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	a := mustOpen(t, url)
	defer mustClose(t, a)
	b := mustOpen(t, url)
	defer mustClose(t, b)
	const rounds = 40
	var wg sync.WaitGroup
	errs := make(chan error, 4*rounds)
	for si, s := range []store.Store{a, b} {
		for g := range 2 {
			wg.Go(func() {
				for r := range rounds {
					var ds []store.Delivery
					for i := range 4 {
						ds = append(ds, delivery(fmt.Sprintf("s%d-g%d-r%d-%d", si, g, r, i)))
					}
					if _, err := s.InsertDeliveries(t.Context(), ds); err != nil {
						errs <- fmt.Errorf("InsertDeliveries: %w", err)
						return
					}
					claimed, err := s.ClaimDeliveries(t.Context(), fmt.Sprintf("s%d-g%d", si, g), t0, time.Minute, 2)
					if err != nil {
						errs <- fmt.Errorf("ClaimDeliveries: %w", err)
						return
					}
					for _, d := range claimed {
						if err := s.CompleteDelivery(t.Context(), d.ID, d.LeaseOwner, t0); err != nil {
							errs <- fmt.Errorf("CompleteDelivery: %w", err)
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p, _ := a.CountDeliveries(t.Context(), store.DeliveryPending)
	d, _ := b.CountDeliveries(t.Context(), store.DeliveryDone)
	if p+d != 4*rounds*4 || d != 4*rounds*2 {
		t.Errorf("pending, done = %d, %d; want %d, %d", p, d, 4*rounds*2, 4*rounds*2)
	}
}

const killChildEnv = "GOLIVE_STORE_TEST_KILL_CHILD"

// TestSQLiteCommitSurvivesKill commits in a child process that then kills
// itself with SIGKILL, and checks that the parent finds every committed row.
func TestSQLiteCommitSurvivesKill(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		killChild(path)
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.db")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSQLiteCommitSurvivesKill$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v\n%s", err, out)
	}
	s := mustOpen(t, "sqlite:"+path)
	defer mustClose(t, s)
	for status, want := range map[store.DeliveryStatus]int{store.DeliveryPending: 63, store.DeliveryDone: 1} {
		if n, err := s.CountDeliveries(t.Context(), status); err != nil || n != want {
			t.Errorf("%s rows after kill = %d, %v; want %d", status, n, err, want)
		}
	}
}

// killChild commits 64 deliveries, completes one, and dies without closing
// anything.
func killChild(path string) {
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var ds []store.Delivery
	for i := range 64 {
		ds = append(ds, delivery(fmt.Sprintf("d%02d", i)))
	}
	if _, err := s.InsertDeliveries(ctx, ds); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c, err := s.ClaimDeliveries(ctx, "w", t0, time.Minute, 1)
	if err != nil || len(c) != 1 {
		fmt.Fprintln(os.Stderr, "claim:", c, err)
		os.Exit(2)
	}
	if err := s.CompleteDelivery(ctx, c[0].ID, "w", t0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // not reached
}
